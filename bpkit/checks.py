"""Assertions with helpful feedback, used by the tests in the notebooks.

Each check raises AssertionError with a message that says *what* is wrong
(missing return, wrong type, wrong shape, nan, wrong values) and, when it
recognises a common mistake, *why*.

The value comparison uses plain numpy arithmetic on float64 copies instead
of np.allclose / np.isclose, so that a notebook that (accidentally or not)
replaced those functions cannot make a wrong answer pass.
"""

import warnings

import numpy as np

__all__ = ["assert_close", "assert_no_warnings", "assert_callable", "plain", "Checks", "student_file"]

_MAX_LISTED = 3  # how many wrong entries a message lists


# ---------------------------------------------------------------- formatting

def _format_index(index) -> str:
    """'2' for a 1-d index, '(0, 1)' for a multi-dimensional one."""
    index = tuple(int(i) for i in index)
    return str(index[0]) if len(index) == 1 else str(index)


def _format_pair(expected, got):
    """Format two numbers with just enough digits to tell them apart."""
    for digits in (6, 10, 17):
        expected_text, got_text = f"{expected:.{digits}g}", f"{got:.{digits}g}"
        if expected_text != got_text:
            break
    return expected_text, got_text


def _short_repr(value, limit=60) -> str:
    """repr() on one line, shortened to about `limit` characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- comparison

def _is_finite(a):
    """Element-wise finiteness with plain arithmetic (nan and inf fail)."""
    with np.errstate(invalid="ignore"):
        return abs(a) < np.inf


def _wrong_entries(got, expected, rtol, atol):
    """Boolean mask of entries where |got - expected| > atol + rtol * |expected|.

    Both arrays must have the same shape. Non-finite expected entries must be
    matched exactly (nan by nan, inf by inf of the same sign).
    """
    with np.errstate(all="ignore"):
        close = abs(got - expected) <= atol + rtol * abs(expected)
    close &= _is_finite(expected)  # an infinite tolerance would accept anything
    both_nan = (got != got) & (expected != expected)
    return ~(close | (got == expected) | both_nan)


# ---------------------------------------------------------------- the steps

def _first_none_index(value, prefix=()):
    """Index of the first None inside nested lists/tuples, else None."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if item is None:
                return prefix + (i,)
            found = _first_none_index(item, prefix + (i,))
            if found is not None:
                return found
    return None


def _to_float_array(got, name):
    """A float64 copy of `got`, or AssertionError saying why that is impossible."""
    if isinstance(got, (str, bytes)):
        raise AssertionError(
            f"`{name}` is a {type(got).__name__} ({_short_repr(got)}), "
            f"but should be a number or an array of numbers"
        )
    if callable(got):
        raise AssertionError(
            f"`{name}` is a function, not a number: did you forget to call it?"
        )
    none_index = _first_none_index(got)
    if none_index is not None:
        raise AssertionError(
            f"`{name}` contains None at index {_format_index(none_index)}: "
            f"did a helper function forget to `return`?"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. dropping imaginary parts
            return np.array(got, dtype=float)
    except (TypeError, ValueError, Warning) as err:
        raise AssertionError(
            f"`{name}` is a {type(got).__name__} that cannot be read as an "
            f"array of numbers ({err})"
        ) from None


def _shape_hint(got, expected) -> str:
    """Explain a common shape confusion, or return ''."""
    if len(got) == 1 and len(expected) == 2:
        (n,) = got
        if expected == (n, 1):
            return f"it is missing the column axis (a column vector has shape ({n}, 1))"
        if expected == (1, n):
            return f"it is missing the row axis (a row vector has shape (1, {n}))"
    if len(got) == 2 and len(expected) == 1:
        (n,) = expected
        if got == (n, 1):
            return "it has an extra column axis of length 1"
        if got == (1, n):
            return "it has an extra row axis of length 1"
    if len(got) == 2 and got[0] == got[1] > 1:
        n = got[0]
        if expected in [(n,), (n, 1)]:
            return f"this looks like broadcasting between a ({n},) and a ({n}, 1) array"
    if len(got) == 2 and got == expected[::-1]:
        return "it looks transposed (rows and columns swapped)"
    if got == ():
        return "it is a single number, but an array is expected"
    if expected == ():
        return "it should be a single number, not an array"
    if int(np.prod(got)) == int(np.prod(expected)):
        return "it has the right number of entries, arranged differently"
    return ""


def _shape_problem(got, expected, name):
    if got.shape == expected.shape:
        return None
    message = f"`{name}` has shape {got.shape} but should have shape {expected.shape}"
    hint = _shape_hint(got.shape, expected.shape)
    return f"{message}: {hint}" if hint else message


def _nonfinite_problem(got, expected, name):
    bad = ~_is_finite(got) & _is_finite(expected)
    if not bad.any():
        return None
    first = np.argwhere(bad)[0]
    first_value = got[tuple(first)]
    if got.size == 1:
        return f"`{name}` is {first_value} but should be {expected.item():.6g}"
    n_bad = int(bad.sum())
    entries = "entry" if n_bad == 1 else "entries"
    return (
        f"`{name}` contains {first_value} at index {_format_index(first)} "
        f"({n_bad} non-finite {entries} out of {got.size}): "
        f"an overflow or a division by zero?"
    )


def _value_problem(got, expected, name, rtol, atol):
    wrong = _wrong_entries(got, expected, rtol, atol)
    if not wrong.any():
        return None
    if got.size == 1:
        expected_text, got_text = _format_pair(expected.item(), got.item())
        return f"`{name}` is wrong: expected {expected_text}, got {got_text}"

    n_wrong = int(wrong.sum())
    entries = "entry" if n_wrong == 1 else "entries"
    lines = [f"`{name}` has {n_wrong} wrong {entries} out of {got.size}:"]
    wrong_indices = np.argwhere(wrong)
    for index in wrong_indices[:_MAX_LISTED]:
        expected_text, got_text = _format_pair(expected[tuple(index)], got[tuple(index)])
        lines.append(
            f"  at index {_format_index(index)}: expected {expected_text}, got {got_text}"
        )
    if n_wrong > _MAX_LISTED:
        lines.append(f"  ... and {n_wrong - _MAX_LISTED} more")
    with np.errstate(all="ignore"):
        max_diff = abs(got - expected)[wrong].max()
    lines.append(f"  max absolute difference: {max_diff:.3g}")
    return "\n".join(lines)


def _matching_mistake(got, mistakes, rtol, atol):
    """Label of the first known mistake whose value matches `got`, else None."""
    for label, value in (mistakes or {}).items():
        try:
            value = np.array(value, dtype=float)
        except (TypeError, ValueError):
            continue
        if value.shape == got.shape and not _wrong_entries(got, value, rtol, atol).any():
            return label
    return None


# ---------------------------------------------------------------- public API

def assert_close(got, expected, name="result", rtol=1e-6, atol=1e-9, mistakes=None):
    """Assert that `got` equals `expected` up to |got - expected| <= atol + rtol*|expected|.

    Checks, in order: `got` is not None, it can be read as numbers, its shape
    matches (Python floats, numpy scalars and 0-d arrays all count as shape
    ()), it has no nan/inf where `expected` is finite, and its values are
    close. The AssertionError message names the first problem found.

    mistakes: optional dict label -> value that a known wrong answer would
    give. If `got` fails and matches one of them, the message ends with
    "This looks like: <label>".
    """
    __tracebackhide__ = True  # pytest: hide this frame in tracebacks
    if got is None:
        raise AssertionError(
            f"`{name}` is None: did the function forget to `return` its result?"
        )
    got_array = _to_float_array(got, name)
    expected_array = np.array(expected, dtype=float)

    problem = (
        _shape_problem(got_array, expected_array, name)
        or _nonfinite_problem(got_array, expected_array, name)
        or _value_problem(got_array, expected_array, name, rtol, atol)
    )
    if problem is None:
        return None
    label = _matching_mistake(got_array, mistakes, rtol, atol)
    if label is not None:
        problem += f"\nThis looks like: {label}"
    raise AssertionError(problem)


def plain(value, name="result"):
    """`value` rebuilt from exact built-in types, for tests to compare safely.

    A student's function could return an object whose ==, < or len() lie
    (a subclass of str or float, say). Tests compare `plain(got)` instead:
    strings must be exactly str, numbers become float (booleans stay bool),
    numpy arrays become plain float64 arrays, and dicts, lists and tuples
    are rebuilt with their contents made plain. Anything else raises an
    AssertionError naming the type.
    """
    __tracebackhide__ = True
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind in (int, float) or isinstance(value, (np.integer, np.floating, np.bool_)):
        return bool(value) if isinstance(value, np.bool_) else float(np.float64(value))
    if isinstance(value, np.ndarray):
        return _to_float_array(np.asarray(value), name)
    if kind is dict:
        return {plain(k, name): plain(v, f"{name}[{k!r}]") for k, v in dict.items(value)}
    if kind in (list, tuple):
        items = [plain(v, f"{name}[{i}]") for i, v in enumerate(list.__iter__(value) if kind is list
                                                                 else tuple.__iter__(value))]
        return items if kind is list else tuple(items)
    raise AssertionError(f"`{name}` is a {kind.__name__}; return a plain {_plain_hint(value)} instead")


def _plain_hint(value):
    if isinstance(value, str):
        return "str"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "dict"
    return "number, string, list, dict or numpy array"


def _describe_call(fn, args, kwargs) -> str:
    """'name(arg, key=value)' with short one-line reprs."""
    parts = [_short_repr(arg) for arg in args]
    parts += [f"{key}={_short_repr(value)}" for key, value in kwargs.items()]
    return f"{getattr(fn, '__name__', repr(fn))}({', '.join(parts)})"


def _warning_hint(message: str) -> str:
    if "overflow" in message:
        return "Large inputs must not overflow."
    if "divide" in message:
        return "Avoid dividing by zero."
    if "invalid" in message:
        return "An invalid operation (such as inf - inf, 0 * inf or 0 / 0) produced nan."
    return ""


def assert_no_warnings(fn, *args, **kwargs):
    """Call fn(*args, **kwargs) and fail if it triggers a numpy or Python warning.

    numpy overflow, division by zero and invalid operations raise, and every
    Python warning is turned into an error. Underflow is allowed: exp(-1000)
    quietly becoming 0.0 is what numerically stable code relies on.
    Exceptions other than warnings propagate unchanged. Returns fn's result.
    """
    __tracebackhide__ = True
    try:
        with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error")
            return fn(*args, **kwargs)
    except (FloatingPointError, Warning) as err:
        problem = err
    message = f"{_describe_call(fn, args, kwargs)} raised a warning: {problem}."
    hint = _warning_hint(str(problem))
    raise AssertionError(f"{message} {hint}" if hint else message) from problem


def assert_callable(obj, name):
    """Fail with a clear message unless `obj` is a function (or other callable)."""
    __tracebackhide__ = True
    if not callable(obj):
        raise AssertionError(
            f"`{name}` should be a function, but it is a {type(obj).__name__}"
        )


# ---------------------------------------------------------------- partial credit

class Checks:
    """Partial credit for a test cell that checks several independent things.

    Each part is a `with` block worth some points; a failing part costs only
    its own points, and the next parts still run. End the cell with the
    object itself as its last line: nbgrader reads the score from that
    output (partial credit), JupyterLab shows a table of the parts, and the
    course's grader reads the parts for the feedback page.

        _checks = Checks()
        with _checks.part("the weights' gradients", 2):
            assert_close(...)
        with _checks.part("the biases' gradients", 1):
            assert_close(...)
        _checks
    """

    def __init__(self):
        self.parts = []

    class _Part:
        def __init__(self, owner, name, points):
            self.owner, self.name, self.points = owner, name, float(points)

        def __enter__(self):
            return self

        def __exit__(self, kind, error, traceback):
            if kind is None:
                message, score = "", self.points
            elif issubclass(kind, Exception):
                message, score = _failure_text(error), 0.0
            else:                         # KeyboardInterrupt and the like stop the cell
                return False
            self.owner.parts.append({"name": self.name, "points": self.points, "score": score, "message": message})
            return True

    def part(self, name, points):
        """A `with` block worth `points`: full points if it runs to its end, none if it raises."""
        return self._Part(self, name, points)

    @property
    def score(self):
        return sum(p["score"] for p in self.parts)

    def grading_parts(self):
        """The parts as dicts (name, points, score, message), for the grader's feedback."""
        return [dict(p) for p in self.parts]

    def __float__(self):
        return float(self.score)

    def __repr__(self):
        return f"{self.score:g}"

    def _repr_markdown_(self):
        rows = ["| part | points | |", "|---|---|---|"]
        for p in self.parts:
            verdict = "passed" if p["score"] >= p["points"] else p["message"].replace("\n", " ").replace("|", "\\|")
            rows.append(f"| {p['name']} | {p['score']:g} / {p['points']:g} | {verdict} |")
        total = sum(p["points"] for p in self.parts)
        return f"**{self.score:g} of {total:g} points**\n\n" + "\n".join(rows)


def _failure_text(error):
    """What a failed part says: the check's message, or what the student's code raised.

    When the course's grader calls the student's code from outside their process,
    the exception it raises carries the grader's description in `student_message`.
    """
    described = getattr(error, "student_message", None)
    if described:
        return str(described)
    text = str(error) or type(error).__name__
    return text if isinstance(error, AssertionError) else f"{type(error).__name__}: {text}"


# ---------------------------------------------------------------- files for the student's code

def _write_locally(name, data):
    import os
    import tempfile
    folder = tempfile.mkdtemp(prefix="bpkit-test-")
    path = os.path.join(folder, os.path.basename(name))
    with open(path, "wb") as handle:
        handle.write(data)
    return path


_file_writer = _write_locally


def student_file(name, data):
    """Write `data` (bytes) to a new file the student's code can open; return its path.

    In the notebook (and under nbgrader) that is a fresh temporary folder.
    When the course's grader runs a test outside the student's process, it
    puts the file in the student's own folder instead (see set_file_writer).
    """
    return _file_writer(name, bytes(data))


def set_file_writer(writer):
    """Used by the grader: `writer(name, data) -> path`, or None for the default."""
    global _file_writer
    _file_writer = writer or _write_locally
