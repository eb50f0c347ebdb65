"""One HTML page per student and notebook: the score of each test, what failed and why.

Shown: the student's cells, the visible part of each test cell, each failed
check's message (expected vs got, the likely mistake), the points of each
part of a partial-credit test, the flags about the notebook (never those for
the instructor only, such as similarity to another student), and, when the
assignment has a due date, when it was handed in and the late penalty.
Never shown: hidden tests' source or any traceback (a traceback would quote
hidden test lines).
"""
import html
from pathlib import Path

from . import notebooks
from .assemble import visible_source
from .safe_text import display_name

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
td, th { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left; vertical-align: top; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
.md { white-space: pre-wrap; color: #444; margin: 1rem 0; }
.passed { color: #1e7e34; font-weight: 600; } .failed, .not_graded { color: #b02a37; font-weight: 600; }
.partial { color: #b35c00; font-weight: 600; } .message { background: #fff4f4; border-left: 4px solid #b02a37; }
.flags { background: #fff8e1; padding: .5rem 1rem; border-left: 4px solid #e0a800; }
.late { background: #f3f0ff; padding: .5rem 1rem; border-left: 4px solid #6f42c1; }
"""


def write_all(cells, flags, executed, parts, out_dir, assignment_grades=None):
    """feedback/<student>/<assignment>/<notebook>.html for every submitted notebook.

    executed: {"student/assignment/notebook": executed notebook}; parts: {(that key, grade_id): [part dicts]};
    assignment_grades: {(student, assignment): AssignmentGrade}, for the late penalty.
    """
    groups = {}
    for cell in cells:
        if cell.status != "not_submitted":
            groups.setdefault((cell.student_id, cell.assignment, cell.notebook), []).append(cell)
    for (student, assignment, notebook), rows in groups.items():
        key = f"{student}/{assignment}/{notebook}"
        own_flags = [f for f in flags if (f.student_id, f.assignment, f.notebook) == (student, assignment, notebook)]
        own_parts = {r.grade_id: parts.get((key, r.grade_id), []) for r in rows}
        page = render(student, assignment, notebook, rows, own_flags, executed.get(key), own_parts,
                      (assignment_grades or {}).get((student, assignment)))
        path = Path(out_dir) / "feedback" / student / assignment / f"{notebook}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")


def render(student, assignment, notebook, rows, flags, nb, parts=None, assignment_grade=None):
    esc, parts = _escape, parts or {}
    score, total = sum(r.score for r in rows), sum(r.max_score for r in rows)
    page = [f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(notebook)}: {esc(student)}</title>",
            f"<style>{STYLE}</style></head><body>",
            f"<h1>{esc(notebook)}</h1><p>Student <b>{esc(student)}</b>, assignment {esc(assignment)}: "
            f"<b>{score:g} / {total:g}</b> points.</p>",
            _late_html(assignment_grade),
            "<table><tr><th>test</th><th>points</th><th>result</th><th>what went wrong</th></tr>"]
    for r in rows:
        page.append(f"<tr><td>{esc(r.grade_id)}</td><td>{r.score:g} / {r.max_score:g}</td>"
                    f"<td class='{esc(r.status)}'>{esc(r.status.replace('_', ' '))}</td>"
                    f"<td>{esc(r.detail)}{_parts_html(parts.get(r.grade_id))}</td></tr>")
    page.append("</table>")
    if flags:
        page.append("<div class='flags'><b>Notes from the grader</b><ul>"
                    + "".join(f"<li>{esc(f.flag)}: {esc(f.detail)}</li>" for f in flags) + "</ul></div>")
    if nb is not None:
        by_id = {r.grade_id: r for r in rows}
        page.append("<h2>Your notebook, as graded</h2>")
        page.extend(_cell_html(cell, by_id, parts) for cell in nb.cells)
    page.append("</body></html>")
    return "\n".join(page)


def _escape(text):
    """HTML-escaped text, with bytes that are not UTF-8 (from odd file names) shown as escapes."""
    return html.escape(display_name(str(text)))


def _late_html(grade):
    """When it was handed in and the late penalty; nothing when the assignment has no due date."""
    if grade is None or not grade.due_at:
        return ""
    lines = [f"<p>{_escape(grade.late_detail or 'Not handed in.')}</p>"]
    if grade.late_penalty:
        lines.append(f"<p>Assignment score: {grade.raw_score:g} points, {grade.late_penalty:g} off for "
                     f"lateness: <b>{grade.score:g} / {grade.max_score:g}</b>.</p>")
    return f"<div class='late'><b>Due date</b>{''.join(lines)}</div>"


def _parts_html(parts):
    if not parts:
        return ""
    rows = "".join(f"<tr><td>{_escape(p['name'])}</td><td>{p['score']:g} / {p['points']:g}</td>"
                   f"<td>{_escape(p.get('message', '')) or 'passed'}</td></tr>" for p in parts)
    return f"<table class='parts'><tr><th>part</th><th>points</th><th></th></tr>{rows}</table>"


def _cell_html(cell, by_id, parts=None):
    esc = _escape
    if cell.cell_type == "markdown":
        return f"<div class='md'>{esc(cell.source)}</div>"
    if cell.cell_type != "code":
        return ""
    if notebooks.is_test_cell(cell):
        grade_id = notebooks.nbgrader_meta(cell)["grade_id"]
        row = by_id.get(grade_id)
        out = [f"<pre>{esc(visible_source(cell.source).rstrip())}</pre>"]
        if row is not None:
            verdict = f"<span class='{esc(row.status)}'>{esc(row.status)}</span> ({row.score:g} / {row.max_score:g})"
            out.append(f"<p>{esc(grade_id)}: {verdict}</p>")
            if row.detail:
                out.append(f"<pre class='message'>{esc(row.detail)}</pre>")
            out.append(_parts_html((parts or {}).get(grade_id)))
        return "\n".join(out)
    out = [f"<pre>{esc(cell.source.rstrip())}</pre>"]
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            out.append(f"<pre>{esc(output.get('text', '')[:5000])}</pre>")
        elif output.get("output_type") == "error":
            out.append(f"<pre class='message'>{esc(str(output.get('ename')))}: "
                       f"{esc(str(output.get('evalue'))[:2000])}</pre>")
    return "\n".join(out)
