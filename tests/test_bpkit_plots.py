"""Tests for bpkit.plots and bpkit.graphs (drawn with the Agg backend)."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bpkit import graphs, plots  # noqa: E402


pytestmark = pytest.mark.usefixtures("clean_figures")

def texts_of(fig):
    return [text.get_text() for ax in fig.axes for text in ax.texts]


def contains_text(fig, fragment):
    return any(fragment in text for text in texts_of(fig))


# A numerical derivative as a student would write it (bpkit has none).
def student_central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def f(x):
    return np.sin(x**2)


def f_prime(x):
    return 2 * x * np.cos(x**2)


# ---------------------------------------------------------------- step size

def test_step_size_errors_default_grid_and_values():
    hs, errors = plots.step_size_errors(student_central_difference, f, f_prime, 1.0)
    np.testing.assert_array_equal(hs, np.logspace(-15, 0, 61))
    expected = [abs(student_central_difference(f, 1.0, h) - f_prime(1.0)) for h in hs]
    np.testing.assert_array_equal(errors, expected)
    assert errors.dtype == float


def test_step_size_errors_custom_grid():
    hs, errors = plots.step_size_errors(student_central_difference, f, f_prime, 0.5, hs=[0.1, 0.01])
    assert hs.tolist() == [0.1, 0.01]
    assert errors[1] < errors[0]  # truncation error shrinks like h^2


def test_step_size_plot_shows_the_errors_and_marks_the_best_h():
    hs, errors = plots.step_size_errors(student_central_difference, f, f_prime, 1.0)
    fig = plots.plot_step_size_error(student_central_difference, f, f_prime, 1.0)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"

    error_line, best_marker = ax.lines[0], ax.lines[1]
    np.testing.assert_array_equal(error_line.get_xdata(), hs)
    np.testing.assert_array_equal(error_line.get_ydata(), np.maximum(errors, 1e-17))
    best = np.argmin(errors)
    assert best_marker.get_xdata()[0] == hs[best]
    assert best_marker.get_ydata()[0] == max(errors[best], 1e-17)
    assert 1e-9 < hs[best] < 1e-3  # the sweet spot of central differences

    assert contains_text(fig, "rounding error wins")
    assert contains_text(fig, "truncation error wins")
    assert contains_text(fig, f"{hs[best]:.1e}")
    assert ax.get_xlabel() == "step size h"
    assert ax.get_ylabel() == "|error|"
    assert "x0 = 1" in ax.get_title()


def test_step_size_plot_zero_errors_use_the_floor():
    exact = lambda g, x, h: 2.0  # noqa: E731  (always exactly right)
    fig = plots.plot_step_size_error(exact, lambda x: 2 * x, lambda x: 2.0, 0.0, hs=[1e-3, 1e-2])
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), [1e-17, 1e-17])


def test_step_size_plot_draws_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    returned = plots.plot_step_size_error(student_central_difference, f, f_prime, 1.0, ax=axes[1])
    assert returned is fig
    assert len(axes[1].lines) == 2 and len(axes[0].lines) == 0
    plt.close(fig)


# ---------------------------------------------------------------- tangent

def _vertical_segments(ax):
    """Lines with two points at the same x: the df and f'(x0)dx segments."""
    return [
        line for line in ax.lines
        if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]
    ]


def test_plot_tangent_segments_show_true_change_and_prediction():
    x0, dx = 1.0, 0.5
    fig = plots.plot_tangent(f, f_prime, x0, dx)
    ax = fig.axes[0]
    true_change, prediction = f(x0 + dx) - f(x0), f_prime(x0) * dx

    green, red = _vertical_segments(ax)
    assert green.get_xdata()[0] == pytest.approx(x0 + dx, abs=0.2)
    np.testing.assert_allclose(green.get_ydata(), [f(x0), f(x0) + true_change])
    np.testing.assert_allclose(red.get_ydata(), [f(x0), f(x0) + prediction])

    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any(f"{true_change:.3g}" in label and "true change" in label for label in legend)
    assert any(f"{prediction:.3g}" in label and "linear prediction" in label for label in legend)

    tangent = ax.lines[1]
    xs, ys = tangent.get_xdata(), tangent.get_ydata()
    np.testing.assert_allclose(ys, f(x0) + f_prime(x0) * (xs - x0))
    assert xs.min() == pytest.approx(x0 - 3.0) and xs.max() == pytest.approx(x0 + 3.0)


def test_plot_tangent_accepts_scalar_only_functions_and_far_steps():
    fig = plots.plot_tangent(math.exp, math.exp, 0.0, 5.0, span=1.0)
    curve = fig.axes[0].lines[0]
    assert curve.get_xdata().max() >= 5.0  # the range grows to include x0 + dx
    np.testing.assert_allclose(curve.get_ydata(), np.exp(curve.get_xdata()))


# ---------------------------------------------------------------- computation graphs

CHAIN_NODES = [
    {"name": "x", "label": "$x$", "value": 2.0, "grad": 0.29},
    {"name": "w", "value": -1.5, "grad": 0.1934},
    {"name": "u", "label": "$u = w x$", "value": -3.0, "grad": -0.0967},
    {"name": "L", "value": 0.731, "grad": 1.0},
]
CHAIN_EDGES = [("x", "u", -1.5), ("w", "u", 2.0), ("u", "L", -0.0967)]


def _node_centres(fig, labels):
    ax = fig.axes[0]
    return {text.get_text(): text.get_position() for text in ax.texts if text.get_text() in labels}


def test_graph_writes_every_number():
    fig = graphs.draw_computation_graph(CHAIN_NODES, CHAIN_EDGES, title="chain")
    texts = texts_of(fig)
    for node in CHAIN_NODES:
        assert f"= {node['value']:.3g}" in texts
        assert any(f"{node['grad']:.3g}" in text for text in texts)
    for _, _, local in CHAIN_EDGES:
        assert f"{local:.3g}" in texts
    assert "$u = w x$" in texts and "w" in texts  # label, or the name by default
    assert fig.axes[0].get_title() == "chain"


def test_graph_gradients_are_coloured_and_below_values():
    fig = graphs.draw_computation_graph(CHAIN_NODES[:1], [])
    ax = fig.axes[0]
    value = next(t for t in ax.texts if t.get_text() == "= 2")
    grad = next(t for t in ax.texts if "0.29" in t.get_text())
    assert matplotlib.colors.same_color(grad.get_color(), "firebrick")
    assert not matplotlib.colors.same_color(value.get_color(), grad.get_color())
    assert value.xyann[1] > 0 > grad.xyann[1]  # offsets above / below the box


def test_graph_layout_columns_follow_longest_path():
    nodes = [{"name": name} for name in "abcd"]
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("a", "d")]
    centres = _node_centres(graphs.draw_computation_graph(nodes, edges), set("abcd"))
    xs = [centres[name][0] for name in "abcd"]
    assert xs[0] < xs[1] < xs[2] < xs[3]
    assert xs[3] - xs[2] == pytest.approx(xs[1] - xs[0])


def test_graph_sources_share_a_column_and_spread_vertically():
    nodes = [{"name": name} for name in ("p", "q", "r", "out")]
    edges = [("p", "out"), ("q", "out"), ("r", "out")]
    centres = _node_centres(graphs.draw_computation_graph(nodes, edges), {"p", "q", "r", "out"})
    assert centres["p"][0] == centres["q"][0] == centres["r"][0] < centres["out"][0]
    assert centres["p"][1] > centres["q"][1] > centres["r"][1]  # given order, top to bottom
    assert centres["out"][1] == pytest.approx(centres["q"][1])  # centred on its inputs


def test_graph_with_missing_values_and_digits():
    nodes = [{"name": "a", "value": 1 / 3}, {"name": "b"}]
    fig = graphs.draw_computation_graph(nodes, [("a", "b", None)], digits=5)
    assert texts_of(fig).count("= 0.33333") == 1
    assert not any(text.startswith("grad") for text in texts_of(fig))


def test_graph_unknown_node_is_an_error():
    with pytest.raises(ValueError, match="unknown node 'zz'"):
        graphs.draw_computation_graph([{"name": "a"}], [("a", "zz")])


def test_graph_cycle_is_an_error():
    nodes = [{"name": name} for name in "abc"]
    with pytest.raises(ValueError, match="cycle"):
        graphs.draw_computation_graph(nodes, [("a", "b"), ("b", "c"), ("c", "b")])


def test_graph_duplicate_names_are_an_error():
    with pytest.raises(ValueError, match="twice"):
        graphs.draw_computation_graph([{"name": "a"}, {"name": "a"}], [])


def test_graph_into_given_axes():
    fig, ax = plt.subplots()
    assert graphs.draw_computation_graph(CHAIN_NODES, CHAIN_EDGES, ax=ax) is fig
    assert len(ax.texts) > 0
    plt.close(fig)


# ---------------------------------------------------------------- neuron graph

NEURON_VALUES = {"w": 0.5, "x": 2.0, "b": -0.3, "y": 1.0,
                 "u": 1.0, "z": 0.7, "a": 0.668188, "L": 0.0550496}


def test_neuron_graph_shows_student_numbers_only():
    grads = {"L": 1.0, "a": -0.331812, "z": -0.0735796}
    fig = graphs.draw_neuron_graph(NEURON_VALUES, grads)
    texts = texts_of(fig)
    for value in NEURON_VALUES.values():
        assert f"= {value:.3g}" in texts
    assert sum(text.startswith("grad") for text in texts) == 3
    assert any("-0.0736" in text for text in texts)
    labels = [text for text in texts if text.startswith("$")]
    assert len(labels) == 8 and "$a = \\sigma(z)$" in labels
    # No local derivatives: every text is a label, a value or a gradient (or empty arrow text).
    assert all(t.startswith(("$", "= ", "grad")) or t == "" for t in texts)


def test_neuron_graph_rejects_unknown_keys():
    with pytest.raises(ValueError, match="dw"):
        graphs.draw_neuron_graph(NEURON_VALUES, {"dw": 0.1})
