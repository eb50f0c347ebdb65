"""Start a (sandboxed) ipykernel for one notebook and talk to it through nbclient."""
import json
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from .sandbox import SandboxConfig, write_config

KERNEL_NAME = "autograder-sandbox"


def kernel_environment(work_dir):
    """Environment variables of the grading kernel: its own temp and home, one BLAS thread."""
    work_dir = Path(work_dir)
    return {
        "TMPDIR": str(work_dir / "tmp"),
        "HOME": str(work_dir / "home"),
        "MPLCONFIGDIR": str(work_dir / "home" / ".matplotlib"),
        "IPYTHONDIR": str(work_dir / "home" / ".ipython"),
        "NBGRADER_EXECUTION": "autograde",   # heavy and interactive cells step aside
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def kernel_manager(work_dir, config: SandboxConfig, name="kernel"):
    """An AsyncKernelManager (what nbclient expects) whose kernel runs in the sandbox described by config.

    The kernel talks over ipc sockets in work_dir/runtime (no network inside),
    and its connection file lives there too, not in a shared temp folder.
    """
    work_dir = Path(work_dir)
    for sub in ("tmp", "home", "runtime", "kernels/" + KERNEL_NAME):
        (work_dir / sub).mkdir(parents=True, exist_ok=True)
    config_path = work_dir / "runtime" / f"{name}-sandbox.json"
    write_config(config, config_path)
    spec = {
        "argv": [sys.executable, "-m", "autograder.sandbox", str(config_path), "--",
                 sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "autograder (sandboxed)",
        "language": "python",
        "interrupt_mode": "message",
        "env": kernel_environment(work_dir),
    }
    (work_dir / "kernels" / KERNEL_NAME / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(work_dir / "kernels")])
    runtime = work_dir / "runtime"
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs, transport="ipc",
                         ip=str(runtime / name), connection_file=str(runtime / f"{name}.json"))

