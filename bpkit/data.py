"""Fixed data and weights used in the course's worked examples."""

import numpy as np

__all__ = ["worked_example_2321"]


def worked_example_2321() -> dict:
    """Data and initial weights of the course's 2-3-2-1 network.

    The network has 2 inputs, a hidden layer of 3 ReLU units, a hidden layer
    of 2 ReLU units and 1 linear output unit. Conventions:

    * rows are samples: X has shape (n, 2), Y has shape (n, 1);
    * each layer computes Z = X_prev @ W + b, so W{l} has shape
      (n_{l-1}, n_l) and b{l} has shape (1, n_l).

    Returns a dict with keys "X", "Y", "W1", "b1", "W2", "b2", "W3", "b3".
    Every call returns fresh float64 arrays, so callers may change them.
    """
    X = [
        [6.1, 8.7], [3.9, 8.7], [4.9, 5.5], [8.0, 5.5], [6.3, 3.2],
        [7.5, 6.2], [5.0, 7.7], [4.8, 5.7], [3.8, 5.4], [4.2, 4.6],
    ]
    Y = [113, 90, 58, 97, 42, 89, 84, 54, 44, 39]
    W1 = [[-0.08, 0.02, 0.06],
          [0.02, 0.08, -0.09]]
    W2 = [[0.01, -0.01],
          [-0.09, 0.03],
          [0.07, 0.02]]
    W3 = [[-0.05],
          [0.07]]

    return {
        "X": np.array(X, dtype=float),
        "Y": np.array(Y, dtype=float).reshape(-1, 1),
        "W1": np.array(W1, dtype=float),
        "b1": np.zeros((1, 3)),
        "W2": np.array(W2, dtype=float),
        "b2": np.zeros((1, 2)),
        "W3": np.array(W3, dtype=float),
        "b3": np.zeros((1, 1)),
    }
