"""Hostile and broken submissions: each is graded or flagged correctly, and the batch survives.

Every hostile student solved assignment 01 correctly and added one bad cell
(or broke the notebook one way), so what they should score is known. The
batch includes a perfect student who must keep full marks, and the grader
must not leak or touch anything outside the sandbox.
"""
import json
import subprocess
import sys

import nbformat
import pytest

from autograder import notebooks, sample_class
from autograder.paths import COURSE_DIR, EXERCISES_DIR, REPO_ROOT, SOURCE_DIR
from autograder.report import read_csv
from autograder.sandbox import bwrap_path

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not bwrap_path(), reason="bubblewrap is not installed "
                                 "(sudo apt-get install bubblewrap); the sandbox cannot be tested")]

ASSIGNMENT = "01_chain_rule"
TIMEOUT = 4
FIRST_ANSWER = "dh_dx_answer"
FIRST_TESTS = "dh_dx_tests"
CANARY = "autograder-canary.txt"

# student: (code of the extra cell, expected outcome). "full": every test passes.
HOSTILE_CELLS = {
    "infinite_loop": ("while True:\n    pass", "full"),
    "ignores_sigint": ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", "full"),
    "memory_bomb": ("hoard = []\nwhile True:\n    hoard.append(bytearray(200 * 2**20))", "full"),
    "fork_bomb": ("import os\nwhile True:\n    os.fork()", "full"),
    "os_exit": ("import os\nos._exit(3)", "full"),
    "sys_exit": ("import sys\nsys.exit(0)", "full"),
    "huge_print": ("print('x' * 100_000_000)", "full"),
    "reads_source": (f"print(open('../../source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb').read()[:100])\n", "full"),
    "reads_repo_source": (f"print(open({str(SOURCE_DIR / ASSIGNMENT / (ASSIGNMENT + '.ipynb'))!r}).read()[:100])",
                          "full"),
    "writes_gradebook": (f"open({str(COURSE_DIR / 'gradebook.db')!r}, 'w').write('pwned')\n"
                         f"open({str(REPO_ROOT / CANARY)!r}, 'w').write('pwned')", "full"),
    "opens_socket": ("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)", "full"),
}
# A wrong first answer plus a trick that tries to make its tests pass anyway: they must still fail.
WRONG_FIRST_ANSWER = "def dh_dx(x):\n    return 0.0"
TRICKS = {
    "patches_allclose": "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True",
    "patches_testing": ("import numpy as np\n"
                        "for name in dir(np.testing):\n"
                        "    if name.startswith('assert'):\n"
                        "        setattr(np.testing, name, lambda *a, **k: None)"),
    "hides_tracebacks": ("ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
                         "ip._showtraceback = lambda *a, **k: None"),
    "custom_exception_handler": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",
}

# Wrong first answers that return objects whose comparisons and arithmetic lie.
FORGED_ANSWERS = {
    "forged_float": ("class _Always(float):\n"
                     "    __eq__ = lambda self, other: True\n"
                     "    __lt__ = __le__ = __eq__\n"
                     "    __sub__ = __rsub__ = lambda self, other: 0.0\n"
                     "    __abs__ = lambda self: 0.0\n"
                     "    __hash__ = float.__hash__\n\n"
                     "def dh_dx(x):\n    return _Always(0.0)"),
    "forged_array": ("import numpy as np\n"
                     "class _Always(np.ndarray):\n"
                     "    __eq__ = lambda self, other: True\n"
                     "    __sub__ = lambda self, other: np.zeros(self.shape)\n\n"
                     "def dh_dx(x):\n    return np.zeros(np.shape(x)).view(_Always)"),
}


def _perfect(release, source):
    answers = [notebooks.nbgrader_meta(c)["grade_id"] for c in source.cells if notebooks.is_answer_cell(c)]
    return sample_class.fill_answers(notebooks.read(release), source, answers)


def _insert_after(nb, grade_id, source):
    index = next(i for i, c in enumerate(nb.cells) if notebooks.nbgrader_meta(c).get("grade_id") == grade_id)
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    subs = root / "submissions"
    release = EXERCISES_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source = notebooks.read(SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    def save(student, nb=None, raw=None):
        path = subs / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            path.write_bytes(raw)
        else:
            notebooks.write(nb, path)

    save("perfect", _perfect(release, source))
    for student, (code, _) in HOSTILE_CELLS.items():
        nb = _perfect(release, source)
        _insert_after(nb, FIRST_ANSWER, code)
        save(student, nb)
    for student, trick in TRICKS.items():
        nb = _perfect(release, source)
        notebooks.cell_by_grade_id(nb, FIRST_ANSWER).source = WRONG_FIRST_ANSWER
        nb.cells.insert(0, nbformat.v4.new_code_cell(trick))
        save(student, nb)
    for student, answer in FORGED_ANSWERS.items():
        nb = _perfect(release, source)
        notebooks.cell_by_grade_id(nb, FIRST_ANSWER).source = answer
        save(student, nb)
    nb = _perfect(release, source)
    nb.cells = [c for c in nb.cells if notebooks.nbgrader_meta(c).get("grade_id") != FIRST_TESTS]
    save("deletes_test_cell", nb)
    nb = _perfect(release, source)
    notebooks.cell_by_grade_id(nb, FIRST_ANSWER).source = WRONG_FIRST_ANSWER
    notebooks.cell_by_grade_id(nb, FIRST_TESTS).source = "pass"
    save("edits_test_cell", nb)
    nb = _perfect(release, source)
    notebooks.cell_by_grade_id(nb, FIRST_TESTS).metadata["nbgrader"]["points"] = 100
    save("changes_metadata", nb)
    save("wrong_name_perfect", raw=b"")  # replaced below by a correctly filled notebook under another name
    (subs / "wrong_name_perfect" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").unlink()
    notebooks.write(_perfect(release, source), subs / "wrong_name_perfect" / ASSIGNMENT / "Untitled (1).ipynb")
    save("invalid_json", raw=b'{"cells": [ this is not json')
    save("empty_file", raw=b"")

    out = root / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                           "--timeout", str(TIMEOUT), "--notebook-timeout", "120", "--jobs", "2",
                           "--no-feedback"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = read_csv(out / "grades.csv")
    by_student = {}
    for row in cells:
        by_student.setdefault(row["student_id"], {})[row["grade_id"]] = row
    flags = {}
    for row in read_csv(out / "flags.csv"):
        flags.setdefault(row["student_id"], []).append(f"{row['flag']}: {row['detail']}")
    summary = {r["student_id"]: r for r in read_csv(out / "summary.csv")}
    return {"cells": by_student, "flags": flags, "summary": summary, "out": out, "stderr": proc.stderr}


def _scores(hostile_class, student):
    return {g: float(r["score"]) for g, r in hostile_class["cells"][student].items()}


def _full(hostile_class, student):
    rows = hostile_class["cells"][student].values()
    return all(r["status"] == "passed" for r in rows), {r["grade_id"]: r["detail"] for r in rows
                                                       if r["status"] != "passed"}


def test_every_student_appears_in_the_output(hostile_class):
    expected = {"perfect", *HOSTILE_CELLS, *TRICKS, *FORGED_ANSWERS, "deletes_test_cell", "edits_test_cell", "changes_metadata",
                "wrong_name_perfect", "invalid_json", "empty_file"}
    assert set(hostile_class["summary"]) == expected


def test_the_perfect_student_keeps_full_marks(hostile_class):
    passed, failures = _full(hostile_class, "perfect")
    assert passed, failures
    assert "perfect" not in hostile_class["flags"]


@pytest.mark.parametrize("student", sorted(HOSTILE_CELLS))
def test_a_hostile_cell_costs_nothing_else(hostile_class, student):
    passed, failures = _full(hostile_class, student)
    assert passed, f"{student}: {failures}"


@pytest.mark.parametrize("student,flag", [
    ("ignores_sigint", "kernel ignored interrupt"),
    ("os_exit", "kernel died"),
    ("huge_print", "huge output"),
    ("reads_source", "suspicious action: opened ../../source"),
    ("reads_repo_source", f"suspicious action: opened {SOURCE_DIR}"),
    ("writes_gradebook", f"suspicious action: opened {COURSE_DIR / 'gradebook.db'}"),
    ("opens_socket", "suspicious action: socket.connect"),
    ("patches_allclose", "tampering: numpy.allclose replaced"),
    ("patches_testing", "tampering: numpy.testing.assert_allclose replaced"),
    ("hides_tracebacks", "tampering: IPython shell.showtraceback replaced"),
    ("custom_exception_handler", "tampering: IPython shell.custom_exceptions replaced"),
    ("deletes_test_cell", f"deleted test cell: {FIRST_TESTS}"),
    ("edits_test_cell", f"edited test cell: {FIRST_TESTS}"),
    ("changes_metadata", f"changed nbgrader metadata: {FIRST_TESTS}"),
    ("wrong_name_perfect", "wrong file name: graded Untitled (1).ipynb"),
    ("invalid_json", "unreadable notebook"),
    ("empty_file", "unreadable notebook"),
])
def test_what_happened_is_flagged(hostile_class, student, flag):
    flags = hostile_class["flags"].get(student, [])
    assert any(f.startswith(flag) for f in flags), f"{student}: expected a flag starting {flag!r}, got {flags}"


@pytest.mark.parametrize("student", sorted(TRICKS) + sorted(FORGED_ANSWERS) + ["edits_test_cell"])
def test_tricks_do_not_rescue_a_wrong_answer(hostile_class, student):
    scores = _scores(hostile_class, student)
    assert scores[FIRST_TESTS] == 0, f"{student} passed {FIRST_TESTS} with a wrong answer"
    others = {g: s for g, s in scores.items() if g != FIRST_TESTS}
    assert all(s > 0 for s in others.values()), f"{student}: the other exercises should still pass: {others}"


def test_deleted_and_restored_cells_are_graded_normally(hostile_class):
    for student in ("deletes_test_cell", "changes_metadata", "wrong_name_perfect"):
        passed, failures = _full(hostile_class, student)
        assert passed, f"{student}: {failures}"
    rows = hostile_class["cells"]["changes_metadata"]
    assert float(rows[FIRST_TESTS]["max_score"]) < 100, "the submitted points must not count"


def test_unreadable_notebooks_are_listed_not_lost(hostile_class):
    for student in ("invalid_json", "empty_file"):
        assert hostile_class["summary"][student]["status"] == "not_graded"
        assert float(hostile_class["summary"][student]["score"]) == 0


def test_nothing_outside_the_sandbox_was_touched(hostile_class):
    assert not (COURSE_DIR / "gradebook.db").exists()
    assert not (REPO_ROOT / CANARY).exists()


def test_the_source_never_reaches_the_student(hostile_class):
    """The reading cells found nothing: their output is an error, not the notebook's text."""
    for student in ("reads_source", "reads_repo_source"):
        graded = hostile_class["out"] / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = json.loads(graded.read_text(encoding="utf-8"))
        printed = "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
                          for o in c.get("outputs", []))
        assert '"cells"' not in printed and "nbgrader" not in printed
