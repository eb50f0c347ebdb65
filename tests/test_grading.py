"""Autograding proves the tests: full marks for the solution, zero for the release,
lost points for each known wrong answer, and the sample class graded as described."""
import pytest

from autograder import notebooks
from autograder.paths import SOURCE_DIR, list_notebooks
from autograder.selfcheck import answer_test_cells
from conftest import ASSIGNMENTS
from known_answers import HANGS, RIGHT, WRONG

pytestmark = pytest.mark.slow


def _test_cells(assignment):
    cells = {}
    for name in list_notebooks(assignment):
        cells.update(notebooks.test_cells(notebooks.read(SOURCE_DIR / assignment / f"{name}.ipynb")))
    return cells


def _tests_of(assignment, answer_id):
    return answer_test_cells(assignment)[answer_id]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks(graded_class, assignment):
    for grade_id, points in _test_cells(assignment).items():
        row = graded_class["cells"][("solution", assignment, grade_id)]
        assert row["status"] == "passed", f"{grade_id}: {row['detail']}"
        assert float(row["score"]) == points


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_scores_zero(graded_class, assignment):
    for grade_id in _test_cells(assignment):
        row = graded_class["cells"][("release", assignment, grade_id)]
        assert float(row["score"]) == 0, f"{grade_id} gives points for an empty answer"
        assert row["status"] == "failed"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_answer_cell_has_known_wrong_answers(assignment):
    answers = set()
    for name in list_notebooks(assignment):
        answers |= set(notebooks.tests_of_answers(notebooks.read(SOURCE_DIR / assignment / f"{name}.ipynb")))
    covered = {w.grade_id for w in WRONG.get(assignment, [])}
    assert answers <= covered, f"no known wrong answer for {sorted(answers - covered)}"


WRONG_CASES = [(a, w) for a, ws in WRONG.items() if a in ASSIGNMENTS for w in ws]
RIGHT_CASES = [(a, r) for a, rs in RIGHT.items() if a in ASSIGNMENTS for r in rs]


@pytest.mark.parametrize("assignment,wrong", WRONG_CASES, ids=[w.key for _, w in WRONG_CASES])
def test_known_wrong_answer_loses_points(graded_class, assignment, wrong):
    student = f"wrong_{wrong.key}"
    rows = [graded_class["cells"][(student, assignment, t)] for t in _tests_of(assignment, wrong.grade_id)]
    lost = sum(float(r["max_score"]) - float(r["score"]) for r in rows)
    assert lost > 0, f"{wrong.key} still gets full marks on {[r['grade_id'] for r in rows]}"
    if wrong.hint:
        details = " | ".join(r["detail"] for r in rows)
        assert wrong.hint in details, f"the feedback should name the mistake ({wrong.hint!r}); got: {details}"


@pytest.mark.parametrize("assignment,right", RIGHT_CASES, ids=[r.key for _, r in RIGHT_CASES])
def test_correct_alternative_keeps_full_marks(graded_class, assignment, right):
    for grade_id in _test_cells(assignment):
        row = graded_class["cells"][(f"right_{right.key}", assignment, grade_id)]
        assert row["status"] == "passed", f"{right.key} loses points on {grade_id}: {row['detail']}"


@pytest.mark.parametrize("assignment", sorted(set(HANGS) & set(ASSIGNMENTS)))
def test_a_cell_that_never_finishes_costs_only_its_tests(graded_class, assignment):
    hung_tests = _tests_of(assignment, HANGS[assignment].grade_id)
    for grade_id in _test_cells(assignment):
        row = graded_class["cells"][("hangs", assignment, grade_id)]
        if grade_id in hung_tests:
            assert row["status"] == "failed", f"{grade_id} should fail after the timeout"
        else:
            assert row["status"] == "passed", f"{grade_id} should still pass: {row['detail']}"


def test_sample_class_grades_as_described(graded_class):
    summary = graded_class["summary"]
    for assignment in ASSIGNMENTS:
        perfect = summary[("alice_perfect", assignment)]
        partial = summary[("bob_partial", assignment)]
        blank = summary[("carol_blank", assignment)]
        broken = summary[("dave_broken", assignment)]
        assert float(perfect["score"]) == float(perfect["max_score"]) > 0
        assert 0 < float(partial["score"]) < float(partial["max_score"])
        assert float(blank["score"]) == 0 and blank["status"] == "graded"
        assert broken["status"] == "not_graded" and float(broken["score"]) == 0
        broken_cells = [r for r in graded_class["rows"] if r["student_id"] == "dave_broken"]
        assert broken_cells and all("unreadable notebook" in r["detail"] for r in broken_cells)


def test_grade_table_lists_every_student(graded_class):
    table = graded_class["table"]
    assert table.splitlines()[0].split()[:4] == ["student", "assignment", "score", "max"]
    for student, _ in graded_class["summary"]:
        assert student in table
    assert "not graded" in table


def test_grades_csv_has_the_documented_columns(graded_class):
    assert list(graded_class["rows"][0])[:7] == ["student_id", "assignment", "notebook", "grade_id",
                                                "score", "max_score", "status"]
    assert (graded_class["out"] / "autograded").is_dir()
