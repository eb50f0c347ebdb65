"""Reading nbgrader notebooks: which cells are answers, which are tests.

The instructor's notebooks are read strictly (``read``). A student's file is
read leniently (``read_submission``): whatever JSON object it holds becomes a
valid nbformat v4 notebook, and each repair is reported as a flag, so one
odd notebook never stops the grading of a class.
"""
import copy
import json
import os
import re
import stat
from pathlib import Path

import nbformat
from nbformat import ValidationError

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_CELLS = 10_000  # each cell is validated on its own: a million tiny cells would take minutes
MAX_METADATA_DEPTH = 64  # deeper metadata is dropped: copying or writing it could exhaust the stack
_NEW_CELL = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
             "raw": nbformat.v4.new_raw_cell}
_MISSING = object()
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class UnreadableNotebook(ValueError):
    """A submitted file that is no notebook at all; the message says why."""


def read(path):
    """An instructor's notebook, read strictly."""
    return nbformat.read(str(path), as_version=4)


def read_submission(path, max_bytes=MAX_NOTEBOOK_BYTES):
    """(notebook, [(flag, detail)]) of a student's file, repaired where needed.

    Raises UnreadableNotebook when the file is not a regular file, is larger
    than ``max_bytes``, is not JSON, is nested too deeply to parse, is not a
    JSON object with cells, or has more than MAX_CELLS cells; anything else
    is repaired and flagged.
    """
    raw = _parse_json(_read_at_most(path, max_bytes))
    if not isinstance(raw, dict) or not {"cells", "worksheets"} & raw.keys():
        raise UnreadableNotebook(f"not a notebook: the JSON is {_kind(raw)} without cells")
    if "worksheets" in raw and "cells" not in raw:
        raw = _upgraded(raw)
    if isinstance(raw.get("cells"), list) and len(raw["cells"]) > MAX_CELLS:
        raise UnreadableNotebook(f"{len(raw['cells']):,} cells, more than the {MAX_CELLS:,} a notebook may have")
    return normalise_submission(raw)


def _read_at_most(path, max_bytes):
    # O_NONBLOCK: opening a named pipe must not wait for a writer (it is refused below).
    # O_NOFOLLOW: a symbolic link is never read through (it could point at the solutions).
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if os.path.islink(path):
            raise UnreadableNotebook("a symbolic link, not a file: never read through") from None
        raise UnreadableNotebook(f"cannot be opened ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise UnreadableNotebook("not a regular file")
    with open(descriptor, "rb") as handle:
        size = os.fstat(descriptor).st_size
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnreadableNotebook(f"the file has {max(size, len(data)):,} bytes, more than the "
                                 f"{max_bytes:,} a notebook may have")
    return data


def _parse_json(data):
    try:
        return json.loads(data)
    except RecursionError:
        raise UnreadableNotebook("the JSON is nested too deeply to read") from None
    except ValueError as exc:  # not JSON, not UTF-8, an integer with too many digits
        raise UnreadableNotebook(f"not JSON: {exc}") from None


def _upgraded(raw):
    """An nbformat 3 notebook (cells in worksheets) as nbformat 4."""
    try:
        return nbformat.convert(nbformat.from_dict(raw), 4)
    except Exception as exc:  # nbformat's converter assumes a well-formed notebook
        raise UnreadableNotebook(f"an nbformat 3 notebook that cannot be converted: {exc}") from None


def normalise_submission(raw):
    """(a valid nbformat v4 notebook, [(flag, detail)]) from a student's notebook as a dict.

    Cells are counted from 1 in the details. A cell that is not a JSON object
    is dropped; any other cell is kept: without a usable cell_type as a raw
    cell, with unusable nbgrader metadata as a plain cell. Outputs and
    execution counts are not kept (the grader runs the cells again). ``raw``
    is not modified.
    """
    raw = raw if isinstance(raw, dict) else {}
    flags, problems = [], []
    metadata = _json_dict(raw.get("metadata", {}), "the notebook's metadata", problems)
    cells = raw.get("cells", _MISSING)
    if not isinstance(cells, list):
        problems.append(f"cells is {_kind(cells)}, not a list; read as a notebook without cells")
        cells = []
    try:
        nb = nbformat.v4.new_notebook(metadata=metadata)
    except ValidationError:
        problems.append("the notebook's metadata is not valid nbformat; left out")
        nb = nbformat.v4.new_notebook()
    flags += [("malformed notebook", problem) for problem in problems]
    ids = set()
    for number, raw_cell in enumerate(cells, 1):
        cell, problems = _normalise_cell(raw_cell)
        flags += [("malformed cell", f"cell {number}: {problem}") for problem in problems]
        if cell is None:
            continue
        if _usable_id(raw_cell.get("id"), ids):  # else the new cell keeps the id it was made with
            cell.id = raw_cell["id"]
        ids.add(cell.id)
        nb.cells.append(cell)
    return nb, flags


def _usable_id(cell_id, taken):
    return isinstance(cell_id, str) and bool(_CELL_ID.fullmatch(cell_id)) and cell_id not in taken


def _normalise_cell(raw):
    """(a valid v4 cell or None if dropped, [problems])."""
    if not isinstance(raw, dict):
        return None, [f"{_kind(raw)}, not a cell; dropped"]
    problems = []
    cell_type = raw.get("cell_type", _MISSING)
    if not (isinstance(cell_type, str) and cell_type in _NEW_CELL):
        problems.append(f"cell_type is {_shown(cell_type)}, not code, markdown or raw; kept as a raw cell")
        cell_type = "raw"
    source = _source_text(raw.get("source", _MISSING), problems)
    metadata = _json_dict(raw.get("metadata", {}), "metadata", problems)
    _check_nbgrader(metadata, problems)
    extra = {}
    if cell_type == "markdown" and "attachments" in raw:
        extra["attachments"] = _json_dict(raw["attachments"], "attachments", problems)
    try:
        return _NEW_CELL[cell_type](source=source, metadata=metadata, **extra), problems
    except ValidationError:
        problems.append("metadata or attachments are not valid nbformat; only the nbgrader metadata was kept")
        nbgrader = {"nbgrader": metadata["nbgrader"]} if "nbgrader" in metadata else {}
        return _NEW_CELL[cell_type](source=source, metadata=nbgrader), problems


def _source_text(source, problems):
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        lines = [line for line in source if isinstance(line, str)]
        if len(lines) < len(source):
            problems.append(f"{len(source) - len(lines)} line(s) of the source are not text; left out")
        return "".join(lines)
    problems.append(f"source is {_kind(source)}, not text; read as empty")
    return ""


def _json_dict(value, what, problems):
    """A copy of ``value`` if it is a dict of acceptable depth, else {} and a problem."""
    if not isinstance(value, dict):
        problems.append(f"{what} is {_kind(value)}, not a dict; left out")
        return {}
    if _deeper_than(value, MAX_METADATA_DEPTH):
        problems.append(f"{what} is nested more than {MAX_METADATA_DEPTH} levels deep; left out")
        return {}
    return copy.deepcopy(value)


def _check_nbgrader(metadata, problems):
    """Remove nbgrader metadata the grader cannot use, saying why."""
    meta = metadata.get("nbgrader", {})
    if not isinstance(meta, dict):
        why = f"nbgrader metadata is {_kind(meta)}, not a dict"
    elif not isinstance(meta.get("grade_id", ""), str):
        why = f"grade_id is {_kind(meta['grade_id'])}, not text"
    else:
        if "points" in meta and not _is_number(meta["points"]):
            problems.append(f"points is {_kind(meta['points'])}, not a number; left out")
            del meta["points"]
        return
    problems.append(f"{why}; graded as a plain cell")
    del metadata["nbgrader"]


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _deeper_than(value, limit):
    """Whether lists and dicts nest more than ``limit`` levels in ``value`` (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _shown(value):
    """A short quote of a string, else what kind of value it is."""
    return repr(value[:40]) if isinstance(value, str) and value else _kind(value)


def _kind(value):
    """What a JSON value is, for messages: 'a string', 'null', 'missing'..."""
    if value is _MISSING:
        return "missing"
    if value is None:
        return "null"
    kinds = [(bool, "a boolean"), (str, "a string"), ((int, float), "a number"), (list, "a list"),
             (dict, "a dict")]
    return next((name for types, name in kinds if isinstance(value, types)), f"a {type(value).__name__}")


def write(nb, path):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def nbgrader_meta(cell):
    """The cell's nbgrader metadata; {} when it has none or it is not a dict."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def is_answer_cell(cell):
    """A cell the student writes and the tests grade (solution, not graded itself)."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and meta.get("solution", False) and not meta.get("grade", False)


def is_test_cell(cell):
    """An autograder test cell: graded, locked, not a solution."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and meta.get("grade", False) and not meta.get("solution", False)


def test_cells(nb):
    """{grade_id: points} of the autograded test cells, in notebook order."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0))
            for c in nb.cells if is_test_cell(c)}


def tests_of_answers(nb):
    """{answer grade_id: [test grade_ids]}: the test cells after an answer, up to the next answer."""
    mapping, current = {}, None
    for cell in nb.cells:
        if is_answer_cell(cell):
            current = nbgrader_meta(cell)["grade_id"]
            mapping[current] = []
        elif is_test_cell(cell) and current is not None:
            mapping[current].append(nbgrader_meta(cell)["grade_id"])
    return mapping


def strip_solution_markers(source):
    """The solution as a student would type it: the nbgrader markers removed."""
    return SOLUTION_MARKERS.sub("", source)


def cell_by_grade_id(nb, grade_id):
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def errors(nb):
    """[(cell label, 'Name: message')] for every error output in an executed notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                label = nbgrader_meta(cell).get("grade_id") or f"cell {index}"
                found.append((label, f"{output.get('ename')}: {output.get('evalue')}"))
    return found


def content_fingerprint(path):
    """The authored content of a notebook: cell types, sources and metadata, no outputs.

    Used to compare generated notebooks: executed outputs (widget ids, image
    bytes, library versions) legitimately vary from run to run.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = [{"cell_type": c["cell_type"], "source": "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
              "metadata": {k: v for k, v in c.get("metadata", {}).items() if k != "execution"}}
             for c in nb["cells"]]
    return {"cells": cells, "kernelspec": nb.get("metadata", {}).get("kernelspec")}
