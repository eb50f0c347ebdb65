"""environment.yml is generated from pyproject.toml, the one dependency list.

    python tools/environment_yml.py          print what environment.yml should hold
    python tools/environment_yml.py --write  rewrite environment.yml

tests/test_environment.py fails when the committed file differs.
"""
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.11"  # the one Python minor version of the conda route


def requirements(pyproject=ROOT / "pyproject.toml"):
    """The runtime and test requirements of the project, as pip writes them."""
    project = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"]) + list(project["optional-dependencies"]["test"])


def to_conda(requirement):
    """'numpy>=1.26' -> 'numpy >=1.26' (conda's match-spec form; names agree on conda-forge)."""
    for i, char in enumerate(requirement):
        if char in "<>=!~ ":
            return f"{requirement[:i]} {requirement[i:].strip()}"
    return requirement


def render():
    lines = [
        "# Generated from pyproject.toml by tools/environment_yml.py; do not edit by hand.",
        "# conda env create -f environment.yml && conda activate backprop-course",
        "name: backprop-course",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python ={PYTHON_VERSION}",
        "  - pip",
        *(f"  - {to_conda(r)}" for r in requirements()),
        "  - pip:",
        "      - -e .",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        (ROOT / "environment.yml").write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())
