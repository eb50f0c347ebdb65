"""Start the student's process inside bubblewrap, with no way out and bounded resources.

What the sandboxed process gets:
  - a read-only view of the system, with the course, the submissions, the
    output folder, the grader's home folders (from the password database and
    $HOME), /tmp, /var/tmp and /run replaced by small empty read-only folders;
    the Python installation, the helper packages and the agent re-appear
    read-only where they were;
  - its own /tmp: a size-limited tmpfs holding its work folder, HOME and
    TMPDIR, gone when the process ends (nothing of it is on the host's disk);
  - no network, its own process tree, IPC and host name;
  - a minimal, explicit environment (nothing of the grader's);
  - an unprivileged user with no capabilities and no_new_privs: as root the
    grader runs bubblewrap without a user namespace and drops to `uid`/`gid`
    (setpriv) before Python starts; as any other user bubblewrap's user
    namespace keeps the grader's own uid, drops every capability and forbids
    nested user namespaces;
  - limits: address space, CPU time, file size, open files and core dumps;
    as root also a pids and a memory cgroup (tmpfs pages count there too),
    otherwise RLIMIT_NPROC.
Nothing the grader reads or writes lives in a folder the process can change:
the agent gets its files and sends its results through inherited pipes.
"""
import ctypes
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

GiB = 1024 ** 3
MiB = 1024 ** 2
CGROUP_ROOT = Path("/sys/fs/cgroup")
SANDBOX_TMP = "/tmp"                    # the process's own tmpfs, inside the sandbox
PR_SET_PDEATHSIG = 1


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox on this machine."""


@dataclass
class Limits:
    memory_bytes: int = 4 * GiB         # numpy, matplotlib and scikit-learn need about 2 GiB of address space
    cpu_seconds: int = 600
    file_size_bytes: int = 256 * MiB
    open_files: int = 256
    processes: int = 128
    disk_bytes: int = 512 * MiB         # the sandbox's /tmp (work folder, HOME, TMPDIR)


@dataclass
class SandboxConfig:
    use_bwrap: bool = True
    readable: list = field(default_factory=list)   # host folders shown read-only even inside hidden ones
    hidden: list = field(default_factory=list)     # more host folders to replace by empty ones
    limits: Limits = field(default_factory=Limits)
    uid: int = 65534                               # the user the process runs as when the grader is root
    gid: int = 65534


@dataclass
class Layout:
    """Where the process's folders are, as it sees them."""
    root: str

    @property
    def work(self):
        return f"{self.root}/work"

    @property
    def home(self):
        return f"{self.root}/home"

    @property
    def tmp(self):
        return f"{self.root}/tmp"


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
    command = [path, *_isolation(), "--ro-bind", "/", "/", "true"]
    probe = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap is installed but cannot create a sandbox here: "
                                 f"{probe.stderr.strip()[:300]} (pass --no-sandbox to grade without one)")


def _is_root():
    return os.geteuid() == 0


def _isolation():
    """Namespaces and privileges: see the module docstring."""
    common = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
              "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if _is_root():
        return common                   # no user namespace: setpriv drops to an unprivileged uid
    return ["--unshare-user", "--disable-userns", "--cap-drop", "ALL", *common]


def home_folders():
    """The grader's home folders: from the password database, $HOME and the sudo caller."""
    homes = {Path.home()}
    for name in (pwd.getpwuid(os.getuid()).pw_name, os.environ.get("SUDO_USER")):
        try:
            homes.add(Path(pwd.getpwnam(name).pw_dir))
        except (KeyError, TypeError):
            pass
    return homes


def _inside(path, folder):
    try:
        Path(path).relative_to(folder)
        return True
    except ValueError:
        return False


def hidden_folders(config: SandboxConfig, repo_root):
    hidden = {Path(p).resolve() for p in config.hidden}
    hidden |= {Path(repo_root).resolve(), Path("/tmp"), Path("/var/tmp"), Path("/run"), Path("/var/run").resolve(),
               Path(tempfile.gettempdir()).resolve(), *(h.resolve() for h in home_folders())}
    hidden = {p for p in hidden if p.exists() and p != Path("/")}
    # A folder inside another hidden one is hidden with it (and mounting it would only get in the way).
    return sorted(p for p in hidden if not any(p != h and _inside(p, h) for h in hidden))


def bwrap_arguments(config: SandboxConfig, repo_root, layout: Layout):
    """bubblewrap's options (without the command)."""
    hidden = hidden_folders(config, repo_root)
    args = [*_isolation(), "--clearenv", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for folder in hidden:               # parents first, so a later bind inside a hidden folder shows through
        args += ["--perms", "0755", "--size", str(MiB), "--tmpfs", str(folder)]
    # The process's own folders next, so that a readable folder inside them (a repository and its
    # Python under /tmp) shows through too.
    args += ["--perms", "1777", "--size", str(config.limits.disk_bytes), "--tmpfs", layout.root,
             "--perms", "1777", "--size", str(16 * MiB), "--tmpfs", "/dev/shm"]
    covers = [*hidden, Path(layout.root)]
    for folder in sorted({Path(p).resolve() for p in config.readable}):
        cover = max((h for h in covers if _inside(folder, h)), key=lambda h: len(h.parts), default=None)
        if cover is not None:           # readable inside a hidden folder: make the way to it, then show it
            for step in range(len(cover.parts) + 1, len(folder.parts)):
                args += ["--perms", "0755", "--dir", str(Path(*folder.parts[:step]))]
            args += ["--ro-bind", str(folder), str(folder)]
    for folder in hidden:
        if folder != Path(layout.root):
            args += ["--remount-ro", str(folder)]
    args += ["--chdir", layout.root]
    return args


def environment(layout: Layout, extra=None):
    """The whole environment of the student's process."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": layout.home,
        "TMPDIR": layout.tmp,
        "MPLCONFIGDIR": f"{layout.home}/.matplotlib",
        "IPYTHONDIR": f"{layout.home}/.ipython",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra or {})
    return env


def command(config: SandboxConfig, repo_root, layout: Layout, program, env):
    """The full command line: bwrap, its options, the privilege drop, then the program."""
    if not config.use_bwrap:
        return list(program)
    setenv = [arg for name, value in env.items() for arg in ("--setenv", name, value)]
    drop = []
    if _is_root():
        drop = [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={config.uid}", f"--regid={config.gid}",
                "--clear-groups", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"]
    return [bwrap_path(), *bwrap_arguments(config, repo_root, layout), *setenv, "--", *drop, *program]


# ---------------------------------------------------------------- limits and cgroups

def _apply_limits(limits: Limits, uid, counted_by_cgroup):
    soft_hard = {
        resource.RLIMIT_AS: limits.memory_bytes,
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_FSIZE: limits.file_size_bytes,
        resource.RLIMIT_NOFILE: limits.open_files,
        resource.RLIMIT_CORE: 0,
    }
    # RLIMIT_NPROC counts every process of the user, so those running already come on top. With a
    # pids cgroup (root) that is the limit instead: sandboxes sharing a uid must not starve each other.
    if not counted_by_cgroup:
        soft_hard[resource.RLIMIT_NPROC] = limits.processes + _processes_of(uid)
    for which, value in soft_hard.items():
        resource.setrlimit(which, (value, value))


def _processes_of(uid):
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += len(list((entry / "task").iterdir()))
        except OSError:
            continue
    return count


class Cgroups:
    """A pids and a memory cgroup for one sandboxed process (root only; v1 or v2); empty where unavailable."""

    def __init__(self, name, limits: Limits):
        self.paths = []
        if not _is_root():
            return
        memory = limits.memory_bytes + limits.disk_bytes
        if (CGROUP_ROOT / "cgroup.controllers").exists():          # v2: one folder with both controllers
            self._make(CGROUP_ROOT / name, {"pids.max": limits.processes, "memory.max": memory,
                                            "memory.swap.max": 0})
        else:
            self._make(CGROUP_ROOT / "pids" / name, {"pids.max": limits.processes})
            self._make(CGROUP_ROOT / "memory" / name, {"memory.limit_in_bytes": memory})

    def _make(self, path, settings):
        try:
            path.mkdir(exist_ok=True)
            for key, value in settings.items():
                if (path / key).exists():
                    (path / key).write_text(str(value))
            self.paths.append(path)
        except OSError:
            pass

    def join(self):
        """Called in the child before exec: move this process into the groups."""
        for path in self.paths:
            try:
                (path / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                pass

    def kill_all(self):
        for path in self.paths:
            _empty(path)

    def remove(self):
        self.kill_all()
        for path in self.paths:
            try:
                path.rmdir()
            except OSError:
                pass
        self.paths = []


def _empty(group):
    """Kill every process in the cgroup and wait (up to 5 s) until it is empty."""
    for _ in range(100):
        try:
            pids = [int(p) for p in (Path(group) / "cgroup.procs").read_text().split()]
        except OSError:
            pids = []
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def remove_stale_cgroups():
    """Cgroups left by a grader that was killed (its pid is part of the name)."""
    for parent in (CGROUP_ROOT, CGROUP_ROOT / "pids", CGROUP_ROOT / "memory"):
        if not parent.is_dir():
            continue
        for group in parent.glob("autograder-*"):
            owner = group.name.split("-")[1]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                _empty(group)
                try:
                    group.rmdir()
                except OSError:
                    pass


def die_with_parent():
    """In a child before exec: be killed when the process that started it dies (no orphans)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def start(config: SandboxConfig, argv, env, pass_fds, cgroups: Cgroups):
    """Popen the command with the limits, in its own session, dying with this process."""
    uid = config.uid if _is_root() and config.use_bwrap else os.getuid()

    def in_child():
        cgroups.join()
        die_with_parent()
        _apply_limits(config.limits, uid, counted_by_cgroup=bool(cgroups.paths))

    return subprocess.Popen(argv, env=env, pass_fds=pass_fds, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=in_child)
