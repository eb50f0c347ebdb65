"""Generate exercises/ and solutions/ (and the sample class) from course/source/."""
import shutil
import tempfile
from pathlib import Path

from . import notebooks, sample_class
from .paths import COURSE_DIR, EXERCISES_DIR, SAMPLE_CLASS_DIR, SOLUTIONS_DIR, list_assignments
from .workspace import Workspace, side_by_side


class ReleaseError(RuntimeError):
    """The source cannot be released as it is (its solution does not run cleanly)."""


def release(assignments=None, course_dir=COURSE_DIR, exercises_dir=EXERCISES_DIR,
            solutions_dir=SOLUTIONS_DIR, sample_dir=SAMPLE_CLASS_DIR, jobs=None, execute=True, log=print):
    """Regenerate the student and solution copies of each assignment (side by side).

    execute=False leaves the solutions unexecuted: the same cells, sources and
    metadata, for a quick comparison with the committed ones (tests/test_release.py).
    """
    assignments = assignments or list_assignments(Path(course_dir) / "source")
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        def release_one(assignment):
            log(f"releasing {assignment}")
            workspace = Workspace(Path(tmp) / assignment, course_dir, [assignment])
            workspace.nbgrader("generate_assignment", assignment, "--force")
            workspace.nbgrader("generate_solution", assignment, "--force",
                               *([] if execute else ["--Execute.enabled=False"]))
            solution = workspace.root / "solution" / assignment
            if execute:
                _check_solution_ran_cleanly(solution)
            _tidy_solutions(solution)
            _replace_tree(workspace.root / "release" / assignment, Path(exercises_dir) / assignment)
            _replace_tree(solution, Path(solutions_dir) / assignment)
            sample_class.write(assignment, Path(exercises_dir) / assignment,
                               Path(course_dir) / "source" / assignment, sample_dir)

        side_by_side(release_one, assignments, jobs)
    return assignments


def _check_solution_ran_cleanly(solution_dir):
    # nbgrader generate_solution exits 0 even when cells raise.
    problems = [f"{path.name}, {label}: {error}"
                for path in sorted(solution_dir.glob("*.ipynb"))
                for label, error in notebooks.errors(notebooks.read(path))]
    if problems:
        raise ReleaseError("the solution notebook raised errors when executed:\n  "
                           + "\n  ".join(problems))


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _tidy_solutions(solution_dir):
    """Drop what changes on every run and shows nothing offline: cell timings and widget
    views (their state is not saved; the plain-text fallback stays)."""
    for path in solution_dir.glob("*.ipynb"):
        nb = notebooks.read(path)
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
            for output in cell.get("outputs", []):
                output.get("data", {}).pop(WIDGET_VIEW, None)
        notebooks.write(nb, path)


def _replace_tree(src, dest):
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
