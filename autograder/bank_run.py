"""Prove a bank of known answers against one notebook, in one student process.

Grading a whole notebook per known answer costs a kernel start and every
plot of the notebook, hundreds of times. Here the solution runs once; then
each known answer in turn replaces its cell, the answer, given and test
cells after it run again (plain cells, the demos and plots, do not: tests
never read them), every test's verdict is recorded, and the solution is put
back the same way. Because each test after the answer runs, a wrong answer
that costs points in another cell's test shows up as such. The untouched
release (every answer cell as released) ends the run.

The job is a runner.Job of kind "bank" whose notebook is the assembled
solution and whose `answers` are {key, grade_id, source}; the result holds
{"solution": {...}, "release": {...}, "answers": {key: {...}}}, each
{grade_id: test outcome}.
"""
import time
from dataclasses import asdict

from . import cells
from .assemble import released_answer
from .notebooks import nbgrader_meta


def prove(run, answers):
    """Run the solution, each answer and the release through `run` (a runner.NotebookRun)."""
    index_of = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(run.nb.cells)}
    solution = {i: c.source for i, c in enumerate(run.nb.cells)}
    result = {"answers": {}}
    with run.session():
        run.deadline = float("inf")
        result["solution"] = _outcomes(run, range(len(run.nb.cells)))
        for answer in answers:
            start = index_of.get(answer["grade_id"])
            if start is None:
                result["answers"][answer["key"]] = {}
                continue
            run.nb.cells[start].source = answer["source"]
            result["answers"][answer["key"]] = _outcomes(run, _from(run, start))
            run.nb.cells[start].source = solution[start]
            _restore(run, start)
        for index, cell in enumerate(run.nb.cells):
            if cells.kind(cell) == "answer":
                cell.source = released_answer(solution[index])
        result["release"] = _outcomes(run, range(len(run.nb.cells)))
    return result


def _from(run, start):
    """The cells to run again after changing cell `start`: it, then every later non-plain cell."""
    return [start] + [i for i in range(start + 1, len(run.nb.cells))
                      if cells.kind(run.nb.cells[i]) in ("answer", "given", "test")]


def _outcomes(run, indices):
    found = {}
    for index in indices:
        outcome = run.run_cell(index)
        if outcome is not None:
            found[outcome.grade_id] = {k: v for k, v in asdict(outcome).items() if k != "outputs"}
    return found


def _restore(run, start):
    """Put the solution's state back: rerun its cells (a fresh process if the last one was replaced)."""
    restarted = run.restarts
    run.culprits.clear()
    run.restarts = 0
    for index in _from(run, start):
        if cells.kind(run.nb.cells[index]) != "test":
            run.run_cell(index)
    if not run.kernel.alive or run.restarts or restarted:
        run.kernel.stop()
        run.restarts = 0
        started = time.monotonic()
        run._restart()
        run.timings["restarts"] += time.monotonic() - started
