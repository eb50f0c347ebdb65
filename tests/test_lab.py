"""`make lab` serves the exercises with nbgrader's student tools only (lab/ holds its configuration)."""
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from autograder.paths import REPO_ROOT

pytestmark = pytest.mark.slow
TOKEN = "course-test-token"
INSTRUCTOR_PLUGINS = {"@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                      "@jupyter/nbgrader:course-list"}
STUDENT_PLUGINS = {"@jupyter/nbgrader:menu", "@jupyter/nbgrader:assignment-list",
                   "@jupyter/nbgrader:validate-assignment"}
# The suite already runs in the course's venv: `make lab` must not reinstall it in the middle of a test.
KEEP_VENV = ["--assume-old=.venv/.installed"] if (REPO_ROOT / ".venv" / ".installed").exists() else []


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def _status(url):
    """The HTTP status of a GET, errors included (404: nothing is served there)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_until_served(url, proc, log, deadline):
    while True:
        try:
            return _get(url)
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"make lab exited with {proc.returncode}: "
                                   f"{log.read_text()[-2000:]}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("make_lab") / "jupyter.log"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={TOKEN}"
    with log.open("w") as log_file:
        proc = subprocess.Popen(["make", "--no-print-directory", *KEEP_VENV, "lab", f"LAB_ARGS={args}"],
                                cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=log_file,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_served(f"{url}/api/status?token={TOKEN}", proc, log, time.monotonic() + 90)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _page_config(lab_url):
    """The configuration JupyterLab hands to the browser with the /lab page."""
    page = _get(f"{lab_url}/lab?token={TOKEN}")
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, "the /lab page carries no jupyter-config-data"
    return json.loads(match.group(1))


def test_lab_serves_the_exercises(lab_url):
    listing = json.loads(_get(f"{lab_url}/api/contents/01_chain_rule?token={TOKEN}"))
    names = [item["name"] for item in listing["content"]]
    assert "01_chain_rule.ipynb" in names


def test_lab_loads_nbgrader_without_its_instructor_plugins(lab_url):
    config = _page_config(lab_url)
    assert "@jupyter/nbgrader" in [ext["name"] for ext in config["federated_extensions"]], \
        "the nbgrader lab extension is not loaded"
    disabled, locked = set(config["disabledExtensions"]), set(config["lockedExtensions"])
    assert INSTRUCTOR_PLUGINS <= disabled, f"instructor plugins left on: {INSTRUCTOR_PLUGINS - disabled}"
    assert INSTRUCTOR_PLUGINS <= locked, "a student could switch instructor plugins back on"
    assert not STUDENT_PLUGINS & disabled, f"student plugins switched off: {STUDENT_PLUGINS & disabled}"


def test_lab_serves_validate_and_assignments_but_not_the_formgrader(lab_url):
    def status(path):
        return _status(f"{lab_url}/{path}?token={TOKEN}")

    assert status("formgrader") == 404, "the formgrader server extension is on"
    assert status("formgraders") == 404, "the course list server extension is on"
    assert status("assignments/validate") == 405, "the Validate server extension is off (POST only: 405)"
    assert status("assignments") != 404, "the assignment list server extension is off"
