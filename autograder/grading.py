"""Grade a class: `grade(submissions, out_dir, options=...)`, the engine behind `python -m autograder grade`.

The steps, each in its own module:
    submissions.py   find every student's notebooks (links and escapes refused)
    jobs.py          read and assemble each notebook (nbgrader's restore), describe its job and key
    executor.py      run the jobs, side by side (runner.py: sandboxed student process + judge)
    results.py       the rows: per test cell, per student assignment, per flag
    outputs.py       grades.csv, summary.csv, flags.csv, item analysis, feedback, executed notebooks

Input (nbgrader's layout): SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb
Output folder:
    grades.csv          one row per student, assignment and test cell
    summary.csv         one row per student and assignment ("not_submitted" is not a zero)
    flags.csv           what needed repair or looked like tampering, per notebook
    item_analysis.csv   per test cell, the share of submitting students who passed (+ .png)
    feedback/           an HTML page per student and notebook (no hidden tests shown)
    autograded/         the executed notebooks
    .results/           one result per notebook: a re-run grades only what changed or is missing
"""
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import course as course_module
from . import jobs, outputs, results, sandbox, submissions
from .executor import LocalExecutor, Stopped
from .progress import Progress
from .safe_text import for_terminal


class GradingError(RuntimeError):
    """The class cannot be graded at all (bad input, or no sandbox can start here)."""


@dataclass
class Options:
    """Everything a grading run can be told. Only the first five change a notebook's result."""
    timeout: float = 30               # seconds a cell (or a test) may run
    notebook_timeout: float = 600     # seconds a whole notebook may run, restarts included
    use_sandbox: bool = True          # bubblewrap; False only for code you trust
    memory_gib: float = 4.0           # address space of the student's process (and, as root, its memory cgroup)
    disk_mib: float = 512             # the student's /tmp (work folder, HOME, TMPDIR): a tmpfs of this size
    jobs: int = 0                     # notebooks at once (0: the number of cores)
    fresh: bool = False               # ignore results already in the output folder
    feedback: bool = True             # write the HTML feedback pages
    hidden: list = field(default_factory=list)   # more host folders to hide from the student's process

    def result_affecting(self):
        return {"timeout": self.timeout, "notebook_timeout": self.notebook_timeout,
                "use_sandbox": self.use_sandbox, "memory_gib": self.memory_gib, "disk_mib": self.disk_mib}


def grade(submissions_dir, out_dir, *, assignments=None, course=None, options=None, log=print):
    """Autograde every student's work; return (cell grades, assignment grades, flags).

    submissions_dir: SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb
    out_dir:         where the outputs go (see the module docstring); created if needed
    assignments:     only these (default: every assignment of the course someone handed in)
    course:          a course.Course (default: the course of this repository)
    options:         an Options (default: Options())
    log:             where progress and warnings go (a function of one string)
    Raises GradingError when the class cannot be graded at all; one bad notebook never does.
    """
    options = options or Options()
    course = course or course_module.load()
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    try:
        student_ids = submissions.students(submissions_dir)
        chosen = submissions.assignments_to_grade(submissions_dir, student_ids, course.assignments(), assignments,
                                                  log=lambda m: log(for_terminal(m)))
    except submissions.SubmissionsError as exc:
        raise GradingError(str(exc)) from None
    except OSError as exc:
        raise GradingError(f"{for_terminal(submissions_dir)} cannot be read: {exc.strerror}") from None
    check_sandbox(options, log)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_name = {a: jobs.Assignment.read(course, a) for a in chosen}
    found = [submissions.find(submissions_dir, s, a, n) for s in student_ids for a in chosen
             for n in course.notebooks(a)]
    graded = _run(found, by_name, course, options, out_dir, submissions_dir, log)
    cells, flags = [], []
    for sub in found:
        result = graded.get(sub.key)
        cells += results.cell_grades(sub, by_name[sub.assignment].max_scores[sub.notebook], result)
        flags += [results.Flag(sub.student_id, sub.assignment, sub.notebook, str(f), str(d))
                  for f, d in (result or {}).get("all_flags", sub.flags)]
    summary = results.summarize(cells)
    outputs.write_all(cells, summary, flags, graded, found, by_name, out_dir, feedback_pages=options.feedback)
    return cells, summary, flags


def check_sandbox(options, log):
    if options.use_sandbox:
        sandbox.remove_stale_cgroups()
        try:
            sandbox.check_available()
        except sandbox.SandboxUnavailable as exc:
            raise GradingError(str(exc)) from None
    else:
        log("WARNING: grading WITHOUT a sandbox: student code runs with your rights "
            "(it can read the solutions, rewrite these grades and use the network).")


def _cache_path(out_dir, key):
    return out_dir / ".results" / f"{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()}.json"


def _run(found, by_name, course, options, out_dir, submissions_dir, log):
    """{submission key: result} for every notebook handed in (stored results reused when still valid)."""
    import tempfile
    engine = jobs.engine_fingerprint(course)
    graded, todo = {}, []
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
        settings = jobs.sandbox_settings(course, with_hidden_paths(options, course, out_dir, submissions_dir),
                                         jobs.font_cache(scratch))
        for sub in found:
            if sub.refused:
                graded[sub.key] = {"tests": None, "why": f"not graded: {sub.refused}", "all_flags": list(sub.flags)}
                continue
            if sub.path is None:
                continue
            prepared = jobs.prepare(sub, by_name[sub.assignment], course, options, engine, settings)
            cached = None if options.fresh else _stored(out_dir, sub.key, prepared.key)
            if cached is not None:
                graded[sub.key] = cached
            elif prepared.job is None:
                graded[sub.key] = _finish(prepared.result, prepared, out_dir, sub.key)
            else:
                todo.append((sub, prepared))
        if graded:
            log(f"{len(graded)} notebook(s) already graded or not gradable (kept; --fresh regrades them)")
        if todo:
            preflight(settings)
        _execute(todo, graded, options, out_dir, log)
    return graded


def with_hidden_paths(options, course, out_dir, submissions_dir):
    """The sandbox also hides the course, the submissions and the outputs, wherever they are."""
    from dataclasses import replace
    extra = [str(p.resolve()) for p in (course.root, out_dir, submissions_dir)]
    return replace(options, hidden=[*options.hidden, *extra])


def _stored(out_dir, sub_key, key):
    path = _cache_path(out_dir, sub_key)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stored if stored.get("key") == key else None


def _finish(result, prepared, out_dir, sub_key):
    """Merge the flags and save the result (atomically) so that a re-run can reuse it."""
    result = dict(result, key=prepared.key,
                  all_flags=[list(f) for f in prepared.flags] + [list(f) for f in result.get("flags", [])])
    path = _cache_path(out_dir, sub_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(result), encoding="utf-8")
    os.replace(temporary, path)
    return result


def preflight(settings):
    """One trivial notebook first: if no sandbox can start here, stop rather than grade everyone 0."""
    from .kernel import Kernel, KernelSettings, KernelStartFailed
    from .sandbox import Limits, SandboxConfig
    config = dict(settings["sandbox"])
    kernel = Kernel(KernelSettings(SandboxConfig(**{**config, "limits": Limits(**config["limits"])}),
                                   settings["repo_root"]))
    try:
        kernel.start()
        run = kernel.run_cell("1 + 1", 60)
        if run.status != "ok":
            raise KernelStartFailed(f"a trivial cell failed: {run.ename}: {run.evalue}")
    except KernelStartFailed as exc:
        raise GradingError(f"the grading machine cannot run notebooks, so nothing was graded: {exc}") from None
    finally:
        kernel.stop()


def _execute(todo, graded, options, out_dir, log):
    progress = Progress(len(todo), log=log)
    hard_timeout = options.notebook_timeout * 2 + 120
    by_key = {sub.key: (sub, prepared) for sub, prepared in todo}

    def on_result(key, result):
        sub, prepared = by_key[key]
        graded[key] = _finish(result, prepared, out_dir, key)
        progress.step(key)

    slots = options.jobs or os.cpu_count() or 1
    try:
        LocalExecutor(slots).run([(sub.key, prepared.job, hard_timeout) for sub, prepared in todo], on_result,
                                 progress)
    except Stopped:
        progress.close()
        done = sum(1 for sub, _ in todo if sub.key in graded)
        raise KeyboardInterrupt(f"stopped: {done} of {len(todo)} notebooks graded and saved; "
                                "run the same command again to grade the rest") from None
    progress.close()
