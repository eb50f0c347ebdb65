"""The course in a real browser: JupyterLab served locally, driven through Debian's Chromium.

A student's view of `make lab`: nbgrader's Validate button but none of its
instructor tools, a notebook's cells run from the Run menu, the plots, a
slider moved, Validate pressed on the solution, a live training view started
and stopped. And an instructor's: `make formgrader` shows the Formgrader, and
after `grade --gradebook` a student's score in it; a written answer graded by
hand there lands in nbgrader's gradebook.
Playwright drives the system Chromium (`executable_path`); no browser is
ever downloaded. The notebooks are copies in a temporary folder, so nothing
in exercises/ or solutions/ is touched.

Screenshots go to browser-screenshots/ at the top of the repository (ignored
by git), or to the folder named by BROWSER_SCREENSHOTS. The test is skipped,
with the reason, where Chromium or the playwright package is missing;
CHROMIUM=/path/to/chromium picks another binary.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.paths import EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR, list_assignments
from autograder.report import read_csv
from instructor_class import ASSIGNMENT, FREE_TEXT, copy_course, gradebook, hand_in, run_grade, solution_answers

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS") or REPO_ROOT / "browser-screenshots")
TOKEN = "browser-test-token"
EXERCISE = "exercises/01_chain_rule/01_chain_rule.ipynb"
SOLUTION = "solutions/04_backprop_by_hand/04_backprop_by_hand.ipynb"
LIVE_TRAINING = "scratch/live_training.ipynb"
STUDENT_LAB_CONFIG = REPO_ROOT / "lab"  # what `make lab` puts first on JUPYTER_CONFIG_PATH
INSTRUCTOR_TOOLS = ("Create Assignment", "Formgrader", "Course List")
# The formgrader opens the gradebook (and runs alembic) once per assignment of a page: slow on a busy machine.
FORMGRADER_TIMEOUT = 120_000
# A small notebook of the test's own for 06's live training view: logistic regression on two blobs.
LIVE_TRAINING_CELLS = [
    """import numpy as np
from bpkit import training

rng = np.random.default_rng(0)
X = np.vstack([rng.normal(-1, 0.8, size=(40, 2)), rng.normal(1, 0.8, size=(40, 2))])
y = np.repeat([0.0, 1.0], 40)
w, b = np.array([-1.0, 0.5]), 0.0

def proba(G):
    return 1 / (1 + np.exp(-(G @ w + b)))

def step():
    global w, b
    p = proba(X)
    w = w - 0.05 * X.T @ (p - y) / len(y)
    b = b - 0.05 * np.mean(p - y)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))""",
    "training.live_training_view(step, proba, X, y, max_steps=100_000, steps_per_frame=5)",
]
# Chromium must not try to reach the internet: no background traffic, no updates, no first-run work.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps",
                 "--no-first-run", "--disable-domain-reliability", "--disable-breakpad",
                 "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"]
# JupyterLab settings for the test: every cell stays in the page, and no news pop-up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}

pytestmark = pytest.mark.browser



def _unavailable(reason):
    """Skip, with the reason; CI sets COURSE_REQUIRE_BROWSER=1 so that a missing browser fails instead."""
    if os.environ.get("COURSE_REQUIRE_BROWSER"):
        raise RuntimeError(f"COURSE_REQUIRE_BROWSER is set, but {reason}")
    pytest.skip(f"browser test skipped: {reason}", allow_module_level=True)


if not Path(CHROMIUM).is_file():
    _unavailable(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; "
                 "or set CHROMIUM=/path/to/chromium)")
try:
    from playwright.sync_api import sync_playwright
except ImportError:
    _unavailable("the playwright package is missing (pip install -e '.[test]')")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_without_outputs(source, dest):
    """A copy of a notebook with its outputs and execution counts cleared, so that what the
    browser shows comes from this run."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb.get("metadata", {}).pop("widgets", None)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")


def _start_lab(root, config_path=None):
    """Start JupyterLab on a free port serving root (also its working folder, as for `make formgrader`),
    with the test's settings beside root; returns (process, URL, log file) at once.

    config_path goes first on JUPYTER_CONFIG_PATH, as lab/ does for `make lab`; without it the
    venv's Jupyter config alone counts."""
    tmp = root.parent
    for name, values in LAB_SETTINGS.items():
        (tmp / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "settings" / name).write_text(json.dumps(values))
    bin_dir = Path(sys.executable).parent  # first on PATH, as the Makefile does: nbgrader runs `alembic`
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")}
    # Live widgets and inline plots, as for a student, and only the Jupyter config asked for.
    for name in ("NBGRADER_EXECUTION", "MPLBACKEND", "JUPYTER_CONFIG_PATH"):
        env.pop(name, None)
    if config_path:
        env["JUPYTER_CONFIG_PATH"] = str(config_path)
    port = _free_port()
    cmd = [str(bin_dir / "jupyter"), "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
           f"--ServerApp.root_dir={root}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = tmp / "jupyter.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("w") as log_file:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log_file,
                                start_new_session=True)
    return proc, f"http://127.0.0.1:{port}", log


def _wait_until_served(proc, url, log, timeout=60):
    """url, once the server there answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5):
                return url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}: "
                                   f"{log.read_text()[-2000:]}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _stop(procs):
    """Stop servers and their kernels (a process group each), all at once: politely first, then for sure."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        running = [proc for proc in procs if proc.poll() is None]
        for proc in running:
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + grace
        for proc in running:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass


def _student_root(root):
    """Copies of one exercise and one solution notebook, and the live training notebook, in root."""
    for relative in (EXERCISE, SOLUTION):
        base = EXERCISES_DIR if relative.startswith("exercises/") else SOLUTIONS_DIR
        source = base.parent / relative
        assert source.is_file(), f"{relative} is missing: run make release"
        _copy_without_outputs(source, root / relative)
    live = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"cell-{k}", "metadata": {},
                       "outputs": [], "source": source} for k, source in enumerate(LIVE_TRAINING_CELLS)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}
    (root / LIVE_TRAINING).parent.mkdir(parents=True, exist_ok=True)
    (root / LIVE_TRAINING).write_text(json.dumps(live), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def labs(tmp_path_factory):
    """Two JupyterLabs, started together: the student's as `make lab` starts it, on copies of a few
    notebooks, and the instructor's as `make formgrader` starts it, on a copy of course/ (whose 01
    has a written answer graded by hand, and no due dates)."""
    course = copy_course(tmp_path_factory.mktemp("formgrader") / "course", list_assignments(), free_text=True,
                         description="")
    servers = {"student": _start_lab(_student_root(tmp_path_factory.mktemp("lab") / "root"),
                                     STUDENT_LAB_CONFIG),
               "instructor": _start_lab(course)}
    try:
        yield {"course": course, **{name: _wait_until_served(*server) for name, server in servers.items()}}
    finally:
        _stop([proc for proc, _, _ in servers.values()])


@pytest.fixture(scope="module")
def lab(labs):
    return labs["student"]


@pytest.fixture(scope="module")
def instructor_lab(labs):
    return labs["instructor"]


@pytest.fixture(scope="module")
def graded_course(labs, tmp_path_factory):
    """One student's 01, with a written answer, graded into the instructor lab's course as `make grade`
    does (`grade --gradebook`); the course folder and the student's summary row."""
    root = tmp_path_factory.mktemp("class")
    hand_in(root / "submitted", "ann", solution_answers(), free_text="Rates multiply along each path.")
    proc = run_grade(root / "submitted", root / "grades", labs["course"], "--gradebook", "--no-similarity")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"course": labs["course"], "summary": read_csv(root / "grades" / "summary.csv")[0]}


@pytest.fixture(scope="module")
def browser():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {SCREENSHOTS}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


# ---------------------------------------------------------------- what a student does

def open_notebook(page, lab, relative):
    page.goto(f"{lab}/lab/tree/{relative}?reset&token={TOKEN}")  # reset: no tabs from the last test
    page.wait_for_selector(".jp-NotebookPanel-toolbar")
    page.locator("#jp-main-statusbar").get_by_text("| Idle").wait_for(timeout=60_000)  # the kernel is up


def run_all_cells(page, timeout=90):
    """Run > Run All Cells, then wait until no cell is queued or running any more."""
    page.locator(".lm-MenuBar").get_by_text("Run", exact=True).click()
    page.locator(".lm-Menu").get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')]
                .map(e => e.textContent);
            return prompts.some(t => /\\[\\d+\\]/.test(t)) && !prompts.some(t => t.includes('*'));
        }""", timeout=timeout * 1000)
    page.locator("#jp-main-statusbar").get_by_text("| Idle").wait_for()


def rendered_images(page):
    """(natural width, natural height) of every image in the notebook's outputs."""
    return page.eval_on_selector_all(
        ".jp-Notebook .jp-OutputArea-output img", "els => els.map(e => [e.naturalWidth, e.naturalHeight])")


def widget_state(box):
    """What a student sees of a slider widget: its readout text and the source of its plot."""
    return {"readout": box.locator(".widget-html-content").first.inner_text(),
            "slider": box.locator(".widget-readout").first.inner_text(),
            "plot": box.locator("img").first.get_attribute("src")}


def drag_slider(page, box, fraction):
    """Drag the first slider handle of `box` by `fraction` of the slider's width."""
    track = box.locator(".widget-slider .noUi-target").first
    handle = box.locator(".widget-slider .noUi-handle").first
    handle.scroll_into_view_if_needed()
    width = track.bounding_box()["width"]
    spot = handle.bounding_box()
    x, y = spot["x"] + spot["width"] / 2, spot["y"] + spot["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + fraction * width / 2, y, steps=5)
    page.mouse.move(x + fraction * width, y, steps=5)
    page.mouse.up()


def wait_for_change(page, box, before, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = widget_state(box)
        if now["readout"] != before["readout"] and now["plot"] != before["plot"]:
            return now
        page.wait_for_timeout(200)
    return widget_state(box)


def visible_labels(page, selector):
    """In lower case, the text (or, for an icon, the tooltip) of each visible element matching selector."""
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.offsetParent !== null)"
                  ".map(e => (e.innerText.trim() || e.title).toLowerCase())")


def offered_tools(page):
    """What the lab offers to open: the Nbgrader menu's items, the side bars' tabs and the command palette."""
    page.locator(".lm-MenuBar").get_by_text("Nbgrader", exact=True).click()
    menu = visible_labels(page, ".lm-Menu .lm-Menu-itemLabel")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").wait_for()
    palette = visible_labels(page, ".lm-CommandPalette-itemLabel")
    page.keyboard.press("Escape")
    return {"menu": menu, "side bar": visible_labels(page, ".jp-SideBar .lm-TabBar-tab"), "palette": palette}


def places_of(tool, offered):
    """Where in offered_tools(...) the tool shows up."""
    return [place for place, labels in offered.items() if any(tool.lower() in label for label in labels)]


def screenshot(locator, name):
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(SCREENSHOTS / name))


def assert_student_tools_only(page):
    """nbgrader's Validate button and Assignment List, and none of its instructor tools."""
    validate = page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True)
    assert validate.is_visible(), "nbgrader's Validate button is missing from the notebook toolbar"
    offered = offered_tools(page)
    assert places_of("Assignment List", offered) == ["menu", "palette"], offered
    for tool in INSTRUCTOR_TOOLS:
        assert not places_of(tool, offered), f"students see nbgrader's {tool} in: {places_of(tool, offered)}"


# ---------------------------------------------------------------- the tests

def test_exercise_notebook_has_student_tools_only_runs_and_its_slider_moves_the_plot(lab, page):
    open_notebook(page, lab, EXERCISE)
    assert_student_tools_only(page)
    screenshot(page.locator(".jp-NotebookPanel").first, "01_exercise_opened_validate_button.png")

    run_all_cells(page)
    # The first exercise is not done yet, so Run All stops at its test cell with the student's error.
    assert page.locator(".jp-Notebook").get_by_text("NotImplementedError").count() > 0
    images = rendered_images(page)
    assert images and all(w > 100 and h > 100 for w, h in images), f"plots did not render: {images}"

    box = page.locator(".jp-OutputArea-output .widget-vbox", has=page.locator(".widget-slider")).first
    box.wait_for()
    before = widget_state(box)
    assert before["plot"] and "f'(x0)" in before["readout"]
    screenshot(box, "01_exercise_nudge_slider_before.png")
    drag_slider(page, box, -0.3)
    after = wait_for_change(page, box, before)
    assert after["slider"] != before["slider"], "the slider did not move"
    assert after["readout"] != before["readout"], "the readout did not follow the slider"
    assert after["plot"] != before["plot"], "the plot did not follow the slider"
    screenshot(box, "01_exercise_nudge_slider_moved.png")


def test_solution_notebook_runs_with_diagrams_and_the_weight_explorer(lab, page):
    open_notebook(page, lab, SOLUTION)
    assert page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).is_visible()
    run_all_cells(page)
    errors = page.locator(".jp-Notebook .jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert page.locator(".jp-Notebook").get_by_text("Traceback").count() == 0, errors.all_inner_texts()[:3]
    images = rendered_images(page)
    assert len(images) >= 8, f"expected the network diagrams and plots, found {len(images)} images"
    assert all(w > 100 and h > 100 for w, h in images), f"an image did not render: {images}"

    diagram = page.locator(".jp-CodeCell", has_text="highlight_style=\"halo\"").first
    screenshot(diagram.locator(".jp-OutputArea-output img").last, "04_solution_two_paths_diagram.png")

    box = page.locator(".jp-OutputArea-output .widget-vbox", has=page.locator(".widget-dropdown")).first
    box.wait_for()
    before = widget_state(box)
    assert "W3[1, 0]" in before["readout"] and before["plot"]
    screenshot(box, "04_solution_weight_explorer_start.png")

    box.locator(".widget-dropdown select").select_option(label="W1[0, 1]  (w(1)_12)")
    chosen = wait_for_change(page, box, before)
    assert "W1[0, 1]" in chosen["readout"], "choosing another weight did not redraw the explorer"
    drag_slider(page, box, 0.25)
    after = wait_for_change(page, box, chosen)
    assert after["slider"] != chosen["slider"], "the slider did not move"
    assert after["readout"] != chosen["readout"] and after["plot"] != chosen["plot"], \
        "the weight explorer did not follow the slider"
    screenshot(box, "04_solution_weight_explorer_moved.png")

    page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_text("Validation Results").wait_for(timeout=90_000)
    dialog.get_by_text("Success! Your notebook passes all the tests.").wait_for()
    screenshot(dialog.locator(".jp-Dialog-content"), "04_solution_validate_success.png")


def test_live_training_view_starts_and_stops(lab, page):
    open_notebook(page, lab, LIVE_TRAINING)
    run_all_cells(page)
    view = page.locator(".jp-OutputArea-output .widget-vbox", has=page.locator("button", has_text="Start")).first
    view.wait_for()
    status, picture = view.locator(".widget-html-content").first, view.locator("img").first
    assert "stopped: 0/100000 steps" in status.inner_text()
    first_picture = picture.get_attribute("src")

    view.locator("button", has_text="Start").click()
    page.wait_for_function("s => { const m = /running: (\\d+)/.exec(s.textContent); return m && +m[1] >= 50; }",
                           arg=status.element_handle())
    view.locator("button", has_text="Stop").click()
    page.wait_for_function("s => s.textContent.includes('stopped')", arg=status.element_handle())
    stopped = status.inner_text()
    page.wait_for_timeout(1500)
    assert status.inner_text() == stopped, "training went on after Stop"
    assert picture.get_attribute("src") != first_picture, "the picture did not follow the training"
    assert view.locator("button", has_text="Start").is_enabled()
    screenshot(view, "live_training_view_stopped.png")


def open_instructor_lab(page, instructor_lab):
    page.goto(f"{instructor_lab}/lab?reset&token={TOKEN}")
    page.locator(".jp-LauncherCard").first.wait_for(timeout=60_000)  # every plugin has started


def open_formgrader(page):
    """Nbgrader > Formgrader; the formgrader's frame."""
    page.locator(".lm-MenuBar").get_by_text("Nbgrader", exact=True).click()
    page.locator(".lm-Menu").get_by_text("Formgrader", exact=True).click()
    formgrader = page.frame_locator("#formgrader iframe")
    formgrader.get_by_text("Manage Assignments").first.wait_for()
    return formgrader


def follow(formgrader, path):
    """Click the formgrader's link to /formgrader/<path> (each page links to the next by address)."""
    formgrader.locator(f"a[href$='/formgrader/{path}']").first.click()


def student_total(formgrader, student):
    """The student's overall score on the formgrader's Manage Students page."""
    follow(formgrader, "manage_students")
    row = formgrader.locator("#main-table tr", has=formgrader.get_by_text(student, exact=True))
    return row.locator("td").nth(3).inner_text()


def test_instructor_lab_shows_the_formgrader(instructor_lab, page):
    open_instructor_lab(page, instructor_lab)
    offered = offered_tools(page)
    for tool in INSTRUCTOR_TOOLS:
        assert places_of(tool, offered), f"the instructor lab does not offer nbgrader's {tool}: {offered}"
    formgrader = open_formgrader(page)
    formgrader.get_by_text("01_chain_rule").first.wait_for(timeout=FORMGRADER_TIMEOUT)  # it reads source/
    screenshot(page.locator("#formgrader"), "instructor_formgrader.png")


def test_the_formgrader_shows_the_grades_and_saves_a_grade_given_by_hand(instructor_lab, graded_course, page):
    score, out_of = float(graded_course["summary"]["score"]), float(graded_course["summary"]["max_score"]) + 2
    page.set_default_timeout(FORMGRADER_TIMEOUT)
    open_instructor_lab(page, instructor_lab)
    formgrader = open_formgrader(page)
    # The autograder's score, out of the test cells' points and the written answer's 2.
    assert student_total(formgrader, "ann") == f"{score:g} / {out_of:g}"

    follow(formgrader, "gradebook")
    follow(formgrader, f"gradebook/{ASSIGNMENT}")
    follow(formgrader, f"gradebook/{ASSIGNMENT}/{ASSIGNMENT}")
    formgrader.locator("#main-table a", has_text="Submission #1").click()
    formgrader.locator(f"input#{FREE_TEXT}.needs_manual_grade").wait_for()   # the written answer waits for us
    written = formgrader.locator(f"input#{FREE_TEXT}")
    written.fill("1.5")
    written.press("Tab")                                                      # the formgrader saves on change
    formgrader.locator(f"input#{FREE_TEXT}:not(.needs_manual_grade)").wait_for()
    written.scroll_into_view_if_needed()
    screenshot(page.locator("#formgrader"), "instructor_formgrader_manual_grade.png")

    deadline = time.monotonic() + 20
    while True:
        with gradebook(graded_course["course"]) as gb:
            grade = gb.find_grade(FREE_TEXT, ASSIGNMENT, ASSIGNMENT, "ann")
            saved = (grade.manual_score, grade.needs_manual_grade)
        if saved == (1.5, False) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert saved == (1.5, False), "the grade typed in the formgrader is not in the gradebook"
    follow(formgrader, "gradebook")                                           # back, by the breadcrumbs
    assert student_total(formgrader, "ann") == f"{score + 1.5:g} / {out_of:g}"
