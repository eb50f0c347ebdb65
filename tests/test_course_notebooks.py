"""The authored notebooks follow the course's nbgrader conventions."""
import ast
import re

import pytest

from autograder import notebooks
from conftest import source_notebook_paths

SOURCES = source_notebook_paths()
IDS = [p.stem for p in SOURCES]


def test_there_is_a_course():
    assert SOURCES, "course/source/ holds no notebooks"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_nbgrader_metadata_is_schema_3_and_ids_unique(path):
    from nbgrader.nbgraderformat import (MetadataValidator, SchemaTooNewError, SchemaTooOldError,
                                        ValidationError)

    nb = notebooks.read(path)
    try:
        MetadataValidator().validate_nb(nb)
    except (ValidationError, SchemaTooOldError, SchemaTooNewError) as exc:
        pytest.fail(f"{path.name}: nbgrader rejects the metadata: {exc}")
    ids = [notebooks.nbgrader_meta(c)["grade_id"] for c in nb.cells if notebooks.nbgrader_meta(c)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate grade_ids: {duplicates}"
    assert all(notebooks.nbgrader_meta(c).get("schema_version") == 3 for c in nb.cells if notebooks.nbgrader_meta(c))


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_every_answer_is_followed_by_tests_with_hidden_tests(path):
    nb = notebooks.read(path)
    mapping = notebooks.tests_of_answers(nb)
    assert mapping, "the notebook has no graded answer cells"
    for answer, tests in mapping.items():
        assert tests, f"answer cell {answer} has no test cell after it"
        for grade_id in tests:
            source = notebooks.cell_by_grade_id(nb, grade_id).source
            assert "### BEGIN HIDDEN TESTS" in source and "### END HIDDEN TESTS" in source, \
                f"{grade_id} has no hidden tests"
            visible = source.split("### BEGIN HIDDEN TESTS")[0]
            assert re.search(r"\bassert", visible), f"{grade_id} has no visible test"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_test_cells_open_with_a_docstring_and_are_locked(path):
    nb = notebooks.read(path)
    for cell in nb.cells:
        if notebooks.is_test_cell(cell):
            meta = notebooks.nbgrader_meta(cell)
            assert meta["locked"] and meta["points"] > 0, f"{meta['grade_id']}: locked, with points"
            module = ast.parse(cell.source.replace("%matplotlib inline", ""))
            assert ast.get_docstring(module), f"{meta['grade_id']} should open with a one-line docstring"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_solutions_sit_inside_function_bodies(path):
    """The release keeps each signature and docstring: markers are inside the def."""
    nb = notebooks.read(path)
    for cell in nb.cells:
        if notebooks.is_answer_cell(cell):
            lines = cell.source.splitlines()
            begin = next(i for i, line in enumerate(lines) if "### BEGIN SOLUTION" in line)
            assert any(line.startswith("def ") for line in lines[:begin]), \
                f"{notebooks.nbgrader_meta(cell)['grade_id']}: put the solution markers inside the function"
            assert lines[begin].startswith("    "), "the markers should be indented into the body"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_test_cells_read_only_what_the_judge_has(path):
    """Rules 1 and 2 of course/README.md: test cells read names of given cells, of answer cells and
    their own, and assign no name of the notebook (so they run unchanged in the judge)."""
    from autograder.cells import check_test_cells
    problems = check_test_cells(notebooks.read(path))
    assert not problems, "\n".join(f"{p.grade_id}: {p.message}" for p in problems)
