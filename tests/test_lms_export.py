"""Grades back to the LMS (autograder.lms_export and `python -m autograder export`): Canvas, Moodle, a plain CSV."""
import csv
from datetime import datetime, timezone

import pytest

from autograder.cli import main
from autograder.lms_export import (Identity, export_grades, export_run, read_identities, students_without_lms_id,
                                   write_canvas_csv, write_moodle_worksheets, write_plain_csv)
from autograder.paths import REPO_ROOT
from autograder.report import read_csv
from autograder.results import AssignmentGrade

SAMPLES = REPO_ROOT / "docs" / "lms"
NOW = datetime(2026, 9, 25, 9, 0, tzinfo=timezone.utc)

# The headers as Canvas' gradebook import and Moodle's offline grading worksheet spell them.
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                 "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
WIDE_HEADER = ["student_id", "01_chain_rule", "02_gradient_descent", "total"]

SUMMARY = [
    AssignmentGrade("ann", "01_chain_rule", 20.0, 22.0, "graded", submitted_at="2026-09-15T21:40:12+02:00"),
    AssignmentGrade("ann", "02_gradient_descent", 0.0, 18.0, "not_submitted"),
    AssignmentGrade("ben", "01_chain_rule", 0.0, 22.0, "not_graded"),
    AssignmentGrade("ben", "02_gradient_descent", 0.0, 18.0, "graded"),
]


def rows_of(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# ---------------------------------------------------------------- Canvas

def test_canvas_header_points_possible_and_values_round_trip(tmp_path):
    identities = {"ann": Identity("ann", "canvas", "41230", "Smith, Ann")}
    path = write_canvas_csv(summary=SUMMARY, path=tmp_path / "canvas.csv", identities=identities,
                            canvas_assignment_ids={"01_chain_rule": "9001"})
    header, points, ann, ben = rows_of(path)
    assert header == CANVAS_HEADER + ["01_chain_rule (9001)", "02_gradient_descent"]
    assert points == ["Points Possible", "", "", "", "", "22", "18"]
    assert ann == ["Smith, Ann", "41230", "", "", "", "20", ""]      # not submitted: blank, not 0
    assert ben == ["ben", "", "", "", "", "", "0"]                    # not graded: blank; a real 0 stays 0


def test_an_id_recorded_by_another_lms_is_not_used_for_canvas(tmp_path):
    identities = {"ann": Identity("ann", "moodle", "2051", "Ann Smith")}
    _, _, ann, _ = rows_of(write_canvas_csv(summary=SUMMARY, path=tmp_path / "c.csv", identities=identities))
    assert ann[:2] == ["Ann Smith", ""]


# ---------------------------------------------------------------- Moodle

def test_moodle_writes_one_worksheet_per_assignment_with_its_columns(tmp_path):
    identities = {"ann": Identity("ann", "moodle", "2051", "Ann Smith"), "ben": Identity("ben")}
    paths = write_moodle_worksheets(summary=SUMMARY, out_dir=tmp_path, identities=identities, now=NOW,
                                    feedback={("ben", "02_gradient_descent"): "-1 for style"})
    assert [p.name for p in paths] == ["moodle_01_chain_rule.csv", "moodle_02_gradient_descent.csv"]
    first = read_csv(paths[0])
    assert list(first[0]) == MOODLE_HEADER
    ann, ben = first
    assert ann == {"Identifier": "Participant 2051", "Full name": "Ann Smith", "Email address": "",
                   "Status": "Submitted for grading", "Grade": "20", "Maximum Grade": "22",
                   "Grade can be changed": "Yes", "Last modified (submission)": "2026-09-15T21:40:12+02:00",
                   "Last modified (grade)": "2026-09-25T09:00:00+00:00",
                   "Feedback comments": "Autograded: 20 of 22 points."}
    # No participant number recorded: Moodle cannot match the row; not graded: no grade goes out.
    assert (ben["Identifier"], ben["Full name"], ben["Grade"]) == ("", "ben", "")
    assert ben["Feedback comments"].startswith("Not graded yet")
    ann, ben = read_csv(paths[1])
    assert (ann["Status"], ann["Grade"], ann["Last modified (submission)"]) == ("No submission", "", "")
    assert (ben["Grade"], ben["Feedback comments"]) == ("0", "'-1 for style")


def test_moodle_grades_are_scaled_to_the_moodle_maximum(tmp_path):
    paths = write_moodle_worksheets(summary=SUMMARY[:1], out_dir=tmp_path, max_grade=100, now=NOW)
    (ann,) = read_csv(paths[0])
    assert (ann["Grade"], ann["Maximum Grade"]) == ("90.9091", "100")


# ---------------------------------------------------------------- plain CSV

def test_plain_csv_totals_the_graded_scores(tmp_path):
    rows = read_csv(write_plain_csv(summary=[*SUMMARY, AssignmentGrade("cy", "02_gradient_descent", 0, 18,
                                                                       "not_submitted")],
                                    path=tmp_path / "wide.csv"))
    assert [list(r.values()) for r in rows] == [["ann", "20", "", "20"], ["ben", "", "0", "0"], ["cy", "", "", ""]]
    assert list(rows[0]) == WIDE_HEADER


# ---------------------------------------------------------------- safety and identities

@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_get_a_quote(tmp_path, text):
    path = write_canvas_csv(summary=SUMMARY, path=tmp_path / "c.csv", identities={"ann": Identity("ann", "", "", text)})
    assert rows_of(path)[2][0] == ("\\x0dx" if text == "\rx" else "'" + text)  # a control character is escaped


def test_names_and_ids_from_the_import_are_made_safe_in_every_format(tmp_path):
    hostile = {"ann": Identity("ann", "", "=1+1", "=cmd|' /C calc'!A0")}
    for fmt, out in (("canvas", tmp_path / "c.csv"), ("moodle", tmp_path / "m"), ("csv", tmp_path / "w.csv")):
        for path in export_grades(format=fmt, summary=SUMMARY, out=out, identities=hostile,
                                  feedback={("ann", "01_chain_rule"): "@everyone"}):
            cells = [cell for row in rows_of(path) for cell in row]
            assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells), (fmt, cells)
    with pytest.raises(ValueError, match="unknown format"):
        export_grades(format="blackboard", summary=SUMMARY, out=tmp_path / "x.csv")


def test_identities_come_from_imported_rows_and_missing_ones_are_listed():
    mapping = [
        {"student_id": "ann", "status": "duplicate", "lms": "canvas", "lms_user_id": "999", "lms_name": "Old"},
        {"student_id": "ann", "status": "imported", "lms": "canvas", "lms_user_id": "41230", "lms_name": ""},
        {"student_id": "ann", "status": "imported", "lms": "canvas", "lms_user_id": "41230", "lms_name": "Ann S"},
        {"student_id": "ben", "status": "imported"},  # an import without the LMS columns
        {"student_id": "", "status": "unmatched"},
    ]
    identities = read_identities(mapping_rows=mapping)
    assert identities == {"ann": Identity("ann", "canvas", "41230", "Ann S"), "ben": Identity("ben")}
    assert students_without_lms_id(summary=SUMMARY, identities=identities, lms="canvas") == ["ben"]


# ---------------------------------------------------------------- the samples in docs/lms

def test_the_documented_samples_are_what_the_exporter_writes(tmp_path):
    ids = {"01_chain_rule": "190311", "02_gradient_descent": "190312"}
    written = [
        *export_run(format="canvas", grades_dir=SAMPLES, out=tmp_path / "canvas.csv",
                    mapping=SAMPLES / "import_mapping_canvas.csv", canvas_assignment_ids=ids)[0],
        *export_run(format="moodle", grades_dir=SAMPLES, out=tmp_path, mapping=SAMPLES / "import_mapping_moodle.csv",
                    now=NOW)[0],
        *export_run(format="csv", grades_dir=SAMPLES, out=tmp_path / "grades_wide.csv")[0],
    ]
    for path in written:
        assert path.read_text(encoding="utf-8") == (SAMPLES / path.name).read_text(encoding="utf-8"), path.name
    assert rows_of(SAMPLES / "canvas.csv")[0][:5] == CANVAS_HEADER
    assert rows_of(SAMPLES / "moodle_01_chain_rule.csv")[0] == MOODLE_HEADER
    assert rows_of(SAMPLES / "grades_wide.csv")[0] == WIDE_HEADER


def test_the_export_command_writes_each_format_and_warns_about_unmatched_students(tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    assert main(["export", "--format", "canvas", "--grades", str(SAMPLES), "--out", str(out),
                 "--mapping", str(SAMPLES / "import_mapping_canvas.csv"),
                 "--canvas-id", "01_chain_rule=190311", "--canvas-id", "02_gradient_descent=190312"]) == 0
    assert out.read_text(encoding="utf-8") == (SAMPLES / "canvas.csv").read_text(encoding="utf-8")
    printed = capsys.readouterr()
    assert "no canvas user id for 1 student(s) (pat_ng)" in printed.err and "1 score(s) left blank" in printed.err
    assert printed.out.strip() == str(out)
    moodle = tmp_path / "moodle"
    assert main(["export", "--format", "moodle", "--grades", str(SAMPLES), "--out", str(moodle),
                 "--mapping", str(SAMPLES / "import_mapping_moodle.csv"), "--moodle-max-grade", "100"]) == 0
    jane = read_csv(moodle / "moodle_01_chain_rule.csv")[0]
    wei = read_csv(moodle / "moodle_02_gradient_descent.csv")[1]
    assert list(jane) == MOODLE_HEADER
    assert (jane["Identifier"], jane["Grade"], jane["Last modified (submission)"]) == \
        ("Participant 2051", "86.3636", "2026-09-15T21:40:12+02:00")
    assert wei["Grade"] == "66.6667"  # 12 of 18 after the late penalty, scaled to 100
    assert main(["export", "--format", "csv", "--grades", str(SAMPLES), "--out", str(tmp_path / "w.csv")]) == 0
    assert rows_of(tmp_path / "w.csv") == rows_of(SAMPLES / "grades_wide.csv")


def test_the_export_command_refuses_a_folder_without_a_summary_and_a_bad_canvas_id(tmp_path, capsys):
    assert main(["export", "--format", "csv", "--grades", str(tmp_path), "--out", str(tmp_path / "w.csv")]) == 2
    assert "summary.csv does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--format", "canvas", "--grades", str(SAMPLES), "--out", str(tmp_path / "c.csv"),
              "--canvas-id", "190311"])
    assert "is not ASSIGNMENT=ID" in capsys.readouterr().err
