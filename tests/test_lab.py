"""`make lab` serves the exercises in JupyterLab with the nbgrader extension enabled."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from autograder.paths import REPO_ROOT

pytestmark = pytest.mark.slow
TOKEN = "course-test-token"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, deadline):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="module")
def lab_url():
    port = _free_port()
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={TOKEN}"
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_lab_serves_the_exercises(lab_url):
    listing = json.loads(_get(f"{lab_url}/api/contents/01_chain_rule?token={TOKEN}", time.monotonic() + 90))
    names = [item["name"] for item in listing["content"]]
    assert "01_chain_rule.ipynb" in names


def test_lab_loads_the_nbgrader_extension(lab_url):
    page = _get(f"{lab_url}/lab?token={TOKEN}", time.monotonic() + 90)
    assert "@jupyter/nbgrader" in page, "the nbgrader lab extension is not enabled"
