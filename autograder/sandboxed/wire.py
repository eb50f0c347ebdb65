"""Messages between the judge and the sandboxed agent, and the plain data they carry.

A message is a frame: a 4-byte big-endian length, a JSON header of that
length, then the binary buffers the header counts (each with an 8-byte
length). Values travel as a JSON tree with tagged objects:

    None, bool, int, float, str, list     as JSON (NaN and infinities allowed)
    {"t": "tuple"|"set"|"frozenset", "v": [...]}
    {"t": "dict", "v": [[key, value], ...]}
    {"t": "complex", "v": [re, im]}
    {"t": "bytes", "b": i}                buffer i
    {"t": "nd", "dtype": "<f8", "shape": [2, 3], "b": i}     a numpy array
    {"t": "nds", "dtype": "<f8", "b": i}                     a numpy scalar
    {"t": "ndo", "shape": [...], "v": [...]}                 a numpy array of objects
    {"t": "rng", "bit": "PCG64", "state": {...}}             a numpy random Generator (copied by state)
    {"t": "ref", ...}, {"t": "callback", ...}, ...           anything else: decided by the caller

Both sides use `Codec`: `encode` turns a value into (tree, buffers) and asks
`other(value, encode)` for anything not in the list above; `decode` rebuilds
values and asks `tagged(tree, decode)` for unknown tags (`encode` and
`decode` handle the parts of such a value). Decoding is strict: sizes, depth,
counts and dtypes are checked, and only built-in types and numpy arrays are
ever made, so whatever the student's process sends can only become data.
"""
import json
import os
import re
import select
import struct
import time

import numpy as np

MAX_DEPTH = 64
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
MAX_ITEMS = 2_000_000              # list items, dict entries, array elements of object arrays
MAX_STR = 20_000_000               # characters of one string
SAFE_DTYPE = re.compile(r"^[<>|=]?(b1|i[1248]|u[1248]|f[248]|c(8|16)|U[1-9]\d{0,5})$")


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


class ChannelClosed(Exception):
    """The other side closed its end (it exited or died)."""


# ---------------------------------------------------------------- framing
# Without a deadline the file descriptors block (the agent's side). With one they must be
# non-blocking (the grader's side): a peer that stops reading or writing half-way then costs
# at most the deadline, and `Timeout.started` tells whether a frame was cut in the middle.

class Timeout(Exception):
    """The deadline passed; `started` is True if part of a frame had already gone through."""

    def __init__(self, started):
        super().__init__("the deadline passed" + (" in the middle of a message" if started else ""))
        self.started = started


def _wait(fd, for_write, deadline, started):
    if deadline is None:
        return
    left = deadline - time.monotonic()
    ready = select.select([], [fd], [], max(0.0, left)) if for_write else select.select([fd], [], [], max(0.0, left))
    if not any(ready):
        raise Timeout(started)


def _read_exactly(fd, n, deadline=None, started=False):
    chunks, left = [], n
    while left:
        _wait(fd, False, deadline, started or bool(chunks))
        try:
            chunk = os.read(fd, min(left, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise ChannelClosed("the channel was closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd, data, deadline=None):
    view = memoryview(data)
    total = len(view)
    while view:
        _wait(fd, True, deadline, len(view) < total)
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        except BrokenPipeError:
            raise ChannelClosed("the channel was closed") from None
        view = view[written:]


def send(fd, header, buffers=(), deadline=None):
    """Write one frame: the JSON header (with the buffer count) and the buffers."""
    header = dict(header, nbuf=len(buffers))
    body = json.dumps(header, separators=(",", ":")).encode()
    parts = [struct.pack(">I", len(body)), body]
    for buffer in buffers:
        buffer = bytes(buffer)
        parts += [struct.pack(">Q", len(buffer)), buffer]
    _write_all(fd, b"".join(parts), deadline)


def receive(fd, max_bytes, deadline=None):
    """Read one frame; (header dict, [buffers]). Raises ProtocolError past max_bytes in all."""
    (length,) = struct.unpack(">I", _read_exactly(fd, 4, deadline))
    limit = min(max_bytes, 64 << 20)
    if length > limit:
        raise ProtocolError(f"a message header of {length:,} bytes (limit {limit:,})")
    try:
        header = json.loads(_read_exactly(fd, length, deadline, True), parse_constant=_json_constant)
    except ValueError as exc:
        raise ProtocolError(f"a message header that is not JSON: {exc}") from None
    if type(header) is not dict or type(header.get("nbuf")) is not int or not 0 <= header["nbuf"] <= 100_000:
        raise ProtocolError("a message header without a valid buffer count")
    total, buffers = length, []
    for _ in range(header["nbuf"]):
        (size,) = struct.unpack(">Q", _read_exactly(fd, 8, deadline, True))
        total += size + 8
        if total > max_bytes:
            raise ProtocolError(f"a message of more than {max_bytes:,} bytes")
        buffers.append(_read_exactly(fd, size, deadline, True))
    return header, buffers


def _json_constant(name):
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


# ---------------------------------------------------------------- values

class Codec:
    """Plain values to and from (JSON tree, buffers); see the module docstring."""

    def __init__(self, other=None, tagged=None):
        self.other = other or _refuse
        self.tagged = tagged or _unknown_tag

    # ---- encoding
    def encode(self, value):
        buffers = []
        return self._encode(value, buffers, 0), buffers

    def _encode(self, value, buffers, depth):
        if depth > MAX_DEPTH:
            raise ValueError("the value is nested too deeply")
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if kind is list:
            return [self._encode(v, buffers, depth + 1) for v in value]
        if kind in (tuple, set, frozenset):
            return {"t": kind.__name__, "v": [self._encode(v, buffers, depth + 1) for v in value]}
        if kind is dict:
            return {"t": "dict", "v": [[self._encode(k, buffers, depth + 1), self._encode(v, buffers, depth + 1)]
                                       for k, v in value.items()]}
        if kind is complex:
            return {"t": "complex", "v": [value.real, value.imag]}
        if kind is bytes:
            buffers.append(value)
            return {"t": "bytes", "b": len(buffers) - 1}
        if isinstance(value, np.ndarray):
            return self._encode_array(np.asarray(value), buffers, depth)
        if isinstance(value, np.generic) and SAFE_DTYPE.match(value.dtype.str):
            buffers.append(value.tobytes())
            return {"t": "nds", "dtype": value.dtype.str, "b": len(buffers) - 1}
        if kind is np.random.Generator and type(value.bit_generator).__name__ in BIT_GENERATORS:
            return {"t": "rng", "bit": type(value.bit_generator).__name__,
                    "state": self._encode(value.bit_generator.state, buffers, depth + 1)}
        return self.other(value, lambda part: self._encode(part, buffers, depth + 1))

    def _encode_array(self, array, buffers, depth):
        if array.dtype == object:
            return {"t": "ndo", "shape": list(array.shape),
                    "v": [self._encode(v, buffers, depth + 1) for v in array.ravel().tolist()]}
        if not SAFE_DTYPE.match(array.dtype.str):
            return self.other(array, lambda part: self._encode(part, buffers, depth + 1))
        buffers.append(np.ascontiguousarray(array).tobytes())
        return {"t": "nd", "dtype": array.dtype.str, "shape": list(array.shape), "b": len(buffers) - 1}

    # ---- decoding
    def decode(self, tree, buffers):
        counter = [0]
        return self._decode(tree, buffers, 0, counter)

    def _decode(self, tree, buffers, depth, counter):
        if depth > MAX_DEPTH:
            raise ProtocolError("a value nested too deeply")
        counter[0] += 1
        if counter[0] > MAX_ITEMS:
            raise ProtocolError("a value with too many items")
        kind = type(tree)
        if tree is None or kind in (bool, int, float):
            return tree
        if kind is str:
            if len(tree) > MAX_STR:
                raise ProtocolError("a string that is too long")
            return tree
        if kind is list:
            return [self._decode(v, buffers, depth + 1, counter) for v in tree]
        if kind is not dict or type(tree.get("t")) is not str:
            raise ProtocolError(f"an untagged {kind.__name__} in a value")
        tag = tree["t"]
        if tag in ("tuple", "set", "frozenset"):
            items = [self._decode(v, buffers, depth + 1, counter) for v in _list(tree, "v")]
            return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](_hashable(items) if tag != "tuple"
                                                                          else items)
        if tag == "dict":
            pairs = _list(tree, "v")
            result = {}
            for pair in pairs:
                if type(pair) is not list or len(pair) != 2:
                    raise ProtocolError("a dict entry that is not a [key, value] pair")
                key = self._decode(pair[0], buffers, depth + 1, counter)
                _hashable([key])
                result[key] = self._decode(pair[1], buffers, depth + 1, counter)
            return result
        if tag == "complex":
            re_im = _list(tree, "v")
            if len(re_im) != 2 or any(type(x) not in (int, float) for x in re_im):
                raise ProtocolError("a complex number that is not [re, im]")
            return complex(*re_im)
        if tag == "bytes":
            return _buffer(tree, buffers)
        if tag == "nd":
            return _array(tree, buffers)
        if tag == "nds":
            dtype = _dtype(tree)
            data = _buffer(tree, buffers)
            if len(data) != dtype.itemsize:
                raise ProtocolError("a numpy scalar of the wrong size")
            return np.frombuffer(data, dtype=dtype)[0].copy()
        if tag == "rng":
            return _generator(tree.get("bit"), self._decode(tree.get("state"), buffers, depth + 1, counter))
        if tag == "ndo":
            shape = _shape(tree)
            items = [self._decode(v, buffers, depth + 1, counter) for v in _list(tree, "v")]
            if len(items) != _count(shape):
                raise ProtocolError("an object array whose items do not fill its shape")
            array = np.empty(len(items), dtype=object)
            array[:] = items if items else []
            return array.reshape(shape)
        return self.tagged(tree, lambda part: self._decode(part, buffers, depth + 1, counter))


def _refuse(value, encode):
    raise TypeError(f"a {type(value).__name__} cannot be sent as plain data")


def _unknown_tag(tree, decode):
    raise ProtocolError(f"an unknown tag {str(tree.get('t'))[:40]!r} in a value")


def _list(tree, key):
    value = tree.get(key)
    if type(value) is not list:
        raise ProtocolError(f"a {tree['t']} without a list")
    return value


def _hashable(items):
    for item in items:
        try:
            hash(item)
        except TypeError:
            raise ProtocolError("an unhashable key or set item") from None
    return items


def _buffer(tree, buffers):
    index = tree.get("b")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise ProtocolError("a reference to a missing buffer")
    return buffers[index]


def _dtype(tree):
    name = tree.get("dtype")
    if type(name) is not str or not SAFE_DTYPE.match(name):
        raise ProtocolError(f"a numpy dtype that is not allowed: {str(name)[:20]!r}")
    return np.dtype(name)


def _shape(tree):
    shape = tree.get("shape")
    if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
        raise ProtocolError("an array shape that is not a list of sizes")
    return tuple(shape)


def _count(shape):
    count = 1
    for n in shape:
        count *= n
    return count


def _array(tree, buffers):
    dtype, shape, data = _dtype(tree), _shape(tree), _buffer(tree, buffers)
    if len(data) != _count(shape) * dtype.itemsize:
        raise ProtocolError("an array whose data does not fill its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _generator(bit, state):
    if bit not in BIT_GENERATORS or type(state) is not dict:
        raise ProtocolError("a random generator of an unknown kind")
    bit_generator = getattr(np.random, bit)()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError) as exc:
        raise ProtocolError(f"a random generator with an invalid state ({exc})") from None
    return np.random.Generator(bit_generator)


# ---------------------------------------------------------------- copy in, copy out
# A call across the boundary works on copies. So that it still behaves like a call in one
# process, the caller's side snapshots the mutable arguments, the callee's side reports those
# that changed, and the caller writes the changes back into its own objects.

def is_mutable(value, copied_classes=()):
    kind = type(value)
    return kind in (list, dict, set, np.ndarray, np.random.Generator) or kind in copied_classes


def snapshot(arguments, copied_classes=()):
    """{position or keyword: deep copy} of the (args, kwargs) a call could change in place."""
    import copy
    args, kwargs = arguments
    copies = {}
    for key, value in [*enumerate(args), *kwargs.items()]:
        if is_mutable(value, copied_classes):
            try:
                copies[key] = copy.deepcopy(value)
            except Exception:  # something that cannot be copied: its changes are not reported
                pass
    return copies


def changed(before, arguments):
    """{position or keyword: value now} for the arguments that differ from their snapshot."""
    args, kwargs = arguments
    now = dict([*enumerate(args), *kwargs.items()])
    return {key: now[key] for key, old in before.items() if not equal(old, now[key])}


def equal(a, b):
    """Plain-data equality that never trusts an object's own __eq__ beyond the built-in types."""
    if type(a) is not type(b):
        return False
    kind = type(a)
    if kind is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if kind is np.random.Generator:
        return equal(a.bit_generator.state, b.bit_generator.state)
    if kind is dict:
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if kind in (list, tuple):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if kind in (bool, int, float, str, complex, bytes, type(None), set, frozenset) or isinstance(a, np.generic):
        return bool(a == b) or (a != a and b != b)
    if hasattr(a, "__dict__"):
        return a is b or equal(vars(a), vars(b))
    return a is b


def write_back(arguments, changes):
    """Copy the callee's changes into the caller's (args, kwargs)."""
    args, kwargs = arguments
    for key, new in changes.items():
        if type(key) is int and 0 <= key < len(args):
            sync(args[key], new)
        elif type(key) is str and key in kwargs:
            sync(kwargs[key], new)


def sync(old, new):
    """Make `old` equal to `new` in place (arrays, lists, dicts, sets, generators, copied objects)."""
    kind = type(old)
    if kind is not type(new):
        return False
    if kind is np.ndarray:
        if old.shape != new.shape or not old.flags.writeable:
            return False
        with np.errstate(all="ignore"):
            old[...] = new
    elif kind is list:
        for i, (a, b) in enumerate(zip(old, new)):
            if not sync(a, b):
                old[i] = b
        del old[len(new):]
        old.extend(new[len(old):])
    elif kind is dict:
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            if key not in old or not sync(old[key], value):
                old[key] = value
    elif kind is set:
        old.clear()
        old.update(new)
    elif kind is np.random.Generator:
        old.bit_generator.state = new.bit_generator.state
    elif hasattr(old, "__dict__") and not callable(old):
        sync(vars(old), vars(new))
    else:
        return False
    return True
