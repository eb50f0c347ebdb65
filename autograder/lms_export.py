"""Grades back to the LMS: a Canvas gradebook import, Moodle grading worksheets, or a plain CSV.

    python -m autograder export --format canvas --grades grades --mapping submitted/import_mapping.csv \\
        --out grades/canvas.csv [--canvas-id 01_chain_rule=123456 ...]
    python -m autograder export --format moodle --grades grades --mapping ... --out grades/moodle/ \\
        [--moodle-max-grade 100]
    python -m autograder export --format csv --grades grades --out grades/wide.csv

Input: the rows of a grading run's summary.csv (student_id, assignment,
score, max_score, status, and submitted_at when known; the engine's
AssignmentGrade rows or dicts) and, optionally, the rows of the import's
import_mapping.csv. When those carry ``lms``, ``lms_user_id`` and
``lms_name``, they identify the student in the LMS; otherwise the
student_id stands in for the name and the LMS id is left blank (see
docs/lms/README.md for what each LMS then does). ``submitted_at`` (ISO 8601
with a UTC offset) fills Moodle's "Last modified (submission)".

Scores: ``graded`` gives the score after the late penalty; ``not_submitted``
is a blank cell, not a 0 (both LMSs tell "no grade" from 0); ``not_graded``
is blank too: the autograder could not grade it, so no number goes out
(fix the notebook and regrade it, or enter the score in the LMS). The plain
CSV's total adds the graded scores only.

Every text cell goes through ``safe_text.for_csv``: one starting with =, +,
-, @, a tab or a carriage return gets a leading ' so a spreadsheet shows it
and never runs it.
"""
import csv
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from .report import read_csv
from .safe_text import for_csv, for_terminal

FORMATS = ("canvas", "moodle", "csv")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                  "Feedback comments")


class ExportError(ValueError):
    """The grades cannot be exported as asked (the message says why)."""


@dataclass(frozen=True)
class Identity:
    """Who a student is in the LMS, as the import recorded it ('' when unknown)."""
    student_id: str
    lms: str = ""            # canvas, moodle, ...
    lms_user_id: str = ""    # Canvas user id, Moodle participant number
    lms_name: str = ""


def as_dict(row):
    """A row of the engine (a dataclass) or a dict with the same fields, as a dict."""
    return dict(row) if isinstance(row, Mapping) else asdict(row)


def _number(value):
    """12.5 -> '12.5', 3.0 -> '3': plain decimals, no exponent."""
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def read_identities(*, mapping_rows):
    """{student_id: Identity} from import_mapping.csv rows; the first non-empty value of each field wins."""
    found = {}
    for row in map(as_dict, mapping_rows):
        student = row.get("student_id") or ""
        if not student or row.get("status", "imported") != "imported":
            continue
        known = found.get(student, Identity(student))
        found[student] = Identity(student, *(getattr(known, name) or (row.get(name) or "").strip()
                                             for name in ("lms", "lms_user_id", "lms_name")))
    return found


def _lms_id(identity, lms):
    """The identity's LMS user id if it belongs to ``lms`` (or the import did not say which LMS)."""
    return identity.lms_user_id if identity.lms.lower() in ("", lms) else ""


def _grades(summary):
    """({(student, assignment): row}, sorted students, sorted assignments, {assignment: max score})."""
    rows = {(r["student_id"], r["assignment"]): r for r in map(as_dict, summary)}
    students = sorted({s for s, _ in rows})
    assignments = sorted({a for _, a in rows})
    maxima = {a: max(float(r["max_score"]) for (_, ra), r in rows.items() if ra == a) for a in assignments}
    return rows, students, assignments, maxima


def _score_cell(row, scale=1.0):
    """The number for a graded row; blank for not_submitted, not_graded or no row."""
    if not row or row["status"] != "graded":
        return ""
    return _number(float(row["score"]) * scale)


def _write(path, header, rows):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([for_csv(c) for c in header])
        writer.writerows(rows)
    return path


# ---------------------------------------------------------------- Canvas

def write_canvas_csv(*, summary, path, identities=None, canvas_assignment_ids=None):
    """One Canvas gradebook import file: a row per student, a column per assignment.

    ``canvas_assignment_ids`` maps our assignment names to Canvas assignment
    ids, giving columns ``Name (id)`` that Canvas matches to its assignments;
    a column without an id is offered as a new assignment on import.
    """
    rows, students, assignments, maxima = _grades(summary)
    ids = canvas_assignment_ids or {}
    header = [*CANVAS_COLUMNS, *(f"{a} ({ids[a]})" if ids.get(a) else a for a in assignments)]
    points = ["Points Possible", "", "", "", "", *(_number(maxima[a]) for a in assignments)]
    lines = [points]
    for student in students:
        identity = (identities or {}).get(student, Identity(student))
        lines.append([for_csv(identity.lms_name or student), for_csv(_lms_id(identity, "canvas")), "", "", "",
                      *(_score_cell(rows.get((student, a))) for a in assignments)])
    return _write(path, header, lines)


# ---------------------------------------------------------------- Moodle

def write_moodle_worksheets(*, summary, out_dir, identities=None, feedback=None, max_grade=None, now=None):
    """One Moodle offline grading worksheet per assignment: OUT_DIR/moodle_<assignment>.csv.

    "Last modified (submission)" is the summary's ``submitted_at``;
    ``feedback``: {(student, assignment): text} for "Feedback comments"
    (default: the autograder's score line);
    ``max_grade``: the Moodle assignment's maximum grade, scores are scaled to
    it (default: ours); ``now``: the time written as "Last modified (grade)".
    """
    rows, students, assignments, maxima = _grades(summary)
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    identities, feedback = identities or {}, feedback or {}
    paths = []
    for assignment in assignments:
        maximum = max_grade or maxima[assignment]
        scale = maximum / maxima[assignment] if maxima[assignment] else 1.0
        lines = [_moodle_row(rows[key], identities.get(student, Identity(student)), scale, maximum,
                             feedback.get(key, _default_feedback(rows[key])), stamp)
                 for student in students if (key := (student, assignment)) in rows]
        paths.append(_write(Path(out_dir) / f"moodle_{assignment}.csv", MOODLE_COLUMNS, lines))
    return paths


def _moodle_row(row, identity, scale, maximum, comment, stamp):
    participant = _lms_id(identity, "moodle")
    return [for_csv(f"Participant {participant}" if participant else ""),
            for_csv(identity.lms_name or row["student_id"]), "",
            "No submission" if row["status"] == "not_submitted" else "Submitted for grading",
            _score_cell(row, scale), _number(maximum), "Yes", for_csv(row.get("submitted_at") or ""), stamp,
            for_csv(comment)]


def _default_feedback(row):
    if row["status"] == "graded" and float(row.get("late_penalty") or 0):
        return (f"Autograded: {_number(row['raw_score'])} of {_number(row['max_score'])} points, "
                f"{_number(row['late_penalty'])} off for lateness: {_number(row['score'])}.")
    if row["status"] == "graded":
        return f"Autograded: {_number(row['score'])} of {_number(row['max_score'])} points."
    if row["status"] == "not_graded":
        return "Not graded yet: your notebook could not be graded automatically; it will be graded by hand."
    return ""


# ---------------------------------------------------------------- plain CSV

def write_plain_csv(*, summary, path):
    """student_id, one column per assignment, total (the sum of the graded scores)."""
    rows, students, assignments, _ = _grades(summary)
    lines = []
    for student in students:
        cells = [_score_cell(rows.get((student, a))) for a in assignments]
        graded = [float(c) for c in cells if c != ""]
        lines.append([for_csv(student), *cells, _number(sum(graded)) if graded else ""])
    return _write(path, ["student_id", *assignments, "total"], lines)


# ---------------------------------------------------------------- one entry point

def export_grades(*, format, summary, out, identities=None, canvas_assignment_ids=None, feedback=None,
                  moodle_max_grade=None, now=None):
    """Write ``summary`` for the LMS in ``format`` (canvas, moodle or csv); return the files written.

    ``out`` is a file for canvas and csv, a folder for moodle (one file per assignment); the other
    arguments are those of the writer of the format (the others ignore them).
    """
    if format == "canvas":
        return [write_canvas_csv(summary=summary, path=out, identities=identities,
                                 canvas_assignment_ids=canvas_assignment_ids)]
    if format == "moodle":
        return write_moodle_worksheets(summary=summary, out_dir=out, identities=identities, feedback=feedback,
                                       max_grade=moodle_max_grade, now=now)
    if format == "csv":
        return [write_plain_csv(summary=summary, path=out)]
    raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")


def export_run(*, format, grades_dir, out, mapping=None, canvas_assignment_ids=None, moodle_max_grade=None,
               now=None):
    """Export a grading run's summary.csv (in ``grades_dir``); return (files written, warnings).

    ``mapping``: the LMS import's import_mapping.csv, for the students' LMS ids and names. The
    warnings name the students the LMS cannot match by id and count the scores left blank.
    """
    path = Path(grades_dir) / "summary.csv"
    if not path.is_file():
        raise ExportError(f"{for_terminal(path)} does not exist: --grades takes the output folder of a grading run")
    summary = read_csv(path)
    identities = read_identities(mapping_rows=read_csv(mapping)) if mapping else {}
    paths = export_grades(format=format, summary=summary, out=out, identities=identities,
                          canvas_assignment_ids=canvas_assignment_ids, moodle_max_grade=moodle_max_grade, now=now)
    return paths, _warnings(format, summary, identities)


def students_without_lms_id(*, summary, identities, lms):
    """The students of ``summary`` the LMS cannot match by id (no ``lms_user_id`` recorded for ``lms``)."""
    return sorted({r["student_id"] for r in map(as_dict, summary)
                   if not _lms_id(identities.get(r["student_id"], Identity("")), lms)})


def _warnings(fmt, summary, identities):
    found = []
    missing = students_without_lms_id(summary=summary, identities=identities, lms=fmt) if fmt != "csv" else []
    if missing:
        shown = ", ".join(for_terminal(s) for s in missing[:5]) + (" ..." if len(missing) > 5 else "")
        found.append(f"no {fmt} user id for {len(missing)} student(s) ({shown}): the LMS cannot match them by id")
    not_graded = sum(1 for r in map(as_dict, summary) if r["status"] == "not_graded")
    if not_graded:
        found.append(f"{not_graded} score(s) left blank: not graded (see flags.csv); fix the notebook and "
                     "regrade it with --student, or enter the score in the LMS")
    return found
