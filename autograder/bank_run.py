"""Prove a bank of known answers against one notebook, in one student process.

Grading a whole notebook per known answer costs a kernel start and every
plot of the notebook, hundreds of times. Here the solution runs once
(without the plain cells, the demos and plots: no test reads them); then
each known answer in turn replaces its cell, the answer, given and test
cells after it run again (plain cells, the demos and plots, do not: tests
never read them), every test's verdict is recorded, and the solution is put
back the same way. A wrong answer that costs points in another cell's test
shows up as such. Only what may see the change runs again: a later cell or
test that reads (or binds) a name the answer's cell binds or reads, or a
name bound by a cell that does, and so on (`reach`; imported modules aside);
a test, only through the names the student writes, since the judge holds
the given ones. A test that cannot see the change keeps the solution's verdict. After a
crash or a restart every later test runs. The untouched release (every
answer cell as released) ends the run.

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
        result["solution"] = _outcomes(run, _without_plain(run))
        for answer in answers:
            start = index_of.get(answer["grade_id"])
            if start is None:
                result["answers"][answer["key"]] = {}
                continue
            reached = reach(run.nb, start, answer["source"])
            run.nb.cells[start].source = answer["source"]
            result["answers"][answer["key"]] = _outcomes(run, _from(run, start), reached)
            run.nb.cells[start].source = solution[start]
            _restore(run, start, reached)
        for index, cell in enumerate(run.nb.cells):
            if cells.kind(cell) == "answer":
                cell.source = released_answer(solution[index])
        result["release"] = _outcomes(run, _without_plain(run))
    return result


def _without_plain(run):
    """Every cell but the plain ones (demos and plots: no test reads them; grading runs them all)."""
    return [i for i, cell in enumerate(run.nb.cells) if cells.kind(cell) != "plain"]


def _from(run, start):
    """The cells to run again after changing cell `start`: it, then every later non-plain cell."""
    return [start] + [i for i in range(start + 1, len(run.nb.cells))
                      if cells.kind(run.nb.cells[i]) in ("answer", "given", "test")]


def reach(nb, start, new_source):
    """The names whose values may differ when cell `start` holds `new_source` instead of its own.

    The names both versions bind, every global the new one reads (its code may
    change them), and, to a fixed point, the names of each other cell of the
    student's process (answer, given or plain) that reads or binds one of
    them. Imported modules are left out; a cell that does not parse reaches
    everything (None).
    """
    try:
        reached = set(cells.bound_names(nb.cells[start].source) | cells.bound_names(new_source)
                      | cells.global_reads(new_source))
        kernel_cells = [(cells.global_reads(c.source) | cells.bound_names(c.source), cells.bound_names(c.source))
                        for i, c in enumerate(nb.cells) if i != start and cells.kind(c) in ("answer", "given", "plain")]
        modules = set().union(*(cells.imported_names(c.source) for c in nb.cells if cells.kind(c) != "text"))
    except SyntaxError:
        return None
    reached -= modules
    grown = True
    while grown:
        grown = False
        for seen, bound in kernel_cells:
            if seen & reached and not bound - modules <= reached:
                reached |= bound - modules
                grown = True
    return reached


def _sees(cell, reached, student_names):
    """Whether the cell may see a change that reaches these names (None: everything). A test sees the
    student's process only through the names the student writes (the judge has the given ones)."""
    if reached is None:
        return True
    try:
        if cells.kind(cell) == "test":
            return bool(cells.global_reads(cell.source) & reached & set(student_names))
        return bool((cells.global_reads(cell.source) | cells.bound_names(cell.source)) & reached)
    except SyntaxError:
        return True


def _outcomes(run, indices, reached=None):
    """Run the cells; their test outcomes. With `reached`, a cell after the first that cannot see the change
    is left out, until the student's process has to be restarted: from then on every cell runs."""
    found = {}
    restarts = run.restarts
    for position, index in enumerate(indices):
        if position and run.restarts == restarts and not _sees(run.nb.cells[index], reached, run.job.student_names):
            continue
        outcome = run.run_cell(index)
        if outcome is not None:
            found[outcome.grade_id] = {k: v for k, v in asdict(outcome).items() if k != "outputs"}
    return found


def _restore(run, start, reached=None):
    """Put the solution's state back: rerun the cells that saw the change (a fresh process if the last one
    was replaced)."""
    restarted = run.restarts
    run.culprits.clear()
    run.restarts = 0
    for position, index in enumerate(_from(run, start)):
        if cells.kind(run.nb.cells[index]) != "test" and (
                not position or _sees(run.nb.cells[index], reached, run.job.student_names)):
            run.run_cell(index)
    if not run.kernel.alive or run.restarts or restarted:
        run.kernel.stop()
        run.restarts = 0
        started = time.monotonic()
        run._restart()
        run.timings["restarts"] += time.monotonic() - started
