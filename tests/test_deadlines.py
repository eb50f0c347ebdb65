"""Deadlines, extensions, submission times and late penalties (autograder.deadlines)."""
import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from autograder import course
from autograder.deadlines import (DeadlineError, LatePolicy, SubmissionTime, apply_late_policy, deadlines_from_settings,
                                  due_date, load_deadlines, load_extensions, parse_time, submission_time)

BERLIN_SUMMER = timezone(timedelta(hours=2))
DUE = datetime(2026, 9, 15, 23, 59, tzinfo=BERLIN_SUMMER)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def deadlines(tmp_path):
    return load_deadlines(path=write(tmp_path / "autograder.toml", """
[deadlines]
timezone = "Europe/Berlin"
"01_chain_rule" = "2026-09-15T23:59:00+02:00"
"02_gradient_descent" = 2026-09-22T21:59:00Z
"03_forward_pass" = "2026-12-01T12:00:00"

[late_policy]
per = "day"
percent = 10
max_percent = 30
cutoff_hours = 168
"""))


def late(policy, seconds, score=8.0, max_score=10.0):
    return apply_late_policy(score=score, max_score=max_score, submitted=DUE + timedelta(seconds=seconds),
                             due=DUE, policy=policy)


# ---------------------------------------------------------------- the config

def test_deadlines_file_reads_offsets_toml_datetimes_and_the_course_zone(deadlines):
    assert deadlines.due["01_chain_rule"] == DUE
    assert deadlines.due["02_gradient_descent"] == datetime(2026, 9, 22, 21, 59, tzinfo=timezone.utc)
    # No offset written: the file's zone, with its winter offset in December.
    assert deadlines.due["03_forward_pass"].utcoffset() == timedelta(hours=1)
    assert deadlines.policy == LatePolicy(per="day", percent=10, max_percent=30, cutoff_hours=168)


def test_the_courses_own_description_reads_without_due_dates():
    described = course.load()
    found = deadlines_from_settings(settings=described.settings, where="course/autograder.toml")
    assert found.due == {} and found.policy.per in ("none", "hour", "day")


def test_a_time_without_offset_and_without_a_zone_is_refused(tmp_path):
    path = write(tmp_path / "d.toml", '[deadlines]\n"01_chain_rule" = "2026-09-15T23:59:00"\n')
    with pytest.raises(DeadlineError, match="no UTC offset"):
        load_deadlines(path=path)
    with pytest.raises(DeadlineError, match="no UTC offset"):
        apply_late_policy(score=1, max_score=1, submitted=datetime(2026, 9, 16), due=DUE, policy=LatePolicy())


@pytest.mark.parametrize("table, message", [
    ('[late_policy]\nper = "week"\n', "none, hour or day"),
    ('[late_policy]\npercent = -5\n', "number >= 0"),
    ('[late_policy]\npercentage = 5\n', "unknown key"),
    ('[deadlines]\ntimezone = "Mars/Olympus"\n', "unknown time zone"),
    ('deadlines = "2026-09-15"\n', r"\[deadlines\] must be a table"),
])
def test_bad_policies_are_refused_with_the_reason(tmp_path, table, message):
    with pytest.raises(DeadlineError, match=message):
        load_deadlines(path=write(tmp_path / "d.toml", table))


# ---------------------------------------------------------------- extensions

def test_extensions_by_new_date_or_extra_hours_later_rows_win(tmp_path, deadlines):
    path = write(tmp_path / "extensions.csv", "student_id,assignment,new_due,extra_hours\n"
                 "alice,01_chain_rule,2026-09-20T12:00:00,\n"
                 "bob,01_chain_rule,,48\n"
                 "bob,01_chain_rule,,24\n")
    extensions = load_extensions(path=path, deadlines=deadlines)
    # Alice's date has no offset: the course's zone (Berlin, summer) applies.
    assert due_date(assignment="01_chain_rule", student_id="alice", deadlines=deadlines,
                    extensions=extensions) == datetime(2026, 9, 20, 12, tzinfo=BERLIN_SUMMER)
    assert due_date(assignment="01_chain_rule", student_id="bob", deadlines=deadlines,
                    extensions=extensions) == DUE + timedelta(hours=24)
    assert due_date(assignment="01_chain_rule", student_id="carol", deadlines=deadlines,
                    extensions=extensions) == DUE
    assert due_date(assignment="04_backprop_by_hand", student_id="carol", deadlines=deadlines) is None


@pytest.mark.parametrize("row, message", [
    ("alice,01_chain_rule,2026-09-20T12:00:00+02:00,5", "exactly one of"),
    ("alice,01_chain_rule,,", "exactly one of"),
    ("alice,01_chain_rule,,two", "not a number"),
    ("alice,09_unknown,,5", "no due date"),
    ("alice,01_chain_rule,next monday,", "not an ISO 8601"),
])
def test_bad_extension_rows_name_their_line(tmp_path, deadlines, row, message):
    path = write(tmp_path / "extensions.csv", f"student_id,assignment,new_due,extra_hours\n{row}\n")
    with pytest.raises(DeadlineError, match=f"line 2: .*{message}"):
        load_extensions(path=path, deadlines=deadlines)


# ---------------------------------------------------------------- submission times

def test_the_lms_import_time_comes_first_and_the_latest_notebook_counts(tmp_path):
    folder = tmp_path / "alice" / "01_chain_rule"
    folder.mkdir(parents=True)
    write(folder / "timestamp.txt", "2026-09-10 10:00:00.000000 UTC")
    rows = [
        {"student_id": "alice", "assignment": "01_chain_rule", "status": "imported",
         "submitted_at": "2026-09-15T23:00:00+02:00"},
        {"student_id": "alice", "assignment": "01_chain_rule", "status": "imported",
         "submitted_at": "2026-09-16T00:30:00+02:00", "submitted_at_source": "name"},
        {"student_id": "alice", "assignment": "01_chain_rule", "status": "duplicate",
         "submitted_at": "2026-09-30T00:00:00+02:00"},
        {"student_id": "bob", "assignment": "01_chain_rule", "status": "imported",
         "submitted_at": "2026-09-01T00:00:00+02:00"},
    ]
    found = submission_time(student_id="alice", assignment="01_chain_rule", submission_dir=folder, import_rows=rows)
    assert found == SubmissionTime(datetime(2026, 9, 16, 0, 30, tzinfo=BERLIN_SUMMER), "lms import", "name")


def test_without_a_recorded_time_nbgraders_timestamp_then_the_file_time(tmp_path):
    folder = tmp_path / "alice" / "01_chain_rule"
    folder.mkdir(parents=True)
    notebook = write(folder / "01_chain_rule.ipynb", "{}")
    os.utime(notebook, (1_800_000_000, 1_800_000_000))
    rows_without_times = [{"student_id": "alice", "assignment": "01_chain_rule", "status": "imported"}]

    found = submission_time(student_id="alice", assignment="01_chain_rule", submission_dir=folder,
                            import_rows=rows_without_times)
    assert found == SubmissionTime(datetime.fromtimestamp(1_800_000_000, tz=timezone.utc), "file modification time")

    write(folder / "timestamp.txt", "2026-09-15 21:59:01.5 UTC")
    found = submission_time(student_id="alice", assignment="01_chain_rule", submission_dir=folder)
    assert found == SubmissionTime(datetime(2026, 9, 15, 21, 59, 1, 500000, tzinfo=timezone.utc), "timestamp.txt")

    write(folder / "timestamp.txt", "2026-09-15 21:59:01")  # no zone: UTC, as nbgrader reads it
    assert submission_time(student_id="alice", assignment="01_chain_rule",
                           submission_dir=folder).when == datetime(2026, 9, 15, 21, 59, 1, tzinfo=timezone.utc)

    # nbgrader set to Europe/Berlin writes the abbreviation: the course's zone reads it.
    write(folder / "timestamp.txt", "2026-09-15 23:59:01.000000 CEST")
    assert submission_time(student_id="alice", assignment="01_chain_rule", submission_dir=folder,
                           zone=ZoneInfo("Europe/Berlin")).when == DUE + timedelta(seconds=1)
    # Without the zone (or with a file that is no time) the file time stands in, saying why.
    passed_over = submission_time(student_id="alice", assignment="01_chain_rule", submission_dir=folder)
    assert (passed_over.source, passed_over.when.timestamp()) == ("file modification time", 1_800_000_000)
    assert "unknown time zone 'CEST'" in passed_over.detail


def test_a_linked_timestamp_or_notebook_is_never_read(tmp_path):
    folder = tmp_path / "alice" / "01_chain_rule"
    folder.mkdir(parents=True)
    elsewhere = write(tmp_path / "secret.txt", "2026-09-15 21:59:01 UTC")
    (folder / "timestamp.txt").symlink_to(elsewhere)
    (folder / "01_chain_rule.ipynb").symlink_to(elsewhere)
    assert submission_time(student_id="alice", assignment="01_chain_rule", submission_dir=folder) is None


def test_no_source_means_unknown_and_naive_lms_times_need_a_zone(tmp_path):
    assert submission_time(student_id="alice", assignment="01_chain_rule", submission_dir=tmp_path) is None
    rows = [{"student_id": "alice", "assignment": "01_chain_rule", "submitted_at": "2026-09-15T23:00:00"}]
    with pytest.raises(DeadlineError, match="no UTC offset"):
        submission_time(student_id="alice", assignment="01_chain_rule", import_rows=rows)
    zoned = submission_time(student_id="alice", assignment="01_chain_rule", import_rows=rows, zone=timezone.utc)
    assert zoned.when == datetime(2026, 9, 15, 23, tzinfo=timezone.utc)


# ---------------------------------------------------------------- policies and boundaries

def test_exactly_on_time_is_on_time_and_one_second_late_is_late():
    per_hour = LatePolicy(per="hour", percent=5)
    on_time = late(per_hour, 0)
    assert (on_time.score, on_time.penalty, on_time.late) == (8.0, 0.0, timedelta(0))
    assert on_time.explanation == "Submitted on time (due 2026-09-15 23:59+02:00)."
    just_late = late(per_hour, 1)
    assert (just_late.score, just_late.penalty, just_late.late) == (7.5, 0.5, timedelta(seconds=1))
    assert just_late.explanation.startswith("Submitted 1 s late (due 2026-09-15 23:59+02:00): 1 started hour x 5%")
    # Early is on time too, and an earlier submission is not rewarded.
    assert late(per_hour, -3600).score == 8.0


def test_no_policy_reports_lateness_without_a_penalty():
    result = late(LatePolicy(), 3 * 3600 + 120)
    assert (result.score, result.penalty, result.late) == (8.0, 0.0, timedelta(hours=3, minutes=2))
    assert result.explanation == "Submitted 3 h 2 min late (due 2026-09-15 23:59+02:00); no late penalty applies."


def test_per_hour_counts_started_hours():
    per_hour = LatePolicy(per="hour", percent=5)
    assert late(per_hour, 3600).penalty == 0.5        # exactly one hour: one started hour
    assert late(per_hour, 3601).penalty == 1.0        # one second into the second hour
    assert late(per_hour, 10 * 3600).score == 3.0


def test_per_day_with_a_maximum_and_on_the_score_earned():
    per_day = LatePolicy(per="day", percent=10, max_percent=25)
    assert late(per_day, 86400).penalty == pytest.approx(1.0)
    assert late(per_day, 86401).penalty == pytest.approx(2.0)
    capped = late(per_day, 5 * 86400)
    assert capped.penalty == pytest.approx(2.5) and capped.score == pytest.approx(5.5)
    assert "5 started days x 10%, capped at 25% of the maximum 10 = 2.5 points off" in capped.explanation
    of_score = late(LatePolicy(per="day", percent=10, basis="score"), 86400)
    assert of_score.penalty == pytest.approx(0.8) and "of the score 8" in of_score.explanation


def test_the_penalty_never_takes_the_score_below_zero():
    result = late(LatePolicy(per="day", percent=50), 4 * 86400, score=3.0)
    assert (result.score, result.penalty) == (0.0, 3.0)


def test_after_the_cut_off_the_score_is_zero_and_on_it_the_normal_rate_applies():
    policy = LatePolicy(per="day", percent=10, cutoff_hours=48)
    at_cutoff = late(policy, 48 * 3600)
    assert at_cutoff.score == pytest.approx(6.0)
    after = late(policy, 48 * 3600 + 1)
    assert (after.score, after.penalty) == (0.0, 8.0)
    assert after.explanation == ("Submitted 2 days 1 s late (due 2026-09-15 23:59+02:00), after the cut-off "
                                 "of 48 h: score 0 instead of 8.")
    # A cut-off alone, no rate: on time or zero.
    assert late(LatePolicy(cutoff_hours=0), 1).score == 0.0


def test_unknown_times_and_missing_due_dates_give_no_penalty():
    policy = LatePolicy(per="hour", percent=50)
    no_due = apply_late_policy(score=8, max_score=10, submitted=DUE, due=None, policy=policy)
    assert (no_due.score, no_due.explanation) == (8, "No due date: no late penalty.")
    unknown = apply_late_policy(score=8, max_score=10, submitted=None, due=DUE, policy=policy)
    assert unknown.score == 8 and unknown.explanation.startswith("Submission time unknown")


def test_times_in_other_zones_compare_as_instants():
    # 23:59:01 in Berlin is 21:59:01 UTC: one second late, whatever zone it is written in.
    result = apply_late_policy(score=8, max_score=10, due=DUE, policy=LatePolicy(per="hour", percent=5),
                               submitted=parse_time("2026-09-15T21:59:01Z"))
    assert result.late == timedelta(seconds=1)
