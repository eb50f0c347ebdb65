"""Grading on a Dask cluster: real `dask scheduler` and `dask worker` processes on 127.0.0.1.

The cluster is the executor's own local one (executor.DaskProcesses): two
single-threaded workers and a scheduler on free ports, no dashboard, which
gives a notebook up after two dead workers, as the README says to configure
a cluster. A small class graded through it gets exactly the
results of the local executor, also through `grade --executor dask`; a worker killed while it grades loses
nothing; a notebook whose grading kills two workers is reported not graded,
with a flag; and once the cluster is stopped no process of it, of a runner or
of a sandbox is left.
"""
import os
import signal
import subprocess
import sys
import threading
import time

import nbformat
import pytest

from autograder import course as course_module
from autograder import jobs, notebooks, sample_class, submissions
from autograder.executor import SCHEDULER_VARIABLE, START_TIMEOUT, DaskExecutor, DaskProcesses, LocalExecutor
from autograder.grading import Options, with_hidden_paths
from autograder.paths import EXERCISES_DIR, REPO_ROOT, SOURCE_DIR
from autograder.report import read_csv
from autograder.sandbox import bwrap_path
from processes import left_by_this_test

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not bwrap_path(), reason="bubblewrap is not installed")]

ASSIGNMENT = "01_chain_rule"
SLOW_CELL = "import time\ntime.sleep(8)"     # a notebook still running when a worker is killed
HARD_TIMEOUT = 600


# ---------------------------------------------------------------- the class and its jobs

def _write_class(root):
    """perfect, blank and broken (cut off) students, and a perfect one with a slow cell."""
    release = EXERCISES_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source = SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for kind in ("perfect", "blank", "broken"):
        path = root / kind / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(sample_class.hand_in(kind, release, source), encoding="utf-8")
    slow = nbformat.reads(sample_class.hand_in("perfect", release, source), as_version=4)
    slow.cells.insert(1, nbformat.v4.new_code_cell(SLOW_CELL))
    notebooks.write(slow, root / "slow" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def _class_jobs(root):
    """{student: job dict}, made as `grade` makes them (a student whose notebook cannot be read has none)."""
    course = course_module.load()
    options = Options(timeout=30, notebook_timeout=300)
    settings = jobs.sandbox_settings(course, with_hidden_paths(options, course, root / "out", root / "subs"),
                                     jobs.font_cache())
    assignment = jobs.Assignment.read(course, ASSIGNMENT)
    engine = jobs.engine_fingerprint(course)
    found = {}
    for student in submissions.students(root / "subs"):
        sub = submissions.find(root / "subs", student, ASSIGNMENT, ASSIGNMENT)
        prepared = jobs.prepare(sub, assignment, course, options, engine, settings)
        if prepared.job is not None:
            found[student] = prepared.job
    return found


@pytest.fixture(scope="module")
def class_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask-class")
    _write_class(root / "subs")
    return root


@pytest.fixture(scope="module")
def class_jobs(class_root):
    found = _class_jobs(class_root)
    assert sorted(found) == ["blank", "perfect", "slow"]
    return found


def _graded(executor, class_jobs, students=None):
    results = {}
    executor.run([(s, class_jobs[s], HARD_TIMEOUT) for s in students or sorted(class_jobs)],
                 lambda label, result: results.__setitem__(label, result))
    return results


def _verdicts(result):
    """What a result decides: each test's score, status and message, the flags, why it was not graded."""
    tests = [(t["grade_id"], t["score"], t["status"], t["detail"]) for t in result.get("tests") or []]
    return tests, sorted(map(tuple, result.get("flags", []))), result.get("why", "")


@pytest.fixture(scope="module")
def local_results(class_jobs):
    results = _graded(LocalExecutor(2), class_jobs)
    assert results["perfect"]["tests"] and all(t["status"] == "passed" for t in results["perfect"]["tests"])
    assert results["slow"]["tests"] == results["perfect"]["tests"]
    return results


# ---------------------------------------------------------------- the cluster

class Cluster(DaskProcesses):
    """The executor's local cluster (real scheduler and worker processes), with a client to look inside."""

    def __enter__(self):
        from distributed import Client
        super().__enter__()
        self.client = Client(self.address, timeout="60s", set_as_default=False)
        self.wait_for_workers()
        return self

    def wait_for_workers(self):
        self.client.wait_for_workers(self.workers, timeout=START_TIMEOUT)

    def worker_pids(self):
        """{worker address: pid} of the worker processes (not of their nannies)."""
        return self.client.run(os.getpid)

    def stop(self):
        if getattr(self, "client", None) is not None:
            self.client.close()
            self.client = None
        super().stop()


@pytest.fixture(scope="module")
def cluster():
    with Cluster(workers=2) as running:
        yield running


def _kill_worker_running(cluster, student, executor_thread, seen=()):
    """SIGKILL the worker process that runs `student`'s job as soon as one does; its address."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and executor_thread.is_alive():
        busy = [worker for worker, keys in cluster.client.processing().items()
                if any(str(key).startswith("autograder-notebook") for key in keys) and worker not in seen]
        if busy:
            time.sleep(3)                # well inside the slow cell of the notebook it runs
            pids = cluster.worker_pids()
            worker = next((w for w in busy if w in pids), None)
            if worker is not None:
                os.kill(pids[worker], signal.SIGKILL)
                return worker
        time.sleep(0.2)
    raise AssertionError(f"no worker ever ran {student}'s notebook")


def _in_background(function):
    thread = threading.Thread(target=function, daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------- the tests

def test_a_class_graded_on_dask_gets_the_local_results(cluster, class_jobs, local_results):
    results = _graded(DaskExecutor(cluster.address), class_jobs)
    assert {s: _verdicts(r) for s, r in results.items()} == {s: _verdicts(r) for s, r in local_results.items()}
    assert all(r["notebook"]["cells"] for r in results.values()), "the executed notebooks come back"


def test_a_worker_killed_mid_notebook_loses_nothing(cluster, class_jobs, local_results):
    cluster.wait_for_workers()
    results = {}
    grading = _in_background(lambda: results.update(_graded(DaskExecutor(cluster.address), class_jobs, ["slow"])))
    _kill_worker_running(cluster, "slow", grading)
    grading.join(timeout=HARD_TIMEOUT)
    assert _verdicts(results["slow"]) == _verdicts(local_results["slow"])


def test_a_notebook_that_kills_two_workers_is_not_graded(cluster, class_jobs):
    cluster.wait_for_workers()
    results = {}
    grading = _in_background(lambda: results.update(_graded(DaskExecutor(cluster.address), class_jobs, ["slow"])))
    first = _kill_worker_running(cluster, "slow", grading)
    _kill_worker_running(cluster, "slow", grading, seen=(first,))
    grading.join(timeout=HARD_TIMEOUT)
    assert results["slow"]["tests"] is None
    assert results["slow"]["flags"][0][0] == "grading failed" and "2 Dask workers" in results["slow"]["why"]


def test_grade_executor_dask_starts_a_local_cluster(class_root, local_results):
    """The command line: `grade --executor dask` with no address grades on a cluster it starts and stops."""
    out = class_root / "cli-out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(class_root / "subs"), "--out", str(out),
                           "--executor", "dask", "--jobs", "2", "--student", "perfect",
                           "--no-similarity", "--no-feedback", "--timeout", "30", "--notebook-timeout", "300"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=HARD_TIMEOUT,
                          env={k: v for k, v in os.environ.items() if k != SCHEDULER_VARIABLE})
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [r for r in read_csv(out / "grades.csv") if r["student_id"] == "perfect"]
    expected = {("perfect", t["grade_id"]): (t["score"], t["status"]) for t in local_results["perfect"]["tests"]}
    assert {(r["student_id"], r["grade_id"]): (float(r["score"]), r["status"]) for r in rows} == expected


def test_no_process_is_left_when_the_cluster_stops(cluster):
    cluster.stop()
    deadline = time.monotonic() + 30
    while left_by_this_test() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left_by_this_test() == []
