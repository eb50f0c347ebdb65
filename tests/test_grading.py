"""The course's tests, proved: full marks for the solution, zero for the release, and for every
known answer of the bank (tests/known_answers) a verdict in its own test cells only, with the
mistake named. One sandboxed process per notebook tries every answer (autograder/bank_run.py);
the bundled sample class is graded end to end through the command line."""
import pytest

from autograder import course as course_module
from autograder import notebooks
from autograder.grading import Options
from autograder.paths import SOURCE_DIR, list_notebooks
from autograder.sandbox import bwrap_path
from autograder.selfcheck import self_check
from conftest import ASSIGNMENTS, CELL_TIMEOUT
from known_answers import HANGS, RIGHT, WRONG

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def proof():
    """{(assignment, case): Check} for every assignment under test, proved once."""
    options = Options(timeout=CELL_TIMEOUT, use_sandbox=bool(bwrap_path()), feedback=False)
    checks = self_check(ASSIGNMENTS, course=course_module.load(), options=options, log=lambda message: None)
    return {(c.assignment, c.case): c for c in checks}


def _explain(check):
    return f"expected: {check.expected}; got: {check.caught_by}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks(proof, assignment):
    check = proof[(assignment, "solution")]
    assert check.ok, _explain(check)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_scores_zero(proof, assignment):
    check = proof[(assignment, "release")]
    assert check.ok, _explain(check)


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
def test_known_wrong_answer_loses_points_in_its_own_cell_only_and_is_named(proof, assignment, wrong):
    check = proof[(assignment, f"wrong:{wrong.key}")]
    assert check.caught_by and not check.caught_by.startswith(" |"), f"{wrong.key} still gets full marks"
    assert check.isolated, f"{wrong.key} costs points in other cells too: {check.caught_by}"
    assert wrong.hint, f"{wrong.key} has no hint: say what the message must name"
    assert check.named, f"the feedback should name the mistake ({wrong.hint!r}); got: {check.caught_by}"


@pytest.mark.parametrize("assignment,right", RIGHT_CASES, ids=[r.key for _, r in RIGHT_CASES])
def test_correct_alternative_keeps_full_marks(proof, assignment, right):
    check = proof[(assignment, f"right:{right.key}")]
    assert check.ok, f"{right.key} loses points: {check.caught_by}"


@pytest.mark.parametrize("assignment", sorted(set(HANGS) & set(ASSIGNMENTS)))
def test_a_cell_that_never_finishes_costs_only_its_tests(proof, assignment):
    check = proof[(assignment, f"hangs:{HANGS[assignment].key}")]
    assert check.ok, _explain(check)


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
