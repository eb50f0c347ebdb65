"""Tests for bpkit.training: plots of training on real data, the progress bar and the live view (Agg backend)."""

import asyncio
import contextlib
import io

import matplotlib

matplotlib.use("Agg")
import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from bpkit import training  # noqa: E402


pytestmark = pytest.mark.usefixtures("clean_figures")


@pytest.fixture
def live(in_kernel, monkeypatch):
    """Pretend to run in a Jupyter kernel; collect what would be displayed."""
    shown = []
    monkeypatch.setattr(training, "display", lambda obj: shown.append(obj))
    return shown


# A two-input "model" as a student's would be: probability of class 1 inside the unit circle.
def ring_proba(G):
    return 1 / (1 + np.exp(10 * (np.sum(G**2, axis=1, keepdims=True) - 1)))


def ring_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    y = (np.sum(X**2, axis=1) < 1).astype(int)
    return X, y


def texts_of(ax):
    return [t.get_text() for t in ax.texts]


# ---------------------------------------------------------------- decision boundary

def test_decision_boundary_draws_the_probabilities_the_points_and_the_0_5_line():
    X, y = ring_data()
    calls = []

    def proba(G):
        calls.append(G.copy())
        return ring_proba(G)

    fig = training.plot_decision_boundary(proba, X, y.reshape(-1, 1), title="ring", resolution=50)
    assert isinstance(fig, Figure)
    assert len(calls) == 1 and calls[0].shape == (2500, 2)  # one call with the whole grid
    grid = calls[0]
    assert grid[:, 0].min() < X[:, 0].min() and grid[:, 0].max() > X[:, 0].max()
    assert grid[:, 1].min() < X[:, 1].min() and grid[:, 1].max() > X[:, 1].max()
    ax, colorbar = fig.axes  # its own figure: with a colorbar
    assert ax.get_title() == "ring"
    assert "0.5" in colorbar.get_ylabel()
    # the scatter points: one collection per class, together all samples
    offsets = [c.get_offsets() for c in ax.collections if hasattr(c, "get_offsets") and len(c.get_offsets())]
    points = [o for o in offsets if len(o) in (int(np.sum(y == 0)), int(np.sum(y == 1)))]
    assert sum(len(o) for o in points) == len(X)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    # the black 0.5 line exists because the probabilities cross 0.5
    lines = [c for c in ax.collections if type(c).__name__ in ("QuadContourSet", "ContourSet")]
    assert any(list(getattr(c, "levels", [])) == [0.5] for c in lines)


def test_decision_boundary_on_given_axes_without_a_crossing():
    X, y = ring_data()
    fig, ax = plt.subplots()
    plt.close(fig)
    out = training.plot_decision_boundary(lambda G: np.full(len(G), 0.2), X, y, ax=ax)
    assert out is fig and len(fig.axes) == 1  # no colorbar on borrowed axes
    contours = [c for c in ax.collections if type(c).__name__ in ("QuadContourSet", "ContourSet")]
    assert all(list(getattr(c, "levels", [])) != [0.5] for c in contours)  # no boundary to draw


def test_decision_boundary_refuses_bad_inputs():
    X, y = ring_data()
    with pytest.raises(ValueError, match="two input features"):
        training.plot_decision_boundary(ring_proba, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="one probability per point"):
        training.plot_decision_boundary(lambda G: np.zeros((len(G), 2)), X, y)
    with pytest.raises(ValueError, match="labels"):
        training.plot_decision_boundary(ring_proba, X, y[:-1])


# ---------------------------------------------------------------- curves

def test_loss_curves_draw_every_history():
    fig = training.plot_loss_curves({"a": [3, 2, 1], "b": np.array([[4.0], [1.0]])}, log=True,
                                    xlabel="epoch", title="t")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [3, 2, 1])
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 1])
    assert ax.get_yscale() == "log" and ax.get_title() == "t" and ax.get_xlabel() == "epoch"
    single = training.plot_loss_curves([0.5, 0.25], ylabel="accuracy")
    assert single.axes[0].lines[0].get_label() == "accuracy"
    assert single.axes[0].get_yscale() == "linear"


# ---------------------------------------------------------------- weights

def test_weight_matrix_panels_share_one_colour_scale():
    A = np.array([[1.0, -2.0], [0.5, 0.0], [3.0, -1.0]])
    B = A * 0.1
    fig = training.plot_weight_matrix({"start": B, "end": A}, row_labels=["r1", "r2", "r3"],
                                      col_labels=["u1", "u2"], highlight_rows=[2], title="W")
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["start", "end"]
    for ax, W in zip(panels, (B, A)):
        np.testing.assert_array_equal(ax.images[0].get_array(), W)
        assert ax.images[0].norm.vmin == -3.0 and ax.images[0].norm.vmax == 3.0
        assert len(ax.texts) == W.size  # small matrices: every value written in its cell
        assert f"{W[2, 0]:.2f}" in texts_of(ax)
        frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
        assert len(frames) == 1 and frames[0].get_y() == pytest.approx(1.5)
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["r1", "r2", "r3"]
    assert all(t.get_text() == "" for t in panels[1].get_yticklabels())  # rows labelled once
    assert [t.get_text() for t in panels[1].get_xticklabels()] == ["u1", "u2"]
    assert fig._suptitle.get_text() == "W"
    assert len(fig.axes) == 3  # two panels and the colorbar


def test_weight_matrix_single_array_without_annotations():
    W = np.arange(20.0).reshape(20, 1) - 10
    fig = training.plot_weight_matrix(W)
    ax = fig.axes[0]
    assert len(ax.texts) == 0  # more than 12 rows: no numbers written
    assert [t.get_text() for t in ax.get_xticklabels()] == ["unit 1"]


def _tiles(image, h, w, n, n_cols, gap_x=1, gap_y=2):
    out = []
    for k in range(n):
        row, col = divmod(k, n_cols)
        top, left = gap_y + row * (h + gap_y), col * (w + gap_x)
        out.append(image[top:top + h, left:left + w])
    return out


def test_weight_images_show_each_unit_on_its_own_scale():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(12, 5))
    W[:, 3] = 0.0  # a unit whose weights never moved
    W[:, 1] *= 100
    fig = training.plot_weight_images(W, image_shape=(3, 4), n_cols=2, title="first layer")
    ax = fig.axes[0]
    canvas = np.ma.getdata(ax.images[0].get_array())
    tiles = _tiles(canvas, 3, 4, 5, 2)
    for k, tile in enumerate(tiles):
        column = W[:, k]
        scale = np.max(np.abs(column)) or 1.0
        np.testing.assert_allclose(tile, (column / scale).reshape(3, 4))
    assert ax.images[0].norm.vmin == -1 and ax.images[0].norm.vmax == 1
    assert texts_of(ax) == [f"unit {k}" for k in range(1, 6)]
    assert ax.get_title() == "first layer"
    assert np.isnan(canvas).sum() > 0  # the gaps between tiles are blank


def test_weight_images_refuse_a_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        training.plot_weight_images(np.zeros((10, 3)), image_shape=(3, 3))


def test_images_grid_with_titles():
    images = np.arange(4 * 6, dtype=float).reshape(4, 6)
    fig = training.plot_images(images, image_shape=(2, 3), titles=["a", "b", "c", "d"], n_cols=3)
    ax = fig.axes[0]
    canvas = np.ma.getdata(ax.images[0].get_array())
    for tile, image in zip(_tiles(canvas, 2, 3, 4, 3), images):
        np.testing.assert_array_equal(tile, image.reshape(2, 3))
    assert texts_of(ax) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="titles"):
        training.plot_images(images, image_shape=(2, 3), titles=["a"])
    with pytest.raises(ValueError, match="values"):
        training.plot_images(images, image_shape=(4, 4))


# ---------------------------------------------------------------- confusion matrix

def test_confusion_matrix_plot_writes_the_counts():
    C = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    fig = training.plot_confusion_matrix(C, class_names=["x", "y", "z"], title="cm")
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), C)
    assert sorted(texts_of(ax)) == sorted(["5", "1", "7", "2", "4"])  # zeros left blank
    by_text = {t.get_text(): t for t in ax.texts}
    assert by_text["1"].get_position() == (2, 0)  # row = true class, column = predicted
    assert by_text["2"].get_color() != by_text["4"].get_color()  # mistakes stand out
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert ax.get_title() == "cm"
    with pytest.raises(ValueError, match="square"):
        training.plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="class names"):
        training.plot_confusion_matrix(C, class_names=["a"])


# ---------------------------------------------------------------- progress bar

def test_progress_bar_static_prints_a_few_lines():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bar = training.ProgressBar(20, "epoch", lines=4)
        for k in range(1, 21):
            bar.update(k, loss=1.0 / k)
        bar.close()
    lines = out.getvalue().strip().splitlines()
    assert lines == bar.printed
    assert lines[0].startswith("epoch [") and "0/20" in lines[0]
    assert "20/20" in lines[-1] and "loss 0.05" in lines[-1]
    assert 4 <= len(lines) <= 7  # a few lines, not one per update
    assert bar.static


def test_progress_bar_static_total_of_one_and_close_without_updates():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bar = training.ProgressBar(1, "step")
        bar.close()
        bar.update(1)
    assert "0/1" in bar.printed[0] and "1/1" in bar.printed[-1]
    with pytest.raises(ValueError):
        training.ProgressBar(0)


def test_progress_bar_live_is_a_widget_that_follows_updates(live):
    bar = training.ProgressBar(10, "epoch")
    assert not bar.static
    assert live == [bar.widget]
    bar.update(4, loss=0.5, note="x")
    assert bar.bar.value == 4 and bar.bar.max == 10
    assert "4/10" in bar.label.value and "loss 0.5" in bar.label.value and "note x" in bar.label.value
    bar.close()
    assert bar.bar.bar_style == "success"


def test_progress_bar_is_static_under_nbgrader(live, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with contextlib.redirect_stdout(io.StringIO()):
        bar = training.ProgressBar(3)
    assert bar.static and live == []


# ---------------------------------------------------------------- live training view

class StudentTraining:
    """A fake training run: each step shrinks the loss, and the 'model' sharpens."""

    def __init__(self, fail_at=None):
        self.steps = 0
        self.fail_at = fail_at

    def step(self):
        if self.fail_at is not None and self.steps == self.fail_at:
            raise RuntimeError("boom")
        self.steps += 1
        return 1.0 / self.steps

    def proba(self, G):
        return ring_proba(G) if self.steps else np.full(len(G), 0.5)


def test_static_view_trains_and_draws_snapshots():
    X, y = ring_data()
    run = StudentTraining()
    fig = training.live_training_view(run.step, run.proba, X, y, max_steps=30)
    assert isinstance(fig, Figure)
    assert run.steps == 30
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:4] == ["after 0 steps", "after 3 steps", "after 10 steps", "after 30 steps"]
    loss_ax = fig.axes[-1]
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), [1.0 / k for k in range(1, 31)])
    assert "static" in fig._suptitle.get_text()


def test_static_view_under_nbgrader_even_in_a_kernel(live, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    X, y = ring_data()
    run = StudentTraining()
    assert isinstance(training.live_training_view(run.step, run.proba, X, y, max_steps=2), Figure)
    with pytest.raises(ValueError):
        training.live_training_view(run.step, run.proba, X, y, max_steps=0)


def test_live_view_is_a_widget_with_start_and_stop(live):
    X, y = ring_data()
    run = StudentTraining()
    view = training.live_training_view(run.step, run.proba, X, y, max_steps=25, steps_per_frame=10)
    assert isinstance(view, training.LiveTrainingView) and isinstance(view, ipywidgets.VBox)
    assert run.steps == 0  # nothing trains before Start
    assert view.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "0/25" in view.status.value
    assert not view.start_button.disabled and view.stop_button.disabled
    first_image = view.image.value

    view.run_frame()
    assert run.steps == 10 and view.losses == [1.0 / k for k in range(1, 11)]
    assert view.image.value != first_image and "10/25" in view.status.value
    view.run_frame()
    view.run_frame()  # only 5 steps are left
    assert run.steps == 25 and view.finished
    assert view.start_button.disabled and "finished" in view.status.value


def test_live_view_runs_in_the_background_until_stopped(live):
    X, y = ring_data()
    run = StudentTraining()
    view = training.live_training_view(run.step, run.proba, X, y, max_steps=10_000, steps_per_frame=2)

    async def session():
        view.start()
        assert view.running and view.start_button.disabled and not view.stop_button.disabled
        view.start()  # a second click changes nothing
        while len(view.losses) < 6:
            await asyncio.sleep(0.01)
        view.stop()
        await view.task
        return len(view.losses)

    stopped_at = asyncio.run(session())
    assert not view.running and "stopped" in view.status.value
    assert run.steps == stopped_at < 10_000
    assert not view.start_button.disabled and view.stop_button.disabled


def test_live_view_without_an_event_loop_uses_a_thread(live):
    X, y = ring_data()
    run = StudentTraining()
    view = training.live_training_view(run.step, run.proba, X, y, max_steps=6, steps_per_frame=3)
    view.start()
    view.task.join(timeout=20)
    assert view.finished and run.steps == 6 and not view.running


def test_live_view_reports_an_error_in_step(live):
    X, y = ring_data()
    run = StudentTraining(fail_at=4)
    view = training.live_training_view(run.step, run.proba, X, y, max_steps=100, steps_per_frame=3)

    async def session():
        view.start()
        await view.task

    asyncio.run(session())
    assert isinstance(view.error, RuntimeError)
    assert "boom" in view.status.value and not view.running
    assert len(view.losses) == 4  # the fifth call raised
