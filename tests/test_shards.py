"""Grading in shares (`grade --shard I/N`), as a Slurm array or a Kubernetes Indexed Job runs it.

The shares of a class are disjoint, cover it, and do not depend on what the
others have graded; shard processes writing into one folder at the same time
leave only whole results; a final run without --shard grades nothing again
and writes the same outputs as one ordinary run.
"""
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder import grading, sample_class
from autograder.paths import EXERCISES_DIR, REPO_ROOT, SOURCE_DIR
from autograder.report import read_csv
from autograder.sandbox import bwrap_path

ASSIGNMENT = "01_chain_rule"
KINDS = ("perfect", "blank", "broken")


def _subs(*keys, refused=()):
    return [SimpleNamespace(key=key, path=None if key.startswith("missing") else Path(key),
                            refused="a link" if key in refused else "") for key in keys]


def test_the_shares_are_disjoint_and_cover_the_class():
    found = _subs(*(f"s{i:02d}/01/nb" for i in range(23)), "missing/01/nb", "linked/01/nb", refused=("linked/01/nb",))
    selected = {sub.key for sub in found}
    shares = [[sub.key for sub in grading.share(found, selected, i, 4)] for i in range(4)]
    handed_in = sorted(f"s{i:02d}/01/nb" for i in range(23))
    assert sorted(key for keys in shares for key in keys) == handed_in
    assert [len(keys) for keys in shares] == [6, 6, 6, 5]


def test_a_share_does_not_depend_on_the_order_of_the_class():
    found = _subs(*(f"s{i:02d}/01/nb" for i in range(10)))
    selected = {sub.key for sub in found}
    forward = [sub.key for sub in grading.share(found, selected, 1, 3)]
    backward = [sub.key for sub in grading.share(list(reversed(found)), selected, 1, 3)]
    assert sorted(forward) == sorted(backward)


def test_a_share_keeps_to_the_students_and_assignments_chosen():
    found = _subs("a/01/nb", "a/02/nb", "b/01/nb", "b/02/nb")
    keys = [sub.key for i in range(2) for sub in grading.share(found, {"a/01/nb", "b/01/nb"}, i, 2)]
    assert sorted(keys) == ["a/01/nb", "b/01/nb"]


def test_a_share_out_of_range_is_refused():
    with pytest.raises(grading.GradingError, match="less than 4"):
        grading.share([], set(), 4, 4)


def test_many_writers_of_one_result_leave_it_whole(tmp_path):
    """Shards on several machines may finish the same notebook: the stored result is always one of them."""
    prepared = SimpleNamespace(key="k", flags=[])
    big = "x" * 200_000

    def write(number):
        for _ in range(20):
            grading._finish({"tests": [], "writer": number, "padding": big}, prepared, tmp_path, "s/01/nb")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = list((tmp_path / ".results").iterdir())
    assert len(stored) == 1, "no temporary file is left"
    assert json.loads(stored[0].read_text())["writer"] in range(8)


# ---------------------------------------------------------------- real shard processes

def _grade(subs, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                             "--timeout", "30", "--jobs", "1", "--no-similarity", "--no-feedback", *extra],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(process):
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr[-3000:]
    return stderr


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    release = EXERCISES_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source = SOURCE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for kind in KINDS:
        path = root / "subs" / kind / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(sample_class.hand_in(kind, release, source), encoding="utf-8")
    return root


@pytest.mark.slow
@pytest.mark.skipif(not bwrap_path(), reason="bubblewrap is not installed")
def test_two_shards_at_once_then_a_merge_equal_one_run(small_class):
    subs, sharded, single = small_class / "subs", small_class / "sharded", small_class / "single"
    one_run = _grade(subs, single)
    shards = [_grade(subs, sharded, "--shard", f"{i}/2") for i in range(2)]     # both write .results at once
    logs = [_finished(shard) for shard in shards]
    assert all("run the same command without --shard" in log for log in logs)
    assert not (sharded / "grades.csv").exists(), "a shard writes results only"
    stored = sorted((sharded / ".results").iterdir())
    graded = [json.loads(p.read_text())["tests"] is not None for p in stored]
    assert len(stored) == len(KINDS) and graded.count(True) == len(KINDS) - 1, "every one but the broken file"

    merge_log = _finished(_grade(subs, sharded))
    assert f"{len(KINDS)} notebook(s) already graded" in merge_log, "the merge grades nothing again"
    _finished(one_run)
    for name in ("grades.csv", "summary.csv", "flags.csv"):
        assert read_csv(sharded / name) == read_csv(single / name), name
    shutil.rmtree(small_class / "single")


def test_the_shard_option_says_what_it_wants():
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--shard", "2/2"], cwd=REPO_ROOT,
                          capture_output=True, text=True, env=dict(os.environ))
    assert proc.returncode == 2 and "0 <= I < N" in proc.stderr
