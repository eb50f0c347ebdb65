"""A scratch nbgrader course: a copy of course/ where nbgrader may write freely.

Every nbgrader run of the tool happens in one of these, so the repository's
course/ never gains a gradebook, and grading cannot touch the real sources.
"""
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .paths import COURSE_DIR


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message carries the end of its log."""


class Workspace:
    def __init__(self, root, course_dir=COURSE_DIR, assignments=()):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        course_dir = Path(course_dir)
        shutil.copy2(course_dir / "nbgrader_config.py", self.root / "nbgrader_config.py")
        for assignment in assignments:
            shutil.copytree(course_dir / "source" / assignment,
                            self.root / "source" / assignment, dirs_exist_ok=True)

    def nbgrader(self, *args, check=True, timeout=3600):
        """Run ``nbgrader ARGS`` in the workspace; return the CompletedProcess."""
        bin_dir = str(Path(sys.executable).parent)
        env = dict(os.environ)
        # nbgrader calls `alembic` from PATH when it creates the gradebook.
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env.pop("NBGRADER_EXECUTION", None)
        cmd = [sys.executable, "-m", "nbgrader", *map(str, args)]
        proc = subprocess.run(cmd, cwd=self.root, env=env, capture_output=True,
                              text=True, timeout=timeout)
        if check and proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise NbgraderError(f"`nbgrader {' '.join(map(str, args))}` failed "
                                f"(exit {proc.returncode}):\n{tail}")
        return proc

    @property
    def db_url(self):
        return f"sqlite:///{self.root / 'gradebook.db'}"


def side_by_side(task, assignments, jobs=None):
    """[task(a) for a in assignments], up to `jobs` at once (default: the number of cores).

    The first failure is re-raised. Each task should use its own Workspace.
    """
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(assignments)))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(task, assignments))
