"""Diagrams of small fully connected networks, with their numbers written in.

Layers are drawn left to right, numbered 0 (the inputs) to L, the output
layer; L is also the number of weight matrices (L = 3 for [2, 3, 2, 1]).
Every neuron of layers 1..L has a *receptor* box attached to its left: the
place where the weighted signals arrive and are summed into the
pre-activation z. Edges carry the weights (or other per-weight numbers, such
as gradients), coloured by sign and drawn wider for larger magnitudes.

Conventions (the course's): `weights[l-1]` is W^(l), of shape (n_{l-1}, n_l),
and its entry [i, j] is w^(l)_{i+1, j+1}, the weight linking neuron i+1 of
layer l-1 to neuron j+1 of layer l. Units in code are 0-based; labels in the
picture are 1-based, as in the formulas.

This module only draws the numbers it is given; it computes none of them.

    from bpkit import network
    network.draw_network([2, 3, 2, 1], weights=[W1, W2, W3])
    network.all_paths([2, 3, 2, 1], start=(0, 0), end=(3, 0))   # 6 paths
    network.derivative_paths([2, 3, 2, 1], layer=1, i=0, j=1)    # the 2 paths of w^(1)_{1,2}
    network.draw_network([2, 3, 2, 1], edge_values=[dW1, dW2, dW3],
                         highlight=network.derivative_paths([2, 3, 2, 1], 1, 0, 1),
                         highlight_style="halo")
"""

import itertools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle

__all__ = ["draw_network", "all_paths", "derivative_paths"]

# Colours
POSITIVE_COLOR = "#2166ac"      # blue
NEGATIVE_COLOR = "#d6604d"      # red
ZERO_COLOR = "#9a9a9a"          # grey: a value of exactly 0
PLAIN_EDGE_COLOR = "#7a7a7a"    # edges without numbers
HIGHLIGHT_COLOR = "#f0a30a"     # amber
POSITIVE_TEXT = "#154273"
NEGATIVE_TEXT = "#a3301e"
ZERO_TEXT = "#5e5e5e"
NEURON_FACE = "#e4edf8"
NEURON_EDGE = "#35507a"
RECEPTOR_FACE = "#fbf3dc"
RECEPTOR_EDGE = "#8a6d1f"

# Geometry, in data units (new figures use 1 data unit = 1 inch)
LAYER_GAP = 2.7       # horizontal distance between neuron centres of adjacent layers
ROW_GAP = 1.3         # vertical distance between neurons of one layer
RADIUS = 0.3          # neuron circle
RECEPTOR_W = 0.62     # receptor box, attached to the left of its neuron
RECEPTOR_H = 0.34
LABEL_POSITION = 0.8  # where an edge's label sits: 0 at the source, 1 at the receptor

# Line widths, in points
PLAIN_WIDTH = 1.2
MIN_WIDTH = 0.6
MAX_WIDTH = 4.2
HIGHLIGHT_WIDTH = 5.6  # always wider than any other edge
HALO_EXTRA = 6.0       # a halo is this many points wider than the edge it lies under
FADED_ALPHA = 0.22
HIGHLIGHT_STYLES = ("solid", "halo")


# ---------------------------------------------------------------- input checks

def _format_number(value, digits) -> str:
    """'{:.3g}'-style text; -0 is written as 0."""
    value = float(value)
    if value == 0:
        value = 0.0
    return f"{value:.{digits}g}"


def _check_layer_sizes(layer_sizes) -> list:
    try:
        sizes = [int(n) for n in layer_sizes]
    except (TypeError, ValueError):
        raise ValueError(
            f"layer_sizes should be a list of positive integers such as [2, 3, 2, 1], "
            f"got {layer_sizes!r}"
        ) from None
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes needs at least two layers (inputs and outputs), got {sizes}"
        )
    if any(n < 1 or n != float(m) for n, m in zip(sizes, layer_sizes)):
        raise ValueError(f"layer_sizes should hold positive integers, got {list(layer_sizes)}")
    return sizes


def _check_matrices(values, sizes, what) -> list:
    """`values` as a list of float (n_{l-1}, n_l) arrays, or ValueError naming the layer."""
    n_layers = len(sizes) - 1
    if len(values) != n_layers:
        raise ValueError(
            f"{what} should be a list of {n_layers} arrays (one per layer 1..{n_layers} "
            f"of a {len(sizes)}-layer network {sizes}), got {len(values)}"
        )
    checked = []
    for l in range(1, n_layers + 1):
        array = np.asarray(values[l - 1], dtype=float)
        expected = (sizes[l - 1], sizes[l])
        if array.shape != expected:
            hint = " (it looks transposed)" if array.shape == expected[::-1] else ""
            raise ValueError(
                f"{what}[{l - 1}] (layer {l}, linking layer {l - 1} to layer {l}) has shape "
                f"{array.shape}; expected {expected} = (n_{l - 1}, n_{l}){hint}"
            )
        checked.append(array)
    return checked


def _check_vectors(values, sizes, first_layer, what) -> list:
    """`values` as a list of float 1-D arrays, one per layer from first_layer on."""
    layers = list(range(first_layer, len(sizes)))
    if len(values) != len(layers):
        raise ValueError(
            f"{what} should be a list of {len(layers)} arrays (one per layer "
            f"{layers[0]}..{layers[-1]} of the network {sizes}), got {len(values)}"
        )
    checked = []
    for position, l in enumerate(layers):
        array = np.asarray(values[position], dtype=float)
        flat = np.squeeze(array)
        if array.size != sizes[l] or flat.ndim > 1:
            raise ValueError(
                f"{what}[{position}] (layer {l}) has shape {array.shape}; expected "
                f"({sizes[l]},), one value per neuron of layer {l}"
            )
        checked.append(flat.reshape(-1))
    return checked


def _check_node(node, sizes, what):
    try:
        layer, unit = (int(v) for v in node)
    except (TypeError, ValueError):
        raise ValueError(f"{what} should be a (layer, unit) pair, got {node!r}") from None
    if not 0 <= layer < len(sizes):
        raise ValueError(
            f"{what} {tuple(node)} leaves the network: layers run from 0 to {len(sizes) - 1}"
        )
    if not 0 <= unit < sizes[layer]:
        raise ValueError(
            f"{what} {tuple(node)} leaves the network: layer {layer} has {sizes[layer]} "
            f"unit(s), numbered 0..{sizes[layer] - 1} (0-based)"
        )
    return layer, unit


def _check_path(path, sizes, index) -> list:
    """The path as a list of (layer, unit) tuples, or ValueError saying what is wrong."""
    try:
        nodes = list(path)
    except TypeError:
        nodes = None
    if nodes is None or (nodes and np.ndim(nodes[0]) == 0):
        raise ValueError(
            f"highlight[{index}] = {path!r} is not a path: highlight is a list of paths, each "
            f"a list of (layer, unit) pairs; to highlight one path, write highlight=[path]"
        )
    if len(nodes) < 2:
        raise ValueError(f"highlight[{index}] needs at least two nodes to contain an edge")
    nodes = [_check_node(node, sizes, f"node {k} of highlight[{index}]")
             for k, node in enumerate(nodes)]
    for (l0, u0), (l1, u1) in zip(nodes, nodes[1:]):
        if l1 != l0 + 1:
            raise ValueError(
                f"highlight[{index}] goes from {(l0, u0)} to {(l1, u1)}: a path must move "
                f"to the next layer ({l0 + 1}) at every step, without skipping a layer"
            )
    return nodes


# ---------------------------------------------------------------- paths

def all_paths(layer_sizes, start, end) -> list:
    """Every path from node `start` to node `end` of a fully connected network.

    Nodes are (layer, unit) pairs with 0-based units; `end` must lie in a
    later layer than `start`. Each path is a list of (layer, unit) tuples,
    one per layer from start's to end's; the paths come in lexicographic
    order. In [2, 3, 2, 1], an input reaches the output along 3 * 2 = 6 paths.
    """
    sizes = _check_layer_sizes(layer_sizes)
    first = _check_node(start, sizes, "start")
    last = _check_node(end, sizes, "end")
    if last[0] <= first[0]:
        raise ValueError(
            f"end {last} must lie in a later layer than start {first}"
        )
    middle = [range(sizes[l]) for l in range(first[0] + 1, last[0])]
    return [
        [first] + [(first[0] + 1 + k, unit) for k, unit in enumerate(units)] + [last]
        for units in itertools.product(*middle)
    ]


def derivative_paths(layer_sizes, layer, i, j) -> list:
    """The paths along which the weight W^(layer)[i, j] acts on the output(s).

    Each path starts with the weight's own edge, from neuron (layer-1, i) to
    (layer, j), and then follows one route from (layer, j) to one output unit;
    the derivative of a cost with respect to that weight is a sum with one term
    per path. Units are 0-based, as in `weights[layer-1][i, j]`. In
    [2, 3, 2, 1] a layer-3 weight has 1 path, a layer-2 weight 1 and a layer-1
    weight 2. The list feeds `draw_network(highlight=...)` directly.
    """
    sizes = _check_layer_sizes(layer_sizes)
    n_layers = len(sizes) - 1
    try:
        layer = int(layer)
    except (TypeError, ValueError):
        raise ValueError(f"layer should be an integer from 1 to {n_layers}, got {layer!r}") from None
    if not 1 <= layer <= n_layers:
        raise ValueError(
            f"layer {layer} has no weights: the network {sizes} has weights in layers 1..{n_layers}"
        )
    source = _check_node((layer - 1, i), sizes, "the weight's source neuron (layer - 1, i)")
    target = _check_node((layer, j), sizes, "the weight's target neuron (layer, j)")
    if layer == n_layers:
        return [[source, target]]
    return [[source] + path
            for k in range(sizes[-1])
            for path in all_paths(sizes, target, (n_layers, k))]


# ---------------------------------------------------------------- layout

def _positions(sizes) -> dict:
    """(layer, unit) -> centre of the neuron circle; unit 0 on top, layers centred."""
    return {
        (l, k): (l * LAYER_GAP, ((n - 1) / 2 - k) * ROW_GAP)
        for l, n in enumerate(sizes) for k in range(n)
    }


def _edge_style(value, largest):
    """(colour, text colour, width) of an edge carrying `value`."""
    if value is None:
        return PLAIN_EDGE_COLOR, ZERO_TEXT, PLAIN_WIDTH
    if not np.isfinite(value):  # nan or inf: drawn, but neither coloured nor scaled
        return ZERO_COLOR, ZERO_TEXT, PLAIN_WIDTH
    if value > 0:
        color, text_color = POSITIVE_COLOR, POSITIVE_TEXT
    elif value < 0:
        color, text_color = NEGATIVE_COLOR, NEGATIVE_TEXT
    else:
        color, text_color = ZERO_COLOR, ZERO_TEXT
    share = abs(value) / largest if largest > 0 else 0.0
    return color, text_color, MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * share


def _limits(sizes, with_key):
    """(xlim, ylim) of the drawing, in data units."""
    n_layers = len(sizes) - 1
    top = (max(sizes) - 1) / 2 * ROW_GAP + RADIUS
    bottom = -top - 0.5 - (0.5 if with_key else 0.0)  # room for layer captions and the key
    return (-RADIUS - 0.5, n_layers * LAYER_GAP + RADIUS + 0.5), (bottom, top + 0.5)


def _new_figure(xlim, ylim, title):
    """A detached figure whose axes map 1 data unit to 1 inch."""
    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
    title_room = 0.4 if title else 0.0
    fig, ax = plt.subplots(figsize=(width, height + title_room))
    plt.close(fig)  # returned to the caller; pyplot must not show it twice
    fig.subplots_adjust(left=0, right=1, bottom=0, top=height / (height + title_room))
    return fig, ax


# ---------------------------------------------------------------- drawing

def draw_network(layer_sizes, weights=None, neurons=None, receptors=None, edge_values=None,
                 highlight=None, title=None, ax=None, digits=3, highlight_style="solid"):
    """Draw a fully connected network, layers left to right, with the numbers given.

    layer_sizes: neurons per layer, inputs first, e.g. [2, 3, 2, 1].
    weights:     list of L arrays; weights[l-1] is W^(l) of shape (n_{l-1}, n_l).
                 Its entries are written on the edges.
    edge_values: same shapes as weights (e.g. the gradients dJ/dW); when given,
                 these numbers are written on the edges instead of the weights.
                 Edges are coloured by the sign of the numbers shown (blue
                 positive, red negative, grey zero) and drawn wider for larger
                 magnitudes, relative to the largest.
    neurons:     list of L+1 1-D arrays (layer 0 = the inputs): the value of each
                 neuron, written inside its circle.
    receptors:   list of L 1-D arrays for layers 1..L: the pre-activations z,
                 written in the receptor box to the left of each neuron.
    highlight:   list of paths, each a list of (layer, unit) pairs (0-based units)
                 in consecutive layers, e.g. [(0, 0), (1, 1), (2, 1), (3, 0)].
                 All edges off these paths fade.
    highlight_style: how the paths' edges are drawn. "solid" (the default):
                 thick and amber, whatever they carry. "halo": they keep the
                 colour and width of their numbers (sign and size, e.g. of
                 gradients) and an amber band is laid underneath, so that a
                 derivative's paths and the values along them show together.
    title, ax:   an optional title; an optional axes to draw into.
    digits:      significant digits of every number drawn.

    Neurons are labelled x^(l)_k and receptors z^(l)_k with 1-based k. Biases are
    not drawn. Returns the Figure. Each edge is a Line2D in ax.lines whose gid is
    "edge:l:i:j" (W^(l)[i, j]); a halo under it has the gid "halo:l:i:j".
    """
    if highlight_style not in HIGHLIGHT_STYLES:
        raise ValueError(
            f"highlight_style should be one of {HIGHLIGHT_STYLES}, got {highlight_style!r}"
        )
    sizes = _check_layer_sizes(layer_sizes)
    n_layers = len(sizes) - 1
    if weights is not None:
        weights = _check_matrices(weights, sizes, "weights")
    if edge_values is not None:
        edge_values = _check_matrices(edge_values, sizes, "edge_values")
    if neurons is not None:
        neurons = _check_vectors(neurons, sizes, 0, "neurons")
    if receptors is not None:
        receptors = _check_vectors(receptors, sizes, 1, "receptors")
    highlighted_edges, highlighted_nodes = set(), set()
    for index, path in enumerate(highlight or []):
        nodes = _check_path(path, sizes, index)
        highlighted_nodes.update(nodes)
        highlighted_edges.update(
            (l1, u0, u1) for (_, u0), (l1, u1) in zip(nodes, nodes[1:])
        )

    shown = edge_values if edge_values is not None else weights
    xlim, ylim = _limits(sizes, with_key=shown is not None)
    if ax is None:
        fig, ax = _new_figure(xlim, ylim, title)
    else:
        fig = ax.figure
    centre = _positions(sizes)
    largest = 0.0
    for matrix in shown or []:
        finite = np.abs(matrix[np.isfinite(matrix)])
        largest = max([largest, *finite.tolist()])

    # Edges: from the right of a neuron to the left of the next layer's receptor.
    for l in range(1, n_layers + 1):
        for i in range(sizes[l - 1]):
            for j in range(sizes[l]):
                value = None if shown is None else float(shown[l - 1][i, j])
                color, text_color, width = _edge_style(value, largest)
                alpha = 1.0
                halo = False
                if highlighted_edges:
                    if (l, i, j) not in highlighted_edges:
                        alpha = FADED_ALPHA
                    elif highlight_style == "solid":
                        color, width = HIGHLIGHT_COLOR, HIGHLIGHT_WIDTH
                    else:
                        halo = True
                (x0, y0), (x1, y1) = centre[(l - 1, i)], centre[(l, j)]
                x0 += RADIUS
                x1 -= RADIUS + RECEPTOR_W
                if halo:
                    ax.add_line(Line2D([x0, x1], [y0, y1], color=HIGHLIGHT_COLOR,
                                       linewidth=width + HALO_EXTRA, alpha=0.55,
                                       solid_capstyle="round", zorder=0.9,
                                       gid=f"halo:{l}:{i}:{j}"))
                ax.add_line(Line2D([x0, x1], [y0, y1], color=color, linewidth=width,
                                   alpha=alpha, solid_capstyle="round", zorder=1,
                                   gid=f"edge:{l}:{i}:{j}"))
                if value is not None:
                    t = LABEL_POSITION
                    ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0),
                            _format_number(value, digits), ha="center", va="center",
                            fontsize=8.5, color=text_color, alpha=max(alpha, 0.45),
                            zorder=2.5 if alpha == 1.0 else 2,  # faded labels go underneath
                            bbox=dict(boxstyle="round,pad=0.12", facecolor="white",
                                      edgecolor="none", alpha=0.85))

    # Neurons and receptors.
    for (l, k), (x, y) in centre.items():
        on_path = (l, k) in highlighted_nodes
        ax.add_patch(Circle((x, y), RADIUS, facecolor=NEURON_FACE, zorder=3,
                            edgecolor=HIGHLIGHT_COLOR if on_path else NEURON_EDGE,
                            linewidth=2.4 if on_path else 1.3))
        label = f"$x^{{({l})}}_{{{k + 1}}}$"
        if neurons is None:
            ax.text(x, y, label, ha="center", va="center", fontsize=11, zorder=4)
        else:
            ax.text(x, y + RADIUS + 0.04, label, ha="center", va="bottom", fontsize=10,
                    zorder=4)
            ax.text(x, y, _format_number(neurons[l][k], digits), ha="center", va="center",
                    fontsize=8.5, fontweight="bold", zorder=4)
        if l == 0:
            continue
        left = x - RADIUS - RECEPTOR_W
        ax.add_patch(Rectangle((left, y - RECEPTOR_H / 2), RECEPTOR_W, RECEPTOR_H,
                               facecolor=RECEPTOR_FACE, edgecolor=RECEPTOR_EDGE,
                               linewidth=1.0, zorder=3))
        z_label = f"$z^{{({l})}}_{{{k + 1}}}$"
        if receptors is None:
            ax.text(left + RECEPTOR_W / 2, y, z_label, ha="center", va="center",
                    fontsize=9.5, color=RECEPTOR_EDGE, zorder=4)
        else:
            ax.text(left + RECEPTOR_W / 2, y + RECEPTOR_H / 2 + 0.03, z_label,
                    ha="center", va="bottom", fontsize=9, color=RECEPTOR_EDGE, zorder=4)
            ax.text(left + RECEPTOR_W / 2, y, _format_number(receptors[l - 1][k], digits),
                    ha="center", va="center", fontsize=8, zorder=4)

    # Layer captions under the columns, and a key to the edge colours.
    bottom = min(y for _, y in centre.values()) - RADIUS
    for l in range(n_layers + 1):
        kind = "input" if l == 0 else "output" if l == n_layers else "hidden"
        ax.text(l * LAYER_GAP, bottom - 0.2, f"layer {l} ({kind})", ha="center", va="top",
                fontsize=9, color="#444444")
    if shown is not None:
        what = "weight" if edge_values is None else "value"
        key = [Line2D([], [], color=POSITIVE_COLOR, linewidth=3, label=f"positive {what}"),
               Line2D([], [], color=NEGATIVE_COLOR, linewidth=3, label=f"negative {what}"),
               Line2D([], [], color=ZERO_COLOR, linewidth=1, label="zero")]
        if highlighted_edges:
            key.append(Line2D([], [], color=HIGHLIGHT_COLOR, alpha=0.55 if highlight_style == "halo" else 1,
                              linewidth=HIGHLIGHT_WIDTH, label="highlighted path"))
        ax.legend(handles=key, loc="lower center", ncol=len(key), frameon=False, fontsize=8.5,
                  handlelength=1.8, borderaxespad=0.1,
                  title="line width grows with |" + what + "|", title_fontsize=8.5)

    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
