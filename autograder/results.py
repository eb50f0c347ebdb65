"""What grading produces: one row per test cell, per student assignment and per flag."""
from dataclasses import dataclass


@dataclass
class CellGrade:
    student_id: str
    assignment: str
    notebook: str
    grade_id: str
    score: float
    max_score: float
    status: str          # passed, partial, failed, not_submitted, not_graded
    detail: str = ""     # why it lost points (the failing check's message), or why it was not graded
    parts: str = ""      # partial credit: "part: score/points; ..."


@dataclass
class AssignmentGrade:
    student_id: str
    assignment: str
    score: float
    max_score: float
    status: str          # graded, not_submitted, not_graded


@dataclass
class Flag:
    student_id: str
    assignment: str
    notebook: str
    flag: str
    detail: str


def cell_grades(submission, max_scores, result):
    """The CellGrade rows of one student notebook, from its result (None: not graded or not submitted)."""
    tests = {t["grade_id"]: t for t in (result or {}).get("tests") or []}
    rows = []
    for grade_id, max_score in max_scores.items():
        parts = ""
        if submission.path is None and not submission.refused:
            status, score, detail = "not_submitted", 0.0, ""
        elif result is None or result.get("tests") is None:
            status, score, detail = "not_graded", 0.0, (result or {}).get("why", "not graded")
        else:
            test = tests.get(grade_id)
            score = min(float(test["score"]), max_score) if test else 0.0
            status = "passed" if score >= max_score else "failed" if score <= 0 else "partial"
            detail = test["detail"] if test else "the test cell did not run"
            parts = "; ".join(f"{p['name']}: {p['score']:g}/{p['points']:g}" for p in (test or {}).get("parts", []))
        rows.append(CellGrade(submission.student_id, submission.assignment, submission.notebook, grade_id, score,
                              max_score, status, " / ".join(detail.splitlines())[:1000], parts))
    return rows


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
