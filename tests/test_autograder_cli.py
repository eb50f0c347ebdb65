"""The command line: clear errors for bad input, validate's verdicts, the table format."""
import subprocess
import sys

import pytest

from autograder.results import AssignmentGrade
from autograder.paths import EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR
from autograder.report import format_summary


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_grade_refuses_a_missing_folder(tmp_path):
    proc = run("grade", tmp_path / "nope", "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "is not a folder of submissions" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_grade_refuses_a_folder_without_students(tmp_path):
    (tmp_path / "subs").mkdir()
    proc = run("grade", tmp_path / "subs", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "no student folders" in proc.stderr


def test_grade_refuses_an_unknown_assignment(tmp_path):
    (tmp_path / "subs" / "ann" / "99_nothing").mkdir(parents=True)
    proc = run("grade", tmp_path / "subs", "--out", tmp_path / "out", "--assignment", "99_nothing")
    assert proc.returncode == 2 and "unknown assignment" in proc.stderr


def test_format_summary_aligns_and_marks_missing_work():
    table = format_summary([AssignmentGrade("ann", "01_chain_rule", 22, 22, "graded"),
                            AssignmentGrade("bo", "01_chain_rule", 0, 22, "not_submitted")])
    lines = table.splitlines()
    assert lines[0].split() == ["student", "assignment", "score", "max", "%", "status"]
    assert lines[2].split() == ["ann", "01_chain_rule", "22", "22", "100", "graded"]
    assert lines[3].split()[-2:] == ["not", "submitted"]
    assert lines[0].index("assignment") == lines[2].index("01_chain_rule") == lines[3].index("01_chain_rule")
    assert lines[0].index("status") == lines[2].index("graded")


@pytest.mark.slow
def test_validate_passes_the_solution_and_fails_the_release():
    solution = next(SOLUTIONS_DIR.glob("01_chain_rule/*.ipynb"))
    release = next(EXERCISES_DIR.glob("01_chain_rule/*.ipynb"))
    good, bad = run("validate", solution), run("validate", release)
    assert good.returncode == 0 and good.stdout.startswith("PASS"), good.stdout + good.stderr
    assert bad.returncode == 1 and bad.stdout.startswith("FAIL"), bad.stdout + bad.stderr
    assert "NotImplementedError" in bad.stdout
