"""`python -m autograder validate` with no notebook: the course's tests checked against a bank of answers."""
import subprocess
import sys

import pytest

from autograder.paths import REPO_ROOT

pytestmark = pytest.mark.slow

BANK_INIT = '''
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    key: str
    grade_id: str
    source: str
    hint: str = ""


from .chain import WRONG as _W, RIGHT as _R  # noqa: E402

WRONG = {"01_chain_rule": _W}
RIGHT = {"01_chain_rule": _R}
'''
BANK_MODULE = '''
from . import Answer

WRONG = [
    Answer("no_inner", "dh_dx_answer", "def dh_dx(x):\\n    return np.cos(x**2)\\n", hint="inner derivative"),
    Answer("secretly_right", "dh_dx_answer", "def dh_dx(x):\\n    return 2 * x * np.cos(x * x)\\n"),
]
RIGHT = [
    Answer("product_form", "dh_dx_answer", "def dh_dx(x):\\n    return np.cos(x**2) * (x + x)\\n"),
    Answer("secretly_wrong", "dh_dx_answer", "def dh_dx(x):\\n    return x * np.cos(x**2)\\n"),
]
'''


def test_self_check_reports_catches_and_misses(tmp_path):
    bank = tmp_path / "tiny_bank"
    bank.mkdir()
    (bank / "__init__.py").write_text(BANK_INIT)
    (bank / "chain.py").write_text(BANK_MODULE)
    proc = subprocess.run([sys.executable, "-m", "autograder", "validate", "--assignment", "01_chain_rule",
                           "--bank", str(bank), "--timeout", "10"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    out = proc.stdout
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "(solution: full marks)" in out and "(release: zero)" in out
    row = next(line for line in out.splitlines() if line.startswith("01_chain_rule") and "dh_dx_answer" in line)
    assert row.split()[2:6] == ["1/2", "2/2", "1/2", "1/2"] and row.split()[6] == "dh_dx_tests"
    assert "no_inner" in out and "dh_dx_tests: `dh_dx(1.5)` is wrong" in out
    assert "MISS 01_chain_rule dh_dx_answer wrong:secretly_right: expected loses points in its own tests only" in out
    assert "MISS 01_chain_rule dh_dx_answer right:secretly_wrong: expected keeps full marks; dh_dx_tests" in out
    assert "MISS 01_chain_rule dk_dx_answer wrong:(none)" in out, "cells without a known wrong answer are misses"
