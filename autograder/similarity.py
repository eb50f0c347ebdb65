"""Which students' answers look alike: a per-assignment similarity report made with copydetect.

Everything runs locally (copydetect's winnowing fingerprints; no MOSS, no
network) and no student code is run. For each student, the answer cells of
one notebook (by grade_id, in the release's order) form one document. The
released text of those cells (signatures, docstrings, the stub) is
boilerplate: matches on it count for nothing. copydetect's tokenizer turns
every name into the same symbol, so renaming variables does not hide a copy.

A pair is reported when the larger of its two similarity scores (the share
of a student's code, after boilerplate, that matches the other's) reaches
``threshold`` and the matching code is at least ``min_overlap`` tokenized
characters long (one shared one-liner is no evidence). Each reported pair
gives two rows for flags.csv, one per student, and a side-by-side HTML page
with the matching parts highlighted, every student character escaped:
``similarity/<assignment>/<a>__<b>.html`` under ``out_dir`` (with a
``<notebook>/`` folder in between when the notebook is not named after the
assignment).
"""
import copy
import html
import io
import re
from pathlib import Path

import numpy as np
from copydetect import CodeFingerprint, compare_files

from . import notebooks
from .assemble import released_answer

FLAG_FIELDS = ("student_id", "assignment", "notebook", "flag", "detail")
MAX_ANSWER_CHARS = 20_000


def answer_sources(*, nb):
    """{grade_id: source} of the answer cells of a notebook (a path or a notebook node).

    A student's cell counts with at most MAX_ANSWER_CHARS characters: a huge cell is no more evidence.
    """
    nb = notebooks.read(nb) if isinstance(nb, (str, Path)) else nb
    sources = {}
    for cell in nb.cells:
        grade_id = notebooks.nbgrader_meta(cell).get("grade_id")
        if notebooks.is_answer_cell(cell) and isinstance(grade_id, str):
            sources[grade_id] = cell.source[:MAX_ANSWER_CHARS]
    return sources


def class_report(*, assignment, notebook, source, submitted, out_dir, threshold=0.5):
    """similarity_report for one notebook of a class, read from the students' files.

    ``source``: the instructor's notebook (node), whose answer cells as
    released are the boilerplate; ``submitted``: {student_id: path of the
    notebook handed in}. A file that is no notebook is left out (the grading
    flags it).
    """
    release = copy.deepcopy(source)
    for cell in release.cells:
        if notebooks.is_answer_cell(cell):
            cell.source = released_answer(cell.source)
    answers = {}
    for student, path in submitted.items():
        try:
            answers[student] = answer_sources(nb=notebooks.read_submission(path)[0])
        except notebooks.UnreadableNotebook:
            continue
    return similarity_report(assignment=assignment, notebook=notebook, answers=answers, release=release,
                             out_dir=out_dir, threshold=threshold)


def similarity_report(*, assignment, notebook, answers, release, out_dir, threshold=0.5, min_overlap=50,
                      noise_threshold=25, guarantee_threshold=25):
    """Flag rows (dicts with FLAG_FIELDS) for the pairs of students whose answers look alike.

    ``answers``: {student_id: {grade_id: source}} of one notebook;
    ``release``: the released notebook (path or node), whose answer cells are
    the boilerplate; ``out_dir``: the grading output folder, where the pages
    go and to which the links in ``detail`` are relative. The noise and
    guarantee thresholds are copydetect's (tokenized characters). They are
    equal by default, so every k-gram is compared (no winnowing): copydetect
    hashes with Python's hash(), which differs from process to process, and
    winnowing would then pick other fingerprints, and flag other borderline
    pairs, on every run.
    """
    template = answer_sources(nb=release)
    order = list(template)
    window = guarantee_threshold - noise_threshold + 1
    boilerplate = list(_fingerprint("release", _document(order, template), noise_threshold, window, []).hashes)
    prints = {student: _fingerprint(student, _document(order, sources), noise_threshold, window, boilerplate)
              for student, sources in sorted(answers.items())}
    students = list(prints)
    flags = []
    for i, first in enumerate(students):
        for second in students[i + 1:]:
            overlap, shares, slices = compare_files(prints[first], prints[second])
            if overlap < min_overlap or max(shares) < threshold:
                continue
            page = _page_path(Path(out_dir), assignment, notebook, first, second)
            _write_page(page, assignment, notebook, (first, second), (prints[first], prints[second]), shares, slices)
            flags += _flag_rows(assignment, notebook, (first, second), shares,
                                page.relative_to(out_dir).as_posix())
    return sorted(flags, key=lambda row: (row["student_id"], row["flag"]))


def _document(order, sources):
    """One notebook's answers as one Python text, a comment line before each answer cell."""
    return "".join(f"# ---- {grade_id} ----\n{sources.get(grade_id, '').rstrip()}\n\n" for grade_id in order)


def _fingerprint(name, text, noise, window, boilerplate):
    return CodeFingerprint(f"{name}.py", noise, window, boilerplate=boilerplate, language="python",
                           fp=io.StringIO(text))


def _file_part(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"


def _page_path(out_dir, assignment, notebook, first, second):
    folder = out_dir / "similarity" / _file_part(assignment)
    if notebook != assignment:
        folder = folder / _file_part(notebook)
    return folder / f"{_file_part(first)}__{_file_part(second)}.html"


def _flag_rows(assignment, notebook, pair, shares, link):
    detail = (f"similarity {max(shares):.0%} ({pair[0]}: {shares[0]:.0%} of their code matches, "
              f"{pair[1]}: {shares[1]:.0%}); side by side: {link}")
    return [dict(zip(FLAG_FIELDS, (student, assignment, notebook, f"similar to {other}", detail)))
            for student, other in (pair, pair[::-1])]


# ---------------------------------------------------------------- the side-by-side page

def _highlighted(code, slices):
    """``code`` as escaped HTML, the [start, end) ranges in ``slices`` (2 x N) wrapped in <mark>."""
    pieces, position = [], 0
    ranges = sorted(zip(*slices)) if np.size(slices) else []
    for start, end in ranges:
        start, end = max(int(start), position), min(int(end), len(code))
        if start >= end:
            continue
        pieces += [html.escape(code[position:start]), f"<mark>{html.escape(code[start:end])}</mark>"]
        position = end
    pieces.append(html.escape(code[position:]))
    return "".join(pieces)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; width: 100%; table-layout: fixed; }}
td, th {{ border: 1px solid #ccc; vertical-align: top; padding: 0.4em; text-align: left; }}
pre {{ white-space: pre-wrap; font-size: 0.85em; margin: 0; }}
mark {{ background: #ffd27f; }}
</style></head><body>
<h1>{title}</h1>
<p>Highlighted: code that matches the other student's after every name is replaced by one symbol
(so renamed variables still match). The code given in the released notebook is not counted.
Similarity is a reason to look, not a verdict.</p>
<table><tr><th>{first} ({first_share:.0%} of their code matches)</th>
<th>{second} ({second_share:.0%} of their code matches)</th></tr>
<tr><td><pre>{first_code}</pre></td><td><pre>{second_code}</pre></td></tr></table>
</body></html>
"""


def _write_page(path, assignment, notebook, pair, prints, shares, slices):
    path.parent.mkdir(parents=True, exist_ok=True)
    title = f"{assignment}/{notebook}: {pair[0]} and {pair[1]}"
    path.write_text(PAGE.format(title=html.escape(title), first=html.escape(pair[0]), second=html.escape(pair[1]),
                                first_share=shares[0], second_share=shares[1],
                                first_code=_highlighted(prints[0].raw_code, slices[0]),
                                second_code=_highlighted(prints[1].raw_code, slices[1])),
                    encoding="utf-8", errors="backslashreplace")  # lone surrogates from odd notebooks
