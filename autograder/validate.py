"""Validate one notebook through the same engine as `grade`: the sandbox and the judge.

`python -m autograder validate NOTEBOOK` finds the assignment the notebook
belongs to (by its file name, else by its graded cells), grades it alone as
a class of one, and returns each test cell's verdict with its full message,
so that the answer is exactly what grading the class would give.
"""
import re
import shutil
import tempfile
from pathlib import Path

from . import notebooks
from .grading import GradingError, Options, grade

ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def which_notebook(path, course):
    """(assignment, notebook) of the course that the file is a copy of."""
    stem = Path(path).stem
    candidates = [(a, n) for a in course.assignments() for n in course.notebooks(a)]
    named = [c for c in candidates if c[1] == stem]
    if len(named) == 1:
        return named[0]
    try:
        submitted, _ = notebooks.read_submission(path)
    except Exception as exc:
        raise GradingError(f"{path} cannot be read as a notebook: {exc}") from None
    ids = {notebooks.nbgrader_meta(c).get("grade_id") for c in submitted.cells} - {None}
    best, overlap = None, 0
    for assignment, notebook in candidates:
        source = notebooks.read(course.source_dir / assignment / f"{notebook}.ipynb")
        shared = len(ids & {notebooks.nbgrader_meta(c).get("grade_id") for c in source.cells})
        if shared > overlap:
            best, overlap = (assignment, notebook), shared
    if best is None:
        raise GradingError(f"{path} is not a notebook of this course (no matching name or graded cells)")
    return best


def validate(path, *, course, options=None, log=lambda message: None):
    """The CellGrade rows of this one notebook, graded as `grade` would."""
    path = Path(path)
    if not path.is_file():
        raise GradingError(f"{path} does not exist")
    assignment, notebook = which_notebook(path, course)
    options = options or Options(feedback=False, fresh=True)
    with tempfile.TemporaryDirectory(prefix="autograder-validate-") as scratch:
        target = Path(scratch) / "submitted" / "you" / assignment / f"{notebook}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)
        cells, _, flags = grade(Path(scratch) / "submitted", Path(scratch) / "out", assignments=[assignment],
                                course=course, options=options, log=log)
    return cells, flags


def plain_message(text):
    """A failure message for a terminal: no colour codes."""
    return ANSI_ESCAPES.sub("", text)
