"""Tests for bpkit.data: the fixed 2-3-2-1 worked example."""

import numpy as np
import pytest

from bpkit.data import worked_example_2321
from bpkit.gradcheck import BUG_ABOVE, CORRECT_BELOW, check_gradients, verdict

SHAPES = {
    "X": (10, 2), "Y": (10, 1),
    "W1": (2, 3), "b1": (1, 3),
    "W2": (3, 2), "b2": (1, 2),
    "W3": (2, 1), "b3": (1, 1),
}


def relu(z):
    return np.maximum(z, 0.0)


def forward(p):
    """Forward pass of the 2-3-2-1 network (rows are samples)."""
    Z1 = p["X"] @ p["W1"] + p["b1"]
    A1 = relu(Z1)
    Z2 = A1 @ p["W2"] + p["b2"]
    A2 = relu(Z2)
    Y_hat = A2 @ p["W3"] + p["b3"]
    return Z1, A1, Z2, A2, Y_hat


def cost(p):
    Y_hat = forward(p)[-1]
    return np.sum((Y_hat - p["Y"]) ** 2) / (2 * len(p["Y"]))


def test_keys_shapes_and_dtype():
    example = worked_example_2321()
    assert set(example) == set(SHAPES)
    for key, shape in SHAPES.items():
        assert example[key].shape == shape, key
        assert example[key].dtype == np.float64, key


def test_values():
    example = worked_example_2321()
    assert example["X"][0].tolist() == [6.1, 8.7]
    assert example["X"][-1].tolist() == [4.2, 4.6]
    assert example["Y"].ravel().tolist() == [113, 90, 58, 97, 42, 89, 84, 54, 44, 39]
    assert example["W1"].tolist() == [[-0.08, 0.02, 0.06], [0.02, 0.08, -0.09]]
    assert example["W3"].tolist() == [[-0.05], [0.07]]
    for bias in ("b1", "b2", "b3"):
        assert not example[bias].any()


def test_each_call_returns_fresh_arrays():
    first = worked_example_2321()
    first["W1"][0, 0] = 99.0
    first["Y"][:] = 0.0
    second = worked_example_2321()
    assert second["W1"][0, 0] == -0.08
    assert second["Y"][0, 0] == 113.0


def test_forward_pass_of_first_sample():
    Z1, A1, Z2, A2, Y_hat = forward(worked_example_2321())
    np.testing.assert_allclose(Z1[0], [-0.314, 0.818, -0.417], atol=1e-12)
    np.testing.assert_allclose(Z2[0], [-0.07362, 0.02454], atol=1e-12)
    assert Y_hat[0, 0] == pytest.approx(0.0017178, abs=1e-12)


def test_cost_over_all_samples():
    assert cost(worked_example_2321()) == pytest.approx(2837.7039283601166, rel=1e-12)


def test_backprop_on_the_example_passes_check_gradients():
    """Integration: hand-written backprop in this test vs bpkit's gradient check."""
    p = worked_example_2321()
    X, Y = p["X"], p["Y"]
    Z1, A1, Z2, A2, Y_hat = forward(p)
    dZ3 = (Y_hat - Y) / len(Y)
    dZ2 = (dZ3 @ p["W3"].T) * (Z2 > 0)
    dZ1 = (dZ2 @ p["W2"].T) * (Z1 > 0)
    grads = {
        "W3": A2.T @ dZ3, "b3": dZ3.sum(axis=0, keepdims=True),
        "W2": A1.T @ dZ2, "b2": dZ2.sum(axis=0, keepdims=True),
        "W1": X.T @ dZ1, "b1": dZ1.sum(axis=0, keepdims=True),
    }
    params = {name: p[name] for name in grads}
    errors = check_gradients(lambda: cost(p), params, grads, verbose=False)
    assert max(errors.values()) < CORRECT_BELOW
    assert {verdict(e) for e in errors.values()} == {"correct"}

    grads["b3"] = grads["b3"] * 2  # a deliberately wrong gradient
    assert check_gradients(lambda: cost(p), params, grads, verbose=False)["b3"] > BUG_ABOVE
