"""Prepare one notebook for grading: read it, restore the instructor's cells, and describe the job.

Preparing is nbgrader's part of the work (restore locked and test cells from
the source, check the cell metadata, see assemble.py); the job is everything
a runner needs, self-contained: the assembled notebook (hidden tests
inside), the assignment's other files, the names the student writes, the
limits and the sandbox. Each job has a key that covers everything that can
change its result, so a stored result is reused only when nothing changed.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import cells, notebooks
from .assemble import assemble
from .paths import REPO_ROOT
from .report import atomic_open

ENGINE_FOLDER = Path(__file__).resolve().parent


@dataclass
class Assignment:
    """What every notebook of one assignment shares: read once per batch."""
    name: str
    sources: dict                   # notebook name -> source notebook
    files: dict                     # file name -> bytes: the assignment's other files (e.g. a module)
    student_names: dict             # notebook name -> names its answer cells define
    max_scores: dict                # notebook name -> {grade_id: points}
    fingerprint: str = ""           # of the sources and files

    @classmethod
    def read(cls, course, name):
        folder = course.source_dir / name
        sources = {n: notebooks.read(folder / f"{n}.ipynb") for n in course.notebooks(name)}
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())
                 if p.is_file() and p.suffix != ".ipynb" and not p.name.startswith(".")}
        digest = hashlib.sha256()
        for notebook in sorted(sources):
            digest.update((folder / f"{notebook}.ipynb").read_bytes())
        for file_name, data in sorted(files.items()):
            digest.update(file_name.encode() + b"\0" + hashlib.sha256(data).digest())
        return cls(name, sources, files, {n: cells.student_names(nb) for n, nb in sources.items()},
                   {n: notebooks.test_cells(nb) for n, nb in sources.items()}, digest.hexdigest())


def engine_fingerprint(course):
    """A hash of the engine's own code and of the helper packages the kernel and the judge import."""
    digest = hashlib.sha256()
    folders = [ENGINE_FOLDER] + [Path(f) for f in course.package_folders(set(course.kernel_packages)
                                                                         | set(course.judge_packages))]
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if "sample_class" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def result_key(submission_bytes, assignment, engine, options):
    digest = hashlib.sha256()
    for part in (hashlib.sha256(submission_bytes).hexdigest(), assignment.fingerprint, engine,
                 json.dumps(options.result_affecting(), sort_keys=True)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


@dataclass
class Prepared:
    key: str
    job: dict = None                 # the runner's Job as a dict; None when the notebook cannot be run
    result: dict = None              # the result when there is nothing to run (unreadable file)
    flags: list = field(default_factory=list)


def prepare(submission, assignment, course, options, engine, sandbox_settings):
    """Read and assemble one submission; a Prepared with a job to run or a result already."""
    data = _read_bytes(submission.path)
    key = result_key(data, assignment, engine, options)
    flags = list(submission.flags)
    try:
        submitted, read_flags = notebooks.read_submission(submission.path)
        flags += read_flags
        nb, repairs = assemble(assignment.sources[submission.notebook], submitted)
    except Exception as exc:  # not JSON, not a notebook, too big, a link...: this student only
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        flags.append(("unreadable notebook", f"{type(exc).__name__}: {first_line}"))
        return Prepared(key, result={"tests": None, "flags": [], "why": f"unreadable notebook: {first_line}"},
                        flags=flags)
    flags += repairs
    job = {"key": key, "notebook": nb, "result": "",
           "student_names": assignment.student_names[submission.notebook],
           "files": {name: base64.b64encode(blob).decode() for name, blob in assignment.files.items()},
           "cell_timeout": options.timeout, "notebook_timeout": options.notebook_timeout,
           **sandbox_settings}
    return Prepared(key, job=job, flags=flags)


def _read_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(notebooks.MAX_NOTEBOOK_BYTES + 1)
    except OSError:
        return b""


def sandbox_settings(course, options, font_cache=None):
    """The sandbox and judge part of every job of a batch (what the kernel may see, and the hooks)."""
    from .sandbox import GiB, Limits, MiB, SandboxConfig
    agent_folder = str(ENGINE_FOLDER / "sandboxed")
    readable = sorted({sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent.parent),
                       agent_folder, *course.package_folders(course.kernel_packages)})
    limits = Limits(memory_bytes=int(options.memory_gib * GiB), cpu_seconds=int(options.notebook_timeout) + 60,
                    disk_bytes=int(options.disk_mib * MiB))
    config = SandboxConfig(use_bwrap=options.use_sandbox, readable=readable,
                           hidden=[str(p) for p in options.hidden] + list(course.hidden), limits=limits)
    return {"sandbox": asdict(config), "repo_root": str(REPO_ROOT),
            "allowed_roots": [*readable, "/usr", "/etc", "/proc", "/dev", "/sys", "/lib", "/lib64", "/bin",
                              "/sbin", "/opt", "/var/cache"],
            "file_hooks": list(course.file_hooks), "home_files": dict(font_cache or {}),
            "preload": list(course.preload), "packages": list(course.kernel_packages)}


def font_cache():
    """matplotlib's font list, put into every sandbox's HOME: {path in HOME: base64 text}.

    Without it the first plot of each notebook would scan the fonts (and start
    fc-list, which the probe would report as a process started by the student).
    Building it takes a Python process and a second, so it is kept in the
    grader's cache folder ($XDG_CACHE_HOME/autograder, else ~/.cache/autograder)
    for this matplotlib and Python installation; where that folder cannot be
    written it is built for each run.
    """
    from importlib.metadata import version
    name = hashlib.sha256(f"{version('matplotlib')}\0{sys.prefix}".encode()).hexdigest()[:16]
    cached = _cache_folder() / f"fontlist-{name}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    with tempfile.TemporaryDirectory(prefix="autograder-fonts-") as scratch:
        fonts = _build_font_list(Path(scratch))
    if not fonts:
        return fonts                    # matplotlib could not build it: the sandboxes scan the fonts themselves
    try:
        cached.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with atomic_open(cached, "w", encoding="utf-8") as handle:
            json.dump(fonts, handle)
    except OSError:
        pass
    return fonts


def _cache_folder():
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "autograder"


def _build_font_list(folder):
    env = dict(os.environ, MPLCONFIGDIR=str(folder), MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, capture_output=True,
                   timeout=120)
    return {f".matplotlib/{p.name}": base64.b64encode(p.read_bytes()).decode() for p in folder.glob("fontlist-*.json")}
