"""Computation-graph diagrams with forward values and backward gradients.

A graph is given as plain data:

    nodes = [{"name": "x", "label": "$x$", "value": 2.0, "grad": 0.5}, ...]
    edges = [("x", "u"), ("w", "u", 3.0), ...]   # (src, dst[, d dst / d src])

This module only draws the numbers it is given; it computes none of them.
"""

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["draw_computation_graph", "draw_neuron_graph"]

VALUE_COLOR = "black"
GRAD_COLOR = "firebrick"
EDGE_COLOR = "#555555"
LOCAL_DERIVATIVE_COLOR = "navy"
BOX_STYLE = dict(boxstyle="round,pad=0.45", facecolor="#eef3fb", edgecolor="#35507a")

COLUMN_GAP = 2.0  # data units; new figures use 1 data unit = 1 inch
ROW_GAP = 1.25
TEXT_OFFSET = 22  # points from a box's centre to its value / gradient text


# ---------------------------------------------------------------- input

def _format_number(value, digits, what) -> str:
    """'{:.3g}'-style text for a number (or one-element array)."""
    array = np.asarray(value, dtype=float)
    if array.size != 1:
        raise ValueError(f"{what} must be a single number, got shape {array.shape}")
    return f"{array.item():.{digits}g}"


def _parse_nodes(nodes) -> dict:
    """name -> node dict with "label", "value" and "grad" filled in."""
    parsed = {}
    for node in nodes:
        if "name" not in node:
            raise ValueError(f"node {node!r} has no 'name'")
        name = node["name"]
        if name in parsed:
            raise ValueError(f"node name '{name}' is used twice")
        parsed[name] = {
            "label": node.get("label", str(name)),
            "value": node.get("value"),
            "grad": node.get("grad"),
        }
    return parsed


def _parse_edges(edges, names) -> list:
    """List of (src, dst, local_derivative or None), with names checked."""
    parsed = []
    for edge in edges:
        if len(edge) not in (2, 3):
            raise ValueError(f"edge {edge!r} should be (src, dst) or (src, dst, local_derivative)")
        src, dst = edge[0], edge[1]
        local = edge[2] if len(edge) == 3 else None
        for end in (src, dst):
            if end not in names:
                raise ValueError(
                    f"edge {edge[:2]!r} refers to unknown node '{end}'; "
                    f"known nodes: {list(names)}"
                )
        parsed.append((src, dst, local))
    return parsed


# ---------------------------------------------------------------- layout

def _columns(names, edges) -> dict:
    """Column of each node: the length of the longest path from a source to it.

    Processes nodes in topological order (Kahn's algorithm); nodes that never
    become ready lie on a cycle.
    """
    successors = {name: [] for name in names}
    n_unplaced_inputs = {name: 0 for name in names}
    for src, dst, _ in edges:
        successors[src].append(dst)
        n_unplaced_inputs[dst] += 1

    column = {name: 0 for name in names}
    ready = [name for name in names if n_unplaced_inputs[name] == 0]
    placed = []
    while ready:
        node = ready.pop(0)
        placed.append(node)
        for child in successors[node]:
            column[child] = max(column[child], column[node] + 1)
            n_unplaced_inputs[child] -= 1
            if n_unplaced_inputs[child] == 0:
                ready.append(child)

    if len(placed) < len(names):
        stuck = [name for name in names if name not in placed]
        raise ValueError(f"the graph has a cycle; it involves the nodes {stuck}")
    return column


def _spread(desired: dict) -> dict:
    """Vertical positions close to `desired`, at least ROW_GAP apart, same mean."""
    ordered = sorted(desired, key=lambda name: -desired[name])  # top to bottom
    y = {}
    for i, name in enumerate(ordered):
        y[name] = desired[name] if i == 0 else min(desired[name], y[ordered[i - 1]] - ROW_GAP)
    shift = np.mean(list(desired.values())) - np.mean(list(y.values()))
    return {name: value + shift for name, value in y.items()}


def _rows(names, edges, column) -> dict:
    """Vertical position of each node.

    Sources (column 0) are stacked in the order given; every other node sits
    at the average height of its inputs, pushed apart from its neighbours.
    """
    inputs = {name: [] for name in names}
    for src, dst, _ in edges:
        inputs[dst].append(src)

    y = {}
    for col in range(max(column.values()) + 1):
        members = [name for name in names if column[name] == col]
        if col == 0:
            desired = {name: -i * ROW_GAP for i, name in enumerate(members)}
        else:
            desired = {name: np.mean([y[src] for src in inputs[name]]) for name in members}
        y.update(_spread(desired))
    return y


# ---------------------------------------------------------------- drawing

def _new_figure(n_columns, y_values, title):
    width = (n_columns - 1) * COLUMN_GAP + 1.8
    height = max(y_values) - min(y_values) + 1.6 + (0.4 if title else 0.0)
    fig, ax = plt.subplots(figsize=(max(width, 3.0), max(height, 2.0)))
    plt.close(fig)  # returned to the caller; pyplot must not show it twice
    fig.subplots_adjust(left=0, right=1, bottom=0, top=(1 - 0.4 / height) if title else 1)
    return fig, ax


def draw_computation_graph(nodes, edges, title=None, ax=None, *, digits=3):
    """Draw a computation graph from left (inputs) to right (loss).

    nodes: list of dicts with "name" (unique id), and optionally "label"
           (display text, mathtext allowed; default the name), "value" (the
           forward value) and "grad" (dL/d node, the backward gradient).
    edges: list of (src, dst) or (src, dst, local_derivative) tuples, where
           local_derivative is d dst / d src (or None).

    Each node is a rounded box with its label; the forward value is written
    above it ("= 0.731") and the gradient below it in red ("grad -0.0521").
    Local derivatives are written on the arrows. Numbers use `digits`
    significant digits. Returns the Figure.
    """
    node_info = _parse_nodes(nodes)
    names = list(node_info)
    edge_list = _parse_edges(edges, node_info)
    if not names:
        raise ValueError("the graph has no nodes")
    column = _columns(names, edge_list)
    y = _rows(names, edge_list, column)
    x = {name: column[name] * COLUMN_GAP for name in names}
    n_columns = max(column.values()) + 1

    if ax is None:
        fig, ax = _new_figure(n_columns, list(y.values()), title)
    else:
        fig = ax.figure

    boxes = {}
    for name, info in node_info.items():
        boxes[name] = ax.text(x[name], y[name], info["label"], ha="center", va="center",
                              fontsize=12, bbox=BOX_STYLE, zorder=3)
        if info["value"] is not None:
            text = _format_number(info["value"], digits, f"value of node '{name}'")
            ax.annotate(f"= {text}", (x[name], y[name]), xytext=(0, TEXT_OFFSET),
                        textcoords="offset points", ha="center", va="bottom",
                        color=VALUE_COLOR, fontsize=10)
        if info["grad"] is not None:
            text = _format_number(info["grad"], digits, f"grad of node '{name}'")
            ax.annotate(f"grad {text}", (x[name], y[name]), xytext=(0, -TEXT_OFFSET),
                        textcoords="offset points", ha="center", va="top",
                        color=GRAD_COLOR, fontsize=10)

    for src, dst, local in edge_list:
        # Arrow from the right side of the source box to the left side of the target box.
        ax.annotate("", xy=(0, 0.5), xycoords=boxes[dst], xytext=(1, 0.5),
                    textcoords=boxes[src],
                    arrowprops=dict(arrowstyle="-|>", color=EDGE_COLOR,
                                    shrinkA=7, shrinkB=7, linewidth=1.2))
        if local is not None:
            text = _format_number(local, digits, f"local derivative on edge ({src!r}, {dst!r})")
            ax.text((x[src] + x[dst]) / 2, (y[src] + y[dst]) / 2, text,
                    ha="center", va="center", fontsize=9, color=LOCAL_DERIVATIVE_COLOR,
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"),
                    zorder=4)

    ax.set_xlim(-0.9, (n_columns - 1) * COLUMN_GAP + 0.9)
    ax.set_ylim(min(y.values()) - 0.8, max(y.values()) + 0.8)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


# ---------------------------------------------------------------- one neuron

_NEURON_LABELS = {
    "w": "$w$",
    "x": "$x$",
    "b": "$b$",
    "y": "$y$",
    "u": "$u = w\\,x$",
    "z": "$z = u + b$",
    "a": "$a = \\sigma(z)$",
    "L": "$L = \\frac{1}{2}(a - y)^2$",
}
_NEURON_EDGES = [("w", "u"), ("x", "u"), ("u", "z"), ("b", "z"),
                 ("z", "a"), ("a", "L"), ("y", "L")]


def draw_neuron_graph(values, grads, title=None):
    """The graph of one sigmoid neuron with the student's values and gradients.

    u = w*x,  z = u + b,  a = sigmoid(z),  L = 1/2 (a - y)^2

    values: dict with the forward values of "w", "x", "b", "y", "u", "z", "a", "L".
    grads:  dict with some of the gradients dL/d"L", "a", "z", "u", "w", "b",
            "x" (and "y"); missing ones are drawn without a gradient.
    The edges carry no local derivatives (computing them is the exercise).
    """
    for what, given in (("values", values), ("grads", grads)):
        unknown = [key for key in given if key not in _NEURON_LABELS]
        if unknown:
            raise ValueError(
                f"unknown key(s) {unknown} in {what}; use some of {list(_NEURON_LABELS)}"
            )
    nodes = [
        {"name": name, "label": label, "value": values.get(name), "grad": grads.get(name)}
        for name, label in _NEURON_LABELS.items()
    ]
    if title is None:
        title = "One sigmoid neuron: values above (black), gradients ∂L/∂node below (red)"
    return draw_computation_graph(nodes, _NEURON_EDGES, title=title)
