"""A reference fully connected network for notebook 06 (the class you built in 05).

This file ships with the assignment so that a bug left in your own 05 class
cannot cost points here. It follows the 05 contract exactly, so you may
replace it with your own class if you like (the graded tests always import
this one).

Conventions
-----------
* One sample per row: X has shape (n, n_0), the output has shape (n, n_L).
* ``layers_dims = [n_0, n_1, ..., n_L]`` lists the layer widths, inputs
  first; ``self.L = len(layers_dims) - 1`` is the index of the output layer,
  which is also the number of weight matrices (the 2-3-2-1 network has L = 3).
* ``W{l}`` has shape (n_{l-1}, n_l) and ``b{l}`` has shape (1, n_l), for
  l = 1, ..., L; the receptors are z_l = x_{l-1} @ W{l} + b{l} and the
  neurons x_l = a_l(z_l), with the activation ``self.activations[l]``.
* An activation is a dict {'activation': f, 'derivative': f_prime}; both act
  element-wise and the derivative takes the pre-activation z.
* A loss is a dict {'loss': J, 'derivative': dJ}, called as J(y_hat, Y) and
  dJ(y_hat, Y). The derivative is that of the *mean* loss over the n rows, so
  it already carries the factor 1/n and the gradients of the parameters are
  plain sums over the rows.
"""

import numpy as np

__all__ = [
    "relu", "relu_derivative", "identity", "identity_derivative",
    "sigmoid", "sigmoid_derivative",
    "mse", "mse_derivative", "binary_cross_entropy", "binary_cross_entropy_derivative",
    "NN",
]

# Probabilities are kept inside [EPS, 1 - EPS] before taking logarithms.
EPS = 1e-12


# ---------------------------------------------------------------- activations

def relu(z):
    """max(0, z), element-wise."""
    return np.maximum(z, 0.0)


def relu_derivative(z):
    """1 where z > 0, else 0 (the value at exactly 0 is taken as 0)."""
    return (np.asarray(z) > 0).astype(float)


def identity(z):
    """z itself (a linear output layer)."""
    return np.asarray(z, dtype=float)


def identity_derivative(z):
    """1 everywhere."""
    return np.ones_like(np.asarray(z, dtype=float))


def sigmoid(z):
    """1 / (1 + exp(-z)), element-wise, without overflow for large |z|."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # never larger than 1
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z):
    """sigma(z) * (1 - sigma(z)), at the pre-activation z."""
    s = sigmoid(z)
    return s * (1.0 - s)


# ---------------------------------------------------------------- losses

def _rows(y_hat):
    return np.shape(y_hat)[0]


def mse(y_hat, Y):
    """J = 1/(2n) * sum over the n samples and all outputs of (y_hat - Y)**2."""
    y_hat = np.asarray(y_hat, dtype=float)
    Y = np.reshape(np.asarray(Y, dtype=float), y_hat.shape)
    return float(np.sum((y_hat - Y) ** 2) / (2 * _rows(y_hat)))


def mse_derivative(y_hat, Y):
    """dJ/dy_hat of mse: (y_hat - Y) / n."""
    y_hat = np.asarray(y_hat, dtype=float)
    Y = np.reshape(np.asarray(Y, dtype=float), y_hat.shape)
    return (y_hat - Y) / _rows(y_hat)


def binary_cross_entropy(y_hat, Y):
    """J = -1/n * sum over samples and outputs of [Y log y_hat + (1 - Y) log(1 - y_hat)].

    y_hat is clipped into [EPS, 1 - EPS] first, so a confident mistake costs a
    large but finite amount instead of inf.
    """
    p = np.clip(np.asarray(y_hat, dtype=float), EPS, 1 - EPS)
    Y = np.reshape(np.asarray(Y, dtype=float), p.shape)
    return float(-np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p)) / _rows(p))


def binary_cross_entropy_derivative(y_hat, Y):
    """dJ/dy_hat of the mean binary cross-entropy: (-Y/y_hat + (1 - Y)/(1 - y_hat)) / n."""
    p = np.clip(np.asarray(y_hat, dtype=float), EPS, 1 - EPS)
    Y = np.reshape(np.asarray(Y, dtype=float), p.shape)
    return (-Y / p + (1 - Y) / (1 - p)) / _rows(p)


# ---------------------------------------------------------------- the network

class NN:
    """A fully connected network trained by backpropagation.

    NN(layers_dims, activation_hidden, activation_output, loss_function, seed=None, params=None)

    activation_hidden: one activation dict for every hidden layer, or a list
    with one dict per hidden layer (L - 1 of them).
    activation_output: the activation dict of the output layer L.
    loss_function: {'loss': J, 'derivative': dJ}.
    seed: for the random initial weights (np.random.default_rng(seed)).
    params: optional starting weights and biases {'W1': ..., 'b1': ..., ...},
    copied; without them initialize_parameters draws them.
    """

    def __init__(self, layers_dims, activation_hidden, activation_output, loss_function, seed=None,
                 params=None):
        self.layers_dims = [int(n) for n in layers_dims]
        if len(self.layers_dims) < 2 or min(self.layers_dims) < 1:
            raise ValueError(f"layers_dims needs at least two positive sizes, got {layers_dims}")
        self.L = len(self.layers_dims) - 1  # the output layer; layers 0 (inputs) to L
        n_hidden = self.L - 1
        if isinstance(activation_hidden, dict):
            hidden = [activation_hidden] * n_hidden
        else:
            hidden = list(activation_hidden)
            if len(hidden) != n_hidden:
                raise ValueError(f"{n_hidden} hidden layer(s) but {len(hidden)} hidden activations")
        # self.activations[l] belongs to layer l (l = 1, ..., L); the inputs have none.
        self.activations = [None] + hidden + [activation_output]
        self.activation_hidden = activation_hidden
        self.activation_output = activation_output
        self.loss_function = loss_function
        self.rng = np.random.default_rng(seed)
        if params is None:
            self.params = self.initialize_parameters(self.layers_dims, self.rng)
        else:
            self.params = {name: np.array(value, dtype=float) for name, value in params.items()}

    def initialize_parameters(self, layers_dims, rng):
        """He initialisation: W{l} ~ Normal(0, 2 / n_{l-1}), b{l} = 0. Sets and returns self.params."""
        params = {}
        for l in range(1, len(layers_dims)):
            n_in, n_out = layers_dims[l - 1], layers_dims[l]
            params[f"W{l}"] = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
            params[f"b{l}"] = np.zeros((1, n_out))
        self.params = params
        return params

    def forward_pass(self, X, training=False):
        """The output for X (n, n_0); with training=True the dict {'x0', 'z1', 'x1', ...} of all layers."""
        x = np.asarray(X, dtype=float)
        cache = {"x0": x}
        for l in range(1, self.L + 1):
            z = x @ self.params[f"W{l}"] + self.params[f"b{l}"]
            x = self.activations[l]["activation"](z)
            cache[f"z{l}"], cache[f"x{l}"] = z, x
        return cache if training else x

    def backward_pass(self, X, Y, coef):
        """Gradients of the mean loss: {'dZ{l}', 'dW{l}', 'db{l}'} for l = L, ..., 1.

        coef is the dict returned by forward_pass(X, training=True). Nothing
        is changed: neither the parameters nor coef.
        """
        y_hat = coef[f"x{self.L}"]
        Y = np.reshape(np.asarray(Y, dtype=float), y_hat.shape)
        grads = {}
        dX = self.loss_function["derivative"](y_hat, Y)  # dJ/dx_L, already / n
        for l in range(self.L, 0, -1):
            dZ = dX * self.activations[l]["derivative"](coef[f"z{l}"])
            grads[f"dZ{l}"] = dZ
            grads[f"dW{l}"] = coef[f"x{l - 1}"].T @ dZ
            grads[f"db{l}"] = np.sum(dZ, axis=0, keepdims=True)
            dX = dZ @ self.params[f"W{l}"].T
        return grads

    def train(self, X, Y, n_it, learning_rate=0.01, verbose=True):
        """n_it steps of full-batch gradient descent; returns the loss before each step."""
        history = []
        report_every = max(1, n_it // 10)
        for it in range(n_it):
            coef = self.forward_pass(X, training=True)
            loss = self.loss_function["loss"](coef[f"x{self.L}"], Y)
            history.append(loss)
            if verbose and (it % report_every == 0 or it == n_it - 1):
                print(f"iteration {it:>6}  loss {loss:.6f}")
            grads = self.backward_pass(X, Y, coef)
            for l in range(1, self.L + 1):
                self.params[f"W{l}"] = self.params[f"W{l}"] - learning_rate * grads[f"dW{l}"]
                self.params[f"b{l}"] = self.params[f"b{l}"] - learning_rate * grads[f"db{l}"]
        return history
