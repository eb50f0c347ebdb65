"""Tamper awareness inside the student's process: a bonus, never the defence.

The verdicts are decided by the judge, outside this process, so nothing here
protects a grade. It only makes the usual tricks visible to the instructor:
what the student's code replaced (builtins, numpy's comparisons, the IPython
shell's hooks) and what it did that a notebook should not do (open files
outside its folder and the Python installation, use sockets, start
processes). Events count whoever makes the call while the student's code
runs, whichever module it goes through.
"""
import builtins
import os
import sys

WATCHED_EVENTS = ("socket.connect", "socket.bind", "socket.sendto", "subprocess.Popen", "os.system",
                  "os.exec", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.kill", "os.killpg",
                  "pty.spawn")
MAX_EVENTS = 50


class Probe:
    def __init__(self, shell, allowed_roots, student_running, packages=()):
        import numpy
        import numpy.testing
        self.shell = shell
        self.student_running = student_running      # a callable: is the student's code running now?
        self.roots = tuple(os.path.realpath(r).rstrip("/") + "/" for r in allowed_roots)
        self.events = []
        self.watched = {}
        self._watch("builtins", builtins, [n for n in dir(builtins) if not n.startswith("_")])
        self._watch("numpy", numpy, ["allclose", "isclose", "array_equal", "array", "asarray", "abs",
                                     "max", "min", "sum", "mean", "all", "any", "isfinite", "isnan", "ndarray",
                                     "float64", "testing", "random", "errstate", "seterr"])
        self._watch("numpy.testing", numpy.testing, [n for n in dir(numpy.testing) if n.startswith("assert")])
        for name, module in sorted(sys.modules.items()):    # the course's helper packages, as loaded so far
            if any(name == p or name.startswith(p + ".") for p in packages) and module is not None:
                self._watch(name, module, [n for n in dir(module) if not n.startswith("_")])
        self._watch("sys", sys, ["excepthook", "stdout", "stderr", "exit", "settrace", "setprofile"])
        self._watch("IPython shell", shell, ["showtraceback", "_showtraceback", "run_cell", "run_ast_nodes",
                                             "run_code", "custom_exceptions", "input_transformers_post",
                                             "ast_transformers"])
        self.input_transformers = list(shell.input_transformers_post)
        self.ast_transformers = list(shell.ast_transformers)
        self.callbacks = {event: list(handlers) for event, handlers in shell.events.callbacks.items()}
        sys.addaudithook(self._audit)

    def _watch(self, label, owner, names):
        for name in names:
            if hasattr(owner, name):
                value = getattr(owner, name)
                self.watched[(label, name)] = (owner, value, list(value) if type(value) is list else None)

    def _outside(self, path):
        if isinstance(path, int):
            return False
        try:
            full = os.path.realpath(os.fsdecode(path))
        except Exception:
            return False
        return not any(full == r[:-1] or full.startswith(r) for r in self.roots)

    def _audit(self, event, args):
        if len(self.events) >= MAX_EVENTS or not self.student_running():
            return
        if event == "open" and args and self._outside(args[0]):
            self.events.append(f"opened {os.fsdecode(args[0])!s}"[:300])
        elif event in WATCHED_EVENTS:
            self.events.append(f"{event} {str(args)[:120]}")

    def report(self):
        """{'changed': [...], 'events': [...]}: what differs from the start, what was done."""
        changed = []
        for (label, name), (owner, original, items) in self.watched.items():
            try:
                now = getattr(owner, name)
            except AttributeError:
                changed.append(f"{label}.{name} deleted")
                continue
            if not _same(now, original) or (items is not None and list(now) != items):
                changed.append(f"{label}.{name} replaced")
        for event, handlers in self.shell.events.callbacks.items():
            if any(_from_cell(h) for h in handlers if h not in self.callbacks.get(event, [])):
                changed.append(f"IPython '{event}' callback registered")
        if list(self.shell.input_transformers_post) != self.input_transformers:
            changed.append("IPython input transformer registered")
        if list(self.shell.ast_transformers) != self.ast_transformers:
            changed.append("IPython AST transformer registered")
        if sys.gettrace() is not None or sys.getprofile() is not None:
            changed.append("a trace or profile function was set")
        return {"changed": sorted(set(changed)), "events": list(self.events)}


def _from_cell(function):
    """True for a function defined in one of the notebook's cells (not by a library such as matplotlib)."""
    code = getattr(function, "__code__", None) or getattr(getattr(function, "__func__", None), "__code__", None)
    return code is None or code.co_filename.startswith("<")


def _same(now, original):
    if now is original:
        return True
    if hasattr(original, "__func__") and hasattr(original, "__self__"):   # a new bound-method object
        return getattr(now, "__func__", None) is original.__func__ and getattr(now, "__self__", None) is original.__self__
    return type(original) is tuple and type(now) is tuple and now == original
