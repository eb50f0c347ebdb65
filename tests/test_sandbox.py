"""The sandbox from the outside: as an unprivileged grader, without a working sandbox, and no orphans.

The hostile class of tests/test_adversarial.py runs as the user of the test
suite (root in CI). Here the same kinds of escape are tried with the grader
running as an unprivileged user, a machine where sandboxes cannot start must
stop with a clear error instead of grading everyone 0, and a grader killed
mid-run must leave no process behind, sandboxed or not.
"""
import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import notebooks, sample_class
from autograder.paths import EXERCISES_DIR, REPO_ROOT, SOURCE_DIR
from autograder.report import read_csv
from autograder.sandbox import bwrap_path, home_folders
from processes import left_by_this_test
from test_adversarial import ESCAPES, SECRET

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not bwrap_path(), reason="bubblewrap is not installed")]

ASSIGNMENT = "01_chain_rule"
NOBODY = 65534


def _perfect():
    source = notebooks.read(SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    answers = [notebooks.nbgrader_meta(c)["grade_id"] for c in source.cells if notebooks.is_answer_cell(c)]
    return sample_class.fill_answers(notebooks.read(EXERCISES_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                                     source, answers)


def _class(root, extra_cells):
    """A perfect student, and one perfect student per extra cell (inserted after the first answer)."""
    import nbformat
    notebooks.write(_perfect(), root / "perfect" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for student, code in extra_cells.items():
        nb = _perfect()
        index = next(i for i, c in enumerate(nb.cells) if notebooks.nbgrader_meta(c).get("solution"))
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
        notebooks.write(nb, root / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def _as_unprivileged(argv, home):
    """argv run as `nobody`. Root's home (where this Python may live) is hidden from nobody by its
    permissions, so an outer bubblewrap shows the Python installation where it was, read-only."""
    if os.geteuid() != 0:
        return argv
    python_home = Path(sys.base_prefix).resolve()
    wrapper = [bwrap_path(), "--dev-bind", "/", "/"]
    for folder in sorted(h.resolve() for h in home_folders() if h.exists()):
        if python_home.is_relative_to(folder):
            wrapper += ["--perms", "0755", "--tmpfs", str(folder)]
            for step in range(len(folder.parts) + 1, len(python_home.parts)):
                wrapper += ["--perms", "0755", "--dir", str(Path(*python_home.parts[:step]))]
            wrapper += ["--ro-bind", str(python_home), str(python_home)]
    return [*wrapper, "--", "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
            "env", f"HOME={home}", *argv]


@contextlib.contextmanager
def _reachable_by_others(path):
    """Folders on the way to `path` that another user cannot enter (`mktemp -d` makes 0700 ones, e.g. a
    fresh clone's) get o+x while inside, as the folder of a grader run by that user would have."""
    changed = []
    if os.geteuid() == 0:
        for folder in [*reversed(path.parents), path]:
            mode = stat.S_IMODE(folder.stat().st_mode)
            if not mode & 0o001:
                folder.chmod(mode | 0o001)
                changed.append((folder, mode))
    try:
        yield
    finally:
        for folder, mode in changed:
            folder.chmod(mode)


def _grade_command(subs, out, *extra):
    return [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--timeout", "10",
            "--jobs", "1", "--no-feedback", *extra]


@pytest.fixture
def shared_tmp():
    """A folder another user can reach (pytest's own is private to its user)."""
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="autograder-unprivileged-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_an_unprivileged_grader_keeps_its_sandbox_shut(shared_tmp):
    tmp_path = shared_tmp
    subs, out, home = tmp_path / "subs", tmp_path / "out", tmp_path / "home"
    escapes = {k: ESCAPES[k] for k in ("capabilities", "unmounts", "user_namespace", "writes_venv",
                                       "reads_env_and_home", "kills_init")}
    _class(subs, escapes)
    for folder in (out, home):
        folder.mkdir()
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    with _reachable_by_others(REPO_ROOT):
        proc = subprocess.run(_as_unprivileged(_grade_command(subs, out), home), cwd=REPO_ROOT, text=True,
                              capture_output=True, timeout=900, env=dict(os.environ, GRADER_SECRET=SECRET))
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = {r["student_id"]: r for r in read_csv(out / "summary.csv")}
    for student in ["perfect", *escapes]:
        assert summary[student]["score"] == summary[student]["max_score"], (student, summary[student])

    def printed(student):
        nb = json.loads((out / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
        return "".join("".join(o.get("text", "")) + str(o.get("evalue", "")) for c in nb["cells"]
                       if c["cell_type"] == "code" for o in c.get("outputs", []))

    status = printed("capabilities")
    assert "CapEff:\t0000000000000000" in status and "NoNewPrivs:\t1" in status
    assert "'course'" not in printed("unmounts")
    assert "01_chain_rule.ipynb" not in printed("user_namespace")
    assert SECRET not in printed("reads_env_and_home")
    assert not Path(sys.prefix, "autograder-canary").exists()


def test_a_machine_that_cannot_start_sandboxes_grades_nobody(tmp_path):
    """bwrap that answers the availability check but cannot start Python: stop, write no grades."""
    subs, out, fake = tmp_path / "subs", tmp_path / "out", tmp_path / "bin"
    _class(subs, {})
    fake.mkdir()
    script = fake / "bwrap"
    script.write_text(f"#!/bin/sh\n[ \"$(eval echo \\${{$#}})\" = true ] && exec {bwrap_path()} \"$@\"\n"
                      "echo 'bwrap: cannot start: no room for namespaces' >&2\nexit 1\n")
    script.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(_grade_command(subs, out), cwd=REPO_ROOT, text=True, capture_output=True, timeout=300,
                          env=env)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "cannot run notebooks" in proc.stderr and "no room for namespaces" in proc.stderr
    assert not (out / "grades.csv").exists(), "nobody may be graded 0 for a fault of the machine"


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandbox", "no-sandbox"])
def test_a_killed_grader_leaves_no_process_behind(tmp_path, sandboxed):
    subs, out = tmp_path / "subs", tmp_path / "out"
    _class(subs, {"loops": "while True:\n    pass"})
    extra = [] if sandboxed else ["--no-sandbox"]
    grader = subprocess.Popen(_grade_command(subs, out, *extra, "--timeout", "60"), cwd=REPO_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any("sandboxed/agent.py" in p for p in left_by_this_test()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert any("sandboxed/agent.py" in p for p in left_by_this_test()), "no student process started"
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    deadline = time.monotonic() + 15
    while left_by_this_test() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left_by_this_test() == []
