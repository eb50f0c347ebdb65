"""The outputs of a student's cell as they may be kept: known kinds, bounded sizes.

They come from the student's process, so they are checked like any other
input: only nbformat's output kinds with plain text values, only display
formats a notebook viewer shows safely (no JavaScript, no widget state),
stream text cut to MAX_STREAM_CHARS per cell, each display value to
MAX_DATA_CHARS. What was cut is noted (the caller flags it as huge output).
"""
import nbformat

MAX_STREAM_CHARS = 20_000
MAX_DATA_CHARS = 2_000_000
HUGE_STREAM = 1_000_000
SHOWN_FORMATS = ("text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg",
                 "image/svg+xml")


def filter_outputs(run):
    """(nbformat outputs, [notes about what was cut]) for a kernel.CellRun."""
    kept, notes, stream_left = [], [], MAX_STREAM_CHARS
    for output in run.outputs if type(run.outputs) is list else []:
        if type(output) is not dict:
            continue
        kind = output.get("output_type")
        if kind == "stream":
            text = _text(output.get("text"))[:max(0, stream_left)]
            stream_left -= len(text)
            if text:
                kept.append(nbformat.v4.new_output("stream", name=_stream_name(output.get("name")), text=text))
        elif kind in ("display_data", "execute_result"):
            data, cut = _data(output.get("data"))
            notes += cut
            if data:
                extra = {"execution_count": None} if kind == "execute_result" else {}
                kept.append(nbformat.v4.new_output(kind, data=data, **extra))
        elif kind == "error":
            traceback = [_text(line)[:2000] for line in output.get("traceback", [])[:30]
                         if type(output.get("traceback")) is list]
            kept.append(nbformat.v4.new_output("error", ename=_text(output.get("ename"))[:200],
                                               evalue=_text(output.get("evalue"))[:10_000], traceback=traceback))
    if run.stream_chars > MAX_STREAM_CHARS:
        kept.append(nbformat.v4.new_output("stream", name="stderr",
                                           text=f"\n[autograder: {run.stream_chars:,} characters of output cut to "
                                                f"{MAX_STREAM_CHARS:,}]\n"))
    if run.stream_chars > HUGE_STREAM:
        notes.append(f"printed {run.stream_chars / 1e6:.0f} MB")
    if run.dropped:
        notes.append(f"{run.dropped} display output(s) too large or too many, dropped")
    return kept, notes


def _text(value):
    return value if type(value) is str else ""


def _stream_name(name):
    return name if name in ("stdout", "stderr") else "stdout"


def _data(data):
    if type(data) is not dict:
        return {}, []
    kept, cut = {}, []
    for mime in SHOWN_FORMATS:
        value = data.get(mime)
        if type(value) is not str:
            continue
        if len(value) > MAX_DATA_CHARS:
            cut.append(f"a {mime} output of {len(value):,} characters was dropped")
            continue
        kept[mime] = value
    return kept, cut
