"""The judge: runs the test cells outside the student's process and decides every verdict.

The judge executes the instructor's given cells and test cells (hidden parts
included) in a namespace of its own, with its own copy of the trusted
helpers. The names the student was asked to write are fetched from the
student's process just before a cell needs them: plain data comes over as a
copy, anything else (a function, a class, an instance) as a `Remote` handle.
Calling a handle, reading or setting its attributes or items sends a request
(sandboxed/wire.py) and returns plain data or another handle. Arguments go
over as data; mutable ones come back with the changes the student's code
made to them; functions of the test run here when the student's code calls
them. The test's numpy error state and warning filter apply to the student's
code it calls, and the student's exceptions come back as the same built-in
type (others as StudentCodeError). The verdict, its message and the score are
computed here; nothing of it is read from the student's process.
"""
import ast
import builtins
import contextlib
import copy
import io
import math
import signal
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import cells
from .kernel import KernelDied, TimedOut
from .sandboxed import wire


class StudentCodeError(Exception):
    """The student's code raised an exception that is not one of Python's built-in ones."""


class TestTimedOut(BaseException):
    """A test cell ran past its time limit."""


class JudgeStuck(BaseException):
    """The judge's own code ran far past the time limit (raised by an alarm)."""


@dataclass
class TestOutcome:
    grade_id: str
    points: float
    score: float
    status: str                 # passed, partial, failed
    detail: str = ""
    parts: list = field(default_factory=list)     # [{name, points, score, message}] for partial credit
    outputs: list = field(default_factory=list)   # nbformat outputs for the executed notebook


class Remote:
    """An object of the student's that stays in their process; call it, or read and set its attributes."""
    __slots__ = ("_judge", "_target", "_type", "_callable", "_generation", "_label")

    def __init__(self, judge, target, type_name, is_callable, generation, label=""):
        for name, value in (("_judge", judge), ("_target", target), ("_type", type_name),
                            ("_callable", is_callable), ("_generation", generation),
                            ("_label", label or target.get("name") or "")):
            object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self._judge.request("call", self, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = self._judge.request("getattr", self, name)
        if isinstance(value, Remote) and not value._label:     # name it for messages: net.forward_pass
            object.__setattr__(value, "_label", f"{self._label or self._type}.{name}")
        return value

    def __setattr__(self, name, value):
        self._judge.request("setattr", self, name, value)

    def __getitem__(self, key):
        return self._judge.request("getitem", self, key)

    def __setitem__(self, key, value):
        self._judge.request("setitem", self, key, value)

    def __iter__(self):
        return iter(self._judge.request("iterate", self))

    def _arithmetic(self, name, other=None, reflected=False):
        return self._judge.request("arithmetic", self, name, other, reflected)

    __add__ = lambda self, other: self._arithmetic("add", other)                          # noqa: E731
    __radd__ = lambda self, other: self._arithmetic("add", other, True)                   # noqa: E731
    __sub__ = lambda self, other: self._arithmetic("sub", other)                          # noqa: E731
    __rsub__ = lambda self, other: self._arithmetic("sub", other, True)                   # noqa: E731
    __mul__ = lambda self, other: self._arithmetic("mul", other)                          # noqa: E731
    __rmul__ = lambda self, other: self._arithmetic("mul", other, True)                   # noqa: E731
    __truediv__ = lambda self, other: self._arithmetic("truediv", other)                  # noqa: E731
    __rtruediv__ = lambda self, other: self._arithmetic("truediv", other, True)           # noqa: E731
    __pow__ = lambda self, other: self._arithmetic("pow", other)                          # noqa: E731
    __rpow__ = lambda self, other: self._arithmetic("pow", other, True)                   # noqa: E731
    __matmul__ = lambda self, other: self._arithmetic("matmul", other)                    # noqa: E731
    __rmatmul__ = lambda self, other: self._arithmetic("matmul", other, True)             # noqa: E731
    __neg__ = lambda self: self._arithmetic("neg")                                        # noqa: E731
    __abs__ = lambda self: self._arithmetic("abs")                                        # noqa: E731

    def __len__(self):
        return self._judge.request("len", self)

    def __bool__(self):                 # `if handle:` must not ask the student's object for a length
        return True

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return f"<the student's {self._type}{' ' + self._label if self._label else ''}>"


SHARED_OPERATIONS = {  # what the student's code may do with the test's things (see sandboxed/agent.py)
    "call": lambda target, args, kwargs: target(*args, **kwargs),
    "getattr": getattr,
    "setattr": setattr,
    "getitem": lambda target, key: target[key],
    "setitem": lambda target, key, value: target.__setitem__(key, value),
    "iterate": lambda target: list(target),
    "len": len,
}


class _MagicsIgnored:
    """`get_ipython()` in the judge: magics such as %matplotlib do nothing here."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = system = getoutput = run_line_magic


class Judge:
    def __init__(self, kernel, student_names, cell_timeout, file_hooks=(), files_folder=None):
        self.kernel = kernel
        self.student_names = frozenset(student_names)
        self.cell_timeout = cell_timeout
        self.file_hooks = list(file_hooks)
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _MagicsIgnored}
        self.shared = {}                  # id(object) -> number: the test's things the student's code can use
        self.shared_objects = {}          # number -> object
        self.copied_classes = {}          # (module, qualname) -> class sent by copy
        self.given_classes = set()        # classes defined by given cells
        self.given_modules = set()        # modules the given cells imported from the assignment's files
        self.files_folder = files_folder
        self.given_data = {}              # name -> a copy of the data a given cell made (see _keep_given_data)
        self.codec = wire.Codec(other=self._send_as, tagged=self._receive_as)
        self.deadline = None
        for hook in self.file_hooks:
            hook(self.write_student_file)

    def close(self):
        for hook in self.file_hooks:
            hook(None)

    # ---- values across the boundary
    def _send_as(self, value, encode):
        """How something of the judge's that is not plain data goes to the student's code."""
        if isinstance(value, Remote):
            if value._target.get("t") == "ref" and value._generation != self.kernel.generation:
                raise KernelRestartedError()
            return value._target
        reference = self._class_reference(type(value)) if hasattr(value, "__dict__") else None
        if reference is not None:          # an instance of the course's own classes: a copy, written back
            self.copied_classes[(reference["module"], reference["qualname"])] = type(value)
            return {"t": "object", "cls": reference, "state": encode(dict(vars(value)))}
        number = self.shared.setdefault(id(value), len(self.shared) + 1)
        self.shared_objects[number] = value
        return {"t": "jref", "id": number, "type": type(value).__name__[:80]}

    def _class_reference(self, cls):
        """{"module", "qualname"} for a class the student's process has too, else None.

        That is a class defined by a given cell, or one from a module of the
        assignment's files that a given cell imported. Anything else of the
        test's (functions, its own helper classes) is shared by reference
        instead: it stays here and the student's code uses it through callbacks.
        """
        module, qualname = getattr(cls, "__module__", None), getattr(cls, "__qualname__", None)
        if module == "__main__" and qualname in self.given_classes or module in self.given_modules:
            return {"module": module, "qualname": qualname}
        return None

    def _receive_as(self, tree, decode):
        tag = tree.get("t")
        if tag == "ref" and type(tree.get("id")) is int:
            return Remote(self, {"t": "ref", "id": tree["id"]}, str(tree.get("type", "object"))[:80],
                          bool(tree.get("callable")), self.kernel.generation)
        if tag == "jref" and tree.get("id") in self.shared_objects:
            return self.shared_objects[tree["id"]]
        if tag == "object":
            return self._copy_back(tree, decode)
        if tag == "iter":
            items = decode(tree.get("v"))
            if type(items) is not list:
                raise wire.ProtocolError("an iterator without its items")
            return iter(items)
        raise wire.ProtocolError(f"an unknown tag {str(tag)[:30]!r} in a value")

    def _copy_back(self, tree, decode):
        """An object of one of the classes the judge sent by copy, rebuilt with the judge's own class."""
        reference = tree.get("cls") if type(tree.get("cls")) is dict else {}
        cls = self.copied_classes.get((reference.get("module"), reference.get("qualname")))
        state = decode(tree.get("state"))
        if cls is None or type(state) is not dict or any(type(k) is not str for k in state):
            raise wire.ProtocolError("an object of a class the judge never sent")
        obj = cls.__new__(cls)
        vars(obj).update(state)
        return obj

    # ---- requests
    def _context(self):
        first = warnings.filters[0] if warnings.filters else None
        errors = first is not None and first[0] == "error" and first[2] is Warning
        return {"np": np.geterr(), "warnings": "error" if errors else None}

    def request(self, op, remote, *args):
        """Do `op` on a student's object; plain data or a Remote back (or the student's exception)."""
        tree, buffers = self.codec.encode([remote, *args])
        try:
            reply, reply_buffers = self.kernel.exchange({"op": op, "a": tree, "ctx": self._context()}, buffers,
                                                        self.deadline, on_callback=self._serve_callback)
        except TimedOut:
            raise TestTimedOut() from None
        if reply.get("op") == "raised":
            raise _student_exception(reply, _describe(op, remote, args))
        try:
            result, changed = self.codec.decode(reply.get("v"), reply_buffers)
        except (wire.ProtocolError, TypeError, ValueError) as exc:
            raise StudentCodeError(f"the student's process sent back a value that cannot be read ({exc})") from None
        if op == "call" and type(changed) is dict:
            wire.write_back((args[0], args[1]), changed)
        return result

    def _serve_callback(self, header, buffers):
        """The student's code used something of the test's (called it, read an attribute...): do it here."""
        operation = SHARED_OPERATIONS.get(header.get("cb_op"))
        try:
            if operation is None:
                raise RuntimeError("the student's code asked the test for something unknown")
            target, *arguments = self.codec.decode(header.get("v"), buffers)
            if type(target) is Remote:
                raise RuntimeError("the student's code asked the test to use the student's own object")
            call = header.get("cb_op") == "call"
            before = wire.snapshot((arguments[0], arguments[1]), tuple(self.copied_classes.values())) if call else {}
            result = operation(target, *arguments)
            changes = wire.changed(before, (arguments[0], arguments[1])) if call else {}
            tree, result_buffers = self.codec.encode([result, changes])
        except (KernelDied, JudgeStuck, TestTimedOut):
            raise
        except Exception as exc:
            return {"op": "raised", "ename": type(exc).__name__, "evalue": str(exc)[:2000]}, []
        return {"op": "value", "v": tree}, result_buffers

    def write_student_file(self, name, data):
        """Put a file into the student's work folder; its path as the student's code sees it."""
        deadline = self.deadline or time.monotonic() + self.cell_timeout
        reply, _ = self.kernel.exchange({"op": "write_file", "path": str(name), "b": 0}, [bytes(data)], deadline)
        if reply.get("op") != "value" or type(reply.get("v")) is not str:
            raise StudentCodeError("the file could not be written in the student's folder")
        return reply["v"]

    # ---- names
    def _bind_student_names(self, source):
        wanted = sorted(cells.global_reads(source) & self.student_names)
        for name in wanted:
            self.namespace.pop(name, None)
        if not wanted:
            return
        reply, reply_buffers = self.kernel.exchange({"op": "lookup", "names": wanted}, [], self.deadline)
        found = self.codec.decode(reply.get("v"), reply_buffers) if reply.get("op") == "value" else {}
        if type(found) is not dict:
            raise StudentCodeError("the student's process answered a lookup with something else")
        for name, value in found.items():
            if name not in wanted:
                continue
            if isinstance(value, Remote):       # by name: still valid after a restart of the process
                value = Remote(self, {"t": "global", "name": name}, value._type, value._callable,
                               self.kernel.generation)
            self.namespace[name] = value

    # ---- cells
    def run_given(self, source):
        """Run a given cell (setup, data, helpers) here too, so that tests use the instructor's copy."""
        self.deadline = time.monotonic() + self.cell_timeout
        try:
            self._bind_student_names(source)
            with _quiet(), _alarm(self.cell_timeout + 30):
                _execute(source, self.namespace, "<given cell>")
            self._note_given_classes(source)
            self._keep_given_data(source)
        except (KernelDied, JudgeStuck):
            raise
        except BaseException as exc:  # noqa: BLE001  a given cell that fails in the judge hurts only its tests
            return f"{type(exc).__name__}: {exc}"
        finally:
            self.deadline = None
            _close_figures()
        return ""

    def _keep_given_data(self, source):
        """Remember the data a given cell made; every test starts from this copy again.

        A student's function may change the arrays it is given; without this, a
        test that passed given data would leave it changed for every later test.
        """
        for name in cells.bound_names(source):
            value = self.namespace.get(name)
            if type(value) in (np.ndarray, list, dict, set):
                try:
                    self.given_data[name] = copy.deepcopy(value)
                except Exception:  # something that cannot be copied is left as it is
                    self.given_data.pop(name, None)

    def _fresh_given_data(self):
        for name, value in self.given_data.items():
            self.namespace[name] = copy.deepcopy(value)

    def _note_given_classes(self, source):
        """Classes of given cells and modules of the assignment's files: sent to the student by copy."""
        for name in cells.bound_names(source):
            value = self.namespace.get(name)
            if isinstance(value, type) and value.__module__ == "__main__":
                self.given_classes.add(value.__qualname__)
            module = sys.modules.get(getattr(value, "__module__", None) or "")
            if self.files_folder and str(getattr(module, "__file__", "") or "").startswith(self.files_folder):
                self.given_modules.add(module.__name__)

    def run_test(self, grade_id, source, points):
        """Run a test cell and decide: passed, partial (a score from its last value) or failed."""
        self.deadline = time.monotonic() + self.cell_timeout
        printed = io.StringIO()
        self._fresh_given_data()
        try:
            self._bind_student_names(source)
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed), \
                    _alarm(self.cell_timeout + 30), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = _execute(source, self.namespace, f"<test {grade_id}>")
        except (KernelDied, JudgeStuck):
            raise
        except TestTimedOut:
            return self._failed(grade_id, points, printed, f"the test ran longer than {self.cell_timeout:g} s "
                                                          "(is there an endless loop in your code?)")
        except KernelRestartedError as exc:
            return self._failed(grade_id, points, printed, str(exc))
        except BaseException as exc:  # noqa: BLE001  any failure of a test is a verdict, never a crash
            return self._failed(grade_id, points, printed, _message(exc))
        finally:
            self.deadline = None
            _close_figures()
        return self._scored(grade_id, points, value, printed)

    def _failed(self, grade_id, points, printed, message):
        outputs = _printed_outputs(printed) + [{"output_type": "error", "ename": "AssertionError",
                                               "evalue": message, "traceback": []}]
        return TestOutcome(grade_id, points, 0.0, "failed", message, outputs=outputs)

    def _scored(self, grade_id, points, value, printed):
        outputs = _printed_outputs(printed)
        parts = _parts(value)
        score = _partial_score(value, points)
        if score is None:
            return TestOutcome(grade_id, points, points, "passed", parts=parts, outputs=outputs)
        outputs.append({"output_type": "execute_result", "execution_count": None, "metadata": {},
                        "data": {"text/plain": f"{score:g}"}})
        detail = " / ".join(f"{p['name']}: {p['message']}" for p in parts if p.get("score", 0) < p.get("points", 0))
        status = "passed" if score >= points else "failed" if score <= 0 else "partial"
        return TestOutcome(grade_id, points, score, status, detail, parts=parts, outputs=outputs)


class KernelRestartedError(Exception):
    def __init__(self):
        super().__init__("the student's process was restarted earlier (a crash or a time limit), so the "
                         "objects made before that are gone")


# ---------------------------------------------------------------- helpers

def _execute(source, namespace, filename):
    """Run the cell; the value of its last line if that is an expression (as IPython shows it)."""
    tree = ast.parse(cells.python_source(source), filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), filename, "eval"), namespace)


def _student_exception(reply, call):
    ename, evalue = str(reply.get("ename", "Exception"))[:100], str(reply.get("evalue", ""))[:10_000]
    where = str(reply.get("where", ""))[:300]
    if ename == "NotImplementedError" and "NotImplementedError" in where:
        message = f"{call.split('(')[0]} is not written yet: it still raises NotImplementedError"
    else:
        message = f"{call} raised {ename}: {evalue}" + (f" (your code, {where})" if where else "")
    kind = getattr(builtins, ename, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind not in (StopIteration, StopAsyncIteration):
        try:
            exc = kind(evalue)
        except Exception:
            exc = StudentCodeError(message)
    else:
        exc = StudentCodeError(message)
    exc.student_message = message
    return exc


def _describe(op, remote, args):
    """`relu(array of shape (2, 3))`, `net.params`: what the test did, for messages."""
    name = remote._label or f"the {remote._type}"
    if op == "call":
        shown = [_short(a) for a in args[0]] + [f"{k}={_short(v)}" for k, v in args[1].items()]
        return f"{name}({', '.join(shown)})"
    if op in ("getattr", "setattr"):
        return f"{name}.{args[0]}"
    if op == "arithmetic":
        return f"{name} {args[0]} {_short(args[1])}" if args[1] is not None else f"{args[0]}({name})"
    return f"{name}[{_short(args[0]) if args else ''}]"


def _short(value):
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}" if value.size > 6 else np.array2string(value, separator=", ")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(exc):
    if hasattr(exc, "student_message"):
        return exc.student_message
    if isinstance(exc, AssertionError):
        return str(exc) or "a check of this test failed"
    return f"{type(exc).__name__}: {exc}"


def _parts(value):
    """The parts of a partial-credit test: a value with grading_parts() -> [{name, points, score, message}]."""
    method = getattr(type(value), "grading_parts", None)
    if method is None:
        return []
    try:
        parts = method(value)
        return [{"name": str(p["name"])[:200], "points": float(p["points"]), "score": float(p["score"]),
                 "message": str(p.get("message", ""))[:2000]} for p in parts]
    except Exception:
        return []


def _partial_score(value, points):
    """nbgrader's partial credit: a last value that reads as a number is the score (clamped)."""
    if value is None or isinstance(value, (bool, str)):
        return None
    try:
        score = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(score):
        return 0.0
    return min(max(score, 0.0), float(points))


def _printed_outputs(printed):
    text = printed.getvalue()[:20_000]
    return [{"output_type": "stream", "name": "stdout", "text": text}] if text else []


@contextlib.contextmanager
def _quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _alarm(seconds):
    """Stop the judge's own code if it runs far past the cell's time limit."""
    def stuck(signum, frame):
        raise JudgeStuck()

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _close_figures():
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
