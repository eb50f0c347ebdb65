"""Code the grader runs inside the student's kernel, before and around the student's cells.

This file is not imported by the grader: its text is sent to the kernel (which
cannot see the repository) with NONCE replaced by a random token. It records
what the tests rely on, and an audit hook logs what a notebook should not do
(open files outside its folder and Python's, use sockets, start processes).
`__autograder_NONCE(label)` reports, as one JSON line, what has changed since.
A determined student can still find and defeat this; it raises the bar and
makes the common tricks visible.
"""


def _install(nonce, allowed_roots):
    import builtins
    import json
    import os
    import sys

    import numpy
    import numpy.testing

    try:
        import bpkit.checks
        import bpkit.gradcheck
        bpkit_modules = {"bpkit.checks": bpkit.checks, "bpkit.gradcheck": bpkit.gradcheck}
    except Exception:  # the course's helpers are not importable: nothing to watch there
        bpkit_modules = {}

    shell = get_ipython()  # noqa: F821 (defined in an IPython kernel)
    watched = {}

    def watch(label, owner, names):
        for name in names:
            if hasattr(owner, name):
                watched[(label, name)] = (owner, name, getattr(owner, name))

    watch("builtins", builtins, [n for n in dir(builtins) if not n.startswith("_")])
    watch("numpy", numpy, ["allclose", "isclose", "array_equal", "array", "asarray", "abs", "absolute",
                           "max", "min", "sum", "mean", "all", "any", "isfinite", "isnan", "shape",
                           "ndarray", "float64", "linalg", "testing", "random"])
    watch("numpy.testing", numpy.testing, [n for n in dir(numpy.testing) if n.startswith("assert")])
    for label, module in bpkit_modules.items():
        watch(label, module, [n for n in dir(module) if not n.startswith("_")])
    watch("sys", sys, ["excepthook", "stdout", "stderr", "exit"])
    watch("IPython shell", shell, ["showtraceback", "_showtraceback", "showsyntaxerror", "run_cell",
                                   "run_cell_async", "run_ast_nodes", "run_code", "custom_exceptions"])
    import tempfile
    cell_files = os.path.join(tempfile.gettempdir(), f"ipykernel_{os.getpid()}")
    import sysconfig
    standard_library = os.path.realpath(sysconfig.get_paths()["stdlib"])

    def from_cell(code):
        name = getattr(code, "co_filename", "")
        return name.startswith(cell_files) or name.startswith("<")

    def called_from_cell():
        """True if the nearest caller outside the standard library is the notebook's own code."""
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if from_cell(frame.f_code) or not os.path.realpath(name).startswith(standard_library):
                return from_cell(frame.f_code)
            frame = frame.f_back
        return False

    events = []
    roots = tuple(os.path.realpath(r) for r in allowed_roots)

    def outside(path):
        if isinstance(path, int):
            return False
        try:
            full = os.path.realpath(os.fsdecode(path))
        except Exception:
            return False
        return not any(full == r or full.startswith(r.rstrip("/") + "/") for r in roots)

    def audit(event, args):
        if len(events) >= 50:
            return
        if event == "open" and args and outside(args[0]):
            events.append(f"opened {os.fsdecode(args[0])!s}")
        elif event in ("socket.connect", "socket.bind", "socket.sendto", "subprocess.Popen", "os.system",
                       "os.exec", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.kill",
                       "os.killpg", "ctypes.dlopen") and called_from_cell():
            events.append(f"{event} {str(args)[:120]}")

    sys.addaudithook(audit)

    def _same(now, original):
        if now is original:
            return True
        if hasattr(original, "__func__") and hasattr(original, "__self__"):  # a new bound method object
            return (getattr(now, "__func__", None) is original.__func__
                    and getattr(now, "__self__", None) is original.__self__)
        return type(original) is tuple and type(now) is tuple and now == original

    stdout = sys.stdout

    def report(label):
        changed = []
        for (owner_label, name), (owner, attr, original) in watched.items():
            try:
                now = getattr(owner, attr)
            except AttributeError:
                changed.append(f"{owner_label}.{name} deleted")
                continue
            if not _same(now, original):
                changed.append(f"{owner_label}.{name} replaced")
        for event, handlers in shell.events.callbacks.items():
            if any(from_cell(getattr(h, "__code__", None)) for h in handlers):
                changed.append(f"IPython '{event}' callback registered")
        line = json.dumps({"label": label, "changed": sorted(set(changed)), "events": list(events)})
        stdout.write(f"\n@@{nonce}@@{line}\n")
        stdout.flush()

    setattr(builtins, f"__autograder_{nonce}", report)


_install(NONCE, ALLOWED_ROOTS)
del _install
