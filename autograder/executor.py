"""Run prepared jobs: here, a pool of runner processes on this machine.

Each slot is a long-lived `python -m autograder.runner --serve` process that
takes jobs one after another (and starts one sandboxed process per notebook).
A runner that hangs past a job's hard limit, or dies, is killed and replaced.
A job whose sandbox could not start (a fault of the machine, not of the
student) is tried once more before it is reported. On Ctrl-C every runner and
everything it started is killed, and the results so far are kept.
"""
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from .paths import REPO_ROOT
from .sandbox import die_with_parent


class Stopped(Exception):
    """Ctrl-C: the run was stopped; the results delivered so far stand."""


class Runner:
    """One `python -m autograder.runner --serve` process; replaced when a job kills or hangs it."""

    def __init__(self, stop_flag):
        self.proc = None
        self.stop_flag = stop_flag

    def _start(self):
        cmd = [sys.executable, "-m", "autograder.runner", "--serve"]
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1, start_new_session=True,
                                     preexec_fn=die_with_parent)

    def run(self, job_path, hard_timeout):
        """None when the job finished; otherwise why not."""
        import selectors
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            self.proc.stdin.write(f"{job_path}\n")
            self.proc.stdin.flush()
        except OSError:
            self.stop()
            return "the runner could not take the job"
        started = time.monotonic()
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while True:
                if self.stop_flag["stop"] or time.monotonic() - started > hard_timeout:
                    self.stop()
                    return "stopped" if self.stop_flag["stop"] else f"the runner was killed after {hard_timeout:g} s"
                if selector.select(timeout=0.2):
                    answer = self.proc.stdout.readline().strip()
                    if not answer:
                        self.stop()
                        return "the runner died"
                    return None if answer == "done" else answer

    def stop(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc = None


class LocalExecutor:
    """`slots` runners side by side on this machine."""

    def __init__(self, slots):
        self.slots = max(1, slots)

    def run(self, jobs, on_result, progress=None):
        """Run each (label, job dict, hard timeout); call on_result(label, result dict) as each ends."""
        stop_flag = {"stop": False}
        runners = queue.Queue()
        for _ in range(min(self.slots, max(1, len(jobs)))):
            runners.put(Runner(stop_flag))
        with tempfile.TemporaryDirectory(prefix="autograder-jobs-") as scratch:
            os.chmod(scratch, 0o700)

            def one(item):
                label, job, hard_timeout = item
                runner = runners.get()
                try:
                    return label, _run_once_or_twice(runner, job, Path(scratch), hard_timeout)
                finally:
                    runners.put(runner)

            pool = ThreadPoolExecutor(max_workers=self.slots)
            pending = {pool.submit(one, item) for item in jobs}
            try:
                while pending:
                    done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                    for future in done:
                        on_result(*future.result())
                    if progress is not None:
                        progress.tick()
            except KeyboardInterrupt:
                stop_flag["stop"] = True
                for future in pending:
                    future.cancel()
                pool.shutdown(wait=True, cancel_futures=True)
                raise Stopped() from None
            finally:
                pool.shutdown(wait=True)
                while not runners.empty():
                    runners.get().stop()


def _run_once_or_twice(runner, job, scratch, hard_timeout):
    result = _run(runner, job, scratch, hard_timeout)
    if result.get("machine_fault"):
        runner.stop()                       # a fresh runner for the second try
        result = _run(runner, job, scratch, hard_timeout)
    return result


def _run(runner, job, scratch, hard_timeout):
    handle, job_path = tempfile.mkstemp(dir=scratch, suffix=".json")
    result_path = Path(job_path).with_suffix(".result.json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(dict(job, result=str(result_path)), stream)
        failure = runner.run(job_path, hard_timeout)
        if failure is None and result_path.exists():
            return json.loads(result_path.read_text(encoding="utf-8"))
        why = failure or "the runner wrote no result"
        return {"tests": None, "flags": [["grading failed", why]], "why": why}
    finally:
        for path in (job_path, result_path):
            try:
                os.unlink(path)
            except OSError:
                pass
