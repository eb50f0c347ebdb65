"""bpkit: helpers for the backpropagation course.

Everything here is code students do *not* write: gradient checks, test
feedback, data, plots, diagrams and widgets. It never computes an exercise's
answer; it only checks or draws values it is given.

The light modules (numpy only) are imported right away. The plotting and
widget modules import matplotlib / ipywidgets, so they load on demand:

    from bpkit import plots, graphs, widgets
"""

import importlib

from . import checks, data, gradcheck
from .checks import assert_callable, assert_close, assert_no_warnings
from .data import worked_example_2321
from .gradcheck import check_gradients, numerical_gradient, relative_error, verdict

__version__ = "0.1.0"

_LAZY_MODULES = ("plots", "graphs", "widgets", "descent", "network", "training", "practice", "autodiff_plots")

# The lazy modules are left out so that `from bpkit import *` stays light.
__all__ = [
    "checks", "data", "gradcheck",
    "assert_callable", "assert_close", "assert_no_warnings",
    "worked_example_2321",
    "check_gradients", "numerical_gradient", "relative_error", "verdict",
]


def __getattr__(name):
    """Import the heavy modules on first use, e.g. `bpkit.plots`."""
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'bpkit' has no attribute '{name}'")
