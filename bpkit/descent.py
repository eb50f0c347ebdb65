"""Pictures and a learning-rate explorer for gradient descent (assignment 02).

The descent itself is always the student's: these functions draw paths and
loss histories they are given, or call the student's own `gradient_descent`
(passed in as `descend`). Nothing here takes a gradient step.

Every function returns a matplotlib Figure (or, live in Jupyter, a widget).
New figures are detached from pyplot: they show once when they are the last
expression of a notebook cell.
"""

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from .plots import _evaluate, _figure_and_axes
from .widgets import in_live_kernel, live_view

__all__ = [
    "plot_path_1d", "plot_iterates", "plot_contour_path", "plot_loss_curves", "plot_fit",
    "successive_ratios", "learning_rate_explorer",
]

MAX_ARROWS = 30  # longer paths are drawn as a line with dots, without arrows


def _as_path(path) -> np.ndarray:
    """A 1-d float array of iterates from a list or an (n,) / (n, 1) array."""
    path = np.asarray(path, dtype=float)
    if path.ndim == 2 and path.shape[1] == 1:
        path = path[:, 0]
    if path.ndim != 1:
        raise ValueError(f"a 1-d path needs one number per step, got shape {path.shape}")
    return path


def _as_path_2d(path) -> np.ndarray:
    path = np.asarray(path, dtype=float)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError(f"a path in the plane needs shape (n_points, 2), got {path.shape}")
    return path


def _named(paths, default_label):
    """{label: path} from a dict, or from a single path."""
    if isinstance(paths, dict):
        return dict(paths)
    return {default_label: paths}


def _arrows(ax, xs, ys, color):
    for k in range(min(len(xs) - 1, MAX_ARROWS)):
        start, end = (xs[k], ys[k]), (xs[k + 1], ys[k + 1])
        if not np.all(np.isfinite(start + end)) or start == end:
            continue
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "->", "color": color, "lw": 1.2,
                                "shrinkA": 3, "shrinkB": 3})


# ------------------------------------------------------------ one dimension

def successive_ratios(path) -> np.ndarray:
    """x_{k+1} / x_k for each step of a 1-d path (nan where x_k is 0)."""
    path = _as_path(path)
    with np.errstate(all="ignore"):
        ratios = path[1:] / path[:-1]
    return np.where(path[:-1] == 0, np.nan, ratios)


def plot_path_1d(f, path, ax=None, title=None):
    """The curve f and the iterates x_0, x_1, ... as dots on it, joined by arrows.

    The x range covers every finite iterate (and at least a width of 2),
    so a diverging path visibly climbs out of the valley.
    """
    path = _as_path(path)
    finite = path[np.isfinite(path)]
    if finite.size == 0:
        raise ValueError("the path has no finite points to draw")
    lo, hi = finite.min(), finite.max()
    centre, half = (lo + hi) / 2, max((hi - lo) / 2, 1.0)
    xs = np.linspace(centre - 1.15 * half, centre + 1.15 * half, 400)

    fig, ax = _figure_and_axes(ax, (5.5, 4.0))
    ax.plot(xs, _evaluate(f, xs), color="tab:blue", lw=1.5, label="f(x)")
    ys = _evaluate(f, path)
    ax.plot(path, ys, "o", color="tab:red", markersize=4, zorder=3, label="iterates")
    _arrows(ax, path, ys, "tab:red")
    ax.plot(path[0], ys[0], "s", color="black", markersize=7, zorder=4, label="start x₀")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", loc="best")
    return fig


def plot_iterates(paths, ax=None, log=False, title=None):
    """x_k against the step k, one line per path ({label: path} or one path).

    With log=True the y axis shows |x_k| on a log scale: a constant factor
    per step is then a straight line.
    """
    fig, ax = _figure_and_axes(ax, (5.5, 4.0))
    for label, path in _named(paths, "x_k").items():
        path = _as_path(path)
        steps = np.arange(len(path))
        if log:
            ax.semilogy(steps, np.abs(path), "o-", markersize=3, label=label)
        else:
            ax.plot(steps, path, "o-", markersize=3, label=label)
    if not log:
        ax.axhline(0.0, color="gray", lw=0.8, ls=":")
    ax.set_xlabel("step k")
    ax.set_ylabel("|x_k|" if log else "x_k")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


# ------------------------------------------------------------ two dimensions

def _grid_values(f, A, B):
    """f(a, b) on a grid: vectorised if f allows it, else point by point."""
    with np.errstate(all="ignore"):
        try:
            Z = np.asarray(f(A, B), dtype=float)
            if Z.shape == A.shape:
                return Z
        except Exception:  # e.g. f only accepts numbers
            pass
        return np.array([[float(f(a, b)) for a, b in zip(row_a, row_b)]
                         for row_a, row_b in zip(A, B)])


def _extent(paths, extent):
    if extent is not None:
        return tuple(float(v) for v in extent)
    points = np.concatenate(list(paths.values()))
    points = points[np.all(np.isfinite(points), axis=1)]
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.maximum(0.15 * (hi - lo), 0.5)
    return lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]


def plot_contour_path(f, paths, ax=None, title=None, extent=None, labels=("a", "b"),
                      n_levels=15, equal_aspect=True):
    """Contour lines of f(a, b) with one or more descent paths drawn on top.

    f:      f(a, b) -> number; called on whole grids when it can be.
    paths:  an array of shape (n_points, 2), or a dict {label: such an array}.
    extent: (a_min, a_max, b_min, b_max); by default the paths plus a margin.
    The contour levels are spaced geometrically above the lowest value on
    the grid, so the rings near the minimum stay visible.
    """
    paths = {label: _as_path_2d(p) for label, p in _named(paths, "path").items()}
    a_min, a_max, b_min, b_max = _extent(paths, extent)
    A, B = np.meshgrid(np.linspace(a_min, a_max, 120), np.linspace(b_min, b_max, 120))
    Z = _grid_values(f, A, B)
    z_lo, z_hi = np.nanmin(Z), np.nanmax(Z)
    span = z_hi - z_lo
    levels = z_lo + np.geomspace(span * 1e-3, span, n_levels) if span > 0 else n_levels

    fig, ax = _figure_and_axes(ax, (5.5, 5.0))
    ax.contour(A, B, Z, levels=levels, cmap="viridis", linewidths=0.9)
    colors = ["tab:red", "tab:orange", "tab:purple", "tab:brown"]
    for i, (label, path) in enumerate(paths.items()):
        color = colors[i % len(colors)]
        few = len(path) <= MAX_ARROWS + 1
        ax.plot(path[:, 0], path[:, 1], "o-" if few else "-", color=color,
                markersize=4, lw=1.0 if few else 0.8, label=label)
        if few:
            _arrows(ax, path[:, 0], path[:, 1], color)
        ax.plot(path[0, 0], path[0, 1], "s", color="black", markersize=6)
        ax.plot(path[-1, 0], path[-1, 1], "*", color=color, markersize=12,
                markeredgecolor="black", zorder=4)
    ax.set_xlim(a_min, a_max)
    ax.set_ylim(b_min, b_max)
    if equal_aspect:
        ax.set_aspect("equal")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", loc="best")
    return fig


# ------------------------------------------------------------ training curves

def plot_loss_curves(curves, ax=None, log=True, xlabel="epoch", minimum=None, title=None):
    """Loss histories, one line per entry of {label: losses}; x is the entry's index.

    minimum: optional lowest possible loss, drawn as a dashed line.
    """
    fig, ax = _figure_and_axes(ax, (6.4, 4.2))
    for label, losses in _named(curves, "loss").items():
        losses = np.asarray(losses, dtype=float).ravel()
        ax.plot(np.arange(len(losses)), losses, "o-", markersize=3, label=label)
    if minimum is not None:
        ax.axhline(float(minimum), color="black", ls="--", lw=1,
                   label=f"least-squares minimum {float(minimum):.4g}")
    if log:
        ax.set_yscale("log")
        # Plain numbers (0.2, 0.5, 1, 2) instead of powers of ten.
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def plot_fit(x, y, lines=None, ax=None, title=None):
    """Scatter of one feature x against targets y, with lines {label: (w, b)} for y = w x + b."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    fig, ax = _figure_and_axes(ax, (5.5, 4.0))
    ax.scatter(x, y, s=12, alpha=0.6, color="tab:blue", label="data")
    xs = np.linspace(x.min(), x.max(), 2)
    styles = ["-", "--", ":", "-."]
    for i, (label, (w, b)) in enumerate((lines or {}).items()):
        w, b = float(np.asarray(w, dtype=float).ravel()[0]), float(b)
        sign = "-" if b < 0 else "+"
        ax.plot(xs, w * xs + b, lw=2, ls=styles[i % len(styles)],
                label=f"{label}: y = {w:.3g} x {sign} {abs(b):.3g}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


# ------------------------------------------------------------ learning-rate explorer

def _run(descend, grad, x0, rate, n_steps):
    with np.errstate(all="ignore"):
        return _as_path(descend(grad, x0, rate, n_steps))


def _ratio_text(path) -> str:
    ratios = successive_ratios(path)
    ratios = ratios[np.isfinite(ratios)]
    return f"{ratios[0]:.3g}" if ratios.size else "n/a"


def _explorer_readout(rate, path) -> str:
    return (
        "<table style='font-family: monospace'>"
        f"<tr><td>learning rate η</td><td>{rate:.3g}</td></tr>"
        f"<tr><td>x₀</td><td>{path[0]:.4g}</td></tr>"
        f"<tr><td>x₁ / x₀</td><td>{_ratio_text(path)}</td></tr>"
        f"<tr><td>x_{len(path) - 1} (last)</td><td>{path[-1]:.4g}</td></tr>"
        "</table>"
    )


def _explorer_figure(f, path, rate, axes=None):
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        plt.close(fig)
    fig = axes[0].figure
    title = f"η = {rate:.3g}, x₁/x₀ = {_ratio_text(path)}"
    plot_path_1d(f, path, ax=axes[0], title=title)
    plot_iterates({f"η = {rate:.3g}": path}, ax=axes[1], title="x_k against the step k")
    fig.tight_layout()
    return fig


def _live_explorer(descend, f, grad, x0, rates, eta_max, n_steps):
    slider = ipywidgets.FloatSlider(
        value=rates[0], min=0.01, max=eta_max, step=0.01, description="η",
        continuous_update=False, readout_format=".2f",
    )

    def render():
        path = _run(descend, grad, x0, slider.value, n_steps)
        return _explorer_readout(slider.value, path), _explorer_figure(f, path, slider.value)

    return live_view([slider], render)


def _static_explorer(descend, f, grad, x0, rates, n_steps):
    fig, axes = plt.subplots(2, len(rates), figsize=(4.2 * len(rates), 7.2), squeeze=False)
    plt.close(fig)
    print(f"{'η':>6} {'x1/x0':>8} {'last x':>12}")
    for column, rate in enumerate(rates):
        path = _run(descend, grad, x0, rate, n_steps)
        print(f"{rate:>6.3g} {_ratio_text(path):>8} {path[-1]:>12.4g}")
        plot_path_1d(f, path, ax=axes[0, column], title=f"η = {rate:.3g}, x₁/x₀ = {_ratio_text(path)}")
        plot_iterates({f"η = {rate:.3g}": path}, ax=axes[1, column])
    fig.suptitle(f"{n_steps} steps of gradient descent from x₀ = {x0:g}")
    fig.tight_layout()
    return fig


def learning_rate_explorer(descend, f, grad, x0=1.0, rates=(0.1, 0.5, 0.8, 1.05),
                           eta_max=1.2, n_steps=10, static=None):
    """Watch gradient descent on f for different learning rates.

    descend: the student's gradient_descent(grad, x0, learning_rate, n_steps),
             returning the iterates x_0, ..., x_n.
    f, grad: the function (for drawing) and its derivative (for descend).

    Live (in a Jupyter kernel): a slider for the learning rate, a readout of
    x_1 / x_0 and the last iterate, and two plots (the path on the curve,
    x_k against k) that follow the slider; it starts at rates[0].
    Static (static=True, or by default under nbgrader / outside a kernel):
    prints a small table and returns a Figure with one column per rate.
    """
    if not eta_max > 0:
        raise ValueError(f"eta_max must be positive, got {eta_max}")
    rates = tuple(float(r) for r in rates)
    if not rates:
        raise ValueError("rates must hold at least one learning rate")
    x0 = float(x0)
    if static is None:
        static = not in_live_kernel()
    if static:
        return _static_explorer(descend, f, grad, x0, rates, n_steps)
    return _live_explorer(descend, f, grad, x0, rates, eta_max, n_steps)
