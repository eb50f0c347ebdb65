"""Find each student's notebooks in nbgrader's layout: SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb.

Every (student, assignment, notebook) of the course gets a Submission, handed
in or not. A symbolic link, or a path that leads outside the student's own
folder, is never read through: the notebook is refused (not graded, flagged),
because a link could point at the instructor's solutions or a system file.
"""
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

LAYOUT = "SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb"


class SubmissionsError(ValueError):
    """The folder cannot be graded at all; the message says what was expected."""


@dataclass
class Submission:
    student_id: str
    assignment: str
    notebook: str
    path: Path = None                 # None: not submitted (or refused, see `refused`)
    flags: list = field(default_factory=list)
    refused: str = ""                 # why a file that is there is not graded

    @property
    def key(self):
        return f"{self.student_id}/{self.assignment}/{self.notebook}"


def _is_link(path):
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def students(folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionsError(f"{folder} is not a folder of submissions (expected {LAYOUT}; "
                               "for an LMS download use `python -m autograder import`)")
    found = sorted(p.name for p in folder.iterdir() if not p.name.startswith(".") and (p.is_dir() or _is_link(p)))
    if not found:
        raise SubmissionsError(f"{folder} holds no student folders (expected {LAYOUT}; "
                               "for an LMS download use `python -m autograder import`)")
    return found


def assignments_to_grade(folder, student_ids, known, requested=None, log=print):
    """Every assignment of the course someone handed in, and those asked for (unknown names are refused)."""
    requested = list(requested or [])
    check_known(requested, known, "assignment")
    found = set()
    for student in student_ids:
        path = Path(folder) / student
        if path.is_dir() and not _is_link(path):
            found |= {p.name for p in path.iterdir() if p.is_dir() or _is_link(p)}
    for name in sorted(found - set(known)):
        log(f"warning: ignoring folder(s) named {name!r}: not an assignment of this course")
    chosen = [a for a in known if a in found or a in requested]
    if not chosen:
        raise SubmissionsError(f"no submissions for any assignment of the course ({', '.join(known)})")
    return chosen


def check_known(requested, known, what):
    """Refuse names asked for (on the command line) that are not among ``known``."""
    unknown = sorted(set(requested) - set(known))
    if unknown:
        shown = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
        raise SubmissionsError(f"unknown {what}(s) {', '.join(unknown)}; there are {shown}")


def find(folder, student, assignment, notebook):
    """The student's file for this notebook; a lone notebook under another name counts (flagged)."""
    found = Submission(student, assignment, notebook)
    for step in (Path(folder) / student, Path(folder) / student / assignment):
        if _is_link(step):
            return _refuse(found, f"{step.name} is a symbolic link: not followed")
    where = Path(folder) / student / assignment
    if not where.is_dir():
        return found
    expected = where / f"{notebook}.ipynb"
    if _is_link(expected):
        return _refuse(found, f"{expected.name} is a symbolic link: not followed")
    if expected.is_file():
        found.path = expected
        return found
    others = sorted(p for p in where.iterdir() if p.suffix.lower() == ".ipynb" and (p.is_file() or _is_link(p)))
    if len(others) == 1:
        if _is_link(others[0]):
            return _refuse(found, f"{others[0].name} is a symbolic link: not followed")
        found.path = others[0]
        found.flags.append(("wrong file name", f"graded {others[0].name} as {notebook}.ipynb"))
    elif others:
        found.flags.append(("wrong file name", f"no {notebook}.ipynb, and {len(others)} other notebooks "
                                               f"({', '.join(p.name for p in others)}): none graded"))
    return found


def _refuse(found, why):
    found.refused = why
    found.flags.append(("refused file", why))
    return found
