"""python -m autograder {release, validate, grade, import, export}: a thin layer over the engine's entry points."""
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
        from .course import CourseError
        from .grading import GradingError
        from .lms import LmsImportError
        from .lms_export import ExportError
        from .release import ReleaseError
        from .workspace import NbgraderError
        if isinstance(exc, (GradingError, ReleaseError, NbgraderError, LmsImportError, CourseError, ExportError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


def _parser():
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="Release, validate and grade an nbgrader course (this repository's "
                                                 "backpropagation course by default).")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    rel = sub.add_parser("release", help="regenerate exercises/, solutions/ and the sample class from course/source/")
    rel.add_argument("assignments", nargs="*", help="assignments to release (default: all)")
    rel.set_defaults(run=_release)

    val = sub.add_parser("validate", help="grade notebooks one by one and show every failing test's message; with "
                                          "no notebook, self-check the course's tests against the bank of answers")
    val.add_argument("notebooks", nargs="*", type=Path)
    val.add_argument("--assignment", action="append", dest="assignments",
                     help="self-check only this assignment (repeatable)")
    val.add_argument("--bank", type=Path, default=None, help="the package of known answers "
                                                             "(default: the course's, see course/autograder.toml)")
    _engine_options(val, timeout=10)
    val.set_defaults(run=_validate)

    _grade_parser(sub)
    imp = sub.add_parser("import", help="turn an LMS download (folder or zip of notebooks) into nbgrader's layout")
    imp.add_argument("download", type=Path, help="the folder or .zip the LMS gave you")
    imp.add_argument("--out", type=Path, default=Path("submitted"),
                     help="where SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb go (default: ./submitted)")
    imp.add_argument("--overwrite", action="store_true", help="replace files already in --out")
    imp.set_defaults(run=_import)
    _export_parser(sub)
    return parser


def _grade_parser(sub):
    gra = sub.add_parser("grade", help="autograde a folder of submissions, in parallel and in a sandbox")
    gra.add_argument("submissions", nargs="?", type=Path, default=SAMPLE_CLASS_DIR,
                     help="SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb "
                          "(default: the bundled sample class)")
    gra.add_argument("--out", type=Path, default=Path("grades"), help="output folder (default: ./grades)")
    gra.add_argument("--assignment", action="append", dest="assignments", metavar="NAME",
                     help="grade only this assignment (repeatable); the others keep their stored results")
    gra.add_argument("--student", action="append", dest="students", metavar="ID",
                     help="grade only this student (repeatable); the others keep their stored results")
    gra.add_argument("--fresh", action="store_true",
                     help="regrade everything chosen, ignoring results already in the output folder")
    gra.add_argument("--no-feedback", action="store_true", help="skip the HTML feedback pages")
    gra.add_argument("--gradebook", nargs="?", const="", default=None, metavar="URL",
                     help="also write the results into nbgrader's gradebook, for the formgrader and nbgrader "
                          "export: an SQLAlchemy URL (e.g. postgresql://host/course), or nothing for "
                          "gradebook.db in the course folder")
    gra.add_argument("--extensions", type=Path, metavar="CSV",
                     help="per-student extensions: student_id, assignment and new_due or extra_hours")
    gra.add_argument("--mapping", type=Path, metavar="CSV",
                     help="the LMS import's import_mapping.csv, for submission times (default: the one in the "
                          "submissions folder, if any)")
    gra.add_argument("--no-similarity", action="store_true", help="skip the similarity report")
    gra.add_argument("--similarity-threshold", type=_share, default=0.5, metavar="SHARE",
                     help="flag two students when this share of one's code matches the other's (default: 0.5)")
    gra.add_argument("--executor", choices=("local", "dask"), default=None,
                     help="local: a pool of --jobs sandboxes on this machine (the default); dask: a Dask cluster, "
                          "the one at --scheduler, or without one a local cluster of --jobs workers")
    gra.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                     help="grade on the Dask cluster of this scheduler (default: $DASK_SCHEDULER_ADDRESS, if set); "
                          "its workers need this grader and its Python at the same paths as here")
    gra.add_argument("--shard", type=_shard, metavar="I/N",
                     help="grade only share I of N (I from 0 to N-1) into OUT/.results and write nothing else, "
                          "e.g. one task of a Slurm array; then a run without --shard writes the outputs")
    _engine_options(gra, timeout=30)
    gra.set_defaults(run=_grade)


def _export_parser(sub):
    from .lms_export import FORMATS
    exp = sub.add_parser("export", help="write a grading run's scores for Canvas, Moodle or a spreadsheet")
    exp.add_argument("--format", required=True, choices=FORMATS)
    exp.add_argument("--grades", required=True, type=Path, help="the output folder of `grade` (its summary.csv)")
    exp.add_argument("--mapping", type=Path, metavar="CSV",
                     help="the LMS import's import_mapping.csv: the students' LMS ids and names")
    exp.add_argument("--out", required=True, type=Path, help="a file (canvas, csv) or a folder (moodle)")
    exp.add_argument("--canvas-id", action="append", default=[], type=_canvas_id, metavar="ASSIGNMENT=ID",
                     help="the Canvas assignment id of an assignment, from its URL (repeatable)")
    exp.add_argument("--moodle-max-grade", type=float, metavar="POINTS", help="the Moodle assignment's maximum grade (scores are "
                                                             "scaled to it)")
    exp.set_defaults(run=_export)


def _share(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value


def _shard(text):
    index, slash, count = text.partition("/")
    try:
        index, count = int(index), int(count)
    except ValueError:
        index = count = None
    if not slash or count is None or count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"{text!r} is not I/N with 0 <= I < N, e.g. 0/4 for the first of four")
    return index, count


def _canvas_id(text):
    assignment, equals, number = text.partition("=")
    if not (assignment and equals and number):
        raise argparse.ArgumentTypeError(f"{text!r} is not ASSIGNMENT=ID, e.g. 01_chain_rule=123456")
    return assignment, number


def _engine_options(parser, timeout):
    """The options of the grading engine, shared by `grade` and `validate`."""
    parser.add_argument("--course", type=Path, default=None,
                        help="the nbgrader course folder, with its autograder.toml (default: ./course of this "
                             "repository)")
    parser.add_argument("--timeout", type=float, default=timeout,
                        help=f"seconds a cell or a test may run (default: {timeout})")
    parser.add_argument("--notebook-timeout", type=float, default=600,
                        help="seconds a whole notebook may run (default: 600)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="notebooks graded at once, each in its own sandbox (default: the number of cores)")
    parser.add_argument("--memory", type=float, default=4.0, metavar="GIB",
                        help="address space of each student process in GiB (default: 4; importing the course's "
                             "libraries needs about 2)")
    parser.add_argument("--disk", type=float, default=512, metavar="MIB",
                        help="size of each student process's own /tmp in MiB (default: 512)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code WITHOUT bubblewrap (only for code you trust)")


def _options(args, **overrides):
    from .grading import Options
    values = dict(timeout=args.timeout, notebook_timeout=args.notebook_timeout, jobs=args.jobs or 0,
                  use_sandbox=not args.no_sandbox, memory_gib=args.memory, disk_mib=args.disk)
    values.update(overrides)
    return Options(**values)


def _course(args):
    from . import course
    return course.load(args.course) if args.course else course.load()


def _release(args):
    from .release import release
    release(args.assignments or None)
    return 0


def _validate(args):
    if not args.notebooks:
        return _self_check(args)
    from .safe_text import for_terminal
    from .validate import plain_message, validate
    course, failures = _course(args), 0
    options = _options(args, feedback=False, fresh=True, similarity=False)
    for path in args.notebooks:
        cells, flags = validate(path, course=course, options=options)
        failed = [c for c in cells if c.status != "passed"]
        score, total = sum(c.score for c in cells), sum(c.max_score for c in cells)
        print(f"{'PASS' if not failed else 'FAIL'}  {for_terminal(path)}  ({score:g} of {total:g} points)")
        for cell in failed:
            print(f"  {cell.grade_id}: {cell.status} ({cell.score:g} of {cell.max_score:g})")
            for line in plain_message(cell.detail).split(" / "):
                print(f"      {for_terminal(line)}")
        for flag in flags:
            print(f"  note: {for_terminal(flag.flag)}: {for_terminal(flag.detail)}")
        failures += bool(failed)
    return 1 if failures else 0


def _self_check(args):
    from .selfcheck import format_checks, self_check
    course = _course(args)
    checks = self_check(args.assignments, args.bank or course.bank, course=course,
                        options=_options(args, feedback=False), log=lambda m: print(m, file=sys.stderr))
    print(format_checks(checks))
    return 0 if all(c.ok for c in checks) else 1


def _grade(args):
    from .grading import grade
    from .report import format_summary
    options = _options(args, fresh=args.fresh, feedback=not args.no_feedback, similarity=not args.no_similarity,
                       similarity_threshold=args.similarity_threshold, gradebook=args.gradebook is not None,
                       gradebook_url=args.gradebook or None, extensions=args.extensions,
                       import_mapping=args.mapping, executor=args.executor, scheduler=args.scheduler,
                       shard=args.shard)
    if args.shard and args.gradebook is not None:
        print("error: --gradebook goes with the run that merges the shards (the same command without --shard)",
              file=sys.stderr)
        return 2
    _, summary, flags = grade(args.submissions, args.out, assignments=args.assignments, students=args.students,
                              course=_course(args), options=options, log=lambda m: print(m, file=sys.stderr))
    print(format_summary(summary))
    if args.shard:
        print(f"\nshard {args.shard[0]}/{args.shard[1]}: {len(summary)} student assignment(s) graded into "
              f"{args.out}/.results; when every shard is done, run the same command without --shard to write "
              "the outputs", file=sys.stderr)
        return 0
    flagged = len({(f.student_id, f.assignment, f.notebook) for f in flags})
    print(f"\n{flagged} notebook(s) flagged (see flags.csv). Wrote grades.csv, summary.csv, flags.csv, "
          f"item_analysis.csv/.svg and feedback/ in {args.out}", file=sys.stderr)
    return 0


def _export(args):
    from .lms_export import export_run
    from .safe_text import for_terminal
    paths, warnings = export_run(format=args.format, grades_dir=args.grades, out=args.out, mapping=args.mapping,
                                 canvas_assignment_ids=dict(args.canvas_id), moodle_max_grade=args.moodle_max_grade)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print("\n".join(for_terminal(path) for path in paths))
    return 0


def _import(args):
    from .lms import MAPPING_NAME, import_submissions, write_mapping
    from .paths import SOURCE_DIR, list_assignments, list_notebooks
    from .safe_text import for_terminal
    course = {a: list_notebooks(a, SOURCE_DIR) for a in list_assignments(SOURCE_DIR)}
    rows = import_submissions(args.download, args.out, course, overwrite=args.overwrite)
    mapping = args.out / MAPPING_NAME
    write_mapping(rows, mapping)
    counts = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    for row in rows:
        if row.status != "imported":
            print(f"{row.status:>15}  {for_terminal(row.source)}: {for_terminal(row.detail)}", file=sys.stderr)
    students = len({r.student_id for r in rows if r.status == "imported"})
    others = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items()) if k != "imported")
    print(f"{counts.get('imported', 0)} notebook(s) of {students} student(s) imported into "
          f"{for_terminal(args.out)}" + (f"; {others}" if others else "") + f"\nmapping: {for_terminal(mapping)}")
    return 0
