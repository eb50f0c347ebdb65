"""Plots about derivatives: step-size error of numerical derivatives, tangent lines.

The student's own functions (f, f', a numerical derivative) are passed in;
this module only evaluates and draws them.

Every function returns a matplotlib Figure. New figures are detached from
pyplot (closed right after creation): they show once when they are the last
expression of a notebook cell (or via `display(fig)`), never twice.
"""

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["step_size_errors", "plot_step_size_error", "plot_tangent"]

ERROR_FLOOR = 1e-17  # errors of exactly 0 are drawn here on the log axis


def _figure_and_axes(ax, figsize):
    """The figure of `ax`, or a new detached figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    plt.close(fig)  # we return it; pyplot must not show it a second time
    return fig, ax


def _scalar(value) -> float:
    """A Python float from a number, numpy scalar or one-element array."""
    return float(np.asarray(value, dtype=float).item())


def _evaluate(f, xs):
    """f on every point of xs: vectorised if f allows it, else point by point."""
    with np.errstate(all="ignore"):
        try:
            ys = np.asarray(f(xs), dtype=float)
            if ys.shape == xs.shape:
                return ys
        except Exception:  # e.g. f uses math.sin, which rejects arrays
            pass
        return np.array([_scalar(f(x)) for x in xs])


# ------------------------------------------------------------ step size

def step_size_errors(numeric_derivative, f, f_prime, x0, hs=None):
    """Errors |numeric_derivative(f, x0, h) - f_prime(x0)| for many step sizes.

    hs defaults to 61 values from 1e-15 to 1 (log-spaced).
    Returns (hs, errors), both float arrays.
    """
    hs = np.logspace(-15, 0, 61) if hs is None else np.asarray(hs, dtype=float)
    exact = _scalar(f_prime(x0))
    errors = [abs(_scalar(numeric_derivative(f, x0, h)) - exact) for h in hs]
    return hs, np.array(errors, dtype=float)


def plot_step_size_error(numeric_derivative, f, f_prime, x0, hs=None, ax=None):
    """Log-log plot of the error of a numerical derivative against the step size h.

    Too large an h: the difference quotient is a poor approximation
    (truncation error). Too small an h: f(x0+h) and f(x0-h) agree in almost
    all digits and their difference is mostly rounding noise (rounding error).
    The best h sits between the two and is marked.
    """
    hs, errors = step_size_errors(numeric_derivative, f, f_prime, x0, hs)
    shown = np.maximum(errors, ERROR_FLOOR)  # log axes cannot show 0
    best = int(np.argmin(np.where(np.isnan(shown), np.inf, shown)))

    fig, ax = _figure_and_axes(ax, (6.4, 4.4))
    ax.loglog(hs, shown, "o-", markersize=3, label="|numerical - exact|")
    ax.loglog(hs[best], shown[best], "*", markersize=15, color="crimson",
              label=f"best h = {hs[best]:.1e}")
    ax.annotate(f"best h ≈ {hs[best]:.1e}", (hs[best], shown[best]),
                xytext=(0, -16), textcoords="offset points", ha="center", va="top",
                color="crimson")

    # Small h on the left, large h on the right.
    ax.text(0.03, 0.04, "rounding error wins", transform=ax.transAxes,
            ha="left", va="bottom", color="dimgray")
    ax.text(0.97, 0.04, "truncation error wins", transform=ax.transAxes,
            ha="right", va="bottom", color="dimgray")

    name = getattr(numeric_derivative, "__name__", "numerical derivative")
    ax.set_title(f"Error of {name} at x0 = {x0:.4g}")
    ax.set_xlabel("step size h")
    ax.set_ylabel("|error|")
    ax.set_ylim(bottom=ERROR_FLOOR / 10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper center")
    return fig


# ------------------------------------------------------------ tangent line

def plot_tangent(f, f_prime, x0, dx, ax=None, span=3.0):
    """f near x0, its tangent at x0, and what a step dx changes.

    At x0 + dx two vertical segments start at height f(x0):
    the true change df = f(x0+dx) - f(x0) (green) and the linear
    prediction f'(x0)*dx read off the tangent (red).
    """
    x0, dx = float(x0), float(dx)
    y0, slope, y1 = _scalar(f(x0)), _scalar(f_prime(x0)), _scalar(f(x0 + dx))
    true_change, prediction = y1 - y0, slope * dx

    # Plot range: x0 +- span, widened if x0 + dx lies outside.
    lo = min(x0 - span, x0 + dx - 0.1 * span)
    hi = max(x0 + span, x0 + dx + 0.1 * span)
    xs = np.linspace(lo, hi, 400)
    ys = _evaluate(f, xs)

    fig, ax = _figure_and_axes(ax, (6.4, 4.4))
    ax.plot(xs, ys, color="tab:blue", label="f(x)")
    ax.plot(xs, y0 + slope * (xs - x0), "--", color="tab:orange", label="tangent at x0")
    ax.plot([x0, x0 + dx], [y0, y0], ":", color="gray")  # the step dx
    ax.plot([x0, x0 + dx], [y0, y1], "o", color="black", zorder=3)

    # The two segments side by side, slightly apart so both stay visible.
    gap = 0.012 * (hi - lo)
    ax.plot([x0 + dx - gap] * 2, [y0, y1], color="tab:green", linewidth=3,
            label=f"true change df = {true_change:.3g}")
    ax.plot([x0 + dx + gap] * 2, [y0, y0 + prediction], color="tab:red", linewidth=3,
            label=f"linear prediction f'(x0)·dx = {prediction:.3g}")
    ax.text(x0 + dx - 2 * gap, (y0 + y1) / 2, "df", color="tab:green",
            ha="right", va="center")
    ax.text(x0 + dx + 2 * gap, y0 + prediction / 2, "f'(x0)·dx", color="tab:red",
            ha="left", va="center")

    # Show the whole curve, but do not let the tangent stretch the y axis.
    finite = ys[np.isfinite(ys)]
    y_values = np.concatenate([finite, [y0, y1, y0 + prediction]])
    y_lo, y_hi = y_values.min(), y_values.max()
    pad = 0.1 * (y_hi - y_lo) or 1.0
    ax.set_ylim(y_lo - pad, y_hi + pad)
    ax.set_xlim(lo, hi)

    ax.set_title(f"x0 = {x0:.3g}, dx = {dx:.3g}")
    ax.set_xlabel("x")
    ax.legend(fontsize="small", loc="best")
    return fig
