"""Tests for bpkit.widgets: live widget logic and the static fallback."""

import math

import matplotlib

matplotlib.use("Agg")
import IPython  # noqa: E402
import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
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
    assert len(fig.axes) == 4  # the overview and a zoom for each of three steps
    assert plt.get_fignums() == []
    titles = [ax.get_title().splitlines()[0] for ax in fig.axes]
    assert titles == ["f near x0 = 1; the boxes are the zooms", "zoom on the step dx = 0.1",
                      "zoom on the step dx = 0.5", "zoom on the step dx = 2"]

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


# ---------------------------------------------------------------- the nudge plot

def cubic(x):
    return x**3 - 2 * x  # notebook 01's function, at x0 = 1 with dx_max = 2


def cubic_prime(x):
    return 3 * x**2 - 2


STEPS = (0.02, 0.1, -0.1, 0.5, -0.5, 2.0, -2.0)


def segment(ax, gid):
    """(x, y_start, y_end) of a vertical segment drawn with that gid."""
    line = lines_by_gid(ax)[gid]
    (x, x_again), (y_start, y_end) = line.get_xdata(), line.get_ydata()
    assert x == x_again, f"{gid} is not vertical"
    return x, y_start, y_end


def labels(ax):
    return {text.get_gid(): text for text in ax.texts if text.get_gid()}


@pytest.mark.parametrize("dx", STEPS)
def test_zoom_shows_df_and_the_prediction_side_by_side_and_filling_it(dx):
    zoom = widgets.plot_nudge(cubic, cubic_prime, 1.0, dx, dx_max=2.0).axes[1]
    (x_lo, x_hi), (y_lo, y_hi) = zoom.get_xlim(), zoom.get_ylim()
    x_df, *df = segment(zoom, "df")
    x_prediction, *prediction = segment(zoom, "prediction")
    assert x_df == 1.0 + dx and df == [-1.0, pytest.approx(cubic(1.0 + dx))]
    assert prediction == [-1.0, pytest.approx(-1.0 + dx)]  # f'(1) = 1
    assert 0 < abs(x_prediction - x_df) < 0.05 * (x_hi - x_lo), "the segments should stand side by side"
    assert x_lo < min(1.0, 1.0 + dx) and max(1.0, 1.0 + dx) < x_hi, "the zoom should hold the whole step"
    ends = df + prediction
    covered = (max(ends) - min(ends)) / (y_hi - y_lo)
    assert covered > 0.75, f"the two changes cover only {covered:.0%} of the zoom's height"
    shares = [abs(end - start) / (y_hi - y_lo) for start, end in (df, prediction)]
    if abs(dx) <= 0.1:  # small steps: df and f'(x0)dx agree, and each fills most of the zoom
        assert min(shares) > 0.5, f"a change fills only {min(shares):.0%} of the zoom's height"


def test_zoom_follows_dx():
    widths = [np.diff(widgets.plot_nudge(cubic, cubic_prime, 1.0, dx).axes[1].get_xlim())[0]
              for dx in (0.02, 0.2, 2.0)]
    assert widths == pytest.approx([widths[0], 10 * widths[0], 100 * widths[0]])


@pytest.mark.parametrize("function, derivative, x0", [(cubic, cubic_prime, 1.0), (np.sin, np.cos, 0.3),
                                                      (np.exp, np.exp, 0.0)])
def test_zoom_labels_are_apart_inside_the_panel_and_off_the_segments(function, derivative, x0):
    for dx in STEPS:
        fig = widgets.plot_nudge(function, derivative, x0, dx, dx_max=2.0)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # lays the text out: its extents in pixels
        renderer, zoom = canvas.get_renderer(), fig.axes[1]
        boxes = {gid: text.get_window_extent(renderer) for gid, text in labels(zoom).items()}
        assert set(boxes) == {"df_label", "prediction_label"}
        assert not boxes["df_label"].overlaps(boxes["prediction_label"]), f"the labels overlap at dx = {dx}"
        panel = zoom.get_window_extent(renderer)
        for gid, box in boxes.items():
            assert panel.x0 <= box.x0 and box.x1 <= panel.x1 and panel.y0 <= box.y0 and box.y1 <= panel.y1, \
                f"{gid} sticks out of the zoom at dx = {dx}"
            for line in ("df", "prediction"):
                assert not box.overlaps(lines_by_gid(zoom)[line].get_window_extent(renderer)), \
                    f"{gid} covers the {line} segment at dx = {dx}"


def test_labels_and_title_give_the_numbers():
    zoom = widgets.plot_nudge(cubic, cubic_prime, 1.0, 0.1).axes[1]
    assert {gid: text.get_text() for gid, text in labels(zoom).items()} == \
        {"df_label": "df = 0.131", "prediction_label": "f'(x0)·dx = 0.1"}
    assert zoom.get_title() == "zoom on the step dx = 0.1\n|df - f'(x0)·dx| = 0.031 = 0.31·|dx|"


def test_overview_boxes_the_zoom_and_keeps_its_range_for_small_steps():
    overviews = []
    for dx in (0.02, 0.5, 2.0):
        overview, zoom = widgets.plot_nudge(cubic, cubic_prime, 1.0, dx, dx_max=2.0).axes
        (box,) = [patch for patch in overview.patches if patch.get_gid() == "zoom_box"]
        assert (box.get_x(), box.get_x() + box.get_width()) == pytest.approx(zoom.get_xlim())
        assert (box.get_y(), box.get_y() + box.get_height()) == pytest.approx(zoom.get_ylim())
        (x_lo, x_hi), (y_lo, y_hi) = overview.get_xlim(), overview.get_ylim()
        assert x_lo <= box.get_x() and box.get_x() + box.get_width() <= x_hi
        assert y_lo <= box.get_y() and box.get_y() + box.get_height() <= y_hi
        overviews.append(overview.get_xlim())
    assert overviews[0] == overviews[1] == pytest.approx((1.0 - 2.4, 1.0 + 2.4))  # x0 +- 1.2 dx_max


def test_a_step_of_zero_still_draws_a_zoom():
    zoom = widgets.plot_nudge(cubic, cubic_prime, 1.0, 0.0).axes[1]
    (x_lo, x_hi), (y_lo, y_hi) = zoom.get_xlim(), zoom.get_ylim()
    assert x_lo < 1.0 < x_hi and y_lo < -1.0 < y_hi
    assert "df = 0" == labels(zoom)["df_label"].get_text()


def test_static_fallback_draws_what_the_slider_would_show():
    static = widgets.nudge_explorer(cubic, cubic_prime, 1.0, dx_max=2.0, static=True)
    for dx, zoom in zip((0.1, 0.5, 2.0), static.axes[1:]):
        live = widgets.plot_nudge(cubic, cubic_prime, 1.0, dx, dx_max=2.0).axes[1]
        assert zoom.get_xlim() == live.get_xlim() and zoom.get_ylim() == live.get_ylim()
        assert zoom.get_title() == live.get_title()
        for gid in ("df", "prediction"):
            assert segment(zoom, gid) == segment(live, gid)
        assert [t.get_text() for t in zoom.texts] == [t.get_text() for t in live.texts]
    boxes = [patch for patch in static.axes[0].patches if patch.get_gid() == "zoom_box"]
    assert len(boxes) == 3


def test_live_plot_follows_the_slider(monkeypatch):
    shown = []
    monkeypatch.setattr(widgets, "display", shown.append)  # the figures the plot area would show
    slider = widgets.nudge_explorer(cubic, cubic_prime, 1.0, dx_max=2.0, static=False).children[0]
    slider.value = -0.1
    assert len(shown) == 2
    for fig, dx in zip(shown, (0.5, -0.1)):
        expected = widgets.plot_nudge(cubic, cubic_prime, 1.0, dx, dx_max=2.0).axes[1]
        assert fig.axes[1].get_xlim() == expected.get_xlim()
        assert segment(fig.axes[1], "df") == segment(expected, "df")


def test_static_nudge_work_is_bounded(capsys):
    """Under nbgrader the explorer samples f on fixed grids: even a function that takes one number
    at a time is called at most once per grid point, plus a few times for the numbers."""
    calls = {"f": 0, "f_prime": 0}

    def scalar_only(x):
        calls["f"] += 1
        return math.sin(x)  # rejects arrays, so every grid point is one call

    def scalar_prime(x):
        calls["f_prime"] += 1
        return math.cos(x)

    widgets.nudge_explorer(scalar_only, scalar_prime, 0.5, dx_max=1.0, static=True)
    grid_points = widgets.OVERVIEW_POINTS + 3 * widgets.ZOOM_POINTS
    assert grid_points < calls["f"] <= grid_points + 12
    assert calls["f_prime"] <= 4


# ---------------------------------------------------------------- weight explorer

TARGET = np.array([[1.0, -2.0], [0.5, 3.0]])


def quad_cost(params):
    """J = sum((W1 - TARGET)**2 * (1, 2, 3, 4)) / 2 + b1**2: a slope that differs per entry."""
    scale = np.array([[1.0, 2.0], [3.0, 4.0]])
    return float(np.sum(scale * (params["W1"] - TARGET) ** 2) / 2 + np.sum(params["b1"] ** 2))


def quad_gradient(params):
    scale = np.array([[1.0, 2.0], [3.0, 4.0]])
    return {"dW1": scale * (params["W1"] - TARGET), "db1": 2 * params["b1"]}


def quad_params():
    return {"W1": np.zeros((2, 2)), "b1": np.array([[0.5, -1.0]])}


def lines_by_gid(ax):
    return {line.get_gid(): line for line in ax.lines if line.get_gid()}


def test_weight_slice_numbers_and_params_left_alone():
    params = quad_params()
    n = widgets.weight_slice(quad_cost, quad_gradient, params, "W1[1, 0]", value=0.25, span=1.0,
                             points=11)
    assert (n["name"], n["index"], n["start"], n["value"]) == ("W1", (1, 0), 0.0, 0.25)
    assert n["label"] == "W1[1, 0]  (w(1)_21)"
    assert np.allclose(n["grid"], np.linspace(-1, 1, 11))
    # J along the slice: 3 * (w - 0.5)**2 / 2 plus the other, fixed terms
    rest = quad_cost(params) - 3 * 0.25 / 2
    assert np.allclose(n["curve"], 1.5 * (n["grid"] - 0.5) ** 2 + rest)
    assert n["slope"] == pytest.approx(3 * (0.25 - 0.5))
    assert n["numerical"] == pytest.approx(n["slope"], rel=1e-6)
    assert np.array_equal(params["W1"], np.zeros((2, 2)))  # copies only


def test_tangent_has_the_gradients_slope_and_touches_the_curve():
    params = quad_params()
    fig = widgets.plot_weight_slice(quad_cost, quad_gradient, params, ("W1", (0, 1)), value=-1.0,
                                    span=2.0)
    assert isinstance(fig, Figure) and plt.get_fignums() == []
    lines = lines_by_gid(fig.axes[0])
    assert {"loss_curve", "tangent", "current", "start"} <= set(lines)
    (x0, x1), (y0, y1) = lines["tangent"].get_xdata(), lines["tangent"].get_ydata()
    slope = (y1 - y0) / (x1 - x0)
    assert slope == pytest.approx(2 * (-1.0 + 2.0))  # dJ/dw for W1[0, 1] at w = -1
    (cx,), (cy,) = lines["current"].get_xdata(), lines["current"].get_ydata()
    assert cx == -1.0
    assert cy == pytest.approx(quad_cost({**params, "W1": np.array([[0.0, -1.0], [0.0, 0.0]])}))
    assert (x0 + x1) / 2 == pytest.approx(cx) and (y0 + y1) / 2 == pytest.approx(cy)
    curve = lines["loss_curve"]
    assert curve.get_xdata()[0] == pytest.approx(-2.0) and curve.get_xdata()[-1] == pytest.approx(2.0)
    assert list(lines["start"].get_xdata()) == [0.0, 0.0]


def test_a_wrong_gradient_shows_as_a_line_that_is_not_a_tangent():
    def wrong_gradient(params):
        return {name: -value for name, value in quad_gradient(params).items()}  # a sign error
    n = widgets.weight_slice(quad_cost, wrong_gradient, quad_params(), "W1[0, 0]")
    assert n["slope"] == pytest.approx(-n["numerical"])
    fig = widgets.plot_weight_slice(quad_cost, wrong_gradient, quad_params(), "W1[0, 0]")
    tangent = lines_by_gid(fig.axes[0])["tangent"]
    slope = np.diff(tangent.get_ydata())[0] / np.diff(tangent.get_xdata())[0]
    assert slope == pytest.approx(1.0)  # the true slope at w = 0 is -1


def test_gradient_keys_with_or_without_d_and_clear_errors():
    def plain_keys(params):
        return {"W1": quad_gradient(params)["dW1"], "b1": quad_gradient(params)["db1"]}
    assert widgets.weight_slice(quad_cost, plain_keys, quad_params(), "b1[0, 1]")["slope"] == -2.0
    with pytest.raises(KeyError, match="dW1"):
        widgets.weight_slice(quad_cost, lambda p: {"db1": p["b1"]}, quad_params(), "W1[0, 0]")
    with pytest.raises(ValueError, match="shape"):
        widgets.weight_slice(quad_cost, lambda p: {"dW1": np.zeros(3)}, quad_params(), "W1[0, 0]")
    with pytest.raises(ValueError, match="no 'W7'"):
        widgets.weight_slice(quad_cost, quad_gradient, quad_params(), "W7[0, 0]")
    with pytest.raises(ValueError, match="not an entry"):
        widgets.weight_slice(quad_cost, quad_gradient, quad_params(), "W1[2, 0]")
    with pytest.raises(ValueError, match="name\\[i, j\\]"):
        widgets.weight_slice(quad_cost, quad_gradient, quad_params(), "W1(0, 0)")
    with pytest.raises(ValueError, match="span"):
        widgets.weight_explorer(quad_cost, quad_gradient, quad_params(), span=0)


def test_weight_explorer_static_fallback_under_nbgrader(in_kernel, monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    fig = widgets.weight_explorer(quad_cost, quad_gradient, quad_params(),
                                  weights=["W1[0, 0]", ("b1", (0, 1)), "W1[1, 1]"])
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert [ax.get_xlabel() for ax in fig.axes] == ["W1[0, 0]  (w(1)_11)", "b1[0, 1]  (b(1)_2)",
                                                    "W1[1, 1]  (w(1)_22)"]
    for ax, slope in zip(fig.axes, (-1.0, -2.0, -12.0)):
        tangent = lines_by_gid(ax)["tangent"]
        assert np.diff(tangent.get_ydata())[0] / np.diff(tangent.get_xdata())[0] == pytest.approx(slope)
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 4
    assert rows[3].split()[-2:] == ["-12", "-12"]  # your slope and the numerical one


def test_weight_explorer_static_shows_at_most_four_weights():
    fig = widgets.weight_explorer(quad_cost, quad_gradient, quad_params())
    assert len(fig.axes) == 4  # six entries in params, the first four drawn


def test_weight_explorer_live_slider_and_chooser():
    params = quad_params()
    box = widgets.weight_explorer(quad_cost, quad_gradient, params, span=2.0, static=False)
    chooser, slider, readout, output = box.children
    assert isinstance(chooser, ipywidgets.Dropdown)
    assert isinstance(slider, ipywidgets.FloatSlider)
    assert isinstance(readout, ipywidgets.HTML) and isinstance(output, ipywidgets.Output)
    assert len(chooser.options) == 6
    assert (slider.min, slider.max, slider.value) == (-2.0, 2.0, 0.0)
    assert "W1[0, 0]" in readout.value and ">-1<" in readout.value  # slope at w = 0
    slider.value = 0.5
    assert ">-0.5<" in readout.value and ">0.5<" in readout.value  # slope and value at w = 0.5
    chooser.value = ("W1", (1, 1))
    assert slider.value == 0.0  # a new weight starts at its value in params
    assert "W1[1, 1]" in readout.value and ">-12<" in readout.value
    assert np.array_equal(params["W1"], np.zeros((2, 2)))
    assert plt.get_fignums() == []


def test_weight_explorer_live_offers_every_entry_with_the_given_ones_first():
    box = widgets.weight_explorer(quad_cost, quad_gradient, quad_params(),
                                  weights=["b1[0, 1]", "W1[1, 0]"], static=False)
    chooser = box.children[0]
    assert [value for _, value in chooser.options][:3] == [("b1", (0, 1)), ("W1", (1, 0)), ("W1", (0, 0))]
    assert len(chooser.options) == 6 and chooser.value == ("b1", (0, 1))


def test_weight_explorer_static_work_is_bounded(monkeypatch):
    """Under nbgrader the explorer evaluates one curve and one gradient per panel, nothing more."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    calls = {"cost": 0, "gradient": 0}

    def counted_cost(params):
        calls["cost"] += 1
        return quad_cost(params)

    def counted_gradient(params):
        calls["gradient"] += 1
        return quad_gradient(params)

    widgets.weight_explorer(counted_cost, counted_gradient, quad_params(), weights=["W1[0, 0]", "b1[0, 0]"])
    assert calls["gradient"] == 2
    assert calls["cost"] == 2 * (121 + 3)  # the curve, the point, and the two ends of a central difference
