"""The student's process as the grader sees it: started in the sandbox, driven through pipes.

`Kernel` starts `sandboxed/agent.py` (see that file and sandbox.py), hands it
the notebook's files, runs cells and makes the judge's requests, each with a
deadline. A request or cell past its deadline is interrupted; a process that
ignores the interrupt, dies, or sends anything but a well-formed reply is
killed. Everything read from the process is untrusted: size-limited,
time-limited and strictly parsed (sandboxed/wire.py).
"""
import fcntl
import sys
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .sandboxed import wire

AGENT = Path(__file__).with_name("sandboxed") / "agent.py"
START_TIMEOUT = 60          # seconds for Python, numpy and IPython to start in the sandbox
INTERRUPT_GRACE = 5         # seconds an interrupted process has to answer again
MAX_REPLY_BYTES = 64 << 20  # one message from the student's process
F_SETPIPE_SZ = 1031         # fcntl's "set pipe size" (Linux)
PIPE_BYTES = 1 << 20


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


@dataclass
class CellRun:
    status: str                  # ok, error, timeout, died
    outputs: list = field(default_factory=list)
    ename: str = ""
    evalue: str = ""
    stream_chars: int = 0
    dropped: int = 0


class Kernel:
    """One sandboxed agent process; `generation` counts restarts (handles do not survive them)."""

    def __init__(self, settings: KernelSettings, name="kernel"):
        self.settings = settings
        self.name = f"autograder-{os.getpid()}-{name}-{secrets.token_hex(4)}"
        self.process = None
        self.cgroups = None
        self.requests = self.replies = self.interrupts = None
        self.generation = 0
        self.next_id = 1
        self.scratch = None        # the work root on the host when there is no sandbox

    # ---- life cycle
    def start(self):
        self.stop()
        self.generation += 1
        config = self.settings.sandbox
        if config.use_bwrap:
            layout = sandbox.Layout(sandbox.SANDBOX_TMP)
        else:
            import tempfile
            self.scratch = tempfile.mkdtemp(prefix="autograder-kernel-")
            layout = sandbox.Layout(self.scratch)
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        interrupt_read, interrupt_write = os.pipe()
        env = sandbox.environment(layout, {"NBGRADER_EXECUTION": "autograde", **self.settings.extra_env})
        program = [sys.executable, "-I", "-B", str(AGENT),
                   str(request_read), str(reply_write), str(interrupt_read)]
        argv = sandbox.command(config, self.settings.repo_root, layout, program, env)
        self.cgroups = sandbox.Cgroups(self.name, config.limits)
        try:
            self.process = sandbox.start(config, argv, env, (request_read, reply_write, interrupt_read),
                                         self.cgroups)
        finally:
            for fd in (request_read, reply_write, interrupt_read):
                os.close(fd)
        self.requests, self.replies, self.interrupts = request_write, reply_read, interrupt_write
        for fd in (self.requests, self.replies, self.interrupts):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        for fd in (self.requests, self.replies):
            try:                        # bigger pipes: an array goes through in one write
                fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:
                pass
        self._handshake(layout)

    def _handshake(self, layout):
        deadline = time.monotonic() + START_TIMEOUT
        try:
            hello, _ = wire.receive(self.replies, MAX_REPLY_BYTES, deadline)
            if hello.get("op") != "hello":
                raise wire.ProtocolError("no greeting")
            files = sorted(self.settings.files.items())
            buffers = [data for _, data in files]
            start = {"op": "start", "id": self._new_id(), "cwd": layout.work,
                     "files": [[path, i] for i, (path, _) in enumerate(files)],
                     "allowed_roots": [layout.root, *self.settings.allowed_roots], "preload": self.settings.preload,
                     "packages": self.settings.packages}
            wire.send(self.requests, start, buffers, deadline)
            ready, _ = wire.receive(self.replies, MAX_REPLY_BYTES, deadline)
            if ready.get("op") != "value":
                raise wire.ProtocolError(f"no ready reply: {str(ready)[:200]}")
        except (wire.Timeout, wire.ChannelClosed, wire.ProtocolError, OSError) as exc:
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
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            if self.cgroups is not None:
                self.cgroups.remove()
            try:
                self.process.wait(timeout=10)
            except Exception:
                pass
            if self.process.stderr is not None:
                self.process.stderr.close()
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
        return CellRun("ok" if reply.get("status") == "ok" else "error", outputs if type(outputs) is list else [],
                       ename=_short(reply.get("ename")), evalue=_short(reply.get("evalue"), 10_000),
                       stream_chars=_count(reply.get("stream_chars")), dropped=_count(reply.get("dropped")))


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
