"""Grades back to the LMS: a Canvas gradebook import, Moodle grading worksheets, or a plain CSV.

    python -m autograder.lms_export --format canvas grades/summary.csv --mapping submitted/import_mapping.csv \\
        --out grades/canvas.csv [--canvas-id 01_chain_rule=123456 ...]
    python -m autograder.lms_export --format moodle grades/summary.csv --mapping ... --out grades/moodle/ \\
        [--moodle-max-grade 100]
    python -m autograder.lms_export --format csv grades/summary.csv --out grades/wide.csv

Input: the rows of summary.csv (student_id, assignment, score, max_score,
status; the engine's AssignmentGrade rows or dicts) and, optionally, the rows
of the import's import_mapping.csv. When those carry ``lms``,
``lms_user_id`` and ``lms_name``, they identify the student in the LMS;
otherwise the student_id stands in for the name and the LMS id is left blank
(see docs/lms/README.md for what each LMS then does). A ``submitted_at``
column there (ISO 8601 with a UTC offset), when present, fills Moodle's
"Last modified (submission)".

Scores: ``graded`` gives the number; ``not_submitted`` is a blank cell, not a
0 (both LMSs tell "no grade" from 0); ``not_graded`` is blank too: the
autograder could not grade it, so no number goes out until someone grades
it in the formgrader and exports again. The plain CSV's total adds the
graded scores only.

Every text cell goes through ``safe_text.for_csv``: one starting with =, +,
-, @, a tab or a carriage return gets a leading ' so a spreadsheet shows it
and never runs it.
"""
import argparse
import csv
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from .deadlines import DeadlineError, submission_time, time_zone
from .report import read_csv
from .safe_text import for_csv, for_terminal

FORMATS = ("canvas", "moodle", "csv")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                  "Feedback comments")


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

def write_moodle_worksheets(*, summary, out_dir, identities=None, submitted_at=None, feedback=None,
                            max_grade=None, now=None):
    """One Moodle offline grading worksheet per assignment: OUT_DIR/moodle_<assignment>.csv.

    ``submitted_at``: {(student, assignment): aware datetime} for "Last
    modified (submission)"; ``feedback``: {(student, assignment): text} for
    "Feedback comments" (default: the autograder's score line);
    ``max_grade``: the Moodle assignment's maximum grade, scores are scaled to
    it (default: ours); ``now``: the time written as "Last modified (grade)".
    """
    rows, students, assignments, maxima = _grades(summary)
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    identities, submitted_at, feedback = identities or {}, submitted_at or {}, feedback or {}
    paths = []
    for assignment in assignments:
        maximum = max_grade or maxima[assignment]
        scale = maximum / maxima[assignment] if maxima[assignment] else 1.0
        lines = [_moodle_row(rows[key], identities.get(student, Identity(student)), scale, maximum,
                             submitted_at.get(key), feedback.get(key, _default_feedback(rows[key])), stamp)
                 for student in students if (key := (student, assignment)) in rows]
        paths.append(_write(Path(out_dir) / f"moodle_{assignment}.csv", MOODLE_COLUMNS, lines))
    return paths


def _moodle_row(row, identity, scale, maximum, submitted, comment, stamp):
    participant = _lms_id(identity, "moodle")
    return [for_csv(f"Participant {participant}" if participant else ""),
            for_csv(identity.lms_name or row["student_id"]), "",
            "No submission" if row["status"] == "not_submitted" else "Submitted for grading",
            _score_cell(row, scale), _number(maximum), "Yes",
            submitted.isoformat(timespec="seconds") if submitted else "", stamp, for_csv(comment)]


def _default_feedback(row):
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

def export_grades(*, format, summary, out, identities=None, canvas_assignment_ids=None, submitted_at=None,
                  feedback=None, moodle_max_grade=None, now=None):
    """Write ``summary`` for the LMS in ``format`` (canvas, moodle or csv); return the files written.

    ``out`` is a file for canvas and csv, a folder for moodle (one file per assignment); the other
    arguments are those of the writer of the format (the others ignore them).
    """
    if format == "canvas":
        return [write_canvas_csv(summary=summary, path=out, identities=identities,
                                 canvas_assignment_ids=canvas_assignment_ids)]
    if format == "moodle":
        return write_moodle_worksheets(summary=summary, out_dir=out, identities=identities,
                                       submitted_at=submitted_at, feedback=feedback, max_grade=moodle_max_grade,
                                       now=now)
    if format == "csv":
        return [write_plain_csv(summary=summary, path=out)]
    raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")


def students_without_lms_id(*, summary, identities, lms):
    """The students of ``summary`` the LMS cannot match by id (no ``lms_user_id`` recorded for ``lms``)."""
    return sorted({r["student_id"] for r in map(as_dict, summary)
                   if not _lms_id(identities.get(r["student_id"], Identity("")), lms)})


def _recorded_times(summary, mapping_rows, zone):
    """({(student, assignment): time} from the import's ``submitted_at``, [keys whose time has no offset])."""
    times, naive = {}, []
    for row in map(as_dict, summary):
        key = (row["student_id"], row["assignment"])
        try:
            found = submission_time(student_id=key[0], assignment=key[1], import_rows=mapping_rows, zone=zone)
        except DeadlineError:
            naive.append(key)
            continue
        if found:
            times[key] = found.when
    return times, naive


def _parser():
    parser = argparse.ArgumentParser(prog="python -m autograder.lms_export", description=__doc__.splitlines()[0])
    parser.add_argument("summary", type=Path, help="summary.csv of a grading run")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--out", required=True, type=Path, help="a file (canvas, csv) or a folder (moodle)")
    parser.add_argument("--mapping", type=Path, help="import_mapping.csv of the LMS import (identities)")
    parser.add_argument("--canvas-id", action="append", default=[], metavar="ASSIGNMENT=ID",
                        help="the Canvas assignment id of an assignment (repeatable)")
    parser.add_argument("--moodle-max-grade", type=float, help="the Moodle assignment's maximum grade")
    parser.add_argument("--timezone", help="IANA zone of recorded times without a UTC offset (e.g. Europe/Berlin)")
    return parser


def _warn(fmt, summary, identities, naive):
    if naive and fmt == "moodle":
        print(f"warning: {len(naive)} recorded submission time(s) have no UTC offset and are left blank; "
              "pass --timezone", file=sys.stderr)
    missing = students_without_lms_id(summary=summary, identities=identities, lms=fmt) if fmt != "csv" else []
    if missing:
        shown = ", ".join(for_terminal(s) for s in missing[:5]) + (" ..." if len(missing) > 5 else "")
        print(f"warning: no {fmt} user id for {len(missing)} student(s) ({shown}): the LMS cannot match "
              "them by id", file=sys.stderr)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if any("=" not in item for item in args.canvas_id):
        parser.error("--canvas-id takes ASSIGNMENT=ID, e.g. 01_chain_rule=123456")
    try:
        zone = time_zone(args.timezone) if args.timezone else None
    except DeadlineError as exc:
        parser.error(str(exc))
    summary = read_csv(args.summary)
    mapping = read_csv(args.mapping) if args.mapping else []
    identities = read_identities(mapping_rows=mapping)
    times, naive = _recorded_times(summary, mapping, zone)
    paths = export_grades(format=args.format, summary=summary, out=args.out, identities=identities,
                          canvas_assignment_ids=dict(item.split("=", 1) for item in args.canvas_id),
                          submitted_at=times, moodle_max_grade=args.moodle_max_grade)
    _warn(args.format, summary, identities, naive)
    print("\n".join(map(str, paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
