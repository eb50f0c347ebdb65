"""Tests for bpkit.practice: the pictures of assignment 07 (Agg backend)."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bpkit import practice  # noqa: E402

pytestmark = pytest.mark.usefixtures("clean_figures")


def test_practice_is_a_lazy_module_of_bpkit():
    import bpkit
    assert "practice" in bpkit._LAZY_MODULES
    assert bpkit.practice is practice


def test_layer_norms_are_in_layer_order_and_ignore_other_keys():
    grads = {"dW10": np.full((1, 1), 10.0), "dW2": np.array([[3.0, 4.0]]), "dW1": np.zeros((2, 2)),
             "db1": np.ones((1, 2)), "dZ1": np.ones((5, 2))}
    norms = practice.layer_norms(grads)
    assert norms == [0.0, 5.0, 10.0]
    assert practice.layer_norms(grads, prefix="db") == [pytest.approx(np.sqrt(2))]
    with pytest.raises(ValueError, match="dW1"):
        practice.layer_norms({"db1": np.ones(2)})


def test_activations_are_drawn_with_their_slopes_from_the_given_functions():
    calls = []

    def square(z):
        calls.append(z.shape)
        return z ** 2

    fig = practice.plot_activations({"square": (square, lambda z: 2 * z), "line": (lambda z: z, np.ones_like)},
                                    z=np.linspace(-1, 1, 5))
    assert isinstance(fig, Figure)
    ax_f, ax_d = fig.axes
    assert calls == [(5,)]
    f_lines, d_lines = ax_f.get_lines(), ax_d.get_lines()
    # two curves each, plus the grey axis lines
    assert [line.get_label() for line in f_lines if not line.get_label().startswith("_")] == ["square", "line"]
    np.testing.assert_allclose(f_lines[0].get_ydata(), [1, 0.25, 0, 0.25, 1])
    np.testing.assert_allclose(d_lines[0].get_ydata(), [-2, -1, 0, 1, 2])
    labels = [line.get_label() for line in d_lines]
    assert "square (largest slope 2)" in labels and "line (largest slope 1)" in labels
    # a slope that returns a scalar is broadcast to the grid
    fig = practice.plot_activations({"const": (lambda z: z, lambda z: 1.0)}, z=np.linspace(-1, 1, 3))
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), [1, 1, 1])
    with pytest.raises(ValueError):
        practice.plot_activations({})


def test_layer_profiles_use_log_axes_and_layer_numbers_from_one():
    fig = practice.plot_layer_profiles({
        "a": {"signal": [1.0, 0.5, 0.25], "gradient": [1e-6, 1e-3, 1.0, 2.0]},
        "b": {"signal": [1.0, 1.0, 1.0], "gradient": [0.0, 1.0, 1.0, 1.0]},
    }, title="deep")
    ax_s, ax_g = fig.axes
    assert ax_s.get_yscale() == "log" and ax_g.get_yscale() == "log"
    signal_a, signal_b = ax_s.get_lines()
    np.testing.assert_allclose(signal_a.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(signal_a.get_ydata(), [1.0, 0.5, 0.25])
    grad_a, grad_b = ax_g.get_lines()
    np.testing.assert_allclose(grad_a.get_xdata(), [1, 2, 3, 4])
    assert np.isnan(grad_b.get_ydata()[0])  # an exact zero cannot sit on a log axis
    assert grad_a.get_color() == signal_a.get_color()
    assert [t.get_text() for t in ax_g.get_legend().get_texts()] == ["a", "b"]
    assert fig._suptitle.get_text() == "deep"
    with pytest.raises(ValueError, match="gradient"):
        practice.plot_layer_profiles({"bad": {"signal": [1.0], "gradient": []}})


def test_stopping_plot_marks_the_best_and_the_stopping_epoch():
    fig = practice.plot_stopping([3, 2, 1, 0.5], [3, 2, 2.5, 2.7], best_epoch=1, stop_epoch=3, every=5)
    (ax,) = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert "best epoch (1)" in labels and "training stopped (3)" in labels
    best_line = ax.get_lines()[labels.index("best epoch (1)")]
    np.testing.assert_allclose(best_line.get_xdata(), [1, 1])
    assert ax.get_xlabel() == "epoch (5 gradient steps each)"
    with pytest.raises(ValueError, match="best_epoch"):
        practice.plot_stopping([1, 2], [1, 2], best_epoch=2)


def test_fits_draw_the_points_and_one_line_per_model():
    x_grid = np.linspace(0, 1, 4)
    fig = practice.plot_fits([0.1, 0.9], [1.0, 2.0], {"model": [0, 1, 2, 3]}, x_grid, truth=x_grid * 2)
    (ax,) = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["the truth (no noise)", "model"]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[0.1, 1.0], [0.9, 2.0]])
    with pytest.raises(ValueError, match="model"):
        practice.plot_fits([0.0], [0.0], {"model": [1, 2]}, x_grid)


def test_runs_get_one_panel_per_metric():
    runs = {"buggy": {"loss": [5, 4, 6], "accuracy": [0.5, 0.8, 0.6]},
            "fixed": {"loss": [0.7, 0.3, 0.1], "accuracy": [0.5, 0.9, 1.0]}}
    fig = practice.plot_runs(runs, ["loss", "accuracy"], log=["loss"])
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_yscale() == "log" and ax_acc.get_yscale() == "linear"
    assert ax_acc.get_ylabel() == "accuracy"
    np.testing.assert_allclose(ax_acc.get_lines()[1].get_ydata(), [0.5, 0.9, 1.0])
    with pytest.raises(ValueError):
        practice.plot_runs({}, ["loss"])
