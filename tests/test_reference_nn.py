"""The reference class shipped with 06 (course/source/06_applications/nn.py).

It must compute correct gradients (checked numerically for several
architectures, activations and losses), keep 05's contract, and agree with
the class built in 05's solution when that notebook exists.
"""
import ast
import contextlib
import importlib.util
import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autograder import notebooks  # noqa: E402
from autograder.paths import SOURCE_DIR  # noqa: E402
from bpkit.gradcheck import check_gradients, relative_error  # noqa: E402

NN_PATH = SOURCE_DIR / "06_applications" / "nn.py"
NOTEBOOK_05 = SOURCE_DIR / "05_vectorized_nn" / "05_vectorized_nn.ipynb"


def _load_reference():
    spec = importlib.util.spec_from_file_location("reference_nn_06", NN_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nn = _load_reference()

RELU = {"activation": nn.relu, "derivative": nn.relu_derivative}
SIGMOID = {"activation": nn.sigmoid, "derivative": nn.sigmoid_derivative}
IDENTITY = {"activation": nn.identity, "derivative": nn.identity_derivative}
MSE = {"loss": nn.mse, "derivative": nn.mse_derivative}
BCE = {"loss": nn.binary_cross_entropy, "derivative": nn.binary_cross_entropy_derivative}

# (layers_dims, hidden activation(s), output activation, loss, target kind)
ARCHITECTURES = [
    ([2, 3, 2, 1], RELU, IDENTITY, MSE, "real"),
    ([3, 5, 4], [SIGMOID], IDENTITY, MSE, "real"),          # several outputs: the 1/(2n) convention
    ([2, 4, 3, 1], RELU, SIGMOID, BCE, "binary"),           # the circles network
    ([4, 6, 3, 2], [SIGMOID, RELU], SIGMOID, BCE, "binary"),  # a list of hidden activations
    ([5, 2], RELU, SIGMOID, BCE, "binary"),                 # no hidden layer at all
]
IDS = ["2-3-2-1 relu mse", "3-5-4 sigmoid mse", "2-4-3-1 relu bce", "4-6-3-2 mixed bce", "5-2 logistic"]


def _case(dims, target, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, size=(7, dims[0]))
    if target == "binary":
        Y = (rng.random((7, dims[-1])) < 0.5).astype(float)
    else:
        Y = rng.normal(-0.3, 1, size=(7, dims[-1]))
    return X, Y


def _with_random_biases(model, seed):
    rng = np.random.default_rng(seed)
    for name in model.params:
        if name.startswith("b"):
            model.params[name] = rng.normal(0, 0.3, size=model.params[name].shape)
    return model


# ---------------------------------------------------------------- the contract

def test_activations_and_their_derivatives():
    z = np.array([[-2.0, 0.0, 3.0], [1e3, -1e3, 0.5]])
    np.testing.assert_array_equal(nn.relu(z), np.maximum(z, 0))
    np.testing.assert_array_equal(nn.relu_derivative(z), (z > 0).astype(float))
    np.testing.assert_array_equal(nn.identity(z), z)
    np.testing.assert_array_equal(nn.identity_derivative(z), np.ones_like(z))
    with np.errstate(all="raise", under="ignore"):
        s = nn.sigmoid(z)
        ds = nn.sigmoid_derivative(z)
    np.testing.assert_allclose(s[0], 1 / (1 + np.exp(-z[0])))
    np.testing.assert_allclose(ds, s * (1 - s))
    assert nn.sigmoid_derivative(0.0) == 0.25  # not the tutorial's 2 s (1 - s)


def test_losses_are_means_and_their_derivatives_match():
    rng = np.random.default_rng(0)
    y_hat = rng.normal(size=(6, 3))
    Y = rng.normal(size=(6, 3))
    assert nn.mse(y_hat, Y) == pytest.approx(np.sum((y_hat - Y) ** 2) / 12)
    np.testing.assert_allclose(nn.mse_derivative(y_hat, Y), (y_hat - Y) / 6)

    p = rng.uniform(0.05, 0.95, size=(8, 1))
    T = (rng.random((8, 1)) < 0.5).astype(float)
    expected = -np.mean(T * np.log(p) + (1 - T) * np.log(1 - p))
    assert nn.binary_cross_entropy(p, T) == pytest.approx(expected)
    # a mean, not the tutorial's sum: a 0.5 guess costs ln 2 whatever n is
    assert nn.binary_cross_entropy(np.full((1000, 1), 0.5), T[:1].repeat(1000, 0)) == pytest.approx(np.log(2))
    # the derivative is that of the mean
    numerical = np.zeros_like(p)
    for i in range(len(p)):
        up, down = p.copy(), p.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numerical[i] = (nn.binary_cross_entropy(up, T) - nn.binary_cross_entropy(down, T)) / 2e-6
    assert relative_error(nn.binary_cross_entropy_derivative(p, T), numerical) < 1e-7


def test_binary_cross_entropy_is_finite_for_certain_outputs():
    with np.errstate(all="raise", under="ignore"):
        loss = nn.binary_cross_entropy(np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]]))
        grad = nn.binary_cross_entropy_derivative(np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]]))
    assert np.isfinite(loss) and loss > 20
    assert np.all(np.isfinite(grad))


def test_shapes_and_initialisation():
    model = nn.NN([3, 5, 2], RELU, SIGMOID, BCE, seed=7)
    assert model.L == 2  # the index of the output layer
    assert model.activations[0] is None and model.activations[1] is RELU and model.activations[2] is SIGMOID
    assert sorted(model.params) == ["W1", "W2", "b1", "b2"]
    assert model.params["W1"].shape == (3, 5) and model.params["b1"].shape == (1, 5)
    assert model.params["W2"].shape == (5, 2) and model.params["b2"].shape == (1, 2)
    assert np.all(model.params["b1"] == 0) and np.all(model.params["b2"] == 0)
    # He initialisation with np.random.default_rng(seed): weights ~ N(0, 2 / n_in), layer by layer
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(model.params["W1"], rng.normal(0, np.sqrt(2 / 3), size=(3, 5)))
    np.testing.assert_array_equal(model.params["W2"], rng.normal(0, np.sqrt(2 / 5), size=(5, 2)))
    again = nn.NN([3, 5, 2], RELU, SIGMOID, BCE, seed=7)
    np.testing.assert_array_equal(again.params["W2"], model.params["W2"])
    big = nn.NN([400, 300], RELU, IDENTITY, MSE, seed=1)
    assert np.std(big.params["W1"]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_initialize_parameters_returns_and_sets_params():
    model = nn.NN([2, 3, 1], RELU, SIGMOID, BCE, seed=0)
    params = model.initialize_parameters([2, 3, 1], np.random.default_rng(5))
    assert params is model.params
    np.testing.assert_array_equal(params["W1"], np.random.default_rng(5).normal(0, 1, size=(2, 3)))


def test_given_params_are_copied_and_skip_the_initialisation():
    params = {"W1": np.ones((2, 3)), "b1": np.zeros((1, 3)), "W2": np.ones((3, 1)), "b2": np.zeros((1, 1))}
    model = nn.NN([2, 3, 1], RELU, SIGMOID, BCE, params=params)
    assert sorted(model.params) == sorted(params)
    model.params["W1"][0, 0] = 5.0
    assert params["W1"][0, 0] == 1.0
    X = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(model.forward_pass(X, training=True)["z2"], [[(5 + 2) + 3 + 3]])  # the changed W1


def test_forward_pass_output_and_cache():
    model = _with_random_biases(nn.NN([2, 3, 2, 1], RELU, IDENTITY, MSE, seed=3), 4)
    X = np.random.default_rng(2).normal(size=(5, 2))
    coef = model.forward_pass(X, training=True)
    assert list(coef) == ["x0", "z1", "x1", "z2", "x2", "z3", "x3"]
    np.testing.assert_array_equal(coef["x0"], X)
    x = X
    for l in (1, 2, 3):
        z = x @ model.params[f"W{l}"] + model.params[f"b{l}"]
        np.testing.assert_allclose(coef[f"z{l}"], z)
        x = np.maximum(z, 0) if l < 3 else z
        np.testing.assert_allclose(coef[f"x{l}"], x)
    np.testing.assert_allclose(model.forward_pass(X), x)
    assert model.forward_pass(X).shape == (5, 1)


@pytest.mark.parametrize("dims,hidden,output,loss,target", ARCHITECTURES, ids=IDS)
def test_backward_pass_matches_numerical_gradients(dims, hidden, output, loss, target):
    model = _with_random_biases(nn.NN(dims, hidden, output, loss, seed=11), 12)
    X, Y = _case(dims, target, 13)
    coef = model.forward_pass(X, training=True)
    grads = model.backward_pass(X, Y, coef)
    expected_keys = {f"{kind}{l}" for l in range(1, len(dims)) for kind in ("dZ", "dW", "db")}
    assert set(grads) == expected_keys
    for l in range(1, len(dims)):
        assert grads[f"dZ{l}"].shape == coef[f"z{l}"].shape
        np.testing.assert_allclose(grads[f"db{l}"], grads[f"dZ{l}"].sum(axis=0, keepdims=True))
    errors = check_gradients(lambda: loss["loss"](model.forward_pass(X), Y), model.params,
                             {name: grads["d" + name] for name in model.params}, verbose=False)
    assert max(errors.values()) < 1e-6, errors


def test_backward_pass_changes_nothing():
    model = _with_random_biases(nn.NN([3, 4, 2], RELU, IDENTITY, MSE, seed=1), 2)
    X, Y = _case([3, 4, 2], "real", 3)
    coef = model.forward_pass(X, training=True)
    params_before = {k: v.copy() for k, v in model.params.items()}
    coef_before = {k: v.copy() for k, v in coef.items()}
    model.backward_pass(X, Y, coef)
    for k in params_before:
        np.testing.assert_array_equal(model.params[k], params_before[k])
    assert list(coef) == list(coef_before)
    for k in coef_before:
        np.testing.assert_array_equal(coef[k], coef_before[k])


def test_gradient_is_a_mean_over_samples():
    """Duplicating every sample leaves the gradient of the mean loss unchanged."""
    model = _with_random_biases(nn.NN([2, 3, 1], RELU, SIGMOID, BCE, seed=5), 6)
    X, Y = _case([2, 3, 1], "binary", 7)
    once = model.backward_pass(X, Y, model.forward_pass(X, training=True))
    X2, Y2 = np.vstack([X, X]), np.vstack([Y, Y])
    twice = model.backward_pass(X2, Y2, model.forward_pass(X2, training=True))
    for name in ("dW1", "db1", "dW2", "db2"):
        np.testing.assert_allclose(twice[name], once[name], rtol=1e-12, atol=1e-15)


def test_train_is_full_batch_gradient_descent():
    model = _with_random_biases(nn.NN([2, 3, 1], RELU, SIGMOID, BCE, seed=8), 9)
    X, Y = _case([2, 3, 1], "binary", 10)
    copy = nn.NN([2, 3, 1], RELU, SIGMOID, BCE, seed=0)
    copy.params = {k: v.copy() for k, v in model.params.items()}
    history = model.train(X, Y, 5, learning_rate=0.3, verbose=False)
    assert len(history) == 5
    for it in range(5):
        coef = copy.forward_pass(X, training=True)
        assert history[it] == pytest.approx(nn.binary_cross_entropy(coef["x2"], Y))
        grads = copy.backward_pass(X, Y, coef)
        for name in copy.params:
            copy.params[name] = copy.params[name] - 0.3 * grads["d" + name]
    for name in copy.params:
        np.testing.assert_allclose(model.params[name], copy.params[name])


def test_train_learns_and_reports_when_verbose():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    Y = (X[:, :1] + X[:, 1:] > 0).astype(float)
    model = nn.NN([2, 4, 1], RELU, SIGMOID, BCE, seed=1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = model.train(X, Y, 200, learning_rate=0.5, verbose=True)
    assert history[-1] < 0.5 * history[0]
    assert "loss" in out.getvalue()
    with contextlib.redirect_stdout(io.StringIO()) as quiet:
        model.train(X, Y, 3, verbose=False)
    assert quiet.getvalue() == ""


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        nn.NN([3], RELU, SIGMOID, BCE)
    with pytest.raises(ValueError):
        nn.NN([3, 4, 4, 1], [RELU], SIGMOID, BCE)  # two hidden layers, one activation


# ---------------------------------------------------------------- agreement with 05's solution

def _execute_05_solution():
    """Run the code cells of 05's source notebook, except its test cells, in a fresh namespace."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    from IPython.display import display

    namespace = {"__name__": "solution_05", "display": display}
    nb = notebooks.read(NOTEBOOK_05)
    cwd = os.getcwd()
    os.chdir(NOTEBOOK_05.parent)
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or notebooks.is_test_cell(cell):
                continue
            source = transform(cell.source)
            source = "\n".join(line for line in source.splitlines()
                               if not line.lstrip().startswith("get_ipython()"))
            try:
                ast.parse(source)
                with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
                    exec(compile(source, f"05 cell {index}", "exec"), namespace)
            except Exception as exc:  # noqa: BLE001 (report which cell broke)
                pytest.fail(f"05's solution cell {index} raised {type(exc).__name__}: {exc}")
    finally:
        os.chdir(cwd)
        plt.close("all")
    return namespace


@pytest.fixture(scope="module")
def solution_05():
    if not NOTEBOOK_05.exists():
        pytest.skip(f"{NOTEBOOK_05.relative_to(SOURCE_DIR.parent.parent)} does not exist yet: "
                    "nothing to compare the reference class with")
    namespace = _execute_05_solution()
    if "NN" not in namespace:
        pytest.fail("05's solution defines no class NN")
    return namespace


def _their(namespace, name, ours):
    """05's version of an activation or loss if it defines one with that name, else ours."""
    return namespace.get(name, ours)


@pytest.mark.parametrize("dims,hidden,output,loss,target", ARCHITECTURES, ids=IDS)
def test_reference_agrees_with_05_solution(solution_05, dims, hidden, output, loss, target):
    ns = solution_05

    def translate(activation):
        name = activation["activation"].__name__
        return {"activation": _their(ns, name, activation["activation"]),
                "derivative": _their(ns, name + "_derivative", activation["derivative"])}

    def translate_loss(loss_dict):
        name = loss_dict["loss"].__name__
        return {"loss": _their(ns, name, loss_dict["loss"]),
                "derivative": _their(ns, name + "_derivative", loss_dict["derivative"])}

    their_hidden = translate(hidden) if isinstance(hidden, dict) else [translate(a) for a in hidden]
    theirs = ns["NN"](dims, their_hidden, translate(output), translate_loss(loss), seed=0)
    ours = _with_random_biases(nn.NN(dims, hidden, output, loss, seed=21), 22)
    theirs.params = {k: v.copy() for k, v in ours.params.items()}
    assert theirs.L == ours.L == len(dims) - 1

    X, Y = _case(dims, target, 23)
    np.testing.assert_allclose(theirs.forward_pass(X), ours.forward_pass(X), rtol=1e-10, atol=1e-12,
                               err_msg="forward_pass outputs differ")
    their_coef = theirs.forward_pass(X, training=True)
    our_coef = ours.forward_pass(X, training=True)
    for key in our_coef:
        np.testing.assert_allclose(their_coef[key], our_coef[key], rtol=1e-10, atol=1e-12,
                                   err_msg=f"forward_pass(training=True)['{key}'] differs")
    their_grads = theirs.backward_pass(X, Y, their_coef)
    our_grads = ours.backward_pass(X, Y, our_coef)
    for key in our_grads:
        np.testing.assert_allclose(their_grads[key], our_grads[key], rtol=1e-8, atol=1e-12,
                                   err_msg=f"backward_pass()['{key}'] differs")


def test_every_assignment_ships_the_same_reference_class():
    """06, 07 and 08 each carry nn.py beside their notebook (a student's folder is self-contained): one
    class, copied; an edit of one copy must go to all."""
    copies = sorted(SOURCE_DIR.glob("*/nn.py"))
    assert NN_PATH in copies and len(copies) >= 3
    different = [str(p.relative_to(SOURCE_DIR)) for p in copies if p.read_bytes() != NN_PATH.read_bytes()]
    assert not different, f"these copies differ from {NN_PATH.relative_to(SOURCE_DIR)}: {different}"
