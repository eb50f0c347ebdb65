"""Execute one assembled notebook in a (sandboxed) kernel and score its test cells.

    python -m autograder.runner JOB.json      (writes the result file the job names)
    python -m autograder.runner --serve       (one job file path per line on stdin)

Runs as its own process so that the batch can kill it if anything hangs. A
cell that times out is interrupted; a kernel that ignores the interrupt or
dies is replaced, the cells before are replayed (except the culprit), and
grading goes on. Each test cell ends with a call that prints a one-time
token: a test passes only if the kernel's reply is "ok", no error was shown
and the token arrived, so hiding tracebacks does not turn a failure into a
pass.
"""
import json
import re
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .notebooks import is_test_cell, nbgrader_meta
from .sandbox import Limits, SandboxConfig

PROBE_SOURCE = Path(__file__).with_name("kernel_probe.py")
ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")
MAX_STREAM_CHARS = 20_000        # per cell, kept in the graded notebook
MAX_RESTARTS = 10           # the notebook's time limit bounds them too
RESPONSIVE_WITHIN = 5            # seconds for an interrupted kernel to answer again


@dataclass
class Job:
    notebook: str                # the assembled notebook (hidden tests inside: never in work_dir)
    output: str                  # where the executed notebook goes
    result: str                  # where the result JSON goes
    work_dir: str                # the kernel's folder, visible inside the sandbox
    cell_timeout: int = 30
    notebook_timeout: int = 600
    sandbox: bool = True
    hidden: list = field(default_factory=list)
    allowed_roots: list = field(default_factory=list)
    limits: dict = field(default_factory=lambda: asdict(Limits()))
    cgroup_name: str = ""


@dataclass
class TestResult:
    grade_id: str
    points: float
    score: float
    status: str                  # passed, failed
    detail: str = ""


def _marker(nonce):
    return re.compile(rf"\n?@@{nonce}@@(\{{.*\}})\n?")


class Execution:
    """One notebook's run: kernels, outcomes per cell, tamper reports."""

    def __init__(self, job: Job, nb):
        self.job, self.nb = job, nb
        self.nonce = secrets.token_hex(8)
        self.outcome = {}        # cell index -> (kind, detail); kind: ok, error, timeout, died, not_run
        self.reports = []        # decoded probe reports
        self.flags = []
        self.culprits = set()
        self.deadline = time.monotonic() + job.notebook_timeout
        self.original_sources = {}

    # ---- the cells as sent to the kernel
    def prepare(self):
        for index, cell in enumerate(self.nb.cells):
            if is_test_cell(cell):
                self.original_sources[index] = cell.source
                grade_id = nbgrader_meta(cell)["grade_id"]
                cell.source = f"{cell.source}\n__autograder_{self.nonce}({json.dumps('passed:' + grade_id)})"

    def probe_setup_source(self):
        text = PROBE_SOURCE.read_text(encoding="utf-8")
        text = text.replace("_install(NONCE, ALLOWED_ROOTS)",
                            f"_install({self.nonce!r}, {list(self.job.allowed_roots)!r})")
        return text

    # ---- running
    def run(self):
        from nbclient import NotebookClient
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        self.prepare()
        code_cells = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        start = 0
        for attempt in range(MAX_RESTARTS + 1):
            client = NotebookClient(self.nb, km=self._kernel_manager(attempt), timeout=self.job.cell_timeout,
                                    interrupt_on_timeout=False, allow_errors=True, startup_timeout=60,
                                    record_timing=False, shutdown_kernel="immediate")
            replies = {}
            client.on_cell_executed = lambda cell_index, execute_reply, **_: replies.__setitem__(
                cell_index, execute_reply)
            stopped_at = None
            try:
                with client.setup_kernel():
                    self._run_transient(client, self.probe_setup_source(), "setup")
                    for index in code_cells[:start]:  # replay after a restart
                        if index not in self.culprits:
                            self._execute(client, index, replies, replay=True)
                    for position in range(start, len(code_cells)):
                        index = code_cells[position]
                        if time.monotonic() > self.deadline:
                            self._not_run(code_cells[position:], f"the notebook's time limit of "
                                                                  f"{self.job.notebook_timeout} s was reached")
                            break
                        try:
                            self._execute(client, index, replies)
                        except CellTimeoutError:
                            # An interrupted kernel can stall its output for seconds per cell
                            # afterwards: replace it, and replay the cells before without this one.
                            self.outcome[index] = ("timeout", f"timed out after {client.timeout} s")
                            if not self._recovered(client):
                                self.flags.append(("kernel ignored interrupt",
                                                   f"cell {index} kept running after its time limit"))
                            self.culprits.add(index)
                            stopped_at = position + 1
                            break
                        except DeadKernelError:
                            self.outcome[index] = ("died", "the kernel died while running this cell "
                                                           "(memory limit, os._exit or a crash)")
                            self.culprits.add(index)
                            self.flags.append(("kernel died", f"while running cell {index}"))
                            stopped_at = position + 1
                            break
                    else:
                        self._run_transient(client, f"__autograder_{self.nonce}('end')", "end")
            except DeadKernelError:  # died during setup, replay or the final report
                self.flags.append(("kernel died", "outside the student's cells (setup, replay or final check)"))
            except Exception as exc:  # a kernel that will not start, or a protocol failure
                self.flags.append(("kernel failure", f"{type(exc).__name__}: {str(exc)[:200]}"))
                self._not_run([i for i in code_cells if i not in self.outcome],
                              f"the kernel failed: {type(exc).__name__}")
                break
            if stopped_at is None or stopped_at >= len(code_cells):
                break
            start = stopped_at
        else:
            self._not_run([i for i in code_cells if i not in self.outcome], "the kernel was restarted too often")
        self._not_run([i for i in code_cells if i not in self.outcome], "not run")

    def _kernel_manager(self, attempt):
        from .kernel import kernel_manager
        from .sandbox import PIDS_CGROUP, empty_cgroup
        if attempt and self.job.cgroup_name:  # what the last kernel left behind (a fork bomb's children)
            empty_cgroup(PIDS_CGROUP / self.job.cgroup_name)
        work = Path(self.job.work_dir)
        config = SandboxConfig(work_dir=str(work), hidden=list(self.job.hidden), limits=Limits(**self.job.limits),
                               cgroup_name=self.job.cgroup_name, use_bwrap=self.job.sandbox)
        return kernel_manager(work, config, name=f"attempt{attempt}")

    def _cell_timeout(self):
        return max(1, min(self.job.cell_timeout, int(self.deadline - time.monotonic()) + 1))

    def _execute(self, client, index, replies, replay=False):
        cell = self.nb.cells[index]
        client.timeout = self._cell_timeout()
        client.execute_cell(cell, index)
        if replay:
            return
        reply = replies.get(index, {}).get("content", {})
        status = reply.get("status", "ok")
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        if error is not None:
            message = ANSI_ESCAPES.sub("", str(error.get("evalue", "")))
            self.outcome[index] = ("error", f"{error.get('ename')}: {message}".strip())
        elif status != "ok":
            self.outcome[index] = ("error", f"{reply.get('ename', 'error')}: "
                                            f"{ANSI_ESCAPES.sub('', str(reply.get('evalue', '')))}".strip())
        else:
            self.outcome[index] = ("ok", "")

    def _run_transient(self, client, source, label):
        cell = nbformat.v4.new_code_cell(source)
        client.timeout = 60
        client.execute_cell(cell, -1, store_history=False)
        self._collect_reports(cell)
        if label == "setup" and any(o.get("output_type") == "error" for o in cell.outputs):
            self.flags.append(("grader probe failed", "the tamper checks could not be installed"))

    def _recovered(self, client):
        """Interrupt the kernel; True if it answers again within a few seconds."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        try:
            from jupyter_core.utils import run_sync
            run_sync(client.km.interrupt_kernel)()
            probe = nbformat.v4.new_code_cell("pass")
            client.timeout = RESPONSIVE_WITHIN
            client.execute_cell(probe, -1, store_history=False)
            return True
        except (CellTimeoutError, DeadKernelError, RuntimeError):
            return False

    def _not_run(self, indices, why):
        for index in indices:
            self.outcome.setdefault(index, ("not_run", why))

    # ---- reading the results
    def _collect_reports(self, cell):
        marker = _marker(self.nonce)
        found = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
                found += [json.loads(m) for m in marker.findall(text)]
                output["text"] = marker.sub("\n", text).strip("\n") + ("\n" if text.endswith("\n") else "")
        cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "stream" or o.get("text")]
        self.reports.extend(found)
        return found

    def finish(self):
        """Score the test cells, restore their sources, tidy outputs; return (tests, flags)."""
        tests = []
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            reports = self._collect_reports(cell)
            self._cap_output(cell, index)
            if index in self.original_sources:
                cell.source = self.original_sources[index]
                tests.append(self._score(index, cell, reports))
        self._tamper_flags()
        return tests, self.flags

    def _score(self, index, cell, reports):
        meta = nbgrader_meta(cell)
        points = float(meta.get("points", 0))
        kind, detail = self.outcome.get(index, ("not_run", "not run"))
        passed_marker = any(r.get("label") == f"passed:{meta['grade_id']}" for r in reports)
        if kind == "ok" and not passed_marker:
            kind, detail = "error", "the test did not run to its end (its output or exception was hidden)"
            self.flags.append(("hidden failure", f"{meta['grade_id']}: the test's completion token is missing"))
        passed = kind == "ok"
        return TestResult(meta["grade_id"], points, points if passed else 0.0,
                          "passed" if passed else "failed", "" if passed else detail)

    def _cap_output(self, cell, index):
        total = sum(len(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        if total <= MAX_STREAM_CHARS:
            return
        kept = []
        budget = MAX_STREAM_CHARS
        for output in cell.outputs:
            if output.get("output_type") == "stream":
                output["text"] = output["text"][:max(0, budget)]
                budget -= len(output["text"])
                if not output["text"]:
                    continue
            kept.append(output)
        kept.append(nbformat.v4.new_output("stream", name="stderr",
                                           text=f"\n[autograder: {total:,} characters of output cut to "
                                                f"{MAX_STREAM_CHARS:,}]\n"))
        cell.outputs = kept
        if total > 1_000_000:
            self.flags.append(("huge output", f"cell {index} printed {total / 1e6:.0f} MB"))

    def _tamper_flags(self):
        changed, events = set(), set()
        for report in self.reports:
            changed.update(report.get("changed", []))
            events.update(report.get("events", []))
        for item in sorted(changed):
            self.flags.append(("tampering", item))
        for item in sorted(events):
            self.flags.append(("suspicious action", item))
        if not any(r.get("label") == "end" for r in self.reports) and not any(
                k == "died" for k, _ in self.outcome.values()):
            if all(k != "not_run" for k, _ in self.outcome.values()):
                self.flags.append(("tampering", "the grader's final check did not report "
                                                "(its output was redirected or the check removed)"))


def run_job(job: Job):
    nb = nbformat.read(job.notebook, as_version=4)
    execution = Execution(job, nb)
    started = time.monotonic()
    execution.run()
    tests, flags = execution.finish()
    Path(job.output).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, job.output)
    result = {"tests": [asdict(t) for t in tests], "flags": [list(f) for f in flags],
              "seconds": round(time.monotonic() - started, 2)}
    Path(job.result).write_text(json.dumps(result), encoding="utf-8")
    return result


def serve(stdin=sys.stdin, stdout=sys.stdout):
    """Run job after job: read a job file's path per line, answer "done" or "failed: why" per job.

    One long-lived runner per grading slot saves the second or two that importing
    nbclient and jupyter_client costs, for every notebook.
    """
    for line in stdin:
        path = line.strip()
        if not path:
            continue
        try:
            run_job(Job(**json.loads(Path(path).read_text(encoding="utf-8"))))
            stdout.write("done\n")
        except Exception as exc:  # report and stay alive for the next job
            stdout.write(f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}\n")
        stdout.flush()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--serve"]:
        serve()
    else:
        run_job(Job(**json.loads(Path(argv[0]).read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
