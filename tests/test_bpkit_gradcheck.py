"""Tests for bpkit.gradcheck and for the package as a whole."""

import subprocess
import sys

import numpy as np
import pytest

import bpkit
from bpkit.gradcheck import (BUG_ABOVE, CORRECT_BELOW, VERDICTS, check_gradients, numerical_gradient,
                             relative_error, verdict)


# ---------------------------------------------------------------- package

def test_import_is_light():
    code = (
        "import sys, bpkit\n"
        "heavy = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_submodules_are_reachable_as_attributes():
    assert bpkit.plots.plot_tangent is not None
    with pytest.raises(AttributeError):
        bpkit.no_such_module


@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_derivative", "central_difference"])
def test_bpkit_does_not_contain_exercise_answers(name):
    from bpkit import checks, data, gradcheck, graphs, plots, widgets

    for module in (bpkit, checks, data, gradcheck, graphs, plots, widgets):
        assert not hasattr(module, name), f"{module.__name__} defines {name}"


# ---------------------------------------------------------------- relative_error

def test_relative_error_known_values():
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2)
    assert relative_error(3.0, 1.0) == pytest.approx(2 / 4)
    assert relative_error(np.ones((2, 2)), np.ones((2, 2))) == 0.0


def test_relative_error_of_zeros_is_zero():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(0, 0.0) == 0.0
    assert isinstance(relative_error(0, 0), float)


def test_relative_error_flattens_but_needs_same_size():
    assert relative_error(np.arange(3.0), np.arange(3.0).reshape(3, 1)) == 0.0
    with pytest.raises(ValueError, match="same number of entries"):
        relative_error(np.ones(3), np.ones(4))


# ---------------------------------------------------------------- numerical_gradient

FUNCTIONS_AND_GRADIENTS = [
    (lambda x: np.sum(x**2), lambda x: 2 * x),
    (lambda x: np.sum(np.sin(x) * x), lambda x: np.cos(x) * x + np.sin(x)),
    (lambda x: x[0, 0] * x[1, 1] ** 3 + np.exp(x[0, 1]),
     lambda x: np.array([[x[1, 1] ** 3, np.exp(x[0, 1])],
                         [0.0, 3 * x[0, 0] * x[1, 1] ** 2]])),
]


@pytest.mark.parametrize("f, gradient", FUNCTIONS_AND_GRADIENTS)
def test_numerical_gradient_matches_analytic(f, gradient):
    x = np.random.default_rng(0).normal(size=(2, 2))
    numerical = numerical_gradient(f, x)
    assert numerical.shape == x.shape
    assert relative_error(numerical, gradient(x)) < 1e-7


def test_numerical_gradient_of_0d_array():
    x = np.array(1.5)
    assert numerical_gradient(lambda v: float(v) ** 3, x) == pytest.approx(3 * 1.5**2)


def test_numerical_gradient_nudges_in_place_and_restores():
    x = np.array([1.0, 2.0, 3.0])
    original = x.copy()
    seen = []
    numerical_gradient(lambda v: seen.append(v is x) or v.sum(), x)
    assert all(seen) and len(seen) == 6
    assert np.array_equal(x, original)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([0.1, 0.2, 0.3])
    original = x.copy()
    calls = []

    def fragile(v):
        calls.append(1)
        if len(calls) == 4:  # fails while entry 1 is nudged
            raise RuntimeError("boom")
        return v.sum()

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(fragile, x)
    assert np.array_equal(x, original)


@pytest.mark.parametrize("bad", [np.array([1, 2, 3]), [1.0, 2.0], 2.0])
def test_numerical_gradient_rejects_non_float_arrays(bad):
    with pytest.raises(TypeError, match="float numpy array"):
        numerical_gradient(lambda v: 0.0, bad)


def test_numerical_gradient_needs_scalar_output():
    with pytest.raises(TypeError, match="single number"):
        numerical_gradient(lambda v: v * 2, np.ones(3))


# ---------------------------------------------------------------- verdict

def test_the_course_wide_thresholds():
    assert (CORRECT_BELOW, BUG_ABOVE) == (1e-7, 1e-4)
    assert VERDICTS == ("correct", "suspicious", "bug")


@pytest.mark.parametrize("err, word", [
    (0.0, "correct"), (9.9e-8, "correct"), (1e-7, "suspicious"), (5e-6, "suspicious"),
    (1e-4, "suspicious"), (1.01e-4, "bug"), (1e-2, "bug"), (float("nan"), "bug"),
])
def test_verdict(err, word):
    assert verdict(err) == word


# ---------------------------------------------------------------- check_gradients

def _quadratic_problem():
    """loss = sum(A @ w) ** 2 / 2 + sum(b ** 3) with its analytic gradients."""
    A = np.array([[1.0, 2.0], [3.0, -1.0]])
    params = {"w": np.array([[0.5], [-0.2]]), "b": np.array([0.3, -0.7, 1.1])}

    def loss():
        return 0.5 * np.sum(A @ params["w"]) ** 2 + np.sum(params["b"] ** 3)

    s = np.sum(A @ params["w"])
    grads = {"w": s * A.sum(axis=0).reshape(2, 1), "b": 3 * params["b"] ** 2}
    return loss, params, grads


def test_check_gradients_accepts_correct_gradients(capsys):
    loss, params, grads = _quadratic_problem()
    before = {name: value.copy() for name, value in params.items()}
    errors = check_gradients(loss, params, grads)

    assert set(errors) == {"w", "b"}
    assert all(err < 1e-7 for err in errors.values())
    for name in params:
        assert np.array_equal(params[name], before[name])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("w") and lines[0].endswith("correct")
    assert "e-" in lines[0]  # relative error in %.1e form


def test_check_gradients_flags_a_wrong_gradient(capsys):
    loss, params, grads = _quadratic_problem()
    grads["b"] = 2 * params["b"] ** 2  # wrong power rule
    errors = check_gradients(loss, params, grads)

    assert errors["w"] < 1e-7
    assert errors["b"] > 1e-3
    out = capsys.readouterr().out
    b_line = next(line for line in out.splitlines() if line.startswith("b"))
    assert b_line.endswith("bug")


def test_check_gradients_points_to_kinks_when_suspicious(capsys):
    loss, params, grads = _quadratic_problem()
    grads["b"] = grads["b"] * (1 + 1e-5)
    check_gradients(loss, params, grads)
    b_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("b"))
    assert "suspicious" in b_line and "ReLU" in b_line


def test_check_gradients_quiet():
    loss, params, grads = _quadratic_problem()
    assert check_gradients(loss, params, grads, verbose=False)["w"] < 1e-7


def test_check_gradients_missing_key():
    loss, params, grads = _quadratic_problem()
    del grads["b"]
    with pytest.raises(ValueError, match="'b'"):
        check_gradients(loss, params, grads, verbose=False)


def test_check_gradients_shape_mismatch_names_key_and_shapes():
    loss, params, grads = _quadratic_problem()
    grads["w"] = grads["w"].ravel()
    with pytest.raises(ValueError) as info:
        check_gradients(loss, params, grads, verbose=False)
    message = str(info.value)
    assert "'w'" in message and "(2,)" in message and "(2, 1)" in message
