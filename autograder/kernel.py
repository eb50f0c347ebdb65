"""The student's process as the grader sees it: started in the sandbox, driven through pipes.

`Kernel` runs `sandboxed/agent.py` (see that file and sandbox.py), hands it
the notebook's files, runs cells and makes the judge's requests, each with a
deadline. A request or cell past its deadline is interrupted; a process that
ignores the interrupt, dies, or sends anything but a well-formed reply is
killed. Everything read from the process is untrusted: size-limited,
time-limited and strictly parsed (sandboxed/wire.py).

A process comes to life in two steps. `AgentProcess` starts it in its
sandbox and tells it to prepare (its folders, HOME's files, the course's
preload imports, the IPython shell): nothing of any notebook yet. Then
`begin` sends one notebook's files and waits until it is ready. With
`Spares`, the next process is started while the current notebook runs, so
that a notebook (or a restart) only waits for its files to be written. Each
process serves one notebook and is never used again.
"""
import fcntl
import hashlib
import os
import secrets
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import sandbox
from .sandboxed import wire

AGENT = Path(__file__).with_name("sandboxed") / "agent.py"
START_TIMEOUT = 60          # seconds for Python, numpy and IPython to start in the sandbox
INTERRUPT_GRACE = 5         # seconds an interrupted process has to answer again
MAX_REPLY_BYTES = 64 << 20  # one message from the student's process
F_SETPIPE_SZ = 1031         # fcntl's "set pipe size" (Linux)
PIPE_BYTES = 1 << 20
PREPARE_ID, FILES_ID = 1, 2  # the ids of the two requests that bring a process to life; later ones count on


class KernelDied(BaseException):
    """The student's process ended, broke the protocol or ignored an interrupt; it is gone."""


class KernelStartFailed(Exception):
    """The process could not start at all: a fault of the grading machine, not of the student."""


class TimedOut(BaseException):
    """A request ran past its deadline; the process was interrupted and is still usable."""


@dataclass
class KernelSettings:
    sandbox: sandbox.SandboxConfig
    repo_root: str
    files: dict = field(default_factory=dict)          # path in the work folder -> bytes
    allowed_roots: list = field(default_factory=list)  # folders the probe does not report opens in
    extra_env: dict = field(default_factory=dict)
    preload: list = field(default_factory=list)        # modules imported before the first cell
    packages: list = field(default_factory=list)       # the course's helper packages (the probe watches them)
    home_files: dict = field(default_factory=dict)     # path in HOME -> bytes: the same for every notebook

    def launch_key(self):
        """Everything a process is started and prepared with: a spare serves only settings with its key."""
        digest = hashlib.sha256(repr((asdict(self.sandbox), self.repo_root, self.allowed_roots,
                                      sorted(self.extra_env.items()), self.preload, self.packages)).encode())
        for path, data in sorted(self.home_files.items()):
            digest.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()


@dataclass
class CellRun:
    status: str                  # ok, error, timeout, died
    outputs: list = field(default_factory=list)
    ename: str = ""
    evalue: str = ""
    stream_chars: int = 0
    dropped: int = 0


class AgentProcess:
    """One agent process, started in its sandbox and told to prepare; it serves one notebook only.

    The "prepare" request is written at once (the pipe holds it until the
    agent reads it), so the process boots on its own while the grader does
    other work; `begin` then waits for it and sends the notebook's files.
    """

    def __init__(self, settings: KernelSettings, name):
        self.key = settings.launch_key()
        self.launched = time.monotonic()
        self.process = self.requests = self.replies = self.interrupts = self.scratch = None
        config = settings.sandbox
        if not config.use_bwrap:
            import tempfile
            self.scratch = tempfile.mkdtemp(prefix="autograder-kernel-")
        self.layout = sandbox.Layout(sandbox.SANDBOX_TMP if config.use_bwrap else self.scratch)
        self.cgroups = sandbox.Cgroups(f"{name}-{secrets.token_hex(4)}", config.limits)
        try:
            self._launch(settings)
            self._send_prepare(settings)
        except (wire.Timeout, wire.ChannelClosed, OSError) as exc:
            self._fail(exc)

    def _launch(self, settings):
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        interrupt_read, interrupt_write = os.pipe()
        self.requests, self.replies, self.interrupts = request_write, reply_read, interrupt_write
        env = sandbox.environment(self.layout, {"NBGRADER_EXECUTION": "autograde", **settings.extra_env})
        program = [sys.executable, "-I", "-B", str(AGENT), str(request_read), str(reply_write), str(interrupt_read)]
        argv = sandbox.command(settings.sandbox, settings.repo_root, self.layout, program, env)
        try:
            self.process = sandbox.start(settings.sandbox, argv, env, (request_read, reply_write, interrupt_read),
                                         self.cgroups)
        finally:
            for fd in (request_read, reply_write, interrupt_read):
                os.close(fd)
        for fd in (self.requests, self.replies, self.interrupts):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        for fd in (self.requests, self.replies):
            try:                        # bigger pipes: an array (or the prepare request) goes through in one write
                fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:
                pass

    def _send_prepare(self, settings):
        home_files = sorted(settings.home_files.items())
        prepare = {"op": "prepare", "id": PREPARE_ID, "cwd": self.layout.work,
                   "home_files": [[path, i] for i, (path, _) in enumerate(home_files)],
                   "allowed_roots": [self.layout.root, *settings.allowed_roots], "preload": settings.preload,
                   "packages": settings.packages}
        wire.send(self.requests, prepare, [data for _, data in home_files], self.launched + START_TIMEOUT)

    def begin(self, files):
        """Wait until the process is prepared, hand it the notebook's files, wait until it is ready.

        Returns (seconds waited for the preparation, CPU seconds the preparation took).
        """
        started = time.monotonic()
        try:
            deadline = max(self.launched + START_TIMEOUT, started + 1)
            self._expect("hello", None, deadline)
            preparation_cpu = self._expect("value", PREPARE_ID, deadline)
            waited = time.monotonic() - started
            deadline = time.monotonic() + START_TIMEOUT
            files = sorted(files.items())
            wire.send(self.requests, {"op": "files", "id": FILES_ID,
                                      "files": [[path, i] for i, (path, _) in enumerate(files)]},
                      [data for _, data in files], deadline)
            self._expect("value", FILES_ID, deadline)
        except (wire.Timeout, wire.ChannelClosed, wire.ProtocolError, OSError) as exc:
            self._fail(exc)
        return waited, preparation_cpu

    def _expect(self, op, request_id, deadline):
        """Read the next message: it must be `op` (the reply to `request_id`); its value, if a number."""
        header, buffers = wire.receive(self.replies, MAX_REPLY_BYTES, deadline)
        if header.get("op") != op or header.get("id") != request_id:
            raise wire.ProtocolError(f"{op} was expected, not {str(header)[:200]}")
        try:
            value = wire.Codec().decode(header.get("v"), buffers)
        except wire.ProtocolError:
            return 0.0
        return float(value) if type(value) in (int, float) and 0 <= value < 1e6 else 0.0

    def _fail(self, exc):
        why = self._stderr_tail() or str(exc)
        self.stop()
        raise KernelStartFailed(f"the sandboxed Python process did not start: {why}") from None

    def _stderr_tail(self):
        if self.process is None or self.process.stderr is None:
            return ""
        try:
            os.set_blocking(self.process.stderr.fileno(), False)
            data = self.process.stderr.read(4000) or b""
        except (OSError, ValueError):
            data = b""
        return data.decode("utf-8", "replace").strip()

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """Kill the process, everything it started, and close the pipes."""
        self.kill()
        self.reap()

    def kill(self):
        """SIGKILL the sandbox at once: its process group, and with it its PID namespace."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass

    def reap(self):
        """After `kill`: wait for the process, empty and remove its cgroups, close the pipes."""
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except Exception:
                pass
            if self.process.stderr is not None:
                self.process.stderr.close()
        self.cgroups.remove()
        for fd in (self.requests, self.replies, self.interrupts):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.process = self.requests = self.replies = self.interrupts = None
        if self.scratch:
            import shutil
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


class Spares:
    """A process started ahead for the next notebook or restart of one runner, with the same settings.

    It boots (sandbox, Python, the preload imports, the shell) while the
    current notebook runs. It has seen nothing of any notebook: the files come
    with `begin`, and every process serves one notebook only.
    """

    def __init__(self, name="spare"):
        self.name = _owned_name(name)
        self.spare = None

    def take(self, settings):
        """The spare if it was started with these settings and still runs; else None (and it is stopped)."""
        spare, self.spare = self.spare, None
        if spare is not None and spare.key == settings.launch_key() and spare.alive:
            return spare
        if spare is not None:
            spare.stop()
        return None

    def refill(self, settings):
        if self.spare is None:
            try:
                self.spare = AgentProcess(settings, self.name)
            except KernelStartFailed:
                self.spare = None       # the next start tries again, and says why if it fails

    def stop(self):
        if self.spare is not None:
            self.spare.stop()
            self.spare = None


class Kernel:
    """The student's process of one notebook; `generation` counts restarts (handles do not survive them)."""

    def __init__(self, settings: KernelSettings, name="kernel", spares=None, refill=True):
        self.settings = settings
        self.name = _owned_name(name)
        self.spares = spares            # a Spares, or None: every start then boots a process and waits for it
        self.refill = refill            # start the next spare after each start (False: only take one if there)
        self.agent = None
        self.generation = 0
        self.next_id = FILES_ID
        self.last_start = {}            # the parts of the last start (see `start`)

    # ---- life cycle
    def start(self):
        """A fresh process for this notebook, with its files; a spare one if there is.

        `last_start`: seconds waited for the process to boot ("boot"), to take
        the files ("files"), and the CPU seconds its boot took ("boot_cpu",
        spent in the background when the process was a spare).
        """
        self.stop()
        self.generation += 1
        started = time.monotonic()
        spare = self.spares.take(self.settings) if self.spares else None
        try:
            waited, boot_cpu = self._begin(spare or AgentProcess(self.settings, self.name))
        except KernelStartFailed:
            if spare is None:
                raise
            waited, boot_cpu = self._begin(AgentProcess(self.settings, self.name))   # a spare gone bad: once more
        self.last_start = {"boot": waited, "files": time.monotonic() - started - waited, "boot_cpu": boot_cpu}
        if self.spares and self.refill:
            self.spares.refill(self.settings)

    def _begin(self, agent):
        waited, boot_cpu = agent.begin(self.settings.files)
        self.agent = agent
        self.next_id = FILES_ID
        return waited, boot_cpu

    @property
    def alive(self):
        return self.agent is not None and self.agent.alive

    def stop(self, wait=True):
        """Kill the process and everything it started; with wait=False the rest of the cleanup (waiting
        for the sandbox to end, removing its cgroups) goes on in a thread, which the runner's exit awaits."""
        if self.agent is not None:
            agent, self.agent = self.agent, None
            agent.kill()
            if wait:
                agent.reap()
            else:
                threading.Thread(target=agent.reap, name="autograder-reaper").start()

    @property
    def requests(self):
        return self.agent.requests if self.agent else None

    @property
    def replies(self):
        return self.agent.replies if self.agent else None

    @property
    def interrupts(self):
        return self.agent.interrupts if self.agent else None

    def _new_id(self):
        self.next_id += 1
        return self.next_id

    # ---- talking
    def _died(self, why):
        self.stop()
        raise KernelDied(why)

    def _send(self, header, buffers, deadline):
        try:
            wire.send(self.requests, header, buffers, deadline)
        except wire.Timeout:
            self._died("the student's process stopped reading the grader's messages")
        except (wire.ChannelClosed, OSError):
            self._died("the student's process ended")

    def _receive(self, deadline):
        """The next message; None when the deadline passed cleanly between messages."""
        try:
            return wire.receive(self.replies, MAX_REPLY_BYTES, deadline)
        except wire.Timeout as exc:
            if exc.started:
                self._died("the student's process stopped in the middle of a message")
            return None
        except wire.ProtocolError as exc:
            self._died(f"the student's process sent a malformed message ({exc})")
        except (wire.ChannelClosed, OSError):
            self._died("the student's process ended (a crash, os._exit, or the memory limit)")

    def interrupt(self):
        try:
            os.write(self.interrupts, b"i")
        except OSError:
            pass

    def exchange(self, header, buffers, deadline, on_callback=None):
        """Send a request; serve callbacks until its reply; return (reply header, buffers).

        Past the deadline the process is interrupted; if it answers within a
        few seconds TimedOut is raised (the process stays usable), otherwise
        it is killed and KernelDied raised.
        """
        request_id = self._new_id()
        self._send(dict(header, id=request_id), buffers, deadline + INTERRUPT_GRACE)
        interrupted = False
        while True:
            wait_until = deadline if not interrupted else deadline + INTERRUPT_GRACE
            message = self._receive(wait_until)
            if message is None:
                if interrupted:
                    self._died(f"the student's code ignored the interrupt after its time limit")
                self.interrupt()
                interrupted = True
                continue
            reply, reply_buffers = message
            if reply.get("op") == "callback" and on_callback is not None:
                answer, answer_buffers = on_callback(reply, reply_buffers)
                self._send(dict(answer, id=reply.get("id")), answer_buffers, deadline + INTERRUPT_GRACE)
                continue
            if reply.get("id") != request_id:
                self._died(f"the student's process sent an unexpected message ({str(reply.get('op'))[:40]!r})")
            if interrupted:
                raise TimedOut()
            return reply, reply_buffers

    def run_cell(self, source, timeout):
        """Run one cell of the student's notebook; its outcome and outputs (never raises)."""
        deadline = time.monotonic() + timeout
        try:
            reply, buffers = self.exchange({"op": "run", "source": source}, [], deadline,
                                           on_callback=_refuse_callback)
        except TimedOut:
            return _stopped("timeout", "TimeoutError", f"the cell ran longer than {timeout:g} s and was stopped")
        except KernelDied as exc:
            return _stopped("died", "KernelDied", str(exc))
        if reply.get("op") != "ran":
            self._died("the student's process answered a cell with something else")
        try:
            outputs = wire.Codec().decode(reply.get("v"), buffers)
        except wire.ProtocolError:
            outputs = []
        try:        # a cell that broke the channel (closed a pipe, killed a thread) is the culprit, not the next
            self.exchange({"op": "ping"}, [], time.monotonic() + INTERRUPT_GRACE)
        except (KernelDied, TimedOut) as exc:
            self.stop()
            return _stopped("died", "KernelDied", f"after the cell: {exc}")
        return CellRun("ok" if reply.get("status") == "ok" else "error", outputs if type(outputs) is list else [],
                       ename=_short(reply.get("ename")), evalue=_short(reply.get("evalue"), 10_000),
                       stream_chars=_count(reply.get("stream_chars")), dropped=_count(reply.get("dropped")))


def _owned_name(name):
    """A process's name (its cgroups'), with this process's id: a later run removes what a killed one left."""
    return f"autograder-{os.getpid()}-{name}"


def _stopped(status, ename, evalue):
    """The outcome of a cell the grader had to stop, with an error output saying so."""
    error = {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}
    return CellRun(status, [error], ename=ename, evalue=evalue)


def _refuse_callback(request, buffers):
    return {"op": "raised", "ename": "RuntimeError",
            "evalue": "a test's function can only be called while that test runs"}, []


def _short(value, limit=200):
    return value[:limit] if type(value) is str else ""


def _count(value):
    return value if type(value) is int and value >= 0 else 0
