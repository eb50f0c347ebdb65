"""Pictures and live views for training networks on real data (assignment 06).

The network, its training loop and every metric are the student's: these
functions only draw numbers they are given, or call the student's own
functions (passed in as `predict_proba` or `step`). Nothing here takes a
gradient, makes a prediction or scores one.

Every plotting function returns a matplotlib Figure detached from pyplot: it
shows once when it is the last expression of a notebook cell. The live view
and the progress bar are ipywidgets in a Jupyter kernel, with static
fallbacks while nbgrader runs the notebook (or outside Jupyter).

    from bpkit import training
    training.plot_decision_boundary(lambda G: model.forward_pass(G), X, y)
    training.plot_weight_images(model.params["W1"], image_shape=(8, 8))
"""

import asyncio
import html
import io
import threading

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Rectangle

from .widgets import in_live_kernel

__all__ = [
    "plot_decision_boundary", "plot_loss_curves", "plot_weight_matrix", "plot_weight_images",
    "plot_images", "plot_confusion_matrix", "ProgressBar", "live_training_view",
]

CLASS_COLORS = ("#2166ac", "#b2182b")  # class 0 blue, class 1 red (the ends of RdBu_r)
BOUNDARY_CMAP = "RdBu_r"
WEIGHT_CMAP = "RdBu_r"  # negative weights blue, positive red, zero white


def _figure_and_axes(ax, figsize):
    """The figure of `ax`, or a new figure (detached from pyplot) with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    plt.close(fig)  # returned to the caller; pyplot must not show it a second time
    return fig, ax


def _labels(y, n) -> np.ndarray:
    """Integer class labels of shape (n,) from (n,) or (n, 1) labels."""
    y = np.asarray(y)
    if y.size != n:
        raise ValueError(f"expected {n} labels, got an array of shape {y.shape}")
    return np.rint(y.astype(float).ravel()).astype(int)


# ---------------------------------------------------------------- decision boundary

def _grid(X, resolution, padding):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"a decision boundary needs two input features: X of shape (n, 2), got {X.shape}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = padding * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return X, xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def _grid_probabilities(predict_proba, grid, shape):
    """predict_proba on the grid points, as a (rows, cols) array of probabilities of class 1."""
    with np.errstate(all="ignore"):
        p = np.asarray(predict_proba(grid), dtype=float)
    if p.size != len(grid):
        raise ValueError(
            f"predict_proba must return one probability per point (shape (m,) or (m, 1)); "
            f"for {len(grid)} points it returned shape {p.shape}"
        )
    return p.reshape(shape)


def _draw_boundary(ax, X, labels, xx, yy, probs, title, colorbar):
    filled = ax.contourf(xx, yy, probs, levels=np.linspace(0, 1, 11), cmap=BOUNDARY_CMAP,
                         vmin=0, vmax=1, alpha=0.55)
    finite = probs[np.isfinite(probs)]
    if finite.size and finite.min() < 0.5 < finite.max():
        ax.contour(xx, yy, probs, levels=[0.5], colors="black", linewidths=2)
    for label in np.unique(labels):
        mask = labels == label
        color = CLASS_COLORS[int(label) % 2] if label in (0, 1) else None
        ax.scatter(X[mask, 0], X[mask, 1], s=14, color=color, edgecolors="white",
                   linewidths=0.5, label=f"class {label}")
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small", framealpha=0.9)
    if colorbar:
        bar = ax.figure.colorbar(filled, ax=ax)
        bar.set_label("predicted probability of class 1 (black line: 0.5)")


def plot_decision_boundary(predict_proba, X, y, ax=None, title=None, resolution=150, padding=0.15):
    """Where a binary classifier with two inputs says "class 1".

    predict_proba: the student's function, called once with an (m, 2) array of
    grid points; it returns the probability of class 1 for each, shape (m,)
    or (m, 1) (e.g. ``lambda G: model.forward_pass(G)``).
    X (n, 2), y (n,) or (n, 1): the samples, drawn as dots coloured by class.

    The background shows the probability (blue 0, red 1) and the black line
    is the decision boundary, where it is 0.5. A colorbar is added when the
    function makes its own figure.
    """
    X, xx, yy, grid = _grid(X, resolution, padding)
    labels = _labels(y, len(X))
    probs = _grid_probabilities(predict_proba, grid, xx.shape)
    fig, ax_ = _figure_and_axes(ax, (6.4, 5.0))
    _draw_boundary(ax_, X, labels, xx, yy, probs, title, colorbar=ax is None)
    return fig


# ---------------------------------------------------------------- curves

def plot_loss_curves(curves, ax=None, log=False, xlabel="epoch", ylabel="loss", title=None):
    """Training curves: {label: values} (or one sequence), one line each, x = index of the value."""
    if not isinstance(curves, dict):
        curves = {ylabel: curves}
    fig, ax = _figure_and_axes(ax, (6.4, 4.2))
    for label, values in curves.items():
        values = np.asarray(values, dtype=float).ravel()
        marker = "o-" if len(values) <= 60 else "-"
        ax.plot(np.arange(len(values)), values, marker, markersize=3, label=str(label))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if curves:
        ax.legend(fontsize="small")
    return fig


# ---------------------------------------------------------------- weights

def plot_weight_matrix(weights, row_labels=None, col_labels=None, title=None, annotate=None,
                       highlight_rows=()):
    """Heat map(s) of weight matrices: blue negative, red positive, one shared colour scale.

    weights: an array of shape (rows, cols), or a dict {panel title: array}
    drawn side by side. row_labels / col_labels name the rows (inputs) and
    columns (units). annotate writes each value in its cell (default: when a
    matrix has at most 12 rows and 12 columns). highlight_rows: row indices
    framed in black.
    """
    panels = weights if isinstance(weights, dict) else {"": weights}
    panels = {name: np.atleast_2d(np.asarray(W, dtype=float)) for name, W in panels.items()}
    if not panels:
        raise ValueError("no weight matrix to draw")
    largest = max(float(np.max(np.abs(W))) for W in panels.values()) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-largest, vmax=largest)

    rows, cols = next(iter(panels.values())).shape
    fig, axes = plt.subplots(1, len(panels), squeeze=False, layout="constrained",
                             figsize=(2.4 + len(panels) * (0.3 + 0.7 * cols), 1.2 + 0.42 * rows))
    plt.close(fig)
    image = None
    for ax, (name, W) in zip(axes[0], panels.items()):
        image = ax.imshow(W, cmap=WEIGHT_CMAP, norm=norm, aspect="auto")
        show_values = annotate if annotate is not None else max(W.shape) <= 12
        if show_values:
            for (i, j), value in np.ndenumerate(W):
                dark = abs(value) > 0.6 * largest
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
        ax.set_yticks(range(W.shape[0]))
        if ax is axes[0][0]:  # the panels share their rows: label them once, on the left
            ax.set_yticklabels(row_labels if row_labels is not None else range(W.shape[0]))
        else:
            ax.set_yticklabels([])
        ax.set_xticks(range(W.shape[1]))
        ax.set_xticklabels(col_labels if col_labels is not None else [f"unit {j + 1}" for j in range(W.shape[1])],
                           rotation=0 if W.shape[1] <= 6 else 90)
        for row in highlight_rows:
            ax.add_patch(Rectangle((-0.5, row - 0.5), W.shape[1], 1, fill=False,
                                   edgecolor="black", linewidth=2.5))
        if name:
            ax.set_title(name)
    fig.colorbar(image, ax=list(axes[0]), label="weight", shrink=0.85)
    if title:
        fig.suptitle(title)
    return fig


def _mosaic(images, image_shape, n_cols, titles, cmap, vmin, vmax, title):
    """All images in one picture (one imshow, which is fast), in a grid with white gaps and titles."""
    h, w = image_shape
    n = len(images)
    n_cols = max(1, min(int(n_cols), n))
    n_rows = int(np.ceil(n / n_cols))
    gap_x, gap_y = 1, 2  # in pixels of the images; the vertical gap holds the titles
    canvas = np.full((n_rows * (h + gap_y) + gap_y - 1, n_cols * (w + gap_x) - gap_x), np.nan)
    fig, ax = plt.subplots(figsize=(1.2 * n_cols + 0.3, 1.45 * n_rows + (0.5 if title else 0.1)))
    plt.close(fig)
    for k, image in enumerate(images):
        row, col = divmod(k, n_cols)
        top, left = gap_y + row * (h + gap_y), col * (w + gap_x)
        canvas[top:top + h, left:left + w] = image.reshape(image_shape)
        if titles is not None:
            ax.text(left + (w - 1) / 2, top - 0.7, str(titles[k]), ha="center", va="bottom", fontsize=8)
    colormap = plt.get_cmap(cmap).with_extremes(bad="white")
    ax.imshow(canvas, cmap=colormap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout(pad=0.3)
    return fig


def plot_weight_images(W, image_shape, n_cols=8, title=None, max_images=None):
    """Each column of W (the weights into one unit) drawn as an image of the input.

    W has shape (n_features, n_units) with n_features = rows * cols of
    image_shape. Each image has its own symmetric colour scale (blue
    negative, red positive, white 0): it shows the pattern of pixels that
    excites (red) or inhibits (blue) that unit. An all-zero column stays white.
    """
    W = np.asarray(W, dtype=float)
    image_shape = tuple(int(s) for s in image_shape)
    if W.ndim != 2 or W.shape[0] != int(np.prod(image_shape)):
        raise ValueError(f"W must have shape ({int(np.prod(image_shape))}, n_units) for images of shape "
                         f"{image_shape}, got {W.shape}")
    n_units = W.shape[1] if max_images is None else min(W.shape[1], int(max_images))
    columns = W[:, :n_units].T
    scales = np.max(np.abs(columns), axis=1, keepdims=True)
    scaled = columns / np.where(scales > 0, scales, 1.0)  # each unit on its own scale, within [-1, 1]
    return _mosaic(scaled, image_shape, n_cols, [f"unit {k + 1}" for k in range(n_units)],
                   WEIGHT_CMAP, -1.0, 1.0, title)


def plot_images(images, image_shape, titles=None, n_cols=8, title=None):
    """A grid of grey images, one per row of `images` (shape (m, rows * cols)), dark = high values."""
    images = np.atleast_2d(np.asarray(images, dtype=float))
    image_shape = tuple(int(s) for s in image_shape)
    if images.shape[1] != int(np.prod(image_shape)):
        raise ValueError(f"each image needs {int(np.prod(image_shape))} values for shape {image_shape}, "
                         f"got rows of {images.shape[1]}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(images)} images but {len(titles)} titles")
    return _mosaic(images, image_shape, n_cols, titles, "gray_r", images.min(), images.max(), title)


# ---------------------------------------------------------------- confusion matrix

def plot_confusion_matrix(matrix, class_names=None, title=None, ax=None):
    """A confusion matrix of counts: row = true class, column = predicted class.

    The student computes the matrix; this draws it, writes every count in its
    cell and leaves cells with 0 blank, so the mistakes stand out.
    """
    C = np.asarray(matrix)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {C.shape}")
    k = C.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(k))]
    if len(names) != k:
        raise ValueError(f"{k} classes but {len(names)} class names")
    fig, ax = _figure_and_axes(ax, (0.55 * k + 2.6, 0.55 * k + 1.9))
    image = ax.imshow(C, cmap="Blues")
    largest = float(C.max()) if C.size else 0.0
    for (i, j), count in np.ndenumerate(C):
        if count == 0:
            continue
        if i == j:
            color = "white" if count > 0.5 * largest else "black"
        else:
            color = "#b2182b"
        ax.text(j, i, f"{count:g}", ha="center", va="center", fontsize=9, color=color,
                fontweight="normal" if i == j else "bold")
    ax.set_xticks(range(k))
    ax.set_xticklabels(names)
    ax.set_yticks(range(k))
    ax.set_yticklabels(names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or "Confusion matrix (off the diagonal: mistakes)")
    fig.colorbar(image, ax=ax, shrink=0.8, label="samples")
    return fig


# ---------------------------------------------------------------- progress

def _bar_text(done, total, width=30):
    filled = int(round(width * done / total)) if total else width
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def _info_text(info):
    parts = []
    for key, value in info.items():
        if isinstance(value, (float, np.floating)):
            parts.append(f"{key} {value:.4g}")
        else:
            parts.append(f"{key} {value}")
    return "  ".join(parts)


class ProgressBar:
    """Progress of a loop of `total` steps: a widget bar in Jupyter, printed lines elsewhere.

        bar = training.ProgressBar(epochs, "epoch")
        for epoch in range(epochs):
            ...
            bar.update(epoch + 1, loss=loss)
        bar.close()

    Live, the bar and its text follow every update. Static (static=True, or
    by default under nbgrader / outside a kernel), a text bar is printed at
    the start and about `lines` times along the way, and always at the end.
    """

    def __init__(self, total, description="step", static=None, lines=5):
        if int(total) < 1:
            raise ValueError(f"total must be at least 1, got {total}")
        self.total = int(total)
        self.description = str(description)
        self.static = (not in_live_kernel()) if static is None else bool(static)
        self.done = 0
        self.info = {}
        self.printed = []  # the static lines, also kept for tests
        self._next_print = 0
        self._every = max(1, self.total // max(1, int(lines)))
        if self.static:
            self._print_line()
            self._next_print = self._every
        else:
            self.bar = ipywidgets.IntProgress(value=0, min=0, max=self.total,
                                              description=self.description)
            self.label = ipywidgets.HTML(value=f"0/{self.total}")
            self.widget = ipywidgets.HBox([self.bar, self.label])
            display(self.widget)

    def _text(self):
        info = _info_text(self.info)
        return f"{self.description} " + _bar_text(self.done, self.total) + (f"  {info}" if info else "")

    def _print_line(self):
        line = self._text()
        self.printed.append(line)
        print(line, flush=True)

    def update(self, done, **info):
        """Record that `done` of the `total` steps are finished, with optional numbers to show."""
        self.done = max(0, min(int(done), self.total))
        self.info = dict(info)
        if self.static:
            if self.done >= self._next_print or self.done == self.total:
                if not (self.printed and self.printed[-1] == self._text()):
                    self._print_line()
                while self._next_print <= self.done:
                    self._next_print += self._every
        else:
            self.bar.value = self.done
            self.label.value = f"{self.done}/{self.total}  {_info_text(self.info)}"

    def close(self):
        """Mark the loop as finished (green bar, or a last printed line)."""
        if self.static:
            if not (self.printed and self.printed[-1] == self._text()):
                self._print_line()
        else:
            self.bar.bar_style = "success"


# ---------------------------------------------------------------- live training view

def _png(fig, dpi=80) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _boundary_snapshot(predict_proba, X, resolution=100, padding=0.15):
    X, xx, yy, grid = _grid(X, resolution, padding)
    return xx, yy, _grid_probabilities(predict_proba, grid, xx.shape)


def _view_figure(X, labels, snapshot, losses):
    """Decision boundary now (left) and the loss so far (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.3))
    plt.close(fig)
    xx, yy, probs = snapshot
    _draw_boundary(left, X, labels, xx, yy, probs, f"after {len(losses)} steps", colorbar=False)
    plot_loss_curves({"training loss": losses}, ax=right, xlabel="step",
                     title=f"loss {losses[-1]:.4f}" if losses else "loss (not started)")
    fig.tight_layout()
    return fig


def _schedule(coroutine):
    """Run a coroutine on the kernel's event loop, or on a thread when no loop is running."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        thread = threading.Thread(target=asyncio.run, args=(coroutine,), daemon=True)
        thread.start()
        return thread
    return loop.create_task(coroutine)


class LiveTrainingView(ipywidgets.VBox):
    """Start/Stop buttons, a decision-boundary picture and a loss curve that follow training.

    Each frame calls step() `steps_per_frame` times (each call is one
    training step of the student's and returns the loss) and redraws. The
    loop yields to the kernel between frames, so a click on Stop is handled.
    If step() raises, training stops and the status line shows the error.
    """

    def __init__(self, step, predict_proba, X, y, max_steps=1000, steps_per_frame=10):
        self.step, self.predict_proba = step, predict_proba
        self.X = np.asarray(X, dtype=float)
        self.labels = _labels(y, len(self.X))
        self.max_steps, self.steps_per_frame = int(max_steps), max(1, int(steps_per_frame))
        self.losses = []
        self.running = False
        self.frames = 0
        self.task = None
        self.error = None
        self.start_button = ipywidgets.Button(description="Start", icon="play", button_style="success")
        self.stop_button = ipywidgets.Button(description="Stop", icon="stop", button_style="warning",
                                             disabled=True)
        self.status = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png")
        self.start_button.on_click(self.start)
        self.stop_button.on_click(self.stop)
        super().__init__(children=[
            ipywidgets.HBox([self.start_button, self.stop_button, self.status]), self.image,
        ])
        self.redraw()

    @property
    def finished(self):
        return len(self.losses) >= self.max_steps

    def run_frame(self):
        """Take up to steps_per_frame training steps, then redraw."""
        for _ in range(min(self.steps_per_frame, self.max_steps - len(self.losses))):
            self.losses.append(float(self.step()))
        self.frames += 1
        self.redraw()

    def redraw(self):
        snapshot = _boundary_snapshot(self.predict_proba, self.X)
        self.image.value = _png(_view_figure(self.X, self.labels, snapshot, self.losses))
        state = "running" if self.running else ("finished" if self.finished else "stopped")
        loss = f", loss {self.losses[-1]:.4f}" if self.losses else ""
        self.status.value = f"&nbsp;{state}: {len(self.losses)}/{self.max_steps} steps{loss}"
        if self.error is not None:
            self.status.value += f" <b style='color:#b2182b'>error in step(): {html.escape(repr(self.error))}</b>"
        self._sync_buttons()

    def _sync_buttons(self):
        self.start_button.disabled = self.running or self.finished
        self.stop_button.disabled = not self.running

    async def _loop(self):
        try:
            while self.running and not self.finished:
                self.run_frame()
                await asyncio.sleep(0.05)  # lets the kernel handle a click on Stop
        except Exception as exc:  # shown in the status line; a background task has nowhere else to report
            self.error = exc
        finally:
            self.running = False
            self.redraw()

    def start(self, _button=None):
        """Start (or continue) training in the background."""
        if self.running or self.finished:
            return
        self.running = True
        self._sync_buttons()
        self.task = _schedule(self._loop())

    def stop(self, _button=None):
        """Stop after the current frame."""
        self.running = False
        self._sync_buttons()


def _snapshot_steps(max_steps):
    return sorted({0, max_steps // 10, max_steps // 3, max_steps})


def _static_view(step, predict_proba, X, y, max_steps):
    X = np.asarray(X, dtype=float)
    labels = _labels(y, len(X))
    wanted = _snapshot_steps(max_steps)
    snapshots, losses = {}, []
    for done in range(max_steps + 1):
        if done in wanted:
            snapshots[done] = _boundary_snapshot(predict_proba, X)
        if done < max_steps:
            losses.append(float(step()))
    fig = plt.figure(figsize=(3.3 * len(wanted), 6.6))
    plt.close(fig)
    grid = fig.add_gridspec(2, len(wanted), height_ratios=(1.25, 1))
    for column, done in enumerate(wanted):
        ax = fig.add_subplot(grid[0, column])
        xx, yy, probs = snapshots[done]
        _draw_boundary(ax, X, labels, xx, yy, probs, f"after {done} steps", colorbar=False)
        ax.set_xlabel("")
        ax.set_ylabel("")
    plot_loss_curves({"training loss": losses}, ax=fig.add_subplot(grid[1, :]), xlabel="step")
    fig.suptitle(f"Training, {max_steps} steps (a static view: the buttons need a live Jupyter kernel)")
    fig.tight_layout()
    return fig


def live_training_view(step, predict_proba, X, y, max_steps=1000, steps_per_frame=10, static=None):
    """Watch a binary classifier with two inputs learn: decision boundary and loss curve.

    step: the student's function taking one training step and returning the
    loss (e.g. one full-batch gradient-descent step of their model).
    predict_proba: the model's probability of class 1 for an (m, 2) array.
    X (n, 2), y (n,) or (n, 1): the data to draw.

    Live (in a Jupyter kernel): returns a widget with Start and Stop buttons;
    Start trains in the background, `steps_per_frame` steps per frame, until
    Stop or `max_steps`. Static (static=True, or by default under nbgrader /
    outside a kernel): takes `max_steps` steps at once and returns a Figure
    with the boundary at a few moments and the whole loss curve.
    """
    if int(max_steps) < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    if static is None:
        static = not in_live_kernel()
    if static:
        return _static_view(step, predict_proba, X, y, int(max_steps))
    return LiveTrainingView(step, predict_proba, X, y, max_steps, steps_per_frame)
