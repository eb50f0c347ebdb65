"""Grading results in nbgrader's gradebook (autograder.gradebook): read back, exported, seen by the formgrader."""
import csv
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from autograder import notebooks
from autograder.gradebook import (GradebookError, NotebookResult, course_directory, record_results,
                                  results_from_rows)
from instructor_class import FREE_TEXT, gradebook, nbgrader_env
from instructor_class import copy_course as copy_instructor_course

ASSIGNMENTS = ("01_chain_rule", "02_gradient_descent")
CEST = timezone(timedelta(hours=2))
SUBMITTED = {("alice", "01_chain_rule"): datetime(2026, 9, 15, 23, 59, tzinfo=CEST),
             ("alice", "02_gradient_descent"): datetime(2026, 9, 22, 10, 0, tzinfo=CEST),
             ("bob", "01_chain_rule"): datetime(2026, 9, 14, 8, 30, tzinfo=timezone.utc)}


def copy_course(root):
    """The course's config and two assignments; 01 gains a free-text question graded by hand."""
    return copy_instructor_course(root, ASSIGNMENTS, free_text=True)


def executed_notebook(root, assignment, free_text):
    """A stand-in for the engine's executed notebook: the solution as the student's answers."""
    nb = notebooks.read(root / "source" / assignment / f"{assignment}.ipynb")
    for cell in nb.cells:
        meta = notebooks.nbgrader_meta(cell)
        if meta.get("grade_id") == FREE_TEXT:
            cell.source = free_text
        elif meta.get("solution"):
            cell.source = notebooks.strip_solution_markers(cell.source)
    return nb


def cell_rows(root):
    """grades.csv rows (as dicts) for four students; see the comments for who did what."""
    rows = []
    for assignment in ASSIGNMENTS:
        tests = notebooks.test_cells(notebooks.read(root / "source" / assignment / f"{assignment}.ipynb"))
        for student in ("alice", "bob", "carol", "dave", "erin"):
            for i, (grade_id, points) in enumerate(tests.items()):
                if student == "alice":        # everything handed in, one partial score
                    score, status, detail = (points / 2, "partial", "off by one") if i == 0 else (points, "passed", "")
                elif student == "erin" and assignment == "01_chain_rule":   # full marks, executed copy lost
                    score, status, detail = points, "passed", ""
                elif student == "bob" and assignment == "01_chain_rule":   # all wrong, flagged
                    score, status, detail = 0.0, "failed", "expected 1.0, got 2.0"
                elif student == "carol" and assignment == "01_chain_rule":  # could not be graded
                    score, status, detail = 0.0, "not_graded", "unreadable notebook"
                else:                          # nothing handed in
                    score, status, detail = 0.0, "not_submitted", ""
                rows.append(dict(student_id=student, assignment=assignment, notebook=assignment,
                                 grade_id=grade_id, score=score, max_score=points, status=status, detail=detail))
    return rows


FLAGS = [dict(student_id="bob", assignment="01_chain_rule", notebook="01_chain_rule", flag="edited test cell",
              detail="dh_dx_tests was restored from the source"),
         dict(student_id="carol", assignment="01_chain_rule", notebook="01_chain_rule", flag="unreadable notebook",
              detail="JSONDecodeError: <b>not JSON</b>")]


def grade_course(root, late_penalty=None):
    """Write the executed notebooks where the engine does, then record everything; return (rows, counts)."""
    autograded = root.parent / "grades" / "autograded"
    for student, assignment, text in (("alice", "01_chain_rule", "Rates multiply along a path."),
                                      ("alice", "02_gradient_descent", ""),
                                      ("bob", "01_chain_rule", "YOUR ANSWER HERE")):
        notebooks.write(executed_notebook(root, assignment, text),
                        autograded / student / assignment / f"{assignment}.ipynb")
    rows = cell_rows(root)
    results = results_from_rows(cells=rows, flags=FLAGS, submitted_at=SUBMITTED, autograded_dir=autograded)
    for result in results:
        if (result.student_id, result.assignment) == ("alice", "02_gradient_descent"):
            result.late_penalty = late_penalty
    return rows, record_results(results=results, course_dir=root)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("gb") / "course")
    rows, counts = grade_course(root, late_penalty=1.5)
    return root, rows, counts


def summary_totals(rows):
    totals = {}
    for row in rows:
        key = (row["student_id"], row["assignment"])
        totals[key] = totals.get(key, 0.0) + row["score"]
    return totals


# ---------------------------------------------------------------- written and read back

def test_students_submissions_scores_and_times_read_back(graded):
    from nbgrader.api import MissingEntry
    root, rows, counts = graded
    assert counts == {"graded": 4, "not_graded": 1, "not_submitted": 5, "manual_scores_kept": 0}
    with gradebook(root) as gb:
        assert sorted(s.id for s in gb.students) == ["alice", "bob", "carol", "dave", "erin"]
        for row in rows:
            key = (row["grade_id"], row["notebook"], row["assignment"], row["student_id"])
            if row["status"] == "not_submitted":
                with pytest.raises(MissingEntry):
                    gb.find_grade(*key)
            elif row["status"] == "not_graded":
                assert gb.find_grade(*key).auto_score is None
            else:
                assert gb.find_grade(*key).auto_score == row["score"]
        # nbgrader keeps times as naive UTC.
        assert gb.find_submission("01_chain_rule", "alice").timestamp == datetime(2026, 9, 15, 21, 59)
        assert gb.find_submission("01_chain_rule", "bob").timestamp == datetime(2026, 9, 14, 8, 30)


def test_not_submitted_creates_no_submission(graded):
    from nbgrader.api import MissingEntry
    root, _, _ = graded
    with gradebook(root) as gb:
        for assignment, student in (("02_gradient_descent", "bob"), ("01_chain_rule", "dave"),
                                    ("02_gradient_descent", "dave")):
            with pytest.raises(MissingEntry):
                gb.find_submission(assignment, student)


def test_flags_and_not_graded_notebooks_stay_visible_in_the_formgrader(graded):
    from nbgrader.apps.api import NbGraderAPI
    root, _, _ = graded
    api = NbGraderAPI(coursedir=course_directory(course_dir=root))
    listed = {s["student"]: s for s in api.get_notebook_submissions("01_chain_rule", "01_chain_rule")}
    assert set(listed) == {"alice", "bob", "carol", "erin"}   # it lists only notebooks it can open
    assert (listed["carol"]["flagged"], listed["carol"]["needs_manual_grade"]) == (True, True)
    assert (listed["bob"]["flagged"], listed["alice"]["flagged"]) == (True, False)
    assert listed["bob"]["failed_tests"] is True
    # Carol's notebook could not be run: the released notebook stands in, saying why, escaped.
    placeholder = (root / "autograded" / "carol" / "01_chain_rule" / "01_chain_rule.ipynb").read_text()
    assert "not graded: unreadable notebook" in placeholder and "&lt;b&gt;not JSON&lt;/b&gt;" in placeholder
    assert "released notebook, not the student" in placeholder


def test_executed_notebooks_carry_the_metadata_the_formgrader_reads(graded):
    root, _, _ = graded
    placed = notebooks.read(root / "autograded" / "alice" / "01_chain_rule" / "01_chain_rule.ipynb")
    with gradebook(root) as gb:
        recorded = {c.name: c for c in gb.find_notebook("01_chain_rule", "01_chain_rule").source_cells}
    graded_cells = [c for c in placed.cells if notebooks.nbgrader_meta(c).get("grade")]
    assert graded_cells and all({"points", "grade_id", "checksum", "schema_version"} <= set(c.metadata.nbgrader)
                                for c in graded_cells)
    for cell in placed.cells:
        meta = notebooks.nbgrader_meta(cell)
        if meta:
            assert meta["checksum"] == recorded[meta["grade_id"]].checksum
    assert "Rates multiply along a path." in [c.source for c in placed.cells]
    # generate_feedback shows this copy to the student: the test cells without their hidden part.
    tests = [c for c in placed.cells if notebooks.is_test_cell(c)]
    assert tests and not any("HIDDEN TESTS" in c.source for c in tests)
    stamp = root / "autograded" / "alice" / "01_chain_rule" / "timestamp.txt"
    assert stamp.read_text() == "2026-09-15 21:59:00.000000 UTC"   # nbgrader's format, for release_feedback


def test_the_formgraders_page_template_renders_a_score_box_per_graded_cell(graded):
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config
    root, _, _ = graded
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = dict(assignment_id="01_chain_rule", notebook_id="01_chain_rule", submission_id="x", index=0,
                     total=1, base_url="", student="alice", last_name=None, first_name=None, notebook_path="")
    path = root / "autograded" / "alice" / "01_chain_rule" / "01_chain_rule.ipynb"
    page, _ = HTMLExporter(config=config).from_filename(str(path), resources=resources)
    graded_cells = [c for c in notebooks.read(path).cells if notebooks.nbgrader_meta(c).get("grade")]
    assert page.count('class="score tabbable"') == len(graded_cells) == 10
    assert f'id="{FREE_TEXT}"' in page


def test_a_free_text_answer_is_left_for_manual_grading(graded):
    root, _, _ = graded
    with gradebook(root) as gb:
        written = gb.find_grade(FREE_TEXT, "01_chain_rule", "01_chain_rule", "alice")
        assert (written.auto_score, written.needs_manual_grade, written.max_score) == (None, True, 2.0)
        untouched = gb.find_grade(FREE_TEXT, "01_chain_rule", "01_chain_rule", "bob")  # left as released
        assert (untouched.auto_score, untouched.needs_manual_grade) == (0.0, False)
        assert gb.find_comment(FREE_TEXT, "01_chain_rule", "01_chain_rule", "bob").auto_comment == "No response."
        # The test cells need no hand: only the free-text answer waits for the grader.
        waiting = [g.name for g in gb.find_submission_notebook("01_chain_rule", "01_chain_rule", "alice").grades
                   if g.needs_manual_grade]
        assert waiting == [FREE_TEXT]
        # Erin's executed notebook is missing: her answer cannot be read, so it waits too (not a 0).
        unseen = gb.find_grade(FREE_TEXT, "01_chain_rule", "01_chain_rule", "erin")
        assert (unseen.auto_score, unseen.needs_manual_grade) == (None, True)
    stand_in = (root / "autograded" / "erin" / "01_chain_rule" / "01_chain_rule.ipynb").read_text()
    assert "no executed notebook" in stand_in


# ---------------------------------------------------------------- nbgrader export

def test_nbgrader_export_totals_equal_the_summary(graded):
    root, rows, _ = graded
    out = root / "export.csv"
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", str(out)], cwd=root,
                          env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(out, newline="") as handle:
        exported = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(handle)}
    totals = summary_totals(rows)
    assert set(exported) == set(totals)
    for key, total in totals.items():
        assert float(exported[key]["raw_score"]) == pytest.approx(total), key
        penalty = 1.5 if key == ("alice", "02_gradient_descent") else 0.0
        assert float(exported[key]["late_submission_penalty"]) == penalty
        assert float(exported[key]["score"]) == pytest.approx(total - penalty), key
    assert exported[("alice", "01_chain_rule")]["timestamp"] == "2026-09-15 21:59:00"
    assert exported[("dave", "01_chain_rule")]["timestamp"] == ""   # never handed in


# ---------------------------------------------------------------- regrading

def test_a_manual_score_survives_a_regrade(tmp_path):
    root = copy_course(tmp_path / "course")
    rows, _ = grade_course(root)
    test_cell = rows[0]["grade_id"]  # alice's partial score
    with gradebook(root) as gb:       # what the formgrader does when the instructor types a score
        grade = gb.find_grade(test_cell, "01_chain_rule", "01_chain_rule", "alice")
        grade.manual_score, grade.needs_manual_grade = 1.75, False
        gb.db.commit()

    _, counts = grade_course(root)    # the same results again: nothing to review
    with gradebook(root) as gb:
        grade = gb.find_grade(test_cell, "01_chain_rule", "01_chain_rule", "alice")
        assert (grade.manual_score, grade.score, grade.needs_manual_grade) == (1.75, 1.75, False)
    assert counts["manual_scores_kept"] == 1

    changed = results_from_rows(cells=[dict(r, score=0.0, status="failed") if r is rows[0] else r for r in rows],
                                submitted_at=SUBMITTED, autograded_dir=root.parent / "grades" / "autograded")
    record_results(results=changed, course_dir=root)
    with gradebook(root) as gb:
        grade = gb.find_grade(test_cell, "01_chain_rule", "01_chain_rule", "alice")
        assert (grade.manual_score, grade.auto_score, grade.score) == (1.75, 0.0, 1.75)
        assert grade.needs_manual_grade  # the auto score moved under the override: look again
        assert gb.find_submission_notebook("01_chain_rule", "01_chain_rule", "bob").flagged  # never cleared


def test_bad_results_are_refused_before_anything_is_written(tmp_path):
    root = copy_course(tmp_path / "course")
    naive = NotebookResult("alice", "01_chain_rule", "01_chain_rule", "graded", submitted_at=datetime(2026, 9, 15))
    for bad, message in ((naive, "no time zone"),
                         (NotebookResult("alice", "09_unknown", "09_unknown", "graded"), "not notebooks"),
                         (NotebookResult("../x", "01_chain_rule", "01_chain_rule", "graded"), "cannot name a folder"),
                         (NotebookResult("alice", "01_chain_rule", "01_chain_rule", "late"), "unknown status")):
        with pytest.raises(GradebookError, match=message):
            record_results(results=[bad], course_dir=root)
    with pytest.raises(GradebookError, match="09_unknown"):
        record_results(results=[], course_dir=root, duedates={"09_unknown": datetime(2026, 9, 1, tzinfo=CEST)})
    assert not (root / "autograded").exists() and not (root / "gradebook.db").exists()


# ---------------------------------------------------------------- the course, as generate_assignment records it

def cell_tables(db_url):
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        notebook = gb.find_notebook("01_chain_rule", "01_chain_rule")
        return ({c.name: (c.max_score, c.cell_type) for c in notebook.grade_cells},
                sorted(c.name for c in notebook.solution_cells),
                {c.name: (c.cell_type, c.locked, c.source, c.checksum) for c in notebook.source_cells},
                notebook.kernelspec)


@pytest.mark.slow
def test_course_cells_are_recorded_as_generate_assignment_records_them(graded, tmp_path):
    root, _, _ = graded
    scratch = tmp_path / "scratch"
    shutil.copytree(root / "source", scratch / "source")
    shutil.copy2(root / "nbgrader_config.py", scratch)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "01_chain_rule", "--force"],
                          cwd=scratch, env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ours = cell_tables(course_directory(course_dir=root).db_url)
    theirs = cell_tables(f"sqlite:///{scratch / 'gradebook.db'}")
    assert ours == theirs
    assert FREE_TEXT in ours[0] and ours[2][FREE_TEXT][2] == "YOUR ANSWER HERE"
