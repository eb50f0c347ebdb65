"""Pictures for assignment 08 (automatic differentiation): graphs of Values, optimizer paths, training runs.

Everything here draws what it is given. A graph of the student's own `Value`
objects is read through their attributes (data, grad, _prev, _op, label) in
the order the student's code lists them; the paths and loss curves come from
the student's optimizers. Nothing here orders a graph, takes a gradient or
takes a step: those are the exercises.

Every function returns a matplotlib Figure detached from pyplot: it shows
once when it is the last expression of a notebook cell.

    from bpkit import autodiff_plots
    autodiff_plots.draw_value_graph(loss.topological_order())
    autodiff_plots.plot_optimizer_paths(bowl, {"momentum": path, "Adam": other_path})
    autodiff_plots.plot_optimizer_runs({"SGD": losses, "Adam": other_losses})
"""

import matplotlib.pyplot as plt
import numpy as np

from . import descent, graphs, practice

__all__ = ["value_graph", "draw_value_graph", "plot_optimizer_paths", "plot_optimizer_runs"]

MAX_DRAWN_NODES = 40  # a larger graph is unreadable as a picture


# ---------------------------------------------------------------- graphs of Values

def _node_text(value) -> str:
    """What a node's box says: its label and the operation that made it."""
    label, op = str(getattr(value, "label", "") or ""), str(getattr(value, "_op", "") or "")
    if label and op:
        return f"{label} ({op})"
    return label or op or "input"


def value_graph(values):
    """(nodes, edges) for bpkit.graphs.draw_computation_graph from a list of Values.

    values: every Value of the graph, each once (a topological order is such a
    list). Each must have `data`, `grad`, `_prev` (the Values it was made from),
    and may have `_op` and `label`. A Value named in some `_prev` but missing
    from the list, or listed twice, is an error.
    """
    values = list(values)
    names = {}
    for position, value in enumerate(values):
        if id(value) in names:
            raise ValueError(f"the Value at position {position} ({_node_text(value)}) is listed twice; "
                             f"list every node of the graph once")
        names[id(value)] = f"n{position}"
    nodes = [{"name": names[id(v)], "label": _node_text(v), "value": v.data, "grad": v.grad} for v in values]
    edges = []
    for value in values:
        for parent in value._prev:
            if id(parent) not in names:
                raise ValueError(f"{_node_text(value)} was made from a Value ({_node_text(parent)}, data "
                                 f"{parent.data:.4g}) that is not in the list: list every node of the graph")
            edges.append((names[id(parent)], names[id(value)]))
    return nodes, edges


def draw_value_graph(values, title=None, digits=3):
    """Draw a graph of Values from inputs (left) to the result (right).

    Each box shows a node's label and operation, its data above it and its
    grad below it in red (see bpkit.graphs.draw_computation_graph). `values`
    is a list of every node of the graph, each once, e.g. the result's
    topological order.
    """
    nodes, edges = value_graph(values)
    if len(nodes) > MAX_DRAWN_NODES:
        raise ValueError(f"{len(nodes)} nodes are too many to draw readably (at most {MAX_DRAWN_NODES}); "
                         f"draw a smaller expression")
    if title is None:
        title = "data above each node (black), grad below it (red)"
    return graphs.draw_computation_graph(nodes, edges, title=title, digits=digits)


# ---------------------------------------------------------------- optimizers

def plot_optimizer_paths(f, paths, extent=None, title=None, labels=("x", "y")):
    """One panel per optimizer: the contour lines of f(x, y) and that optimizer's path.

    f:      f(x, y) -> number, called on whole grids when it can be.
    paths:  {label: array of shape (n_points, 2)}, the points each optimizer visited.
    extent: (x_min, x_max, y_min, y_max) shared by all panels; by default all
            paths plus a margin.
    Each panel's title gives the number of steps and the last value of f.
    """
    paths = {str(label): descent._as_path_2d(path) for label, path in dict(paths).items()}
    if not paths:
        raise ValueError("no paths to draw")
    extent = descent._extent(paths, extent)
    fig, axes = plt.subplots(1, len(paths), figsize=(4.0 * len(paths), 4.0), squeeze=False)
    plt.close(fig)  # returned to the caller; pyplot must not show it a second time
    for ax, (label, path) in zip(axes[0], paths.items()):
        last = float(np.asarray(f(path[-1, 0], path[-1, 1]), dtype=float))
        descent.plot_contour_path(f, {label: path}, ax=ax, extent=extent, labels=labels, equal_aspect=False,
                                  title=f"{label}\n{len(path) - 1} steps, f = {last:.2g} at the end")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_optimizer_runs(losses, accuracies=None, title=None, xlabel="epoch"):
    """Training runs side by side: the loss on a log scale, and the accuracy if given.

    losses:     {label: one loss per epoch} for each optimizer.
    accuracies: optionally {label: one accuracy per epoch}, for the same labels.
    Each optimizer keeps its colour in both panels; losses that are not
    finite (a run that diverged) are left out of its line.
    """
    losses = {str(label): np.asarray(values, dtype=float).ravel() for label, values in dict(losses).items()}
    if not losses:
        raise ValueError("no runs to draw")
    accuracies = {str(label): values for label, values in dict(accuracies or {}).items()}
    if accuracies and set(accuracies) != set(losses):
        raise ValueError(f"accuracies need the labels of the losses, {sorted(losses)}; got {sorted(accuracies)}")
    runs = {label: {"training loss": np.where(np.isfinite(values), values, np.nan)} for label, values in losses.items()}
    for label, values in accuracies.items():
        runs[label]["test accuracy"] = values
    metrics = ["training loss"] + (["test accuracy"] if accuracies else [])
    return practice.plot_runs(runs, metrics, log=("training loss",), xlabel=xlabel, title=title)
