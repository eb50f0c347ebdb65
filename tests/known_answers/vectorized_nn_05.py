"""Known answers to 05_vectorized_nn: wrong ones that must lose points, right ones that must not."""
from known_answers import Answer

ASSIGNMENT = "05_vectorized_nn"

_ATTACH = {
    "initialize_parameters_answer": "\n\nNN.initialize_parameters = initialize_parameters\n",
    "forward_pass_answer": "\n\nNN.forward_pass = forward_pass\n",
    "backward_pass_answer": "\n\nNN.backward_pass = backward_pass\n",
    "train_answer": "\n\nNN.train = train\n",
}


def _method(key, grade_id, source, hint=""):
    """An answer to a method cell: the function, then the line that attaches it to NN."""
    return Answer(key, grade_id, source + _ATTACH[grade_id], hint=hint)


_SIGMOID = (
    "def sigmoid(z):\n"
    "    z = np.asarray(z, dtype=float)\n"
    "    e = np.exp(-np.abs(z))\n"
    "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n\n\n"
)

_INIT_HEAD = "def initialize_parameters(self, layers_dims, rng):\n"
_HE = "rng.normal(0, np.sqrt(2 / fan_in), (fan_in, layers_dims[l]))"


def _init(weights, biases="np.zeros((1, layers_dims[l]))", loop="for l in range(1, self.L + 1):", before=""):
    """An initialize_parameters method with the given loop header and expressions for W{l} and b{l}."""
    return (_INIT_HEAD + before + f"    {loop}\n"
            "        fan_in = layers_dims[l - 1]\n"
            f"        self.params[f'W{{l}}'] = {weights}\n"
            f"        self.params[f'b{{l}}'] = {biases}\n")

_FORWARD_HEAD = (
    "def forward_pass(self, X, training=False):\n"
    "    coef = {'x0': X}\n"
    "    A = X\n"
    "    for l in range(1, self.L + 1):\n"
)

_BACKWARD_HEAD = (
    "def backward_pass(self, X, Y, coef):\n"
    "    grads = {}\n"
    "    dA = self.loss_function['derivative'](coef[f'x{self.L}'], Y)\n"
    "    for l in range(self.L, 0, -1):\n"
)
_BACKWARD_TAIL = (
    "        dA = dZ @ self.params[f'W{l}'].T\n"
    "    return grads\n"
)


def _train(loop, update, record="        history.append(float(self.loss_function['loss'](coef[f'x{self.L}'], Y)))\n"):
    """A train method with the given loop header over the layers and update lines."""
    return ("def train(self, X, Y, n_it, learning_rate=0.01, verbose=True):\n"
            "    history = []\n"
            "    for i in range(n_it):\n"
            "        coef = self.forward_pass(X, training=True)\n"
            + record +
            "        grads = self.backward_pass(X, Y, coef)\n"
            f"        {loop}\n" + update +
            "    return history\n")


_UPDATE_BOTH = (
    "            self.params[f'W{l}'] -= learning_rate * grads[f'dW{l}']\n"
    "            self.params[f'b{l}'] -= learning_rate * grads[f'db{l}']\n"
)

WRONG = [
    # ---------------------------------------------------------------- activations
    Answer("a05_relu_derivative_is_relu", "relu_answer",
           "def relu(z):\n    return np.maximum(z, 0.0)\n\n\n"
           "def relu_derivative(z):\n    return np.maximum(z, 0.0)\n",
           hint="the ReLU itself instead of its slope"),
    Answer("a05_relu_in_place", "relu_answer",
           "def relu(z):\n    z[z < 0] = 0\n    return z\n\n\n"
           "def relu_derivative(z):\n    return (z > 0).astype(float)\n",
           hint="in place"),
    Answer("a05_relu_slope_one_at_zero", "relu_answer",
           "def relu(z):\n    return np.maximum(z, 0.0)\n\n\n"
           "def relu_derivative(z):\n    return (z >= 0).astype(float)\n",
           hint="a slope of 1 at z = 0"),
    Answer("a05_relu_min", "relu_answer",
           "def relu(z):\n    return np.minimum(z, 0.0)\n\n\n"
           "def relu_derivative(z):\n    return (z > 0).astype(float)\n",
           hint="min(0, z) instead of max(0, z)"),
    Answer("a05_identity_derivative_is_z", "identity_answer",
           "def identity(z):\n    return z\n\n\n"
           "def identity_derivative(z):\n    return z\n",
           hint="z itself instead of the slope 1"),
    Answer("a05_identity_derivative_a_number", "identity_answer",
           "def identity(z):\n    return z\n\n\n"
           "def identity_derivative(z):\n    return 1.0\n",
           hint="single number"),
    Answer("a05_sigmoid_derivative_seed_factor_2", "sigmoid_answer",
           _SIGMOID + "def sigmoid_derivative(z):\n    s = sigmoid(z)\n    return 2 * s * (1 - s)\n",
           hint="extra factor of 2"),
    Answer("a05_sigmoid_derivative_at_output", "sigmoid_answer",
           _SIGMOID + "def sigmoid_derivative(z):\n    s = sigmoid(sigmoid(z))\n    return s * (1 - s)\n",
           hint="instead of at z"),
    Answer("a05_sigmoid_overflows", "sigmoid_answer",
           "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n\n"
           "def sigmoid_derivative(z):\n    s = sigmoid(z)\n    return s * (1 - s)\n",
           hint="overflow"),
    Answer("a05_sigmoid_derivative_overflows", "sigmoid_answer",
           _SIGMOID + "def sigmoid_derivative(z):\n    return np.exp(-z) / (1 + np.exp(-z)) ** 2\n",
           hint="overflow"),
    # ---------------------------------------------------------------- losses
    Answer("a05_mse_mean_over_all_entries", "mse_answer",
           "def mse(y_hat, Y):\n    return np.mean((y_hat - Y) ** 2) / 2\n\n\n"
           "def mse_derivative(y_hat, Y):\n    return (y_hat - Y) / Y.shape[0]\n",
           hint="a mean over all 6 entries"),
    Answer("a05_mse_derivative_over_all_entries", "mse_answer",
           "def mse(y_hat, Y):\n    return np.sum((y_hat - Y) ** 2) / (2 * Y.shape[0])\n\n\n"
           "def mse_derivative(y_hat, Y):\n    return (y_hat - Y) / Y.size\n",
           hint="number of entries"),
    Answer("a05_mse_without_half", "mse_answer",
           "def mse(y_hat, Y):\n    return np.sum((y_hat - Y) ** 2) / Y.shape[0]\n\n\n"
           "def mse_derivative(y_hat, Y):\n    return (y_hat - Y) / Y.shape[0]\n",
           hint="without the factor 1/2"),
    Answer("a05_mse_one_per_output", "mse_answer",
           "def mse(y_hat, Y):\n    return np.sum((y_hat - Y) ** 2, axis=0) / (2 * Y.shape[0])\n\n\n"
           "def mse_derivative(y_hat, Y):\n    return (y_hat - Y) / Y.shape[0]\n",
           hint="single number"),
    Answer("a05_mse_derivative_sign", "mse_answer",
           "def mse(y_hat, Y):\n    return np.sum((y_hat - Y) ** 2) / (2 * Y.shape[0])\n\n\n"
           "def mse_derivative(y_hat, Y):\n    return (Y - y_hat) / Y.shape[0]\n",
           hint="a sign error"),
    Answer("a05_bce_unclipped", "binary_cross_entropy_answer",
           "def binary_cross_entropy(y_hat, Y):\n"
           "    return -np.sum(Y * np.log(y_hat) + (1 - Y) * np.log(1 - y_hat)) / Y.shape[0]\n\n\n"
           "def binary_cross_entropy_derivative(y_hat, Y):\n"
           "    return (y_hat - Y) / (y_hat * (1 - y_hat) * Y.shape[0])\n",
           hint="raised a warning"),
    Answer("a05_bce_derivative_not_divided_by_n", "binary_cross_entropy_answer",
           "def binary_cross_entropy(y_hat, Y):\n"
           "    p = np.clip(y_hat, 1e-12, 1 - 1e-12)\n"
           "    return -np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p)) / Y.shape[0]\n\n\n"
           "def binary_cross_entropy_derivative(y_hat, Y):\n"
           "    p = np.clip(y_hat, 1e-12, 1 - 1e-12)\n"
           "    return (p - Y) / (p * (1 - p))\n",
           hint="not divided by n"),
    Answer("a05_bce_sum_over_samples", "binary_cross_entropy_answer",
           "def binary_cross_entropy(y_hat, Y):\n"
           "    p = np.clip(y_hat, 1e-12, 1 - 1e-12)\n"
           "    return -np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p))\n\n\n"
           "def binary_cross_entropy_derivative(y_hat, Y):\n"
           "    p = np.clip(y_hat, 1e-12, 1 - 1e-12)\n"
           "    return (p - Y) / (p * (1 - p) * Y.shape[0])\n",
           hint="a sum over the samples instead of a mean"),
    Answer("a05_bce_mean_over_all_entries", "binary_cross_entropy_answer",
           "def binary_cross_entropy(y_hat, Y):\n"
           "    p = np.clip(y_hat, 1e-12, 1 - 1e-12)\n"
           "    return -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))\n\n\n"
           "def binary_cross_entropy_derivative(y_hat, Y):\n"
           "    p = np.clip(y_hat, 1e-12, 1 - 1e-12)\n"
           "    return (p - Y) / (p * (1 - p) * Y.shape[0])\n",
           hint="a mean over all 8 entries"),
    # ---------------------------------------------------------------- initialize_parameters
    _method("a05_init_ignores_rng", "initialize_parameters_answer",
            _init("np.random.randn(fan_in, layers_dims[l]) * np.sqrt(2 / fan_in)"),
            hint="not from np.random"),
    _method("a05_init_fixed_seed", "initialize_parameters_answer",
            _init("my_rng.normal(0, np.sqrt(2 / fan_in), (fan_in, layers_dims[l]))",
                  before="    my_rng = np.random.default_rng(0)\n"),
            hint="different seeds gave the same weights"),
    _method("a05_init_seed_scale_0_001", "initialize_parameters_answer",
            _init("rng.normal(scale=0.001, size=(fan_in, layers_dims[l]))"),
            hint="standard deviation"),
    _method("a05_init_random_biases", "initialize_parameters_answer",
            _init(_HE, biases="rng.normal(0, 0.1, (1, layers_dims[l]))"),
            hint="biases start at zero"),
    _method("a05_init_misses_output_layer", "initialize_parameters_answer",   # L read as the number of layers
            _init(_HE, loop="for l in range(1, self.L):"),
            hint="the output layer included"),
    _method("a05_init_transposed", "initialize_parameters_answer",
            _init("rng.normal(0, np.sqrt(2 / fan_in), (layers_dims[l], fan_in))"),
            hint="transposed"),
    _method("a05_init_raises", "initialize_parameters_answer",   # one layer too far: IndexError
            _init(_HE, loop="for l in range(1, len(layers_dims) + 1):"),
            hint="IndexError"),
    # ---------------------------------------------------------------- forward_pass
    _method("a05_forward_without_bias", "forward_pass_answer",
            _FORWARD_HEAD +
            "        Z = A @ self.params[f'W{l}']\n"
            "        A = self.activations[l]['activation'](Z)\n"
            "        coef[f'z{l}'], coef[f'x{l}'] = Z, A\n"
            "    return coef if training else A\n",
            hint="the biases left out"),
    _method("a05_forward_relu_on_output", "forward_pass_answer",
            _FORWARD_HEAD +
            "        Z = A @ self.params[f'W{l}'] + self.params[f'b{l}']\n"
            "        if l < self.L:\n"
            "            A = self.activations[l]['activation'](Z)\n"
            "        else:\n"
            "            A = np.fmax(0, Z)\n"
            "        coef[f'z{l}'], coef[f'x{l}'] = Z, A\n"
            "    return coef if training else A\n",
            hint="a ReLU applied to the (linear) output layer"),
    _method("a05_forward_overwrites_z", "forward_pass_answer",
            _FORWARD_HEAD +
            "        Z = A @ self.params[f'W{l}'] + self.params[f'b{l}']\n"
            "        coef[f'z{l}'] = Z\n"
            "        Z[:] = self.activations[l]['activation'](Z)   # saves memory, but loses z\n"
            "        A = Z\n"
            "        coef[f'x{l}'] = A\n"
            "    return coef if training else A\n",
            hint="changed in place"),
    _method("a05_forward_hidden_activation_everywhere", "forward_pass_answer",
            _FORWARD_HEAD +
            "        Z = A @ self.params[f'W{l}'] + self.params[f'b{l}']\n"
            "        A = self.activations[1]['activation'](Z)\n"
            "        coef[f'z{l}'], coef[f'x{l}'] = Z, A\n"
            "    return coef if training else A\n",
            hint="the first layer's activation used in every layer"),
    _method("a05_forward_other_cache_keys", "forward_pass_answer",
            "def forward_pass(self, X, training=False):\n"
            "    cache = {'A0': X}\n"
            "    for l in range(1, self.L + 1):\n"
            "        cache[f'Z{l}'] = cache[f'A{l - 1}'] @ self.params[f'W{l}'] + self.params[f'b{l}']\n"
            "        cache[f'A{l}'] = self.activations[l]['activation'](cache[f'Z{l}'])\n"
            "    return cache if training else cache[f'A{self.L}']\n",
            hint="name the entries x0, z1, x1"),
    _method("a05_forward_stops_one_layer_early", "forward_pass_answer",   # L read as the number of layers
            "def forward_pass(self, X, training=False):\n"
            "    coef = {'x0': X}\n"
            "    A = X\n"
            "    for l in range(1, self.L):\n"
            "        Z = A @ self.params[f'W{l}'] + self.params[f'b{l}']\n"
            "        A = self.activations[l]['activation'](Z)\n"
            "        coef[f'z{l}'], coef[f'x{l}'] = Z, A\n"
            "    return coef if training else A\n",
            hint="stops one layer early"),
    _method("a05_forward_returns_tuple", "forward_pass_answer",
            _FORWARD_HEAD +
            "        Z = A @ self.params[f'W{l}'] + self.params[f'b{l}']\n"
            "        A = self.activations[l]['activation'](Z)\n"
            "        coef[f'z{l}'], coef[f'x{l}'] = Z, A\n"
            "    return (A, coef) if training else A\n",
            hint="should return a dict"),
    # ---------------------------------------------------------------- backward_pass
    _method("a05_backward_dW_from_own_output", "backward_pass_answer",
            _BACKWARD_HEAD +
            "        dZ = dA * self.activations[l]['derivative'](coef[f'z{l}'])\n"
            "        grads[f'dZ{l}'] = dZ\n"
            "        grads[f'dW{l}'] = coef[f'x{l}'].T @ dZ\n"
            "        grads[f'db{l}'] = dZ.sum(axis=0, keepdims=True)\n" + _BACKWARD_TAIL,
            hint="previous layer's output"),
    _method("a05_backward_db_averaged", "backward_pass_answer",
            _BACKWARD_HEAD +
            "        dZ = dA * self.activations[l]['derivative'](coef[f'z{l}'])\n"
            "        grads[f'dZ{l}'] = dZ\n"
            "        grads[f'dW{l}'] = coef[f'x{l - 1}'].T @ dZ\n"
            "        grads[f'db{l}'] = np.mean(dZ, axis=0, keepdims=True)\n" + _BACKWARD_TAIL,
            hint="db averaged"),
    _method("a05_backward_slope_at_output", "backward_pass_answer",
            _BACKWARD_HEAD +
            "        dZ = dA * self.activations[l]['derivative'](coef[f'x{l}'])\n"
            "        grads[f'dZ{l}'] = dZ\n"
            "        grads[f'dW{l}'] = coef[f'x{l - 1}'].T @ dZ\n"
            "        grads[f'db{l}'] = dZ.sum(axis=0, keepdims=True)\n" + _BACKWARD_TAIL,
            hint="instead of its pre-activation z"),
    _method("a05_backward_in_place_on_coef", "backward_pass_answer",
            _BACKWARD_HEAD +
            "        dZ = coef[f'z{l}']                 # reuse the receptor array\n"
            "        dZ[...] = self.activations[l]['derivative'](dZ)\n"
            "        dZ *= dA\n"
            "        grads[f'dZ{l}'] = dZ\n"
            "        grads[f'dW{l}'] = coef[f'x{l - 1}'].T @ dZ\n"
            "        grads[f'db{l}'] = dZ.sum(axis=0, keepdims=True)\n" + _BACKWARD_TAIL,
            hint="in-place operation"),
    _method("a05_backward_no_activation_slope", "backward_pass_answer",
            _BACKWARD_HEAD +
            "        dZ = dA\n"
            "        grads[f'dZ{l}'] = dZ\n"
            "        grads[f'dW{l}'] = coef[f'x{l - 1}'].T @ dZ\n"
            "        grads[f'db{l}'] = dZ.sum(axis=0, keepdims=True)\n" + _BACKWARD_TAIL,
            hint="the activation's slope left out"),
    _method("a05_backward_db_without_keepdims", "backward_pass_answer",
            _BACKWARD_HEAD +
            "        dZ = dA * self.activations[l]['derivative'](coef[f'z{l}'])\n"
            "        grads[f'dZ{l}'] = dZ\n"
            "        grads[f'dW{l}'] = coef[f'x{l - 1}'].T @ dZ\n"
            "        grads[f'db{l}'] = dZ.sum(axis=0)\n" + _BACKWARD_TAIL,
            hint="missing the row axis"),
    _method("a05_backward_other_cache_keys", "backward_pass_answer",   # its own names, not exercise 7's
            "def backward_pass(self, X, Y, coef):\n"
            "    grads = {}\n"
            "    dA = self.loss_function['derivative'](coef[f'A{self.L}'], Y)\n"
            "    for l in range(self.L, 0, -1):\n"
            "        dZ = dA * self.activations[l]['derivative'](coef[f'Z{l}'])\n"
            "        grads[f'dZ{l}'] = dZ\n"
            "        grads[f'dW{l}'] = coef[f'A{l - 1}'].T @ dZ\n"
            "        grads[f'db{l}'] = dZ.sum(axis=0, keepdims=True)\n" + _BACKWARD_TAIL,
            hint="the names of exercise 7"),
    _method("a05_backward_starts_one_layer_early", "backward_pass_answer",   # L read as the number of layers
            "def backward_pass(self, X, Y, coef):\n"
            "    grads = {}\n"
            "    dA = self.loss_function['derivative'](coef[f'x{self.L - 1}'], Y)\n"
            "    for l in range(self.L - 1, 0, -1):\n"
            "        dZ = dA * self.activations[l]['derivative'](coef[f'z{l}'])\n"
            "        grads[f'dZ{l}'] = dZ\n"
            "        grads[f'dW{l}'] = coef[f'x{l - 1}'].T @ dZ\n"
            "        grads[f'db{l}'] = dZ.sum(axis=0, keepdims=True)\n" + _BACKWARD_TAIL,
            hint="starts at the output layer"),
    # ---------------------------------------------------------------- train
    _method("a05_train_skips_biases", "train_answer",
            _train("for l in range(1, self.L + 1):",
                   "            self.params[f'W{l}'] -= learning_rate * grads[f'dW{l}']\n"),
            hint="`b1` did not change"),
    _method("a05_train_uphill", "train_answer",
            _train("for l in range(1, self.L + 1):",
                   "            self.params[f'W{l}'] += learning_rate * grads[f'dW{l}']\n"
                   "            self.params[f'b{l}'] += learning_rate * grads[f'db{l}']\n"),
            hint="a step uphill"),
    _method("a05_train_misses_output_layer", "train_answer",   # L read as the number of layers
            _train("for l in range(1, self.L):", _UPDATE_BOTH),
            hint="`W1` did not change"),
    _method("a05_train_loss_after_update", "train_answer",
            "def train(self, X, Y, n_it, learning_rate=0.01, verbose=True):\n"
            "    history = []\n"
            "    for i in range(n_it):\n"
            "        coef = self.forward_pass(X, training=True)\n"
            "        grads = self.backward_pass(X, Y, coef)\n"
            "        for l in range(1, self.L + 1):\n"
            "            self.params[f'W{l}'] -= learning_rate * grads[f'dW{l}']\n"
            "            self.params[f'b{l}'] -= learning_rate * grads[f'db{l}']\n"
            "        history.append(float(self.loss_function['loss'](self.forward_pass(X), Y)))\n"
            "    return history\n",
            hint="after each update instead of before it"),
    _method("a05_train_forgets_return", "train_answer",
            _train("for l in range(1, self.L + 1):", _UPDATE_BOTH).replace("    return history\n", ""),
            hint="should return history"),
    _method("a05_train_other_cache_keys", "train_answer",
            _train("for l in range(1, self.L + 1):", _UPDATE_BOTH,
                   record="        history.append(float(self.loss_function['loss'](coef['y_hat'], Y)))\n"),
            hint="forward_pass(X, training=True) returns x0, z1, x1"),
]

RIGHT = [
    Answer("a05_relu_with_where", "relu_answer",
           "def relu(z):\n    return np.where(z > 0, z, 0.0)\n\n\n"
           "def relu_derivative(z):\n    return np.heaviside(z, 0.0)\n"),
    Answer("a05_relu_with_mask", "relu_answer",
           "def relu(z):\n    z = np.asarray(z, dtype=float)\n    return z * (z > 0)\n\n\n"
           "def relu_derivative(z):\n    return (np.asarray(z) > 0) * 1.0\n"),
    Answer("a05_relu_derivative_booleans", "relu_answer",
           "def relu(z):\n    return np.maximum(0, z)\n\n\n"
           "def relu_derivative(z):\n    return z > 0\n"),
    Answer("a05_identity_copies", "identity_answer",
           "def identity(z):\n    return np.array(z, dtype=float)\n\n\n"
           "def identity_derivative(z):\n    return np.ones(np.shape(z))\n"),
    Answer("a05_sigmoid_clipped", "sigmoid_answer",
           "def sigmoid(z):\n    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))\n\n\n"
           "def sigmoid_derivative(z):\n    e = np.exp(-np.abs(z))\n    return e / (1 + e) ** 2\n"),
    Answer("a05_mse_mean_of_row_sums", "mse_answer",
           "def mse(y_hat, Y):\n    return np.mean(np.sum((y_hat - Y) ** 2, axis=1)) / 2\n\n\n"
           "def mse_derivative(y_hat, Y):\n    return (y_hat - Y) / len(Y)\n"),
    Answer("a05_bce_other_form", "binary_cross_entropy_answer",
           "EPS = 1e-15\n\n\n"
           "def binary_cross_entropy(y_hat, Y):\n"
           "    p = np.clip(y_hat, EPS, 1 - EPS)\n"
           "    return -np.mean(np.sum(Y * np.log(p) + (1 - Y) * np.log1p(-p), axis=1))\n\n\n"
           "def binary_cross_entropy_derivative(y_hat, Y):\n"
           "    p = np.clip(y_hat, EPS, 1 - EPS)\n"
           "    return -(Y / p - (1 - Y) / (1 - p)) / len(Y)\n"),
    Answer("a05_bce_larger_epsilon", "binary_cross_entropy_answer",
           "def binary_cross_entropy(y_hat, Y):\n"
           "    p = np.clip(y_hat, 1e-7, 1 - 1e-7)\n"
           "    return float(-np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p)) / len(Y))\n\n\n"
           "def binary_cross_entropy_derivative(y_hat, Y):\n"
           "    p = np.clip(y_hat, 1e-7, 1 - 1e-7)\n"
           "    return (p - Y) / (p * (1 - p)) / len(Y)\n"),
    _method("a05_init_glorot_uniform", "initialize_parameters_answer",
            _INIT_HEAD +
            "    for l, (n_in, n_out) in enumerate(zip(layers_dims[:-1], layers_dims[1:]), start=1):\n"
            "        limit = np.sqrt(6 / (n_in + n_out))\n"
            "        self.params['W' + str(l)] = rng.uniform(-limit, limit, size=(n_in, n_out))\n"
            "        self.params['b' + str(l)] = np.zeros((1, n_out))\n"),
    _method("a05_init_new_dict_with_self_L", "initialize_parameters_answer",
            _INIT_HEAD +
            "    params = {}\n"
            "    for l in range(1, self.L + 1):\n"
            "        params[f'W{l}'] = rng.standard_normal((layers_dims[l - 1], layers_dims[l])) / np.sqrt(layers_dims[l - 1])\n"
            "        params[f'b{l}'] = np.zeros((1, layers_dims[l]))\n"
            "    self.params = params\n"
            "    return params\n"),
    _method("a05_forward_while_loop_extra_keys", "forward_pass_answer",
            "def forward_pass(self, X, training=False):\n"
            "    cache = {'x0': X}\n"
            "    l = 1\n"
            "    while l <= self.L:\n"
            "        cache['z%d' % l] = np.dot(cache['x%d' % (l - 1)], self.params['W%d' % l]) + self.params['b%d' % l]\n"
            "        cache['x%d' % l] = self.activations[l]['activation'](cache['z%d' % l])\n"
            "        l += 1\n"
            "    cache['y_hat'] = cache['x%d' % self.L]\n"
            "    if training:\n"
            "        return cache\n"
            "    return cache['y_hat']\n"),
    _method("a05_backward_lists_extra_keys", "backward_pass_answer",
            "def backward_pass(self, X, Y, coef):\n"
            "    L = self.L\n"
            "    dA = [None] * (L + 1)\n"
            "    grads = {}\n"
            "    dA[L] = self.loss_function['derivative'](coef['x' + str(L)], Y)\n"
            "    for l in reversed(range(1, L + 1)):\n"
            "        slope = self.activations[l]['derivative'](coef['z' + str(l)])\n"
            "        dZ = np.multiply(dA[l], slope)\n"
            "        grads['dZ' + str(l)] = dZ\n"
            "        grads['dW' + str(l)] = np.dot(coef['x' + str(l - 1)].T, dZ)\n"
            "        grads['db' + str(l)] = np.sum(dZ, axis=0).reshape(1, -1)\n"
            "        dA[l - 1] = np.dot(dZ, self.params['W' + str(l)].T)\n"
            "        grads['dA' + str(l - 1)] = dA[l - 1]\n"
            "    return grads\n"),
    _method("a05_backward_uses_X_for_the_first_layer", "backward_pass_answer",
            "def backward_pass(self, X, Y, coef):\n"
            "    grads = {}\n"
            "    delta = self.loss_function['derivative'](coef[f'x{self.L}'], Y)\n"
            "    for l in range(self.L, 0, -1):\n"
            "        delta = delta * self.activations[l]['derivative'](coef[f'z{l}'])\n"
            "        previous = X if l == 1 else coef[f'x{l - 1}']\n"
            "        grads[f'dZ{l}'], grads[f'dW{l}'] = delta, previous.T @ delta\n"
            "        grads[f'db{l}'] = delta.sum(axis=0, keepdims=True)\n"
            "        if l > 1:\n"
            "            delta = delta @ self.params[f'W{l}'].T\n"
            "    return grads\n"),
    _method("a05_train_rebinds_params", "train_answer",
            "def train(self, X, Y, n_it, learning_rate=0.01, verbose=True):\n"
            "    losses = []\n"
            "    for step in range(n_it):\n"
            "        coef = self.forward_pass(X, training=True)\n"
            "        losses.append(self.loss_function['loss'](self.forward_pass(X), Y))\n"
            "        grads = self.backward_pass(X, Y, coef)\n"
            "        self.params = {name: value - learning_rate * grads['d' + name]\n"
            "                       for name, value in self.params.items()}\n"
            "        if verbose and step % 100 == 0:\n"
            "            print('step', step, 'loss', losses[-1])\n"
            "    return losses\n"),
    _method("a05_train_numpy_history", "train_answer",
            "def train(self, X, Y, n_it, learning_rate=0.01, verbose=True):\n"
            "    history = np.zeros(n_it)\n"
            "    for i in range(n_it):\n"
            "        coef = self.forward_pass(X, True)\n"
            "        history[i] = self.loss_function['loss'](coef['x' + str(self.L)], Y)\n"
            "        grads = self.backward_pass(X, Y, coef)\n"
            "        for name in self.params:\n"
            "            self.params[name] = self.params[name] - learning_rate * grads['d' + name]\n"
            "        if verbose:\n"
            "            print(i, history[i])\n"
            "    return history\n"),
]
