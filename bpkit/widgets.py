"""Interactive explorers for the notebooks, with static fallbacks.

While nbgrader executes a notebook (or outside Jupyter) nobody can move a
slider, so each explorer then draws a few fixed cases instead.
"""

import os

import ipywidgets
import matplotlib.pyplot as plt
from IPython.display import display

from .plots import _scalar, plot_tangent

__all__ = ["in_live_kernel", "nudge_explorer"]


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


def _live_nudge_explorer(f, f_prime, x0, dx_max):
    slider = ipywidgets.FloatSlider(
        value=dx_max / 4, min=-dx_max, max=dx_max, step=dx_max / 100,
        description="dx", continuous_update=False, readout_format=".3f",
    )
    readout = ipywidgets.HTML()
    plot_area = ipywidgets.Output()

    def update(change=None):
        dx = slider.value
        readout.value = _readout_html(_nudge_numbers(f, f_prime, x0, dx))
        plot_area.clear_output(wait=True)
        with plot_area:  # only captures inside a kernel; harmless elsewhere
            display(plot_tangent(f, f_prime, x0, dx))

    slider.observe(update, names="value")
    update()
    return ipywidgets.VBox([slider, readout, plot_area])


def _static_nudge_explorer(f, f_prime, x0, dx_max):
    steps = [dx_max / 20, dx_max / 4, dx_max]
    fig, axes = plt.subplots(1, len(steps), figsize=(5 * len(steps), 4))
    plt.close(fig)  # returned to the caller; pyplot must not show it twice

    print("{:>10} {:>12} {:>12} {:>10}".format("dx", "df", "f'(x0)dx", "gap"))
    for dx, ax in zip(steps, axes):
        n = _nudge_numbers(f, f_prime, x0, dx)
        print(f"{dx:>10.4g} {n['df']:>12.6g} {n['prediction']:>12.6g} {n['gap']:>10.3g}")
        plot_tangent(f, f_prime, x0, dx, ax=ax)
    fig.tight_layout()
    return fig


def nudge_explorer(f, f_prime, x0, dx_max=2.0, static=None):
    """Explore how well f'(x0)*dx predicts the change df = f(x0+dx) - f(x0).

    For small dx the two agree closely (the gap shrinks faster than dx);
    for large dx they drift apart.

    Live (in a Jupyter kernel): returns a VBox with a dx slider, a readout of
    df, f'(x0)*dx and their gap, and a plot that follows the slider.
    Static (static=True, or by default under nbgrader / outside a kernel):
    prints a small table and returns a Figure with three panels for
    dx = dx_max/20, dx_max/4 and dx_max.
    """
    if not dx_max > 0:
        raise ValueError(f"dx_max must be positive, got {dx_max}")
    x0, dx_max = float(x0), float(dx_max)
    if static is None:
        static = not in_live_kernel()
    if static:
        return _static_nudge_explorer(f, f_prime, x0, dx_max)
    return _live_nudge_explorer(f, f_prime, x0, dx_max)
