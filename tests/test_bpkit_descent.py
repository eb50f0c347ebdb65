"""Tests for bpkit.descent: gradient-descent plots and the learning-rate explorer (Agg backend)."""

import matplotlib

matplotlib.use("Agg")
import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bpkit import descent  # noqa: E402


pytestmark = pytest.mark.usefixtures("clean_figures")


# A descent as a student would write it (bpkit has none), counting its calls.
class StudentDescent:
    def __init__(self):
        self.calls = []

    def __call__(self, grad, x0, learning_rate, n_steps):
        self.calls.append((x0, learning_rate, n_steps))
        x, path = float(x0), [float(x0)]
        for _ in range(n_steps):
            x = x - learning_rate * grad(x)
            path.append(x)
        return np.array(path)


def square(x):
    return x**2


def square_prime(x):
    return 2 * x


def line_data(ax):
    return [(np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)) for line in ax.lines]


def legend_texts(ax):
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


# ---------------------------------------------------------------- successive_ratios

def test_successive_ratios_of_a_geometric_path():
    ratios = descent.successive_ratios([8.0, -4.0, 2.0, -1.0])
    np.testing.assert_array_equal(ratios, [-0.5, -0.5, -0.5])


def test_successive_ratios_are_nan_after_an_exact_zero():
    ratios = descent.successive_ratios(np.array([[1.0], [0.0], [0.0]]))
    assert ratios[0] == 0.0
    assert np.isnan(ratios[1])


# ---------------------------------------------------------------- plot_path_1d

def test_path_1d_draws_the_iterates_on_the_curve():
    path = np.array([3.0, 2.4, 1.92])
    fig = descent.plot_path_1d(square, path, title="three points")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "three points"
    curve, iterates, start = line_data(ax)
    np.testing.assert_allclose(curve[1], curve[0] ** 2)
    np.testing.assert_array_equal(iterates[0], path)
    np.testing.assert_array_equal(iterates[1], path**2)
    assert (start[0][0], start[1][0]) == (3.0, 9.0)
    # The x range covers every iterate, with a margin.
    lo, hi = ax.get_xlim()
    assert lo < 1.92 and hi > 3.0
    assert "start x₀" in legend_texts(ax)


def test_path_1d_has_one_arrow_per_step():
    fig = descent.plot_path_1d(square, [1.0, -0.6, 0.36, -0.216])
    arrows = [t for t in fig.axes[0].texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == 3


def test_path_1d_covers_a_diverging_path_and_rejects_an_empty_one():
    fig = descent.plot_path_1d(square, [1.0, -1.1, 1.21, -1.331, 1.4641])
    lo, hi = fig.axes[0].get_xlim()
    assert lo < -1.331 and hi > 1.4641
    with pytest.raises(ValueError, match="finite"):
        descent.plot_path_1d(square, [np.nan, np.inf])


def test_path_1d_rejects_a_2d_path():
    with pytest.raises(ValueError, match="1-d path"):
        descent.plot_path_1d(square, np.ones((3, 2)))


# ---------------------------------------------------------------- plot_iterates

def test_iterates_against_the_step():
    fig = descent.plot_iterates({"η = 0.8": [1.0, -0.6, 0.36]})
    ax = fig.axes[0]
    steps, values = line_data(ax)[0]
    np.testing.assert_array_equal(steps, [0, 1, 2])
    np.testing.assert_array_equal(values, [1.0, -0.6, 0.36])
    assert legend_texts(ax) == ["η = 0.8"]
    assert ax.get_yscale() == "linear"


def test_iterates_on_a_log_scale_use_absolute_values():
    fig = descent.plot_iterates([1.0, -0.6, 0.36], log=True)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(line_data(ax)[0][1], [1.0, 0.6, 0.36])
    assert ax.get_ylabel() == "|x_k|"


# ---------------------------------------------------------------- plot_contour_path

def bowl(a, b):
    return a**2 + b**2


def test_contour_path_draws_every_path_with_its_label():
    first = np.array([[10.0, 10.0], [4.0, 4.0], [1.6, 1.6]])
    second = np.array([[-2.0, 1.0], [-1.0, 0.5]])
    fig = descent.plot_contour_path(bowl, {"first": first, "second": second}, title="bowl")
    ax = fig.axes[0]
    assert ax.get_title() == "bowl"
    assert legend_texts(ax) == ["first", "second"]
    drawn = line_data(ax)
    assert any(np.array_equal(x, first[:, 0]) and np.array_equal(y, first[:, 1]) for x, y in drawn)
    assert any(np.array_equal(x, second[:, 0]) and np.array_equal(y, second[:, 1]) for x, y in drawn)
    a_lo, a_hi = ax.get_xlim()
    b_lo, b_hi = ax.get_ylim()
    assert a_lo < -2.0 and a_hi > 10.0 and b_lo < 0.5 and b_hi > 10.0
    assert ax.get_aspect() == 1.0
    assert ax.collections, "no contour lines were drawn"


def test_contour_levels_sit_above_the_minimum_on_the_grid():
    fig = descent.plot_contour_path(bowl, np.array([[1.0, 1.0], [0.0, 0.0]]), extent=(-1, 1, -1, 1))
    contour = fig.axes[0].collections[0]
    levels = np.asarray(contour.levels)
    assert levels.min() > 0.0 and levels.max() == pytest.approx(2.0)
    assert np.all(np.diff(levels) > 0)
    assert fig.axes[0].get_xlim() == (-1.0, 1.0)


def test_contour_falls_back_to_point_by_point_evaluation():
    calls = []

    def scalar_only(a, b):
        calls.append(1)
        return float(a) ** 2 + 3 * float(b) ** 2  # rejects whole grids

    fig = descent.plot_contour_path(scalar_only, np.array([[1.0, 1.0], [0.2, 0.2]]), labels=("w", "b"))
    assert len(calls) == 120 * 120 + 1  # one failed whole-grid call, then every point
    assert fig.axes[0].get_xlabel() == "w" and fig.axes[0].get_ylabel() == "b"


def test_contour_path_needs_points_in_the_plane():
    with pytest.raises(ValueError, match="n_points, 2"):
        descent.plot_contour_path(bowl, np.ones((4, 3)))


def test_long_paths_are_drawn_without_arrows():
    long_path = np.column_stack([np.linspace(1, 0, 100), np.linspace(1, 0, 100)])
    fig = descent.plot_contour_path(bowl, long_path)
    arrows = [t for t in fig.axes[0].texts if getattr(t, "arrow_patch", None) is not None]
    assert arrows == []
    short = descent.plot_contour_path(bowl, long_path[::20])
    assert len([t for t in short.axes[0].texts if getattr(t, "arrow_patch", None) is not None]) == 4


# ---------------------------------------------------------------- loss curves and fit

def test_loss_curves_and_the_minimum():
    fig = descent.plot_loss_curves({"GD": [3.0, 2.0, 1.0], "SGD": [3.0, 0.5, 0.2, 0.15]}, minimum=0.139)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = legend_texts(ax)
    assert labels[:2] == ["GD", "SGD"] and labels[2] == "least-squares minimum 0.139"
    x, y = line_data(ax)[1]
    np.testing.assert_array_equal(x, [0, 1, 2, 3])
    np.testing.assert_array_equal(y, [3.0, 0.5, 0.2, 0.15])
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all("10^" not in t and "times" not in t for t in ticks), ticks


def test_loss_curves_linear_scale():
    fig = descent.plot_loss_curves([1.0, 0.5], log=False, xlabel="step")
    assert fig.axes[0].get_yscale() == "linear"
    assert fig.axes[0].get_xlabel() == "step"


def test_fit_labels_show_the_lines():
    x = np.array([[-1.0], [0.0], [1.0]])
    y = np.array([-3.0, -1.0, 1.0])
    fig = descent.plot_fit(x, y, {"SGD": (np.array([2.0]), -1.0), "other": (0.5, 0.25)})
    labels = legend_texts(fig.axes[0])
    assert sorted(labels) == sorted(["SGD: y = 2 x - 1", "other: y = 0.5 x + 0.25", "data"])
    sgd_line = line_data(fig.axes[0])[0]
    np.testing.assert_array_equal(sgd_line[1], [-3.0, 1.0])


# ---------------------------------------------------------------- learning-rate explorer

def test_static_explorer_runs_the_students_descent_per_rate(capsys):
    student = StudentDescent()
    fig = descent.learning_rate_explorer(student, square, square_prime, x0=1.0,
                                         rates=(0.1, 0.8, 1.05), n_steps=6)
    assert isinstance(fig, Figure)
    assert [call[1:] for call in student.calls] == [(0.1, 6), (0.8, 6), (1.05, 6)]
    assert len(fig.axes) == 6
    titles = [ax.get_title() for ax in fig.axes[:3]]
    assert titles == ["η = 0.1, x₁/x₀ = 0.8", "η = 0.8, x₁/x₀ = -0.6", "η = 1.05, x₁/x₀ = -1.1"]
    rows = capsys.readouterr().out.strip().splitlines()[1:]
    rate, ratio, last = rows[2].split()
    assert (float(rate), float(ratio)) == (1.05, -1.1)
    assert float(last) == pytest.approx((-1.1) ** 6, rel=1e-3)


def test_static_explorer_draws_exactly_the_path_it_is_given():
    fixed = np.array([2.0, -1.0, 0.5])

    def fake_descent(grad, x0, learning_rate, n_steps):
        return fixed

    fig = descent.learning_rate_explorer(fake_descent, square, square_prime, rates=(0.3,), static=True)
    iterates = line_data(fig.axes[1])[0][1]
    np.testing.assert_array_equal(iterates, fixed)


def test_explorer_is_static_under_nbgrader_even_in_a_kernel(in_kernel, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert isinstance(descent.learning_rate_explorer(StudentDescent(), square, square_prime), Figure)


def test_live_explorer_follows_the_slider():
    student = StudentDescent()
    box = descent.learning_rate_explorer(student, square, square_prime, x0=2.0, rates=(0.25, 0.9),
                                         eta_max=1.5, n_steps=4, static=False)
    assert isinstance(box, ipywidgets.VBox)
    slider, readout, output = box.children
    assert isinstance(slider, ipywidgets.FloatSlider)
    assert isinstance(readout, ipywidgets.HTML) and isinstance(output, ipywidgets.Output)
    assert (slider.min, slider.max, slider.value) == (0.01, 1.5, 0.25)
    assert student.calls == [(2.0, 0.25, 4)]
    assert "<td>0.5</td>" in readout.value  # x1 / x0 = 1 - 2 * 0.25
    assert "<td>0.125</td>" in readout.value  # x4 = 2 * 0.5**4
    slider.value = 1.25
    assert student.calls[-1] == (2.0, 1.25, 4)
    assert "<td>-1.5</td>" in readout.value and "<td>10.12</td>" in readout.value  # 2 * 1.5**4


def test_explorer_rejects_bad_settings():
    with pytest.raises(ValueError, match="eta_max"):
        descent.learning_rate_explorer(StudentDescent(), square, square_prime, eta_max=0)
    with pytest.raises(ValueError, match="rates"):
        descent.learning_rate_explorer(StudentDescent(), square, square_prime, rates=())
