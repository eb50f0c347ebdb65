"""Check the course's tests themselves: `python -m autograder validate` with no notebook.

For every notebook of the course, in the sandbox and through the judge (see
bank_run.py), it proves:
    the solution gets full marks, and the untouched release gets zero;
    each known wrong answer loses points in the test cells of its own answer
    cell (caught), in no other test cell (isolated), with a message that
    contains its hint, the mistake named (named);
    each correct alternative keeps full marks everywhere (kept);
    an answer that never finishes costs only its own tests.
It prints one row per answer cell and exits non-zero on any miss.

The bank is a Python package (the course's, from autograder.toml) with one
module per assignment defining ASSIGNMENT, WRONG and RIGHT lists of answers
with `key`, `grade_id`, `source` and `hint` (text the failure message must
contain), and optionally HANGS (an answer that never finishes).
"""
import base64
import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from . import jobs, notebooks
from .paths import REPO_ROOT

DEFAULT_BANK = REPO_ROOT / "tests" / "known_answers"
ANSWERS_PER_JOB = 45          # a notebook's bank is split into jobs of this many answers, run side by side


@dataclass
class Check:
    assignment: str
    answer: str          # the answer cell's grade_id ("" for whole-notebook checks)
    case: str            # solution, release, wrong:<key>, right:<key>, hangs:<key>
    expected: str
    ok: bool
    caught_by: str = ""  # the test that lost points and its message, or what went wrong
    isolated: bool = True
    named: bool = True


def load_bank(bank_dir=DEFAULT_BANK):
    """(WRONG, RIGHT, HANGS) dicts keyed by assignment, from the bank package."""
    bank_dir = Path(bank_dir).resolve()
    if not (bank_dir / "__init__.py").exists():
        raise FileNotFoundError(f"{bank_dir} is not a bank of known answers (no __init__.py)")
    sys.path.insert(0, str(bank_dir.parent))
    try:
        for name in [m for m in sys.modules if m == bank_dir.name or m.startswith(bank_dir.name + ".")]:
            del sys.modules[name]
        module = importlib.import_module(bank_dir.name)
    finally:
        sys.path.remove(str(bank_dir.parent))
    return module.WRONG, module.RIGHT, getattr(module, "HANGS", {})


def bank_jobs(course, assignment, wrong, right, hangs, options, settings):
    """(label, job) pairs proving one assignment's bank, a notebook's answers split into chunks."""
    info = jobs.Assignment.read(course, assignment)
    pending = []
    for notebook, source in info.sources.items():
        answer_ids = {notebooks.nbgrader_meta(c)["grade_id"] for c in source.cells if notebooks.is_answer_cell(c)}
        answers = [{"key": f"{kind}:{a.key}", "grade_id": a.grade_id, "source": a.source}
                   for kind, known in (("wrong", wrong), ("right", right))
                   for a in known.get(assignment, []) if a.grade_id in answer_ids]
        if assignment in hangs and hangs[assignment].grade_id in answer_ids:
            answers.append({"key": f"hangs:{hangs[assignment].key}", "grade_id": hangs[assignment].grade_id,
                            "source": hangs[assignment].source})
        chunks = [answers[i:i + ANSWERS_PER_JOB] for i in range(0, len(answers), ANSWERS_PER_JOB)] or [[]]
        for number, chunk in enumerate(chunks):
            job = {"key": "", "kind": "bank", "notebook": source, "result": "", "answers": chunk,
                   "student_names": info.student_names[notebook],
                   "files": {n: base64.b64encode(b).decode() for n, b in info.files.items()},
                   "cell_timeout": options.timeout, "notebook_timeout": 3600, **settings}
            pending.append(((assignment, notebook, number), job))
    return pending


def self_check(assignments=None, bank_dir=None, *, course, options, log=print):
    """Prove the bank for the assignments (default: all); return the list of Checks."""
    import tempfile
    from .executor import LocalExecutor
    from .grading import GradingError, check_sandbox, preflight, with_hidden_paths
    wrong, right, hangs = load_bank(bank_dir or course.bank or DEFAULT_BANK)
    assignments = assignments or course.assignments()
    check_sandbox(options, log)
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as scratch:
        settings = jobs.sandbox_settings(course, with_hidden_paths(options, course, Path(scratch), Path(scratch)),
                                         jobs.font_cache())
        preflight(settings)
        pending = [item for a in assignments for item in bank_jobs(course, a, wrong, right, hangs, options, settings)]
        found = {}
        LocalExecutor(options.jobs or os.cpu_count() or 1).run([(label, job, 7200) for label, job in pending],
                                             lambda label, result: found.__setitem__(label, result))
    merged = {}
    for (assignment, notebook, _), result in found.items():
        if result.get("solution") is None:
            raise GradingError(f"the self-check of {assignment} could not run: {result.get('why')}")
        entry = merged.setdefault(assignment, {"solution": {}, "release": {}, "answers": {}})
        for part in ("solution", "release", "answers"):
            entry[part].update(result[part])
    return [check for assignment in assignments
            for check in evaluate(course, assignment, merged[assignment], wrong, right, hangs)]


def evaluate(course, assignment, proof, wrong, right, hangs):
    """[Check] from the proof of one assignment (see bank_run.prove)."""
    own = answer_test_cells(course, assignment)
    all_tests = [t for tests in own.values() for t in tests]
    checks = [_whole(assignment, "solution", "full marks", proof["solution"], all_tests),
              _whole(assignment, "release", "zero", proof["release"], all_tests)]
    for kind, known in (("wrong", wrong.get(assignment, [])), ("right", right.get(assignment, [])),
                        ("hangs", [hangs[assignment]] if assignment in hangs else [])):
        for answer in known:
            tried = proof["answers"].get(f"{kind}:{answer.key}", {})
            # Tests before the answer's cell ran only with the solution: the answer cannot change them.
            outcomes = {**proof["solution"], **tried} if tried else {}
            checks.append(_judge_answer(assignment, kind, answer, outcomes, own.get(answer.grade_id, []), all_tests,
                                        proof["solution"]))
    for answer_id in own:
        if not any(a.grade_id == answer_id for a in wrong.get(assignment, [])):
            checks.append(Check(assignment, answer_id, "wrong:(none)", "a known wrong answer", False,
                                "the bank has no wrong answer for this cell"))
    return checks


def answer_test_cells(course, assignment):
    """{answer grade_id: [test grade_ids]} over the assignment's notebooks."""
    mapping = {}
    for name in course.notebooks(assignment):
        mapping.update(notebooks.tests_of_answers(notebooks.read(course.source_dir / assignment / f"{name}.ipynb")))
    return mapping


def _lost(outcome):
    return outcome is None or float(outcome["score"]) < float(outcome["points"])


def _whole(assignment, case, expected, outcomes, tests):
    if case == "solution":
        bad = [t for t in tests if _lost(outcomes.get(t))]
    else:
        bad = [t for t in tests if outcomes.get(t) is None or float(outcomes[t]["score"]) > 0]
    detail = "; ".join(f"{t}: {(outcomes.get(t) or {}).get('detail', 'did not run')[:120]}" for t in bad[:3])
    return Check(assignment, "", case, expected, not bad, detail)


def _judge_answer(assignment, kind, answer, outcomes, own_tests, all_tests, solution):
    case = f"{kind}:{answer.key}"
    if not outcomes:
        return Check(assignment, answer.grade_id, case, "a result", False, "the answer was not tried")
    others = [t for t in all_tests if t not in own_tests and not _lost(solution.get(t)) and _lost(outcomes.get(t))]
    if kind == "right":
        failing = [t for t in all_tests if _lost(outcomes.get(t))]
        return Check(assignment, answer.grade_id, case, "keeps full marks", not failing,
                     "; ".join(f"{t}: {(outcomes.get(t) or {}).get('detail', '')[:120]}" for t in failing[:2]))
    losing = [t for t in own_tests if _lost(outcomes.get(t))]
    named = bool(answer.hint) and any(answer.hint in (outcomes.get(t) or {}).get("detail", "") for t in losing)
    caught = "; ".join(f"{t}: {(outcomes.get(t) or {}).get('detail', 'did not run')[:150]}" for t in losing[:1])
    if others:
        caught += " | also lost points: " + ", ".join(others)
    expected = "loses points in its own tests only" + (", named" if kind == "wrong" else "")
    ok = bool(losing) and not others and (named or kind == "hangs")
    return Check(assignment, answer.grade_id, case, expected, ok, caught, isolated=not others,
                 named=named or kind == "hangs")


def format_checks(checks):
    """Per answer cell: wrong answers caught, isolated and named, alternatives kept; then every miss."""
    lines = []
    by_cell = {}
    for check in checks:
        by_cell.setdefault((check.assignment, check.answer), []).append(check)
    a_width = max([len("assignment")] + [len(c.assignment) for c in checks]) + 2
    c_width = max([len("(solution: full marks)")] + [len(c.answer) for c in checks]) + 2
    header = (f"{'assignment':<{a_width}}{'answer cell':<{c_width}}{'caught':>8}{'isolated':>10}{'named':>8}"
              f"{'kept':>7}  caught by")
    lines += [header, "-" * len(header)]
    for (assignment, answer), group in by_cell.items():
        if not answer:
            for c in group:
                lines.append(f"{assignment:<{a_width}}{'(' + c.case + ': ' + c.expected + ')':<{c_width}}"
                             f"{'ok' if c.ok else 'MISS':>8}")
            continue
        wrongs = [c for c in group if c.case.startswith("wrong:") and c.case != "wrong:(none)"]
        rights = [c for c in group if c.case.startswith("right:")]
        count = lambda items, attr: f"{sum(getattr(c, attr) for c in items)}/{len(items)}"  # noqa: E731
        caught = f"{sum(bool(c.caught_by) and not c.caught_by.startswith(' |') for c in wrongs)}/{len(wrongs)}"
        kept = count(rights, "ok") if rights else "-"
        first = next((c.caught_by.split(":")[0] for c in wrongs if c.caught_by and not c.caught_by.startswith(" |")),
                     "")
        lines.append(f"{assignment:<{a_width}}{answer:<{c_width}}{caught:>8}{count(wrongs, 'isolated'):>10}"
                     f"{count(wrongs, 'named'):>8}{kept:>7}  {first}")
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
