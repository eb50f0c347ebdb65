"""Grade a folder of submissions: every notebook in its own sandboxed kernel, several at once.

Input (nbgrader's layout): SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb
Output folder:
    grades.csv          one row per student, assignment and test cell
    summary.csv         one row per student and assignment ("not_submitted" is not a zero)
    flags.csv           what needed repair or looked like tampering, per notebook
    item_analysis.csv   per test cell, the share of submitting students who passed (+ .png)
    feedback/           an HTML page per student and notebook (no hidden tests shown)
    autograded/         the executed notebooks
    .results/           one result per notebook: a re-run skips what is already graded
"""
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import notebooks, sandbox
from .assemble import assemble
from .paths import COURSE_DIR, REPO_ROOT, list_assignments, list_notebooks
from .progress import Progress
from .runner import Job

ENGINE_VERSION = "2"   # part of every result's key: a new engine regrades everything


class GradingError(RuntimeError):
    """The input cannot be graded at all (e.g. it is not a submissions folder)."""


@dataclass
class CellGrade:
    student_id: str
    assignment: str
    notebook: str
    grade_id: str
    score: float
    max_score: float
    status: str  # passed, partial, failed, not_submitted, not_graded
    detail: str = ""


@dataclass
class AssignmentGrade:
    student_id: str
    assignment: str
    score: float
    max_score: float
    status: str  # graded, not_submitted, not_graded


@dataclass
class Flag:
    student_id: str
    assignment: str
    notebook: str
    flag: str
    detail: str


@dataclass
class Options:
    timeout: int = 30                 # seconds per cell
    notebook_timeout: int = 600       # seconds per notebook, restarts included
    jobs: int = 0                     # notebooks at once (0: the number of cores)
    use_sandbox: bool = True
    memory_gib: float = 4.0
    fresh: bool = False               # ignore earlier results in the output folder
    feedback: bool = True


@dataclass
class Submission:
    student_id: str
    assignment: str
    notebook: str
    path: Path = None                 # None: not submitted
    flags: list = field(default_factory=list)

    @property
    def key(self):
        return f"{self.student_id}/{self.assignment}/{self.notebook}"


def grade(submissions, out_dir, assignments=None, course_dir=COURSE_DIR, log=print, options=None):
    """Autograde every student's work; return (cell grades, assignment grades, flags)."""
    options = options or Options()
    submissions, out_dir, course_dir = Path(submissions), Path(out_dir), Path(course_dir)
    if options.use_sandbox:
        sandbox.remove_stale_cgroups()
        try:
            sandbox.check_available()
        except sandbox.SandboxUnavailable as exc:
            raise GradingError(str(exc)) from None
    else:
        log("WARNING: grading WITHOUT a sandbox: student code runs with your rights "
            "(it can read the solutions, rewrite these grades and use the network).")
    students = _students(submissions)
    known = list_assignments(course_dir / "source")
    assignments = _assignments_to_grade(submissions, students, known, assignments, log)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = {(a, n): notebooks.read(course_dir / "source" / a / f"{n}.ipynb")
               for a in assignments for n in list_notebooks(a, course_dir / "source")}
    found = [_find_submission(submissions, s, a, n) for s in students for a in assignments
             for n in list_notebooks(a, course_dir / "source")]
    results = _run_all(found, sources, submissions, out_dir, course_dir, options, log)
    cells, flags = _rows(found, sources, results)
    summary = summarize(cells)
    _write_outputs(cells, summary, flags, out_dir, sources, options)
    return cells, summary, flags


# ---------------------------------------------------------------- finding the submissions

def _students(submissions):
    layout = "SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb"
    if not submissions.is_dir():
        raise GradingError(f"{submissions} is not a folder of submissions (expected {layout}; "
                           "for an LMS download use `python -m autograder import`)")
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise GradingError(f"{submissions} holds no student folders (expected {layout}; "
                           "for an LMS download use `python -m autograder import`)")
    return students


def _assignments_to_grade(submissions, students, known, requested, log):
    if requested:
        unknown = sorted(set(requested) - set(known))
        if unknown:
            raise GradingError(f"unknown assignment(s) {', '.join(unknown)}; the course has {', '.join(known)}")
        return list(requested)
    found = {p.name for s in students for p in (submissions / s).iterdir() if p.is_dir()}
    for name in sorted(found - set(known)):
        log(f"warning: ignoring folder(s) named {name!r}: not an assignment of this course")
    chosen = [a for a in known if a in found]
    if not chosen:
        raise GradingError(f"no submissions for any assignment of the course ({', '.join(known)})")
    return chosen


def _find_submission(submissions, student, assignment, notebook):
    """The student's file for this notebook; a lone notebook under another name counts (flagged)."""
    folder = submissions / student / assignment
    found = Submission(student, assignment, notebook)
    expected = folder / f"{notebook}.ipynb"
    if expected.is_file():
        found.path = expected
        return found
    if not folder.is_dir():
        return found
    others = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".ipynb")
    if len(others) == 1:
        found.path = others[0]
        found.flags.append(("wrong file name", f"graded {others[0].name} as {notebook}.ipynb"))
    elif others:
        found.flags.append(("wrong file name", f"no {notebook}.ipynb, and {len(others)} other notebooks "
                                               f"({', '.join(p.name for p in others)}): none graded"))
    return found


# ---------------------------------------------------------------- running the notebooks

def _result_key(submission, source_nb, options):
    digest = hashlib.sha256()
    digest.update(submission.path.read_bytes())
    digest.update(json.dumps(source_nb, sort_keys=True).encode())
    digest.update(f"{ENGINE_VERSION}|{options.timeout}|{options.notebook_timeout}|{options.use_sandbox}|"
                  f"{options.memory_gib}".encode())
    return digest.hexdigest()


def _run_all(found, sources, submissions, out_dir, course_dir, options, log):
    """{submission key: result dict} for every submitted notebook (cached results reused)."""
    cache = out_dir / ".results"
    results, todo = {}, []
    for sub in found:
        if sub.path is None:
            continue
        key = _result_key(sub, sources[(sub.assignment, sub.notebook)], options)
        cached = cache / f"{sub.key}.json"
        if not options.fresh and cached.exists():
            try:
                result = json.loads(cached.read_text(encoding="utf-8"))
                if result.get("key") == key:
                    results[sub.key] = result
                    continue
            except (OSError, ValueError):
                pass
        todo.append((sub, key))
    if len(results):
        log(f"{len(results)} notebook(s) already graded in {out_dir} (kept; --fresh regrades them)")
    jobs = max(1, min(options.jobs or os.cpu_count() or 1, len(todo) or 1))
    progress = Progress(len(todo), log=log)
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        mpl_cache = _matplotlib_cache(Path(tmp))
        # The sandbox always hides the repository, home and /tmp; these may lie elsewhere.
        hidden = [str(p) for p in {submissions.resolve(), out_dir.resolve(), Path(course_dir).resolve()}]

        runners = queue.Queue()
        for _ in range(jobs):
            runners.put(Runner())

        def grade_one(item):
            sub, key = item
            runner = runners.get()
            try:
                result = _grade_notebook(sub, sources[(sub.assignment, sub.notebook)], Path(tmp), out_dir,
                                         Path(course_dir), options, hidden, mpl_cache, runner)
            finally:
                runners.put(runner)
            result["key"] = key
            cached = cache / f"{sub.key}.json"
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(result), encoding="utf-8")
            return sub, result

        pool = ThreadPoolExecutor(max_workers=jobs)
        pending = {pool.submit(grade_one, item) for item in todo}
        try:
            while pending:
                done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for future in done:
                    sub, result = future.result()
                    results[sub.key] = result
                    progress.step(sub.key)
                progress.tick()
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            _Stop.now = True
            pool.shutdown(wait=True, cancel_futures=True)
            while not runners.empty():
                runners.get().stop()
            progress.close()
            raise KeyboardInterrupt(f"stopped: {len(results)} of {len(found)} notebooks graded and saved; "
                                    "run the same command again to grade the rest") from None
        pool.shutdown(wait=True)
        progress.close()
        while not runners.empty():
            runners.get().stop()
    return results


class _Stop:
    """Set on Ctrl-C: running notebooks are killed, none is started."""
    now = False


def _matplotlib_cache(tmp):
    """Build matplotlib's font list once; every kernel gets a copy (no font scan per notebook)."""
    folder = tmp / "mplconfig"
    folder.mkdir()
    env = dict(os.environ, MPLCONFIGDIR=str(folder), MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   capture_output=True, timeout=120)
    return folder


def _grade_notebook(sub, source_nb, tmp, out_dir, course_dir, options, hidden, mpl_cache, runner):
    """Assemble, run in a runner process, return the result (a dict); never raises for bad input."""
    flags = list(sub.flags)
    try:
        submitted = notebooks.read(sub.path)
    except Exception as exc:  # not JSON, not a notebook, empty file...
        first_line = (str(exc).strip().splitlines() or [""])[0][:160]
        flags.append(("unreadable notebook", f"{type(exc).__name__}: {first_line}"))
        return {"tests": None, "flags": flags, "seconds": 0.0, "why": "unreadable notebook"}
    nb, repairs = assemble(source_nb, submitted)
    flags += repairs
    name = hashlib.sha1(sub.key.encode()).hexdigest()[:12]
    job_dir, work_dir = tmp / "jobs" / name, tmp / "work" / name
    job_dir.mkdir(parents=True)
    (work_dir / "home").mkdir(parents=True)
    shutil.copytree(mpl_cache, work_dir / "home" / ".matplotlib")
    _copy_assignment_files(course_dir / "source" / sub.assignment, work_dir)
    notebooks.write(nb, job_dir / "assembled.ipynb")
    limits = sandbox.Limits(memory_bytes=int(options.memory_gib * sandbox.GiB),
                            cpu_seconds=options.notebook_timeout + 60)
    group_name = f"autograder-{os.getpid()}-{name}"
    group = sandbox.make_pids_cgroup(group_name, limits.processes) if options.use_sandbox else None
    job = Job(notebook=str(job_dir / "assembled.ipynb"), output=str(out_dir / "autograded" / f"{sub.key}.ipynb"),
              result=str(job_dir / "result.json"), work_dir=str(work_dir), cell_timeout=options.timeout,
              notebook_timeout=options.notebook_timeout, sandbox=options.use_sandbox, hidden=hidden,
              allowed_roots=_allowed_roots(work_dir), limits=asdict(limits),
              cgroup_name=group_name if group else "")
    (job_dir / "job.json").write_text(json.dumps(asdict(job)), encoding="utf-8")
    try:
        outcome = runner.run(job_dir / "job.json", options.notebook_timeout * 2 + 120)
    finally:
        sandbox.remove_cgroup(group)
    result_path = job_dir / "result.json"
    if outcome is None and result_path.exists():
        result = json.loads(result_path.read_text(encoding="utf-8"))
        result["flags"] = flags + [tuple(f) for f in result["flags"]]
        return result
    flags.append(("grading failed", outcome or "the runner wrote no result"))
    return {"tests": None, "flags": flags, "seconds": 0.0, "why": outcome or "the runner wrote no result"}


def _copy_assignment_files(source_folder, work_dir):
    """Files the assignment ships besides its notebooks (e.g. a module), as nbgrader does."""
    for path in source_folder.iterdir():
        if path.is_file() and path.suffix != ".ipynb":
            shutil.copy2(path, work_dir / path.name)


def _allowed_roots(work_dir):
    import bpkit
    return [str(work_dir), sys.prefix, sys.base_prefix, str(Path(bpkit.__file__).resolve().parent),
            "/usr", "/etc", "/proc", "/dev", "/sys", "/lib", "/lib64", "/bin", "/sbin", "/opt", "/var/cache"]


class Runner:
    """A long-lived `python -m autograder.runner --serve` process; replaced when a job kills or hangs it."""

    def __init__(self):
        self.proc = None

    def _start(self):
        cmd = [sys.executable, "-m", "autograder.runner", "--serve"]
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1, start_new_session=True)

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
                if _Stop.now or time.monotonic() - started > hard_timeout:
                    self.stop()
                    return "stopped" if _Stop.now else f"the runner was killed after {hard_timeout} s"
                if selector.select(timeout=0.2):
                    answer = self.proc.stdout.readline().strip()
                    if not answer:  # the runner itself died
                        self.stop()
                        return "the runner died"
                    return None if answer == "done" else answer

    def stop(self):
        if self.proc is not None:
            _kill_group(self.proc)
            self.proc = None


def _kill_group(proc):
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


# ---------------------------------------------------------------- rows and outputs

def _rows(found, sources, results):
    cells, flags = [], []
    for sub in found:
        max_scores = notebooks.test_cells(sources[(sub.assignment, sub.notebook)])
        result = results.get(sub.key)
        for flag, detail in (result or {}).get("flags", sub.flags):
            flags.append(Flag(sub.student_id, sub.assignment, sub.notebook, flag, detail))
        tests = {t["grade_id"]: t for t in (result or {}).get("tests") or []}
        for grade_id, max_score in max_scores.items():
            if sub.path is None:
                status, score, detail = "not_submitted", 0.0, ""
            elif result is None or result.get("tests") is None:
                status, score, detail = "not_graded", 0.0, (result or {}).get("why", "not graded")
            else:
                test = tests.get(grade_id)
                score = float(test["score"]) if test else 0.0
                status = "passed" if score >= max_score else "failed" if score == 0 else "partial"
                detail = test["detail"] if test else "the test cell did not run"
            cells.append(CellGrade(sub.student_id, sub.assignment, sub.notebook, grade_id, score, max_score,
                                   status, " / ".join(detail.splitlines())[:500]))
    return cells, flags


def summarize(cells):
    """One AssignmentGrade per student and assignment, from the cell grades."""
    groups = {}
    for cell in cells:
        groups.setdefault((cell.student_id, cell.assignment), []).append(cell)
    summary = []
    for (student, assignment), rows in groups.items():
        statuses = {r.status for r in rows}
        if statuses == {"not_submitted"}:
            status = "not_submitted"
        elif "not_graded" in statuses:
            status = "not_graded"
        else:
            status = "graded"
        summary.append(AssignmentGrade(student, assignment, sum(r.score for r in rows),
                                       sum(r.max_score for r in rows), status))
    return summary


def _write_outputs(cells, summary, flags, out_dir, sources, options):
    from . import feedback, report
    report.write_csv(cells, out_dir / "grades.csv", CellGrade)
    report.write_csv(summary, out_dir / "summary.csv", AssignmentGrade)
    report.write_csv(flags, out_dir / "flags.csv", Flag)
    report.write_item_analysis(cells, out_dir)
    if options.feedback:
        feedback.write_all(cells, flags, sources, out_dir)
