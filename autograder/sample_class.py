"""The bundled sample class: four made-up students per assignment.

alice_perfect solved everything, bob_partial the first half of the
exercises, carol_blank handed in the release untouched, and dave_broken's
notebook is cut off half-way (not valid JSON). They are generated from the
release and the source, so they follow the course when it changes.
"""
from pathlib import Path

from . import notebooks

STUDENTS = ("alice_perfect", "bob_partial", "carol_blank", "dave_broken")


def write(assignment, release_dir, source_dir, sample_dir):
    for release_path in sorted(Path(release_dir).glob("*.ipynb")):
        source = notebooks.read(Path(source_dir) / release_path.name)
        answers = [notebooks.nbgrader_meta(c)["grade_id"] for c in source.cells
                   if notebooks.is_answer_cell(c)]
        solved = {
            "alice_perfect": answers,
            "bob_partial": answers[: len(answers) // 2],
            "carol_blank": [],
        }
        for student, grade_ids in solved.items():
            nb = fill_answers(notebooks.read(release_path), source, grade_ids)
            notebooks.write(nb, _target(sample_dir, student, assignment, release_path.name))
        text = release_path.read_text(encoding="utf-8")
        broken = _target(sample_dir, "dave_broken", assignment, release_path.name)
        broken.parent.mkdir(parents=True, exist_ok=True)
        broken.write_text(text[: len(text) // 2], encoding="utf-8")


def fill_answers(release_nb, source_nb, grade_ids):
    """The release notebook with the given answer cells replaced by the solution code."""
    for grade_id in grade_ids:
        solution = notebooks.cell_by_grade_id(source_nb, grade_id).source
        notebooks.cell_by_grade_id(release_nb, grade_id).source = notebooks.strip_solution_markers(solution)
    return release_nb


def _target(sample_dir, student, assignment, name):
    return Path(sample_dir) / student / assignment / name
