"""Tests for bpkit.widgets: live widget logic and the static fallback."""

import matplotlib

matplotlib.use("Agg")
import IPython  # noqa: E402
import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bpkit import widgets  # noqa: E402


def f(x):
    return x**3


def f_prime(x):
    return 3 * x**2


pytestmark = pytest.mark.usefixtures("clean_figures")


# ---------------------------------------------------------------- in_live_kernel

def test_not_live_outside_ipython():
    assert widgets.in_live_kernel() is False


def test_live_inside_a_kernel(in_kernel):
    assert widgets.in_live_kernel() is True


def test_not_live_under_nbgrader_even_in_a_kernel(in_kernel, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert widgets.in_live_kernel() is False


def test_not_live_in_terminal_ipython(monkeypatch):
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # a shell without kernel
    assert widgets.in_live_kernel() is False


# ---------------------------------------------------------------- static fallback

def test_static_fallback_is_the_default_outside_a_kernel(capsys):
    fig = widgets.nudge_explorer(f, f_prime, 1.0, dx_max=2.0)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    assert plt.get_fignums() == []
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["x0 = 1, dx = 0.1", "x0 = 1, dx = 0.5", "x0 = 1, dx = 2"]

    table = capsys.readouterr().out.strip().splitlines()
    assert len(table) == 4  # header + one row per dx
    dx, df, prediction, gap = (float(cell) for cell in table[-1].split())
    assert (dx, df, prediction) == (2.0, 26.0, 6.0)  # 3**3 - 1**3 and 3 * 1**2 * 2
    assert gap == 20.0


def test_static_fallback_under_nbgrader_even_in_a_kernel(in_kernel, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert isinstance(widgets.nudge_explorer(np.sin, np.cos, 0.0), Figure)


def test_dx_max_must_be_positive():
    with pytest.raises(ValueError, match="dx_max"):
        widgets.nudge_explorer(f, f_prime, 1.0, dx_max=0.0)


# ---------------------------------------------------------------- live widget

def test_live_widget_structure():
    box = widgets.nudge_explorer(f, f_prime, 1.0, dx_max=2.0, static=False)
    assert isinstance(box, ipywidgets.VBox)
    slider, readout, output = box.children
    assert isinstance(slider, ipywidgets.FloatSlider)
    assert isinstance(readout, ipywidgets.HTML)
    assert isinstance(output, ipywidgets.Output)
    assert (slider.min, slider.max, slider.value) == (-2.0, 2.0, 0.5)
    assert slider.description == "dx"
    # Initial readout for dx = 0.5: df = 1.5**3 - 1 = 2.375, f'(1) dx = 1.5, gap 0.875.
    assert "2.375" in readout.value and "1.5" in readout.value and "0.875" in readout.value
    assert plt.get_fignums() == []


def test_live_readout_follows_the_slider():
    box = widgets.nudge_explorer(f, f_prime, 1.0, dx_max=2.0, static=False)
    slider, readout, _ = box.children
    before = readout.value
    slider.value = 0.01
    after = readout.value
    assert after != before
    # df = 1.01**3 - 1 = 0.030301, f'(1) dx = 0.03, gap / |dx| = 0.0301
    assert "0.030301" in after and "0.03" in after and "0.0301" in after
    slider.value = -1.0
    assert "-1" in readout.value  # df = 0 - 1
