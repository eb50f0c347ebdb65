"""Known answers to 03_forward_pass: wrong ones that must lose points, right ones that must not."""
from known_answers import Answer

ASSIGNMENT = "03_forward_pass"


def _sample_forward(z3_line, x3_line="    x3 = z3\n", bias="b1[0, j]", activation="activation"):
    """A neuron-by-neuron sample_forward with one line swapped for a mistake."""
    return (
        "def sample_forward(x, W1, b1, W2, b2, W3, b3, receptor, activation):\n"
        f"    z1 = np.array([x @ W1[:, j] + {bias} for j in range(W1.shape[1])])\n"
        f"    x1 = {activation}(z1)\n"
        "    z2 = np.array([receptor(x1, W2, b2, j) for j in range(W2.shape[1])])\n"
        f"    x2 = {activation}(z2)\n"
        f"{z3_line}"
        f"{x3_line}"
        "    return {'z1': z1, 'x1': x1, 'z2': z2, 'x2': x2, 'z3': z3, 'x3': x3}\n"
    )


_Z3_RIGHT = "    z3 = np.array([receptor(x2, W3, b3, j) for j in range(W3.shape[1])])\n"


def _forward(z1="X @ W1 + b1", x1="activation(Z1)", z2="X1 @ W2 + b2", x2="activation(Z2)",
             z3="X2 @ W3 + b3", x3="Z3"):
    """A matrix-form forward_2321 with any line replaced."""
    return (
        "def forward_2321(X, W1, b1, W2, b2, W3, b3, activation):\n"
        f"    Z1 = {z1}\n    X1 = {x1}\n    Z2 = {z2}\n    X2 = {x2}\n"
        f"    Z3 = {z3}\n    X3 = {x3}\n"
        "    return {'Z1': Z1, 'X1': X1, 'Z2': Z2, 'X2': X2, 'Z3': Z3, 'X3': X3}\n"
    )


WRONG = [
    # weight
    Answer("a03_weight_zero_based", "weight_answer",
           "def weight(Ws, l, i, j):\n    return Ws[l][i, j]\n", hint="l, i and j used as 0-based"),
    Answer("a03_weight_indices_zero_based", "weight_answer",
           "def weight(Ws, l, i, j):\n    return Ws[l - 1][i, j]\n", hint="0-based indices"),
    Answer("a03_weight_transposed", "weight_answer",
           "def weight(Ws, l, i, j):\n    return Ws[l - 1][j - 1, i - 1]\n", hint="transposed"),
    Answer("a03_weight_next_layer", "weight_answer",
           "def weight(Ws, l, i, j):\n    return Ws[l % len(Ws)][i - 1, j - 1]\n", hint="Ws[l]"),
    # receptor
    Answer("a03_receptor_no_bias", "receptor_answer",
           "def receptor(x_prev, W, b, j):\n    return x_prev @ W[:, j]\n", hint="bias left out"),
    Answer("a03_receptor_row", "receptor_answer",
           "def receptor(x_prev, W, b, j):\n    return W[j, :] @ x_prev + b[0, j]\n",
           hint="instead of column j"),
    Answer("a03_receptor_first_bias", "receptor_answer",
           "def receptor(x_prev, W, b, j):\n    return x_prev @ W[:, j] + b[0, 0]\n",
           hint="bias of neuron 0"),
    Answer("a03_receptor_column_slice", "receptor_answer",
           "def receptor(x_prev, W, b, j):\n    return x_prev @ W[:, [j]] + b[:, j]\n", hint="single number"),
    # relu
    Answer("a03_relu_np_max", "relu_answer",
           "def relu(z):\n    return np.max(z, 0)\n", hint="np.maximum compares entry by entry"),
    Answer("a03_relu_minimum", "relu_answer",
           "def relu(z):\n    return np.minimum(0, z)\n", hint="minimum with 0"),
    Answer("a03_relu_in_place", "relu_answer",
           "def relu(z):\n    z = np.asarray(z)\n    z[z < 0] = 0\n    return z\n",
           hint="changed the array it was given"),
    Answer("a03_relu_abs", "relu_answer", "def relu(z):\n    return np.abs(z)\n", hint="absolute value"),
    Answer("a03_relu_no_return", "relu_answer", "def relu(z):\n    np.maximum(0, z)\n", hint="forget to `return`"),
    # sample_forward
    Answer("a03_sample_forward_layer1_receptor", "sample_forward_answer",
           _sample_forward(
               "    z3 = np.array([sum(W3[i, j] * x1[i] for i in range(W3.shape[0])) + b3[0, j]\n"
               "                   for j in range(W3.shape[1])])\n"),
           hint="layer 1's neurons"),
    Answer("a03_sample_forward_relu_output", "sample_forward_answer",
           _sample_forward(_Z3_RIGHT, x3_line="    x3 = activation(z3)\n"), hint="ReLU on the output"),
    Answer("a03_sample_forward_no_bias", "sample_forward_answer",
           _sample_forward(_Z3_RIGHT, bias="0"), hint="bias left out"),
    Answer("a03_sample_forward_relu_by_name", "sample_forward_answer",
           _sample_forward(_Z3_RIGHT, activation="relu"), hint="relu called by name"),
    Answer("a03_sample_forward_not_a_dict", "sample_forward_answer",
           _sample_forward(_Z3_RIGHT).replace("return {'z1': z1, 'x1': x1, 'z2': z2, 'x2': x2, 'z3': z3, 'x3': x3}",
                                              "return z1, x1, z2, x2, z3, x3"), hint="should return a dict"),
    # forward_2321
    Answer("a03_forward_relu_output", "forward_2321_answer",
           _forward(x3="activation(Z3)"), hint="ReLU on the output"),
    Answer("a03_forward_no_bias", "forward_2321_answer",
           _forward(z1="X @ W1", z2="X1 @ W2", z3="X2 @ W3"), hint="biases left out"),
    Answer("a03_forward_layer1_into_output", "forward_2321_answer",
           _forward(z3="X1 @ W3 + b3"), hint="layer 1's neurons"),
    Answer("a03_forward_no_hidden_relu", "forward_2321_answer",
           _forward(x1="Z1", x2="Z2"), hint="no ReLU in the hidden layers"),
    Answer("a03_forward_keys_swapped", "forward_2321_answer",
           _forward().replace("'Z1': Z1, 'X1': X1", "'Z1': X1, 'X1': Z1"), hint="swapped"),
    Answer("a03_forward_relu_by_name", "forward_2321_answer",
           _forward(x1="relu(Z1)", x2="relu(Z2)"), hint="relu called by name"),
    Answer("a03_forward_missing_key", "forward_2321_answer",
           _forward().replace("'Z3': Z3, ", ""), hint="lacks the key(s) ['Z3']"),
    # cost
    Answer("a03_cost_broadcast", "cost_answer",
           "def cost(y_hat, Y):\n    return np.sum((y_hat - Y) ** 2) / (2 * len(Y))\n",
           hint="(n, n) array"),
    Answer("a03_cost_broadcast_mean", "cost_answer",
           "def cost(y_hat, Y):\n    return np.mean((y_hat - Y) ** 2) / 2\n",
           hint="mean of an (n, n) array"),
    Answer("a03_cost_no_half", "cost_answer",
           "def cost(y_hat, Y):\n    return np.mean((np.ravel(y_hat) - np.ravel(Y)) ** 2)\n",
           hint="without the factor 1/2"),
    Answer("a03_cost_sum_over_2", "cost_answer",
           "def cost(y_hat, Y):\n    return np.sum((np.ravel(y_hat) - np.ravel(Y)) ** 2) / 2\n",
           hint="not by 2n"),
    Answer("a03_cost_array", "cost_answer",
           "def cost(y_hat, Y):\n    d = np.reshape(y_hat, (-1, 1)) - np.reshape(Y, (-1, 1))\n"
           "    return d.T @ d / (2 * len(d))\n", hint="single number"),
]

RIGHT = [
    Answer("a03_weight_chained_indexing", "weight_answer",
           "def weight(Ws, l, i, j):\n    W = Ws[l - 1]\n    return float(W[i - 1][j - 1])\n"),
    Answer("a03_receptor_loop", "receptor_answer",
           "def receptor(x_prev, W, b, j):\n    total = b[0, j]\n"
           "    for i in range(len(x_prev)):\n        total += W[i, j] * x_prev[i]\n"
           "    return total\n"),
    Answer("a03_relu_where", "relu_answer",
           "def relu(z):\n    return np.where(z > 0, z, 0.0)\n"),
    Answer("a03_relu_mask_on_copy", "relu_answer",
           "def relu(z):\n    out = np.array(z, dtype=float)\n    out[out < 0] = 0\n    return out\n"),
    Answer("a03_relu_multiply_by_mask", "relu_answer",
           "def relu(z):\n    return z * (z > 0)\n"),
    Answer("a03_sample_forward_matrix_products", "sample_forward_answer",
           "def sample_forward(x, W1, b1, W2, b2, W3, b3, receptor, activation):\n"
           "    z1 = x @ W1 + b1.ravel()\n    x1 = activation(z1)\n"
           "    z2 = x1 @ W2 + b2.ravel()\n    x2 = activation(z2)\n"
           "    z3 = x2 @ W3 + b3.ravel()\n"
           "    return dict(z1=z1, x1=x1, z2=z2, x2=x2, z3=z3, x3=z3)\n"),
    Answer("a03_sample_forward_loop_over_layers", "sample_forward_answer",
           "def sample_forward(x, W1, b1, W2, b2, W3, b3, receptor, activation):\n"
           "    out, values = {}, x\n"
           "    for l, (W, b) in enumerate([(W1, b1), (W2, b2), (W3, b3)], start=1):\n"
           "        z = np.array([receptor(values, W, b, j) for j in range(W.shape[1])])\n"
           "        values = z if l == 3 else activation(z)\n"
           "        out[f'z{l}'], out[f'x{l}'] = z, values\n"
           "    return out\n"),
    Answer("a03_forward_loop_over_neurons", "forward_2321_answer",
           "def forward_2321(X, W1, b1, W2, b2, W3, b3, activation):\n"
           "    out = {'X0': X}\n"
           "    for l, (W, b) in enumerate([(W1, b1), (W2, b2), (W3, b3)], start=1):\n"
           "        prev = out[f'X{l - 1}']\n"
           "        Z = np.zeros((prev.shape[0], W.shape[1]))\n"
           "        for s in range(prev.shape[0]):\n"
           "            for j in range(W.shape[1]):\n"
           "                Z[s, j] = receptor(prev[s], W, b, j)\n"
           "        out[f'Z{l}'] = Z\n"
           "        out[f'X{l}'] = Z if l == 3 else activation(Z)\n"
           "    del out['X0']\n"
           "    return out\n"),
    Answer("a03_forward_with_dot_and_copy", "forward_2321_answer",
           _forward(z1="np.dot(X, W1) + b1.ravel()", z2="np.dot(X1, W2) + b2", x3="Z3.copy()")),
    Answer("a03_cost_column_product", "cost_answer",
           "def cost(y_hat, Y):\n    d = np.reshape(y_hat, (-1, 1)) - np.reshape(Y, (-1, 1))\n"
           "    return (d.T @ d).item() / (2 * d.shape[0])\n"),
    Answer("a03_cost_mean_of_ravel", "cost_answer",
           "def cost(y_hat, Y):\n    return np.mean((np.ravel(y_hat) - np.ravel(Y)) ** 2) / 2\n"),
]
