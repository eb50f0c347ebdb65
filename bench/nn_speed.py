"""How fast is the course's network class? A race on scikit-learn's 8x8 digits.

The same network (64 inputs, 32 ReLU units, 10 softmax outputs, cross-entropy,
plain mini-batch SGD without momentum or regularisation, float64) is trained
three ways, one after the other in this process:

1. course   the NN class of assignment 05, taken from the solution in
            course/source/05_vectorized_nn/05_vectorized_nn.ipynb (one source
            of truth: the script executes the notebook's setup, answer and
            locked definition cells; test and demonstration cells are
            skipped), with a mini-batch loop written here;
2. sklearn  sklearn.neural_network.MLPClassifier set up as the same
            algorithm (solver="sgd", momentum=0, alpha=0, constant learning
            rate, same batch size and epochs, no early stopping);
3. loop     one sample at a time through the layers, gradients added up
            over the batch and averaged, in the style of the per-sample
            tutorials the course started from.

Softmax output: the 05 class applies `dZ = loss_derivative * activation_derivative`
entry by entry, and the softmax's Jacobian is not diagonal. The usual fused
form is used instead: the loss pair's "derivative" returns dJ/dZ = (P - Y)/n
(softmax and cross-entropy together) and the softmax pair's "derivative"
returns ones. A gradient check at start-up confirms that the pair gives the
exact gradient. The loop starts from the course network's initial weights and
sees the batches in the same order, so the two must end with the same
weights (the script prints the largest difference).

Timing: wall-clock time of the training loops only (for scikit-learn, fit()
divided by the number of epochs). Each seed runs course and sklearn back to
back; the table shows the median over the seeds. BLAS is limited to one
thread by default (--threads), for all three: on a small shared machine,
threads only add synchronisation cost to matrices this small.

    .venv/bin/python bench/nn_speed.py            # or: make bench
    .venv/bin/python bench/nn_speed.py --help
"""
import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # the notebook's setup cell imports matplotlib

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "course" / "source" / "05_vectorized_nn" / "05_vectorized_nn.ipynb"
HIDDEN = 32
TARGET_COURSE_OVER_SKLEARN = 1.0   # at most, and within 1 accuracy point
TARGET_LOOP_OVER_COURSE = 100.0    # at least


# ---------------------------------------------------------------- the course's class

def load_course_namespace(path=NOTEBOOK):
    """Execute the notebook's setup, answer and locked definition cells; return their namespace.

    Cells are chosen by their nbgrader metadata: code cells that have some and are
    not graded test cells. Demonstration cells (no metadata) and tests are skipped,
    and IPython magics such as %matplotlib are dropped.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    namespace = {"__name__": "course_05"}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader")
        if cell["cell_type"] != "code" or not meta or meta.get("grade"):
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))
        exec(compile(source, f"{Path(path).name}:{meta['grade_id']}", "exec"), namespace)
    return namespace


def softmax(Z):
    """Row-wise softmax, shifted by each row's maximum (no overflow), computed in one new array."""
    E = Z - Z.max(axis=1, keepdims=True)
    np.exp(E, out=E)
    E /= E.sum(axis=1, keepdims=True)
    return E


def cross_entropy(P, Y):
    """Mean over the rows of -sum_k y_k log p_k, for one-hot rows Y: -log(probability of the true class)."""
    p_true = np.einsum("ij,ij->i", P, Y)
    return float(-np.sum(np.log(np.maximum(p_true, 1e-12))) / Y.shape[0])


def cross_entropy_through_softmax(P, Y):
    """dJ/dZ of softmax followed by cross-entropy (not dJ/dP): (P - Y) / n."""
    return (P - Y) / Y.shape[0]


SOFTMAX_FUSED = {"activation": softmax, "derivative": np.ones_like}
CROSS_ENTROPY_FUSED = {"loss": cross_entropy, "derivative": cross_entropy_through_softmax}


def check_fused_softmax(ns, X, Y):
    """The fused pair must give the exact gradient: a numerical check on a few samples."""
    net = ns["NN"]([X.shape[1], 8, Y.shape[1]], ns["relu_activation"], SOFTMAX_FUSED,
                   CROSS_ENTROPY_FUSED, seed=0)
    net.params = {k: v + 0.05 for k, v in net.params.items()}  # non-zero biases
    grads = net.backward_pass(X, Y, net.forward_pass(X, training=True))
    errors = ns["check_gradients"](lambda: cross_entropy(net.forward_pass(X), Y), net.params,
                                   {k: grads["d" + k] for k in net.params}, verbose=False)
    worst = max(errors.values())
    if worst > 1e-6:
        sys.exit(f"the fused softmax/cross-entropy gradient is wrong (relative error {worst:.1e})")
    return worst


def train_course(NN, relu_pair, data, sizes, seed, epochs, batch_size, lr):
    """Mini-batch SGD with the course's class. Returns (seconds, accuracy, initial params, final params, losses)."""
    X, Y, X_test, y_test = data["X"], data["Y"], data["X_test"], data["y_test"]
    net = NN(sizes, relu_pair, SOFTMAX_FUSED, CROSS_ENTROPY_FUSED, seed=seed)
    initial = {k: v.copy() for k, v in net.params.items()}
    order = np.random.default_rng(seed)
    n, out = len(X), net.L
    losses = []
    start = time.perf_counter()
    for _ in range(epochs):
        permutation = order.permutation(n)
        total = 0.0
        for first in range(0, n, batch_size):
            batch = permutation[first:first + batch_size]
            xb, yb = X[batch], Y[batch]
            coef = net.forward_pass(xb, training=True)
            total += cross_entropy(coef[f"x{out}"], yb) * len(batch)  # as scikit-learn does
            grads = net.backward_pass(xb, yb, coef)
            for l in range(1, net.L + 1):
                net.params[f"W{l}"] -= lr * grads[f"dW{l}"]
                net.params[f"b{l}"] -= lr * grads[f"db{l}"]
        losses.append(total / n)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(net.forward_pass(X_test).argmax(axis=1) == y_test))
    return seconds, accuracy, initial, net.params, losses


def train_sklearn(data, seed, epochs, batch_size, lr):
    """The same algorithm with scikit-learn. Returns (seconds, accuracy, final loss)."""
    model = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="sgd", alpha=0.0,
                          batch_size=batch_size, learning_rate="constant", learning_rate_init=lr,
                          momentum=0.0, nesterovs_momentum=False, max_iter=epochs, shuffle=True,
                          tol=0.0, n_iter_no_change=epochs + 1, early_stopping=False, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is reached on purpose
        start = time.perf_counter()
        model.fit(data["X"], data["y"])
        seconds = time.perf_counter() - start
    if model.n_iter_ != epochs:
        sys.exit(f"MLPClassifier stopped after {model.n_iter_} of {epochs} epochs")
    return seconds, float(model.score(data["X_test"], data["y_test"])), model.loss_curve_[-1]


# ---------------------------------------------------------------- one sample at a time

def loop_sample_gradients(W, b, x, y):
    """Forward and backward pass of ONE sample x (1-D) with one-hot target y.

    W[l] has shape (n_l, n_{l-1}) and acts on column vectors, b[l] shape (n_l,).
    Returns the per-sample gradients (lists indexed by layer) and the sample's loss.
    """
    last = len(W) - 1
    zs, xs = [None], [x]
    for l in range(1, last + 1):
        z = W[l] @ xs[l - 1] + b[l]
        if l < last:
            a = np.maximum(z, 0.0)
        else:
            e = np.exp(z - z.max())
            a = e / e.sum()
        zs.append(z)
        xs.append(a)
    loss = -float(np.log(max(xs[last][int(np.argmax(y))], 1e-12)))
    gW, gb = [None] * (last + 1), [None] * (last + 1)
    delta = xs[last] - y                      # softmax with cross-entropy
    for l in range(last, 0, -1):
        gW[l] = np.outer(delta, xs[l - 1])
        gb[l] = delta
        if l > 1:
            delta = (W[l].T @ delta) * (zs[l - 1] > 0)
    return gW, gb, loss


def train_loop(initial, data, seed, epochs, batch_size, lr):
    """Mini-batch SGD, one sample at a time, from the course network's initial weights and batch order."""
    X, Y, X_test, y_test = data["X"], data["Y"], data["X_test"], data["y_test"]
    last = len(initial) // 2
    W = [None] + [initial[f"W{l}"].T.copy() for l in range(1, last + 1)]
    b = [None] + [initial[f"b{l}"].ravel().copy() for l in range(1, last + 1)]
    order = np.random.default_rng(seed)
    n = len(X)
    start = time.perf_counter()
    for _ in range(epochs):
        permutation = order.permutation(n)
        for first in range(0, n, batch_size):
            batch = permutation[first:first + batch_size]
            sum_W = [None] + [np.zeros_like(w) for w in W[1:]]
            sum_b = [None] + [np.zeros_like(v) for v in b[1:]]
            for i in batch:
                gW, gb, _ = loop_sample_gradients(W, b, X[i], Y[i])
                for l in range(1, last + 1):
                    sum_W[l] += gW[l]
                    sum_b[l] += gb[l]
            for l in range(1, last + 1):
                W[l] -= lr * sum_W[l] / len(batch)   # the batch's own size, also for the last one
                b[l] -= lr * sum_b[l] / len(batch)
    seconds = time.perf_counter() - start
    predictions = []
    for x in X_test:
        a = x
        for l in range(1, last + 1):
            a = W[l] @ a + b[l]
            if l < last:
                a = np.maximum(a, 0.0)
        predictions.append(int(np.argmax(a)))
    accuracy = float(np.mean(np.array(predictions) == y_test))
    final = {}
    for l in range(1, last + 1):
        final[f"W{l}"], final[f"b{l}"] = W[l].T, b[l].reshape(1, -1)
    return seconds, accuracy, final


# ---------------------------------------------------------------- the floor

def matrix_product_floor(sizes, n, batch_size, repeats=200):
    """Seconds per epoch spent in the matrix products alone that any vectorised class must make.

    Per batch: one product per layer forward, one for each dW, one for each dA except the
    first layer's. Nothing else (activations, loss, updates) is counted, so no mini-batch
    implementation of this network can be faster than this.
    """
    rng = np.random.default_rng(0)
    shapes = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes.append(((batch_size, fan_in), (fan_in, fan_out)))      # forward: A_prev @ W
        shapes.append(((fan_in, batch_size), (batch_size, fan_out)))  # dW = A_prev.T @ dZ
    for fan_in, fan_out in zip(sizes[1:-1], sizes[2:]):
        shapes.append(((batch_size, fan_out), (fan_out, fan_in)))     # dA = dZ @ W.T
    pairs = [(rng.standard_normal(a), rng.standard_normal(b)) for a, b in shapes]
    start = time.perf_counter()
    for _ in range(repeats):
        for a, b in pairs:
            a @ b
    per_batch = (time.perf_counter() - start) / repeats
    return per_batch * n / batch_size


# ---------------------------------------------------------------- main

def load_data(split_seed=0):
    digits = load_digits()
    X = digits.data / 16.0            # pixel intensities 0..16 -> [0, 1]
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=0.2, random_state=split_seed, stratify=digits.target)
    return {"X": X_train, "y": y_train, "Y": np.eye(10)[y_train], "X_test": X_test, "y_test": y_test}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=200, help="scikit-learn's default")
    parser.add_argument("--learning-rate", type=float, default=0.5)
    parser.add_argument("--seeds", type=int, default=3, help="course and sklearn runs (seeds 0, 1, ...)")
    parser.add_argument("--loop-epochs", type=int, default=None,
                        help="epochs for the per-sample loop (default: all of them)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for all three")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    loop_epochs = args.epochs if args.loop_epochs is None else min(args.loop_epochs, args.epochs)
    sizes = [64, HIDDEN, 10]
    data = load_data()
    ns = load_course_namespace()
    NN, relu_pair = ns["NN"], ns["relu_activation"]

    with threadpool_limits(limits=args.threads):
        worst = check_fused_softmax(ns, data["X"][:20], data["Y"][:20])
        print(f"digits 8x8: {len(data['X'])} training / {len(data['X_test'])} test samples, inputs scaled to [0, 1]")
        print(f"network {'-'.join(map(str, sizes))}: ReLU, softmax + cross-entropy; SGD, batch {args.batch_size}, "
              f"learning rate {args.learning_rate}, {args.epochs} epochs, float64, {args.threads} BLAS thread(s)")
        print(f"course class loaded from {NOTEBOOK.relative_to(REPO)}; "
              f"softmax/cross-entropy gradient check: relative error {worst:.1e}\n")

        course, sklearn = [], []
        for seed in range(args.seeds):
            course.append(train_course(NN, relu_pair, data, sizes, seed, args.epochs, args.batch_size,
                                       args.learning_rate))
            sklearn.append(train_sklearn(data, seed, args.epochs, args.batch_size, args.learning_rate))
            print(f"  seed {seed}: course {course[-1][0] / args.epochs * 1e3:6.2f} ms/epoch, "
                  f"accuracy {course[-1][1]:.4f}, final loss {course[-1][4][-1]:.4f} | sklearn "
                  f"{sklearn[-1][0] / args.epochs * 1e3:6.2f} ms/epoch, accuracy {sklearn[-1][1]:.4f}, "
                  f"final loss {sklearn[-1][2]:.4f}")

        # The loop repeats seed 0 of the course run: same start, same batches.
        seed0 = course[0]
        if loop_epochs < args.epochs:  # a shorter course run to compare with
            seed0 = train_course(NN, relu_pair, data, sizes, 0, loop_epochs, args.batch_size, args.learning_rate)
        loop_seconds, loop_accuracy, loop_final = train_loop(seed0[2], data, 0, loop_epochs,
                                                             args.batch_size, args.learning_rate)
        difference = max(float(np.max(np.abs(loop_final[k] - seed0[3][k]))) for k in loop_final)
        floor_epoch = matrix_product_floor(sizes, len(data["X"]), args.batch_size)

    course_epoch = statistics.median(r[0] / args.epochs for r in course)
    sklearn_epoch = statistics.median(r[0] / args.epochs for r in sklearn)
    loop_epoch = loop_seconds / loop_epochs
    course_accuracy = statistics.mean(r[1] for r in course)
    sklearn_accuracy = statistics.mean(r[1] for r in sklearn)

    print()
    print(f"{'implementation':<44}{'time / epoch':>14}{'test accuracy':>16}")
    print(f"{'course NN class (05 notebook), mini-batches':<44}{course_epoch * 1e3:>11.2f} ms"
          f"{course_accuracy * 100:>14.2f} %   mean of {args.seeds} seeds")
    print(f"{'scikit-learn MLPClassifier (sgd)':<44}{sklearn_epoch * 1e3:>11.2f} ms"
          f"{sklearn_accuracy * 100:>14.2f} %   mean of {args.seeds} seeds")
    print(f"{'per-sample loop (one sample at a time)':<44}{loop_epoch * 1e3:>11.2f} ms"
          f"{loop_accuracy * 100:>14.2f} %   seed 0, {loop_epochs} epochs")
    print()
    ratio_sklearn = course_epoch / sklearn_epoch
    ratio_loop = loop_epoch / course_epoch
    gap = abs(course_accuracy - sklearn_accuracy) * 100
    ok_sklearn = ratio_sklearn <= TARGET_COURSE_OVER_SKLEARN and gap <= 1.0
    ok_loop = ratio_loop >= TARGET_LOOP_OVER_COURSE
    print(f"course / sklearn time per epoch: {ratio_sklearn:.2f}x   accuracy gap {gap:.2f} points   "
          f"(target: at most {TARGET_COURSE_OVER_SKLEARN:.1f}x and 1 point: {'met' if ok_sklearn else 'NOT met'})")
    print(f"loop / course time per epoch:    {ratio_loop:.1f}x   "
          f"(target: at least {TARGET_LOOP_OVER_COURSE:.0f}x: {'met' if ok_loop else 'NOT met'})")
    print(f"matrix products alone (the floor for any vectorised class): {floor_epoch * 1e3:.2f} ms/epoch; "
          f"loop / floor {loop_epoch / floor_epoch:.0f}x, course / floor {course_epoch / floor_epoch:.1f}x")
    print(f"loop and course (seed 0, {loop_epochs} epochs) end {difference:.1e} apart "
          f"(largest difference of a weight): the same computation")


if __name__ == "__main__":
    main()
