"""What grading produces: one row per test cell, per student assignment and per flag."""
from dataclasses import dataclass, replace

from .deadlines import apply_late_policy


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
    score: float         # after the late penalty
    max_score: float
    status: str          # graded, not_submitted, not_graded
    raw_score: float = None    # before the late penalty
    late_penalty: float = 0.0  # points taken off by the course's late policy
    submitted_at: str = ""     # ISO 8601 with its UTC offset; "" when unknown or not submitted
    submitted_from: str = ""   # where that time comes from: lms import, timestamp.txt, file modification time
    due_at: str = ""           # the student's due date (their extension if any); "" when none
    late_detail: str = ""      # how the penalty was counted, as the feedback page says it


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
        score = sum(r.score for r in rows)
        summary.append(AssignmentGrade(student, assignment, score, sum(r.max_score for r in rows), status,
                                       raw_score=score))
    return summary


def with_late_policy(summary, *, times, due_dates, policy, zone=None):
    """The summary rows with the late policy applied to each handed-in assignment.

    times: {(student, assignment): deadlines.SubmissionTime}; due_dates: {(student, assignment): aware
    datetime}; a missing key means unknown (no penalty). Times are shown in ``zone`` when given.
    """
    rows = []
    for row in summary:
        key = (row.student_id, row.assignment)
        rows.append(_late(row, times.get(key), due_dates.get(key), policy, zone))
    return rows


def _late(row, submitted, due, policy, zone):
    row = replace(row, due_at=_shown(due, zone))
    if row.status == "not_submitted":
        return row
    late = apply_late_policy(score=row.raw_score, max_score=row.max_score, due=due, policy=policy,
                             submitted=submitted.when if submitted else None)
    origin = ""
    if submitted:
        origin = f"{submitted.source} ({submitted.detail})" if submitted.detail else submitted.source
    detail = late.explanation if row.status == "graded" else "Not graded yet, so no late penalty yet."
    return replace(row, score=round(late.score, 6), late_penalty=round(late.penalty, 6),
                   submitted_at=_shown(submitted.when if submitted else None, zone), submitted_from=origin,
                   late_detail=detail)


def _shown(moment, zone):
    """ISO 8601 with the UTC offset, in ``zone`` when given; "" for None."""
    if moment is None:
        return ""
    return (moment.astimezone(zone) if zone else moment).isoformat(timespec="seconds")
