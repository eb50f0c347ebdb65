"""Submitted notebooks that are malformed are graded with a flag or refused with a reason, never a crash."""
import copy
import json
import os

import nbformat
import pytest

from autograder import notebooks
from autograder.assemble import assemble
from autograder.notebooks import UnreadableNotebook, read_submission
from autograder.paths import EXERCISES_DIR, SOURCE_DIR

ANSWER = "def f(x):\n    return 2 * x"
TESTS = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS\n"


def _meta(grade_id, solution, points=0):
    return {"nbgrader": {"grade": not solution, "grade_id": grade_id, "locked": not solution, "points": points,
                         "schema_version": 3, "solution": solution}}


def source_nb():
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                                  metadata=_meta("f_answer", True)),
        nbformat.v4.new_code_cell(TESTS, metadata=_meta("f_tests", False, points=2)),
    ])


def honest():
    """The student's notebook as JSON on disk: cell 1 the answer, cell 2 the visible tests."""
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a1", "metadata": _meta("f_answer", True), "source": ANSWER.splitlines(True),
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "id": "t1", "metadata": _meta("f_tests", False, points=2),
         "source": "assert f(1) == 2\n", "outputs": [], "execution_count": 3},
    ]}


def answer_cell(change):
    def edit(nb):
        change(nb["cells"][0])
    return edit


def answer_meta(value):
    return answer_cell(lambda cell: cell["metadata"].update(nbgrader=value))


UNANSWERED = ("missing answer cell", "f_answer: not in the submission; the released empty cell was graded")

# name: (what to break, the flags expected, whether the student's answer is still graded)
CASES = {
    "nbgrader metadata a string": (answer_meta("f_answer"), [
        ("malformed cell", "cell 1: nbgrader metadata is a string, not a dict; graded as a plain cell"),
        UNANSWERED], False),
    "nbgrader metadata a list": (answer_meta(["f_answer"]), [
        ("malformed cell", "cell 1: nbgrader metadata is a list, not a dict; graded as a plain cell"),
        UNANSWERED], False),
    "nbgrader metadata null": (answer_meta(None), [
        ("malformed cell", "cell 1: nbgrader metadata is null, not a dict; graded as a plain cell"),
        UNANSWERED], False),
    "nbgrader metadata a number": (answer_meta(7), [
        ("malformed cell", "cell 1: nbgrader metadata is a number, not a dict; graded as a plain cell"),
        UNANSWERED], False),
    "grade_id a number": (answer_cell(lambda c: c["metadata"]["nbgrader"].update(grade_id=5)), [
        ("malformed cell", "cell 1: grade_id is a number, not text; graded as a plain cell"), UNANSWERED], False),
    "grade_id a list": (answer_cell(lambda c: c["metadata"]["nbgrader"].update(grade_id=["f_answer"])), [
        ("malformed cell", "cell 1: grade_id is a list, not text; graded as a plain cell"), UNANSWERED], False),
    "points a string": (answer_cell(lambda c: c["metadata"]["nbgrader"].update(points="lots")), [
        ("malformed cell", "cell 1: points is a string, not a number; left out"),
        ("changed nbgrader metadata", "f_answer: restored from the source")], True),
    "no source": (answer_cell(lambda c: c.pop("source")), [
        ("malformed cell", "cell 1: source is missing, not text; read as empty")], False),
    "source a number": (answer_cell(lambda c: c.update(source=42)), [
        ("malformed cell", "cell 1: source is a number, not text; read as empty")], False),
    "source with lines that are not text": (answer_cell(lambda c: c["source"].append(None)), [
        ("malformed cell", "cell 1: 1 line(s) of the source are not text; left out")], True),
    "source as one string": (answer_cell(lambda c: c.update(source=ANSWER)), [], True),
    "no cell_type": (answer_cell(lambda c: c.pop("cell_type")), [
        ("malformed cell", "cell 1: cell_type is missing, not code, markdown or raw; kept as a raw cell"),
        ("changed cell type", "f_answer: was raw, graded as code")], True),
    "an unknown cell_type": (answer_cell(lambda c: c.update(cell_type="python")), [
        ("malformed cell", "cell 1: cell_type is 'python', not code, markdown or raw; kept as a raw cell"),
        ("changed cell type", "f_answer: was raw, graded as code")], True),
    "cell_type a list": (answer_cell(lambda c: c.update(cell_type=["code"])), [
        ("malformed cell", "cell 1: cell_type is a list, not code, markdown or raw; kept as a raw cell"),
        ("changed cell type", "f_answer: was raw, graded as code")], True),
    "cell metadata a list": (answer_cell(lambda c: c.update(metadata=[1])), [
        ("malformed cell", "cell 1: metadata is a list, not a dict; left out"), UNANSWERED], False),
    "metadata nbformat rejects": (answer_cell(lambda c: c["metadata"].update(tags=5, collapsed="yes")), [
        ("malformed cell", "cell 1: metadata or attachments are not valid nbformat; only the nbgrader "
                           "metadata was kept")], True),
    "metadata nested 100 deep": (answer_cell(lambda c: c["metadata"].update(deep=json.loads("[" * 100 + "]" * 100))), [
        ("malformed cell", "cell 1: metadata is nested more than 64 levels deep; left out"), UNANSWERED], False),
    "a cell that is a string": (lambda nb: nb["cells"].insert(0, "print('hi')"), [
        ("malformed cell", "cell 1: a string, not a cell; dropped")], True),
    "a cell that is null": (lambda nb: nb["cells"].append(None), [
        ("malformed cell", "cell 3: null, not a cell; dropped")], True),
    "cells a dict": (lambda nb: nb.update(cells={"0": nb["cells"][0]}), [
        ("malformed notebook", "cells is a dict, not a list; read as a notebook without cells"), UNANSWERED,
        ("deleted test cell", "f_tests: re-added from the source")], False),
    "notebook metadata a string": (lambda nb: nb.update(metadata="x"), [
        ("malformed notebook", "the notebook's metadata is a string, not a dict; left out")], True),
    "notebook metadata nbformat rejects": (lambda nb: nb["metadata"].update(kernelspec=5), [
        ("malformed notebook", "the notebook's metadata is not valid nbformat; left out")], True),
    "outputs that are not outputs": (answer_cell(lambda c: c.update(outputs="lots", execution_count="x")), [], True),
}


def write(path, raw):
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_submission_is_graded_with_flags(tmp_path, case):
    change, expected, answered = CASES[case]
    raw = honest()
    change(raw)
    submitted, read_flags = read_submission(write(tmp_path / "nb.ipynb", raw))
    nbformat.validate(submitted)  # whatever came in, a valid notebook comes out
    nb, flags = assemble(source_nb(), submitted)
    assert read_flags + flags == expected
    nbformat.validate(nb)
    answer = notebooks.cell_by_grade_id(nb, "f_answer").source
    assert (answer == ANSWER) == answered
    assert notebooks.cell_by_grade_id(nb, "f_tests").source == TESTS


@pytest.mark.parametrize("case", list(CASES))
def test_assemble_alone_never_raises_on_a_malformed_notebook(case):
    """A notebook read some other way (nbformat's own reader passes most of these through) still assembles."""
    change, expected, _ = CASES[case]
    raw = honest()
    change(raw)
    frozen = copy.deepcopy(raw)
    nb, flags = assemble(source_nb(), nbformat.from_dict(raw))
    assert flags == expected
    assert raw == frozen, "the submission is not modified"
    nbformat.validate(nb)


def test_an_honest_submission_reads_without_flags(tmp_path):
    submitted, flags = read_submission(write(tmp_path / "nb.ipynb", honest()))
    assert flags == [] and assemble(source_nb(), submitted)[1] == []


def test_the_real_release_reads_and_assembles_without_flags():
    name = "01_chain_rule"
    release, flags = read_submission(EXERCISES_DIR / name / f"{name}.ipynb")
    assert flags == []
    assert assemble(notebooks.read(SOURCE_DIR / name / f"{name}.ipynb"), release)[1] == []


def test_an_nbformat_3_notebook_is_converted(tmp_path):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "x = 1", "language": "python", "metadata": {}, "outputs": []}]}]}
    nb, flags = read_submission(write(tmp_path / "old.ipynb", v3))
    assert flags == [] and [c.source for c in nb.cells] == ["x = 1"]


@pytest.mark.parametrize("data, reason", [
    (b"", "not JSON"),
    (b"\x00\x01 binary", "not JSON"),
    (b'{"cells": [', "not JSON"),
    ('{"cells": [], "x": "caf\xe9"}'.encode("latin-1"), "not JSON"),
    (b"[1, 2]", "not a notebook: the JSON is a list without cells"),
    (b'"cells"', "not a notebook: the JSON is a string without cells"),
    (b'{"hello": 1}', "not a notebook: the JSON is a dict without cells"),
    (b'{"cells": [' + b"1" * 5000 + b"]}", "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "the JSON is nested too deeply to read"),
    (b'{"nbformat": 3, "worksheets": 5}', "an nbformat 3 notebook that cannot be converted"),
])
def test_a_file_that_is_no_notebook_is_refused_with_a_reason(tmp_path, data, reason):
    (tmp_path / "nb.ipynb").write_bytes(data)
    with pytest.raises(UnreadableNotebook, match=reason):
        read_submission(tmp_path / "nb.ipynb")


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path):
    path = write(tmp_path / "big.ipynb", dict(honest(), padding="x" * 5000))
    too_big = r"the file has 5,\d{3} bytes, more than the 1,000 a notebook may have"
    with pytest.raises(UnreadableNotebook, match=too_big):
        read_submission(path, max_bytes=1000)
    assert read_submission(path)[1] == [], "the default limit (50 MB) lets it through"


def test_a_pipe_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "nb.ipynb")  # with no writer: opening it the usual way would wait forever
    with pytest.raises(UnreadableNotebook, match="not a regular file"):
        read_submission(tmp_path / "nb.ipynb")
    with pytest.raises(UnreadableNotebook, match="not a regular file"):
        read_submission(tmp_path)


def test_nbgrader_meta_is_safe_on_anything():
    for cell in [None, 5, "x", {}, {"metadata": None}, {"metadata": [1]}, {"metadata": {"nbgrader": "x"}}]:
        assert notebooks.nbgrader_meta(cell) == {}
    assert notebooks.nbgrader_meta({"metadata": {"nbgrader": {"grade_id": "a"}}}) == {"grade_id": "a"}


def test_cell_ids_are_kept_when_valid_and_unique(tmp_path):
    raw = honest()
    raw["cells"] += [dict(raw["cells"][1], id="t1"), dict(raw["cells"][1], id="bad id!"), dict(raw["cells"][1], id=7)]
    nb, _ = read_submission(write(tmp_path / "nb.ipynb", raw))
    ids = [c.id for c in nb.cells]
    assert ids[:2] == ["a1", "t1"] and len(set(ids)) == 5
    nbformat.validate(nb)


def test_a_notebook_with_too_many_cells_is_refused(tmp_path):
    raw = honest()
    raw["cells"] = [raw["cells"][1]] * (notebooks.MAX_CELLS + 1)
    with pytest.raises(UnreadableNotebook, match="10,001 cells, more than the 10,000 a notebook may have"):
        read_submission(write(tmp_path / "nb.ipynb", raw))
