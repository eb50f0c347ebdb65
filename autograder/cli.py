"""python -m autograder {release, validate, grade}"""
import argparse
import sys
from pathlib import Path

from .paths import SAMPLE_CLASS_DIR


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # Known failures (bad input, a failing nbgrader step) end with a clear message.
        from .grading import GradingError
        from .release import ReleaseError
        from .workspace import NbgraderError
        if isinstance(exc, (GradingError, ReleaseError, NbgraderError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


def _parser():
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="Release, validate and grade the backpropagation course.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    rel = sub.add_parser("release", help="regenerate exercises/, solutions/ and the sample class from course/source/")
    rel.add_argument("assignments", nargs="*", help="assignments to release (default: all)")
    rel.set_defaults(run=_release)

    val = sub.add_parser("validate", help="run a notebook's tests and say whether they pass")
    val.add_argument("notebooks", nargs="+", type=Path)
    val.set_defaults(run=_validate)

    gra = sub.add_parser("grade", help="autograde a folder of submissions")
    gra.add_argument("submissions", nargs="?", type=Path, default=SAMPLE_CLASS_DIR,
                     help="SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb "
                          "(default: the bundled sample class)")
    gra.add_argument("--out", type=Path, default=Path("grades"), help="output folder (default: ./grades)")
    gra.add_argument("--timeout", type=int, default=30, help="seconds a cell may run (default: 30)")
    gra.add_argument("--jobs", type=int, default=None,
                     help="assignments graded at once (default: the number of cores)")
    gra.add_argument("--assignment", action="append", dest="assignments",
                     help="grade only this assignment (repeatable; default: all found)")
    gra.set_defaults(run=_grade)
    return parser


def _release(args):
    from .release import release
    release(args.assignments or None)
    return 0


def _validate(args):
    from .validate import validate
    failures = 0
    for path in args.notebooks:
        reasons = validate(path)
        print(f"{'PASS' if not reasons else 'FAIL'}  {path}")
        for reason in reasons:
            print(f"      {reason}")
        failures += bool(reasons)
    return 1 if failures else 0


def _grade(args):
    from .grading import AssignmentGrade, CellGrade, grade
    from .report import format_summary, write_csv
    cells, summary = grade(args.submissions, args.out, timeout=args.timeout,
                           assignments=args.assignments, jobs=args.jobs,
                           log=lambda m: print(m, file=sys.stderr))
    write_csv(cells, args.out / "grades.csv", CellGrade)
    write_csv(summary, args.out / "summary.csv", AssignmentGrade)
    print(format_summary(summary))
    print(f"\nwrote {args.out / 'grades.csv'} and {args.out / 'summary.csv'}", file=sys.stderr)
    return 0
