"""Write grade tables as CSV and print them for a terminal.

Cells may hold what students wrote (file names, failure messages). A text
cell that would start a formula in a spreadsheet (``=``, ``+``, ``-``, ``@``,
a tab or a carriage return first) is written with a leading ``'``, and bytes
that are not UTF-8 as ``\\xNN`` (see ``safe_text.for_csv``); numbers stay
numbers. A table is written to a temporary file and renamed into place, so a
reader never sees half of one.
"""
import csv
import os
import secrets
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path

from .safe_text import for_csv, for_terminal


@contextmanager
def atomic_open(path, mode="w", **open_args):
    """``open(path, mode)`` through a temporary file beside it, renamed to ``path`` only on success.

    ``mode`` is "w" or "wb"; the file gets the permissions ``open`` would give it.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    try:
        with open(temporary, mode.replace("w", "x"), **open_args) as stream:
            yield stream
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _write_rows(path, columns, rows):
    """CSV of dict rows, every text cell through ``for_csv``, written atomically."""
    with atomic_open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: for_csv(value) for key, value in row.items()})


def write_csv(rows, path, row_type):
    """One CSV row per dataclass instance in ``rows``, one column per field of ``row_type``."""
    _write_rows(path, [f.name for f in fields(row_type)], (asdict(row) for row in rows))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def format_summary(summary):
    """A fixed-width table: student, assignment, score, max, percent, status (and the late penalty, if any)."""
    header = ("student", "assignment", "score", "max", "%", "status")
    late = any(s.late_penalty for s in summary)
    lines = [[for_terminal(s.student_id), for_terminal(s.assignment), f"{s.score:g}", f"{s.max_score:g}",
              f"{100 * s.score / s.max_score:.0f}" if s.max_score else "-",
              s.status.replace("_", " ")] + ([f"-{s.late_penalty:g}" if s.late_penalty else ""] if late else [])
             for s in summary]
    header += ("late",) if late else ()
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    numeric = {2, 3, 4, 6}

    def render(row):
        return "  ".join(str(v).rjust(w) if i in numeric else str(v).ljust(w)
                         for i, (v, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([render(header), render(["-" * w for w in widths]), *map(render, lines)])


def item_analysis(cells):
    """Per test cell (in course order): how many submitted, how many passed, the share, the mean score."""
    table = {}
    for cell in cells:
        key = (cell.assignment, cell.notebook, cell.grade_id)
        entry = table.setdefault(key, {"assignment": cell.assignment, "notebook": cell.notebook,
                                       "grade_id": cell.grade_id, "max_score": cell.max_score,
                                       "submitted": 0, "passed": 0, "score_sum": 0.0})
        if cell.status in ("not_submitted", "not_graded"):
            continue
        entry["submitted"] += 1
        entry["passed"] += cell.status == "passed"
        entry["score_sum"] += cell.score
    rows = []
    for entry in table.values():
        n = entry.pop("submitted")
        score_sum = entry.pop("score_sum")
        entry.update(submitted=n, share_passed=round(entry["passed"] / n, 3) if n else "",
                     mean_score=round(score_sum / n, 3) if n else "")
        rows.append(entry)
    return rows


def write_item_analysis(cells, out_dir):
    """item_analysis.csv and item_analysis.svg (one bar per test cell, hardest ones stand out)."""
    rows = item_analysis(cells)
    columns = ["assignment", "notebook", "grade_id", "max_score", "submitted", "passed", "share_passed",
               "mean_score"]
    _write_rows(out_dir / "item_analysis.csv", columns, rows)
    with atomic_open(out_dir / "item_analysis.svg", "w", encoding="utf-8") as handle:
        handle.write(item_analysis_svg(rows))
    return rows


def item_analysis_svg(rows):
    """A bar per test cell: the share of the students who handed it in that passed it (red below a half,
    orange below 0.8, green above). Plain SVG, drawn without a plotting library (it costs no start-up)."""
    from html import escape
    rows = [r for r in rows if r["submitted"]]
    label_w, bar_w, row_h, top = 220, 480, 16, 40
    width, height = label_w + bar_w + 30, top + row_h * max(1, len(rows)) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14">'
             'Item analysis: which tests the class passed</text>']
    axis_y = top + row_h * max(1, len(rows)) + 4
    parts.append(f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + bar_w}" y2="{axis_y}" stroke="black"/>')
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = label_w + tick * bar_w
        parts += [f'<line x1="{x:.0f}" y1="{top}" x2="{x:.0f}" y2="{axis_y}" stroke="#ddd"/>',
                  f'<text x="{x:.0f}" y="{axis_y + 14}" text-anchor="middle">{tick:g}</text>']
    for i, row in enumerate(rows):
        share, y = float(row["share_passed"]), top + i * row_h
        color = "#c0392b" if share < 0.5 else "#e67e22" if share < 0.8 else "#27ae60"
        label = escape(f"{row['assignment'][:2]} {row['grade_id']}")
        parts += [f'<text x="{label_w - 6}" y="{y + row_h - 4}" text-anchor="end">{label}</text>',
                  f'<rect x="{label_w}" y="{y + 2}" width="{share * bar_w:.1f}" height="{row_h - 4}" '
                  f'fill="{color}"><title>{label}: {share:.0%} passed</title></rect>']
    parts += [f'<text x="{label_w + bar_w / 2:.0f}" y="{axis_y + 30}" text-anchor="middle">'
              'share of submitting students who passed</text>', '</svg>']
    return "\n".join(parts) + "\n"
