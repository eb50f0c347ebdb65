"""Importing an LMS download (folder or zip) into nbgrader's layout: autograder/lms.py."""
import os
import re
import struct
import zipfile
from dataclasses import asdict, fields

import pytest

from autograder.lms import ImportRow, LmsImportError, import_submissions, safe_id, write_mapping
from autograder.report import read_csv

COURSE = {"01_chain_rule": ["01_chain_rule"], "06_applications": ["06_applications"]}
CHAIN = "01_chain_rule/01_chain_rule.ipynb"
APPS = "06_applications/06_applications.ipynb"


def content(tag):
    """Distinct bytes per file, to see which file was copied (not parsed: need not be JSON)."""
    return f'{{"cells": [], "who": "{tag}"}}\n'.encode()


def make_folder(root, files):
    """files: {relative path: bytes}, or (bytes, mtime in seconds since the epoch)."""
    for name, data in files.items():
        data, mtime = data if isinstance(data, tuple) else (data, None)
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    return root


def make_zip(path, entries):
    """entries: [(name as stored, bytes)] or [(name, bytes, date_time)]."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, *when in entries:
            info = zipfile.ZipInfo(name, date_time=when[0] if when else (2026, 11, 20, 10, 0, 0))
            archive.writestr(info, data)
    return path


def table(rows):
    return [(r.source, r.student_id, r.assignment, r.notebook, r.destination, r.status) for r in rows]


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_canvas_names_from_a_folder(tmp_path):
    download = make_folder(tmp_path / "download", {
        "smithjane_12345_6789012_01_chain_rule.ipynb": content("jane"),
        "doejohn_late_22222_7000001_06_applications-1.ipynb": content("john"),
        "leeann_33333_7000002_06 Applications.ipynb": content("ann"),
    })
    out = tmp_path / "submitted"
    rows = import_submissions(download, out, COURSE)
    assert table(rows) == [
        ("doejohn_late_22222_7000001_06_applications-1.ipynb", "doejohn", "06_applications",
         "06_applications", f"doejohn/{APPS}", "imported"),
        ("leeann_33333_7000002_06 Applications.ipynb", "leeann", "06_applications",
         "06_applications", f"leeann/{APPS}", "imported"),
        ("smithjane_12345_6789012_01_chain_rule.ipynb", "smithjane", "01_chain_rule",
         "01_chain_rule", f"smithjane/{CHAIN}", "imported"),
    ]
    assert [r.detail for r in rows] == ["Canvas file name; marked late", "Canvas file name", "Canvas file name"]
    assert files_under(out) == [f"doejohn/{APPS}", f"leeann/{APPS}", f"smithjane/{CHAIN}"]
    assert (out / "smithjane" / CHAIN).read_bytes() == content("jane")
    assert (out / "doejohn" / APPS).read_bytes() == content("john")


def test_moodle_names_from_a_zip(tmp_path):
    download = make_zip(tmp_path / "moodle.zip", [
        ("Jane Smith_12345_assignsubmission_file_01_chain_rule.ipynb", content("jane")),
        # Moodle's "download submissions in folders": the student is in the folder name.
        ("José Núñez_23456_assignsubmission_file_/06_applications (1).ipynb", content("jose")),
        ("Jane Smith_12345_assignsubmission_onlinetext_/onlinetext.html", b"<p>hi</p>"),
    ])
    out = tmp_path / "submitted"
    rows = import_submissions(download, out, COURSE)
    assert table(rows) == [
        ("Jane Smith_12345_assignsubmission_file_01_chain_rule.ipynb", "jane_smith", "01_chain_rule",
         "01_chain_rule", f"jane_smith/{CHAIN}", "imported"),
        ("Jane Smith_12345_assignsubmission_onlinetext_/onlinetext.html", "", "", "", "", "not_a_notebook"),
        ("José Núñez_23456_assignsubmission_file_/06_applications (1).ipynb", "jose_nunez", "06_applications",
         "06_applications", f"jose_nunez/{APPS}", "imported"),
    ]
    assert rows[0].detail == "Moodle file name"
    assert rows[2].detail == "Moodle folder name 'José Núñez_23456_assignsubmission_file_'"
    assert (out / "jose_nunez" / APPS).read_bytes() == content("jose")


def test_moodle_namesakes_are_told_apart_by_their_number(tmp_path):
    download = make_folder(tmp_path / "download", {
        "Jane Smith_12345_assignsubmission_file_01_chain_rule.ipynb": content("first"),
        "Jane Smith_67890_assignsubmission_file_01_chain_rule.ipynb": content("second"),
    })
    rows = import_submissions(download, tmp_path / "out", COURSE)
    assert [(r.student_id, r.status) for r in rows] == [("jane_smith_12345", "imported"),
                                                      ("jane_smith_67890", "imported")]
    assert rows[1].detail == ("Moodle file name; several Moodle students are called 'jane_smith'; "
                              "told apart by their number 67890")
    assert (tmp_path / "out" / "jane_smith_67890" / CHAIN).read_bytes() == content("second")


def test_blackboard_names_and_the_latest_attempt_by_its_timestamp(tmp_path):
    early = "Assignment 1_jsmith_attempt_2026-11-20-10-00-00_01_chain_rule.ipynb"
    late = "Assignment 1_jsmith_attempt_2026-11-21-09-30-00_01_Chain_Rule.ipynb"
    receipt = "Assignment 1_jsmith_attempt_2026-11-21-09-30-00.txt"
    download = make_zip(tmp_path / "gradebook.zip", [
        # The earlier attempt has the later zip time: the name's timestamp wins.
        (early, content("early"), (2026, 12, 1, 0, 0, 0)),
        (late, content("late"), (2026, 11, 21, 9, 30, 0)),
        (receipt, b"Name: Jane Smith\n"),
    ])
    out = tmp_path / "out"
    rows = import_submissions(download, out, COURSE)
    assert table(rows) == [
        (early, "jsmith", "01_chain_rule", "01_chain_rule", "", "duplicate"),
        (receipt, "", "", "", "", "not_a_notebook"),
        (late, "jsmith", "01_chain_rule", "01_chain_rule", f"jsmith/{CHAIN}", "imported"),
    ]
    assert rows[0].detail == f"older attempt; kept {late} (a later time in its name)"
    assert rows[2].detail == "Blackboard file name; latest of 2 files"
    assert files_under(out) == [f"jsmith/{CHAIN}"]
    assert (out / "jsmith" / CHAIN).read_bytes() == content("late")


def test_brightspace_names_and_afternoon_times(tmp_path):
    morning = "123-456 - Jane Smith- Nov 20, 2026 1159 AM - 01_chain_rule.ipynb"
    afternoon = "123-457 - Jane Smith- Nov 20, 2026 100 PM - 01_chain_rule.ipynb"
    download = make_folder(tmp_path / "download", {
        morning: (content("morning"), 2_000_000_000), afternoon: (content("afternoon"), 1_000_000_000),
        "index.html": b"<html></html>",
    })
    rows = import_submissions(download, tmp_path / "out", COURSE)
    assert table(rows) == [
        (morning, "jane_smith", "01_chain_rule", "01_chain_rule", "", "duplicate"),
        (afternoon, "jane_smith", "01_chain_rule", "01_chain_rule", f"jane_smith/{CHAIN}", "imported"),
        ("index.html", "", "", "", "", "not_a_notebook"),
    ]
    assert rows[1].detail == "Brightspace file name; latest of 2 files"
    assert rows[0].detail == f"older attempt; kept {afternoon} (a later time in its name)"
    assert (tmp_path / "out" / "jane_smith" / CHAIN).read_bytes() == content("afternoon")


def test_plain_names_and_folders(tmp_path):
    download = make_folder(tmp_path / "download", {
        "alice_01_chain_rule.ipynb": content("alice"),
        "bob-01-Chain-Rule.ipynb": content("bob"),
        "Carol Jones 06 applications.ipynb": content("carol"),
        "01_chain_rule_dave.ipynb": content("dave"),
        "erin/01_chain_rule/01_chain_rule.ipynb": content("erin"),  # nbgrader's own layout
        "frank/06_applications_final.ipynb": content("frank"),
    })
    out = tmp_path / "out"
    rows = import_submissions(download, out, COURSE)
    assert table(rows) == [
        ("01_chain_rule_dave.ipynb", "dave", "01_chain_rule", "01_chain_rule", f"dave/{CHAIN}", "imported"),
        ("Carol Jones 06 applications.ipynb", "carol_jones", "06_applications", "06_applications",
         f"carol_jones/{APPS}", "imported"),
        ("alice_01_chain_rule.ipynb", "alice", "01_chain_rule", "01_chain_rule", f"alice/{CHAIN}", "imported"),
        ("bob-01-Chain-Rule.ipynb", "bob", "01_chain_rule", "01_chain_rule", f"bob/{CHAIN}", "imported"),
        ("erin/01_chain_rule/01_chain_rule.ipynb", "erin", "01_chain_rule", "01_chain_rule",
         f"erin/{CHAIN}", "imported"),
        ("frank/06_applications_final.ipynb", "frank", "06_applications", "06_applications",
         f"frank/{APPS}", "imported"),
    ]
    assert [r.detail for r in rows] == [
        "plain file name, after the notebook name", "plain file name", "plain file name", "plain file name",
        "plain folder name 'erin'", "plain folder name 'frank'"]
    for row in rows:
        assert (out / row.destination).read_bytes() == content(row.student_id.split("_")[0])


def test_duplicates_keep_the_latest_attempt(tmp_path):
    download = make_folder(tmp_path / "download", {
        # Canvas: the larger attachment number is the later upload, whatever the file times.
        "smithjane_12345_6789012_01_chain_rule.ipynb": (content("canvas old"), 2_000_000_000),
        "smithjane_12345_6789999_01_chain_rule.ipynb": (content("canvas new"), 1_000_000_000),
        # A decoration number beats the file time.
        "bob_06_applications.ipynb": (content("bob old"), 2_000_000_000),
        "bob_06_applications (2).ipynb": (content("bob new"), 1_000_000_000),
        # No number in the names: the later modification time wins.
        "alice_01_chain_rule.ipynb": (content("alice new"), 1_700_000_000),
        "alice_01_chain_rule copy.ipynb": (content("alice old"), 1_600_000_000),
    })
    out = tmp_path / "out"
    rows = import_submissions(download, out, COURSE)
    assert [(r.source, r.status, r.destination, r.detail) for r in rows] == [
        ("alice_01_chain_rule copy.ipynb", "duplicate", "",
         "older attempt; kept alice_01_chain_rule.ipynb (a later modification time)"),
        ("alice_01_chain_rule.ipynb", "imported", f"alice/{CHAIN}", "plain file name; latest of 2 files"),
        ("bob_06_applications (2).ipynb", "imported", f"bob/{APPS}", "plain file name; latest of 2 files"),
        ("bob_06_applications.ipynb", "duplicate", "",
         "older attempt; kept bob_06_applications (2).ipynb (a higher attempt number in its name)"),
        ("smithjane_12345_6789012_01_chain_rule.ipynb", "duplicate", "",
         "older attempt; kept smithjane_12345_6789999_01_chain_rule.ipynb (a higher attempt number in its name)"),
        ("smithjane_12345_6789999_01_chain_rule.ipynb", "imported", f"smithjane/{CHAIN}",
         "Canvas file name; latest of 2 files"),
    ]
    assert (out / "alice" / CHAIN).read_bytes() == content("alice new")
    assert (out / "bob" / APPS).read_bytes() == content("bob new")
    assert (out / "smithjane" / CHAIN).read_bytes() == content("canvas new")
    assert files_under(out) == [f"alice/{CHAIN}", f"bob/{APPS}", f"smithjane/{CHAIN}"]


def test_duplicates_in_a_zip_keep_the_latest_entry_time(tmp_path):
    download = make_zip(tmp_path / "d.zip", [
        ("carol_01_chain_rule.ipynb", content("new"), (2026, 11, 20, 12, 0, 0)),
        ("Carol_01_Chain_Rule_copy.ipynb", content("old"), (2026, 11, 20, 11, 0, 0)),
    ])
    rows = import_submissions(download, tmp_path / "out", COURSE)
    assert [(r.source, r.student_id, r.status) for r in rows] == [
        ("Carol_01_Chain_Rule_copy.ipynb", "carol", "duplicate"),
        ("carol_01_chain_rule.ipynb", "carol", "imported")]
    assert (tmp_path / "out" / "carol" / CHAIN).read_bytes() == content("new")


def test_unmatched_and_non_notebook_files_are_reported(tmp_path):
    download = make_zip(tmp_path / "d.zip", [
        ("alice_03_forward_pass.ipynb", content("wrong course")),
        ("01_chain_rule.ipynb", content("nobody")),
        ("alice_01_chain_rule.py", b"print(1)\n"),
        ("__MACOSX/._alice_01_chain_rule.ipynb", b"\x00\x05\x16\x07"),
        ("bob/.ipynb_checkpoints/bob_01_chain_rule-checkpoint.ipynb", content("checkpoint")),
        ("bob/bob_01_chain_rule.ipynb", content("bob")),
    ])
    out = tmp_path / "out"
    rows = import_submissions(download, out, COURSE)
    assert [(r.source, r.status, r.student_id, r.notebook, r.detail) for r in rows] == [
        ("01_chain_rule.ipynb", "unmatched", "", "01_chain_rule",
         "found 01_chain_rule but no student id in the name or its folders"),
        ("__MACOSX/._alice_01_chain_rule.ipynb", "unmatched", "", "",
         "hidden or system file (__MACOSX), not a submission"),
        ("alice_01_chain_rule.py", "not_a_notebook", "", "", "not a .ipynb file"),
        ("alice_03_forward_pass.ipynb", "unmatched", "", "",
         "no notebook of the course in the name; expected one of 01_chain_rule.ipynb, 06_applications.ipynb"),
        ("bob/.ipynb_checkpoints/bob_01_chain_rule-checkpoint.ipynb", "unmatched", "", "",
         "hidden or system file (.ipynb_checkpoints), not a submission"),
        ("bob/bob_01_chain_rule.ipynb", "imported", "bob", "01_chain_rule", "plain file name"),
    ]
    assert files_under(out) == [f"bob/{CHAIN}"]
    assert (out / "bob" / CHAIN).read_bytes() == content("bob")


def test_a_notebook_name_in_two_assignments_needs_the_assignment_folder(tmp_path):
    course = {"week1": ["quiz"], "week2": ["quiz"]}
    download = make_folder(tmp_path / "download", {"Week 1/alice_quiz.ipynb": content("alice"),
                                                   "bob_quiz.ipynb": content("bob")})
    rows = import_submissions(download, tmp_path / "out", course)
    assert [(r.source, r.status, r.destination, r.detail) for r in rows] == [
        ("Week 1/alice_quiz.ipynb", "imported", "alice/week1/quiz.ipynb", "plain file name"),
        ("bob_quiz.ipynb", "unmatched", "", "the notebook name belongs to several assignments "
         "(week1/quiz, week2/quiz); put the files in a folder named after the assignment"),
    ]


def test_zip_entries_cannot_write_outside_out_dir(tmp_path):
    download = make_zip(tmp_path / "evil.zip", [
        ("../../evil.ipynb", content("evil")),
        ("../../mallory_01_chain_rule.ipynb", content("mallory")),
        ("/tmp/mallory_06_applications.ipynb", content("absolute")),
        ("sub/../../../mallory_06_applications.ipynb", content("nested")),
        ("..\\..\\mallory_06_applications.ipynb", content("backslash")),
        ("C:/mallory_06_applications.ipynb", content("drive")),
        ("ok/alice_01_chain_rule.ipynb", content("alice")),
    ])
    out = tmp_path / "a" / "b" / "out"
    rows = import_submissions(download, out, COURSE)
    unsafe = "unsafe path in the zip (absolute or with '..'), not imported"
    assert [(r.source, r.status, r.destination, r.detail) for r in rows] == [
        ("../../evil.ipynb", "unmatched", "", unsafe),
        ("../../mallory_01_chain_rule.ipynb", "unmatched", "", unsafe),
        ("..\\..\\mallory_06_applications.ipynb", "unmatched", "", unsafe),
        ("/tmp/mallory_06_applications.ipynb", "unmatched", "", unsafe),
        ("C:/mallory_06_applications.ipynb", "unmatched", "", unsafe),
        ("ok/alice_01_chain_rule.ipynb", "imported", f"alice/{CHAIN}", "plain file name"),
        ("sub/../../../mallory_06_applications.ipynb", "unmatched", "", unsafe),
    ]
    assert files_under(tmp_path) == ["a/b/out/alice/01_chain_rule/01_chain_rule.ipynb", "evil.zip"]
    assert not os.path.exists("/tmp/mallory_06_applications.ipynb")


def test_student_ids_are_safe_folder_names():
    assert safe_id("Jane Smith") == "jane_smith"
    assert safe_id("Zoë O'Neil-Brown") == "zoe_o_neil-brown"
    assert safe_id("../../etc/passwd") == "etc_passwd"
    assert safe_id("a..b") == "a.b"
    assert safe_id(".hidden_") == "hidden"
    assert safe_id("..") == ""
    assert safe_id("张伟") == ""
    assert safe_id("x" * 100) == "x" * 64


def test_student_id_with_path_characters_stays_inside_out_dir(tmp_path):
    name = "Mal..lory Évil\\ _01_chain_rule.ipynb"
    download = make_folder(tmp_path / "download", {name: content("x")})
    rows = import_submissions(download, tmp_path / "out", COURSE)
    assert table(rows) == [(name, "mal.lory_evil", "01_chain_rule", "01_chain_rule",
                            f"mal.lory_evil/{CHAIN}", "imported")]
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*", rows[0].student_id)


def test_refuses_to_overwrite_unless_asked(tmp_path):
    download = make_folder(tmp_path / "download", {"alice_01_chain_rule.ipynb": content("alice v1")})
    out = tmp_path / "out"
    import_submissions(download, out, COURSE)
    make_folder(download, {"alice_01_chain_rule.ipynb": content("alice v2"),
                           "bob_06_applications.ipynb": content("bob")})
    with pytest.raises(LmsImportError, match=re.escape(
            f"{out} already holds 1 of the notebooks to import (alice/{CHAIN}); nothing was written")):
        import_submissions(download, out, COURSE)
    assert files_under(out) == [f"alice/{CHAIN}"]  # bob was not written either
    assert (out / "alice" / CHAIN).read_bytes() == content("alice v1")

    rows = import_submissions(download, out, COURSE, overwrite=True)
    assert [r.status for r in rows] == ["imported", "imported"]
    assert (out / "alice" / CHAIN).read_bytes() == content("alice v2")
    assert files_under(out) == [f"alice/{CHAIN}", f"bob/{APPS}"]


def test_out_dir_inside_the_download_folder_is_not_read_back(tmp_path):
    download = make_folder(tmp_path / "download", {"alice_01_chain_rule.ipynb": content("alice")})
    import_submissions(download, download / "submitted", COURSE)
    rows = import_submissions(download, download / "submitted", COURSE, overwrite=True)
    assert table(rows) == [("alice_01_chain_rule.ipynb", "alice", "01_chain_rule", "01_chain_rule",
                            f"alice/{CHAIN}", "imported")]


def test_refuses_downloads_it_cannot_read(tmp_path):
    with pytest.raises(LmsImportError, match="does not exist"):
        import_submissions(tmp_path / "missing.zip", tmp_path / "out", COURSE)
    (tmp_path / "grades.tar.gz").write_bytes(b"\x1f\x8b not a zip")
    with pytest.raises(LmsImportError, match="is neither a folder nor a .zip file"):
        import_submissions(tmp_path / "grades.tar.gz", tmp_path / "out", COURSE)
    good = make_zip(tmp_path / "good.zip", [("alice_01_chain_rule.ipynb", content("alice"))]).read_bytes()
    (tmp_path / "truncated.zip").write_bytes(good[: len(good) // 2])
    with pytest.raises(LmsImportError, match="is not a readable zip file"):
        import_submissions(tmp_path / "truncated.zip", tmp_path / "out", COURSE)
    assert not (tmp_path / "out").exists()


def test_mapping_csv_round_trip(tmp_path):
    download = make_folder(tmp_path / "download", {
        "smithjane_12345_6789012_01_chain_rule.ipynb": content("jane"),
        "smithjane_12345_6789013_01_chain_rule.ipynb": content("jane 2"),
        'odd, "quoted" name.txt': b"x",
    })
    rows = import_submissions(download, tmp_path / "out", COURSE)
    write_mapping(rows, tmp_path / "mapping.csv")
    header = (tmp_path / "mapping.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ("source,student_id,assignment,notebook,destination,status,detail,"
                      "lms,lms_user_id,lms_name,submitted_at,submitted_at_source")
    assert [f.name for f in fields(ImportRow)] == header.split(",")
    read_back = read_csv(tmp_path / "mapping.csv")
    assert read_back == [asdict(row) for row in rows]
    assert [ImportRow(**row) for row in read_back] == rows
    assert [row["status"] for row in read_back] == ["not_a_notebook", "duplicate", "imported"]


# -- a student's own file name cannot file it under another student -------------------

VICTIM, MALLORY = content("victim"), content("mallory")
FORGED = "x_victim_attempt_2030-01-01-00-00-00_01_chain_rule.ipynb"  # Blackboard-like, with a later time

ATTACKS = {
    # format: (the victim's genuine file, the attacker's file: the LMS prefix + a name the attacker chose)
    "blackboard": ("Assignment 1_victim_attempt_2026-11-20-10-00-00_01_chain_rule.ipynb",
                   "Assignment 1_mallory_attempt_2026-11-20-09-00-00_Assignment 1_victim_attempt_"
                   "2030-01-01-00-00-00_01_chain_rule.ipynb"),
    "canvas": ("victim_11111_1000001_01_chain_rule.ipynb", f"mallory_22222_2000002_{FORGED}"),
    "moodle": ("Victim_11111_assignsubmission_file_01_chain_rule.ipynb",
               f"Mallory_22222_assignsubmission_file_{FORGED}"),
    "moodle folder, a Moodle-like name": (
        "Victim_11111_assignsubmission_file_/01_chain_rule.ipynb",
        "Mallory_22222_assignsubmission_file_/Victim_11111_assignsubmission_file_01_chain_rule.ipynb"),
    "moodle folder, a Moodle-like sub-folder": (
        "Victim_11111_assignsubmission_file_/01_chain_rule.ipynb",
        "Mallory_22222_assignsubmission_file_/Victim_11111_assignsubmission_file_/01_chain_rule.ipynb"),
    "moodle folder, a plain name": ("Victim_11111_assignsubmission_file_/01_chain_rule.ipynb",
                                    "Mallory_22222_assignsubmission_file_/victim_01_chain_rule.ipynb"),
    "brightspace": ("123-456 - Victim- Nov 20, 2026 1000 AM - 01_chain_rule.ipynb",
                    f"123-457 - Mallory- Nov 20, 2026 900 AM - {FORGED}"),
}


@pytest.mark.parametrize("lms", list(ATTACKS))
def test_a_file_name_cannot_impersonate_another_student(tmp_path, lms):
    genuine, forged = ATTACKS[lms]
    # The forged file is newer by every measure the name leaves to chance.
    download = make_zip(tmp_path / "d.zip", [(genuine, VICTIM, (2026, 11, 20, 10, 0, 0)),
                                              (forged, MALLORY, (2026, 12, 1, 0, 0, 0))])
    out = tmp_path / "out"
    rows = {r.source: r for r in import_submissions(download, out, COURSE)}
    assert rows[genuine].status == "imported"
    assert rows[forged].student_id == "mallory" and rows[forged].status == "imported"
    assert (out / rows[genuine].student_id / CHAIN).read_bytes() == VICTIM
    assert (out / "mallory" / CHAIN).read_bytes() == MALLORY
    if lms == "blackboard":  # the mapping shows what was ignored, and the LMS's own time
        assert rows[forged].detail == ("Blackboard file name; ignored before the notebook name: "
                                       "Assignment 1 victim attempt 2030 01 01 00 00 00")
        assert rows[forged].submitted_at == "2026-11-20T09:00:00"


def test_nbgrader_layout_refuses_a_name_that_gives_another_student(tmp_path):
    download = make_folder(tmp_path / "download", {
        f"victim/{CHAIN}": (VICTIM, 1_000_000_000),
        "mallory/01_chain_rule/victim_01_chain_rule.ipynb": (MALLORY, 2_000_000_000),
        "mallory/01_chain_rule/mallory_06_applications.ipynb": content("mallory"),
    })
    out = tmp_path / "out"
    rows = import_submissions(download, out, COURSE)
    assert [(r.source, r.student_id, r.status) for r in rows] == [
        ("mallory/01_chain_rule/mallory_06_applications.ipynb", "mallory", "imported"),
        ("mallory/01_chain_rule/victim_01_chain_rule.ipynb", "", "unmatched"),
        (f"victim/{CHAIN}", "victim", "imported"),
    ]
    assert rows[1].detail == ("in nbgrader's layout the folder name 'mallory' is the student 'mallory', "
                              "but the file name gives 'victim'; not imported")
    assert (out / "victim" / CHAIN).read_bytes() == VICTIM


# -- what the LMS said about each file ------------------------------------------------

def test_rows_record_the_lms_identity_and_the_submission_time(tmp_path):
    download = make_zip(tmp_path / "d.zip", [
        ("smithjane_12345_6789012_01_chain_rule.ipynb", content("canvas"), (2026, 11, 20, 8, 30, 0)),
        ("Jane Smith_23456_assignsubmission_file_06_applications.ipynb", content("moodle")),
        ("Assignment 1_jsmith_attempt_2026-11-21-09-30-00_01_chain_rule.ipynb", content("blackboard")),
        ("123-456 - Ann Lee- Nov 20, 2026 100 PM - 01_chain_rule.ipynb", content("brightspace")),
        ("bob_01_chain_rule.ipynb", content("plain")),
        (f"carol/{CHAIN}", content("folder")),
        ("notes.txt", b"x"),
    ])
    rows = import_submissions(download, tmp_path / "out", COURSE)
    assert [(r.student_id, r.lms, r.lms_user_id, r.lms_name, r.submitted_at, r.submitted_at_source)
            for r in rows] == [
        ("ann_lee", "brightspace", "", "Ann Lee", "2026-11-20T13:00:00", "name"),
        ("jsmith", "blackboard", "jsmith", "", "2026-11-21T09:30:00", "name"),
        ("jane_smith", "moodle", "23456", "Jane Smith", "2026-11-20T10:00:00", "mtime"),
        ("bob", "plain", "", "", "2026-11-20T10:00:00", "mtime"),
        ("carol", "folder", "", "", "2026-11-20T10:00:00", "mtime"),
        ("", "", "", "", "2026-11-20T10:00:00", "mtime"),
        ("smithjane", "canvas", "12345", "smithjane", "2026-11-20T08:30:00", "mtime"),
    ]


def test_a_folders_modification_time_is_recorded_in_utc(tmp_path):
    download = make_folder(tmp_path / "download", {"alice_01_chain_rule.ipynb": (content("a"), 1_800_000_000)})
    [row] = import_submissions(download, tmp_path / "out", COURSE)
    assert (row.submitted_at, row.submitted_at_source) == ("2027-01-15T08:00:00+00:00", "mtime")


def test_an_lms_name_without_latin_letters_gives_the_user_number(tmp_path):
    download = make_folder(tmp_path / "download", {
        "张伟_12345_assignsubmission_file_01_chain_rule.ipynb": content("zhang"),
        "123-456 - 李娜- Nov 20, 2026 100 PM - li_01_chain_rule.ipynb": content("li"),
    })
    rows = import_submissions(download, tmp_path / "out", COURSE)
    assert [(r.student_id, r.status) for r in rows] == [("", "unmatched"), ("12345", "imported")]
    assert rows[0].detail == "found 01_chain_rule but no student id in the name or its folders"


# -- files that cannot be imported get a row, and the import goes on ----------------

def deflated_zip(path, entries):
    """entries: [(name, bytes)], compressed (the helper above stores them)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 20, 10, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_a_corrupt_entry_is_rejected_and_the_previous_attempt_imported(tmp_path):
    good = make_zip(tmp_path / "good.zip", [
        ("alice_01_chain_rule.ipynb", content("alice old")),
        ("alice_01_chain_rule (2).ipynb", content("alice NEW")),
        ("bob_06_applications.ipynb", content("bob")),
    ]).read_bytes()
    # Same length, one byte of alice's newer attempt changed: its checksum fails.
    (tmp_path / "flipped.zip").write_bytes(good.replace(b"alice NEW", b"alice NEX"))
    out = tmp_path / "out"
    rows = import_submissions(tmp_path / "flipped.zip", out, COURSE)
    assert [(r.source, r.status, r.detail) for r in rows] == [
        ("alice_01_chain_rule (2).ipynb", "rejected",
         "cannot be copied (BadZipFile): Bad CRC-32 for file 'alice_01_chain_rule (2).ipynb'"),
        ("alice_01_chain_rule.ipynb", "imported", "plain file name; latest of 2 files, 1 later one(s) rejected"),
        ("bob_06_applications.ipynb", "imported", "plain file name"),
    ]
    assert (out / "alice" / CHAIN).read_bytes() == content("alice old")
    assert files_under(out) == [f"alice/{CHAIN}", f"bob/{APPS}"]


def test_a_broken_compressed_stream_is_rejected_and_leaves_no_folder(tmp_path):
    data = deflated_zip(tmp_path / "d.zip", [("alice_01_chain_rule.ipynb", os.urandom(3000)),
                                              ("bob_06_applications.ipynb", content("bob"))]).read_bytes()
    start = data.index(b"alice_01_chain_rule.ipynb") + len("alice_01_chain_rule.ipynb")
    (tmp_path / "d.zip").write_bytes(data[:start + 100] + bytes(200) + data[start + 300:])
    out = tmp_path / "out"
    rows = import_submissions(tmp_path / "d.zip", out, COURSE)
    assert [(r.source, r.status) for r in rows] == [("alice_01_chain_rule.ipynb", "rejected"),
                                                   ("bob_06_applications.ipynb", "imported")]
    assert rows[0].detail.startswith("cannot be copied (")
    assert files_under(out) == [f"bob/{APPS}"] and not (out / "alice").exists()


def test_a_zip_name_flagged_utf8_that_is_not_gets_a_row(tmp_path):
    data = make_zip(tmp_path / "d.zip", [("café_01_chain_rule.ipynb", content("x")),
                                          ("bob_01_chain_rule.ipynb", content("bob"))]).read_bytes()
    (tmp_path / "d.zip").write_bytes(data.replace("é".encode(), b"\xe9\xff"))
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(tmp_path / "d.zip")  # what zipfile alone makes of it
    rows = import_submissions(tmp_path / "d.zip", tmp_path / "out", COURSE)
    assert [(r.source, r.status) for r in rows] == [("bob_01_chain_rule.ipynb", "imported"),
                                                   ("caf\\xe9\\xff_01_chain_rule.ipynb", "rejected")]
    assert rows[1].detail.startswith("the name is not valid UTF-8")
    write_mapping(rows, tmp_path / "mapping.csv")
    assert read_csv(tmp_path / "mapping.csv")[1]["source"] == "caf\\xe9\\xff_01_chain_rule.ipynb"


def test_a_folder_name_that_is_not_utf8_gets_a_row(tmp_path):
    download = make_folder(tmp_path / "download", {"bob_01_chain_rule.ipynb": content("bob")})
    with open(os.fsencode(download) + b"/caf\xe9_01_chain_rule.ipynb", "wb") as handle:
        handle.write(content("latin-1 name"))
    rows = import_submissions(download, tmp_path / "out", COURSE)
    assert [(r.source, r.status) for r in rows] == [("bob_01_chain_rule.ipynb", "imported"),
                                                   ("caf\\xe9_01_chain_rule.ipynb", "rejected")]
    write_mapping(rows, tmp_path / "mapping.csv")
    assert "caf\\xe9_01" in (tmp_path / "mapping.csv").read_text(encoding="utf-8")


def test_links_and_pipes_in_a_folder_are_not_followed(tmp_path):
    secret = tmp_path / "secret.ipynb"
    secret.write_bytes(content("the instructor's solution"))
    download = make_folder(tmp_path / "download", {"bob_01_chain_rule.ipynb": content("bob")})
    os.symlink(secret, download / "alice_01_chain_rule.ipynb")
    os.mkfifo(download / "carol_01_chain_rule.ipynb")  # opening it would wait forever
    out = tmp_path / "out"
    rows = import_submissions(download, out, COURSE)
    assert [(r.source, r.status) for r in rows] == [("alice_01_chain_rule.ipynb", "rejected"),
                                                   ("bob_01_chain_rule.ipynb", "imported"),
                                                   ("carol_01_chain_rule.ipynb", "rejected")]
    assert rows[0].detail == "not a regular file (a link, pipe or device), not imported"
    assert files_under(out) == [f"bob/{CHAIN}"]


def test_control_characters_in_names_are_escaped(tmp_path):
    download = make_zip(tmp_path / "d.zip", [("eve\x1b[2J\u202e_01_chain_rule.ipynb", content("eve"))])
    [row] = import_submissions(download, tmp_path / "out", COURSE)
    assert row.source == "eve\\x1b[2J\\u202e_01_chain_rule.ipynb"
    assert (row.student_id, row.status) == ("eve_2j", "imported")
    write_mapping([row], tmp_path / "mapping.csv")
    assert "\x1b" not in (tmp_path / "mapping.csv").read_text(encoding="utf-8")


def test_an_attempt_number_with_thousands_of_digits_is_still_a_number(tmp_path):
    download = make_zip(tmp_path / "d.zip", [(f"alice_01_chain_rule_v{'9' * 5000}.ipynb", content("a")),
                                              (f"bob_1_{'9' * 5000}_01_chain_rule.ipynb", content("b"))])
    rows = import_submissions(download, tmp_path / "out", COURSE)
    assert [(r.student_id, r.status) for r in rows] == [("alice", "imported"), ("bob", "imported")]


# -- size limits ------------------------------------------------------------------------

def test_a_notebook_above_the_size_limit_is_rejected(tmp_path):
    download = make_zip(tmp_path / "d.zip", [("alice_01_chain_rule.ipynb", b" " * 5000),
                                              ("bob_01_chain_rule.ipynb", content("bob"))])
    out = tmp_path / "out"
    rows = import_submissions(download, out, COURSE, max_notebook_bytes=1000)
    assert [(r.source, r.student_id, r.status, r.detail) for r in rows] == [
        ("alice_01_chain_rule.ipynb", "alice", "rejected",
         "5,000 bytes, more than the 1,000 bytes a notebook may have"),
        ("bob_01_chain_rule.ipynb", "bob", "imported", "plain file name"),
    ]
    assert files_under(out) == [f"bob/{CHAIN}"]


def test_a_zip_bomb_that_understates_its_size_writes_no_more_than_it_declared(tmp_path):
    data = bytearray(deflated_zip(tmp_path / "bomb.zip", [("alice_01_chain_rule.ipynb", bytes(10_000_000))])
                     .read_bytes())
    local, central = 0, data.index(b"PK\x01\x02")
    struct.pack_into("<L", data, local + 22, 10)  # the uncompressed size, in both headers
    struct.pack_into("<L", data, central + 24, 10)
    (tmp_path / "bomb.zip").write_bytes(bytes(data))
    out = tmp_path / "out"
    [row] = import_submissions(tmp_path / "bomb.zip", out, COURSE, max_notebook_bytes=1000)
    assert row.status == "rejected" and "Bad CRC-32" in row.detail
    assert files_under(out) == []


def test_the_import_refuses_a_download_above_the_total_limit(tmp_path):
    download = make_zip(tmp_path / "d.zip", [("alice_01_chain_rule.ipynb", b" " * 80),
                                              ("bob_01_chain_rule.ipynb", b" " * 80)])
    with pytest.raises(LmsImportError, match="take 160 bytes, more than the 100 allowed .*nothing was written"):
        import_submissions(download, tmp_path / "out", COURSE, max_total_bytes=100)
    assert not (tmp_path / "out").exists()


# -- the mapping and the command ------------------------------------------------------

def test_the_mapping_is_replaced_whole_or_not_at_all(tmp_path):
    download = make_folder(tmp_path / "download", {"alice_01_chain_rule.ipynb": content("alice")})
    rows = import_submissions(download, tmp_path / "out", COURSE)
    mapping = tmp_path / "out" / "import_mapping.csv"
    write_mapping(rows, mapping)
    before = mapping.read_bytes()
    with pytest.raises(TypeError):
        write_mapping(rows * 3 + ["not a row"], mapping)  # fails after three rows are written
    assert mapping.read_bytes() == before
    assert sorted(p.name for p in mapping.parent.iterdir()) == ["alice", "import_mapping.csv"]


def test_the_import_command_escapes_names_it_prints(tmp_path, capsys):
    from autograder.cli import main
    download = make_folder(tmp_path / "download", {"eve\x1b]0;owned\x07.txt": b"x",
                                                   "alice_01_chain_rule.ipynb": content("alice")})
    assert main(["import", str(download), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr()
    assert "\x1b" not in printed.err + printed.out and "\x07" not in printed.err
    assert "eve\\x1b]0;owned\\x07.txt: not a .ipynb file" in printed.err
    assert [r["status"] for r in read_csv(tmp_path / "out" / "import_mapping.csv")] == ["imported",
                                                                                      "not_a_notebook"]


def test_a_student_cannot_take_the_mappings_name_or_a_files_place(tmp_path):
    download = make_folder(tmp_path / "download", {"import_mapping.csv_01_chain_rule.ipynb": content("x"),
                                                   "bob_01_chain_rule.ipynb": content("bob"),
                                                   "carol_01_chain_rule.ipynb": content("carol")})
    out = tmp_path / "out"
    out.mkdir()
    (out / "carol").write_text("a file where carol's folder would go")
    rows = import_submissions(download, out, COURSE)
    assert [(r.source, r.status) for r in rows] == [("bob_01_chain_rule.ipynb", "imported"),
                                                   ("carol_01_chain_rule.ipynb", "rejected"),
                                                   ("import_mapping.csv_01_chain_rule.ipynb", "unmatched")]
    assert rows[1].detail.startswith("cannot be copied (NotADirectoryError)")
    write_mapping(rows, out / "import_mapping.csv")
