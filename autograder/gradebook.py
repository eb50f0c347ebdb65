"""Grading results into nbgrader's gradebook, for the formgrader and ``nbgrader export``.

``record_results`` writes through ``nbgrader.api.Gradebook(db_url, course_id)``:
an SQLAlchemy URL, by default the SQLite file ``gradebook.db`` in the course
folder (SQLite takes one writer at a time: use PostgreSQL, e.g.
``postgresql://host/course`` with a driver such as psycopg2 installed, when
several people grade one course).

The course. Each assignment of the results is created or updated with its
notebooks, grade cells, solution cells and source cells exactly as
``nbgrader generate_assignment`` records them: the source notebook goes
through nbgrader's own preprocessors (LockCells, ClearSolutions, ClearOutput,
CheckCellMetadata, ComputeChecksums, SaveCells) with the course's
nbgrader_config.py. Header/footer notebooks and AUTOTEST cells are not
supported (the course uses neither). As in nbgrader, the cells of a notebook
that already has submissions cannot change.

Per student notebook (a NotebookResult; ``results_from_rows`` builds them from
the engine's grades.csv and flags.csv rows):

- ``graded``: the student and the submission are created if missing (with the
  submission time, in UTC as nbgrader keeps it); each test cell gets its auto
  score. A score an instructor set in the formgrader (``manual_score``) is never
  overwritten: the new auto score is stored beside it and, if it changed, the
  cell is marked ``needs_manual_grade`` so the override gets a second look.
  A manually graded cell (solution and grade, e.g. a free-text answer) is
  left for manual grading, unless the student left it as released (0, as
  nbgrader does).
- ``not_graded``: the submission exists, its auto scores are empty (so the
  notebook counts 0 in ``nbgrader export``, as in summary.csv) and every cell
  needs a manual grade; the notebook is flagged.
- ``not_submitted``: no submission is created, so nothing reads as a zero
  that was handed in (``nbgrader export`` still prints 0 for every student it
  knows; summary.csv's status tells the two apart), and one recorded by an
  earlier run is left as it is. Only when the student handed in other
  notebooks of the same assignment does this one score 0, as
  ``nbgrader autograde`` does.
- ``flagged`` sets the formgrader's flag; a later run never clears a flag (the
  instructor does, in the formgrader). Flags that are for the instructor only
  (``private_flags`` of ``results_from_rows``) set it without a note.
- ``late_penalty`` (points, optional) goes to the notebook's
  ``late_submission_penalty``, which ``nbgrader export`` subtracts.

The executed notebook is copied to where the formgrader reads it,
``autograded/<student>/<assignment>/<notebook>.ipynb`` under the course root,
each graded or answer cell carrying the nbgrader metadata of the released
version (points, checksum, ...), and its test cells as students may see
them: without the hidden tests, what they printed or a traceback, because
``nbgrader generate_feedback`` makes the student's feedback from this copy
(the grading output's own ``autograded/`` keeps everything, for you).
Beside it go ``timestamp.txt`` (the submission time) and the student's
``submission_secret.txt`` when nbgrader's exchange collected one: with them
``nbgrader release_feedback`` files the feedback where ``fetch_feedback``
finds it. A notebook with a note (why it was not graded, what was flagged) gets a first
markdown cell saying so. Without an
executed notebook (it could not be run, or it is missing) the released
notebook stands in, with a note saying so, so the submission stays in the
formgrader's list; its manually graded cells then wait for a grader.
"""
import copy
import html
import os
import shutil
import stat
import sys
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from . import notebooks
from .assemble import visible_source
from .lms_export import as_dict
from .paths import COURSE_DIR, list_notebooks

STATUSES = ("graded", "not_submitted", "not_graded")


class GradebookError(RuntimeError):
    """The results cannot be recorded as given (the message says why); nothing more is written."""


@dataclass
class NotebookResult:
    student_id: str
    assignment: str
    notebook: str
    status: str                                   # graded, not_submitted or not_graded
    scores: dict = field(default_factory=dict)    # {grade_id: auto score} of the test cells
    submitted_at: datetime = None                 # aware; None: unknown
    flagged: bool = False
    executed: Path = None                         # the executed notebook; None: not run
    note: str = ""                                # shown at the top of the notebook in the formgrader
    late_penalty: float = None                    # points; None leaves the gradebook's value
    submission_dir: Path = None                   # the student's folder of the assignment (its submission_secret.txt)


def results_from_rows(*, cells, flags=(), private_flags=(), submitted_at=None, autograded_dir=None,
                      late_penalties=None, submissions_dir=None):
    """NotebookResults from the engine's cell rows (grades.csv) and flag rows (flags.csv).

    ``flags`` set the formgrader's flag and are listed in the note at the top
    of the notebook, which ``nbgrader generate_feedback`` passes on to the
    student; ``private_flags`` (e.g. similarity to another student) only set
    the flag. ``submitted_at``: {(student, assignment): aware datetime};
    ``autograded_dir``: the grading output's ``autograded/`` folder;
    ``late_penalties``: {(student, assignment): points}, shared among the
    assignment's notebooks in proportion to their scores (a missing key is
    0; None leaves the gradebook's penalties as they are);
    ``submissions_dir``: SUBMISSIONS/<student>/<assignment>/ of the grading run.
    """
    groups = {}
    for row in map(as_dict, cells):
        groups.setdefault((row["student_id"], row["assignment"], row["notebook"]), []).append(row)
    notes, hidden = _flag_lines(flags), _flag_lines(private_flags)
    results = []
    for (student, assignment, notebook), rows in groups.items():
        statuses = {r["status"] for r in rows}
        status = ("not_submitted" if statuses == {"not_submitted"}
                  else "not_graded" if "not_graded" in statuses else "graded")
        why = sorted({r["detail"] for r in rows if r["status"] == "not_graded" and r["detail"]})
        shown = notes.get((student, assignment, notebook), [])
        executed = Path(autograded_dir, student, assignment, f"{notebook}.ipynb") if autograded_dir else None
        results.append(NotebookResult(
            student, assignment, notebook, status,
            scores={r["grade_id"]: float(r["score"]) for r in rows} if status == "graded" else {},
            submitted_at=(submitted_at or {}).get((student, assignment)),
            flagged=bool(shown or hidden.get((student, assignment, notebook))),
            executed=executed if executed is not None and executed.is_file() else None,
            note="\n".join([f"not graded: {w}" for w in why] + shown),
            submission_dir=Path(submissions_dir, student, assignment) if submissions_dir else None))
    if late_penalties is not None:
        _share_late_penalties(results, late_penalties)
    return results


def _flag_lines(flags):
    lines = {}
    for row in map(as_dict, flags):
        lines.setdefault((row["student_id"], row["assignment"], row["notebook"]), []).append(
            f"{row['flag']}: {row['detail']}")
    return lines


def _share_late_penalties(results, late_penalties):
    """Each handed-in notebook's share of its assignment's penalty, in proportion to its score (0 if none)."""
    totals = {}
    for result in results:
        key = (result.student_id, result.assignment)
        totals[key] = totals.get(key, 0.0) + sum(result.scores.values())
    for result in results:
        key = (result.student_id, result.assignment)
        if result.status != "not_submitted":
            share = sum(result.scores.values()) / totals[key] if totals[key] else 0.0
            result.late_penalty = late_penalties.get(key, 0.0) * share


def course_directory(*, course_dir=COURSE_DIR):
    """nbgrader's CourseDirectory for the course folder, with the settings of its nbgrader_config.py."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
    course_dir = Path(course_dir).resolve()
    config = (PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
              if (course_dir / "nbgrader_config.py").is_file() else Config())
    return CourseDirectory(config=config, root=str(course_dir))


def record_results(*, results, course_dir=COURSE_DIR, db_url=None, course_id=None, duedates=None):
    """Write the results into the gradebook and the executed notebooks under ``course_dir``.

    ``db_url`` defaults to the course's gradebook.db and ``course_id`` to its
    nbgrader_config.py's; ``duedates``: {assignment: aware datetime} for
    nbgrader's due dates. Returns how many notebooks of each status were
    written and how many manual scores were kept.
    """
    from nbgrader.api import Gradebook
    coursedir = course_directory(course_dir=course_dir)
    db_url, course_id = db_url or coursedir.db_url, course_id or coursedir.course_id
    results, duedates = list(results), duedates or {}
    course = _checked_notebooks(results, duedates, coursedir)
    with _alembic_on_path(), Gradebook(db_url, course_id=course_id) as gb:
        for assignment in sorted({a for a, _ in course}):
            gb.update_or_create_assignment(assignment, **({"duedate": duedates[assignment]}
                                                          if assignment in duedates else {}))
    released = {key: _save_cells(coursedir, *key, db_url) for key in sorted(course)}
    with warnings.catch_warnings(), Gradebook(db_url, course_id=course_id) as gb:
        # nbgrader's add_submission builds its rows in a way SQLAlchemy 2 warns about; the rows are fine.
        warnings.filterwarnings("ignore", message=".*not in session, add operation along", module="nbgrader")
        return _write_results(gb, results, released, coursedir)


def _checked_notebooks(results, duedates, coursedir):
    """{(assignment, notebook)} of the course to record; bad input is refused before anything is written."""
    for result in results:
        _check(result)
    for assignment, due in duedates.items():
        _check_aware(due, f"due date of {assignment}")
    source = Path(coursedir.root) / coursedir.source_directory
    assignments = {r.assignment for r in results} | set(duedates)
    course = {(a, name) for a in assignments if (source / a).is_dir() for name in list_notebooks(a, source)}
    unknown = sorted({f"{r.assignment}/{r.notebook}" for r in results if (r.assignment, r.notebook) not in course}
                     | {a for a in duedates if not (source / a).is_dir()})
    if unknown:
        raise GradebookError(f"not notebooks or assignments of the course: {', '.join(unknown)}")
    return course


def _write_results(gb, results, released, coursedir):
    handed_in = _handed_in(results)
    for student in sorted({r.student_id for r in results}):
        gb.update_or_create_student(student)
    for (student, assignment), when in sorted(handed_in.items()):
        gb.update_or_create_submission(assignment, student, **({"timestamp": when} if when else {}))
    counts = Counter()
    for result in results:
        counts[result.status] += 1
        counts["manual_scores_kept"] += _record(gb, result, released[(result.assignment, result.notebook)],
                                                coursedir, handed_in)
    return dict(counts)


@contextmanager
def _alembic_on_path():
    """nbgrader runs `alembic` from PATH to create a gradebook: make it this interpreter's when missing."""
    saved = os.environ.get("PATH", "")
    if shutil.which("alembic") is None:
        os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + saved
    try:
        yield
    finally:
        os.environ["PATH"] = saved


def _check_aware(moment, what):
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise GradebookError(f"{what}: {moment} has no time zone; give an aware datetime")


def _check(result):
    if result.status not in STATUSES:
        raise GradebookError(f"{result.student_id}/{result.assignment}/{result.notebook}: unknown status "
                             f"{result.status!r} (one of {', '.join(STATUSES)})")
    for part in (result.student_id, result.assignment, result.notebook):
        if not part or part in (".", "..") or "/" in part or "\\" in part:
            raise GradebookError(f"{part!r} cannot name a folder of the course")
    _check_aware(result.submitted_at, f"submission time of {result.student_id}/{result.assignment}")


def _handed_in(results):
    """{(student, assignment): latest submission time or None} for every assignment with a submission."""
    handed_in = {}
    for r in results:
        if r.status != "not_submitted":
            key = (r.student_id, r.assignment)
            times = [t for t in (handed_in.get(key), r.submitted_at) if t is not None]
            handed_in[key] = max(times) if times else None
    return handed_in


def _save_cells(coursedir, assignment, notebook, db_url):
    """Record the notebook's cells as generate_assignment does; return the notebook as it was recorded."""
    from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, ClearSolutions, ComputeChecksums,
                                        LockCells, SaveCells)
    nb = notebooks.read(Path(coursedir.root) / coursedir.source_directory / assignment / f"{notebook}.ipynb")
    resources = {"nbgrader": {"assignment": assignment, "notebook": notebook, "db_url": db_url}}
    try:
        for step in (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums, SaveCells):
            nb, resources = step(config=coursedir.config).preprocess(nb, resources)
    except RuntimeError as exc:  # cells added or removed while submissions exist
        raise GradebookError(f"{assignment}/{notebook}: {exc}") from None
    return nb


def _record(gb, result, released, coursedir, handed_in):
    """Write one notebook's grades (and place its executed copy); return how many manual scores were kept."""
    if result.status == "not_submitted":
        if (result.student_id, result.assignment) not in handed_in:
            return 0
        grades = {g: 0.0 for g in _grade_ids(released)}  # other notebooks of the assignment were handed in
        executed = None
    else:
        executed = _place(result, released, coursedir)
        grades = _auto_scores(result, released, executed)
    submitted = gb.find_submission_notebook(result.notebook, result.assignment, result.student_id)
    kept = sum(_set_auto_score(grade, grades.get(grade.name)) for grade in submitted.grades)
    if executed is not None:
        _set_auto_comments(submitted.comments, executed)
    if result.flagged or result.status == "not_graded":
        submitted.flagged = True
    if result.late_penalty is not None:
        submitted.late_submission_penalty = float(result.late_penalty)
    gb.db.commit()
    return kept


def _grade_ids(nb):
    return [notebooks.nbgrader_meta(c)["grade_id"] for c in nb.cells if notebooks.nbgrader_meta(c).get("grade")]


def _auto_scores(result, released, executed):
    """{grade_id: auto score or None}: ours for test cells, nbgrader's rule for manually graded cells."""
    from nbgrader.utils import determine_grade
    if result.status == "not_graded":
        return {}
    scores = {grade_id: float(score) for grade_id, score in result.scores.items()}
    if executed is None:  # no student notebook: manually graded cells wait for a grader
        return scores
    cells = {notebooks.nbgrader_meta(c).get("grade_id"): c for c in executed.cells}
    for grade_id in _grade_ids(released):
        if grade_id not in scores and notebooks.nbgrader_meta(cells.get(grade_id, {})).get("solution"):
            scores[grade_id] = determine_grade(cells[grade_id])[0]  # 0 if left as released, else None
    return scores


def _set_auto_score(grade, auto):
    """Store the auto score; a manual score stays. Returns 1 if there was a manual score, else 0."""
    changed = grade.auto_score != auto
    grade.auto_score = auto
    if grade.manual_score is None:
        grade.needs_manual_grade = auto is None
        return 0
    if changed:
        grade.needs_manual_grade = True
    return 1


def _set_auto_comments(comments, executed):
    """nbgrader's "No response." on answer cells the student left as released; a grader's comment stays."""
    from nbgrader.utils import compute_checksum
    cells = {notebooks.nbgrader_meta(c).get("grade_id"): c for c in executed.cells}
    for comment in comments:
        cell = cells.get(comment.name)
        unchanged = cell is not None and notebooks.nbgrader_meta(cell).get("checksum") == compute_checksum(cell)
        comment.auto_comment = "No response." if unchanged else None


def _place(result, released, coursedir):
    """Write the notebook the formgrader shows to autograded/<student>/<assignment>/.

    Returns it, or None when the released notebook had to stand in for the student's.
    """
    nb, note = None, result.note
    if result.executed is not None:
        try:
            nb = nbformat.read(str(result.executed), as_version=4)
        except Exception as exc:  # noqa: BLE001 - any unreadable file: show the release instead
            note = "\n".join(filter(None, [note, f"the executed notebook could not be read: {exc}"]))
    stand_in = nb is None
    if stand_in:
        nb = copy.deepcopy(released)
        note = "\n".join(filter(None, [note, "no executed notebook: this is the released notebook, "
                                             "not the student's work; open their submission to grade it"]))
    _take_released_metadata(nb, released)
    _hide_tests(nb)
    if note:
        lines = "\n".join(f"- {html.escape(line)}" for line in note.splitlines())
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"**Autograder note**\n\n{lines}"))
    target = Path(coursedir.format_path(coursedir.autograded_directory, result.student_id, result.assignment))
    notebooks.write(nb, target / f"{result.notebook}.ipynb")
    _place_exchange_files(result, target)
    return None if stand_in else nb


def _place_exchange_files(result, target):
    """timestamp.txt and the student's submission_secret.txt beside the notebook, where nbgrader's own
    autograde puts them: generate_feedback copies them and release_feedback needs both."""
    if result.submitted_at is not None:
        stamp = result.submitted_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        (target / "timestamp.txt").write_text(stamp, encoding="utf-8")
    if result.submission_dir is not None:
        secret = Path(result.submission_dir) / "submission_secret.txt"
        if _is_small_file(secret):
            (target / secret.name).write_bytes(secret.read_bytes())


def _is_small_file(path, limit=4096):
    """A regular file (never a link: the student's folder holds it) of at most ``limit`` bytes."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size <= limit


def _hide_tests(nb):
    """Test cells as students may see them: hidden tests removed, and of their outputs only the verdict.

    ``nbgrader generate_feedback`` turns this notebook into the student's
    feedback, so what a test printed and any traceback (either could quote a
    hidden test) stay out.
    """
    for cell in nb.cells:
        if notebooks.is_test_cell(cell):
            cell.source = visible_source(cell.source)
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "stream"]
            for output in cell.outputs:
                if output.get("output_type") == "error":
                    output["traceback"] = []


def _take_released_metadata(nb, released):
    """Each graded or answer cell gets the released cell's nbgrader metadata; unknown or repeated ones lose it."""
    metadata = {notebooks.nbgrader_meta(c)["grade_id"]: c.metadata["nbgrader"]
                for c in released.cells if notebooks.nbgrader_meta(c).get("grade_id")}
    seen = set()
    for cell in nb.cells:
        grade_id = notebooks.nbgrader_meta(cell).get("grade_id")
        if grade_id in metadata and grade_id not in seen:
            cell.metadata["nbgrader"] = copy.deepcopy(metadata[grade_id])
            seen.add(grade_id)
        else:
            cell.metadata.pop("nbgrader", None)
