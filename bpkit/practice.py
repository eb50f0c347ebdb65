"""Pictures for assignment 07 (training in practice): activations, gradient flow, regularisation.

Everything here draws numbers it is given, or evaluates the student's own
functions on a grid. Nothing here initialises a network, takes a gradient,
drops a neuron or decides when to stop training: those are the exercises.

Every plotting function returns a matplotlib Figure detached from pyplot: it
shows once when it is the last expression of a notebook cell.

    from bpkit import practice
    practice.plot_activations({"tanh": (tanh, tanh_derivative)})
    practice.plot_layer_profiles({"ReLU": {"signal": [...], "gradient": [...]}})
"""

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["layer_norms", "plot_activations", "plot_layer_profiles", "plot_stopping",
           "plot_fits", "plot_runs"]


def _figure(n_axes, figsize):
    """A figure with n_axes side by side, detached from pyplot."""
    fig, axes = plt.subplots(1, n_axes, figsize=figsize, squeeze=False)
    plt.close(fig)  # returned to the caller; pyplot must not show it a second time
    return fig, list(axes[0])


def _curve(values, what):
    """A 1-d float array, or ValueError naming `what`."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{what} must be a non-empty sequence of numbers, got shape {array.shape}")
    return array


def layer_norms(grads, prefix="dW"):
    """The Euclidean (Frobenius) norms of grads['dW1'], grads['dW2'], ... in layer order."""
    layers = sorted(int(key[len(prefix):]) for key in grads
                    if key.startswith(prefix) and key[len(prefix):].isdigit())
    if not layers:
        raise ValueError(f"no keys of the form '{prefix}1', '{prefix}2', ... in {sorted(grads)}")
    return [float(np.linalg.norm(grads[f"{prefix}{l}"])) for l in layers]


# ---------------------------------------------------------------- activations

def plot_activations(pairs, z=None):
    """Activation functions (left) and their slopes (right) on one grid of z.

    pairs: {name: (f, f_prime)}, both called once on the whole grid.
    The legend of the right panel gives each slope's largest value on the grid.
    """
    if not pairs:
        raise ValueError("plot_activations needs at least one (function, derivative) pair")
    z = np.linspace(-5, 5, 401) if z is None else np.asarray(z, dtype=float)
    fig, (ax_f, ax_d) = _figure(2, (11, 4))
    for name, (f, f_prime) in pairs.items():
        values = np.broadcast_to(np.asarray(f(z.copy()), dtype=float), z.shape)
        slopes = np.broadcast_to(np.asarray(f_prime(z.copy()), dtype=float), z.shape)
        line, = ax_f.plot(z, values, label=name)
        ax_d.plot(z, slopes, color=line.get_color(), label=f"{name} (largest slope {slopes.max():.2g})")
    for ax, title in ((ax_f, "the activation a(z)"), (ax_d, "its slope a'(z)")):
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_xlabel("pre-activation z")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- gradient flow

def plot_layer_profiles(profiles, title=None):
    """How big the signal (left) and the weight gradients (right) are, layer by layer.

    profiles: {label: {"signal": [one number per hidden layer],
                       "gradient": [one number per weight layer]}}.
    Both panels have a logarithmic y axis; x is the layer number, 1 = next to the input.
    Zeros (an exactly vanished gradient) are drawn at the bottom of the panel.
    """
    if not profiles:
        raise ValueError("plot_layer_profiles needs at least one profile")
    fig, (ax_s, ax_g) = _figure(2, (12, 4.5))
    for label, profile in profiles.items():
        signal = _curve(profile["signal"], f"profiles[{label!r}]['signal']")
        gradient = _curve(profile["gradient"], f"profiles[{label!r}]['gradient']")
        line, = ax_s.plot(np.arange(1, signal.size + 1), np.where(signal > 0, signal, np.nan),
                          "o-", markersize=3, label=label)
        ax_g.plot(np.arange(1, gradient.size + 1), np.where(gradient > 0, gradient, np.nan),
                  "o-", markersize=3, color=line.get_color(), label=label)
    ax_s.set_ylabel("standard deviation of the layer's neurons")
    ax_s.set_title("forward: the signal")
    ax_g.set_ylabel("norm of dW for the layer")
    ax_g.set_title("backward: the weight gradients")
    for ax in (ax_s, ax_g):
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = next to the input)")
        ax.grid(True, which="major", alpha=0.3)
    ax_g.legend(fontsize="small", loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- regularisation

def plot_stopping(train, validation, best_epoch=None, stop_epoch=None, every=1, title=None):
    """Training and validation loss per epoch, with the best and the stopping epoch marked.

    train, validation: one loss per epoch (index 0 = before training).
    every: how many optimisation steps one epoch stands for (only for the x label).
    """
    train = _curve(train, "train")
    validation = _curve(validation, "validation")
    fig, (ax,) = _figure(1, (7, 4.2))
    ax.plot(np.arange(train.size), train, label="training loss")
    ax.plot(np.arange(validation.size), validation, label="validation loss")
    if best_epoch is not None:
        if not 0 <= best_epoch < validation.size:
            raise ValueError(f"best_epoch {best_epoch} is outside the {validation.size} recorded epochs")
        ax.axvline(best_epoch, color="green", linestyle="--", label=f"best epoch ({best_epoch})")
        ax.plot([best_epoch], [validation[best_epoch]], "o", color="green")
    if stop_epoch is not None:
        ax.axvline(stop_epoch, color="grey", linestyle=":", label=f"training stopped ({stop_epoch})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch" if every == 1 else f"epoch ({every} gradient steps each)")
    ax.set_ylabel("loss")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def plot_fits(x, y, curves, x_grid, truth=None, title=None):
    """A one-input regression: the training points, and each model's prediction on x_grid.

    curves: {label: predictions on x_grid}; truth: the noise-free function on x_grid.
    """
    x_grid = _curve(np.ravel(x_grid), "x_grid")
    fig, (ax,) = _figure(1, (7, 4.2))
    if truth is not None:
        ax.plot(x_grid, np.ravel(truth), color="grey", linestyle=":", label="the truth (no noise)")
    for label, prediction in curves.items():
        prediction = np.ravel(np.asarray(prediction, dtype=float))
        if prediction.size != x_grid.size:
            raise ValueError(f"curve {label!r} has {prediction.size} values for {x_grid.size} grid points")
        ax.plot(x_grid, prediction, label=label)
    ax.scatter(np.ravel(x), np.ravel(y), color="black", zorder=3, label="training points")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def plot_runs(runs, metrics, log=(), xlabel="iteration", title=None):
    """Several training runs side by side, one panel per metric.

    runs: {label: {metric: values}}; metrics: the metric names, in panel order.
    log: the metrics to draw on a logarithmic axis.
    """
    if not runs:
        raise ValueError("plot_runs needs at least one run")
    fig, axes = _figure(len(metrics), (5.5 * len(metrics), 4))
    for label, run in runs.items():
        for ax, metric in zip(axes, metrics):
            values = _curve(run[metric], f"runs[{label!r}][{metric!r}]")
            ax.plot(np.arange(values.size), values, label=label)
    for ax, metric in zip(axes, metrics):
        if metric in log:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(metric)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
