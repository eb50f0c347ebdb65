"""Shared fixtures: the course's paths and one grading run of a whole test class."""
import os
import subprocess
import sys

import pytest

from autograder.paths import (REPO_ROOT, SAMPLE_CLASS_DIR, SOURCE_DIR,
                              list_assignments, list_notebooks)
from autograder.report import read_csv
from autograder.sandbox import bwrap_path

os.environ.setdefault("MPLBACKEND", "Agg")

# COURSE_TEST_ASSIGNMENTS=02_gradient_descent,03_forward_pass limits the slow tests while writing content.
ASSIGNMENTS = [a for a in list_assignments()
               if not os.environ.get("COURSE_TEST_ASSIGNMENTS")
               or a in os.environ["COURSE_TEST_ASSIGNMENTS"].split(",")]
CELL_TIMEOUT = 10  # seconds; every solution cell needs well under one
# The longest test files first, so that with pytest-xdist (`make test`: two processes, whole files each)
# neither process is left with a long file at the end.
LONGEST_FIRST = ("test_grading.py", "test_adversarial.py", "test_browser.py", "test_dask.py", "test_release.py",
                 "test_instructor_loop.py", "test_sandbox.py", "test_autograder_cli.py", "test_grading_engine.py",
                 "test_gradebook.py", "test_shards.py", "test_selfcheck.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)                # stable: the order inside a file stays


def source_notebook_paths():
    return [SOURCE_DIR / a / f"{n}.ipynb" for a in ASSIGNMENTS for n in list_notebooks(a)]


def build_test_class(root):
    """The bundled sample class, for the assignments under test."""
    for path in SAMPLE_CLASS_DIR.glob("*/*/*.ipynb"):
        if path.parent.name not in ASSIGNMENTS:
            continue
        dest = root / path.relative_to(SAMPLE_CLASS_DIR)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(path.read_bytes())


@pytest.fixture
def clean_figures(monkeypatch):
    """For bpkit's drawing tests: Agg backend, no NBGRADER_EXECUTION, no pyplot figure left open."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "bpkit left a figure open in pyplot"
    plt.close("all")


@pytest.fixture
def in_kernel(monkeypatch):
    """Make bpkit believe it runs inside a Jupyter kernel."""
    import IPython

    class FakeKernelShell:
        kernel = object()

    monkeypatch.setattr(IPython, "get_ipython", lambda: FakeKernelShell())


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """Grade the sample class once through the command line (the end-to-end run); return its CSVs and table."""
    root = tmp_path_factory.mktemp("class")
    build_test_class(root / "submissions")
    out = root / "out"
    # Without bubblewrap the grading tests still run, unsandboxed (the sandbox tests skip and say why).
    sandbox = [] if bwrap_path() else ["--no-sandbox"]
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / "submissions"),
                           "--out", str(out), "--timeout", str(CELL_TIMEOUT), *sandbox],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = read_csv(out / "grades.csv")
    return {
        "cells": {(r["student_id"], r["assignment"], r["grade_id"]): r for r in cells},
        "rows": cells,
        "summary": {(r["student_id"], r["assignment"]): r for r in read_csv(out / "summary.csv")},
        "table": proc.stdout,
        "out": out,
    }
