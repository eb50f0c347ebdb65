"""Reading nbgrader notebooks: which cells are answers, which are tests."""
import json
import re
from pathlib import Path

import nbformat

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def read(path):
    return nbformat.read(str(path), as_version=4)


def write(nb, path):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer_cell(cell):
    """A cell the student writes and the tests grade (solution, not graded itself)."""
    meta = nbgrader_meta(cell)
    return cell["cell_type"] == "code" and meta.get("solution", False) and not meta.get("grade", False)


def is_test_cell(cell):
    """An autograder test cell: graded, locked, not a solution."""
    meta = nbgrader_meta(cell)
    return cell["cell_type"] == "code" and meta.get("grade", False) and not meta.get("solution", False)


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
