"""The Slurm scripts and the Kubernetes manifest in docs/cluster/: shown in the README as they are, and
consistent with `grade --shard I/N` (checked by Slurm itself where it is installed)."""
import re
import shutil
import subprocess

import pytest
import yaml

from autograder.cli import _parser
from autograder.paths import REPO_ROOT

CLUSTER = REPO_ROOT / "docs" / "cluster"
FILES = ("grade-array.slurm", "grade-merge.slurm", "grade-indexed-job.yaml")


@pytest.mark.parametrize("name", FILES)
def test_the_readme_shows_the_file_as_it_is(name):
    assert (CLUSTER / name).read_text().rstrip() in (REPO_ROOT / "README.md").read_text()


def _grade_arguments(command):
    """The arguments after `-m autograder` in a shell command line, parsed by the grader's own parser."""
    words = command.replace("\\\n", " ").split()
    words = words[words.index("autograder") + 1:]
    return _parser().parse_args([w.strip('"') for w in words if not w.startswith("$(")])


@pytest.mark.parametrize("name", ("grade-array.slurm", "grade-merge.slurm"))
def test_the_slurm_scripts_are_valid_shell(name):
    subprocess.run(["bash", "-n", str(CLUSTER / name)], check=True)


def test_the_array_gives_each_task_its_share():
    script = (CLUSTER / "grade-array.slurm").read_text()
    assert re.search(r"^#SBATCH --array=0-\d+$", script, re.M), "task ids count from 0, as --shard does"
    assert '--shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT"' in script
    command = script[script.index(".venv/bin/python"):]
    args = _grade_arguments(command.replace("$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT", "3/16")
                            .replace('"$SLURM_CPUS_PER_TASK"', "2"))
    assert args.shard == (3, 16) and args.jobs == 2 and args.gradebook is None


def test_the_merge_writes_the_gradebook_without_a_shard():
    script = (CLUSTER / "grade-merge.slurm").read_text()
    args = _grade_arguments(script[script.index(".venv/bin/python"):].replace('"$SLURM_CPUS_PER_TASK"', "2"))
    assert args.shard is None and args.gradebook == ""


def test_the_indexed_job_has_one_share_per_index():
    job = yaml.safe_load((CLUSTER / "grade-indexed-job.yaml").read_text())
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["template"]["spec"]["restartPolicy"] == "Never"
    container = spec["template"]["spec"]["containers"][0]
    command = " ".join(container["args"])
    count = spec["completions"]
    assert f'--shard "$JOB_COMPLETION_INDEX/{count}"' in command
    args = _grade_arguments(command.replace("$JOB_COMPLETION_INDEX", str(count - 1)))
    assert args.shard == (count - 1, count)
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert str(args.out).startswith(tuple(mounts)) and str(args.submissions).startswith(tuple(mounts))


@pytest.mark.skipif(not shutil.which("sbatch"), reason="Slurm is not installed here (no sbatch)")
def test_slurm_accepts_the_scripts():
    for name in ("grade-array.slurm", "grade-merge.slurm"):
        subprocess.run(["sbatch", "--test-only", str(CLUSTER / name)], check=True, cwd=REPO_ROOT)
