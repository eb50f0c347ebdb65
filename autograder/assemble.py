"""Build the notebook to grade from the instructor's source and a student's submission.

The source decides every graded or locked cell (hidden tests included); the
submission contributes its answer cells (matched by grade_id) and any cells
of its own, kept where the student put them. Whatever had to be repaired is
returned as flags: edited or deleted locked cells, missing answers, changed
nbgrader metadata, unknown or duplicated grade_ids, and malformed cells (the
submission goes through ``notebooks.normalise_submission`` first, so any
notebook assembles; the source is trusted).
"""
import copy
import re

import nbformat

from .notebooks import nbgrader_meta, normalise_submission

HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.MULTILINE | re.DOTALL)
SOLUTION_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION[ \t]*$", re.MULTILINE | re.DOTALL)


def visible_source(source):
    """A test cell as students see it: the hidden tests removed."""
    return HIDDEN_TESTS.sub("", source)


def released_answer(source):
    """An answer cell as released: each solution region replaced by nbgrader's stub."""
    return SOLUTION_REGION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()",
                               source)


def _normalised(source):
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _is_answer(meta):
    return bool(meta.get("solution"))


def _grade_id(cell):
    """The cell's grade_id, None unless it is a non-empty str."""
    grade_id = nbgrader_meta(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def assemble(source_nb, submitted_nb):
    """(notebook to run, [(flag, detail)]). Neither input is modified."""
    submitted_nb, flags = normalise_submission(submitted_nb)
    source_ids = [_grade_id(c) for c in source_nb.cells if _grade_id(c)]
    known = set(source_ids)

    # The student's cells: answers by grade_id, the rest as free cells before the next known cell.
    answers, locked_copies, free_before, trailing = {}, {}, {}, []
    seen = set()
    pending = []
    for cell in submitted_nb.cells:
        grade_id = _grade_id(cell)
        if grade_id and grade_id in known and grade_id not in seen:
            seen.add(grade_id)
            free_before[grade_id] = pending
            pending = []
            (answers if _is_answer(_source_meta(source_nb, grade_id)) else locked_copies)[grade_id] = cell
            continue
        if grade_id in seen:
            flags.append(("duplicated cell", f"a second cell with grade_id {grade_id!r} was graded as a plain cell"))
        elif grade_id:
            flags.append(("unknown cell", f"grade_id {grade_id!r} is not in this assignment; graded as a plain cell"))
        pending.append(_plain_copy(cell))
    trailing = pending

    cells = []
    for src in source_nb.cells:
        grade_id = _grade_id(src)
        if not grade_id:
            continue  # the student's own copy of an ungraded cell comes in as a free cell
        cells.extend(free_before.get(grade_id, []))
        meta = nbgrader_meta(src)
        if _is_answer(meta):
            cells.append(_answer_cell(src, answers.get(grade_id), flags))
        else:
            cells.append(_locked_cell(src, locked_copies.get(grade_id), flags))
    cells.extend(trailing)

    result = nbformat.v4.new_notebook(metadata=copy.deepcopy(source_nb.metadata))
    result.cells = cells
    return result, flags


def _source_meta(source_nb, grade_id):
    for cell in source_nb.cells:
        if _grade_id(cell) == grade_id:
            return nbgrader_meta(cell)
    return {}


def _plain_copy(cell):
    cell = copy.deepcopy(cell)
    cell.get("metadata", {}).pop("nbgrader", None)
    return cell


def _answer_cell(src, submitted, flags):
    grade_id = nbgrader_meta(src)["grade_id"]
    cell = copy.deepcopy(src)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    if submitted is None:
        flags.append(("missing answer cell", f"{grade_id}: not in the submission; the released empty cell was graded"))
        cell.source = released_answer(src.source)
        return cell
    if submitted.cell_type != src.cell_type:
        flags.append(("changed cell type", f"{grade_id}: was {submitted.cell_type}, graded as {src.cell_type}"))
    if _meta_changed(nbgrader_meta(submitted), nbgrader_meta(src)):
        flags.append(("changed nbgrader metadata", f"{grade_id}: restored from the source"))
    cell.source = submitted.source
    return cell


def _locked_cell(src, submitted, flags):
    grade_id = nbgrader_meta(src)["grade_id"]
    cell = copy.deepcopy(src)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    what = "test cell" if nbgrader_meta(src).get("grade") else "locked cell"
    if submitted is None:
        flags.append((f"deleted {what}", f"{grade_id}: re-added from the source"))
        return cell
    if _normalised(submitted.source) != _normalised(visible_source(src.source)):
        flags.append((f"edited {what}", f"{grade_id}: restored from the source"))
    if _meta_changed(nbgrader_meta(submitted), nbgrader_meta(src)):
        flags.append(("changed nbgrader metadata", f"{grade_id}: restored from the source"))
    return cell


def _meta_changed(submitted, source):
    keys = ("grade", "solution", "locked", "points", "grade_id")
    return any(submitted.get(k) != source.get(k) for k in keys)
