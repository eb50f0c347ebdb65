"""The grader's parts that need no kernel: assembling, feedback, item analysis, progress, sandbox options."""
import io
from pathlib import Path
import sys

import nbformat
import pytest

from autograder import notebooks
from autograder.assemble import assemble, released_answer, visible_source
from autograder.feedback import render
from autograder.results import CellGrade, Flag
from autograder.paths import EXERCISES_DIR, REPO_ROOT, SOURCE_DIR
from autograder.progress import Progress
from autograder.report import item_analysis, write_item_analysis
from autograder.sandbox import Layout, SandboxConfig, bwrap_arguments

ASSIGNMENT = "01_chain_rule"
TEST_SOURCE = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS\n"


def _cell(source, grade_id=None, solution=False, grade=False, points=0, cell_type="code"):
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade": grade, "grade_id": grade_id, "locked": not solution,
                                     "points": points, "schema_version": 3, "solution": solution}
    return cell


def _source_nb():
    return nbformat.v4.new_notebook(cells=[
        _cell("# Title", "intro", cell_type="markdown"),
        _cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "f_answer", solution=True),
        _cell(TEST_SOURCE, "f_tests", grade=True, points=2),
    ])


def _student_nb(answer="def f(x):\n    return 2 * x", test=None):
    test = visible_source(TEST_SOURCE) if test is None else test
    return nbformat.v4.new_notebook(cells=[
        _cell("# Title", "intro", cell_type="markdown"),
        _cell(answer, "f_answer", solution=True),
        _cell(test, "f_tests", grade=True, points=2),
    ])


def test_visible_source_drops_the_hidden_block_only():
    assert visible_source(TEST_SOURCE) == "assert f(1) == 2\n"


def test_released_answer_keeps_the_signature():
    assert released_answer(_source_nb().cells[1].source) == \
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def test_an_honest_submission_needs_no_repair_and_gets_the_hidden_tests():
    nb, flags = assemble(_source_nb(), _student_nb())
    assert flags == []
    assert nb.cells[2].source == TEST_SOURCE
    assert nb.cells[1].source == "def f(x):\n    return 2 * x"


def test_an_edited_test_cell_is_restored_and_flagged():
    nb, flags = assemble(_source_nb(), _student_nb(test="pass"))
    assert nb.cells[2].source == TEST_SOURCE
    assert flags == [("edited test cell", "f_tests: restored from the source")]


def test_a_deleted_test_cell_is_re_added_and_flagged():
    student = _student_nb()
    del student.cells[2]
    nb, flags = assemble(_source_nb(), student)
    assert [notebooks.nbgrader_meta(c).get("grade_id") for c in nb.cells] == ["intro", "f_answer", "f_tests"]
    assert flags == [("deleted test cell", "f_tests: re-added from the source")]


def test_a_missing_answer_cell_is_graded_as_released():
    student = _student_nb()
    del student.cells[1]
    nb, flags = assemble(_source_nb(), student)
    assert "raise NotImplementedError()" in nb.cells[1].source
    assert flags[0][0] == "missing answer cell"


def test_changed_points_do_not_count():
    student = _student_nb()
    student.cells[2].metadata["nbgrader"]["points"] = 100
    nb, flags = assemble(_source_nb(), student)
    assert notebooks.nbgrader_meta(nb.cells[2])["points"] == 2
    assert ("changed nbgrader metadata", "f_tests: restored from the source") in flags


def test_the_students_own_cells_stay_where_they_were():
    student = _student_nb()
    student.cells.insert(2, _cell("scratch = 1"))
    student.cells.append(_cell("notes", cell_type="markdown"))
    nb, flags = assemble(_source_nb(), student)
    assert [c.source for c in nb.cells][2:] == ["scratch = 1", TEST_SOURCE, "notes"]
    assert flags == []


def test_unknown_and_duplicated_grade_ids_become_plain_cells():
    student = _student_nb()
    student.cells.append(_cell("x = 1", "made_up"))
    student.cells.append(_cell("def f(x):\n    return 0", "f_answer", solution=True))
    nb, flags = assemble(_source_nb(), student)
    assert [f[0] for f in flags] == ["unknown cell", "duplicated cell"]
    assert nb.cells[1].source == "def f(x):\n    return 2 * x", "the first copy of an answer counts"
    assert "nbgrader" not in nb.cells[-1].metadata


def test_a_written_answer_stays_a_valid_markdown_cell():
    source, student = _source_nb(), _student_nb()
    source.cells.append(_cell("### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "why", solution=True,
                              cell_type="markdown"))
    student.cells.append(_cell("My reason.", "why", solution=True, cell_type="markdown"))
    nb, flags = assemble(source, student)
    assert flags == [] and nb.cells[-1].source == "My reason."
    assert "outputs" not in nb.cells[-1]
    nbformat.validate(nb)


def test_a_malformed_cell_is_flagged_not_fatal():
    student = _student_nb()
    student.cells[1].metadata["nbgrader"] = "f_answer"
    nb, flags = assemble(_source_nb(), student)
    assert flags[0] == ("malformed cell", "cell 2: nbgrader metadata is a string, not a dict; graded as a plain cell")
    assert flags[1][0] == "missing answer cell"
    assert student.cells[1].metadata["nbgrader"] == "f_answer", "the submission is not modified"


def test_the_real_release_assembles_without_flags():
    release = notebooks.read(EXERCISES_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    _, flags = assemble(notebooks.read(SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), release)
    assert flags == []


def _rows():
    return [CellGrade("ann", "01", "01", "f_tests", 0.0, 2.0, "failed",
                      "AssertionError: `f(1)` is wrong: expected 2, got 3"),
            CellGrade("ann", "01", "01", "g_tests", 3.0, 3.0, "passed", "")]


def test_feedback_shows_messages_and_visible_tests_but_never_hidden_tests():
    nb = _source_nb()
    nb.cells[2].outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="expected 2, got 3",
                                                  traceback=["SECRET TRACEBACK assert f(5) == 10"])]
    page = render("ann", "01", "01", _rows(), [Flag("ann", "01", "01", "edited test cell", "f_tests")], nb)
    assert "assert f(1) == 2" in page
    assert "f(5)" not in page and "SECRET" not in page and "HIDDEN" not in page
    assert "expected 2, got 3" in page
    assert "3 / 5" in page
    assert "edited test cell" in page


def test_item_analysis_counts_only_students_who_submitted(tmp_path):
    cells = [CellGrade(s, "01", "01", "f_tests", score, 2.0, status, "") for s, score, status in
             [("a", 2.0, "passed"), ("b", 0.0, "failed"), ("c", 2.0, "passed"), ("d", 0.0, "not_submitted"),
              ("e", 0.0, "not_graded")]]
    [row] = item_analysis(cells)
    assert (row["submitted"], row["passed"], row["share_passed"], row["mean_score"]) == (3, 2, 0.667, 1.333)
    write_item_analysis(cells, tmp_path)
    import xml.etree.ElementTree as ET
    svg = ET.parse(tmp_path / "item_analysis.svg").getroot()
    [bar] = svg.findall("{http://www.w3.org/2000/svg}rect")
    assert float(bar.get("width")) == pytest.approx(0.667 * 480, abs=0.1) and bar.get("fill") == "#e67e22"
    assert "f_tests: 67% passed" in ET.tostring(svg, encoding="unicode")
    assert "f_tests" in (tmp_path / "item_analysis.csv").read_text()


def test_progress_prints_counts_and_time_left():
    lines = []
    progress = Progress(4, log=lines.append, stream=io.StringIO())
    for _ in range(4):
        progress.step()
    assert lines[0].startswith("[#######.....................] 1/4 notebooks")
    assert "ETA" in lines[0] and "ETA" not in lines[-1]
    assert "4/4 notebooks" in lines[-1]


def _mounts(args, option):
    return [args[i + 1] for i, a in enumerate(args) if a == option]


def test_the_sandbox_hides_the_course_tmp_and_homes_but_shows_python(tmp_path):
    args = bwrap_arguments(SandboxConfig(readable=[sys.prefix], hidden=[str(tmp_path)]), REPO_ROOT, Layout("/tmp"))
    tmpfs = _mounts(args, "--tmpfs")
    repo_cover = "/tmp" if REPO_ROOT.is_relative_to("/tmp") else str(REPO_ROOT)   # a clone in mktemp -d
    assert {repo_cover, "/tmp", str(Path.home()), "/run"} <= set(tmpfs)
    assert str(tmp_path) not in tmpfs, "a folder inside /tmp is hidden with /tmp"
    if not Path(sys.prefix).is_relative_to(REPO_ROOT) and not Path(sys.prefix).is_relative_to(Path.home()):
        return
    assert sys.prefix in _mounts(args, "--ro-bind"), "the virtual environment stays readable"
    order = [args[i + 1] for i, a in enumerate(args) if a in ("--tmpfs", "--ro-bind")]
    assert order.index(repo_cover) < order.index(sys.prefix), "hide the parent before showing the child"


def test_a_repository_under_tmp_keeps_its_python_readable(tmp_path):
    """A clone in /tmp (mktemp -d): the process's own /tmp is mounted first, then its Python shows through."""
    repo, venv = tmp_path / "clone", tmp_path / "clone" / ".venv"
    venv.mkdir(parents=True)
    args = bwrap_arguments(SandboxConfig(readable=[str(venv)]), repo, Layout("/tmp"))
    mounts = [(a, args[i + 1]) for i, a in enumerate(args) if a in ("--tmpfs", "--ro-bind")]
    assert ("--ro-bind", str(venv)) in mounts
    assert mounts.index(("--tmpfs", "/tmp")) < mounts.index(("--ro-bind", str(venv)))
    assert ("--tmpfs", str(repo)) not in mounts, "the repository is hidden with /tmp, its Python shown again"


def test_the_sandbox_has_no_writable_bind_and_a_clean_environment(tmp_path):
    args = bwrap_arguments(SandboxConfig(readable=[sys.prefix]), REPO_ROOT, Layout("/tmp"))
    assert "--bind" not in args and "--dev-bind" not in args, "nothing of the host is writable inside"
    assert "--clearenv" in args and "--die-with-parent" in args and "--unshare-net" in args
    sizes = [args[i + 1] for i, a in enumerate(args) if a == "--size"]
    assert len(sizes) == len(_mounts(args, "--tmpfs")), "every tmpfs has a size"


@pytest.mark.parametrize("bad", ["/", ""])
def test_the_sandbox_never_hides_the_root(tmp_path, bad):
    args = bwrap_arguments(SandboxConfig(hidden=[bad] if bad else []), REPO_ROOT, Layout("/tmp"))
    assert "/" not in _mounts(args, "--tmpfs")


def test_the_self_check_table_keeps_long_names_apart():
    from autograder.selfcheck import Check, format_checks
    table = format_checks([
        Check("07_training_in_practice", "", "solution", "full marks", True),
        Check("07_training_in_practice", "early_stopping_answer", "wrong:last_epoch", "loses points", True,
              "early_stopping_tests: AssertionError: expected 4, got 9"),
        Check("07_training_in_practice", "early_stopping_answer", "right:deepcopy", "keeps full marks", False,
              "early_stopping_tests"),
    ])
    row = next(line for line in table.splitlines() if "early_stopping_answer" in line and "/" in line)
    # caught, isolated, named (wrong answers), then kept (right alternatives)
    assert row.split() == ["07_training_in_practice", "early_stopping_answer", "1/1", "1/1", "1/1", "0/1",
                           "early_stopping_tests"]
    assert "2 of 3 checks ok:" in table
    assert "MISS 07_training_in_practice early_stopping_answer right:deepcopy" in table


def test_a_stored_result_is_stale_once_a_helper_the_engine_or_a_file_of_the_assignment_changes(tmp_path, monkeypatch):
    """The key of a stored result covers the helper packages, the grader's own code and the files beside
    the notebook, so that a fix to any of them regrades (an edited check never leaves old grades)."""
    from types import SimpleNamespace

    from autograder import jobs
    from autograder.grading import Options
    engine, helper, course_dir = tmp_path / "engine", tmp_path / "helper", tmp_path / "course"
    for folder, name in ((engine, "judge.py"), (helper, "checks.py")):
        folder.mkdir()
        (folder / name).write_text("x = 1\n")
    assignment = course_dir / "source" / "a1"
    assignment.mkdir(parents=True)
    notebooks.write(_source_nb(), assignment / "a1.ipynb")
    (assignment / "data.py").write_text("N = 3\n")
    course = SimpleNamespace(source_dir=course_dir / "source", notebooks=lambda name: ["a1"], kernel_packages=["h"],
                             judge_packages=[], package_folders=lambda names: [str(helper)])
    monkeypatch.setattr(jobs, "ENGINE_FOLDER", engine)

    def key():
        return jobs.result_key(b"submission", jobs.Assignment.read(course, "a1"), jobs.engine_fingerprint(course),
                               Options())

    first = key()
    assert key() == first, "the key is stable while nothing changes"
    keys = {first}
    for path in (helper / "checks.py", engine / "judge.py", assignment / "data.py"):
        path.write_text(path.read_text() + "# fixed\n")
        keys.add(key())
    assert len(keys) == 4, "each change gives a new key"


def test_the_font_list_is_built_once_and_rebuilt_when_its_cache_is_bad(tmp_path, monkeypatch):
    from autograder import jobs
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    built = []
    monkeypatch.setattr(jobs, "_build_font_list", lambda folder: built.append(1) or {".matplotlib/f.json": "e30="})
    assert jobs.font_cache() == {".matplotlib/f.json": "e30="} and len(built) == 1
    assert jobs.font_cache() == {".matplotlib/f.json": "e30="} and len(built) == 1, "the cache was not used"
    for cached in (tmp_path / "cache" / "autograder").glob("fontlist-*.json"):
        cached.write_text("{not json")
    assert jobs.font_cache() == {".matplotlib/f.json": "e30="} and len(built) == 2
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/nowhere")      # a folder nobody can make, root included
    assert jobs.font_cache() == {".matplotlib/f.json": "e30="}, "an unwritable cache folder must not fail the run"


def test_the_real_font_list_is_matplotlibs():
    from autograder import jobs
    fonts = jobs.font_cache()
    assert [name.startswith(".matplotlib/fontlist-") for name in fonts] == [True]
