"""How fast does `python -m autograder grade` grade a class: plain nbgrader, the local engine, a Dask cluster.

A synthetic class (default 16 students, every assignment of the course) is
graded in one run, one grader after the other:

1. nbgrader   plain `nbgrader autograde <assignment>`, one assignment after
              the other, as the nbgrader documentation describes (its
              `generate_assignment` step is timed separately: it is setup);
2. local      `grade` with the bubblewrap sandbox on and --jobs runner
              processes on this machine (default: the number of cores);
3. dask       `grade --scheduler` on a Dask cluster of --jobs single-threaded
              workers on this machine: real `dask scheduler` and `dask worker`
              processes on 127.0.0.1, started before and stopped after it;
with --spares also
4. spares     the local engine with each runner starting the next
              notebook's sandboxed process while one runs
              (AUTOGRADER_PRESTART=1; by default it does so only with fewer
              runners than cores, see autograder/executor.py).

The students cycle through four kinds: perfect (every answer), partial (the
first half), blank (the release untouched) and broken (a cut-off file). The
script prints each grader's wall time, notebooks per minute and the ratios
with their targets, whether every grader gave every test cell the same score
as nbgrader, and the time per notebook split into its parts (from each
result's `timings`, see autograder/runner.py; the coordinator's preparing
and writing are timed here). The similarity report is left out: nbgrader
has none.

    .venv/bin/python bench/grading_speed.py                       # about 15 minutes on 2 cores
    .venv/bin/python bench/grading_speed.py --spares              # and the local engine with spares
    .venv/bin/python bench/grading_speed.py --students 4 --assignment 01_chain_rule     # a quick look
"""
import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import jobs, notebooks, outputs, sample_class  # noqa: E402
from autograder.executor import PRESTART_SWITCH, DaskProcesses  # noqa: E402
from autograder.grading import Options, grade  # noqa: E402
from autograder.paths import COURSE_DIR, EXERCISES_DIR, SOURCE_DIR, list_assignments, list_notebooks  # noqa: E402
from autograder.workspace import Workspace  # noqa: E402

KINDS = tuple(sample_class.STUDENTS.values())
TARGET = 2.5                  # local engine against plain nbgrader, this target
JUDGE_TARGET = 1.8            # the same, the target of the issue that brought the judge
DASK_TARGET = 0.9             # the Dask cluster against the local engine, at equal cores
PARTS = (("boot", "waiting for the sandbox and the preload imports"),
         ("files", "handing the notebook's files to the process"),
         ("cells", "the student's cells"),
         ("given", "the given cells again, in the judge"),
         ("tests", "the test cells (the judge)"),
         ("restarts", "restarts and the cells replayed"),
         ("stop", "stopping the student's process"),
         ("runner", "the rest of the runner (its judge, the notebook in and out)"),
         ("handoff", "the executor: the job to the runner and the result back"),
         ("prepare", "the coordinator: reading and assembling the notebook"),
         ("write", "the coordinator: CSVs, executed notebooks, feedback"))


def build_class(root, n_students, assignments):
    for i in range(n_students):
        kind = KINDS[i % len(KINDS)]
        for assignment in assignments:
            for name in list_notebooks(assignment):
                dest = root / f"{kind}_{i:03d}" / assignment / f"{name}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(sample_class.hand_in(kind, EXERCISES_DIR / assignment / f"{name}.ipynb",
                                                     SOURCE_DIR / assignment / f"{name}.ipynb"), encoding="utf-8")


def run_nbgrader(class_dir, assignments, tmp):
    """(setup seconds, grading seconds, {(student, assignment, grade_id): score or None})."""
    from nbgrader.api import Gradebook, MissingEntry
    workspace = Workspace(tmp / "nbgrader", COURSE_DIR, assignments)
    started = time.perf_counter()
    for assignment in assignments:
        workspace.nbgrader("generate_assignment", assignment, "--force")
    setup = time.perf_counter() - started
    shutil.copytree(class_dir, workspace.root / "submitted")
    started = time.perf_counter()
    for assignment in assignments:
        workspace.nbgrader("autograde", assignment, check=False)
    seconds = time.perf_counter() - started
    scores = {}
    with Gradebook(workspace.db_url) as gradebook:
        for student in sorted(p.name for p in class_dir.iterdir()):
            for assignment in assignments:
                for name in list_notebooks(assignment):
                    tests = notebooks.test_cells(notebooks.read(SOURCE_DIR / assignment / f"{name}.ipynb"))
                    try:
                        graded = {g.name: g.score for g in
                                  gradebook.find_submission_notebook(name, assignment, student).grades}
                    except MissingEntry:
                        graded = None
                    for grade_id in tests:
                        scores[(student, assignment, grade_id)] = (
                            None if graded is None else float(graded.get(grade_id) or 0.0))
    return setup, seconds, scores


@dataclasses.dataclass
class Run:
    label: str
    seconds: float
    scores: dict
    parts: dict                     # part -> mean seconds per notebook that ran
    boot_cpu: float                 # mean CPU seconds of a student's process's boot
    ran: int                        # notebooks that ran (not unreadable)


def run_autograder(label, class_dir, assignments, out, jobs_count, scheduler=None):
    """Grade the class with `grade`, timing the coordinator's own parts; a Run."""
    coordinator = {"prepare": 0.0, "write": 0.0}
    options = _options(jobs=jobs_count, scheduler=scheduler)
    with _timed(jobs, "prepare", coordinator, "prepare"), _timed(outputs, "write_all", coordinator, "write"):
        started = time.perf_counter()
        cells, _, _ = grade(class_dir, out, assignments=assignments, options=options, log=lambda m: None)
        seconds = time.perf_counter() - started
    scores = {(c.student_id, c.assignment, c.grade_id): None if c.status == "not_graded" else c.score
              for c in cells}
    results = [json.loads(p.read_text(encoding="utf-8")) for p in (out / ".results").glob("*.json")]
    ran = [r for r in results if r.get("timings")]
    total = {name: sum(r["timings"].get(name, 0.0) for r in ran) for name, _ in PARTS}
    named = ("boot", "files", "cells", "given", "tests", "restarts", "stop")
    total["runner"] = sum(r["seconds"] - sum(r["timings"].get(n, 0.0) for n in named) for r in ran)
    count = max(1, len(ran))
    parts = {name: value / count for name, value in total.items()}
    parts.update({name: value / max(1, len(results)) for name, value in coordinator.items()})
    return Run(label, seconds, scores, parts, sum(r["timings"].get("boot_cpu", 0.0) for r in ran) / count, len(ran))


def _options(jobs, scheduler):
    """The benchmark's grading options: no similarity report (nbgrader has none), the Dask scheduler if any."""
    return Options(timeout=30, jobs=jobs, use_sandbox=True, similarity=False, scheduler=scheduler)


@contextlib.contextmanager
def _timed(module, name, totals, key):
    """Add the seconds spent in module.name to totals[key] while inside."""
    original = getattr(module, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


@contextlib.contextmanager
def _environment(name, value):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous


def _load():
    return f"load average {os.getloadavg()[0]:.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--assignment", action="append", dest="assignments",
                        help="only this assignment (repeatable; default: the whole course)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="runner processes of the local engine, and workers of the Dask cluster")
    parser.add_argument("--spares", action="store_true",
                        help="also grade with the local engine starting each next process ahead "
                             "(AUTOGRADER_PRESTART=1)")
    args = parser.parse_args(argv)
    assignments = args.assignments or list_assignments()
    n_notebooks = args.students * sum(len(list_notebooks(a)) for a in assignments)
    print(f"class: {args.students} students x {len(assignments)} assignments = {n_notebooks} notebooks "
          f"({', '.join(KINDS)} in turn); {os.cpu_count()} cores; --jobs {args.jobs}; {_load()}", flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        build_class(tmp / "class", args.students, assignments)
        setup, nb_seconds, nb_scores = run_nbgrader(tmp / "class", assignments, tmp)
        print(f"  nbgrader done ({nb_seconds:.0f} s, plus {setup:.0f} s of generate_assignment); {_load()}",
              flush=True)
        runs.append(run_autograder(f"local engine ({args.jobs} runners)", tmp / "class", assignments,
                                   tmp / "local", args.jobs))
        print(f"  local engine done ({runs[-1].seconds:.0f} s); {_load()}", flush=True)
        with DaskProcesses(args.jobs) as cluster:
            runs.append(run_autograder(f"Dask ({args.jobs} workers x 1 thread)", tmp / "class", assignments,
                                       tmp / "dask", args.jobs, scheduler=cluster.address))
        print(f"  Dask done ({runs[-1].seconds:.0f} s); {_load()}", flush=True)
        if args.spares:
            with _environment(PRESTART_SWITCH, "1"):
                runs.append(run_autograder("local engine, spares", tmp / "class", assignments,
                                           tmp / "spares", args.jobs))
            print(f"  local engine, spares, done ({runs[-1].seconds:.0f} s); {_load()}", flush=True)
    report(args, n_notebooks, nb_seconds, nb_scores, runs)


def report(args, n_notebooks, nb_seconds, nb_scores, runs):
    print()
    print(f"{'grader':<40}{'wall time':>12}{'notebooks/min':>16}{'x nbgrader':>12}")
    print(f"{'nbgrader autograde (sequential)':<40}{nb_seconds:>10.0f} s{n_notebooks / nb_seconds * 60:>16.1f}"
          f"{1:>12.2f}")
    for run in runs:
        print(f"{run.label:<40}{run.seconds:>10.0f} s{n_notebooks / run.seconds * 60:>16.1f}"
              f"{nb_seconds / run.seconds:>12.2f}")
    local, dask = runs[0], runs[1]
    ratio = nb_seconds / local.seconds
    print(f"\nlocal engine vs nbgrader: {ratio:.2f}x (target {TARGET}x: {_met(ratio >= TARGET)}; "
          f"the judge's issue, {JUDGE_TARGET}x: {_met(ratio >= JUDGE_TARGET)})")
    share = local.seconds / dask.seconds
    print(f"Dask vs local engine, {args.jobs} cores each: {share:.2f} of its speed "
          f"(target at least {DASK_TARGET}: {_met(share >= DASK_TARGET)})")
    for run in runs:
        differ = sorted(k for k in nb_scores if (nb_scores[k] or 0.0) != (run.scores.get(k) or 0.0))
        print(f"scores, {run.label}: {len(nb_scores) - len(differ)} of {len(nb_scores)} test cells as nbgrader's"
              + ("" if not differ else f"; first differences: {differ[:5]}"))
    print(f"\ntime per notebook, seconds (runner parts: mean over the {local.ran} notebooks that ran; "
          "coordinator parts: over all)")
    print(f"{'part':<10}" + "".join(f"{run.label.split(' (')[0]:>24}" for run in runs) + "   what")
    for name, what in PARTS:
        print(f"{name:<10}" + "".join(f"{run.parts[name]:>24.3f}" for run in runs) + f"   {what}")
    print(f"{'slot time':<10}" + "".join(f"{run.seconds * args.jobs / n_notebooks:>24.3f}" for run in runs)
          + "   wall time x jobs / notebooks")
    print(f"{'boot CPU':<10}" + "".join(f"{run.boot_cpu:>24.3f}" for run in runs)
          + "   CPU seconds of a student's process's boot (with a spare: while the one before runs)")


def _met(ok):
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    main()
