"""Grade a folder of submissions with nbgrader and collect per-cell results.

Input layout (nbgrader's): SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb
Output: grades.csv (one row per student, assignment and test cell),
summary.csv (one row per student and assignment), the autograded notebooks
and nbgrader's logs.
"""
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import notebooks
from .paths import COURSE_DIR, list_assignments, list_notebooks
from .workspace import Workspace, side_by_side

ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


class GradingError(RuntimeError):
    """The input cannot be graded at all (e.g. it is not a submissions folder)."""


@dataclass
class CellGrade:
    student_id: str
    assignment: str
    notebook: str
    grade_id: str
    score: float
    max_score: float
    status: str  # passed, partial, failed, not_submitted, not_graded
    detail: str = ""


@dataclass
class AssignmentGrade:
    student_id: str
    assignment: str
    score: float
    max_score: float
    status: str  # graded, not_submitted, not_graded


def grade(submissions, out_dir, timeout=30, assignments=None, course_dir=COURSE_DIR, jobs=None, log=print):
    """Autograde every student's work; return (cell grades, assignment grades).

    Assignments are graded side by side (up to `jobs` at once, default: the
    number of cores), each in its own scratch nbgrader course.
    """
    submissions, out_dir = Path(submissions), Path(out_dir)
    students = _students(submissions)
    known = list_assignments(Path(course_dir) / "source")
    assignments = _assignments_to_grade(submissions, students, known, assignments, log)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        def grade_one(assignment):
            workspace = Workspace(Path(tmp) / assignment, course_dir, [assignment])
            rows = _grade_assignment(workspace, assignment, submissions, students,
                                     out_dir, timeout, course_dir, log)
            autograded = workspace.root / "autograded"
            if autograded.exists():
                shutil.copytree(autograded, out_dir / "autograded", dirs_exist_ok=True)
            return rows

        cells = [row for rows in side_by_side(grade_one, assignments, jobs) for row in rows]
    return cells, summarize(cells)


def _students(submissions):
    if not submissions.is_dir():
        raise GradingError(f"{submissions} is not a folder of submissions "
                           "(expected SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb)")
    students = sorted(p.name for p in submissions.iterdir()
                      if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise GradingError(f"{submissions} holds no student folders "
                           "(expected SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb)")
    return students


def _assignments_to_grade(submissions, students, known, requested, log):
    if requested:
        unknown = sorted(set(requested) - set(known))
        if unknown:
            raise GradingError(f"unknown assignment(s) {', '.join(unknown)}; "
                               f"the course has {', '.join(known)}")
        return list(requested)
    found = {p.name for s in students for p in (submissions / s).iterdir() if p.is_dir()}
    for name in sorted(found - set(known)):
        log(f"warning: ignoring folder(s) named {name!r}: not an assignment of this course")
    chosen = [a for a in known if a in found]
    if not chosen:
        raise GradingError(f"no submissions for any assignment of the course ({', '.join(known)})")
    return chosen


def _grade_assignment(workspace, assignment, submissions, students, out_dir, timeout, course_dir, log):
    log(f"grading {assignment} for {len(students)} student(s)")
    workspace.nbgrader("generate_assignment", assignment, "--force")
    notebook_names = list_notebooks(assignment, Path(course_dir) / "source")
    problems = {}  # (student, notebook) -> why it was not graded
    for student in students:
        for name in notebook_names:
            path = submissions / student / assignment / f"{name}.ipynb"
            if not path.exists():
                continue
            reason = _unreadable_reason(path)
            if reason:
                problems[(student, name)] = reason
                continue
            dest = workspace.root / "submitted" / student / assignment / path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    if (workspace.root / "submitted").exists():
        proc = workspace.nbgrader("autograde", assignment, f"--Execute.timeout={timeout}", check=False)
        log_dir = out_dir / "logs"
        log_dir.mkdir(exist_ok=True)
        (log_dir / f"autograde-{assignment}.log").write_text(proc.stderr, encoding="utf-8")
    return _collect(workspace, assignment, submissions, students, notebook_names, problems, course_dir)


def _unreadable_reason(path):
    try:
        nbformat.read(str(path), as_version=4)
    except Exception as exc:  # any parse failure means the notebook cannot be run
        return f"unreadable notebook ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    return None


def _collect(workspace, assignment, submissions, students, notebook_names, problems, course_dir):
    from nbgrader.api import Gradebook, MissingEntry

    source_dir = Path(course_dir) / "source" / assignment
    max_scores_of = {name: notebooks.test_cells(notebooks.read(source_dir / f"{name}.ipynb"))
                     for name in notebook_names}
    rows = []
    with Gradebook(workspace.db_url) as gradebook:
        for student in students:
            for name in notebook_names:
                max_scores = max_scores_of[name]
                submitted = (submissions / student / assignment / f"{name}.ipynb").exists()
                try:
                    graded = gradebook.find_submission_notebook(name, assignment, student)
                    scores = {g.name: g.score for g in graded.grades}
                except MissingEntry:
                    scores = None
                details = _failure_details(workspace.root / "autograded" / student / assignment / f"{name}.ipynb")
                for grade_id, max_score in max_scores.items():
                    if not submitted:
                        status, score, detail = "not_submitted", 0.0, ""
                    elif scores is None:
                        reason = problems.get((student, name), "nbgrader could not grade this notebook (see logs/)")
                        status, score, detail = "not_graded", 0.0, reason
                    else:
                        score = float(scores.get(grade_id) or 0.0)
                        status = ("passed" if score >= max_score else "failed" if score == 0 else "partial")
                        detail = details.get(grade_id, "")
                    rows.append(CellGrade(student, assignment, name, grade_id, score, max_score, status, detail))
    return rows


def _failure_details(autograded_path):
    """{grade_id: first line of the error} for test cells that failed."""
    if not autograded_path.exists():
        return {}
    found = {}
    for cell in notebooks.read(autograded_path).cells:
        grade_id = notebooks.nbgrader_meta(cell).get("grade_id")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and grade_id:
                message = " / ".join(ANSI_ESCAPES.sub("", str(output.get("evalue", ""))).split("\n"))
                found[grade_id] = f"{output.get('ename')}: {message.strip()}"[:500]
    return found


def summarize(cells):
    """One AssignmentGrade per student and assignment, from the cell grades."""
    groups = {}
    for cell in cells:
        groups.setdefault((cell.student_id, cell.assignment), []).append(cell)
    summary = []
    for (student, assignment), rows in groups.items():
        statuses = {r.status for r in rows}
        if statuses == {"not_submitted"}:
            status = "not_submitted"
        elif "not_graded" in statuses:
            status = "not_graded"
        else:
            status = "graded"
        summary.append(AssignmentGrade(student, assignment, sum(r.score for r in rows),
                                       sum(r.max_score for r in rows), status))
    return summary
