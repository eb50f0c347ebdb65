"""Where the course lives in this repository."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE_DIR = REPO_ROOT / "course"
SOURCE_DIR = COURSE_DIR / "source"
EXERCISES_DIR = REPO_ROOT / "exercises"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
SAMPLE_CLASS_DIR = Path(__file__).resolve().parent / "sample_class"


def list_assignments(source_dir=SOURCE_DIR):
    """Names of the assignments in the course, in order (01_..., 02_...)."""
    return sorted(p.name for p in Path(source_dir).iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def list_notebooks(assignment, source_dir=SOURCE_DIR):
    """Notebook names (without .ipynb) of one assignment, in order."""
    return sorted(p.stem for p in (Path(source_dir) / assignment).glob("*.ipynb"))
