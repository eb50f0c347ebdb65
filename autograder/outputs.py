"""Write what a grading run found: the CSV tables, the item analysis, the executed notebooks and feedback.

Only the coordinating process writes here (never a runner or the student's
process); every table is written whole to a temporary file and renamed into
place, and every text cell is made safe for spreadsheets (report.py).
"""
from pathlib import Path

import nbformat

from . import feedback, report
from .results import AssignmentGrade, CellGrade, Flag


def write_all(cells, summary, flags, graded, found, assignments, out_dir, *, feedback_pages=True,
              private_flags=()):
    """Every output of a run; ``private_flags`` (similarity) go to flags.csv but never to a feedback page."""
    out_dir = Path(out_dir)
    report.write_csv(cells, out_dir / "grades.csv", CellGrade)
    report.write_csv(summary, out_dir / "summary.csv", AssignmentGrade)
    report.write_csv([*flags, *private_flags], out_dir / "flags.csv", Flag)
    report.write_item_analysis(cells, out_dir)
    executed = {}
    for sub in found:
        notebook = (graded.get(sub.key) or {}).get("notebook")
        if notebook:
            executed[sub.key] = nbformat.from_dict(notebook)
            path = out_dir / "autograded" / sub.student_id / sub.assignment / f"{sub.notebook}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(executed[sub.key], str(path))
    if feedback_pages:
        parts = {(sub.key, t["grade_id"]): t.get("parts", []) for sub in found
                 for t in (graded.get(sub.key) or {}).get("tests") or []}
        by_assignment = {(row.student_id, row.assignment): row for row in summary}
        feedback.write_all(cells, flags, executed, parts, out_dir, by_assignment)
