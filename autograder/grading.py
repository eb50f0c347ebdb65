"""Grade a class: `grade(submissions, out_dir, options=...)`, the engine behind `python -m autograder grade`.

The steps, each in its own module:
    submissions.py   find every student's notebooks (links and escapes refused)
    jobs.py          read and assemble each notebook (nbgrader's restore), describe its job and key
    executor.py      run the jobs, side by side (runner.py: sandboxed student process + judge)
    results.py       the rows: per test cell, per student assignment (late policy applied), per flag
    similarity.py    which students' answers look alike, per notebook
    outputs.py       grades.csv, summary.csv, flags.csv, item analysis, feedback, executed notebooks
    gradebook.py     optionally, the results into nbgrader's gradebook for the formgrader

Input (nbgrader's layout): SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb, and optionally
SUBMISSIONS/import_mapping.csv (the LMS import's record, with submission times).
Output folder:
    grades.csv          one row per student, assignment and test cell
    summary.csv         one row per student and assignment ("not_submitted" is not a zero), late penalty included
    flags.csv           what needed repair or looked like tampering or copying, per notebook
    item_analysis.csv   per test cell, the share of submitting students who passed (+ .png)
    feedback/           an HTML page per student and notebook (no hidden tests shown)
    similarity/         a side-by-side page per pair of students whose answers look alike
    autograded/         the executed notebooks
    .results/           one result per notebook: a re-run grades only what changed or is missing

Many machines: `executor` and `scheduler` send the notebooks to a Dask cluster
(executor.py); `shard=(i, n)` grades only the i-th of n shares into
out_dir/.results and writes nothing else, so that n processes (a Slurm array,
a Kubernetes Indexed Job) share a class, and a final run without a shard
collects their results and writes the outputs.
"""
import hashlib
import json
import os
import secrets
import shutil
import socket
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import course as course_module
from . import deadlines, jobs, outputs, results, sandbox, submissions
from .executor import ExecutorError, Stopped, for_options, scheduler_address
from .progress import Progress
from .report import read_csv
from .safe_text import for_terminal

MAPPING_NAME = "import_mapping.csv"  # what `python -m autograder import` writes beside the student folders
NOT_SELECTED = "not graded yet: outside this run's --student/--assignment; grade it with a run that includes it"


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
    similarity: bool = True           # the similarity report: flags.csv rows and similarity/ pages
    similarity_threshold: float = 0.5   # flag a pair from this share of matching code on (0 to 1)
    gradebook: bool = False           # also write the results into nbgrader's gradebook
    gradebook_url: str = None         # its SQLAlchemy URL (None: gradebook.db in the course folder)
    extensions: Path = None           # CSV of per-student extensions (see deadlines.py)
    import_mapping: Path = None       # the LMS import's record of times (None: SUBMISSIONS/import_mapping.csv)
    executor: str = None              # "local" (a pool of runners here) or "dask" (None: dask if a scheduler is set)
    scheduler: str = None             # a Dask scheduler's address (None: DASK_SCHEDULER_ADDRESS, unless "local")
    shard: tuple = None               # (i, n): grade only share i of n (0 <= i < n) into .results, write nothing else

    def cluster_address(self):
        """The address of the Dask scheduler that grades, or None when this machine (or a local cluster) does."""
        return scheduler_address(self.executor, self.scheduler)

    def result_affecting(self):
        return {"timeout": self.timeout, "notebook_timeout": self.notebook_timeout,
                "use_sandbox": self.use_sandbox, "memory_gib": self.memory_gib, "disk_mib": self.disk_mib}


def grade(submissions_dir, out_dir, *, assignments=None, students=None, course=None, options=None, log=print):
    """Autograde every student's work; return (cell grades, assignment grades, flags).

    submissions_dir: SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb
    out_dir:         where the outputs go (see the module docstring); created if needed
    assignments, students: grade only these (default: all); every other notebook keeps the result
                     stored in out_dir, as it is, and the outputs still list everyone
    course:          a course.Course (default: the course of this repository)
    options:         an Options (default: Options())
    log:             where progress and warnings go (a function of one string)
    With options.shard, only that share is graded and stored in out_dir/.results; the rows of the
    share are returned (no late policy) and no output file is written.
    Raises GradingError when the class cannot be graded at all; one bad notebook never does.
    """
    options = options or Options()
    course = course or course_module.load()
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    student_ids, chosen = _discover(submissions_dir, course, assignments, students, log)
    check_sandbox(options, log)
    by_name = {a: jobs.Assignment.read(course, a) for a in chosen}
    found = [submissions.find(submissions_dir, s, a, n) for s in student_ids for a in chosen
             for n in course.notebooks(a)]
    selected = {sub.key for sub in found if sub.assignment in (assignments or chosen)
                and sub.student_id in (students or student_ids)}
    if options.shard:
        found = share(found, selected, *options.shard)
        out_dir.mkdir(parents=True, exist_ok=True)
        graded = _run(found, selected, by_name, course, options, out_dir, submissions_dir, log)
        cells, flags = _collect(found, by_name, graded)
        return cells, results.summarize(cells), flags
    term, times, due_dates = _late_policy_inputs(found, course, options, submissions_dir, log)
    gradebook_url = _gradebook_url(course, options) if options.gradebook else None
    out_dir.mkdir(parents=True, exist_ok=True)
    graded = _run(found, selected, by_name, course, options, out_dir, submissions_dir, log)
    cells, flags = _collect(found, by_name, graded)
    summary = results.with_late_policy(results.summarize(cells), times=times, due_dates=due_dates,
                                       policy=term.policy, zone=term.timezone)
    similar = _similarity(found, by_name, options, out_dir)
    outputs.write_all(cells, summary, flags, graded, found, by_name, out_dir, feedback_pages=options.feedback,
                      private_flags=similar)
    if options.gradebook:
        notebooks = _gradebook_results(selected, cells, flags, similar, summary, times, submissions_dir, out_dir)
        _record_in_gradebook(notebooks, term.due, course, gradebook_url, out_dir, log)
    return cells, summary, flags + similar


def share(found, selected, index, count):
    """Share `index` of `count` of the selected notebooks handed in: every count-th in the order of their keys.

    The same on every machine that sees the same submissions folder, whatever
    the others have graded by then; the shares together hold every notebook once.
    """
    if not 0 <= index < count:
        raise GradingError(f"shard {index}/{count}: the index must be at least 0 and less than {count}")
    keys = sorted(sub.key for sub in found if sub.key in selected and sub.path is not None and not sub.refused)
    mine = set(keys[index::count])
    return [sub for sub in found if sub.key in mine]


def _discover(submissions_dir, course, assignments, students, log):
    """(student ids, assignments to list) of the submissions folder; names asked for must exist."""
    try:
        student_ids = submissions.students(submissions_dir)
        submissions.check_known(students or [], student_ids, "student")
        chosen = submissions.assignments_to_grade(submissions_dir, student_ids, course.assignments(), assignments,
                                                  log=lambda m: log(for_terminal(m)))
    except submissions.SubmissionsError as exc:
        raise GradingError(str(exc)) from None
    except OSError as exc:
        raise GradingError(f"{for_terminal(submissions_dir)} cannot be read: {exc.strerror}") from None
    return student_ids, chosen


def _collect(found, by_name, graded):
    """The cell rows and the flag rows of every notebook, handed in or not."""
    cells, flags = [], []
    for sub in found:
        result = graded.get(sub.key)
        cells += results.cell_grades(sub, by_name[sub.assignment].max_scores[sub.notebook], result)
        flags += [results.Flag(sub.student_id, sub.assignment, sub.notebook, str(f), str(d))
                  for f, d in (result or {}).get("all_flags", sub.flags)]
    return cells, flags


def _late_policy_inputs(found, course, options, submissions_dir, log):
    """(the course's Deadlines, {(student, assignment): SubmissionTime}, {(student, assignment): due date}).

    Read before anything is graded, so that a mistake in them stops the run at once.
    """
    try:
        term = deadlines.deadlines_from_settings(settings=course.settings,
                                                 where=course.root / course_module.DESCRIPTION)
        submissions.check_known(list(term.due), course.assignments(), "assignment in [deadlines]")
        extensions = deadlines.load_extensions(path=options.extensions, deadlines=term) if options.extensions else {}
        rows = _import_rows(options.import_mapping, submissions_dir)
        folders = {(sub.student_id, sub.assignment): sub.path.parent for sub in found if sub.path is not None}
        times = {(student, assignment): deadlines.submission_time(
            student_id=student, assignment=assignment, submission_dir=folder, import_rows=rows, zone=term.timezone)
            for (student, assignment), folder in folders.items()}
    except (deadlines.DeadlineError, submissions.SubmissionsError) as exc:
        raise GradingError(str(exc)) from None
    except OSError as exc:
        raise GradingError(f"{for_terminal(str(exc.filename))} cannot be read: {exc.strerror}") from None
    for student in sorted({s for s, _ in extensions} - {sub.student_id for sub in found}):
        log(f"warning: an extension for {for_terminal(student)}, who is not in the submissions folder")
    due_dates = {(sub.student_id, sub.assignment): deadlines.due_date(
        assignment=sub.assignment, student_id=sub.student_id, deadlines=term, extensions=extensions) for sub in found}
    return term, times, due_dates


def _import_rows(mapping, submissions_dir):
    """The rows of the LMS import's record: the file given, else the one beside the submissions, if any."""
    if mapping is None:
        mapping = submissions_dir / MAPPING_NAME
        if not mapping.is_file():
            return []
    return read_csv(mapping)


def _similarity(found, by_name, options, out_dir):
    """Flag rows for the pairs of students whose answers look alike (the pages of an earlier run are removed)."""
    pages = out_dir / "similarity"
    if pages.is_dir() and not pages.is_symlink():
        shutil.rmtree(pages)
    if not options.similarity:
        return []
    from . import similarity            # copydetect brings matplotlib.pyplot: imported only when it runs
    handed_in = {}
    for sub in found:
        if sub.path is not None:
            handed_in.setdefault((sub.assignment, sub.notebook), {})[sub.student_id] = sub.path
    flags = []
    for (assignment, notebook), paths in handed_in.items():
        rows = similarity.class_report(assignment=assignment, notebook=notebook, submitted=paths, out_dir=out_dir,
                                       source=by_name[assignment].sources[notebook],
                                       threshold=options.similarity_threshold)
        flags += [results.Flag(**row) for row in rows]
    return flags


def _gradebook_results(selected, cells, flags, similar, summary, times, submissions_dir, out_dir):
    """gradebook.NotebookResults of the notebooks graded in this run (``selected``)."""
    from .gradebook import results_from_rows

    def ours(rows):
        return [row for row in rows if f"{row.student_id}/{row.assignment}/{row.notebook}" in selected]

    return results_from_rows(cells=ours(cells), flags=ours(flags), private_flags=ours(similar),
                             submitted_at={key: found.when for key, found in times.items() if found},
                             late_penalties={(r.student_id, r.assignment): r.late_penalty for r in summary},
                             autograded_dir=out_dir / "autograded", submissions_dir=submissions_dir)


def _gradebook_url(course, options):
    """The gradebook's URL, checked before anything is graded: it parses and its database driver is installed."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from .gradebook import course_directory
    url = options.gradebook_url or course_directory(course_dir=course.root).db_url
    try:
        create_engine(url).dispose()  # connects only when used; imports the driver now
    except (SQLAlchemyError, ImportError) as exc:
        raise GradingError(f"--gradebook {_without_password(url)}: {exc}") from None
    return url


def _without_password(url):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def _record_in_gradebook(notebooks, due, course, url, out_dir, log):
    """The results into nbgrader's gradebook at ``url``, and the executed notebooks into the course folder."""
    from sqlalchemy.exc import SQLAlchemyError

    from . import gradebook
    try:
        counts = gradebook.record_results(results=notebooks, course_dir=course.root, db_url=url, duedates=due)
    except (gradebook.GradebookError, SQLAlchemyError, ImportError, OSError) as exc:
        raise GradingError(f"the grades are in {for_terminal(out_dir)}, but the gradebook "
                           f"{_without_password(url)} was not written: {exc}") from None
    written = sum(counts.get(status, 0) for status in gradebook.STATUSES)
    log(f"gradebook {_without_password(url)}: {written} notebook(s) recorded ({counts.get('not_submitted', 0)} "
        f"not submitted, {counts.get('not_graded', 0)} not graded), {counts.get('manual_scores_kept', 0)} "
        "manual score(s) kept")


def check_sandbox(options, log):
    """Stop at once if no sandbox can run here (the workers of a remote Dask cluster are checked instead)."""
    if options.use_sandbox and options.cluster_address():
        return
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


def _run(found, selected, by_name, course, options, out_dir, submissions_dir, log):
    """{submission key: result} for every notebook handed in.

    A selected notebook reuses its stored result while it is still valid; any other keeps the one
    stored, whatever changed since, and without one it is "not graded yet".
    """
    engine = jobs.engine_fingerprint(course)
    graded, todo, counts = {}, [], Counter()
    settings = jobs.sandbox_settings(course, with_hidden_paths(options, course, out_dir, submissions_dir),
                                     jobs.font_cache())
    for sub in found:
        if sub.refused:
            graded[sub.key] = {"tests": None, "why": f"not graded: {sub.refused}", "all_flags": list(sub.flags)}
            counts["kept"] += 1
        elif sub.path is not None and sub.key not in selected:
            stored = _stored(out_dir, sub.key)
            graded[sub.key] = stored or {"tests": None, "why": NOT_SELECTED, "all_flags": list(sub.flags)}
            counts["outside" if stored else "waiting"] += 1
        elif sub.path is not None:
            prepared = jobs.prepare(sub, by_name[sub.assignment], course, options, engine, settings)
            cached = None if options.fresh else _stored(out_dir, sub.key, prepared.key)
            if cached is None and prepared.job is not None:
                todo.append((sub, prepared))
            else:
                graded[sub.key] = cached or _finish(prepared.result, prepared, out_dir, sub.key)
                counts["kept"] += 1
    _log_kept(counts, log)
    if todo and not options.cluster_address():
        preflight(settings)
    _execute(todo, graded, options, out_dir, log)
    return graded


def _log_kept(counts, log):
    if counts["kept"]:
        log(f"{counts['kept']} notebook(s) already graded or not gradable (kept; --fresh regrades them)")
    if counts["outside"] or counts["waiting"]:
        log(f"{counts['outside'] + counts['waiting']} notebook(s) outside --student/--assignment keep their "
            f"stored results ({counts['waiting']} have none: listed as not graded yet)")


def with_hidden_paths(options, course, out_dir, submissions_dir):
    """The sandbox also hides the course, the submissions and the outputs, wherever they are."""
    from dataclasses import replace
    extra = [str(p.resolve()) for p in (course.root, out_dir, submissions_dir)]
    return replace(options, hidden=[*options.hidden, *extra])


def _stored(out_dir, sub_key, key=None):
    """The result stored for this notebook, if its key is ``key`` (None: whatever its key)."""
    path = _cache_path(out_dir, sub_key)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stored if key is None or stored.get("key") == key else None


def _finish(result, prepared, out_dir, sub_key):
    """Merge the flags and save the result (atomically) so that a re-run can reuse it."""
    result = dict(result, key=prepared.key,
                  all_flags=[list(f) for f in prepared.flags] + [list(f) for f in result.get("flags", [])])
    path = _cache_path(out_dir, sub_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a name of its own, even for shards on several machines writing into one shared folder
    temporary = path.parent / f".{path.name}.{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    temporary.write_text(json.dumps(result), encoding="utf-8")
    os.replace(temporary, path)
    return result


def preflight(settings):
    """One trivial notebook first: if no sandbox can start here, stop rather than grade everyone 0."""
    from .kernel import KernelSettings
    from .runner import machine_problem, sandbox_config
    why = machine_problem(KernelSettings(sandbox_config(settings["sandbox"]), settings["repo_root"]))
    if why:
        raise GradingError(f"the grading machine cannot run notebooks, so nothing was graded: {why}")


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
        executor = for_options(options.executor, options.scheduler, slots, log)
        executor.run([(sub.key, prepared.job, hard_timeout) for sub, prepared in todo], on_result, progress)
    except ExecutorError as exc:
        progress.close()
        raise GradingError(f"{exc} (the results already stored stand)") from None
    except Stopped:
        progress.close()
        done = sum(1 for sub, _ in todo if sub.key in graded)
        raise KeyboardInterrupt(f"stopped: {done} of {len(todo)} notebooks graded and saved; "
                                "run the same command again to grade the rest") from None
    progress.close()
