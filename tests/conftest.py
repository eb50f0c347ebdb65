"""Shared fixtures: the course's paths and one grading run of a whole test class."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import notebooks, sample_class
from autograder.paths import (EXERCISES_DIR, REPO_ROOT, SAMPLE_CLASS_DIR, SOURCE_DIR,
                              list_assignments, list_notebooks)
from autograder.report import read_csv
from wrong_answers import WRONG_ANSWERS

os.environ.setdefault("MPLBACKEND", "Agg")

ASSIGNMENTS = list_assignments()


def source_notebook_paths():
    return [SOURCE_DIR / a / f"{n}.ipynb" for a in ASSIGNMENTS for n in list_notebooks(a)]


def build_test_class(root):
    """Submissions that prove the tests: the solution, the release, and each known wrong answer.

    The bundled sample class is added too, so that one nbgrader run covers it.
    """
    for assignment in ASSIGNMENTS:
        for name in list_notebooks(assignment):
            release = EXERCISES_DIR / assignment / f"{name}.ipynb"
            source = notebooks.read(SOURCE_DIR / assignment / f"{name}.ipynb")
            answers = [notebooks.nbgrader_meta(c)["grade_id"] for c in source.cells
                       if notebooks.is_answer_cell(c)]

            def submit(student, nb):
                notebooks.write(nb, root / student / assignment / f"{name}.ipynb")

            submit("solution", sample_class.fill_answers(notebooks.read(release), source, answers))
            submit("release", notebooks.read(release))
            for wrong in WRONG_ANSWERS.get(assignment, []):
                if wrong.grade_id not in answers:
                    continue
                nb = sample_class.fill_answers(notebooks.read(release), source, answers)
                notebooks.cell_by_grade_id(nb, wrong.grade_id).source = wrong.source
                submit(f"wrong_{wrong.key}", nb)
    for student_dir in SAMPLE_CLASS_DIR.iterdir():
        for path in student_dir.rglob("*.ipynb"):
            dest = root / path.relative_to(SAMPLE_CLASS_DIR)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(path.read_bytes())


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """Grade the test class once through the command line; return its CSVs and table."""
    root = tmp_path_factory.mktemp("class")
    build_test_class(root / "submissions")
    out = root / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / "submissions"),
                           "--out", str(out), "--timeout", "60"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = read_csv(out / "grades.csv")
    return {
        "cells": {(r["student_id"], r["grade_id"]): r for r in cells},
        "rows": cells,
        "summary": {(r["student_id"], r["assignment"]): r for r in read_csv(out / "summary.csv")},
        "table": proc.stdout,
        "out": out,
    }
