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
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted{': ' + str(exc) if str(exc) else ''}", file=sys.stderr)
        return 130
    except Exception as exc:
        # Known failures (bad input, a failing nbgrader step) end with a clear message.
        from .grading import GradingError
        from .release import ReleaseError
        from .workspace import NbgraderError
        from .lms import LmsImportError
        if isinstance(exc, (GradingError, ReleaseError, NbgraderError, LmsImportError)):
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

    val = sub.add_parser("validate", help="run a notebook's tests and say whether they pass; with no "
                                          "notebook, self-check the course's tests against the bank of answers")
    val.add_argument("notebooks", nargs="*", type=Path)
    val.add_argument("--assignment", action="append", dest="assignments",
                     help="self-check only this assignment (repeatable)")
    val.add_argument("--bank", type=Path, default=None, help="the package of known answers "
                                                             "(default: tests/known_answers)")
    val.add_argument("--timeout", type=int, default=10, help="seconds a cell may run (default: 10)")
    val.add_argument("--jobs", type=int, default=None, help="notebooks at once (default: the number of cores)")
    val.add_argument("--no-sandbox", action="store_true", help="self-check without bubblewrap")
    val.set_defaults(run=_validate)

    gra = sub.add_parser("grade", help="autograde a folder of submissions, in parallel and in a sandbox")
    gra.add_argument("submissions", nargs="?", type=Path, default=SAMPLE_CLASS_DIR,
                     help="SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb "
                          "(default: the bundled sample class)")
    gra.add_argument("--out", type=Path, default=Path("grades"), help="output folder (default: ./grades)")
    gra.add_argument("--timeout", type=int, default=30, help="seconds a cell may run (default: 30)")
    gra.add_argument("--notebook-timeout", type=int, default=600,
                     help="seconds a whole notebook may run (default: 600)")
    gra.add_argument("--jobs", type=int, default=None,
                     help="notebooks graded at once, each in its own kernel (default: the number of cores)")
    gra.add_argument("--memory", type=float, default=4.0, metavar="GIB",
                     help="address space of each kernel in GiB (default: 4; importing the course's "
                          "libraries needs about 2)")
    gra.add_argument("--assignment", action="append", dest="assignments",
                     help="grade only this assignment (repeatable; default: all found)")
    gra.add_argument("--no-sandbox", action="store_true",
                     help="run student code WITHOUT bubblewrap (only for code you trust)")
    gra.add_argument("--fresh", action="store_true",
                     help="regrade everything, ignoring results already in the output folder")
    gra.add_argument("--no-feedback", action="store_true", help="skip the HTML feedback pages")
    gra.set_defaults(run=_grade)
    imp = sub.add_parser("import", help="turn an LMS download (folder or zip of notebooks) into nbgrader's layout")
    imp.add_argument("download", type=Path, help="the folder or .zip the LMS gave you")
    imp.add_argument("--out", type=Path, default=Path("submitted"),
                     help="where SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb go (default: ./submitted)")
    imp.add_argument("--overwrite", action="store_true", help="replace files already in --out")
    imp.set_defaults(run=_import)
    return parser


def _release(args):
    from .release import release
    release(args.assignments or None)
    return 0


def _validate(args):
    if not args.notebooks:
        return _self_check(args)
    from .validate import validate
    failures = 0
    for path in args.notebooks:
        reasons = validate(path)
        print(f"{'PASS' if not reasons else 'FAIL'}  {path}")
        for reason in reasons:
            print(f"      {reason}")
        failures += bool(reasons)
    return 1 if failures else 0


def _self_check(args):
    from .selfcheck import DEFAULT_BANK, format_checks, self_check
    checks = self_check(args.assignments, args.bank or DEFAULT_BANK, timeout=args.timeout, jobs=args.jobs,
                        use_sandbox=not args.no_sandbox, log=lambda m: print(m, file=sys.stderr))
    print(format_checks(checks))
    return 0 if all(c.ok for c in checks) else 1


def _grade(args):
    from .grading import Options, grade
    from .report import format_summary
    options = Options(timeout=args.timeout, notebook_timeout=args.notebook_timeout, jobs=args.jobs or 0,
                      use_sandbox=not args.no_sandbox, memory_gib=args.memory, fresh=args.fresh,
                      feedback=not args.no_feedback)
    _, summary, flags = grade(args.submissions, args.out, assignments=args.assignments,
                              log=lambda m: print(m, file=sys.stderr), options=options)
    print(format_summary(summary))
    flagged = len({(f.student_id, f.assignment, f.notebook) for f in flags})
    print(f"\n{flagged} notebook(s) flagged (see flags.csv). Wrote grades.csv, summary.csv, flags.csv, "
          f"item_analysis.csv/.png and feedback/ in {args.out}", file=sys.stderr)
    return 0


def _import(args):
    from .lms import import_submissions, write_mapping
    from .paths import SOURCE_DIR, list_assignments, list_notebooks
    course = {a: list_notebooks(a, SOURCE_DIR) for a in list_assignments(SOURCE_DIR)}
    rows = import_submissions(args.download, args.out, course, overwrite=args.overwrite)
    mapping = args.out / "import_mapping.csv"
    write_mapping(rows, mapping)
    counts = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    for row in rows:
        if row.status != "imported":
            print(f"{row.status:>15}  {row.source}: {row.detail}", file=sys.stderr)
    students = len({r.student_id for r in rows if r.status == "imported"})
    print(f"{counts.get('imported', 0)} notebook(s) of {students} student(s) imported into {args.out}; "
          + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items()) if k != "imported")
          + f"\nmapping: {mapping}")
    return 0
