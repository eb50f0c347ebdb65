"""One dependency list: environment.yml is generated from pyproject.toml and resolves with pip."""
import importlib.util
import subprocess
import sys

import yaml

from autograder.paths import REPO_ROOT

spec = importlib.util.spec_from_file_location("environment_yml", REPO_ROOT / "tools" / "environment_yml.py")
environment_yml = importlib.util.module_from_spec(spec)
spec.loader.exec_module(environment_yml)


def _conda_packages():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text(encoding="utf-8"))
    return env, [d for d in env["dependencies"] if isinstance(d, str)]


def test_environment_yml_is_generated_from_pyproject():
    committed = (REPO_ROOT / "environment.yml").read_text(encoding="utf-8")
    assert committed == environment_yml.render(), \
        "environment.yml differs from pyproject.toml: run `make environment` and commit it"


def test_environment_yml_lists_exactly_the_pyproject_requirements():
    env, packages = _conda_packages()
    assert env["channels"] == ["conda-forge"]
    python = [p for p in packages if p.split()[0] == "python"]
    assert python == [f"python ={environment_yml.PYTHON_VERSION}"], "pin one Python minor version"
    listed = sorted(p.replace(" ", "") for p in packages if p.split()[0] not in ("python", "pip"))
    assert listed == sorted(r.replace(" ", "") for r in environment_yml.requirements())


def test_every_environment_package_resolves_with_pip():
    """conda is not available here; pip at least proves each name and version range exists."""
    _, packages = _conda_packages()
    requirements = [p.replace(" ", "") for p in packages if p.split()[0] not in ("python", "pip")]
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                           "--no-deps", "--quiet", *requirements],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"pip cannot resolve environment.yml's packages:\n{proc.stderr[-2000:]}"


def test_pip_dry_run_catches_a_broken_spec():
    """The check above can fail: an impossible version range is rejected."""
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                           "--no-deps", "--quiet", "numpy>=999"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
