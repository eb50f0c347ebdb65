"""The bundled sample class: four made-up students per assignment.

alice_perfect solved everything, bob_partial the first half of the
exercises, carol_blank handed in the release untouched, and dave_broken's
notebook is cut off half-way (not valid JSON). They are generated from the
release and the source, so they follow the course when it changes.
"""
from pathlib import Path

import nbformat

from . import notebooks

STUDENTS = {"alice_perfect": "perfect", "bob_partial": "partial", "carol_blank": "blank",
            "dave_broken": "broken"}


def write(assignment, release_dir, source_dir, sample_dir):
    for release_path in sorted(Path(release_dir).glob("*.ipynb")):
        for student, kind in STUDENTS.items():
            target = _target(sample_dir, student, assignment, release_path.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(hand_in(kind, release_path, Path(source_dir) / release_path.name), encoding="utf-8")


def hand_in(kind, release_path, source_path):
    """The notebook text a student of this kind hands in: perfect (every answer), partial (the
    first half of the answers), blank (the release untouched) or broken (cut off half-way)."""
    text = Path(release_path).read_text(encoding="utf-8")
    if kind == "broken":
        return text[: len(text) // 2]
    source = notebooks.read(source_path)
    answers = [notebooks.nbgrader_meta(c)["grade_id"] for c in source.cells if notebooks.is_answer_cell(c)]
    chosen = {"perfect": answers, "partial": answers[: len(answers) // 2], "blank": []}[kind]
    return nbformat.writes(fill_answers(nbformat.reads(text, as_version=4), source, chosen)) + "\n"


def fill_answers(release_nb, source_nb, grade_ids):
    """The release notebook with the given answer cells replaced by the solution code."""
    for grade_id in grade_ids:
        solution = notebooks.cell_by_grade_id(source_nb, grade_id).source
        notebooks.cell_by_grade_id(release_nb, grade_id).source = notebooks.strip_solution_markers(solution)
    return release_nb


def _target(sample_dir, student, assignment, name):
    return Path(sample_dir) / student / assignment / name
