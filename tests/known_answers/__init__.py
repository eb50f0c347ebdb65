"""Known answers per assignment, for the grading tests.

Each module here (one per assignment) defines ASSIGNMENT, WRONG (answers
that must lose points on the tests after their cell; `hint` is text the
feedback must contain, so it names the mistake) and RIGHT (correct
alternatives to the solution that must keep full marks).
"""
import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    key: str       # short id, used in test names and student folders
    grade_id: str  # the answer cell it replaces
    source: str    # the whole cell, as a student might write it
    hint: str = ""


def _modules():
    return [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]


WRONG = {m.ASSIGNMENT: m.WRONG for m in _modules()}
RIGHT = {m.ASSIGNMENT: m.RIGHT for m in _modules()}
HANGS = {m.ASSIGNMENT: m.HANGS for m in _modules() if hasattr(m, "HANGS")}
