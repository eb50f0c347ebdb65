"""Run a student's kernel inside bubblewrap, with resource limits.

The kernel sees a read-only view of the system and nothing of the course:
the repository (except the virtual environment and bpkit), the home folder
(except the Python installation), the system temp folder and any folder
given in `hidden` are replaced by empty ones. It gets no network, its own
process tree, its own /tmp, and a writable work folder holding its
notebook's files. Limits: address space, CPU time, file size, open files
and, as root, a pids cgroup (root is exempt from RLIMIT_NPROC).

    python -m autograder.sandbox CONFIG.json -- COMMAND...   (the kernel launcher)
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .paths import REPO_ROOT

PIDS_CGROUP = Path("/sys/fs/cgroup/pids")
GiB = 1024 ** 3


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox on this machine."""


@dataclass
class Limits:
    memory_bytes: int = 4 * GiB     # numpy, matplotlib and scikit-learn need about 2 GiB to import
    cpu_seconds: int = 600
    file_size_bytes: int = 256 * 1024 ** 2
    open_files: int = 256
    processes: int = 128


@dataclass
class SandboxConfig:
    work_dir: str                   # writable, bound at the same path inside
    hidden: list = field(default_factory=list)  # folders replaced by empty ones
    limits: Limits = field(default_factory=Limits)
    cgroup_name: str = ""           # a pids cgroup to join (root only)
    use_bwrap: bool = True


def bwrap_path():
    return shutil.which("bwrap")


def check_available():
    """Raise SandboxUnavailable with a way forward if bubblewrap cannot be used here."""
    path = bwrap_path()
    if not path:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code would run with your rights: it could "
            "read the solutions, rewrite grades and use the network. Install it "
            "(Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap) "
            "or pass --no-sandbox to grade without one (only for code you trust).")
    probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap is installed but cannot create a sandbox here: "
                                 f"{probe.stderr.strip()[:300]} (pass --no-sandbox to grade without one)")


def _inside(path, folder):
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def _readable_roots():
    """Folders the kernel must read even when their parent is hidden: Python and bpkit."""
    import bpkit
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(bpkit.__file__).resolve().parent}
    return sorted(roots)


def bwrap_arguments(config: SandboxConfig):
    """bwrap's options for the config (without the command)."""
    work = Path(config.work_dir).resolve()
    hidden = {Path(p).resolve() for p in config.hidden}
    hidden |= {REPO_ROOT.resolve(), Path.home().resolve(), Path("/tmp"), Path("/var/tmp"),
               Path(tempfile.gettempdir()).resolve()}
    hidden = sorted(p for p in hidden if p.exists() and p != Path("/"))
    args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for folder in hidden:  # parents first, so a later bind inside a hidden folder shows through
        args += ["--tmpfs", str(folder)]
    for root in _readable_roots():
        if any(_inside(root, h) for h in hidden):
            args += ["--ro-bind", str(root), str(root)]
    args += ["--bind", str(work), str(work), "--chdir", str(work),
             "--unshare-all", "--die-with-parent", "--new-session",
             "--hostname", "sandbox"]
    return args


def _apply_limits(limits: Limits):
    soft_hard = {
        resource.RLIMIT_AS: limits.memory_bytes,
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_FSIZE: limits.file_size_bytes,
        resource.RLIMIT_NOFILE: limits.open_files,
        resource.RLIMIT_CORE: 0,
    }
    if os.geteuid() != 0:  # root ignores it; the cgroup covers root
        soft_hard[resource.RLIMIT_NPROC] = limits.processes + _processes_of_this_user()
    for which, value in soft_hard.items():
        resource.setrlimit(which, (value, value))


def _processes_of_this_user():
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += len(list((entry / "task").iterdir()))
        except OSError:
            continue
    return count


def make_pids_cgroup(name, limit):
    """A pids cgroup allowing `limit` processes and threads; None where it cannot be made."""
    if os.geteuid() != 0 or not PIDS_CGROUP.is_dir():
        return None
    group = PIDS_CGROUP / name
    try:
        group.mkdir(exist_ok=True)
        (group / "pids.max").write_text(str(limit))
    except OSError:
        return None
    return group


def empty_cgroup(group):
    """Kill every process in the cgroup and wait (up to 5 s) until it is empty."""
    import signal
    import time
    for _ in range(100):
        try:
            pids = [int(p) for p in (Path(group) / "cgroup.procs").read_text().split()]
        except OSError:
            pids = []
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def remove_cgroup(group):
    """Kill what is left in the cgroup, then remove it."""
    if group is None or not Path(group).exists():
        return
    empty_cgroup(group)
    try:
        Path(group).rmdir()
    except OSError:
        pass


def remove_stale_cgroups():
    """Cgroups left by a grader that was killed (its pid is part of the name)."""
    if not PIDS_CGROUP.is_dir():
        return
    for group in PIDS_CGROUP.glob("autograder-*"):
        owner = group.name.split("-")[1]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            remove_cgroup(group)


def launch(config: SandboxConfig, command):
    """Replace this process with COMMAND inside the sandbox (the kernel launcher's job)."""
    if config.cgroup_name:
        group = PIDS_CGROUP / config.cgroup_name
        try:
            (group / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            pass
    os.environ.pop("JPY_PARENT_PID", None)  # an ipykernel in a new pid namespace exits if it sees it
    log = os.open(Path(config.work_dir) / "runtime" / "kernel.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    _apply_limits(config.limits)
    if config.use_bwrap:
        argv = [bwrap_path(), *bwrap_arguments(config), *command]
    else:
        argv = list(command)
    os.execvp(argv[0], argv)


def write_config(config: SandboxConfig, path):
    Path(path).write_text(json.dumps(asdict(config)), encoding="utf-8")


def read_config(path):
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data["limits"] = Limits(**data["limits"])
    return SandboxConfig(**data)


if __name__ == "__main__":
    config_path, separator, *command = sys.argv[1:]
    if separator != "--" or not command:
        sys.exit("usage: python -m autograder.sandbox CONFIG.json -- COMMAND...")
    launch(read_config(config_path), command)
