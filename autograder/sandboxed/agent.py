"""The agent: runs one student's notebook inside the sandbox and answers the judge.

    python -I agent.py REQUESTS REPLIES INTERRUPTS
        (started by the grader with three inherited pipes, given by their file
        descriptor numbers: requests in, replies out, interrupts in)

It executes the student's cells with IPython (magics, plots and rich output
as in a Jupyter kernel) and, between cells, serves the judge's requests: look
up a name, call a function, read or set an attribute or an item. Every value
it sends back is plain data (see wire.py); anything else stays here behind a
numbered handle. Functions the judge passes in arrive as stubs that call back
to the judge. The agent holds no test and decides nothing: it is as
untrusted as the student's code it runs, and the judge treats it so.
"""
import contextlib
import importlib.util
import io
import os
import signal
import sys
import threading
import time
import traceback
import warnings

REQUESTS, REPLIES, INTERRUPTS = 3, 4, 5
MAX_MESSAGE = 256 << 20
MAX_STREAM_CHARS = 1_000_000      # kept per cell; the rest is only counted
MAX_RICH_OUTPUTS = 50             # display outputs kept per cell
MAX_RICH_CHARS = 5_000_000        # characters of one display output's data


def _load_sibling(name):
    """A module of this folder under a private name (the folder is not on sys.path)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_autograder_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wire = _load_sibling("wire")


class Interrupted(BaseException):
    """The grader asked to stop the student's code (its time is up)."""


class State:
    """Whether the student's code is running now, and interrupts that arrived meanwhile."""
    student = False
    pending = False
    forked = False      # this is a copy made by the student's os.fork(): it must never use the channel


def _leave_if_forked():
    if State.forked:
        os._exit(0)


def _on_sigint(signum, frame):
    if State.student:
        State.pending = False
        raise KeyboardInterrupt
    State.pending = True


@contextlib.contextmanager
def student_code():
    """Around every call into the student's code: interrupts may land only in here."""
    outer = State.student
    State.student = True
    try:
        if State.pending:
            State.pending = False
            raise KeyboardInterrupt
        yield
    finally:
        State.student = outer


@contextlib.contextmanager
def agent_code():
    """Around the agent's own work inside a student call (e.g. waiting for a callback)."""
    outer = State.student
    State.student = False
    try:
        yield
    finally:
        State.student = outer


def _watch_interrupts(main_thread_id):
    """A thread that turns each byte on the interrupt pipe into SIGINT for the main thread."""
    while True:
        try:
            data = os.read(INTERRUPTS, 1)
        except OSError:
            return
        if not data:
            return
        signal.pthread_kill(main_thread_id, signal.SIGINT)


# ---------------------------------------------------------------- capturing a cell's outputs

class Outputs:
    """The outputs of the cell being run, as nbformat v4 dicts, within fixed budgets."""

    def __init__(self):
        self.items = []
        self.stream_chars = 0
        self.dropped = 0

    def stream(self, name, text):
        self.stream_chars += len(text)
        room = MAX_STREAM_CHARS - sum(len(o["text"]) for o in self.items if o["output_type"] == "stream")
        if room <= 0:
            return
        text = text[:room]
        last = self.items[-1] if self.items else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.items.append({"output_type": "stream", "name": name, "text": text})

    def rich(self, output_type, data, metadata):
        if sum(o["output_type"] != "stream" for o in self.items) >= MAX_RICH_OUTPUTS:
            self.dropped += 1
            return
        kept = {}
        for mime, value in (data or {}).items():
            value = value if isinstance(value, str) else _json_text(value)
            if len(value) <= MAX_RICH_CHARS:
                kept[str(mime)] = value
            else:
                self.dropped += 1
        output = {"output_type": output_type, "data": kept, "metadata": _plain_metadata(metadata)}
        self.items.append(output)

    def error(self, ename, evalue, tb):
        self.items.append({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": tb})


def _json_text(value):
    import json
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)


def _plain_metadata(metadata):
    try:
        import json
        return json.loads(json.dumps(metadata or {}))
    except (TypeError, ValueError):
        return {}


class StreamWriter(io.TextIOBase):
    def __init__(self, agent, name):
        self.agent, self.name = agent, name

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if text and self.agent.outputs is not None:
            self.agent.outputs.stream(self.name, text)
        return len(text)


def _make_shell(agent):
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            if agent.outputs is not None:
                agent.outputs.rich("display_data", data, metadata)

        def clear_output(self, wait=False):
            if agent.outputs is not None:
                agent.outputs.items = [o for o in agent.outputs.items if o["output_type"] == "error"]

    class ResultHook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            if agent.outputs is not None:
                agent.outputs.rich("execute_result", format_dict, md_dict)

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):
            pass

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    shell = Shell.instance(config=config, display_pub_class=Publisher, displayhook_class=ResultHook)

    def show_traceback(etype, evalue, stb):
        if agent.outputs is not None:
            agent.outputs.error(etype.__name__ if etype else "Error", str(evalue)[:10_000],
                                [line[:2000] for line in stb[-20:]])

    shell._showtraceback = show_traceback
    return shell


# ---------------------------------------------------------------- the agent

class FromTheTest:
    """Something of the test's (a function, a helper object) that the student's code was given.

    It stays in the judge: calling it, or reading or setting its attributes or
    items, asks the judge, which answers with plain data (or another one of these).
    """
    __slots__ = ("_agent", "_id", "_type")

    def __init__(self, agent, number, type_name):
        for name, value in (("_agent", agent), ("_id", number), ("_type", type_name)):
            object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self._agent.call_back("call", self, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._agent.call_back("getattr", self, name)

    def __setattr__(self, name, value):
        self._agent.call_back("setattr", self, name, value)

    def __getitem__(self, key):
        return self._agent.call_back("getitem", self, key)

    def __setitem__(self, key, value):
        self._agent.call_back("setitem", self, key, value)

    def __iter__(self):
        return iter(self._agent.call_back("iterate", self))

    def __len__(self):
        return self._agent.call_back("len", self)

    def __bool__(self):                 # `if callback:` must not ask the test for a length
        return True

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return f"<{self._type} of the test>"


class Materialized:
    """The items of a generator or iterator the student's code returned, taken while the call ran."""

    def __init__(self, items):
        self.items = items


def _is_iterator(value):
    try:
        return hasattr(value, "__next__") and iter(value) is value
    except Exception:
        return False


OPERATIONS = {
    "call": lambda target, args, kwargs: target(*args, **kwargs),
    "getattr": getattr,
    "setattr": setattr,
    "getitem": lambda target, key: target[key],
    "setitem": lambda target, key, value: target.__setitem__(key, value),
    "iterate": lambda target: list(target),
    "len": len,
    "arithmetic": lambda target, name, other, reflected: _arithmetic(target, name, other, reflected),
}
ARITHMETIC = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos", "abs")


def _arithmetic(target, name, other, reflected):
    """`target + other` (or `other + target` when reflected) and the like, as the judge asked."""
    import operator
    if name not in ARITHMETIC:
        raise TypeError(f"{name} is not an arithmetic operator")
    function = getattr(operator, name)
    if name in ("neg", "pos", "abs"):
        return function(target)
    return function(other, target) if reflected else function(target, other)


class Agent:
    def __init__(self):
        self.outputs = None
        self.objects = {}             # handle -> object held for the judge
        self.handles = {}             # id(object) -> handle
        self.copied_classes = {}      # class -> {"module", "qualname"}: objects the judge sent as copies
        self.next_callback = 1
        self.codec = wire.Codec(other=self._encode_other, tagged=self._decode_tagged)
        self.shell = None
        self.probe = None

    # ---- plumbing
    def send(self, header, value=None, has_value=False):
        _leave_if_forked()
        if has_value:
            tree, buffers = self.codec.encode(value)
            header = dict(header, v=tree)
        else:
            buffers = []
        wire.send(REPLIES, header, buffers)

    def receive(self):
        _leave_if_forked()
        return wire.receive(REQUESTS, MAX_MESSAGE)

    # ---- values
    def _encode_other(self, value, encode):
        if type(value) is FromTheTest:
            return {"t": "jref", "id": value._id}
        if type(value) is Materialized:
            return {"t": "iter", "v": encode(value.items)}
        cls = type(value)
        if cls in self.copied_classes and hasattr(value, "__dict__"):
            return {"t": "object", "cls": self.copied_classes[cls], "state": encode(dict(vars(value)))}
        handle = self.handles.get(id(value))
        if handle is None:
            handle = self.handles[id(value)] = len(self.objects) + 1
            self.objects[handle] = value
        return {"t": "ref", "id": handle, "type": cls.__name__[:80], "callable": callable(value)}

    def _decode_tagged(self, tree, decode):
        tag = tree.get("t")
        if tag == "ref":
            return self.objects[tree["id"]]
        if tag == "global":
            return self.shell.user_ns[tree["name"]]
        if tag == "jref":
            return FromTheTest(self, tree["id"], str(tree.get("type", "object"))[:80])
        if tag == "object":
            return self._copy_of_the_tests(tree, decode)
        raise wire.ProtocolError(f"unknown tag {tag!r}")

    def _copy_of_the_tests(self, tree, decode):
        """An object the test sent by copy: same class here (from its module, or the notebook), same state."""
        reference = tree.get("cls") or {}
        module, qualname = str(reference.get("module")), str(reference.get("qualname"))
        if module == "__main__":
            cls = self.shell.user_ns.get(qualname)
        else:
            cls = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
        if not isinstance(cls, type):
            raise wire.ProtocolError(f"no class {qualname} here for an object of the test")
        self.copied_classes[cls] = {"module": module, "qualname": qualname}
        obj = cls.__new__(cls)
        state = decode(tree.get("state"))
        if type(state) is not dict:
            raise wire.ProtocolError("an object of the test without its state")
        vars(obj).update(state)
        return obj

    def call_back(self, op, target, *args):
        """Ask the judge to do `op` on something of the test's; wait for the answer."""
        with agent_code():
            request = self.next_callback
            self.next_callback += 1
            arguments = [target, *args]
            self.send({"op": "callback", "id": request, "cb_op": op}, arguments, has_value=True)
            header, value = self.serve(until=request)
        if header["op"] != "value":
            raise _exception(header.get("ename"), header.get("evalue"))
        result, changes = value if type(value) is list and len(value) == 2 else (None, {})
        if op == "call" and type(changes) is dict:
            wire.write_back((args[0], args[1]), changes)
        return result

    # ---- the loop
    def serve(self, until=None):
        """Answer requests; return (header, value) of the reply with id `until`."""
        while True:
            header, buffers = self.receive()
            op = header.get("op")
            if until is not None and op in ("value", "raised") and header.get("id") == until:
                value = self.codec.decode(header.get("v"), buffers) if op == "value" else None
                return header, value
            if until is None:
                State.pending = False
            if op in OPERATIONS:
                self.student_operation(header, buffers, OPERATIONS[op], returns_arguments=op == "call")
                continue
            handler = getattr(self, f"op_{op}", None)
            if handler is None:
                raise wire.ProtocolError(f"unknown request {op!r}")
            handler(header, buffers)

    def reply(self, request, value):
        self.send({"op": "value", "id": request["id"]}, value, has_value=True)

    def reply_raised(self, request, exc):
        self.send({"op": "raised", "id": request["id"], "ename": type(exc).__name__[:100],
                   "evalue": _text(exc)[:10_000], "where": _student_frame(exc)})

    def student_operation(self, request, buffers, operation, returns_arguments=False):
        """Decode the arguments, run `operation` as the student's code, reply with its result.

        For a call, the reply also carries the mutable arguments the student's
        code changed, so that the judge can write the changes back.
        """
        try:
            target, *arguments = self.codec.decode(request.get("a"), buffers)
        except Exception as exc:
            self.reply_raised(request, exc)
            return
        copied = tuple(self.copied_classes)
        before = wire.snapshot((arguments[0], arguments[1]), copied) if returns_arguments else None
        try:
            with student_code(), _context(request.get("ctx") or {}):
                result = operation(target, *arguments)
                if _is_iterator(result):    # a generator runs to its end now, inside the call
                    result = Materialized(list(result))
        except BaseException as exc:  # the student's code may raise anything
            self.reply_raised(request, exc)
            return
        changes = wire.changed(before, (arguments[0], arguments[1])) if returns_arguments else {}
        self.send({"op": "value", "id": request["id"]}, [result, changes], has_value=True)

    # ---- requests
    def op_prepare(self, request, buffers):
        """What every notebook needs: folders, HOME's files, the course's heavy imports, the shell.

        Nothing of a notebook yet: the grader may start this process before it
        knows which notebook it will run. Replies with the CPU seconds so far.
        """
        cwd = request["cwd"]
        for folder in (cwd, os.environ.get("HOME"), os.environ.get("TMPDIR")):
            if folder:
                os.makedirs(folder, exist_ok=True)
        _write_files(os.environ.get("HOME") or cwd, request.get("home_files", []), buffers)
        os.chdir(cwd)
        sys.path.insert(0, "")
        for module in request.get("preload", []):    # before any time limit
            try:
                importlib.import_module(module)
            except Exception:
                pass
        self.shell = _make_shell(self)
        probe = _load_sibling("probe")
        self.probe = probe.Probe(self.shell, request.get("allowed_roots", []), lambda: State.student,
                                 request.get("packages", []))
        self.reply(request, time.process_time())

    def op_files(self, request, buffers):
        """The notebook's own files, into the work folder; then its cells may run."""
        _write_files(os.getcwd(), request.get("files", []), buffers)
        importlib.invalidate_caches()                # a module among them must be found by the next import
        self.reply(request, "ready")

    def op_run(self, request, buffers):
        self.outputs = Outputs()
        with student_code():
            try:
                result = self.shell.run_cell(request["source"], store_history=True)
            except KeyboardInterrupt:
                result = None
                self.outputs.error("KeyboardInterrupt", "", [])
        outputs, self.outputs = self.outputs, None
        error = result.error_in_exec or result.error_before_exec if result is not None else KeyboardInterrupt()
        header = {"op": "ran", "id": request["id"], "status": "error" if error else "ok",
                  "stream_chars": outputs.stream_chars, "dropped": outputs.dropped}
        if error is not None:
            header.update(ename=type(error).__name__[:100], evalue=_text(error)[:10_000])
        self.send(header, outputs.items, has_value=True)

    def op_ping(self, request, buffers):
        """After each cell: the grader's check that this process still reads and answers."""
        self.reply(request, None)

    def op_lookup(self, request, buffers):
        """The values of global names of the notebook (absent names are left out)."""
        namespace = self.shell.user_ns
        self.reply(request, {name: namespace[name] for name in request.get("names", []) if name in namespace})

    def op_write_file(self, request, buffers):
        path = os.path.abspath(request["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(buffers[request["b"]])
        self.reply(request, path)

    def op_report(self, request, buffers):
        self.reply(request, self.probe.report() if self.probe else {"changed": [], "events": []})


def _write_files(folder, files, buffers):
    """[[relative path, buffer index], ...] into `folder`."""
    for path, index in files:
        full = os.path.join(folder, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as handle:
            handle.write(buffers[index])


@contextlib.contextmanager
def _context(ctx):
    """The judge's numpy error state and warning filter, for the student's code it calls."""
    import numpy
    with contextlib.ExitStack() as stack:
        errstate = ctx.get("np")
        if isinstance(errstate, dict):
            stack.enter_context(numpy.errstate(**{k: v for k, v in errstate.items()
                                                  if k in ("divide", "over", "under", "invalid")}))
        if ctx.get("warnings") == "error":
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("error")
        yield


def _text(exc):
    try:
        return str(exc)
    except Exception:
        return f"<{type(exc).__name__} whose message cannot be shown>"


def _exception(ename, evalue):
    import builtins
    kind = getattr(builtins, str(ename), None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        return kind(evalue)
    return RuntimeError(f"{ename}: {evalue}")


def _student_frame(exc):
    """'line N: code' of the innermost frame of the student's own cells, or ''."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if frame.filename.startswith("<ipython-input-") or "/ipykernel_" in frame.filename:
            return f"line {frame.lineno}: {(frame.line or '').strip()[:200]}"
    return ""


def main():
    global REQUESTS, REPLIES, INTERRUPTS
    REQUESTS, REPLIES, INTERRUPTS = (int(fd) for fd in sys.argv[1:4])
    agent = Agent()
    os.register_at_fork(after_in_child=lambda: setattr(State, "forked", True))
    signal.signal(signal.SIGINT, _on_sigint)
    threading.Thread(target=_watch_interrupts, args=(threading.get_ident(),), daemon=True).start()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    sys.stdout = StreamWriter(agent, "stdout")
    sys.stderr = StreamWriter(agent, "stderr")
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    wire.send(REPLIES, {"op": "hello", "pid": os.getpid()})
    try:
        agent.serve()
    except (wire.ChannelClosed, wire.ProtocolError):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
