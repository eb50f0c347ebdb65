"""The instructor's loop end to end on a small class (tests/instructor_class.py): `grade --gradebook` with
due dates, an extension and the similarity report; nbgrader's export and feedback on those grades; a
regrade of one student; the grades exported for the LMS."""
import subprocess
import sys
from datetime import datetime

import pytest

from autograder.cli import main
from autograder.feedback import render
from autograder.report import read_csv
from autograder.results import AssignmentGrade, CellGrade
from instructor_class import (ASSIGNMENT, EXTENSIONS, build_class, copy_course, gradebook, nbgrader_env,
                              run_grade)

pytestmark = pytest.mark.slow
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """The class graded once into a copy of the course, with its gradebook; the paths and the outputs."""
    root = tmp_path_factory.mktemp("term")
    course, submissions, out = copy_course(root / "course"), build_class(root / "submitted"), root / "grades"
    (submissions / "ann" / ASSIGNMENT / "submission_secret.txt").write_text("ann-secret")  # nbgrader's exchange
    (root / "extensions.csv").write_text(EXTENSIONS)
    proc = run_grade(submissions, out, course, "--gradebook", "--extensions", root / "extensions.csv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "gradebook sqlite:///" in proc.stderr and "4 notebook(s) recorded (1 not submitted" in proc.stderr
    return {"root": root, "course": course, "submissions": submissions, "out": out, "table": proc.stdout,
            "summary": {r["student_id"]: r for r in read_csv(out / "summary.csv")},
            "cells": read_csv(out / "grades.csv"), "flags": read_csv(out / "flags.csv")}


def nbgrader(term, *args):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *map(str, args)], cwd=term["course"],
                          env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


# ---------------------------------------------------------------- deadlines

def test_late_and_extended_students_are_scored_by_the_policy(term):
    summary = term["summary"]
    assert list(summary["ann"])[:5] == ["student_id", "assignment", "score", "max_score", "status"]
    ann, ben, cat, dave = (summary[s] for s in ("ann", "ben", "cat", "dave"))
    assert (ann["score"], ann["late_penalty"], ann["submitted_from"]) == ("22.0", "0.0", "lms import (mtime)")
    assert ann["submitted_at"] == "2026-09-15T20:00:00+02:00"   # a naive LMS time, read in the course's zone
    # Ben: 25 hours late by timestamp.txt: two started days at 10% of the maximum 22.
    assert (ben["raw_score"], ben["late_penalty"], ben["score"]) == ("22.0", "4.4", "17.6")
    assert (ben["submitted_at"], ben["submitted_from"]) == ("2026-09-17T00:59:00+02:00", "timestamp.txt")
    # Cat: 5 hours late by her file's time, within her 48 extra hours.
    assert (cat["late_penalty"], cat["score"]) == ("0.0", cat["raw_score"]) and float(cat["raw_score"]) > 0
    assert (cat["due_at"], cat["submitted_from"]) == ("2026-09-17T23:59:00+02:00", "file modification time")
    assert (dave["status"], dave["submitted_at"], dave["late_penalty"]) == ("not_submitted", "", "0.0")
    assert term["table"].splitlines()[0].split()[-1] == "late" and "-4.4" in term["table"]


def test_the_feedback_page_shows_the_penalty_and_never_a_hidden_test(term):
    page = (term["out"] / "feedback" / "ben" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "2 started days x 10% of the maximum 22 = 4.4 points off" in page
    assert "<b>17.6 / 22</b>" in page
    for student in ("ann", "ben", "cat"):
        page = (term["out"] / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert "HIDDEN" not in page and "Traceback" not in page and "similar" not in page


def test_the_feedback_page_lists_the_parts_of_a_partial_score():
    row = CellGrade("ann", "03", "03", "forward_tests", 1.0, 3.0, "partial", "Z2 is wrong")
    parts = {"forward_tests": [{"name": "Z1", "score": 1.0, "points": 1.0},
                               {"name": "Z2", "score": 0.0, "points": 2.0, "message": "Z2 is wrong"}]}
    late = AssignmentGrade("ann", "03", 0.5, 3.0, "graded", raw_score=1.0, late_penalty=0.5,
                           due_at="2026-09-15T23:59:00+02:00", late_detail="Submitted 1 h late")
    page = render("ann", "03", "03", [row], [], None, parts, late)
    assert "<td>Z1</td><td>1 / 1</td><td>passed</td>" in page and "<td>Z2</td><td>0 / 2</td>" in page
    assert "Submitted 1 h late" in page and "0.5 off for lateness" in page


# ---------------------------------------------------------------- nbgrader's gradebook

def test_the_gradebook_holds_the_students_times_scores_and_flags(term):
    from nbgrader.api import MissingEntry
    with gradebook(term["course"]) as gb:
        assert sorted(s.id for s in gb.students) == ["ann", "ben", "cat", "dave"]
        for row in term["cells"]:
            key = (row["grade_id"], row["notebook"], row["assignment"], row["student_id"])
            if row["status"] == "not_submitted":
                with pytest.raises(MissingEntry):
                    gb.find_grade(*key)
            else:
                assert gb.find_grade(*key).auto_score == float(row["score"])
        assert gb.find_submission(ASSIGNMENT, "ben").timestamp == datetime(2026, 9, 16, 22, 59)  # UTC
        assert gb.find_assignment(ASSIGNMENT).duedate == datetime(2026, 9, 15, 21, 59)
        flagged = {s: gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, s).flagged for s in ("ann", "ben", "cat")}
        assert flagged == {"ann": True, "ben": True, "cat": False}   # the copied pair
        assert gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ben").late_submission_penalty == \
            pytest.approx(4.4)
    # The formgrader's copy (which generate_feedback shows the student) names no other student.
    placed = (term["course"] / "autograded" / "ben" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "similar" not in placed and "HIDDEN TESTS" not in placed


def test_nbgrader_export_totals_equal_the_summary_after_the_penalty(term):
    out = term["root"] / "nbgrader_export.csv"
    nbgrader(term, "export", "--to", out)
    exported = {r["student_id"]: r for r in read_csv(out)}
    assert set(exported) == set(term["summary"])
    for student, row in term["summary"].items():
        ours = exported[student]
        assert float(ours["raw_score"]) == pytest.approx(float(row["raw_score"])), student
        assert float(ours["late_submission_penalty"]) == pytest.approx(float(row["late_penalty"])), student
        assert float(ours["score"]) == pytest.approx(float(row["score"])), student
    assert exported["dave"]["timestamp"] == "" and term["summary"]["dave"]["status"] == "not_submitted"


def test_generate_and_release_feedback_work_on_these_grades(term):
    nbgrader(term, "generate_feedback", ASSIGNMENT)
    page = (term["course"] / "feedback" / "ben" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert f"{ASSIGNMENT} (Score: 17.6 / 22.0)" in page      # nbgrader's page subtracts our late penalty
    assert "HIDDEN TESTS" not in page and "similar" not in page
    exchange = term["root"] / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)
    nbgrader(term, "release_feedback", ASSIGNMENT, "--student", "ann", f"--Exchange.root={exchange}")
    assert len(list((exchange / "backprop" / "feedback").glob("*.html"))) == 1


# ---------------------------------------------------------------- similarity

def test_the_copied_pair_is_flagged_with_a_working_link(term):
    similar = [r for r in term["flags"] if r["flag"].startswith("similar to")]
    assert {(r["student_id"], r["flag"]) for r in similar} == {("ann", "similar to ben"), ("ben", "similar to ann")}
    link = similar[0]["detail"].rsplit("side by side: ", 1)[1]
    page = (term["out"] / link).read_text()
    assert link == f"similarity/{ASSIGNMENT}/ann__ben.html" and "ann" in page and "ben" in page


# ---------------------------------------------------------------- LMS export

def test_the_export_command_sends_the_scores_after_the_penalty(term, capsys):
    out = term["root"] / "canvas.csv"
    assert main(["export", "--format", "canvas", "--grades", str(term["out"]), "--out", str(out),
                 "--mapping", str(term["submissions"] / "import_mapping.csv")]) == 0
    header, points, *rows = [line.split(",") for line in out.read_text().splitlines()]
    assert header == [*CANVAS_HEADER, ASSIGNMENT] and points[-1] == "22"
    cat = f"{float(term['summary']['cat']['score']):g}"
    assert {row[0]: row[-1] for row in rows} == {"ann": "22", "ben": "17.6", "cat": cat, "dave": ""}
    assert "no canvas user id for 4 student(s)" in capsys.readouterr().err


# ---------------------------------------------------------------- regrading (last: it changes the term)

def test_regrading_one_student_keeps_the_others_and_the_manual_scores(term):
    with gradebook(term["course"]) as gb:       # what the formgrader does when the instructor types a score
        for student in ("ann", "cat"):
            grade = gb.find_grade("dh_dx_tests", ASSIGNMENT, ASSIGNMENT, student)
            grade.manual_score = 1.5
        gb.db.commit()
    stored = {p.name: p.stat().st_mtime_ns for p in (term["out"] / ".results").glob("*.json")}
    proc = run_grade(term["submissions"], term["out"], term["course"], "--gradebook", "--student", "ann", "--fresh",
                     "--extensions", term["root"] / "extensions.csv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 notebook(s) outside --student/--assignment keep their stored results" in proc.stderr
    assert "1 notebook(s) recorded" in proc.stderr and "1 manual score(s) kept" in proc.stderr
    changed = [name for name, when in stored.items() if (term["out"] / ".results" / name).stat().st_mtime_ns != when]
    assert len(changed) == 1 and len(stored) == 3                        # ann's result only
    assert read_csv(term["out"] / "summary.csv") == list(term["summary"].values())  # everyone, as before
    with gradebook(term["course"]) as gb:
        for student in ("ann", "cat"):
            grade = gb.find_grade("dh_dx_tests", ASSIGNMENT, ASSIGNMENT, student)
            assert (grade.manual_score, grade.score) == (1.5, 1.5), student
