"""Known answers to 04_backprop_by_hand: wrong ones that must lose points, right ones that must not."""
from known_answers import Answer

ASSIGNMENT = "04_backprop_by_hand"

_SIG = "(x, y, W1, b1, W2, b2, W3, b3)"

WRONG = [
    # ---- grad_w3_21: one path, layer 3
    Answer("a04_w3_seed_value_0_2", "grad_w3_21_answer",
           f"def grad_w3_21{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    return (out['X3'][0] - y) * 1 * 0.2\n", hint="-22.6"),
    Answer("a04_w3_neuron_1", "grad_w3_21_answer",
           f"def grad_w3_21{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    return (out['X3'][0] - y) * out['X2'][0]\n", hint="x^(2)_1 instead of x^(2)_2"),
    Answer("a04_w3_sign", "grad_w3_21_answer",
           f"def grad_w3_21{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    return (y - out['X3'][0]) * out['X2'][1]\n", hint="sign error"),
    Answer("a04_w3_vector", "grad_w3_21_answer",
           f"def grad_w3_21{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    return (out['X3'] - y) * out['X2'][1]\n", hint="single number"),
    # ---- grad_w2_21: longer path, ReLU gate
    Answer("a04_w2_missing_gate", "grad_w2_21_answer",
           f"def grad_w2_21{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    return (out['X3'][0] - y) * W3[0, 0] * out['X1'][1]\n", hint="ReLU gate"),
    Answer("a04_w2_wrong_input", "grad_w2_21_answer",
           f"def grad_w2_21{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    return (out['X3'][0] - y) * W3[0, 0] * (out['Z2'][0] > 0) * out['X1'][0]\n",
           hint="x^(1)_1 instead of x^(1)_2"),
    Answer("a04_w2_hard_coded_zero", "grad_w2_21_answer",
           f"def grad_w2_21{_SIG}:\n    return 0.0\n", hint="its gate is open"),
    # ---- grad_w1_12: two paths
    Answer("a04_w1_only_path_through_z2_2", "grad_w1_12_answer",
           f"def grad_w1_12{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d2 = (out['X3'][0] - y) * W3[1, 0] * (out['Z2'][1] > 0)\n"
           "    return d2 * W2[1, 1] * (out['Z1'][1] > 0) * x[0]\n", hint="only one of the two paths"),
    Answer("a04_w1_only_path_through_z2_1", "grad_w1_12_answer",
           f"def grad_w1_12{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d1 = (out['X3'][0] - y) * W3[0, 0] * (out['Z2'][0] > 0)\n"
           "    return d1 * W2[1, 0] * (out['Z1'][1] > 0) * x[0]\n", hint="only one of the two paths"),
    Answer("a04_w1_missing_layer1_gate", "grad_w1_12_answer",
           f"def grad_w1_12{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    e = out['X3'][0] - y\n"
           "    d = e * W3[:, 0] * (out['Z2'] > 0)\n"
           "    return (d[0] * W2[1, 0] + d[1] * W2[1, 1]) * x[0]\n", hint="gate of z^(1)_2"),
    Answer("a04_w1_paths_subtracted", "grad_w1_12_answer",
           f"def grad_w1_12{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    e = out['X3'][0] - y\n"
           "    d = e * W3[:, 0] * (out['Z2'] > 0)\n"
           "    return (d[0] * W2[1, 0] - d[1] * W2[1, 1]) * (out['Z1'][1] > 0) * x[0]\n",
           hint="subtracted"),
    # ---- more_gradients
    Answer("a04_more_w2_32_via_neuron_1", "more_gradients_answer",
           f"def more_gradients{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    e = out['X3'][0] - y\n"
           "    d2 = e * W3[:, 0] * (out['Z2'] > 0)\n"
           "    d1 = (W2 @ d2) * (out['Z1'] > 0)\n"
           "    return {'w2_32': d2[0] * out['X1'][2], 'w1_23': d1[2] * x[1], 'b3_1': e,\n"
           "            'b2_2': d2[1], 'b1_2': d1[1]}\n", hint="neuron 1 of layer 2"),
    Answer("a04_more_bias_times_input", "more_gradients_answer",
           f"def more_gradients{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    e = out['X3'][0] - y\n"
           "    d2 = e * W3[:, 0] * (out['Z2'] > 0)\n"
           "    d1 = (W2 @ d2) * (out['Z1'] > 0)\n"
           "    return {'w2_32': d2[1] * out['X1'][2], 'w1_23': d1[2] * x[1], 'b3_1': e,\n"
           "            'b2_2': d2[1] * out['X1'][1], 'b1_2': d1[1]}\n", hint="constant 1"),
    Answer("a04_more_b1_one_path", "more_gradients_answer",
           f"def more_gradients{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    e = out['X3'][0] - y\n"
           "    d2 = e * W3[:, 0] * (out['Z2'] > 0)\n"
           "    d1 = (W2 @ d2) * (out['Z1'] > 0)\n"
           "    return {'w2_32': d2[1] * out['X1'][2], 'w1_23': d1[2] * x[1], 'b3_1': e,\n"
           "            'b2_2': d2[1], 'b1_2': d2[0] * W2[1, 0] * (out['Z1'][1] > 0)}\n",
           hint="only one of the two paths"),
    Answer("a04_more_missing_key", "more_gradients_answer",
           f"def more_gradients{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d3 = out['X3'] - y\n    d2 = (W3 @ d3) * (out['Z2'] > 0)\n    d1 = (W2 @ d2) * (out['Z1'] > 0)\n"
           "    return {'w2_32': out['X1'][2] * d2[1], 'w1_23': x[1] * d1[2], 'b3_1': d3[0], 'b2_2': d2[1]}\n",
           hint="should return the keys"),
    # ---- backward_one_sample
    Answer("a04_back_missing_gate", "backward_one_sample_answer",
           f"def backward_one_sample{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d3 = out['X3'] - y\n    d2 = W3 @ d3\n    d1 = W2 @ d2\n"
           "    return {'delta3': d3, 'delta2': d2, 'delta1': d1,\n"
           "            'dW3': np.outer(out['X2'], d3), 'db3': d3, 'dW2': np.outer(out['X1'], d2), 'db2': d2,\n"
           "            'dW1': np.outer(x, d1), 'db1': d1}\n", hint="ReLU gate is missing"),
    Answer("a04_back_own_output", "backward_one_sample_answer",
           f"def backward_one_sample{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d3 = out['X3'] - y\n    d2 = (W3 @ d3) * (out['Z2'] > 0)\n    d1 = (W2 @ d2) * (out['Z1'] > 0)\n"
           "    return {'delta3': d3, 'delta2': d2, 'delta1': d1,\n"
           "            'dW3': np.outer(out['X3'], d3), 'db3': d3, 'dW2': np.outer(out['X2'], d2), 'db2': d2,\n"
           "            'dW1': np.outer(out['X1'], d1), 'db1': d1}\n", hint="own output"),
    Answer("a04_back_transposed", "backward_one_sample_answer",
           f"def backward_one_sample{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d3 = out['X3'] - y\n    d2 = (W3 @ d3) * (out['Z2'] > 0)\n    d1 = (W2 @ d2) * (out['Z1'] > 0)\n"
           "    return {'delta3': d3, 'delta2': d2, 'delta1': d1,\n"
           "            'dW3': np.outer(d3, out['X2']), 'db3': d3, 'dW2': np.outer(d2, out['X1']), 'db2': d2,\n"
           "            'dW1': np.outer(d1, x), 'db1': d1}\n", hint="transposed"),
    Answer("a04_back_sign", "backward_one_sample_answer",
           f"def backward_one_sample{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d3 = y - out['X3']\n    d2 = (W3 @ d3) * (out['Z2'] > 0)\n    d1 = (W2 @ d2) * (out['Z1'] > 0)\n"
           "    return {'delta3': d3, 'delta2': d2, 'delta1': d1,\n"
           "            'dW3': np.outer(out['X2'], d3), 'db3': d3, 'dW2': np.outer(out['X1'], d2), 'db2': d2,\n"
           "            'dW1': np.outer(x, d1), 'db1': d1}\n", hint="sign error"),
    # ---- gradients_2321
    Answer("a04_grads_sum_not_mean", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n"
           "    D3 = out['X3'] - Y\n    D2 = (D3 @ params['W3'].T) * (out['Z2'] > 0)\n"
           "    D1 = (D2 @ params['W2'].T) * (out['Z1'] > 0)\n"
           "    return {'dW3': out['X2'].T @ D3, 'db3': D3.sum(0, keepdims=True),\n"
           "            'dW2': out['X1'].T @ D2, 'db2': D2.sum(0, keepdims=True),\n"
           "            'dW1': X.T @ D1, 'db1': D1.sum(0, keepdims=True)}\n",
           hint="sum over samples instead of the mean"),
    Answer("a04_grads_db_summed_dw_averaged", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n    n = len(X)\n"
           "    D3 = out['X3'] - Y\n    D2 = (D3 @ params['W3'].T) * (out['Z2'] > 0)\n"
           "    D1 = (D2 @ params['W2'].T) * (out['Z1'] > 0)\n"
           "    return {'dW3': out['X2'].T @ D3 / n, 'db3': D3.sum(0, keepdims=True),\n"
           "            'dW2': out['X1'].T @ D2 / n, 'db2': D2.sum(0, keepdims=True),\n"
           "            'dW1': X.T @ D1 / n, 'db1': D1.sum(0, keepdims=True)}\n",
           hint="sum over samples instead of the mean"),
    Answer("a04_grads_own_output", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n"
           "    D3 = (out['X3'] - Y) / len(X)\n    D2 = (D3 @ params['W3'].T) * (out['Z2'] > 0)\n"
           "    D1 = (D2 @ params['W2'].T) * (out['Z1'] > 0)\n"
           "    return {'dW3': out['X3'].T @ D3, 'db3': D3.sum(0, keepdims=True),\n"
           "            'dW2': out['X2'].T @ D2, 'db2': D2.sum(0, keepdims=True),\n"
           "            'dW1': out['X1'].T @ D1, 'db1': D1.sum(0, keepdims=True)}\n",
           hint="own output"),
    Answer("a04_grads_missing_gate", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n"
           "    D3 = (out['X3'] - Y) / len(X)\n    D2 = D3 @ params['W3'].T\n    D1 = D2 @ params['W2'].T\n"
           "    return {'dW3': out['X2'].T @ D3, 'db3': D3.sum(0, keepdims=True),\n"
           "            'dW2': out['X1'].T @ D2, 'db2': D2.sum(0, keepdims=True),\n"
           "            'dW1': X.T @ D1, 'db1': D1.sum(0, keepdims=True)}\n",
           hint="ReLU gates are missing"),
    Answer("a04_grads_sign", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n"
           "    D3 = (Y - out['X3']) / len(X)\n    D2 = (D3 @ params['W3'].T) * (out['Z2'] > 0)\n"
           "    D1 = (D2 @ params['W2'].T) * (out['Z1'] > 0)\n"
           "    return {'dW3': out['X2'].T @ D3, 'db3': D3.sum(0, keepdims=True),\n"
           "            'dW2': out['X1'].T @ D2, 'db2': D2.sum(0, keepdims=True),\n"
           "            'dW1': X.T @ D1, 'db1': D1.sum(0, keepdims=True)}\n",
           hint="sign error"),
    Answer("a04_grads_mean_twice", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n    n = len(X)\n"
           "    D3 = (out['X3'] - Y) / n\n    D2 = (D3 @ params['W3'].T) * (out['Z2'] > 0)\n"
           "    D1 = (D2 @ params['W2'].T) * (out['Z1'] > 0)\n"
           "    return {'dW3': out['X2'].T @ D3 / n, 'db3': D3.mean(0, keepdims=True),\n"
           "            'dW2': out['X1'].T @ D2 / n, 'db2': D2.mean(0, keepdims=True),\n"
           "            'dW1': X.T @ D1 / n, 'db1': D1.mean(0, keepdims=True)}\n",
           hint="1/n applied twice"),
    Answer("a04_grads_db_flat", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n"
           "    D3 = (out['X3'] - Y) / len(X)\n    D2 = (D3 @ params['W3'].T) * (out['Z2'] > 0)\n"
           "    D1 = (D2 @ params['W2'].T) * (out['Z1'] > 0)\n"
           "    return {'dW3': out['X2'].T @ D3, 'db3': D3.sum(0),\n"
           "            'dW2': out['X1'].T @ D2, 'db2': D2.sum(0),\n"
           "            'dW1': X.T @ D1, 'db1': D1.sum(0)}\n",
           hint="missing the row axis"),
    Answer("a04_grads_takes_a_step", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n"
           "    D3 = (out['X3'] - Y) / len(X)\n    D2 = (D3 @ params['W3'].T) * (out['Z2'] > 0)\n"
           "    D1 = (D2 @ params['W2'].T) * (out['Z1'] > 0)\n"
           "    grads = {'dW3': out['X2'].T @ D3, 'db3': D3.sum(0, keepdims=True),\n"
           "             'dW2': out['X1'].T @ D2, 'db2': D2.sum(0, keepdims=True),\n"
           "             'dW1': X.T @ D1, 'db1': D1.sum(0, keepdims=True)}\n"
           "    for name in params:\n        params[name] -= 0.01 * grads['d' + name]\n"
           "    return grads\n",
           hint="changed params"),
    # ---- diagnosis
    Answer("a04_diag_all_correct", "diagnosis_answer",
           "def diagnosis():\n    return {'A': 'correct', 'B': 'correct', 'C': 'correct', 'D': 'correct', 'E': 'correct'}\n",
           hint="a hundred times smaller h left it unchanged"),
    Answer("a04_diag_kink_is_a_bug", "diagnosis_answer",
           "def diagnosis():\n    return {'A': 'bug', 'B': 'suspicious', 'C': 'correct', 'D': 'bug', 'E': 'bug'}\n",
           hint="what happened to the error when h shrank"),
    Answer("a04_diag_b_is_a_bug", "diagnosis_answer",
           "def diagnosis():\n    return {'A': 'bug', 'B': 'bug', 'C': 'correct', 'D': 'bug', 'E': 'correct'}\n",
           hint="Place 4.0e-06 among the thresholds"),
    Answer("a04_diag_c_suspicious", "diagnosis_answer",
           "def diagnosis():\n    return {'A': 'bug', 'B': 'suspicious', 'C': 'suspicious', 'D': 'bug', 'E': 'correct'}\n",
           hint="compare them with CORRECT_BELOW"),
    Answer("a04_diag_missing_letter", "diagnosis_answer",
           "def diagnosis():\n    return {'A': 'bug', 'B': 'suspicious', 'C': 'correct', 'D': 'bug'}\n",
           hint="should have the keys 'A' to 'E'"),
    Answer("a04_diag_unknown_word", "diagnosis_answer",
           "def diagnosis():\n    return {'A': 'bug', 'B': 'kink', 'C': 'ok', 'D': 'bug', 'E': 'ok'}\n",
           hint="use one of"),
]

RIGHT = [
    Answer("a04_w3_python_float", "grad_w3_21_answer",
           f"def grad_w3_21{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    return float((out['X3'][0] - y) * out['X2'][1])\n"),
    Answer("a04_w3_0d_array_from_scratch", "grad_w3_21_answer",
           f"def grad_w3_21{_SIG}:\n    x1 = np.maximum(x @ W1 + b1.ravel(), 0)\n"
           "    x2 = np.maximum(x1 @ W2 + b2.ravel(), 0)\n    yhat = (x2 @ W3 + b3.ravel())[0]\n"
           "    return np.array((yhat - y) * x2[1])\n"),
    Answer("a04_w2_np_where_gate", "grad_w2_21_answer",
           f"def grad_w2_21{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    gate = np.where(out['Z2'][0] > 0, 1.0, 0.0)\n"
           "    return (out['X3'][0] - y) * W3[0, 0] * gate * out['X1'][1]\n"),
    Answer("a04_w1_loop_over_paths", "grad_w1_12_answer",
           f"def grad_w1_12{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    total = 0.0\n    for k in range(W2.shape[1]):\n"
           "        if out['Z2'][k] > 0:\n"
           "            total += (out['X3'][0] - y) * W3[k, 0] * W2[1, k]\n"
           "    if out['Z1'][1] <= 0:\n        return 0.0\n    return total * x[0]\n"),
    Answer("a04_more_with_vectors", "more_gradients_answer",
           f"def more_gradients{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d3 = out['X3'] - y\n    d2 = (W3 @ d3) * (out['Z2'] > 0)\n    d1 = (W2 @ d2) * (out['Z1'] > 0)\n"
           "    return {'w2_32': out['X1'][2] * d2[1], 'w1_23': x[1] * d1[2], 'b3_1': d3[0],\n"
           "            'b2_2': d2[1], 'b1_2': d1[1]}\n"),
    Answer("a04_back_boolean_mask", "backward_one_sample_answer",
           f"def backward_one_sample{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d3 = out['X3'] - y\n"
           "    d2 = d3 @ W3.T\n    d2[out['Z2'] <= 0] = 0.0\n"
           "    d1 = d2 @ W2.T\n    d1[out['Z1'] <= 0] = 0.0\n"
           "    return {'delta3': d3, 'delta2': d2, 'delta1': d1,\n"
           "            'dW3': out['X2'][:, None] * d3[None, :], 'db3': d3,\n"
           "            'dW2': out['X1'][:, None] * d2[None, :], 'db2': d2,\n"
           "            'dW1': x[:, None] * d1[None, :], 'db1': d1}\n"),
    Answer("a04_back_np_where_loops", "backward_one_sample_answer",
           f"def backward_one_sample{_SIG}:\n    out = forward(x, W1, b1, W2, b2, W3, b3)\n"
           "    d = {3: out['X3'] - y}\n    Ws = {2: W3, 1: W2}\n"
           "    for l in (2, 1):\n"
           "        d[l] = np.where(out[f'Z{l}'] > 0, Ws[l] @ d[l + 1], 0.0)\n"
           "    prev = {3: out['X2'], 2: out['X1'], 1: x}\n    result = {}\n"
           "    for l in (3, 2, 1):\n"
           "        g = np.zeros((len(prev[l]), len(d[l])))\n"
           "        for i in range(len(prev[l])):\n            for k in range(len(d[l])):\n"
           "                g[i, k] = prev[l][i] * d[l][k]\n"
           "        result[f'delta{l}'] = d[l]\n        result[f'dW{l}'] = g\n        result[f'db{l}'] = d[l].copy()\n"
           "    return result\n"),
    Answer("a04_grads_loop_over_samples", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    n = len(X)\n    total = None\n"
           "    for x, y in zip(X, Y):\n"
           "        g = backward_one_sample(x, y[0], **params)\n"
           "        g = {k: np.atleast_2d(g[k]) for k in ('dW1', 'db1', 'dW2', 'db2', 'dW3', 'db3')}\n"
           "        total = g if total is None else {k: total[k] + g[k] for k in total}\n"
           "    return {k: v / n for k, v in total.items()}\n"),
    Answer("a04_grads_mean_and_where", "gradients_2321_answer",
           "def gradients_2321(X, Y, params):\n    out = forward(X, **params)\n    n = X.shape[0]\n"
           "    D3 = out['X3'] - Y\n"
           "    D2 = np.where(out['Z2'] > 0, D3 @ params['W3'].T, 0)\n"
           "    D1 = np.where(out['Z1'] > 0, D2 @ params['W2'].T, 0)\n"
           "    return {'dW1': np.einsum('si,sk->ik', X, D1) / n, 'db1': D1.mean(axis=0, keepdims=True),\n"
           "            'dW2': np.einsum('si,sk->ik', out['X1'], D2) / n, 'db2': D2.mean(axis=0, keepdims=True),\n"
           "            'dW3': np.einsum('si,sk->ik', out['X2'], D3) / n, 'db3': D3.mean(axis=0, keepdims=True)}\n"),
    Answer("a04_diag_built_in_a_loop", "diagnosis_answer",
           "def diagnosis():\n    verdicts = {}\n"
           "    for letter, verdict in zip('ABCDE', ['bug', 'suspicious', 'correct', 'bug', 'correct']):\n"
           "        verdicts[letter] = verdict\n    return verdicts\n"),
]
