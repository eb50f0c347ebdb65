"""Tests for bpkit.checks: the feedback students see when a notebook test fails."""

import math
import warnings

import numpy as np
import pytest

from bpkit.checks import assert_callable, assert_close, assert_no_warnings


def failure_message(got, expected, **kwargs) -> str:
    """The AssertionError message of assert_close (the test fails if none is raised)."""
    with pytest.raises(AssertionError) as info:
        assert_close(got, expected, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------- passing cases

@pytest.mark.parametrize("got", [0.25, np.float64(0.25), np.float32(0.25), np.array(0.25)])
def test_scalar_kinds_all_pass_against_a_scalar(got):
    assert assert_close(got, 0.25) is None


def test_int_passes_against_float():
    assert_close(2, 2.0)
    assert_close(np.int64(3), 3.0)


def test_arrays_and_lists_pass():
    assert_close([[1.0, 2.0]], np.array([[1.0, 2.0]]))
    assert_close(np.arange(6.0).reshape(2, 3), np.arange(6).reshape(2, 3))


def test_tolerances():
    assert_close(1.0 + 1e-7, 1.0)  # within rtol=1e-6
    failure_message(1.0 + 1e-5, 1.0)
    assert_close(1e-10, 0.0)  # within atol=1e-9
    failure_message(1e-8, 0.0)
    assert_close(1.1, 1.0, rtol=0.2)


def test_matching_non_finite_values_pass():
    assert_close([np.inf, np.nan, 1.0], [np.inf, np.nan, 1.0])
    failure_message([-np.inf], [np.inf])


# ---------------------------------------------------------------- 1. None

def test_none_means_missing_return():
    message = failure_message(None, 1.0, name="sigmoid(0)")
    assert message == "`sigmoid(0)` is None: did the function forget to `return` its result?"


def test_none_inside_a_list():
    assert "None at index 1" in failure_message([1.0, None], [1.0, 2.0])


# ---------------------------------------------------------------- 2. type

@pytest.mark.parametrize("got, type_name", [
    ("0.25", "str"),
    ({"a": 1.0}, "dict"),
    ([[1.0, 2.0], [3.0]], "list"),
    (1 + 2j, "complex"),
])
def test_values_that_are_not_numbers_name_their_type(got, type_name):
    message = failure_message(got, 0.25, name="value")
    assert message.startswith("`value` is a")
    assert type_name in message


def test_a_function_instead_of_its_result():
    assert "forget to call it" in failure_message(math.sin, 0.5)


# ---------------------------------------------------------------- 3. shape

def test_shape_message():
    message = failure_message(np.ones(3), np.ones((3, 1)), name="dz")
    assert message.startswith("`dz` has shape (3,) but should have shape (3, 1)")
    assert "column axis" in message


def test_extra_column_axis():
    message = failure_message(np.ones((4, 1)), np.ones(4))
    assert "has shape (4, 1) but should have shape (4,)" in message
    assert "extra column axis" in message


@pytest.mark.parametrize("expected_shape", [(3,), (3, 1)])
def test_broadcasting_hint(expected_shape):
    column, row = np.ones((3, 1)), np.ones(3)
    message = failure_message(column - row, np.zeros(expected_shape))
    assert "has shape (3, 3)" in message
    assert "looks like broadcasting between a (3,) and a (3, 1) array" in message


def test_transposed_hint():
    assert "transposed" in failure_message(np.ones((2, 3)), np.ones((3, 2)))


def test_scalar_versus_array_shapes():
    assert "should have shape ()" in failure_message(np.array([0.25]), 0.25)
    assert "has shape () but should have shape (2,)" in failure_message(0.25, [0.25, 0.25])


# ---------------------------------------------------------------- 4. non-finite

def test_nan_is_reported_with_its_index():
    message = failure_message(np.array([[1.0, 2.0], [np.nan, 4.0]]), np.ones((2, 2)), name="A")
    assert message.startswith("`A` contains nan at index (1, 0)")


def test_inf_scalar():
    message = failure_message(np.inf, 1.0, name="loss")
    assert message.startswith("`loss` is inf")


# ---------------------------------------------------------------- 5. values

def test_scalar_value_message():
    message = failure_message(0.5, 0.25, name="sigmoid_derivative(0)")
    assert message == "`sigmoid_derivative(0)` is wrong: expected 0.25, got 0.5"


def test_close_values_are_shown_with_enough_digits():
    message = failure_message(1.0000101, 1.0)
    assert "expected 1, got 1.00001" in message


def test_array_value_message_lists_first_three_and_max_difference():
    expected = np.zeros((2, 3))
    got = expected.copy()
    got[0, 1], got[1, 0], got[1, 1], got[1, 2] = 0.5, -1.0, 2.0, 3.0
    message = failure_message(got, expected, name="W")
    assert message.startswith("`W` has 4 wrong entries out of 6:")
    assert "at index (0, 1): expected 0, got 0.5" in message
    assert "at index (1, 0): expected 0, got -1" in message
    assert "at index (1, 1): expected 0, got 2" in message
    assert "(1, 2)" not in message
    assert "... and 1 more" in message
    assert "max absolute difference: 3" in message


def test_one_dimensional_index_and_singular():
    message = failure_message([1.0, 2.5, 3.0], [1.0, 2.0, 3.0])
    assert "1 wrong entry out of 3" in message
    assert "at index 1: expected 2, got 2.5" in message


def test_monkeypatched_allclose_cannot_make_a_wrong_answer_pass(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    monkeypatch.setattr(np, "isclose", lambda *args, **kwargs: np.array(True))
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *args, **kwargs: None)
    failure_message(0.5, 0.25)
    failure_message(np.ones(3), np.zeros(3))
    assert_close(0.25, 0.25)


def test_inputs_are_not_modified():
    got, expected = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    failure_message(got, expected)
    assert got.tolist() == [1.0, 2.0] and expected.tolist() == [1.0, 3.0]


# ---------------------------------------------------------------- 6. known mistakes

MISTAKES = {
    "sigmoid(z) instead of sigmoid(z) * (1 - sigmoid(z))": 0.5,
    "forgot the chain rule factor 2x": [1.0, 2.0],
}


def test_known_mistake_is_named():
    message = failure_message(0.5, 0.25, mistakes=MISTAKES)
    assert message.endswith("This looks like: sigmoid(z) instead of sigmoid(z) * (1 - sigmoid(z))")


def test_unknown_wrong_answer_has_no_mistake_label():
    assert "This looks like" not in failure_message(0.7, 0.25, mistakes=MISTAKES)


def test_mistake_with_a_different_shape_still_matches():
    message = failure_message(np.ones((2, 2)), np.ones(2), mistakes={"broadcast": np.ones((2, 2))})
    assert "has shape (2, 2)" in message
    assert message.endswith("This looks like: broadcast")


def test_correct_answer_equal_to_a_mistake_value_passes():
    assert_close(0.5, 0.5, mistakes=MISTAKES)


# ---------------------------------------------------------------- assert_no_warnings

def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def stable_sigmoid(z):
    """Computes exp only of non-positive numbers; exp(-1000) underflows to 0."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def test_overflow_becomes_an_assertion_naming_the_input():
    with pytest.raises(AssertionError) as info:
        assert_no_warnings(naive_sigmoid, np.array([-1000.0, 1000.0]))
    message = str(info.value)
    assert message.startswith("naive_sigmoid(array([-1000., 1000.])) raised a warning:")
    assert "overflow encountered in exp" in message
    assert "must not overflow" in message


def test_underflow_is_allowed_and_the_result_returned():
    result = assert_no_warnings(stable_sigmoid, np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(result, [0.0, 0.5, 1.0])


def test_python_warnings_and_keyword_arguments():
    def noisy(x, scale=1.0):
        warnings.warn("deprecated thing", DeprecationWarning)
        return x * scale

    with pytest.raises(AssertionError, match=r"noisy\(2, scale=3\) raised a warning: deprecated thing"):
        assert_no_warnings(noisy, 2, scale=3)


def test_division_by_zero():
    with pytest.raises(AssertionError, match="divide by zero"):
        assert_no_warnings(lambda x: 1.0 / x, np.array([0.0]))


def test_other_exceptions_propagate_unchanged():
    def broken(x):
        raise KeyError("missing")

    with pytest.raises(KeyError):
        assert_no_warnings(broken, 1.0)


def test_numpy_error_state_is_restored():
    before = np.geterr()
    assert_no_warnings(lambda: None)
    assert np.geterr() == before


# ---------------------------------------------------------------- assert_callable

def test_assert_callable():
    assert_callable(np.exp, "exp")
    assert_callable(lambda: 0, "f")
    with pytest.raises(AssertionError, match="`sigmoid` should be a function"):
        assert_callable(None, "sigmoid")


class _Liar(np.ndarray):
    """An array whose comparisons and arithmetic all claim success."""
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return np.zeros(self.shape)

    def __abs__(self):
        return np.zeros(self.shape)

    def __lt__(self, other):
        return True

    __le__ = __lt__


def test_a_returned_object_with_forged_comparisons_gains_nothing():
    forged = np.array([9.0, 9.0]).view(_Liar)
    assert forged == np.array([1.0, 2.0]) and np.all(abs(forged - np.array([1.0, 2.0])) < 1e-9)
    with pytest.raises(AssertionError, match="2 wrong entries"):
        assert_close(forged, [1.0, 2.0])


class _AlwaysEqual(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class _AlwaysSmall(float):
    def __lt__(self, other):
        return True


def test_plain_turns_honest_values_into_builtins():
    from bpkit.checks import plain
    got = plain({"a": np.float64(2.5), "b": [np.int64(3), (True, "x")], "c": np.array([1, 2])})
    assert type(got["a"]) is float and got["b"] == [3.0, (True, "x")] and got["c"].dtype == np.float64
    assert type(got["c"]) is np.ndarray


@pytest.mark.parametrize("forged", [_AlwaysEqual("bug"), _AlwaysSmall(5.0), np.array([9.0]).view(_Liar),
                                    {"A": _AlwaysEqual("bug")}])
def test_plain_refuses_or_defuses_forged_values(forged):
    from bpkit.checks import plain
    try:
        got = plain(forged)
    except AssertionError as err:
        assert "return a plain" in str(err)
        return
    if isinstance(got, float):
        assert not got < 1.0
    else:
        assert type(got) is np.ndarray and not (got == np.array([1.0])).all()


# ---------------------------------------------------------------- partial credit and files

def test_checks_give_each_part_its_points_and_keep_going():
    from bpkit.checks import Checks
    checks = Checks()
    with checks.part("right", 2):
        assert_close(1.0, 1.0)
    with checks.part("wrong", 1):
        assert_close(2.0, 1.0, name="x")
    with checks.part("raises", 1):
        {}["missing"]
    assert checks.score == 2.0 and float(checks) == 2.0 and repr(checks) == "2"
    parts = checks.grading_parts()
    assert [p["score"] for p in parts] == [2.0, 0.0, 0.0]
    assert "`x` is wrong" in parts[1]["message"] and parts[2]["message"].startswith("KeyError")
    assert "2 of 4 points" in checks._repr_markdown_()


def test_checks_do_not_swallow_an_interrupt():
    from bpkit.checks import Checks
    checks = Checks()
    with pytest.raises(KeyboardInterrupt):
        with checks.part("stopped", 1):
            raise KeyboardInterrupt


def test_student_file_writes_locally_and_can_be_redirected():
    from bpkit import checks
    path = checks.student_file("data.bin", b"abc")
    assert open(path, "rb").read() == b"abc"
    seen = []
    checks.set_file_writer(lambda name, data: seen.append((name, data)) or "/elsewhere/" + name)
    try:
        assert checks.student_file("x.npz", b"1") == "/elsewhere/x.npz" and seen == [("x.npz", b"1")]
    finally:
        checks.set_file_writer(None)
    assert checks.student_file("y", b"2") != "/elsewhere/y"
