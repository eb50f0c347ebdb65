"""Hostile and broken submissions: each is graded or flagged correctly, and the batch survives.

Every hostile student solved assignment 01 correctly and added one bad cell
(or broke the notebook one way), so what they should score is known. The
batch includes a perfect student who must keep full marks, and the grader
must not leak or touch anything outside the sandbox. The attacks, by class:

- escapes (as root and as an unprivileged user): capabilities, unmounting
  what hides the course, remounting / read-write, a new user namespace,
  writing outside, reading the grader's home;
- leaks: the grader's environment (a secret set for this run), its home;
- floods: the sandbox's /tmp and /dev/shm, display outputs, printing;
- the verdict: input and AST transformers, trace functions, IPython event
  hooks, rebinding or patching the test helpers (also through __code__ and
  bpkit in the student's process), forged return objects, messages forged
  on the grader's pipe, a closed pipe, killing the sandbox's init;
- inputs: links instead of files, malformed nbgrader metadata, file and
  folder names that are not UTF-8 or that start a spreadsheet formula or
  carry terminal escapes.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import notebooks, sample_class
from autograder.paths import COURSE_DIR, EXERCISES_DIR, REPO_ROOT, SOURCE_DIR
from autograder.report import read_csv
from autograder.sandbox import bwrap_path
from processes import left_by_this_test

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
SECRET = "hunter2-grader-secret"       # in the grader's environment: must never reach a notebook
HOME_CANARY = ".autograder-home-canary"  # a file in the grader's real home: the student must not see it
ESCAPES = {
    "capabilities": "print(open('/proc/self/status').read())",
    "unmounts": ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                 f"for path in ({str(REPO_ROOT)!r}, '/tmp', '/root', '/'):\n"
                 "    print(path, libc.umount2(path.encode(), 2), ctypes.get_errno())\n"
                 f"print(os.listdir({str(REPO_ROOT)!r}))"),
    "remounts_root": "import os\nprint(os.system('mount -o remount,rw / 2>&1; touch /autograder-canary 2>&1'))",
    "user_namespace": (f"import os\nprint(os.popen('unshare -Urm sh -c \"umount -l {REPO_ROOT} 2>&1; "
                       f"ls {COURSE_DIR}/source 2>&1\" 2>&1').read())"),
    "writes_venv": ("import os, sys\nfor folder in (sys.prefix, os.path.dirname(os.__file__), '/etc', '/usr/lib'):\n"
                    "    try:\n        open(os.path.join(folder, 'autograder-canary'), 'w')\n"
                    "    except OSError as exc:\n        print(folder, exc)"),
    "reads_env_and_home": ("import os, pwd\nprint(dict(os.environ))\nprint(open('/proc/self/environ').read())\n"
                           "for user in pwd.getpwall():\n"
                           "    try:\n        print(user.pw_dir, os.listdir(user.pw_dir))\n"
                           "    except OSError:\n        pass"),
    "fills_tmp": ("for i in range(10):\n    with open(f'/tmp/flood{i}', 'wb') as f:\n"
                  "        for _ in range(6):\n            f.write(b'0' * 2**24)"),
    "fills_shm": "with open('/dev/shm/flood', 'wb') as f:\n    for _ in range(20):\n        f.write(b'0' * 2**24)",
    "huge_display": "from IPython.display import HTML, display\ndisplay(HTML('x' * 30_000_000))",
    "many_displays": "from IPython.display import HTML, display\nfor i in range(500):\n    display(HTML(f'<b>{i}</b>'))",
    "forges_messages": ("import os, sys\nfd = int(open('/proc/self/cmdline').read().split('\\0')[5])\n"
                        "os.write(fd, b'\\x00\\x00\\x00\\x10{\"op\":\"ran\",\"id\":1}')"),
    "closes_pipes": "import os\nfor fd in range(3, 8):\n    try:\n        os.close(fd)\n    except OSError:\n        pass",
    "kills_init": "import os, signal\nos.kill(1, signal.SIGKILL)",
    # the grader's next message finds no reader: this cell is the culprit, not the test after it
    "closes_request_pipe": "import os, sys\nos.close(int(sys.argv[1]))",
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
    "input_transformer": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    "ast_transformer": ("import ast\nclass Nothing(ast.NodeTransformer):\n"
                        "    def visit_Module(self, node):\n        return ast.Module(body=[], type_ignores=[])\n"
                        "get_ipython().ast_transformers.append(Nothing())"),
    "trace_function": "import sys\nsys.settrace(lambda frame, event, arg: None)",
    "event_hook": ("def _quiet(*args):\n    globals()['assert_close'] = lambda *a, **k: None\n"
                   "get_ipython().events.register('pre_run_cell', _quiet)"),
    "rebinds_helper": "assert_close = lambda *args, **kwargs: None",
    "swaps_code": "assert_close.__code__ = (lambda *args, **kwargs: None).__code__",
    "patches_bpkit": ("import bpkit.checks\nbpkit.checks.assert_close = lambda *args, **kwargs: None\n"
                      "bpkit.checks._value_problem = lambda *args, **kwargs: None"),
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
    for student, code in ESCAPES.items():
        nb = _perfect(release, source)
        _insert_after(nb, FIRST_ANSWER, code)
        save(student, nb)
    release_with_hook = notebooks.read(release)
    release_with_hook.cells.insert(0, nbformat.v4.new_code_cell(TRICKS["input_transformer"]))
    save("release_with_transformer", release_with_hook)
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
    nb = _perfect(release, source)
    notebooks.cell_by_grade_id(nb, FIRST_TESTS).metadata["nbgrader"] = "not a dict"
    nb.cells[3].metadata["nbgrader"] = None
    save("malformed_metadata", nb)
    for student, target in (("links_to_source", SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                            ("links_to_system_file", Path("/etc/passwd"))):
        path = subs / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
    (subs / "links_folder").symlink_to(subs / "perfect")
    notebooks.write(_perfect(release, source), Path(os.fsdecode(bytes(subs) + b"/caf\xe9-latin1")) / ASSIGNMENT
                    / f"{ASSIGNMENT}.ipynb")
    notebooks.write(_perfect(release, source), subs / "=HYPERLINK(1)" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    notebooks.write(_perfect(release, source), subs / "esc\x1b[31mred" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    out = root / "out"
    canary = Path.home() / HOME_CANARY
    canary.write_text("private")
    gradebook = COURSE_DIR / "gradebook.db"
    gradebook_before = gradebook.read_bytes() if gradebook.exists() else None
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                           "--timeout", str(TIMEOUT), "--notebook-timeout", "120", "--jobs", "2",
                           "--no-similarity"],          # copies of one solution: similarity has its own tests
                          cwd=REPO_ROOT, capture_output=True, env=dict(os.environ, GRADER_SECRET=SECRET),
                          timeout=1500, text=True)
    canary.unlink()
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = read_csv(out / "grades.csv")
    by_student = {}
    for row in cells:
        by_student.setdefault(row["student_id"], {})[row["grade_id"]] = row
    flags = {}
    for row in read_csv(out / "flags.csv"):
        flags.setdefault(row["student_id"], []).append(f"{row['flag']}: {row['detail']}")
    summary = {r["student_id"]: r for r in read_csv(out / "summary.csv")}
    return {"cells": by_student, "flags": flags, "summary": summary, "out": out, "stderr": proc.stderr,
            "stdout": proc.stdout, "gradebook_before": gradebook_before}


def _scores(hostile_class, student):
    return {g: float(r["score"]) for g, r in hostile_class["cells"][student].items()}


def _full(hostile_class, student):
    rows = hostile_class["cells"][student].values()
    return all(r["status"] == "passed" for r in rows), {r["grade_id"]: r["detail"] for r in rows
                                                       if r["status"] != "passed"}


def test_every_student_appears_in_the_output(hostile_class):
    expected = {"perfect", *HOSTILE_CELLS, *ESCAPES, *TRICKS, *FORGED_ANSWERS, "deletes_test_cell", "edits_test_cell",
                "changes_metadata", "wrong_name_perfect", "invalid_json", "empty_file", "release_with_transformer",
                "malformed_metadata", "links_to_source", "links_to_system_file", "links_folder", "caf\\xe9-latin1",
                "'=HYPERLINK(1)", "esc\\x1b[31mred"}
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
    ("input_transformer", "tampering: IPython input transformer registered"),
    ("ast_transformer", "tampering: IPython AST transformer registered"),
    ("trace_function", "tampering: a trace or profile function was set"),
    ("event_hook", "tampering: IPython 'pre_run_cell' callback registered"),
    ("patches_bpkit", "tampering: bpkit.checks.assert_close replaced"),
    ("huge_display", "huge output"),
    ("many_displays", "huge output"),
    ("closes_pipes", "kernel died"),
    ("closes_request_pipe", "kernel died"),
    ("links_to_source", "refused file"),
    ("links_to_system_file", "refused file"),
    ("links_folder", "refused file"),
    ("malformed_metadata", "malformed cell"),
    ("deletes_test_cell", f"deleted test cell: {FIRST_TESTS}"),
    ("edits_test_cell", f"edited test cell: {FIRST_TESTS}"),
    ("changes_metadata", f"changed nbgrader metadata: {FIRST_TESTS}"),
    ("wrong_name_perfect", "wrong file name: graded Untitled (1).ipynb"),
    ("invalid_json", "unreadable notebook"),
    ("empty_file", "unreadable notebook"),
])
def test_what_happened_is_flagged(hostile_class, student, flag):
    if str(REPO_ROOT) in flag and REPO_ROOT.is_relative_to("/tmp"):
        pytest.skip("the repository is under /tmp, the student's own folder in the sandbox: the path is not "
                    "there to open (test_the_source_never_reaches_the_student still holds), and opens in "
                    "one's own folder are not flagged")
    flags = hostile_class["flags"].get(student, [])
    assert any(f.startswith(flag) for f in flags), f"{student}: expected a flag starting {flag!r}, got {flags}"


# These tricks also swallow the student's own later cells: only their own answers suffer.
SELF_DEFEATING = {"input_transformer", "ast_transformer"}


@pytest.mark.parametrize("student", sorted(TRICKS) + sorted(FORGED_ANSWERS) + ["edits_test_cell"])
def test_tricks_do_not_rescue_a_wrong_answer(hostile_class, student):
    scores = _scores(hostile_class, student)
    assert scores[FIRST_TESTS] == 0, f"{student} passed {FIRST_TESTS} with a wrong answer"
    others = {g: s for g, s in scores.items() if g != FIRST_TESTS}
    if student not in SELF_DEFEATING:
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
    gradebook = COURSE_DIR / "gradebook.db"      # `make grade` may have made a real one: it must be unchanged
    assert (gradebook.read_bytes() if gradebook.exists() else None) == hostile_class["gradebook_before"]
    assert not (REPO_ROOT / CANARY).exists()


def test_the_source_never_reaches_the_student(hostile_class):
    """The reading cells found nothing: their output is an error, not the notebook's text."""
    for student in ("reads_source", "reads_repo_source"):
        graded = hostile_class["out"] / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = json.loads(graded.read_text(encoding="utf-8"))
        printed = "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
                          for o in c.get("outputs", []))
        assert '"cells"' not in printed and "nbgrader" not in printed


# ---------------------------------------------------------------- escapes, leaks, floods, inputs

def _printed(hostile_class, student):
    """Everything the student's cells printed, from the executed notebook."""
    graded = hostile_class["out"] / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(graded.read_text(encoding="utf-8"))
    return "".join("".join(o.get("text", "")) + json.dumps(o.get("data", {})) + str(o.get("evalue", ""))
                   for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []))


def _every_output_file(hostile_class, instructor_only=True):
    """The text of the outputs: all of them, or only what students may see (CSV rows, feedback pages)."""
    suffixes = (".csv", ".html", ".ipynb", ".json") if instructor_only else (".html",)
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in hostile_class["out"].rglob("*")
                     if p.is_file() and p.suffix in suffixes)


@pytest.mark.parametrize("student", sorted(ESCAPES))
def test_an_escape_attempt_costs_nothing_else(hostile_class, student):
    passed, failures = _full(hostile_class, student)
    assert passed, f"{student}: {failures}"


def test_the_student_process_has_no_capability_and_no_way_out(hostile_class):
    status = _printed(hostile_class, "capabilities")
    assert "CapEff:\t0000000000000000" in status and "CapBnd:\t0000000000000000" in status
    assert "NoNewPrivs:\t1" in status
    unmounted = _printed(hostile_class, "unmounts")
    assert "'course'" not in unmounted and "'tests'" not in unmounted, unmounted[-500:]
    assert "01_chain_rule.ipynb" not in _printed(hostile_class, "user_namespace")
    assert not Path("/autograder-canary").exists()
    for folder in (sys.prefix, os.path.dirname(os.__file__), "/etc", "/usr/lib"):
        assert not Path(folder, "autograder-canary").exists()


def test_the_graders_environment_and_home_stay_hidden(hostile_class):
    printed = _printed(hostile_class, "reads_env_and_home")
    assert "NBGRADER_EXECUTION" in printed, "the student's own environment was printed"
    assert SECRET not in _every_output_file(hostile_class)
    assert HOME_CANARY not in printed


def test_floods_are_bounded_and_reported(hostile_class):
    assert "No space left on device" in _printed(hostile_class, "fills_tmp")
    assert "No space left on device" in _printed(hostile_class, "fills_shm")
    assert len(_printed(hostile_class, "huge_display")) < 3_000_000
    assert _printed(hostile_class, "many_displays").count("<b>") <= 60


def test_an_untouched_release_with_a_hook_scores_zero(hostile_class):
    assert all(float(r["score"]) == 0 for r in hostile_class["cells"]["release_with_transformer"].values())


def test_links_are_never_read_through(hostile_class):
    for student in ("links_to_source", "links_to_system_file", "links_folder"):
        assert hostile_class["summary"][student]["status"] == "not_graded"
    assert "root:x:0:0" not in _every_output_file(hostile_class)
    assert "BEGIN HIDDEN TESTS" not in _every_output_file(hostile_class, instructor_only=False)


def test_malformed_metadata_is_repaired_and_graded(hostile_class):
    assert hostile_class["summary"]["malformed_metadata"]["status"] == "graded"


def test_odd_names_are_graded_and_written_escaped(hostile_class):
    for student in ("caf\\xe9-latin1", "'=HYPERLINK(1)", "esc\\x1b[31mred"):
        assert hostile_class["summary"][student]["status"] == "graded"
        assert float(hostile_class["summary"][student]["score"]) == float(hostile_class["summary"][student]["max_score"])
    assert "\x1b" not in hostile_class["stdout"] and "\x1b" not in (hostile_class["out"] / "grades.csv").read_text()
    feedback = list((hostile_class["out"] / "feedback").glob("*/01_chain_rule/01_chain_rule.html"))
    assert len(feedback) >= len(hostile_class["summary"]) - 6


def test_no_process_of_the_run_is_left(hostile_class):
    assert left_by_this_test() == []
