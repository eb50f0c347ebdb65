"""exercises/, solutions/ and the sample class are exactly what `make release` makes now."""
import pytest

from autograder import notebooks
from autograder.paths import EXERCISES_DIR, SAMPLE_CLASS_DIR, SOLUTIONS_DIR
from autograder.release import ReleaseError, release
from conftest import ASSIGNMENTS

pytestmark = pytest.mark.slow

STALE = "is stale: run `make release` and commit exercises/, solutions/ and autograder/sample_class/"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh")
    # Unexecuted: the comparison leaves outputs aside, the committed solutions' outputs are checked below,
    # and the bank's proof (test_grading.py) runs every solution through the grader.
    release(ASSIGNMENTS, exercises_dir=root / "exercises", solutions_dir=root / "solutions",
            sample_dir=root / "sample_class", execute=False, log=lambda _: None)
    return root


def _files(root):
    """Files below root that belong to the assignments under test."""
    return sorted(p.relative_to(root) for p in root.rglob("*")
                  if p.is_file() and set(p.relative_to(root).parts) & set(ASSIGNMENTS))


def test_exercises_are_regenerated_exactly(fresh):
    assert _files(fresh / "exercises") == _files(EXERCISES_DIR), f"the file list of exercises/ {STALE}"
    for rel in _files(EXERCISES_DIR):
        assert (EXERCISES_DIR / rel).read_bytes() == (fresh / "exercises" / rel).read_bytes(), f"{rel} {STALE}"


def test_sample_class_is_regenerated_exactly(fresh):
    assert _files(fresh / "sample_class") == _files(SAMPLE_CLASS_DIR), f"the sample class {STALE}"
    for rel in _files(SAMPLE_CLASS_DIR):
        assert (SAMPLE_CLASS_DIR / rel).read_bytes() == (fresh / "sample_class" / rel).read_bytes(), \
            f"sample_class/{rel} {STALE}"


def test_solutions_are_regenerated(fresh):
    """Same cells, sources and metadata; executed outputs may differ between runs."""
    assert _files(fresh / "solutions") == _files(SOLUTIONS_DIR), f"the file list of solutions/ {STALE}"
    for rel in _files(SOLUTIONS_DIR):
        committed, regenerated = SOLUTIONS_DIR / rel, fresh / "solutions" / rel
        if rel.suffix == ".ipynb":
            assert notebooks.content_fingerprint(committed) == notebooks.content_fingerprint(regenerated), \
                f"solutions/{rel} {STALE}"
        else:
            assert committed.read_bytes() == regenerated.read_bytes(), f"solutions/{rel} {STALE}"


def test_committed_solutions_ran_without_errors():
    for path in sorted(SOLUTIONS_DIR.rglob("*.ipynb")):
        assert notebooks.errors(notebooks.read(path)) == [], f"{path.name} holds error outputs"
        assert any(c.get("outputs") for c in notebooks.read(path).cells), f"{path.name} was not executed"


def test_release_refuses_a_solution_that_raises(tmp_path):
    """A source notebook whose solution raises stops the release instead of shipping errors."""
    import shutil

    import nbformat

    from autograder.paths import COURSE_DIR
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(COURSE_DIR / "nbgrader_config.py", course / "nbgrader_config.py")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('boom')")])
    notebooks.write(nb, course / "source" / "00_broken" / "00_broken.ipynb")
    with pytest.raises(ReleaseError, match="boom"):
        release(course_dir=course, exercises_dir=tmp_path / "ex", solutions_dir=tmp_path / "sol",
                sample_dir=tmp_path / "sample", log=lambda _: None)
