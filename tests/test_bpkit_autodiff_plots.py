"""Tests for bpkit.autodiff_plots: the pictures of assignment 08 (Agg backend)."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bpkit import autodiff_plots  # noqa: E402

pytestmark = pytest.mark.usefixtures("clean_figures")


class Node:
    """A stand-in for the student's Value: only the attributes the drawing reads."""

    def __init__(self, data, grad=0.0, prev=(), op="", label=""):
        self.data, self.grad, self._prev, self._op, self.label = data, grad, tuple(prev), op, label


def _square_of_sum():
    """a, b -> s = a + b -> L = s * s (s used twice), with values and grads filled in by hand."""
    a, b = Node(2.0, 6.0, label="a"), Node(1.0, 6.0)
    s = Node(3.0, 6.0, (a, b), "+", "s")
    L = Node(9.0, 1.0, (s, s), "*", "L")
    return [a, b, s, L]


def _texts(fig):
    return [text.get_text() for ax in fig.axes for text in ax.texts] + \
           [child.get_text() for ax in fig.axes for child in ax.get_children()
            if isinstance(child, matplotlib.text.Annotation)]


def test_autodiff_plots_is_a_lazy_module_of_bpkit():
    import bpkit
    assert "autodiff_plots" in bpkit._LAZY_MODULES
    assert bpkit.autodiff_plots is autodiff_plots


def test_value_graph_reads_the_nodes_in_the_order_given():
    nodes, edges = autodiff_plots.value_graph(_square_of_sum())
    assert [n["label"] for n in nodes] == ["a", "input", "s (+)", "L (*)"]
    assert [(n["value"], n["grad"]) for n in nodes] == [(2.0, 6.0), (1.0, 6.0), (3.0, 6.0), (9.0, 1.0)]
    assert edges == [("n0", "n2"), ("n1", "n2"), ("n2", "n3"), ("n2", "n3")]  # s is used twice by L


def test_value_graph_refuses_incomplete_or_repeated_lists():
    a, b, s, L = _square_of_sum()
    with pytest.raises(ValueError, match="not in the list"):
        autodiff_plots.value_graph([a, s, L])
    with pytest.raises(ValueError, match="listed twice"):
        autodiff_plots.value_graph([a, b, s, s, L])


def test_draw_value_graph_writes_values_and_grads():
    fig = autodiff_plots.draw_value_graph(_square_of_sum(), title="square of a sum")
    assert isinstance(fig, Figure)
    texts = _texts(fig)
    assert "L (*)" in texts and "s (+)" in texts
    assert "= 9" in texts and "grad 6" in texts
    assert fig.axes[0].get_title() == "square of a sum"


def test_draw_value_graph_refuses_huge_graphs():
    chain = [Node(0.0, label="x0")]
    for i in range(autodiff_plots.MAX_DRAWN_NODES):
        chain.append(Node(float(i), prev=(chain[-1],), op="f"))
    with pytest.raises(ValueError, match="too many to draw"):
        autodiff_plots.draw_value_graph(chain)


def test_optimizer_paths_one_panel_each_with_steps_and_final_value():
    paths = {"slow": np.array([[-2.0, 1.0], [-1.0, 0.5], [-0.5, 0.25]]), "fast": np.array([[-2.0, 1.0], [0.0, 0.0]])}
    fig = autodiff_plots.plot_optimizer_paths(lambda x, y: x ** 2 + 10 * y ** 2, paths, title="bowl")
    assert len(fig.axes) == 2
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("slow") and "2 steps, f = 0.88" in titles[0]
    assert titles[1].startswith("fast") and "1 steps, f = 0" in titles[1]
    assert fig.axes[0].get_xlim() == fig.axes[1].get_xlim()  # one shared extent
    with pytest.raises(ValueError):
        autodiff_plots.plot_optimizer_paths(lambda x, y: x, {})
    with pytest.raises(ValueError, match="shape"):
        autodiff_plots.plot_optimizer_paths(lambda x, y: x, {"bad": np.zeros((3, 3))})


def test_optimizer_runs_keep_colours_and_skip_non_finite_losses():
    losses = {"SGD": [2.0, 1.0, 0.5], "diverged": [2.0, np.inf, np.nan]}
    fig = autodiff_plots.plot_optimizer_runs(losses, {"SGD": [0.1, 0.5, 0.9], "diverged": [0.1, 0.1, 0.1]},
                                             title="two runs")
    loss_ax, accuracy_ax = fig.axes
    assert loss_ax.get_yscale() == "log" and accuracy_ax.get_yscale() == "linear"
    assert [loss_ax.get_ylabel(), accuracy_ax.get_ylabel()] == ["training loss", "test accuracy"]
    for loss_line, accuracy_line in zip(loss_ax.get_lines(), accuracy_ax.get_lines()):
        assert loss_line.get_label() == accuracy_line.get_label()
        assert loss_line.get_color() == accuracy_line.get_color()
    assert np.isnan(loss_ax.get_lines()[1].get_ydata()[1:]).all()
    assert len(autodiff_plots.plot_optimizer_runs({"SGD": [1.0, 0.5]}).axes) == 1
    with pytest.raises(ValueError, match="labels of the losses"):
        autodiff_plots.plot_optimizer_runs({"SGD": [1.0]}, {"Adam": [0.5]})
    with pytest.raises(ValueError):
        autodiff_plots.plot_optimizer_runs({})
