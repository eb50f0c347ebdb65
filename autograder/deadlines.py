"""Due dates, extensions, submission times and late penalties.

The course keeps its deadlines in its description, course/autograder.toml::

    [deadlines]
    timezone = "Europe/Berlin"   # optional: the zone of times written without a UTC offset
    "01_chain_rule" = "2026-09-15T23:59:00+02:00"
    "02_gradient_descent" = 2026-09-22T23:59:00   # a TOML date-time works too

    [late_policy]
    per = "day"          # "none", "hour" or "day"
    percent = 10         # points off per started hour or day, in % of the basis below
    max_percent = 50     # optional: never more than this
    cutoff_hours = 168   # optional: later than this after the due date scores 0
    basis = "max_score"  # or "score": % of the maximum score (Canvas' rule) or of the score earned

Time zones are explicit. A time without a UTC offset is read in the table's
``timezone`` (an IANA name); without that key it is an error, never a guess.
The same holds for the extensions CSV and the LMS import's recorded times
(a time in a Blackboard or Brightspace file name, or a zip entry's
modification time, carries no offset: it is the LMS's local time).
nbgrader's ``timestamp.txt`` follows nbgrader's own rule: a time without a
zone there is UTC; an abbreviation such as CEST is read in ``timezone``.

Extensions: a CSV with the columns ``student_id``, ``assignment`` and either
``new_due`` (a date-time) or ``extra_hours`` (a number, added to the
assignment's due date). A later row for the same student and assignment
replaces an earlier one, as nbgrader's ``grant_extension`` does.

Late means strictly after the due date: a submission exactly on the due date
is on time, one second later is one started hour (or day) late. Penalties are
never more than the score, so a score never goes below 0.
"""
import csv
import math
import os
import stat
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as date_parser
from dateutil import tz as date_tz

UNITS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
SOURCES = ("lms import", "timestamp.txt", "file modification time")


class DeadlineError(ValueError):
    """A deadline, extension or time that cannot be read as given (the message says where)."""


@dataclass(frozen=True)
class LatePolicy:
    per: str = "none"             # none, hour or day
    percent: float = 0.0          # per started unit
    max_percent: float = None     # cap on the total percentage (None: no cap)
    cutoff_hours: float = None    # after due + cutoff_hours the score is 0 (None: no cut-off)
    basis: str = "max_score"      # max_score or score

    def __post_init__(self):
        if self.per not in ("none", *UNITS):
            raise DeadlineError(f"late_policy.per must be none, hour or day, not {self.per!r}")
        if self.basis not in ("max_score", "score"):
            raise DeadlineError(f"late_policy.basis must be max_score or score, not {self.basis!r}")
        for name in ("percent", "max_percent", "cutoff_hours"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or value < 0):
                raise DeadlineError(f"late_policy.{name} must be a number >= 0, not {value!r}")


@dataclass(frozen=True)
class Deadlines:
    due: dict                  # {assignment: aware datetime}
    policy: LatePolicy
    timezone: object = None    # tzinfo for times written without an offset, or None


@dataclass(frozen=True)
class SubmissionTime:
    when: datetime             # aware
    source: str                # one of SOURCES
    detail: str = ""           # lms import: where it found the time (name or mtime); file time: what was passed over


@dataclass(frozen=True)
class LateResult:
    score: float               # after the penalty
    late: timedelta            # timedelta(0) when on time
    penalty: float             # points taken off
    explanation: str           # one line for the feedback page


# ---------------------------------------------------------------- reading times

def time_zone(name):
    """The tzinfo of an IANA zone name such as 'Europe/Berlin'."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeadlineError(f"unknown time zone {name!r} (use an IANA name such as 'Europe/Berlin')") from None


def parse_time(value, *, zone=None, where="time"):
    """An aware datetime from a datetime or ISO 8601 text; naive ones take ``zone`` or are refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise DeadlineError(f"{where}: {value!r} is not an ISO 8601 date-time "
                                "(e.g. 2026-09-15T23:59:00+02:00)") from None
    if not isinstance(value, datetime):
        raise DeadlineError(f"{where}: {value!r} is not a date-time")
    if value.tzinfo is None or value.utcoffset() is None:
        if zone is None:
            raise DeadlineError(f"{where}: {value.isoformat()} has no UTC offset; write one "
                                "(e.g. +02:00) or set timezone = \"Europe/Berlin\" in [deadlines]")
        value = value.replace(tzinfo=zone)
    return value


def load_deadlines(*, path):
    """The [deadlines] and [late_policy] tables of a TOML file (the course's autograder.toml)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DeadlineError(f"{path}: {exc}") from None
    return deadlines_from_settings(settings=data, where=path)


def deadlines_from_settings(*, settings, where):
    """Deadlines from the tables of a course description already read (``where`` names it in messages)."""
    table, policy_table = settings.get("deadlines", {}), settings.get("late_policy", {})
    for name, value in (("deadlines", table), ("late_policy", policy_table)):
        if not isinstance(value, dict):
            raise DeadlineError(f"{where}: [{name}] must be a table")
    table = dict(table)
    zone = time_zone(table.pop("timezone")) if "timezone" in table else None
    due = {name: parse_time(value, zone=zone, where=f"{where} [deadlines] {name}") for name, value in table.items()}
    unknown = set(policy_table) - {"per", "percent", "max_percent", "cutoff_hours", "basis"}
    if unknown:
        raise DeadlineError(f"{where} [late_policy]: unknown key(s) {', '.join(sorted(unknown))}")
    return Deadlines(due=due, policy=LatePolicy(**policy_table), timezone=zone)


def load_extensions(*, path, deadlines):
    """{(student_id, assignment): new due date} from the extensions CSV (see the module docstring)."""
    extensions = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            where = f"{path} line {line}"
            student, assignment = (row.get("student_id") or "").strip(), (row.get("assignment") or "").strip()
            new_due, extra = (row.get("new_due") or "").strip(), (row.get("extra_hours") or "").strip()
            if not student or not assignment or bool(new_due) == bool(extra):
                raise DeadlineError(f"{where}: needs student_id, assignment and exactly one of "
                                    "new_due or extra_hours")
            extensions[(student, assignment)] = (
                parse_time(new_due, zone=deadlines.timezone, where=where) if new_due
                else _extended(deadlines, assignment, extra, where))
    return extensions


def _extended(deadlines, assignment, extra_hours, where):
    if assignment not in deadlines.due:
        raise DeadlineError(f"{where}: extra_hours for {assignment!r}, which has no due date")
    try:
        hours = float(extra_hours)
    except ValueError:
        raise DeadlineError(f"{where}: extra_hours {extra_hours!r} is not a number") from None
    return deadlines.due[assignment] + timedelta(hours=hours)


def due_date(*, assignment, student_id, deadlines, extensions=None):
    """The student's due date for the assignment (their extension if any), or None if it has none."""
    extended = (extensions or {}).get((student_id, assignment))
    return extended or deadlines.due.get(assignment)


# ---------------------------------------------------------------- when it was handed in

def submission_time(*, student_id, assignment, submission_dir=None, import_rows=None, zone=None):
    """When the student handed the assignment in, and from where that is known; None if unknown.

    In order: the LMS import's recorded time (column ``submitted_at`` of
    import_mapping.csv, latest of the student's imported notebooks for the
    assignment; ``detail`` gives its ``submitted_at_source``: ``name`` for a
    time in the LMS's file name, ``mtime`` for a modification time in the
    download; naive times take ``zone`` or are refused), then nbgrader's
    ``timestamp.txt`` in ``submission_dir``, then the latest modification
    time of the notebooks in ``submission_dir``. A timestamp.txt that cannot
    be read (the student's folder holds it) is passed over, and the
    file time's ``detail`` says why. Symbolic links are never read through.
    """
    recorded = [(parse_time(row["submitted_at"], zone=zone, where=f"import mapping, {row.get('source', '')}"),
                 row.get("submitted_at_source") or "")
                for row in import_rows or ()
                if row.get("student_id") == student_id and row.get("assignment") == assignment
                and row.get("status", "imported") == "imported" and (row.get("submitted_at") or "").strip()]
    if recorded:
        when, how = max(recorded, key=lambda pair: pair[0])
        return SubmissionTime(when, SOURCES[0], how)
    if submission_dir is None:
        return None
    folder, passed_over = Path(submission_dir), ""
    stamp = folder / "timestamp.txt"
    if _is_regular_file(stamp):
        try:
            return SubmissionTime(_nbgrader_timestamp(stamp, zone), SOURCES[1])
        except DeadlineError as exc:
            passed_over = f"{exc}; the file time was used"
    mtimes = [p.lstat().st_mtime for p in folder.glob("*.ipynb") if _is_regular_file(p)]
    if mtimes:
        return SubmissionTime(datetime.fromtimestamp(max(mtimes), tz=timezone.utc), SOURCES[2], passed_over)
    return None


def _is_regular_file(path):
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _nbgrader_timestamp(path, zone):
    """The time in nbgrader's timestamp.txt, e.g. '2026-09-15 21:59:00.123456 UTC'.

    No zone means UTC, as nbgrader reads it. An abbreviation that is not a
    zone name (nbgrader writes e.g. CEST for Europe/Berlin) means ``zone``.
    """
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read(200).strip()
    date_text, name = (text.rsplit(" ", 1) if text.count(" ") == 2 else (text, ""))
    try:
        when = date_parser.parse(date_text)
    except (ValueError, OverflowError):
        raise DeadlineError(f"{path}: {text!r} is not a date-time") from None
    if when.tzinfo is not None:
        return when
    named = date_tz.gettz(name) if name else timezone.utc
    if named is None and zone is None:
        raise DeadlineError(f"{path}: unknown time zone {name!r}; set timezone in [deadlines]")
    return when.replace(tzinfo=named or zone)


# ---------------------------------------------------------------- the penalty

def apply_late_policy(*, score, max_score, submitted, due, policy):
    """The assignment score after the late policy, how late, the points off and a one-line explanation.

    ``submitted`` and ``due`` are aware datetimes (or None: unknown time or no
    due date, so no penalty).
    """
    if due is None:
        return LateResult(score, timedelta(0), 0.0, "No due date: no late penalty.")
    due = parse_time(due, where="due date")
    due_text = f"due {_show(due)}"
    if submitted is None:
        return LateResult(score, timedelta(0), 0.0, f"Submission time unknown ({due_text}): no late penalty.")
    late = parse_time(submitted, where="submission time") - due
    if late <= timedelta(0):
        return LateResult(score, timedelta(0), 0.0, f"Submitted on time ({due_text}).")
    lateness = f"Submitted {_duration(late)} late ({due_text})"
    if policy.cutoff_hours is not None and late > timedelta(hours=policy.cutoff_hours):
        return LateResult(0.0, late, score, f"{lateness}, after the cut-off of {policy.cutoff_hours:g} h: "
                                            f"score 0 instead of {score:g}.")
    if policy.per == "none" or policy.percent == 0:
        return LateResult(score, late, 0.0, f"{lateness}; no late penalty applies.")
    penalty, rule = _rate_penalty(score, max_score, late, policy)
    return LateResult(score - penalty, late, penalty,
                      f"{lateness}: {rule} = {penalty:g} points off, {score - penalty:g} left.")


def _rate_penalty(score, max_score, late, policy):
    """(points off, how they were counted) for a percentage per started hour or day."""
    units = math.ceil(late / UNITS[policy.per])
    percent = units * policy.percent
    capped = policy.max_percent is not None and percent > policy.max_percent
    basis = max_score if policy.basis == "max_score" else score
    penalty = min(score, basis * (policy.max_percent if capped else percent) / 100)
    rule = f"{units} started {policy.per}{'s' if units > 1 else ''} x {policy.percent:g}%"
    rule += f", capped at {policy.max_percent:g}%" if capped else ""
    rule += f" of the maximum {max_score:g}" if policy.basis == "max_score" else f" of the score {score:g}"
    return penalty, rule


def _show(moment):
    return moment.isoformat(sep=" ", timespec="minutes")


def _duration(delta):
    """'1 s', '2 h 5 min', '3 days 4 h': the two largest units."""
    seconds = math.ceil(delta.total_seconds())
    parts = []
    for name, size in (("days", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {'day' if name == 'days' and count == 1 else name}")
    return " ".join(parts[:2])
