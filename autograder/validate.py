"""Validate notebooks the way nbgrader's Validate button does, with a usable result.

`nbgrader validate` exits 0 even when a notebook fails, so this calls its
Python API and turns the result into a pass/fail with reasons.
"""
from pathlib import Path


def validate(path):
    """[] when every test cell of the notebook passes, else a list of reasons."""
    from nbgrader.validator import Validator

    path = Path(path)
    if not path.exists():
        return [f"{path} does not exist"]
    try:
        results = Validator().validate(str(path))
    except Exception as exc:  # unreadable JSON, a dead kernel, ...
        return [f"could not be validated: {type(exc).__name__}: {exc}"]
    reasons = []
    for cell in results.get("failed", []):
        error = (cell.get("raw_error") or "").strip().splitlines()
        reasons.append("failed: " + (error[-1] if error else cell["source"].splitlines()[0]))
    for cell in results.get("changed", []):
        reasons.append("a locked cell was changed: " + cell["source"].splitlines()[0])
    for cell in results.get("type_changed", []):
        reasons.append(f"a cell changed type from {cell['old_type']} to {cell['new_type']}")
    return reasons
