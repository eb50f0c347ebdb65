"""Numerical gradient checking.

Backpropagation gives *analytic* gradients. To trust them we compare them
with *numerical* gradients: nudge one entry of a parameter up and down by a
tiny step h, watch how the loss changes, and divide.

    loss(x + h) - loss(x - h)
    -------------------------   ~=   d loss / d x
              2 h

How to read the relative error between the two (the course's one set of
thresholds, in float64 with h = 1e-5; `verdict` applies them):

    below CORRECT_BELOW = 1e-7        "correct"     the two agree as well as central
                                                    differences can
    from 1e-7 to BUG_ABOVE = 1e-4     "suspicious"  look closer: a kink such as ReLU at 0
                                                    within h of a receptor can do this,
                                                    and so can a bug that touches few entries
    above 1e-4 (or nan)               "bug"         the analytic gradient is wrong
"""

import numpy as np

__all__ = ["relative_error", "numerical_gradient", "check_gradients", "verdict",
           "CORRECT_BELOW", "BUG_ABOVE", "VERDICTS"]

CORRECT_BELOW = 1e-7
BUG_ABOVE = 1e-4
VERDICTS = ("correct", "suspicious", "bug")


def relative_error(a, b) -> float:
    """Relative distance ||a - b|| / (||a|| + ||b||) between two arrays.

    The norms are Euclidean norms over all entries (the arrays are flattened),
    so `a` and `b` may be scalars or arrays with the same number of entries.
    The result is 0.0 when both are all zero, and at most 1.0 otherwise.
    """
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if a.size != b.size:
        raise ValueError(
            f"relative_error needs arrays with the same number of entries, "
            f"got {a.size} and {b.size}"
        )
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)


def _as_scalar(value) -> float:
    """Turn the output of a loss function into a Python float."""
    array = np.asarray(value, dtype=float)
    if array.size != 1:
        raise TypeError(
            f"the function must return a single number, "
            f"but it returned an array of shape {array.shape}"
        )
    return float(array.item())


def numerical_gradient(f, x, h=1e-5) -> np.ndarray:
    """Central-difference gradient of the scalar function `f` at `x`.

    Each entry of `x` is nudged IN PLACE to x+h and x-h, `f(x)` is evaluated
    for both, and the entry is restored (also when `f` raises). The result
    has the same shape as `x`.

    `x` must be a floating-point ndarray (float64 recommended): an integer
    array cannot hold x + 1e-5.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(
            f"numerical_gradient needs a float numpy array to nudge, got {kind}; "
            f"convert it with np.asarray(x, dtype=float)"
        )
    if not x.flags.writeable:
        raise TypeError("numerical_gradient needs a writeable array (it nudges x in place)")

    grad = np.zeros(x.shape, dtype=float)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + h
            loss_plus = _as_scalar(f(x))
            x[index] = original - h
            loss_minus = _as_scalar(f(x))
        finally:
            x[index] = original  # always restore the parameter
        grad[index] = (loss_plus - loss_minus) / (2 * h)
    return grad


def verdict(rel_err) -> str:
    """The verdict on a relative error: "correct", "suspicious" or "bug", by the thresholds above."""
    if rel_err < CORRECT_BELOW:
        return "correct"
    if rel_err <= BUG_ABOVE:
        return "suspicious"
    return "bug"  # also for nan


_ADVICE = {"suspicious": "  (look closer: kinks such as ReLU at 0 can do this)"}


def _validate_grads(params, grads):
    """Raise ValueError unless `grads` has exactly the keys and shapes of `params`."""
    for name, param in params.items():
        if name not in grads:
            raise ValueError(
                f"no gradient for parameter '{name}' (shape {np.shape(param)}); "
                f"grads has keys {sorted(grads)}"
            )
        if np.shape(grads[name]) != np.shape(param):
            raise ValueError(
                f"gradient '{name}' has shape {np.shape(grads[name])} but "
                f"parameter '{name}' has shape {np.shape(param)}"
            )
    extra = [name for name in grads if name not in params]
    if extra:
        raise ValueError(f"grads has keys that are not parameters: {extra}")


def check_gradients(loss, params, grads, h=1e-5, verbose=True) -> dict:
    """Compare analytic gradients with numerical ones, parameter by parameter.

    loss:    function with no arguments that computes the loss from the
             current values of the arrays in `params`.
    params:  dict name -> float ndarray. Entries are nudged in place (and
             restored) while the numerical gradient is computed.
    grads:   dict name -> analytic gradient with the same shape.

    Returns a dict name -> relative error. With `verbose`, prints one line
    per parameter with the relative error and a verdict.
    """
    _validate_grads(params, grads)
    errors = {}
    for name, param in params.items():
        numerical = numerical_gradient(lambda _: loss(), param, h)
        errors[name] = relative_error(grads[name], numerical)

    if verbose:
        width = max((len(str(name)) for name in errors), default=0)
        for name, err in errors.items():
            word = verdict(err)
            print(f"{name:<{width}}  relative error {err:.1e}  {word}{_ADVICE.get(word, '')}")
    return errors
