"""Course copies and a small class for the tests of the instructor's loop (gradebook, deadlines, formgrader).

The class hands in 01_chain_rule, due 2026-09-15 23:59 in Berlin:

    ann    the course's solution; the LMS import recorded it on time
    ben    ann's answers with the variables renamed (a copy); timestamp.txt says 25 hours late
    cat    answers of her own, some left blank; her file is 5 hours late, but she has 48 hours more
    dave   nothing (an empty folder): not submitted, which is not a zero
"""
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta

import nbformat

from autograder import notebooks
from autograder.assemble import released_answer, visible_source
from autograder.paths import COURSE_DIR, REPO_ROOT, SOURCE_DIR
from autograder.sandbox import bwrap_path
from known_answers import RIGHT

ASSIGNMENT = "01_chain_rule"
FREE_TEXT = "chain_rule_in_words"  # a manually graded answer: solution and grade
DUE = datetime.fromisoformat("2026-09-15T23:59:00+02:00")
DEADLINES = f"""
[deadlines]
timezone = "Europe/Berlin"
"{ASSIGNMENT}" = 2026-09-15T23:59:00

[late_policy]
per = "day"
percent = 10
max_percent = 50
"""
EXTENSIONS = f"student_id,assignment,new_due,extra_hours\ncat,{ASSIGNMENT},,48\n"
RENAMES = {"u": "inner", "v": "outer", "t": "squared", "e": "decay", "s": "squashed", "forward": "cache",
           "dk_dv": "slope_outer", "dv_du": "slope_inner"}  # local names only: the tests call by keyword


def copy_course(root, assignments=(ASSIGNMENT,), *, free_text=False, description=DEADLINES):
    """The course's config, its description (with ``description`` for its deadline tables) and the
    assignments' sources in root; with ``free_text``, 01 gains a question graded by hand."""
    root.mkdir(parents=True)
    shutil.copy2(COURSE_DIR / "nbgrader_config.py", root)
    engine_part = (COURSE_DIR / "autograder.toml").read_text(encoding="utf-8").split("\n[deadlines]")[0]
    (root / "autograder.toml").write_text(engine_part + description, encoding="utf-8")
    for assignment in assignments:
        shutil.copytree(SOURCE_DIR / assignment, root / "source" / assignment)
    if free_text:
        path = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = notebooks.read(path)
        nb.cells.insert(2, free_text_cell("The chain rule multiplies the rates along the path."))
        notebooks.write(nb, path)
    return root


def free_text_cell(text):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 2,
                                 "grade_id": FREE_TEXT, "schema_version": 3}
    return cell


def released():
    """01 as students get it, made from the source (so that it matches the source under test)."""
    nb = notebooks.read(SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for cell in nb.cells:
        if notebooks.is_answer_cell(cell):
            cell.source = released_answer(cell.source)
        elif notebooks.is_test_cell(cell):
            cell.source = visible_source(cell.source)
    return nb


def hand_in(folder, student, answers, *, free_text=None):
    """SUBMISSIONS/<student>/01_chain_rule/01_chain_rule.ipynb: the release with these answer cells."""
    nb = released()
    for grade_id, source in answers.items():
        notebooks.cell_by_grade_id(nb, grade_id).source = source
    if free_text is not None:
        nb.cells.insert(2, free_text_cell(free_text))
    path = folder / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebooks.write(nb, path)
    return path


def solution_answers():
    source = notebooks.read(SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return {notebooks.nbgrader_meta(c)["grade_id"]: notebooks.strip_solution_markers(c.source)
            for c in source.cells if notebooks.is_answer_cell(c)}


def renamed(answers):
    def rename(text):
        for old, new in RENAMES.items():
            text = re.sub(rf"\b{old}\b", new, text)
        return text
    return {grade_id: rename(text) for grade_id, text in answers.items()}


def own_answers():
    """One correct alternative from the bank of known answers per cell it covers; the rest left blank."""
    chosen = {}
    for answer in RIGHT[ASSIGNMENT]:
        chosen.setdefault(answer.grade_id, answer.source)
    return chosen


def build_class(folder):
    """The class described in the module docstring, with its import mapping and timestamp.txt."""
    ann = solution_answers()
    hand_in(folder, "ann", ann)
    ben = hand_in(folder, "ben", renamed(ann))
    cat = hand_in(folder, "cat", own_answers())
    (folder / "dave").mkdir()
    late_by = (DUE + timedelta(hours=5)).timestamp()
    os.utime(cat, (late_by, late_by))
    (ben.parent / "timestamp.txt").write_text("2026-09-16 22:59:00.000000 UTC", encoding="utf-8")
    (folder / "import_mapping.csv").write_text(
        "source,student_id,assignment,notebook,destination,status,detail,submitted_at,submitted_at_source\n"
        f"ann.ipynb,ann,{ASSIGNMENT},{ASSIGNMENT},ann/{ASSIGNMENT}/{ASSIGNMENT}.ipynb,imported,plain file name,"
        "2026-09-15T20:00:00,mtime\n", encoding="utf-8")
    return folder


def run_grade(submissions, out, course, *options):
    """`python -m autograder grade` on the class, one notebook at a time (without bubblewrap: unsandboxed)."""
    sandbox = [] if bwrap_path() else ["--no-sandbox"]
    return subprocess.run([sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out),
                           "--course", str(course), "--jobs", "1", "--timeout", "10", *sandbox, *map(str, options)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)


def nbgrader_env():
    """nbgrader runs `alembic` from PATH: this interpreter's bin first."""
    env = dict(os.environ, PATH=str(os.path.dirname(sys.executable)) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("NBGRADER_EXECUTION", None)
    return env


def gradebook(course):
    from nbgrader.api import Gradebook

    from autograder.gradebook import course_directory
    coursedir = course_directory(course_dir=course)
    return Gradebook(coursedir.db_url, course_id=coursedir.course_id)
