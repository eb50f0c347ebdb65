"""Interactive explorers for the notebooks, with static fallbacks.

While nbgrader executes a notebook (or outside Jupyter) nobody can move a
slider, so each explorer then draws a few fixed cases instead.

    widgets.nudge_explorer(f, f_prime, x0=1.0)                  # 01
    widgets.weight_explorer(cost_of, gradients_of, params)      # 04
"""

import html
import os
import re

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib.patches import Rectangle

from .plots import _evaluate, _figure_and_axes, _scalar

__all__ = ["in_live_kernel", "nudge_explorer", "plot_nudge", "weight_explorer", "plot_weight_slice"]

CURVE_COLOR = "#35507a"  # f, and the true change df read off it
TANGENT_COLOR = "#d6604d"  # the tangent, and the prediction f'(x0)*dx read off it
POINT_COLOR = "#f0a30a"


def in_live_kernel() -> bool:
    """True when running in an interactive Jupyter kernel that can show widgets.

    False while nbgrader executes the notebook (env var NBGRADER_EXECUTION is
    set) and outside an IPython kernel (plain Python, pytest, terminal IPython).
    """
    if "NBGRADER_EXECUTION" in os.environ:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# ---------------------------------------------------------------- nudge explorer

def _nudge_numbers(f, f_prime, x0, dx) -> dict:
    """True change, linear prediction and their gap for a step dx from x0."""
    true_change = _scalar(f(x0 + dx)) - _scalar(f(x0))
    prediction = _scalar(f_prime(x0)) * dx
    gap = abs(true_change - prediction)
    return {
        "dx": dx,
        "df": true_change,
        "prediction": prediction,
        "gap": gap,
        "gap_per_dx": gap / abs(dx) if dx != 0 else 0.0,
    }


def _readout_html(numbers) -> str:
    n = numbers
    return (
        "<table style='font-family: monospace'>"
        f"<tr><td>dx</td><td>{n['dx']:.4g}</td></tr>"
        f"<tr><td>true change df = f(x0+dx) - f(x0)</td><td>{n['df']:.6g}</td></tr>"
        f"<tr><td>linear prediction f'(x0)·dx</td><td>{n['prediction']:.6g}</td></tr>"
        f"<tr><td>gap |df - f'(x0)·dx|</td><td>{n['gap']:.3g}</td></tr>"
        f"<tr><td>gap / |dx|</td><td>{n['gap_per_dx']:.3g}</td></tr>"
        "</table>"
    )


def live_view(controls, render):
    """A VBox of the controls, an HTML readout and a plot, redrawn whenever a control changes.

    render() reads the controls and returns (readout HTML, Figure); it is
    called once at the start and after every change of a control's value.
    """
    readout = ipywidgets.HTML()
    plot_area = ipywidgets.Output()

    def update(change=None):
        readout.value, fig = render()
        plot_area.clear_output(wait=True)
        with plot_area:  # only captures inside a kernel; harmless elsewhere
            display(fig)

    for control in controls:
        control.observe(update, names="value")
    update()
    return ipywidgets.VBox([*controls, readout, plot_area])


OVERVIEW_POINTS = 400  # samples of f in the overview panel
ZOOM_POINTS = 200  # samples of f in each zoom panel
NEAR_MARGIN, FAR_MARGIN = 0.2, 0.6  # the zoom's x margins behind x0 and beyond x0 + dx, in |dx|
HEIGHT_MARGIN = 0.12  # the zoom's y margin above and below the two changes, in their height
LABEL_SPACING = 0.09  # the least vertical distance between the two labels, in the zoom's height


def _zoom_window(x0, y0, slope, numbers, dx_max):
    """((x_lo, x_hi), (y_lo, y_hi)) of the zoom on a step: it follows dx, and the two changes
    df and f'(x0)*dx fill most of its height. The far side (beyond x0 + dx) leaves room for labels.
    A step of 0 gets the window of the slider's smallest step."""
    dx = numbers["dx"]
    scale = abs(dx) or dx_max / 100
    side = 1 if dx >= 0 else -1
    x_lo, x_hi = sorted([x0 - side * NEAR_MARGIN * scale, x0 + dx + side * FAR_MARGIN * scale])
    heights = [y for y in (y0, y0 + numbers["df"], y0 + numbers["prediction"]) if np.isfinite(y)]
    y_lo, y_hi = min(heights), max(heights)
    if y_hi == y_lo:  # no change at all: as high as the smallest step's prediction
        half = abs(slope) * scale / 2 or 1e-3 * max(1.0, abs(y0))
        y_lo, y_hi = y0 - half, y0 + half
    margin = HEIGHT_MARGIN * (y_hi - y_lo)
    return (x_lo, x_hi), (y_lo - margin, y_hi + margin)


def _label_heights(df_middle, prediction_middle, spacing):
    """Heights for the labels of df and f'(x0)*dx: each beside its segment's middle, but at least
    `spacing` apart, in the same order."""
    if abs(df_middle - prediction_middle) >= spacing:
        return df_middle, prediction_middle
    centre, half = (df_middle + prediction_middle) / 2, spacing / 2
    above, below = centre + half, centre - half
    return (above, below) if df_middle >= prediction_middle else (below, above)


def _draw_zoom(ax, f, x0, y0, slope, numbers, window):
    """A close look at one step: the curve, the tangent and, side by side at x0 + dx, the true change
    df (gid "df") and the prediction f'(x0)*dx (gid "prediction"), labelled beyond them."""
    dx, df, prediction = numbers["dx"], numbers["df"], numbers["prediction"]
    (x_lo, x_hi), (y_lo, y_hi) = window
    xs = np.linspace(x_lo, x_hi, ZOOM_POINTS)
    ax.plot(xs, _evaluate(f, xs), color=CURVE_COLOR, linewidth=1.5, label="f(x)", gid="curve")
    ax.plot(xs, y0 + slope * (xs - x0), "--", color=TANGENT_COLOR, linewidth=1.5,
            label="tangent at x0", gid="tangent")
    ax.plot([x0, x0 + dx], [y0, y0], ":", color="gray", gid="step")
    ax.plot([x0, x0 + dx], [y0, y0 + df], "o", color=POINT_COLOR, markeredgecolor="black", zorder=5)

    side = 1 if dx >= 0 else -1
    offset = side * 0.02 * (x_hi - x_lo)  # the prediction stands just beyond df
    ax.plot([x0 + dx] * 2, [y0, y0 + df], color=CURVE_COLOR, linewidth=4, solid_capstyle="butt", gid="df")
    ax.plot([x0 + dx + offset] * 2, [y0, y0 + prediction], color=TANGENT_COLOR, linewidth=4,
            solid_capstyle="butt", gid="prediction")
    heights = _label_heights(y0 + df / 2, y0 + prediction / 2, LABEL_SPACING * (y_hi - y_lo))
    texts = [("df_label", f"df = {df:.3g}", CURVE_COLOR),
             ("prediction_label", f"f'(x0)·dx = {prediction:.3g}", TANGENT_COLOR)]
    for (gid, text, color), height in zip(texts, heights):
        ax.text(x0 + dx + 2.5 * offset, height, text, color=color, gid=gid, fontsize=9,
                ha="left" if side > 0 else "right", va="center",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})

    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.ticklabel_format(useOffset=False)
    ax.set_xlabel("x")
    ax.set_title(f"zoom on the step dx = {dx:.3g}\n|df - f'(x0)·dx| = {numbers['gap']:.2g}"
                 f" = {numbers['gap_per_dx']:.2g}·|dx|", fontsize=10)
    ax.grid(True, alpha=0.3)


def _draw_overview(ax, f, x0, y0, slope, dx_max, windows):
    """f and its tangent on x0 +- 1.2 dx_max, widened to hold every zoom's box (drawn, gid "zoom_box")."""
    x_lo = min([x0 - 1.2 * dx_max] + [x for (x, _), _ in windows])
    x_hi = max([x0 + 1.2 * dx_max] + [x for (_, x), _ in windows])
    xs = np.linspace(x_lo, x_hi, OVERVIEW_POINTS)
    ys = _evaluate(f, xs)
    ax.plot(xs, ys, color=CURVE_COLOR, linewidth=2, label="f(x)", gid="curve")
    ax.plot(xs, y0 + slope * (xs - x0), "--", color=TANGENT_COLOR, linewidth=1.5,
            label="tangent at x0", gid="tangent")
    ax.plot([x0], [y0], "o", color=POINT_COLOR, markeredgecolor="black", zorder=5)
    for (box_x_lo, box_x_hi), (box_y_lo, box_y_hi) in windows:
        ax.add_patch(Rectangle((box_x_lo, box_y_lo), box_x_hi - box_x_lo, box_y_hi - box_y_lo, fill=False,
                               edgecolor="black", linewidth=1, zorder=4, gid="zoom_box"))
    heights = np.concatenate([ys[np.isfinite(ys)], np.ravel([y for _, y in windows])])
    margin = 0.06 * (heights.max() - heights.min()) or 1.0  # the whole curve; the tangent may leave
    ax.set_ylim(heights.min() - margin, heights.max() + margin)
    ax.set_xlim(x_lo, x_hi)
    ax.set_xlabel("x")
    boxes = "the box is the zoom" if len(windows) == 1 else "the boxes are the zooms"
    ax.set_title(f"f near x0 = {x0:.3g}; {boxes}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")


def _nudge_figure(f, f_prime, x0, numbers, dx_max):
    """One figure: the overview of f near x0 (a box for each step), then a zoom on each step.
    numbers: _nudge_numbers of each step."""
    y0, slope = _scalar(f(x0)), _scalar(f_prime(x0))
    windows = [_zoom_window(x0, y0, slope, n, dx_max) for n in numbers]
    rows = (len(numbers) + 2) // 2
    height = 4.3 * rows  # inches; fixed margins, as fast as a slider needs (tight_layout is not)
    margins = {"left": 0.06, "right": 0.98, "wspace": 0.2, "hspace": 0.32,
               "bottom": 0.55 / height, "top": 1 - 0.55 / height}
    fig, axes = plt.subplots(rows, 2, figsize=(11, height), squeeze=False, gridspec_kw=margins)
    plt.close(fig)  # returned to the caller; pyplot must not show it twice
    overview, *zooms = axes.flat
    _draw_overview(overview, f, x0, y0, slope, dx_max, windows)
    for ax, n, window in zip(zooms, numbers, windows):
        _draw_zoom(ax, f, x0, y0, slope, n, window)
    return fig


def plot_nudge(f, f_prime, x0, dx, dx_max=2.0):
    """What a step dx from x0 changes, in two panels: f and its tangent on x0 +- 1.2 dx_max, with a
    box where the second panel zooms in; and that zoom, which follows dx so that the true change
    df = f(x0+dx) - f(x0) and the prediction f'(x0)*dx fill most of its height, side by side at
    x0 + dx and labelled. Lines carry gids: "curve", "tangent", "step", "df", "prediction";
    the labels "df_label" and "prediction_label"; the box "zoom_box".
    """
    x0, dx = float(x0), float(dx)
    return _nudge_figure(f, f_prime, x0, [_nudge_numbers(f, f_prime, x0, dx)], float(dx_max))


def _live_nudge_explorer(f, f_prime, x0, dx_max):
    slider = ipywidgets.FloatSlider(
        value=dx_max / 4, min=-dx_max, max=dx_max, step=dx_max / 100,
        description="dx", continuous_update=False, readout_format=".3f",
    )

    def render():
        numbers = _nudge_numbers(f, f_prime, x0, slider.value)
        return _readout_html(numbers), _nudge_figure(f, f_prime, x0, [numbers], dx_max)

    return live_view([slider], render)


def _static_nudge_explorer(f, f_prime, x0, dx_max):
    numbers = [_nudge_numbers(f, f_prime, x0, dx) for dx in (dx_max / 20, dx_max / 4, dx_max)]
    print("{:>10} {:>12} {:>12} {:>10}".format("dx", "df", "f'(x0)dx", "gap"))
    for n in numbers:
        print(f"{n['dx']:>10.4g} {n['df']:>12.6g} {n['prediction']:>12.6g} {n['gap']:>10.3g}")
    return _nudge_figure(f, f_prime, x0, numbers, dx_max)


def nudge_explorer(f, f_prime, x0, dx_max=2.0, static=None):
    """Explore how well f'(x0)*dx predicts the change df = f(x0+dx) - f(x0).

    For small dx the two agree closely (the gap shrinks faster than dx);
    for large dx they drift apart.

    Live (in a Jupyter kernel): returns a VBox with a dx slider, a readout of
    df, f'(x0)*dx and their gap, and a plot that follows the slider.
    The plot is plot_nudge's: f near x0 and a zoom on the step that follows dx.
    Static (static=True, or by default under nbgrader / outside a kernel):
    prints a small table and returns one Figure: the overview and a zoom for
    each of dx = dx_max/20, dx_max/4 and dx_max.
    """
    if not dx_max > 0:
        raise ValueError(f"dx_max must be positive, got {dx_max}")
    x0, dx_max = float(x0), float(dx_max)
    if static is None:
        static = not in_live_kernel()
    if static:
        return _static_nudge_explorer(f, f_prime, x0, dx_max)
    return _live_nudge_explorer(f, f_prime, x0, dx_max)


# ---------------------------------------------------------------- weight explorer


def _parse_weight(weight, params):
    """(name, index) from "W3[1, 0]" or ("W3", (1, 0)), checked against params."""
    if isinstance(weight, str):
        match = re.fullmatch(r"\s*(\w+)\s*\[([\d,\s]*)\]\s*", weight)
        if match is None:
            raise ValueError(f"write a weight as name[i, j], e.g. 'W3[1, 0]'; got {weight!r}")
        name = match.group(1)
        index = tuple(int(part) for part in match.group(2).split(",") if part.strip())
    else:
        try:
            name, index = weight
            index = tuple(int(k) for k in np.atleast_1d(index))
        except (TypeError, ValueError):
            raise ValueError(
                f"a weight is 'W3[1, 0]' or a pair ('W3', (1, 0)); got {weight!r}") from None
    if name not in params:
        raise ValueError(f"params has no {name!r}; its names are {sorted(params)}")
    shape = np.shape(params[name])
    if len(index) != len(shape) or any(not 0 <= k < n for k, n in zip(index, shape)):
        raise ValueError(f"{name}{list(index)} is not an entry of {name}, whose shape is {shape}")
    return name, index


def _weight_label(name, index) -> str:
    """'W3[1, 0]', and the formula's name (1-based) where the name says the layer: w^(3)_{2,1}."""
    text = f"{name}[{', '.join(str(k) for k in index)}]"
    match = re.fullmatch(r"([Wb])(\d+)", name)
    if match and len(index) == 2:
        letter, layer = match.group(1).lower(), match.group(2)
        sub = f"{index[0] + 1},{index[1] + 1}" if letter == "w" else f"{index[1] + 1}"
        text += f"  ({letter}({layer})_{sub.replace(',', '')})"
    return text


def _with_entry(params, name, index, value):
    """A copy of params in which params[name][index] is value (the other arrays are shared)."""
    changed = np.array(params[name], dtype=float, copy=True)
    changed[index] = value
    return {**params, name: changed}


def _gradient_entry(grads, name, index) -> float:
    """The entry of the gradient dict for params[name][index]; keys 'dW3' or 'W3' are both accepted."""
    if not isinstance(grads, dict):
        raise TypeError(f"gradient(params) should return a dict of arrays, got {type(grads).__name__}")
    for key in ("d" + name, name):
        if key in grads:
            array = np.asarray(grads[key], dtype=float)
            if array.shape != () and array.ndim == len(index):
                return float(array[index])
            raise ValueError(f"gradient(params)[{key!r}] has shape {array.shape}; it should have "
                             f"the shape of params[{name!r}]")
    raise KeyError(f"gradient(params) has no entry 'd{name}' (or '{name}'); its keys are {sorted(grads)}")


def weight_slice(cost, gradient, params, weight, value=None, span=1.0, points=121):
    """The numbers behind the picture of J against one weight, all others fixed.

    Returns a dict: "name", "index", "label", "start" (the weight in params),
    "value" (where the tangent touches; default: start), "grid" and "curve"
    (J on `points` values from start - span to start + span), "cost" (J at
    value), "slope" (the student's gradient(...) at value: the backprop slope)
    and "numerical" (a central difference of cost at value, for comparison).
    """
    name, index = _parse_weight(weight, params)
    if not span > 0:
        raise ValueError(f"span must be positive, got {span}")
    start = float(np.asarray(params[name], dtype=float)[index])
    value = start if value is None else float(value)

    def cost_at(w):
        return _scalar(cost(_with_entry(params, name, index, w)))

    grid = np.linspace(start - span, start + span, int(points))
    with np.errstate(all="ignore"):
        curve = np.array([cost_at(w) for w in grid])
        h = 1e-6 * max(1.0, abs(value))
        numerical = (cost_at(value + h) - cost_at(value - h)) / (2 * h)
    slope = _gradient_entry(gradient(_with_entry(params, name, index, value)), name, index)
    return {"name": name, "index": index, "label": _weight_label(name, index), "start": start,
            "value": value, "grid": grid, "curve": curve, "cost": cost_at(value),
            "slope": slope, "numerical": numerical}


def plot_weight_slice(cost, gradient, params, weight, value=None, span=1.0, ax=None, points=121):
    """J against one weight (all others fixed), the current point and the backprop tangent.

    cost(params) returns J; gradient(params) returns a dict of gradients with
    keys 'dW1' (or 'W1'), ...; params is a dict of arrays, left unchanged.
    weight names one entry: "W3[1, 0]" or ("W3", (1, 0)). The curve covers the
    weight's value in params +- span; the amber dot sits at `value` (default:
    the value in params) and the red line through it has the slope that
    gradient() returns there. A right gradient makes it a tangent.

    Lines carry gids: "loss_curve", "tangent", "current" and "start".
    """
    numbers = weight_slice(cost, gradient, params, weight, value, span, points)
    return _draw_weight_slice(numbers, ax)


def _draw_weight_slice(numbers, ax=None):
    fig, ax = _figure_and_axes(ax, (6.0, 4.0))
    grid, curve = numbers["grid"], numbers["curve"]
    span = (grid[-1] - grid[0]) / 2
    w, J, slope = numbers["value"], numbers["cost"], numbers["slope"]
    ax.plot(grid, curve, color=CURVE_COLOR, linewidth=2, label="J, all other weights fixed",
            gid="loss_curve")
    half = span / 3
    ax.plot([w - half, w + half], [J - slope * half, J + slope * half], color=TANGENT_COLOR,
            linewidth=2, label=f"slope from gradient(): {slope:.4g}", gid="tangent")
    ax.plot([w], [J], "o", color=POINT_COLOR, markeredgecolor="black", markersize=9,
            zorder=5, label=f"current point, J = {J:.4g}", gid="current")
    ax.axvline(numbers["start"], color="#9a9a9a", linestyle=":", linewidth=1,
               label="value in params", gid="start")
    finite = curve[np.isfinite(curve)]
    if finite.size:
        low, high = finite.min(), finite.max()
        margin = 0.12 * (high - low) if high > low else 1.0
        ax.set_ylim(low - margin, high + margin)  # the tangent may leave the box; the curve may not
    ax.set_xlim(grid[0], grid[-1])
    ax.ticklabel_format(axis="y", useOffset=False)
    ax.set_xlabel(numbers["label"])
    ax.set_ylabel("cost J")
    ax.set_title(f"{numbers['label']} = {w:.4g}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def _weight_readout(numbers) -> str:
    n = numbers
    error = abs(n["slope"] - n["numerical"]) / max(abs(n["slope"]) + abs(n["numerical"]), 1e-300)
    return (
        "<table style='font-family: monospace'>"
        f"<tr><td>weight</td><td>{html.escape(n['label'])}</td></tr>"
        f"<tr><td>value (start {n['start']:.4g})</td><td>{n['value']:.6g}</td></tr>"
        f"<tr><td>cost J</td><td>{n['cost']:.6g}</td></tr>"
        f"<tr><td>slope from your gradient</td><td>{n['slope']:.6g}</td></tr>"
        f"<tr><td>numerical slope</td><td>{n['numerical']:.6g}</td></tr>"
        f"<tr><td>relative error</td><td>{error:.1e}</td></tr>"
        "</table>"
    )


def _offered_weights(params, first):
    """The weights given first, then every other entry of every array in params, in row-major order."""
    every = [(name, index) for name in params for index in np.ndindex(np.shape(params[name]))]
    return first + [weight for weight in every if weight not in first]


def _live_weight_explorer(cost, gradient, params, weights, span):
    offered = _offered_weights(params, weights)
    chooser = ipywidgets.Dropdown(options=[(_weight_label(*w), w) for w in offered],
                                  value=offered[0], description="weight")
    slider = ipywidgets.FloatSlider(value=0.0, min=-span, max=span, step=span / 100,
                                    description="nudge", continuous_update=False,
                                    readout_format=".3f")

    def render():
        name, index = chooser.value
        start = float(np.asarray(params[name], dtype=float)[index])
        numbers = weight_slice(cost, gradient, params, chooser.value, start + slider.value, span)
        return _weight_readout(numbers), _draw_weight_slice(numbers)

    def back_to_start(change):
        slider.value = 0.0  # a new weight starts at its value in params

    chooser.observe(back_to_start, names="value")
    return live_view([chooser, slider], render)


def _static_weight_explorer(cost, gradient, params, weights, span):
    shown = weights[:4]
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4), squeeze=False)
    plt.close(fig)  # returned to the caller; pyplot must not show it twice
    print(f"{'weight':<22} {'value':>10} {'J':>12} {'gradient':>12} {'numerical':>12}")
    for weight, ax in zip(shown, axes[0]):
        n = weight_slice(cost, gradient, params, weight, None, span)
        print(f"{n['label']:<22} {n['value']:>10.4g} {n['cost']:>12.6g} {n['slope']:>12.6g} "
              f"{n['numerical']:>12.6g}")
        _draw_weight_slice(n, ax)
    fig.suptitle("The cost against one weight at a time, with the tangent your gradient gives "
                 "(move the weights with the sliders in a live notebook)", fontsize=10)
    fig.tight_layout()
    return fig


def weight_explorer(cost, gradient, params, weights=None, span=1.0, static=None):
    """Move one weight of a network and watch the cost and your gradient's tangent follow.

    cost(params) returns the cost J of the whole network for a dict of
    parameter arrays; gradient(params) returns the student's gradients as a
    dict with keys 'dW1' (or 'W1'), ... of the same shapes. params is never
    changed: each point of the curve is a copy with one entry replaced.
    weights: the entries to show first, as "W3[1, 0]" or ("W3", (1, 0));
    default: every entry of every array in params, in order.

    Live (in a Jupyter kernel): a dropdown to pick any entry of params (the
    given weights first, the first of them selected), a slider that
    nudges it by up to +- span from its value in params, a readout (cost,
    your slope, the numerical slope) and a plot of J against that weight with
    the current point and the line of your slope through it.
    Static (static=True, or by default under nbgrader / outside a kernel):
    prints a table and returns a Figure with one panel for each of the first
    four weights, each with the tangent at the weight's value in params.
    """
    if not span > 0:
        raise ValueError(f"span must be positive, got {span}")
    span = float(span)
    weights = [_parse_weight(w, params) for w in weights] if weights is not None \
        else _offered_weights(params, [])
    if not weights:
        raise ValueError("no weight to explore: params is empty and no weights were given")
    if static is None:
        static = not in_live_kernel()
    if static:
        return _static_weight_explorer(cost, gradient, params, weights, span)
    return _live_weight_explorer(cost, gradient, params, weights, span)
