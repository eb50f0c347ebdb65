"""The similarity report (autograder.similarity): copies are caught, honest work is not."""
import json
import os
import re
import subprocess
import sys
import time

import pytest

from autograder import notebooks
from autograder.paths import EXERCISES_DIR, REPO_ROOT, SOURCE_DIR
from autograder.similarity import FLAG_FIELDS, answer_sources, similarity_report
from known_answers import RIGHT

ASSIGNMENT = "02_gradient_descent"
RELEASE = EXERCISES_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def course_solution():
    """The course's own solution, as a student would hand it in (markers removed)."""
    source = answer_sources(nb=SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return {grade_id: notebooks.strip_solution_markers(text) for grade_id, text in source.items()}


def independent_solution():
    """Other correct answers to every exercise, from the bank of known answers (written separately)."""
    chosen = {}
    for answer in RIGHT[ASSIGNMENT]:
        chosen.setdefault(answer.grade_id, answer.source)
    return chosen


RENAMES = {"path": "trajectory", "x": "point", "residual": "error", "m": "count", "order": "shuffled",
           "start": "first", "indices": "rows", "rng": "generator", "history": "losses", "factor": "ratio",
           "a": "first_coord", "b": "second_coord"}


def renamed(sources):
    """The same code with its variables renamed and a comment added: a disguised copy."""
    def rename(text):
        for old, new in RENAMES.items():
            text = re.sub(rf"\b{old}\b", new, text)
        return text.replace('    """', "    # my own work\n    \"\"\"", 1)
    return {grade_id: rename(text) for grade_id, text in sources.items()}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("grades")
    solution = course_solution()
    copied = dict(solution)
    copied["paraboloid_grad_answer"] += "\n# </pre><script>alert('x')</script> & <b>bold</b>\n"
    answers = {
        "ana": solution,
        "copier": copied,
        "renamer": renamed(solution),
        "honest": independent_solution(),
        "blank": answer_sources(nb=RELEASE),     # handed in the release untouched
        "blank_too": answer_sources(nb=RELEASE),
    }
    flags = similarity_report(assignment=ASSIGNMENT, notebook=ASSIGNMENT, answers=answers, release=RELEASE,
                              out_dir=out, threshold=0.5)
    return out, flags


def pairs(flags):
    return {(row["student_id"], row["flag"].removeprefix("similar to ")) for row in flags}


def test_copies_are_caught_even_with_renamed_variables(report):
    _, flags = report
    caught = {("ana", "copier"), ("ana", "renamer"), ("copier", "renamer")}
    assert pairs(flags) == caught | {(b, a) for a, b in caught}
    assert all(set(row) == set(FLAG_FIELDS) and row["assignment"] == ASSIGNMENT for row in flags)


def test_independent_honest_solutions_and_untouched_templates_are_not_flagged(report):
    _, flags = report
    assert not {"honest", "blank", "blank_too"} & {s for pair in pairs(flags) for s in pair}


def test_the_detail_gives_the_score_and_a_relative_link_to_the_page(report):
    out, flags = report
    (row,) = [r for r in flags if r["student_id"] == "ana" and r["flag"] == "similar to renamer"]
    assert re.match(r"similarity (\d+)% \(ana: \d+% of their code matches, renamer: \d+%\); side by side: "
                    r"similarity/02_gradient_descent/ana__renamer\.html$", row["detail"])
    assert int(re.match(r"similarity (\d+)%", row["detail"])[1]) >= 90
    assert (out / "similarity" / ASSIGNMENT / "ana__renamer.html").is_file()


def test_the_page_shows_both_students_side_by_side_with_matches_marked_and_escapes_their_text(report):
    out, _ = report
    page = (out / "similarity" / ASSIGNMENT / "ana__copier.html").read_text(encoding="utf-8")
    assert page.count("<pre>") == 2 and "<mark>" in page
    assert "<script>" not in page and "<b>bold</b>" not in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "return np.array(path)" in page and "paraboloid_grad_answer" in page


def test_a_shared_one_liner_is_no_evidence(tmp_path):
    one_liner = {"paraboloid_grad_answer": "def paraboloid_grad(p):\n    return 2 * np.asarray(p, dtype=float)\n"}
    flags = similarity_report(assignment=ASSIGNMENT, notebook=ASSIGNMENT, release=RELEASE, out_dir=tmp_path,
                              answers={"ann": one_liner, "bob": dict(one_liner)})
    assert flags == []


def test_a_class_of_100_takes_seconds(tmp_path):
    """Timing: 100 students (4950 pairs) of one assignment; printed with -s."""
    answers = mixed_class(100)
    started = time.perf_counter()
    flags = similarity_report(assignment=ASSIGNMENT, notebook=ASSIGNMENT, answers=answers, release=RELEASE,
                              out_dir=tmp_path)
    seconds = time.perf_counter() - started
    pages = len(list(tmp_path.rglob("*.html")))
    print(f"\nsimilarity of 100 students (4950 pairs): {seconds:.1f} s, {pages} pairs flagged")
    assert pages == len(flags) / 2
    assert seconds < 120


def mixed_class(size):
    """Students who each took some answers from the solution and the others from the independent one."""
    solution, other = course_solution(), independent_solution()
    return {f"s{i:03d}": {g: (solution if (i >> k) % 2 else other)[g] for k, g in enumerate(solution)}
            for i in range(size)}


RUN_ONCE = """
import json, sys
sys.path.insert(0, "tests")
from test_similarity import ASSIGNMENT, RELEASE, mixed_class
from autograder.similarity import similarity_report
print(json.dumps(similarity_report(assignment=ASSIGNMENT, notebook=ASSIGNMENT, answers=mixed_class(24),
                                   release=RELEASE, out_dir=sys.argv[1], threshold=0.6)))
"""


def test_the_report_is_the_same_on_every_run(tmp_path):
    """copydetect hashes with Python's hash(), seeded anew in each process: the flags must not depend on it."""
    runs = []
    for seed in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", RUN_ONCE, str(tmp_path / seed)], cwd=REPO_ROOT,
                              env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs.append([{**row, "detail": row["detail"].replace(f"{tmp_path / seed}", "")}
                     for row in json.loads(proc.stdout)])
    assert runs[0] == runs[1] and runs[0]


def test_the_class_report_reads_the_files_handed_in_and_leaves_out_what_is_no_notebook(tmp_path):
    """As `grade` runs it: the students' files, the source's answers as released for boilerplate."""
    from autograder.similarity import class_report
    source = notebooks.read(SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    files = {}
    for student, answers in (("ana", course_solution()), ("copier", renamed(course_solution()))):
        nb = notebooks.read(RELEASE)
        for cell in nb.cells:
            if notebooks.is_answer_cell(cell):
                cell.source = answers[notebooks.nbgrader_meta(cell)["grade_id"]]
        files[student] = tmp_path / f"{student}.ipynb"
        notebooks.write(nb, files[student])
    files["broken"] = tmp_path / "broken.ipynb"
    files["broken"].write_text('{"cells": [')
    files["odd"] = tmp_path / "odd.ipynb"
    files["odd"].write_text(json.dumps({"cells": [{"cell_type": "code", "source": "x" * 100_000,
                                                   "metadata": {"nbgrader": {"solution": True, "grade_id": 7}}}]}))
    flags = class_report(assignment=ASSIGNMENT, notebook=ASSIGNMENT, source=source, submitted=files,
                         out_dir=tmp_path / "out")
    assert pairs(flags) == {("ana", "copier"), ("copier", "ana")}
