"""A process started ahead (kernel.Spares) serves exactly one notebook, and the executor asks for one only
where it pays (executor.prestart_wanted)."""
import base64

import pytest

from autograder import course as course_module
from autograder import executor, jobs
from autograder.grading import Options
from autograder.kernel import Kernel, Spares
from autograder.runner import Job, kernel_settings
from autograder.sandbox import bwrap_path


def _settings(files):
    options = Options(use_sandbox=bool(bwrap_path()), similarity=False)
    shared = jobs.sandbox_settings(course_module.load(), options)
    encoded = {name: base64.b64encode(data).decode() for name, data in files.items()}
    return kernel_settings(Job(key="spare-test", notebook={}, result="", files=encoded, **shared))


def _printed(run):
    return "".join(o.get("text", "") for o in run.outputs if o.get("output_type") == "stream").strip()


def test_a_spare_serves_the_next_notebook_once_and_has_seen_nothing_of_the_one_before():
    spares = Spares("spare-test")
    first = Kernel(_settings({"data.txt": b"first"}), name="spare-test-1", spares=spares, refill=True)
    second = Kernel(_settings({"data.txt": b"second"}), name="spare-test-2", spares=spares, refill=False)
    try:
        first.start()
        assert spares.spare is not None and spares.spare.alive, "no process was started ahead"
        ahead = spares.spare.process.pid
        assert first.run_cell("secret = 41\nprint(open('data.txt').read())", 30).status == "ok"
        second.start()
        assert second.agent.process.pid == ahead, "the next notebook did not get the process started ahead"
        assert spares.spare is None, "refill=False started another process"
        run = second.run_cell("print('secret' in globals(), open('data.txt').read())", 30)
        assert (run.status, _printed(run)) == ("ok", "False second")
    finally:
        first.stop()
        second.stop()
        spares.stop()


def test_a_spare_started_for_other_settings_is_not_used():
    spares = Spares("spare-test")
    first = Kernel(_settings({"data.txt": b"a"}), name="spare-test-1", spares=spares, refill=True)
    other = _settings({"data.txt": b"b"})
    other.preload = []                     # another course's start: the spare does not match
    second = Kernel(other, name="spare-test-2", spares=spares, refill=False)
    try:
        first.start()
        ahead = spares.spare
        ahead_pid = ahead.process.pid
        second.start()
        assert second.agent.process.pid != ahead_pid and not ahead.alive, "a spare served other settings"
    finally:
        first.stop()
        second.stop()
        spares.stop()


@pytest.mark.parametrize("switch,slots,cores,wanted", [
    ("", 1, 2, True),          # a core would idle: boot the next process there
    ("", 2, 2, False),         # busy cores: the early boot only competes with the running notebook
    ("", None, 2, False),      # a Dask worker's cores are unknown here
    ("1", 2, 2, True),
    ("0", 1, 2, False),
])
def test_processes_are_started_ahead_only_where_cores_would_idle(monkeypatch, switch, slots, cores, wanted):
    monkeypatch.setenv(executor.PRESTART_SWITCH, switch)
    monkeypatch.setattr(executor.os, "cpu_count", lambda: cores)
    assert executor.prestart_wanted(slots) is wanted


@pytest.mark.parametrize("cores,expected", [(4, "first ahead, last not"), (2, "none ahead")])
def test_the_local_executor_asks_for_a_spare_only_while_jobs_wait_for_every_busy_runner(monkeypatch, cores,
                                                                                       expected):
    import threading
    import time
    started, lock = [], threading.Lock()

    def fake_run(runner, job, scratch, hard_timeout):
        with lock:
            started.append(job["prestart"])
        time.sleep(0.05)
        return {"tests": []}

    monkeypatch.setenv(executor.PRESTART_SWITCH, "")
    monkeypatch.setattr(executor.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(executor, "_run_once_or_twice", fake_run)
    executor.LocalExecutor(2).run([(f"nb{i}", {}, 60) for i in range(6)], lambda label, result: None)
    assert len(started) == 6
    if expected == "none ahead":
        assert not any(started)
    else:
        assert started[0] and not started[-1] and started.count(True) >= 3, started
