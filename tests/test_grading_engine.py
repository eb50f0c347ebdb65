"""The grading command as an instructor uses it: resume after Ctrl-C, refuse without a sandbox, import an LMS download."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import notebooks, sample_class
from autograder.paths import EXERCISES_DIR, REPO_ROOT, SAMPLE_CLASS_DIR, SOURCE_DIR
from autograder.report import read_csv
from autograder.sandbox import bwrap_path

ASSIGNMENT = "01_chain_rule"


def _autograder(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _small_class(root, n):
    source = notebooks.read(SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    answers = [notebooks.nbgrader_meta(c)["grade_id"] for c in source.cells if notebooks.is_answer_cell(c)]
    for i in range(n):
        nb = sample_class.fill_answers(notebooks.read(EXERCISES_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                                       source, answers[: i % (len(answers) + 1)])
        notebooks.write(nb, root / f"s{i:02d}" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def test_grading_refuses_without_bubblewrap_unless_told(tmp_path):
    _small_class(tmp_path / "subs", 1)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.path.dirname(sys.executable)}")
    proc = _autograder("grade", tmp_path / "subs", "--out", tmp_path / "out", env=env)
    assert proc.returncode == 2
    assert "bubblewrap" in proc.stderr and "--no-sandbox" in proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.slow
def test_without_a_sandbox_it_warns_and_still_grades(tmp_path):
    _small_class(tmp_path / "subs", 1)
    proc = _autograder("grade", tmp_path / "subs", "--out", tmp_path / "out", "--no-sandbox", "--no-feedback")
    assert proc.returncode == 0, proc.stderr
    assert "WITHOUT a sandbox" in proc.stderr
    assert read_csv(tmp_path / "out" / "summary.csv")[0]["status"] == "graded"


@pytest.mark.slow
@pytest.mark.skipif(not bwrap_path(), reason="bubblewrap is not installed")
def test_ctrl_c_stops_cleanly_and_a_rerun_resumes(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    _small_class(subs, 6)
    cmd = [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--jobs", "1"]
    # Ctrl-C as in a terminal: a suite started in the background (`make test &`) hands its children SIGINT
    # ignored, and Python then installs no KeyboardInterrupt handler.
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while len(list((out / ".results").rglob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "run the same command again" in stderr
    done = len(list((out / ".results").rglob("*.json")))
    assert 2 <= done < 6
    assert not list(Path("/sys/fs/cgroup/pids").glob(f"autograder-{proc.pid}-*")), "no cgroup left behind"

    again = _autograder("grade", subs, "--out", out, "--jobs", "2")
    assert again.returncode == 0, again.stderr
    assert f"{done} notebook(s) already graded" in again.stderr
    summary = {r["student_id"]: float(r["score"]) for r in read_csv(out / "summary.csv")}
    assert len(summary) == 6 and summary["s00"] == 0 and summary["s05"] > 0
    assert len(list((out / "feedback").rglob("*.html"))) == 6


def test_an_lms_download_is_imported_into_nbgrader_layout(tmp_path):
    download = tmp_path / "download"
    download.mkdir()
    notebook = SAMPLE_CLASS_DIR / "alice_perfect" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    shutil.copy(notebook, download / f"smithjane_12345_6789_{ASSIGNMENT}.ipynb")
    shutil.copy(notebook, download / f"doejohn_late_23456_7890_{ASSIGNMENT}-1.ipynb")
    (download / "readme.txt").write_text("not a notebook")
    proc = _autograder("import", download, "--out", tmp_path / "subs")
    assert proc.returncode == 0, proc.stderr
    assert "2 notebook(s) of 2 student(s) imported" in proc.stdout
    assert (tmp_path / "subs" / "smithjane" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == \
        notebook.read_bytes()
    mapping = read_csv(tmp_path / "subs" / "import_mapping.csv")
    assert {r["status"] for r in mapping} == {"imported", "not_a_notebook"}
    assert "readme.txt" in proc.stderr


def test_import_refuses_a_missing_download(tmp_path):
    proc = _autograder("import", tmp_path / "nothing.zip", "--out", tmp_path / "subs")
    assert proc.returncode == 2 and proc.stderr.startswith("error:")
