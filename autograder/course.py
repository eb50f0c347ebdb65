"""The one description of a course the engine grades: `course/autograder.toml`.

The engine knows nothing else about the course: which helper packages the
student's code may import (shown read-only in the sandbox), which packages
the tests trust (the judge imports its own copy), how a test hands files to
the student's code, where the bank of known answers lives, and the source
notebooks themselves. Point `--course` at another nbgrader course folder
with such a file to grade that course instead.
"""
import importlib.util
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .paths import COURSE_DIR

DESCRIPTION = "autograder.toml"


class CourseError(ValueError):
    """The course description is missing or wrong; the message says what to fix."""


@dataclass
class Course:
    root: Path                                   # the nbgrader course folder (nbgrader_config.py, source/)
    source_dir: Path
    kernel_packages: list = field(default_factory=list)
    preload: list = field(default_factory=list)  # modules the student's process imports before its first cell
    hidden: list = field(default_factory=list)
    judge_packages: list = field(default_factory=list)
    file_hooks: list = field(default_factory=list)
    bank: Path = None
    settings: dict = field(default_factory=dict)  # the whole file, for the parts other tools read

    def assignments(self):
        """Assignment folders of the source that hold notebooks, in order."""
        return sorted(p.name for p in self.source_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def notebooks(self, assignment):
        """Notebook names (without .ipynb) of one assignment, in order."""
        return sorted(p.stem for p in (self.source_dir / assignment).glob("*.ipynb"))

    def package_folders(self, names):
        """The folders of installed packages (for the sandbox's read-only view)."""
        folders = []
        for name in names:
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.submodule_search_locations:
                raise CourseError(f"the package {name!r} named in {self.root / DESCRIPTION} is not installed")
            folders += [str(Path(p).resolve()) for p in spec.submodule_search_locations]
        return folders


def load(root=COURSE_DIR):
    """The course at `root` (a folder holding autograder.toml)."""
    root = Path(root).resolve()
    path = root / DESCRIPTION
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path} is missing: it describes the course to the grader") from None
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path} is not valid TOML: {exc}") from None
    section = lambda name: settings.get(name) if isinstance(settings.get(name), dict) else {}  # noqa: E731
    source_dir = (root / section("course").get("source", "source")).resolve()
    if not source_dir.is_dir():
        raise CourseError(f"the source folder {source_dir} (from {path}) does not exist")
    bank = section("selfcheck").get("bank")
    return Course(root=root, source_dir=source_dir,
                  kernel_packages=_strings(section("kernel").get("packages", []), "kernel.packages", path),
                  hidden=_strings(section("kernel").get("hidden", []), "kernel.hidden", path),
                  preload=_strings(section("kernel").get("preload", []), "kernel.preload", path),
                  judge_packages=_strings(section("judge").get("packages", []), "judge.packages", path),
                  file_hooks=_strings(section("judge").get("file_hooks", []), "judge.file_hooks", path),
                  bank=(root / bank).resolve() if bank else None, settings=settings)


def _strings(value, key, path):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CourseError(f"{key} in {path} must be a list of strings")
    return value
