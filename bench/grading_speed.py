"""How fast does `python -m autograder grade` grade a class, compared with plain nbgrader?

A synthetic class (default 40 students, every assignment of the course) is
graded twice in this run, one after the other:

1. nbgrader   plain `nbgrader autograde <assignment>`, one assignment after
              the other, as the nbgrader documentation describes (its
              `generate_assignment` step is timed separately: it is setup);
2. autograder `python -m autograder grade` with the bubblewrap sandbox on and
              --jobs set to the number of cores (default).

The students cycle through four kinds: perfect (every answer), partial (the
first half), blank (the release untouched) and broken (a cut-off file). The
script prints wall time, submissions and notebooks per minute, the ratio,
and whether both graders gave every test cell the same score.

    .venv/bin/python bench/grading_speed.py                 # about 30 minutes on 2 cores
    .venv/bin/python bench/grading_speed.py --students 8    # a quick look
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import notebooks, sample_class  # noqa: E402
from autograder.grading import Options, grade  # noqa: E402
from autograder.paths import COURSE_DIR, EXERCISES_DIR, SOURCE_DIR, list_assignments, list_notebooks  # noqa: E402
from autograder.workspace import Workspace  # noqa: E402

KINDS = tuple(sample_class.STUDENTS.values())
TARGET = 1.8


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


def run_autograder(class_dir, assignments, tmp, jobs):
    options = Options(timeout=30, jobs=jobs, use_sandbox=True)
    started = time.perf_counter()
    cells, _, _ = grade(class_dir, tmp / "autograder-out", assignments=assignments, options=options,
                        log=lambda m: None)
    seconds = time.perf_counter() - started
    scores = {(c.student_id, c.assignment, c.grade_id): None if c.status == "not_graded" else c.score
              for c in cells}
    return seconds, scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignment", action="append", dest="assignments",
                        help="only this assignment (repeatable; default: the whole course)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    assignments = args.assignments or list_assignments()
    n_notebooks = args.students * sum(len(list_notebooks(a)) for a in assignments)
    print(f"class: {args.students} students x {len(assignments)} assignments = {n_notebooks} notebooks "
          f"({', '.join(KINDS)} in turn); {os.cpu_count()} cores; autograder --jobs {args.jobs}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        build_class(tmp / "class", args.students, assignments)
        setup, nb_seconds, nb_scores = run_nbgrader(tmp / "class", assignments, tmp)
        print(f"  nbgrader done ({nb_seconds:.0f} s, plus {setup:.0f} s of generate_assignment)", flush=True)
        ag_seconds, ag_scores = run_autograder(tmp / "class", assignments, tmp, args.jobs)
        print(f"  autograder done ({ag_seconds:.0f} s)", flush=True)

    # A notebook nbgrader cannot read gets 0 in its gradebook; the autograder says "not graded" (0 points).
    differ = sorted(k for k in nb_scores if (nb_scores[k] or 0.0) != (ag_scores.get(k) or 0.0))
    print()
    print(f"{'grader':<40}{'wall time':>12}{'notebooks/min':>16}{'students/min':>15}")
    for label, seconds in (("nbgrader autograde (sequential)", nb_seconds),
                           (f"python -m autograder grade (sandbox, {args.jobs} jobs)", ag_seconds)):
        print(f"{label:<40}{seconds:>10.0f} s{n_notebooks / seconds * 60:>16.1f}"
              f"{args.students / seconds * 60:>15.2f}")
    ratio = nb_seconds / ag_seconds
    print(f"\nspeed-up: {ratio:.2f}x (target: at least {TARGET}x: {'met' if ratio >= TARGET else 'NOT met'})")
    print(f"scores: {len(nb_scores) - len(differ)} of {len(nb_scores)} test cells identical"
          + ("" if not differ else f"; first differences: {differ[:5]}"))


if __name__ == "__main__":
    main()
