"""Run prepared jobs: on this machine (`LocalExecutor`) or on a Dask cluster (`DaskExecutor`).

Both take jobs as (label, job dict, hard timeout) and call on_result(label,
result dict) in the calling process as each job ends: that process alone
writes results, CSVs and the gradebook. A job is self-contained (the
assembled notebook, the assignment's files, the settings) and its result
holds the executed notebook, so a worker needs no shared file system.

Either way a job runs in a long-lived `python -m autograder.runner --serve`
process (the judge uses SIGALRM, so it needs a main thread of its own), which
starts one sandboxed process per notebook. A runner can start the process of
its next notebook while the current one runs (`prestart`): that saves the
second of booting Python and the preload imports where cores would idle,
but on busy cores that boot only competes with the running notebook (two
runners on two cores graded 9% slower with it, bench/README.md). So the
local executor asks for it only with fewer runners than cores, and only
while enough jobs wait for every busy runner to take one more;
AUTOGRADER_PRESTART=1 always asks for it, =0 never. A runner that hangs past
a job's hard limit, or dies, is killed and replaced. A job whose sandbox could not
start (a fault of the machine, not of the student) is tried once more before
it is reported. On Ctrl-C every runner here and everything it started is
killed, and the results so far are kept.

Dask: each job goes to a worker, which runs it in a runner process of its
own, so every worker runs the same sandbox and judge. A worker that dies
mid-notebook loses nothing: the scheduler gives the job to another worker.
A notebook that kills two workers is reported not graded, with a flag; that
needs the scheduler's `distributed.scheduler.allowed-failures` at 1 (set for
a local cluster; for your own scheduler, start it with
DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1). Run workers with one
thread each (`dask worker ADDRESS --nthreads 1 --nworkers N`), so that a
worker's death is charged to the one notebook it ran, and with this grader
installed at the same path as on the coordinating machine (a job names the
Python installation, the helper packages and the repository to hide by
their paths); the coordinator must reach the workers' ports, as every Dask
client does. After Ctrl-C the notebooks already running on your own cluster
finish there and are dropped; a local cluster (`DaskProcesses`: real
scheduler and worker processes on 127.0.0.1) is stopped at once.
"""
import atexit
import contextlib
import itertools
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from .paths import REPO_ROOT
from .sandbox import bwrap_path, die_with_parent

SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
PRESTART_SWITCH = "AUTOGRADER_PRESTART"   # "1": always start the next process ahead, "0": never
ALLOWED_FAILURES = 1             # a job is given up after this many + 1 workers died running it
CONNECT_TIMEOUT = "30s"
START_TIMEOUT = 180              # seconds for a local Dask cluster to come up on a busy machine
CLOSE_TIMEOUT = 15               # seconds a runner has to stop its sandboxes when it is closed
# Dask: jobs handed over per worker thread. One: a worker never holds a job while another idles (the
# local pool's balance); the next job follows within a scheduler round trip, small beside a notebook.
TASKS_PER_THREAD = 1
POLL_SECONDS = 0.05              # Dask: how often the coordinator looks at the workers' trials
# A local cluster's settings (the environment may override each). Dask's own housekeeping (event-loop
# checks every 20 ms, system and memory monitors, the workers' statistical profiler) took 7.5% of a core
# on an idle cluster of two workers, at 1% with these; a worker's memory is bounded by each sandbox's
# limit, and only the dashboard, which is off, shows the profiles.
QUIET_CLUSTER = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
}


class Stopped(Exception):
    """Ctrl-C: the run was stopped; the results delivered so far stand."""


class ExecutorError(RuntimeError):
    """The jobs cannot be run as asked: contradicting options, or a cluster that cannot be reached or grade."""


def scheduler_address(kind=None, scheduler=None):
    """The Dask scheduler to use: --scheduler, else DASK_SCHEDULER_ADDRESS unless --executor local; or None."""
    if scheduler:
        return scheduler
    return None if kind == "local" else os.environ.get(SCHEDULER_VARIABLE) or None


def for_options(kind=None, scheduler=None, slots=0, log=None):
    """The executor `grade` asks for: --executor local|dask, --scheduler (or DASK_SCHEDULER_ADDRESS), --jobs.

    A scheduler address means Dask; "dask" without one starts a local cluster
    of `slots` single-threaded workers. `slots` 0 means the number of cores.
    """
    scheduler = scheduler_address(kind, scheduler)
    kind = kind or ("dask" if scheduler else "local")
    slots = slots or os.cpu_count() or 1
    if kind == "local" and scheduler:
        raise ExecutorError("a scheduler address is for the dask executor, not the local one")
    if kind == "local":
        return LocalExecutor(slots)
    if kind == "dask":
        return DaskExecutor(scheduler, slots, log=log)
    raise ExecutorError(f"unknown executor {kind!r} (local or dask)")


# ---------------------------------------------------------------- runner processes

# Runners are started from this one long-lived thread: a child started with PR_SET_PDEATHSIG dies when the
# *thread* that started it ends, and the threads that use runners (a pool's, a Dask worker's) come and go.
_spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autograder-spawner")


class Runner:
    """One `python -m autograder.runner --serve` process; replaced when a job kills or hangs it."""

    def __init__(self, stop_flag=None):
        self.proc = None
        self.stop_flag = stop_flag or {"stop": False}

    def _start(self):
        cmd = [sys.executable, "-m", "autograder.runner", "--serve"]
        self.proc = _spawner.submit(subprocess.Popen, cmd, cwd=REPO_ROOT, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                    start_new_session=True, preexec_fn=die_with_parent).result()

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

    def close(self):
        """End the runner between jobs: it stops its sandboxed processes itself (killed if it takes too long)."""
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=CLOSE_TIMEOUT)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.stop()

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


def _run_once_or_twice(runner, job, scratch, hard_timeout):
    result = _run(runner, job, scratch, hard_timeout)
    if result.get("machine_fault"):
        runner.stop()                       # a fresh runner for the second try
        result = _run(runner, job, scratch, hard_timeout)
    return result


def _run(runner, job, scratch, hard_timeout):
    """The runner's result for the job; timings["handoff"]: the seconds around the runner's own."""
    started = time.monotonic()
    handle, job_path = tempfile.mkstemp(dir=scratch, suffix=".json")
    result_path = Path(job_path).with_suffix(".result.json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(dict(job, result=str(result_path)), stream)
        failure = runner.run(job_path, hard_timeout)
        if failure is None and result_path.exists():
            result = json.loads(result_path.read_text(encoding="utf-8"))
            result.setdefault("timings", {})["handoff"] = round(
                max(0.0, time.monotonic() - started - float(result.get("seconds") or 0)), 2)
            return result
        why = failure or "the runner wrote no result"
        return _not_graded(why)
    finally:
        for path in (job_path, result_path):
            try:
                os.unlink(path)
            except OSError:
                pass


def _not_graded(why):
    return {"tests": None, "flags": [["grading failed", why]], "why": why}


def prestart_wanted(slots=None):
    """Whether runners should start their next notebook's process ahead (module docstring): with
    AUTOGRADER_PRESTART set, as it says; otherwise when `slots` runners leave cores idle (None: unknown)."""
    switch = os.environ.get(PRESTART_SWITCH, "")
    if switch in ("0", "1"):
        return switch == "1"
    return slots is not None and slots < (os.cpu_count() or 1)


# ---------------------------------------------------------------- this machine

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
        prestart = prestart_wanted(self.slots)
        counts = {"waiting": len(jobs), "busy": 0}
        lock = threading.Lock()
        with tempfile.TemporaryDirectory(prefix="autograder-jobs-") as scratch:
            os.chmod(scratch, 0o700)

            def one(item):
                label, job, hard_timeout = item
                runner = runners.get()
                with lock:
                    counts["waiting"] -= 1
                    counts["busy"] += 1
                    ahead = prestart and counts["waiting"] >= counts["busy"]   # each busy runner gets one more
                try:
                    return label, _run_once_or_twice(runner, dict(job, prestart=ahead), Path(scratch), hard_timeout)
                finally:
                    with lock:
                        counts["busy"] -= 1
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
                    runner = runners.get()
                    if stop_flag["stop"]:
                        runner.stop()
                    else:
                        runner.close()


# ---------------------------------------------------------------- a Dask cluster

class DaskExecutor:
    """Each job to a worker of a Dask cluster: the one at `scheduler` (tcp://HOST:PORT), or, without an
    address, a local cluster of `slots` single-threaded worker processes started for the run."""

    def __init__(self, scheduler=None, slots=0, log=None):
        self.scheduler = scheduler
        self.slots = max(1, slots or os.cpu_count() or 1)
        self.log = log or (lambda message: None)

    def run(self, jobs, on_result, progress=None):
        """Run each (label, job dict, hard timeout); call on_result(label, result dict) as each ends."""
        jobs = list(jobs)
        if not jobs:
            return
        with self._client() as client:
            self._check(client, jobs[0][1])
            in_flight = _InFlight(client, jobs)
            try:
                while in_flight.top_up():
                    for label, result in in_flight.finished(timeout=1.0):
                        on_result(label, result)
                    if progress is not None:
                        progress.tick()
            except KeyboardInterrupt:
                in_flight.cancel()
                raise Stopped() from None

    @contextlib.contextmanager
    def _client(self):
        from distributed import Client
        if not self.scheduler:
            with DaskProcesses(self.slots) as cluster, Client(cluster.address, set_as_default=False) as client:
                client.wait_for_workers(self.slots, timeout=START_TIMEOUT)
                yield client
            return
        try:
            client = Client(self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"the Dask scheduler at {self.scheduler} cannot be reached: {exc}") from None
        with client:
            self._warn_about_retries(client)
            yield client

    def _warn_about_retries(self, client):
        try:
            allowed = client.run_on_scheduler(_allowed_failures)
        except Exception:  # an older or locked-down scheduler: the README says what to set
            return
        if allowed != ALLOWED_FAILURES:
            self.log(f"note: the Dask scheduler gives a notebook {allowed + 1} workers before it is given up; "
                     f"start it with DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES={ALLOWED_FAILURES} so that "
                     "a notebook that kills two workers is reported not graded")

    def _check(self, client, job):
        """Stop before grading anyone if a worker cannot run these jobs: each starts one sandbox first.

        A worker that leaves the cluster during its trial is not waited for.
        """
        if not client.nthreads():
            client.wait_for_workers(1, timeout=START_TIMEOUT)
        trials = {worker: client.submit(worker_problem, job, workers=[worker], allow_other_workers=False,
                                        pure=False, key=f"autograder-trial-{uuid.uuid4().hex[:12]}")
                  for worker in client.nthreads()}
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and any(not trial.done() and worker in client.nthreads()
                                                  for worker, trial in trials.items()):
            time.sleep(POLL_SECONDS)
        unfit = {}
        for worker, trial in trials.items():
            if trial.done():
                why = _trial_outcome(trial)
            else:
                why = "" if worker not in client.nthreads() else f"no answer within {START_TIMEOUT} s"
                trial.cancel()
            if why:
                unfit[worker] = why
        if unfit:
            raise ExecutorError("these Dask workers cannot grade, so nothing was graded: "
                                + "; ".join(f"{worker}: {why}" for worker, why in sorted(unfit.items())))


class DaskProcesses:
    """A local Dask cluster: a `dask scheduler` and `workers` single-threaded `dask worker` processes on
    127.0.0.1 (no dashboard, any free port, a notebook given up after two dead workers, QUIET_CLUSTER's
    housekeeping); a context manager that stops them all (and they die with the process that started them)."""

    def __init__(self, workers):
        self.workers = workers
        self.processes = []
        self.folder = None
        self.address = None

    def __enter__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-dask-"))
        address_file = self.folder / "scheduler.json"
        dask = [sys.executable, "-m", "dask"]
        self._start("scheduler", [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(address_file)])
        for number in range(self.workers):
            self._start(f"worker-{number}", [*dask, "worker", "--scheduler-file", str(address_file), "--nthreads",
                                             "1", "--no-dashboard", "--host", "127.0.0.1",
                                             "--name", f"autograder-{number}"])
        try:
            self.address = self._address(address_file)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, name, argv):
        env = {**QUIET_CLUSTER, **os.environ,
               "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(ALLOWED_FAILURES)}
        with open(self.folder / f"{name}.log", "wb") as log:
            self.processes.append(_spawner.submit(
                subprocess.Popen, argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=die_with_parent).result())

    def _address(self, address_file):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.processes[0].poll() is None:
            try:
                return json.loads(address_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        log = (self.folder / "scheduler.log").read_text(errors="replace")[-1000:]
        raise ExecutorError(f"the local Dask scheduler did not start: {log}")

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """Workers first (each closes its runners), then the scheduler; killed if they take too long."""
        for process in reversed(self.processes):
            process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=CLOSE_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            process.wait()
        self.processes = []
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class _InFlight:
    """The jobs handed to the cluster and not back yet: one per worker thread; the others wait here.

    Handing over only a few at a time keeps the scheduler's memory small (a
    job holds a whole notebook) and lets workers that join later take a share.
    """

    def __init__(self, client, jobs):
        self.client = client
        self.waiting = iter(enumerate(jobs))
        self.running = {}                   # future -> label
        self.run_id = uuid.uuid4().hex[:12]
        self.prestart = prestart_wanted()   # a worker's cores are not known here: only when asked for
        self.ended = threading.Event()      # set as any job ends

    def top_up(self):
        """Hand over jobs up to TASKS_PER_THREAD per worker thread; False once every job is back."""
        room = TASKS_PER_THREAD * max(1, sum(self.client.nthreads().values())) - len(self.running)
        for index, (label, job, hard_timeout) in itertools.islice(self.waiting, max(0, room)):
            future = self.client.submit(grade_on_worker, dict(job, prestart=self.prestart), hard_timeout, pure=False,
                                        key=f"autograder-notebook-{self.run_id}-{index}")
            future.add_done_callback(lambda _: self.ended.set())
            self.running[future] = label
        return bool(self.running)

    def finished(self, timeout):
        """[(label, result)] of the jobs that ended, waiting up to `timeout` seconds for one."""
        self.ended.clear()
        done = [future for future in self.running if future.done()]
        if not done and self.ended.wait(timeout):
            done = [future for future in self.running if future.done()]
        results = []
        for future in done:
            results.append((self.running.pop(future), _outcome(future)))
            future.release()
        return results

    def cancel(self):
        self.client.cancel(list(self.running))


def _trial_outcome(trial):
    try:
        return trial.result()
    except Exception as exc:  # the worker died or could not run the check: it cannot grade either
        return f"{type(exc).__name__}: {str(exc)[:300]}"


def _allowed_failures(dask_scheduler):
    return dask_scheduler.allowed_failures


def _outcome(future):
    """The runner's result, or a not-graded result saying what happened to the job on the cluster."""
    from distributed import KilledWorker
    try:
        return future.result()
    except KilledWorker:
        return _not_graded(f"grading it ended {ALLOWED_FAILURES + 1} Dask workers (a crash, or the memory of "
                           "the machine), so it was not tried again")
    except Exception as exc:  # the job could not be run there: this notebook only
        return _not_graded(f"the Dask cluster could not run it: {type(exc).__name__}: {str(exc)[:300]}")


# ---------------------------------------------------------------- on a Dask worker

_idle_runners = queue.LifoQueue()     # this worker process's runners, one per thread that graded
_worker_scratch = []                  # this worker process's private folder for job files (made once)


def grade_on_worker(job, hard_timeout):
    """On a Dask worker: run one job in a runner process of this worker; its result dict."""
    try:
        runner = _idle_runners.get_nowait()
    except queue.Empty:
        runner = Runner()
    try:
        return _run_once_or_twice(runner, job, _scratch(), hard_timeout)
    finally:
        _idle_runners.put(runner)


def _scratch():
    if not _worker_scratch:
        _worker_scratch.append(Path(tempfile.mkdtemp(prefix="autograder-worker-")))
        atexit.register(_close_worker)
    return _worker_scratch[0]


def _close_worker():
    """At the worker's exit: close its runners (a killed worker's die with it) and remove its folder."""
    while not _idle_runners.empty():
        _idle_runners.get().close()
    for folder in _worker_scratch:
        shutil.rmtree(folder, ignore_errors=True)


def worker_problem(job):
    """On a worker: why it cannot run a job made on the coordinating machine, or ""."""
    from .runner import Job, kernel_settings, machine_problem
    if str(REPO_ROOT) != job["repo_root"]:
        return f"its grader is at {REPO_ROOT}, not at {job['repo_root']} as on the coordinating machine"
    missing = [folder for folder in job["sandbox"].get("readable", []) if not Path(folder).is_dir()]
    if missing:
        return f"it has no {missing[0]} (install the same environment at the same path)"
    if job["sandbox"].get("use_bwrap", True) and not bwrap_path():
        return "bubblewrap (bwrap) is not installed"
    return machine_problem(kernel_settings(Job(**job)))
