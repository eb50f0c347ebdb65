"""Tests for bpkit.network: network diagrams and the paths between two nodes (Agg backend)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bpkit import network  # noqa: E402
from bpkit.data import worked_example_2321  # noqa: E402

SIZES = [2, 3, 2, 1]


pytestmark = pytest.mark.usefixtures("clean_figures")

@pytest.fixture(scope="module")
def example():
    """The worked example's weights and its first sample's forward values (computed here)."""
    d = worked_example_2321()
    weights = [d["W1"], d["W2"], d["W3"]]
    x0 = d["X"][0]
    z1 = x0 @ d["W1"]
    x1 = np.maximum(z1, 0)
    z2 = x1 @ d["W2"]
    x2 = np.maximum(z2, 0)
    z3 = x2 @ d["W3"]
    return {"weights": weights, "neurons": [x0, x1, x2, z3], "receptors": [z1, z2, z3]}


def texts_of(fig):
    return [text.get_text() for ax in fig.axes for text in ax.texts]


def edges_of(fig, kind="edge"):
    """{(l, i, j): Line2D} for the edges (or with kind="halo", their halos), from their gids."""
    edges = {}
    for line in fig.axes[0].lines:
        gid = line.get_gid() or ""
        if gid.startswith(kind + ":"):
            l, i, j = (int(part) for part in gid.split(":")[1:])
            edges[(l, i, j)] = line
    return edges


def same_color(a, b):
    return np.allclose(mcolors.to_rgba(a)[:3], mcolors.to_rgba(b)[:3])


# ---------------------------------------------------------------- drawing

def test_plain_network_has_every_edge_and_the_labels():
    fig = network.draw_network(SIZES)
    assert isinstance(fig, Figure)
    assert set(edges_of(fig)) == {(l, i, j) for l in (1, 2, 3)
                                  for i in range(SIZES[l - 1]) for j in range(SIZES[l])}
    texts = texts_of(fig)
    for label in ("$x^{(0)}_{1}$", "$x^{(1)}_{3}$", "$x^{(3)}_{1}$", "$z^{(2)}_{2}$"):
        assert label in texts
    assert "$z^{(0)}_{1}$" not in texts  # inputs have no receptor


def test_weights_and_forward_values_are_written(example):
    fig = network.draw_network(SIZES, weights=example["weights"], neurons=example["neurons"],
                               receptors=example["receptors"], title="first sample")
    texts = texts_of(fig)
    for number in ("-0.08", "0.07", "-0.05",          # weights
                   "6.1", "8.7", "0.818", "0.0245",   # neurons
                   "-0.314", "-0.0736", "0.00172"):   # receptors
        assert number in texts, number
    assert texts.count("0") == 3  # the three dead units
    assert fig.axes[0].get_title() == "first sample"


def test_edge_colours_follow_the_sign_and_widths_the_magnitude(example):
    fig = network.draw_network(SIZES, weights=example["weights"])
    edges = edges_of(fig)
    for l, W in enumerate(example["weights"], start=1):
        for (i, j), w in np.ndenumerate(W):
            expected = network.POSITIVE_COLOR if w > 0 else network.NEGATIVE_COLOR
            assert same_color(edges[(l, i, j)].get_color(), expected), (l, i, j)
    assert same_color(network.POSITIVE_COLOR, network.NEGATIVE_COLOR) is False
    # |-0.09| is the largest weight, |0.01| the smallest
    assert edges[(1, 1, 2)].get_linewidth() == pytest.approx(network.MAX_WIDTH)
    assert edges[(2, 0, 0)].get_linewidth() < edges[(3, 1, 0)].get_linewidth() \
        < edges[(1, 1, 2)].get_linewidth()


def test_edge_values_replace_the_weights_and_zero_is_grey(example):
    grads = [np.array([[0.0, -0.849, -0.037], [0.0, -0.982, -0.0188]]),
             np.array([[0.0, 0.0], [0.0, -3.18], [0.0, 0.25]]),
             np.array([[0.0], [-1.37]])]
    fig = network.draw_network(SIZES, weights=example["weights"], edge_values=grads)
    texts = texts_of(fig)
    assert "-3.18" in texts and "0.25" in texts and "-0.849" in texts
    assert "-0.08" not in texts  # the weights are not written when edge_values are given
    edges = edges_of(fig)
    assert same_color(edges[(2, 2, 1)].get_color(), network.POSITIVE_COLOR)
    assert same_color(edges[(2, 1, 1)].get_color(), network.NEGATIVE_COLOR)
    assert same_color(edges[(1, 0, 0)].get_color(), network.ZERO_COLOR)
    assert "-0" not in texts


def test_highlighted_paths_are_thicker_than_every_other_edge(example):
    paths = [[(0, 0), (1, 1), (2, 1), (3, 0)], [(0, 1), (1, 1), (2, 1), (3, 0)]]
    fig = network.draw_network(SIZES, weights=example["weights"], highlight=paths)
    edges = edges_of(fig)
    on_path = {(1, 0, 1), (1, 1, 1), (2, 1, 1), (3, 1, 0)}
    thinnest_highlight = min(edges[e].get_linewidth() for e in on_path)
    thickest_other = max(line.get_linewidth() for e, line in edges.items() if e not in on_path)
    assert thinnest_highlight > thickest_other
    for e in on_path:
        assert same_color(edges[e].get_color(), network.HIGHLIGHT_COLOR)
    assert all(line.get_alpha() < 1 for e, line in edges.items() if e not in on_path)


def test_digits_and_drawing_into_a_given_axes(example):
    fig, ax = plt.subplots()
    returned = network.draw_network(SIZES, neurons=example["neurons"], ax=ax, digits=5)
    assert returned is fig
    assert "0.0017178" in [t.get_text() for t in ax.texts]
    plt.close(fig)


def test_values_may_be_rows_or_scalars(example):
    d = worked_example_2321()
    fig = network.draw_network([2, 1], weights=[d["W3"]],
                               neurons=[np.array([[0.5, 2.0]]), 0.115], receptors=[[0.115]])
    assert "0.115" in texts_of(fig)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("kwargs, fragments", [
    ({"weights": [np.zeros((2, 3)), np.zeros((3, 3)), np.zeros((2, 1))]},
     ["weights[1]", "layer 2", "(3, 3)", "(3, 2)"]),
    ({"weights": [np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((2, 1))]},
     ["weights[0]", "layer 1", "transposed"]),
    ({"weights": [np.zeros((2, 3)), np.zeros((3, 2))]}, ["3 arrays", "got 2"]),
    ({"edge_values": [np.zeros((2, 3)), np.zeros((3, 2)), np.zeros((2,))]},
     ["edge_values[2]", "layer 3", "(2,)", "(2, 1)"]),
    ({"neurons": [np.zeros(2), np.zeros(3), np.zeros(3), np.zeros(1)]},
     ["neurons[2]", "layer 2", "(3,)", "(2,)"]),
    ({"neurons": [np.zeros(3), np.zeros(2), np.zeros(1)]}, ["4 arrays", "got 3"]),
    ({"receptors": [np.zeros(3), np.zeros((10, 2)), np.zeros(1)]},
     ["receptors[1]", "layer 2", "(10, 2)"]),
    ({"highlight": [[(0, 0), (2, 1), (3, 0)]]}, ["highlight[0]", "skipping a layer"]),
    ({"highlight": [[(0, 0), (1, 3), (2, 0)]]}, ["leaves the network", "layer 1 has 3"]),
    ({"highlight": [[(2, 0), (3, 0), (4, 0)]]}, ["leaves the network", "0 to 3"]),
    ({"highlight": [(0, 0), (1, 1)]}, ["highlight=[path]"]),
])
def test_mismatches_raise_clear_errors(kwargs, fragments):
    with pytest.raises(ValueError) as info:
        network.draw_network(SIZES, **kwargs)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_bad_layer_sizes_raise():
    with pytest.raises(ValueError, match="at least two layers"):
        network.draw_network([3])
    with pytest.raises(ValueError, match="positive integers"):
        network.draw_network([2, 0, 1])


# ---------------------------------------------------------------- paths

def test_all_paths_counts_and_contents():
    from_input = network.all_paths(SIZES, (0, 0), (3, 0))
    assert len(from_input) == 6
    assert from_input[0] == [(0, 0), (1, 0), (2, 0), (3, 0)]
    assert len({tuple(p) for p in from_input}) == 6
    for path in from_input:
        assert [layer for layer, _ in path] == [0, 1, 2, 3]
    assert network.all_paths(SIZES, (1, 1), (3, 0)) == [
        [(1, 1), (2, 0), (3, 0)], [(1, 1), (2, 1), (3, 0)]]
    assert network.all_paths(SIZES, (0, 1), (1, 2)) == [[(0, 1), (1, 2)]]
    assert len(network.all_paths([4, 5, 6, 7, 2], (0, 3), (4, 1))) == 5 * 6 * 7


def test_all_paths_feed_draw_network():
    fig = network.draw_network(SIZES, highlight=network.all_paths(SIZES, (0, 1), (3, 0)))
    highlighted = [line for line in edges_of(fig).values()
                   if same_color(line.get_color(), network.HIGHLIGHT_COLOR)]
    assert len(highlighted) == 14 - 3  # every edge except the three leaving input 1 (unit 0)


def test_all_paths_rejects_bad_nodes():
    with pytest.raises(ValueError, match="later layer"):
        network.all_paths(SIZES, (2, 0), (1, 0))
    with pytest.raises(ValueError, match="leaves the network"):
        network.all_paths(SIZES, (0, 2), (3, 0))


def test_non_finite_values_are_drawn_without_breaking_the_scale():
    values = [np.array([[np.nan, 1.0, -2.0], [0.5, np.inf, 0.0]]),
              np.ones((3, 2)), np.array([[4.0], [-4.0]])]
    fig = network.draw_network(SIZES, edge_values=values)
    edges = edges_of(fig)
    assert "nan" in texts_of(fig) and "inf" in texts_of(fig)
    assert same_color(edges[(1, 0, 0)].get_color(), network.ZERO_COLOR)
    assert edges[(3, 0, 0)].get_linewidth() == pytest.approx(network.MAX_WIDTH)


# ---------------------------------------------------------------- derivative paths

def test_derivative_paths_start_with_the_weight_and_end_at_every_output():
    assert network.derivative_paths(SIZES, 3, 1, 0) == [[(2, 1), (3, 0)]]
    assert network.derivative_paths(SIZES, 2, 1, 0) == [[(1, 1), (2, 0), (3, 0)]]
    assert network.derivative_paths(SIZES, 1, 0, 1) == [
        [(0, 0), (1, 1), (2, 0), (3, 0)], [(0, 0), (1, 1), (2, 1), (3, 0)]]
    generic = network.derivative_paths([3, 6, 4, 2], 1, 2, 5)
    assert len(generic) == 4 * 2
    assert all(path[:2] == [(0, 2), (1, 5)] and len(path) == 4 for path in generic)
    assert {path[-1] for path in generic} == {(3, 0), (3, 1)}
    assert len({tuple(path) for path in generic}) == 8


@pytest.mark.parametrize("args, fragment", [
    ((0, 0, 0), "layer 0 has no weights"),
    ((4, 0, 0), "layer 4 has no weights"),
    ((1, 2, 0), "leaves the network"),
    ((2, 0, 2), "leaves the network"),
])
def test_derivative_paths_reject_weights_that_do_not_exist(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        network.derivative_paths(SIZES, *args)


# ---------------------------------------------------------------- halo highlighting

def halos_of(fig):
    return edges_of(fig, "halo")


GRADIENTS = [np.array([[0.0, -0.849, 0.037], [0.0, -0.982, 0.0188]]),
             np.array([[0.0, 0.0], [2.5, -3.18], [0.0, 0.25]]),
             np.array([[0.4], [-1.37]])]


def test_halo_keeps_the_gradient_colours_and_widths_on_the_highlighted_paths():
    paths = network.derivative_paths(SIZES, 1, 0, 1)
    plain = edges_of(network.draw_network(SIZES, edge_values=GRADIENTS))
    fig = network.draw_network(SIZES, edge_values=GRADIENTS, highlight=paths,
                               highlight_style="halo")
    edges, halos = edges_of(fig), halos_of(fig)
    on_path = {(1, 0, 1), (2, 1, 0), (2, 1, 1), (3, 0, 0), (3, 1, 0)}
    assert set(halos) == on_path
    for e in on_path:
        value = GRADIENTS[e[0] - 1][e[1], e[2]]
        expected = network.POSITIVE_COLOR if value > 0 else network.NEGATIVE_COLOR
        assert same_color(edges[e].get_color(), expected), e
        assert edges[e].get_linewidth() == pytest.approx(plain[e].get_linewidth())
        assert edges[e].get_alpha() == 1
        assert same_color(halos[e].get_color(), network.HIGHLIGHT_COLOR)
        assert halos[e].get_linewidth() > edges[e].get_linewidth()
        assert halos[e].get_zorder() < edges[e].get_zorder()  # under the edge, not over it
    # the largest gradient (-3.18) is on a path and keeps the widest line
    assert edges[(2, 1, 1)].get_linewidth() == pytest.approx(network.MAX_WIDTH)
    assert edges[(2, 1, 0)].get_linewidth() < edges[(2, 1, 1)].get_linewidth()
    assert all(line.get_alpha() < 1 for e, line in edges.items() if e not in on_path)
    assert "-3.18" in texts_of(fig) and "2.5" in texts_of(fig)


def test_solid_highlight_draws_no_halo_and_bad_styles_raise():
    paths = network.derivative_paths(SIZES, 3, 1, 0)
    fig = network.draw_network(SIZES, edge_values=GRADIENTS, highlight=paths)
    assert halos_of(fig) == {}
    assert same_color(edges_of(fig)[(3, 1, 0)].get_color(), network.HIGHLIGHT_COLOR)
    with pytest.raises(ValueError, match="highlight_style"):
        network.draw_network(SIZES, highlight=paths, highlight_style="glow")


def test_halo_on_a_generic_network_with_weights():
    sizes = [3, 5, 4, 2]
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=(a, b)) for a, b in zip(sizes, sizes[1:])]
    paths = network.derivative_paths(sizes, 2, 4, 0)
    fig = network.draw_network(sizes, weights=weights, highlight=paths, highlight_style="halo")
    assert set(halos_of(fig)) == {(2, 4, 0), (3, 0, 0), (3, 0, 1)}
    assert len(edges_of(fig)) == 3 * 5 + 5 * 4 + 4 * 2
