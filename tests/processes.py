"""The grader's processes on this machine, and which of them belong to the running test.

Other test processes (pytest-xdist's other worker) may be grading at the same
time; what a test started is below its own process, or orphaned once the
grader that started it is gone.
"""
import os
import sys
from pathlib import Path

GRADER_PROCESSES = ("autograder.runner", "sandboxed/agent.py",        # runners, student processes
                    "dask scheduler", "dask worker", "distributed.cli")  # a Dask cluster's processes


def grader_processes():
    """{pid: (parent pid, command)} of each grader process (see GRADER_PROCESSES; also the worker
    processes that a local Dask cluster or a worker's nanny spawns from this Python)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        spawned_here = command.startswith(sys.executable) and "spawn_main" in command
        if spawned_here or any(name in command for name in GRADER_PROCESSES):
            parent = _parent(int(entry.name))
            if parent is not None:
                found[int(entry.name)] = (parent, command[:200])
    return found


def _parent(pid):
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _ours(pid, processes):
    """Below this test's process, or orphaned: its first ancestor that is no grader process is init."""
    while pid in processes:
        pid = processes[pid][0]
    if pid in (0, 1):
        return True
    while pid not in (None, 0, 1):
        if pid == os.getpid():
            return True
        pid = _parent(pid)
    return False


def left_by_this_test():
    """The commands of the grader processes this test started (or orphaned) that still run."""
    processes = grader_processes()
    return [command for pid, (_, command) in processes.items() if _ours(pid, processes)]
