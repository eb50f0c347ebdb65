"""Check the course's tests themselves: `python -m autograder validate` with no notebook.

For every assignment it grades, in one batch: the solution (must get full
marks), the untouched release (must get zero), every known wrong answer
from the bank (must lose points on the tests after its cell; the report
names the test that caught it) and every correct alternative (must keep
full marks). It prints one row per answer cell and exits non-zero on any miss.

The bank is a Python package (default: tests/known_answers) with one module
per assignment defining ASSIGNMENT, WRONG and RIGHT lists of answers with
`key`, `grade_id`, `source` and an optional `hint` (text the failure message
must contain), and optionally HANGS (an answer that never finishes).
"""
import importlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import notebooks, sample_class
from .paths import EXERCISES_DIR, REPO_ROOT, SOURCE_DIR, list_assignments, list_notebooks

DEFAULT_BANK = REPO_ROOT / "tests" / "known_answers"


@dataclass
class Check:
    assignment: str
    answer: str          # the answer cell's grade_id ("" for whole-notebook checks)
    case: str            # solution, release, wrong:<key>, right:<key>
    expected: str
    ok: bool
    caught_by: str = ""  # tests that lost points (and the first message)


def load_bank(bank_dir=DEFAULT_BANK):
    """(WRONG, RIGHT, HANGS) dicts keyed by assignment, from the bank package."""
    bank_dir = Path(bank_dir).resolve()
    if not (bank_dir / "__init__.py").exists():
        raise FileNotFoundError(f"{bank_dir} is not a bank of known answers (no __init__.py)")
    sys.path.insert(0, str(bank_dir.parent))
    try:
        module = importlib.import_module(bank_dir.name)
    finally:
        sys.path.remove(str(bank_dir.parent))
    return module.WRONG, module.RIGHT, getattr(module, "HANGS", {})


def build_class(root, assignments, wrong, right, hangs=None):
    """Submissions that prove the tests: solution, release, each known wrong and right answer, a hang."""
    hangs = hangs or {}
    for assignment in assignments:
        for name in list_notebooks(assignment):
            release = EXERCISES_DIR / assignment / f"{name}.ipynb"
            source = notebooks.read(SOURCE_DIR / assignment / f"{name}.ipynb")
            answers = [notebooks.nbgrader_meta(c)["grade_id"] for c in source.cells if notebooks.is_answer_cell(c)]

            def submit(student, replaced=None):
                nb = sample_class.fill_answers(notebooks.read(release), source, answers)
                if replaced is not None:
                    notebooks.cell_by_grade_id(nb, replaced.grade_id).source = replaced.source
                notebooks.write(nb, Path(root) / student / assignment / f"{name}.ipynb")

            submit("solution")
            notebooks.write(notebooks.read(release), Path(root) / "release" / assignment / f"{name}.ipynb")
            for prefix, known in (("wrong", wrong), ("right", right)):
                for answer in known.get(assignment, []):
                    if answer.grade_id in answers:
                        submit(f"{prefix}_{answer.key}", answer)
            if assignment in hangs and hangs[assignment].grade_id in answers:
                submit("hangs", hangs[assignment])


def answer_test_cells(assignment):
    """{answer grade_id: [test grade_ids]} over the assignment's notebooks."""
    mapping = {}
    for name in list_notebooks(assignment):
        mapping.update(notebooks.tests_of_answers(notebooks.read(SOURCE_DIR / assignment / f"{name}.ipynb")))
    return mapping


def evaluate(cells, assignments, wrong, right):
    """[Check] from the grade rows of a class built by build_class."""
    rows = {(c.student_id, c.assignment, c.grade_id): c for c in cells}
    checks = []
    for assignment in assignments:
        mapping = answer_test_cells(assignment)
        all_tests = [t for tests in mapping.values() for t in tests]
        for student, expected in (("solution", "full marks"), ("release", "zero")):
            got = [rows[(student, assignment, t)] for t in all_tests]
            ok = all(r.status == "passed" for r in got) if student == "solution" else all(r.score == 0 for r in got)
            bad = [r.grade_id for r in got if (r.status != "passed") == (student == "solution")]
            checks.append(Check(assignment, "", student, expected, ok, ", ".join(bad)))
        for answer in wrong.get(assignment, []):
            got = [rows[(f"wrong_{answer.key}", assignment, t)] for t in mapping.get(answer.grade_id, [])]
            losing = [r for r in got if r.score < r.max_score]
            ok = bool(losing) and (not answer.hint or any(answer.hint in r.detail for r in losing))
            caught = "; ".join(f"{r.grade_id}: {r.detail[:90]}" for r in losing[:1])
            checks.append(Check(assignment, answer.grade_id, f"wrong:{answer.key}", "loses points", ok, caught))
        for answer in right.get(assignment, []):
            got = [rows[(f"right_{answer.key}", assignment, t)] for t in all_tests]
            failing = [r.grade_id for r in got if r.status != "passed"]
            checks.append(Check(assignment, answer.grade_id, f"right:{answer.key}", "keeps full marks",
                                not failing, ", ".join(failing)))
        for answer_id in mapping:
            if not any(a.grade_id == answer_id for a in wrong.get(assignment, [])):
                checks.append(Check(assignment, answer_id, "wrong:(none)", "a known wrong answer", False,
                                    "the bank has no wrong answer for this cell"))
    return checks


def self_check(assignments=None, bank_dir=DEFAULT_BANK, *, course=None, options=None, log=print):
    """Grade the proof class; return the list of Checks."""
    from .grading import Options, grade
    wrong, right, hangs = load_bank(bank_dir or DEFAULT_BANK)
    assignments = assignments or list_assignments()
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        build_class(Path(tmp) / "class", assignments, wrong, right, hangs)
        options = options or Options(timeout=10, feedback=False)
        cells, _, _ = grade(Path(tmp) / "class", Path(tmp) / "out", assignments=assignments, course=course,
                            log=log, options=options)
    return evaluate(cells, assignments, wrong, right)


def format_checks(checks):
    """Per answer cell: wrong answers caught, alternatives kept, and which test caught each."""
    lines = []
    by_cell = {}
    for check in checks:
        by_cell.setdefault((check.assignment, check.answer), []).append(check)
    a_width = max([len("assignment")] + [len(c.assignment) for c in checks]) + 2
    c_width = max([len("(solution: full marks)")] + [len(c.answer) for c in checks]) + 2
    header = f"{'assignment':<{a_width}}{'answer cell':<{c_width}}{'wrong caught':>13}{'right kept':>12}  caught by"
    lines += [header, "-" * len(header)]
    for (assignment, answer), group in by_cell.items():
        if not answer:
            for c in group:
                lines.append(f"{assignment:<{a_width}}{'(' + c.case + ': ' + c.expected + ')':<{c_width}}"
                             f"{'ok' if c.ok else 'MISS':>13}{'':>12}  {'' if c.ok else c.caught_by}")
            continue
        wrongs = [c for c in group if c.case.startswith("wrong:")]
        rights = [c for c in group if c.case.startswith("right:")]
        caught = f"{sum(c.ok for c in wrongs)}/{len(wrongs)}"
        kept = f"{sum(c.ok for c in rights)}/{len(rights)}" if rights else "-"
        first = next((c.caught_by.split(":")[0] for c in wrongs if c.ok and c.caught_by), "")
        lines.append(f"{assignment:<{a_width}}{answer:<{c_width}}{caught:>13}{kept:>12}  {first}")
    lines += ["", "Each known wrong answer and the test that caught it:"]
    for c in checks:
        if c.case.startswith("wrong:") and c.ok:
            lines.append(f"  {c.assignment[:2]} {c.case[6:]:<40} {c.caught_by}")
    misses = [c for c in checks if not c.ok]
    lines.append("")
    lines.append(f"{len(checks) - len(misses)} of {len(checks)} checks ok" + (":" if misses else "."))
    for c in misses:
        lines.append(f"  MISS {c.assignment} {c.answer or ''} {c.case}: expected {c.expected}; {c.caught_by}")
    return "\n".join(lines)
