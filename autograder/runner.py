"""Grade one notebook: the student's cells in the sandboxed process, the tests in the judge.

    python -m autograder.runner --serve     (one job file path per line on stdin; "done" or
                                             "failed: why" per job on stdout)

Serving a job marked `prestart`, the runner starts the next notebook's
sandboxed process (the preload imports done) while the current notebook
runs, so that the next job only sends its files and begins (see
kernel.Spares; the executor decides when that pays, see executor.py).
Every notebook still gets a fresh process of its own.

A job (JSON, see `Job`) carries everything needed: the assembled notebook
(hidden tests inside), the assignment's files, the names the student writes,
the time limits and the sandbox. The result (JSON) holds the verdict of each
test cell, the flags, the time spent, and the executed notebook.

The cells run in order. Answer, given and ordinary cells run in the
student's process; given cells also run in the judge; test cells run in the
judge only. A cell past its time limit is interrupted and costs only itself.
A process that dies or ignores the interrupt is replaced: the cells before
are replayed (except those that broke it) and grading goes on, so only the
tests that depended on the broken cell lose points.
"""
import base64
import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import cells
from .judge import Judge, JudgeStuck, TestOutcome
from .kernel import Kernel, KernelDied, KernelSettings, KernelStartFailed, Spares
from .notebooks import nbgrader_meta
from .outputs_filter import filter_outputs
from .sandbox import Limits, SandboxConfig

MAX_RESTARTS = 10
GIVEN_CELL_TIMEOUT = 60          # seconds at least for a given cell (setup imports on a busy machine)
# The parts of a notebook's time, in the result's "timings" (seconds):
#   start     until the student's process was ready: boot + files
#   boot      of that, waiting for the sandbox, Python and the preload imports (about 0 with a spare)
#   files     of that, handing the notebook's files to the process
#   boot_cpu  CPU seconds the process's boot took (in the background when it was a spare)
#   cells     the student's cells; given: the given cells again, in the judge; tests: the test cells
#   restarts  new processes and the cells replayed; stop: stopping the student's process at the end
# The executor adds "handoff": its own part (the job to the runner, the result back).
TIMING_PARTS = ("start", "boot", "files", "boot_cpu", "cells", "given", "tests", "restarts", "stop")


@dataclass
class Job:
    key: str
    notebook: dict                      # the assembled notebook, as JSON
    result: str                         # where the runner writes the result JSON
    student_names: list = field(default_factory=list)
    files: dict = field(default_factory=dict)   # name -> base64 text of the assignment's other files
    cell_timeout: float = 30
    notebook_timeout: float = 600
    sandbox: dict = field(default_factory=dict)  # SandboxConfig as a dict
    repo_root: str = ""
    allowed_roots: list = field(default_factory=list)
    file_hooks: list = field(default_factory=list)  # "module:function" setters the judge hands its file writer
    home_files: dict = field(default_factory=dict)  # name -> base64 text of files for the sandbox's HOME
    preload: list = field(default_factory=list)     # modules the student's process imports before the first cell
    kind: str = "notebook"                          # or "bank": prove known answers (see bank_run.py)
    answers: list = field(default_factory=list)     # for a bank: [{key, grade_id, source}]
    packages: list = field(default_factory=list)    # the course's helper packages, watched for tampering
    prestart: bool = False                          # start the process of the runner's next job meanwhile


class NotebookRun:
    def __init__(self, job: Job, spares=None):
        import nbformat
        self.job = job
        self.nb = nbformat.from_dict(job.notebook)
        self.kernel = Kernel(kernel_settings(job), spares=spares, refill=job.prestart)
        self.judge = None
        self.flags = []
        self.tests = []
        self.ran = set()                # indices of the cells run in the student's process
        self.executed = 0               # cells run so far (their execution counts)
        self.culprits = set()           # cells that timed out or killed the process: never replayed
        self.restarts = 0
        self.given_failures = {}        # name -> why the given cell that defines it failed in the judge
        self.timings = dict.fromkeys(TIMING_PARTS, 0.0)
        self.deadline = 0.0

    # ---- the whole notebook
    def run(self):
        with self.session():
            for index, cell in enumerate(self.nb.cells):
                if time.monotonic() > self.deadline:
                    self._skip_rest(index, f"the notebook's time limit of {self.job.notebook_timeout:g} s was "
                                           "reached before this cell")
                    break
                outcome = self.run_cell(index)
                if outcome is not None:
                    self.tests.append(outcome)
            self._probe_flags()
        return self.tests, self.flags

    @contextlib.contextmanager
    def session(self):
        """The student's process and the judge, for the cells run inside; both stopped at the end."""
        with _judge_files(self.job.files) as files_folder:
            started = time.monotonic()
            self.deadline = started + self.job.notebook_timeout
            self.kernel.start()         # KernelStartFailed: the machine's fault, handled by the caller
            self.timings["start"] = time.monotonic() - started
            for part in ("boot", "files", "boot_cpu"):
                self.timings[part] = self.kernel.last_start[part]
            self.judge = Judge(self.kernel, self.job.student_names, self.job.cell_timeout,
                               _hooks(self.job.file_hooks), files_folder)
            try:
                yield self
            finally:
                self.judge.close()
                stopping = time.monotonic()
                self.kernel.stop(wait=False)        # killed now; cleaned up while the next job comes
                self.timings["stop"] = time.monotonic() - stopping

    def run_cell(self, index):
        """Run cell `index` where its kind says; a TestOutcome for a test cell, else None."""
        cell = self.nb.cells[index]
        cell_kind = cells.kind(cell)
        if cell_kind == "test":
            return self._test(cell)
        if cell_kind != "text":
            self._student_cell(index, cell)
            if cell_kind == "given":
                started = time.monotonic()
                self._given_in_judge(cell)
                self.timings["given"] += time.monotonic() - started
        return None

    def _skip_rest(self, start, why):
        for cell in self.nb.cells[start:]:
            if cells.kind(cell) == "test":
                self.tests.append(_not_run(cell, why))

    # ---- the student's cells
    def _student_cell(self, index, cell):
        if not self.kernel.alive:
            cell.outputs = []
            return
        started = time.monotonic()
        run = self.kernel.run_cell(cell.source, self._cell_timeout(cells.kind(cell)))
        self.timings["cells"] += time.monotonic() - started
        self.ran.add(index)
        self.executed += 1
        cell.outputs, notes = filter_outputs(run)
        cell.execution_count = self.executed
        self.flags += [("huge output", f"cell {index}: {note}") for note in notes]
        if run.status == "timeout":
            # Interrupted code may leave threads or forked processes behind: start clean, without this cell.
            self.culprits.add(index)
            if cells.kind(cell) == "given":
                self.flags.append(("given cell timed out", f"cell {index}, the instructor's, ran longer than "
                                                           f"{self._cell_timeout('given'):g} s"))
            self.kernel.stop()
            self._restart()
        elif run.status == "died":
            self.culprits.add(index)
            self._flag_death(f"cell {index}", run.evalue)
            self._restart()

    def _cell_timeout(self, cell_kind="plain"):
        """A cell's time limit; given cells (the instructor's) get more: a slow machine is nobody's fault."""
        limit = max(self.job.cell_timeout, GIVEN_CELL_TIMEOUT) if cell_kind == "given" else self.job.cell_timeout
        return max(1.0, min(limit, self.deadline - time.monotonic()))

    def _flag_death(self, where, why):
        if "ignored the interrupt" in why:
            self.flags.append(("kernel ignored interrupt", f"{where} kept running after its time limit"))
        else:
            self.flags.append(("kernel died", f"{where}: {why}"))

    def _restart(self):
        """A new process with the cells so far replayed, except the ones that broke the last."""
        started = time.monotonic()
        while self.restarts < MAX_RESTARTS and time.monotonic() < self.deadline:
            self.restarts += 1
            try:
                self.kernel.start()
            except KernelStartFailed as exc:
                self.flags.append(("kernel failure", str(exc)[:300]))
                break
            for index in sorted(self.ran - self.culprits):
                run = self.kernel.run_cell(self.nb.cells[index].source,
                                           self._cell_timeout(cells.kind(self.nb.cells[index])))
                if run.status in ("timeout", "died"):
                    self.culprits.add(index)
                    break
            else:
                self.timings["restarts"] += time.monotonic() - started
                return
        self.kernel.stop()
        self.timings["restarts"] += time.monotonic() - started
        self.flags.append(("kernel failure", "the student's process could not be restarted; "
                                             "the remaining cells were not run"))

    # ---- the judge
    def _given_in_judge(self, cell):
        if not self.kernel.alive:
            return
        try:
            error = self.judge.run_given(cell.source)
        except (KernelDied, JudgeStuck) as exc:
            error = f"the student's process stopped: {exc}"
            self._recover(exc, "a given cell")
        if error:
            for name in cells.bound_names(cell.source):
                self.given_failures[name] = error

    def _test(self, cell):
        meta = nbgrader_meta(cell)
        grade_id, points = meta["grade_id"], float(meta.get("points", 0) or 0)
        if not self.kernel.alive:
            return _not_run(cell, "the student's process could not be restarted after a crash")
        started = time.monotonic()
        try:
            outcome = self.judge.run_test(grade_id, cell.source, points)
        except (KernelDied, JudgeStuck) as exc:
            outcome = TestOutcome(grade_id, points, 0.0, "failed",
                                  f"your code stopped the grader's connection to it while this test ran ({exc})")
            self._recover(exc, f"test {grade_id}")
        self.timings["tests"] += time.monotonic() - started
        outcome.detail = self._explain_missing(outcome.detail)
        cell.outputs = outcome.outputs
        return outcome

    def _recover(self, exc, where):
        self._flag_death(where, str(exc) if isinstance(exc, KernelDied) else "the test did not finish")
        self.kernel.stop()
        self._restart()

    def _explain_missing(self, detail):
        """A NameError for a name a given cell failed to make: say why it is missing."""
        for name, why in self.given_failures.items():
            if detail.startswith("NameError") and f"'{name}'" in detail:
                return f"{detail}: the cell that makes `{name}` failed ({why[:300]}); fix that first"
        return detail

    def _probe_flags(self):
        if not self.kernel.alive:
            return
        try:
            reply, buffers = self.kernel.exchange({"op": "report"}, [], time.monotonic() + 10)
            from .sandboxed import wire
            report = wire.Codec().decode(reply.get("v"), buffers) if reply.get("op") == "value" else {}
        except Exception:  # the report is a bonus: a process that spoils it only loses the bonus
            return
        if type(report) is not dict:
            return
        for item in (report.get("changed") or [])[:50]:
            self.flags.append(("tampering", str(item)[:300]))
        for item in (report.get("events") or [])[:50]:
            self.flags.append(("suspicious action", str(item)[:300]))


@contextlib.contextmanager
def _judge_files(files):
    """The assignment's files (e.g. a module its given cells import), for the judge's own copy.

    They are written to a private folder that is the judge's working folder and
    first on sys.path while the notebook is graded; modules imported from it
    are forgotten afterwards, so the next assignment gets its own.
    """
    import os
    import tempfile
    with tempfile.TemporaryDirectory(prefix="autograder-judge-") as folder:
        for name, text in files.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(text))
        previous = os.getcwd()
        os.chdir(folder)
        sys.path.insert(0, folder)
        try:
            yield folder
        finally:
            sys.path.remove(folder)
            os.chdir(previous)
            for name, module in list(sys.modules.items()):
                if str(getattr(module, "__file__", "") or "").startswith(folder):
                    del sys.modules[name]


def sandbox_config(sandbox):
    """A SandboxConfig from its plain form in a job or in the settings of a batch."""
    return SandboxConfig(**{**sandbox, "limits": Limits(**sandbox.get("limits", {}))})


def kernel_settings(job: Job):
    """The student's process of this job: its sandbox, files and preload."""
    return KernelSettings(sandbox_config(job.sandbox), job.repo_root, _decoded(job.files), job.allowed_roots,
                          preload=job.preload, packages=job.packages, home_files=_decoded(job.home_files))


def machine_problem(settings: KernelSettings):
    """Why this machine cannot run such a student process (a trivial cell in its sandbox), or ""."""
    kernel = Kernel(settings, name="trial")
    try:
        kernel.start()
        run = kernel.run_cell("1 + 1", 60)
        return "" if run.status == "ok" else f"a trivial cell failed: {run.ename}: {run.evalue}"
    except KernelStartFailed as exc:
        return str(exc)
    finally:
        kernel.stop()


def _decoded(files):
    """{name: base64 text} -> {name: bytes}"""
    return {name: base64.b64decode(text) for name, text in files.items()}


def _not_run(cell, why):
    meta = nbgrader_meta(cell)
    return TestOutcome(meta["grade_id"], float(meta.get("points", 0) or 0), 0.0, "failed", why)


def _hooks(names):
    """The course's file-writer setters, e.g. "bpkit.checks:set_file_writer"."""
    import importlib
    hooks = []
    for name in names:
        module, _, function = name.partition(":")
        hooks.append(getattr(importlib.import_module(module), function))
    return hooks


def run_job(job: Job, spares=None):
    """Run one job; write and return its result (a dict). `spares`: a kernel.Spares to start processes ahead."""
    started = time.monotonic()
    run = NotebookRun(job, spares)
    try:
        if job.kind == "bank":
            from .bank_run import prove
            result = prove(run, job.answers)
            result.update(tests=[], flags=[list(f) for f in run.flags])
        else:
            tests, flags = run.run()
            result = {"tests": [asdict(t) for t in tests], "flags": [list(f) for f in flags]}
    except KernelStartFailed as exc:
        result = {"tests": None, "flags": [["grading machine fault", str(exc)[:500]]],
                  "why": f"the grading machine could not start a sandbox: {exc}"[:500], "machine_fault": True}
    for test in result.get("tests") or []:
        test.pop("outputs", None)
    result.update(seconds=round(time.monotonic() - started, 2),
                  timings={k: round(v, 2) for k, v in run.timings.items()}, notebook=run.nb)
    Path(job.result).write_text(json.dumps(result), encoding="utf-8")
    return result


def serve(stdin=sys.stdin, stdout=sys.stdout):
    """Run job after job: read a job file's path per line, answer "done" or "failed: why" per job.

    One long-lived runner per grading slot saves the second or two that importing
    the judge's libraries costs, for every notebook; its spare process saves the
    sandbox's start and the preload imports (see the module docstring).
    """
    spares = Spares()
    try:
        for line in stdin:
            path = line.strip()
            if not path:
                continue
            try:
                run_job(Job(**json.loads(Path(path).read_text(encoding="utf-8"))), spares)
                stdout.write("done\n")
            except Exception as exc:  # report and stay alive for the next job
                stdout.write(f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}\n")
            stdout.flush()
    finally:
        spares.stop()


def main(argv=None):
    import matplotlib
    matplotlib.use("Agg")
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--serve"]:
        serve()
    else:
        run_job(Job(**json.loads(Path(argv[0]).read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
