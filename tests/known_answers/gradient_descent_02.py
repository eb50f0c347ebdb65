"""Known answers to 02_gradient_descent: wrong ones that must lose points, right ones that must not."""
from known_answers import Answer

ASSIGNMENT = "02_gradient_descent"

WRONG = [
    # ---------------------------------------------------------------- gradient_descent
    Answer("a02_gd_one_step_too_many", "gradient_descent_answer",
           "def gradient_descent(grad, x0, learning_rate, n_steps):\n"
           "    x = np.asarray(x0, dtype=float)\n    path = [x]\n"
           "    for _ in range(n_steps + 1):\n        x = x - learning_rate * grad(x)\n"
           "        path.append(x)\n    return np.array(path)\n",
           hint="x0 and one per step"),
    Answer("a02_gd_without_start", "gradient_descent_answer",
           "def gradient_descent(grad, x0, learning_rate, n_steps):\n"
           "    x, path = x0, []\n    for _ in range(n_steps):\n"
           "        x = x - learning_rate * grad(x)\n        path.append(x)\n    return np.array(path)\n",
           hint="x0 and one per step"),
    Answer("a02_gd_ascent", "gradient_descent_answer",
           "def gradient_descent(grad, x0, learning_rate, n_steps):\n"
           "    path = [np.asarray(x0, dtype=float)]\n    for _ in range(n_steps):\n"
           "        path.append(path[-1] + learning_rate * grad(path[-1]))\n    return np.array(path)\n",
           hint="gradient ascent"),
    Answer("a02_gd_in_place", "gradient_descent_answer",
           "def gradient_descent(grad, x0, learning_rate, n_steps):\n"
           "    x = x0\n    path = [x]\n    for _ in range(n_steps):\n"
           "        x -= learning_rate * grad(x)\n        path.append(x)\n    return np.array(path)\n",
           hint="same array"),
    Answer("a02_gd_last_point_only", "gradient_descent_answer",
           "def gradient_descent(grad, x0, learning_rate, n_steps):\n"
           "    x = x0\n    for _ in range(n_steps):\n        x = x - learning_rate * grad(x)\n    return x\n",
           hint="x0 and one per step"),
    Answer("a02_gd_scalar_in_place", "gradient_descent_answer",
           "def gradient_descent(grad, x0, learning_rate, n_steps):\n"
           "    x = np.asarray(x0, dtype=float)\n    path = [x]\n    for _ in range(n_steps):\n"
           "        x -= learning_rate * grad(x)\n        path.append(x)\n    return np.array(path)\n",
           hint="changed it in place"),
    # ---------------------------------------------------------------- paraboloid_grad
    Answer("a02_paraboloid_no_factor_2", "paraboloid_grad_answer",
           "def paraboloid_grad(p):\n    return np.array([p[0], p[1]], dtype=float)\n",
           hint="factor 2"),
    Answer("a02_paraboloid_swapped", "paraboloid_grad_answer",
           "def paraboloid_grad(p):\n    a, b = p\n    return np.array([2 * b, 2 * a])\n",
           hint="swapped"),
    Answer("a02_paraboloid_ascent", "paraboloid_grad_answer",
           "def paraboloid_grad(p):\n    return -2 * np.asarray(p, dtype=float)\n", hint="sign error"),
    # ---------------------------------------------------------------- classify_learning_rate
    Answer("a02_classify_factor_without_2", "classify_learning_rate_answer",
           "def classify_learning_rate(curvature, learning_rate):\n"
           "    r = 1 - curvature * learning_rate\n"
           "    if r >= 0:\n        return 'smooth'\n    if r >= -1:\n        return 'oscillating'\n"
           "    return 'diverging'\n",
           hint="the derivative of c*x**2 is 2*c*x"),
    Answer("a02_classify_diverges_only_above_2_over_c", "classify_learning_rate_answer",
           "def classify_learning_rate(curvature, learning_rate):\n"
           "    if learning_rate <= 0.5 / curvature:\n        return 'smooth'\n"
           "    if learning_rate <= 2 / curvature:\n        return 'oscillating'\n    return 'diverging'\n",
           hint="2/c"),
    Answer("a02_classify_strict_boundaries", "classify_learning_rate_answer",
           "def classify_learning_rate(curvature, learning_rate):\n"
           "    r = 1 - 2 * curvature * learning_rate\n"
           "    if r > 0:\n        return 'smooth'\n    if r > -1:\n        return 'oscillating'\n"
           "    return 'diverging'\n", hint="strict comparisons"),
    Answer("a02_classify_capitalised", "classify_learning_rate_answer",
           "def classify_learning_rate(curvature, learning_rate):\n"
           "    r = 1 - 2 * curvature * learning_rate\n"
           "    return 'Smooth' if r >= 0 else 'Oscillating' if r >= -1 else 'Diverging'\n",
           hint="it should return 'smooth'"),
    # ---------------------------------------------------------------- mse_gradient
    Answer("a02_mse_divides_by_batch_size_constant", "mse_gradient_answer",
           "def mse_gradient(X, y, w, b):\n    r = X @ w + b - y\n"
           "    return X.T @ r / BATCH_SIZE, r.sum() / BATCH_SIZE\n",
           hint="this batch's size"),
    Answer("a02_mse_sum_called_a_mean", "mse_gradient_answer",
           "def mse_gradient(X, y, w, b):\n    r = X @ w + b - y\n    return X.T @ r, np.sum(r)\n",
           hint="the sum over the batch"),
    Answer("a02_mse_sign", "mse_gradient_answer",
           "def mse_gradient(X, y, w, b):\n    r = y - (X @ w + b)\n    return X.T @ r / len(y), np.mean(r)\n",
           hint="sign error"),
    Answer("a02_mse_no_half", "mse_gradient_answer",
           "def mse_gradient(X, y, w, b):\n    r = X @ w + b - y\n"
           "    return 2 * X.T @ r / len(y), 2 * np.mean(r)\n",
           hint="factor 1/2"),
    Answer("a02_mse_grad_b_as_array", "mse_gradient_answer",
           "def mse_gradient(X, y, w, b):\n    r = X @ w + b - y\n"
           "    return X.T @ r / len(y), np.mean(r, keepdims=True)\n", hint="single number"),
    # ---------------------------------------------------------------- minibatches
    Answer("a02_mb_loses_the_first_batch", "minibatches_answer",
           # the published generator's logic, rewritten: the loop skips the last full batch
           # and the remainder starts after it, so one full batch comes out empty.
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = rng.permutation(len(X))\n"
           "    k = 0\n"
           "    for k in range(len(X) // batch_size - 1):\n"
           "        chunk = order[k * batch_size:(k + 1) * batch_size]\n"
           "        yield X[chunk], Y[chunk]\n"
           "    rest = order[(k + 1) * batch_size:]\n"
           "    yield X[rest], Y[rest]\n",
           hint="exactly one batch"),
    Answer("a02_mb_trailing_empty_batch", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = rng.permutation(len(X))\n"
           "    for start in range(0, len(X) + 1, batch_size):\n"
           "        chunk = order[start:start + batch_size]\n        yield X[chunk], Y[chunk]\n",
           hint="an empty batch"),
    Answer("a02_mb_drops_partial_batch", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = rng.permutation(len(X))\n"
           "    for j in range(len(X) // batch_size):\n"
           "        chunk = order[j * batch_size:(j + 1) * batch_size]\n        yield X[chunk], Y[chunk]\n",
           hint="should give batches of sizes [4, 4, 2]"),
    Answer("a02_mb_unpaired", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    ox, oy = rng.permutation(len(X)), rng.permutation(len(Y))\n"
           "    for s in range(0, len(X), batch_size):\n"
           "        yield X[ox[s:s + batch_size]], Y[oy[s:s + batch_size]]\n",
           hint="paired"),
    Answer("a02_mb_not_shuffled", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    for s in range(0, len(X), batch_size):\n        yield X[s:s + batch_size], Y[s:s + batch_size]\n",
           hint="not shuffled"),
    Answer("a02_mb_equal_sized_split", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = rng.permutation(len(X))\n"
           "    for chunk in np.array_split(order, int(np.ceil(len(X) / batch_size))):\n"
           "        yield X[chunk], Y[chunk]\n",
           hint="should give batches of sizes [4, 4, 2]"),
    Answer("a02_mb_shuffles_in_place", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = rng.permutation(len(X))\n"
           "    X[:] = X[order]\n    Y[:] = Y[order]\n"
           "    for s in range(0, len(X), batch_size):\n        yield X[s:s + batch_size], Y[s:s + batch_size]\n",
           hint="must not change X or Y"),
    Answer("a02_mb_own_generator", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = np.random.default_rng().permutation(len(X))\n"
           "    for s in range(0, len(X), batch_size):\n"
           "        yield X[order[s:s + batch_size]], Y[order[s:s + batch_size]]\n",
           hint="the same seed"),
    Answer("a02_mb_fixed_seed", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = np.random.default_rng(0).permutation(len(X))\n"
           "    for s in range(0, len(X), batch_size):\n"
           "        yield X[order[s:s + batch_size]], Y[order[s:s + batch_size]]\n",
           hint="new order"),
    # ---------------------------------------------------------------- sgd
    Answer("a02_sgd_last_batch_divided_by_batch_size", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    rng = np.random.default_rng(seed)\n    w, b = np.zeros(X.shape[1]), 0.0\n"
           "    history = [mse_loss(X, y, w, b)]\n    for _ in range(n_epochs):\n"
           "        for Xb, yb in minibatches(X, y, batch_size, rng):\n"
           "            r = Xb @ w + b - yb\n"
           "            w, b = w - learning_rate * Xb.T @ r / batch_size, b - learning_rate * r.sum() / batch_size\n"
           "            if callback is not None:\n                callback(w, b)\n"
           "        history.append(mse_loss(X, y, w, b))\n    return w, b, history\n",
           hint="divided by batch_size instead of its own size"),
    Answer("a02_sgd_same_shuffle_every_epoch", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    w, b = np.zeros(X.shape[1]), 0.0\n    history = [mse_loss(X, y, w, b)]\n"
           "    for _ in range(n_epochs):\n"
           "        for Xb, yb in minibatches(X, y, batch_size, np.random.default_rng(seed)):\n"
           "            gw, gb = mse_gradient(Xb, yb, w, b)\n"
           "            w, b = w - learning_rate * gw, b - learning_rate * gb\n"
           "            if callback is not None:\n                callback(w, b)\n"
           "        history.append(mse_loss(X, y, w, b))\n    return w, b, history\n",
           hint="the same shuffle in every epoch"),
    Answer("a02_sgd_ascent", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    rng = np.random.default_rng(seed)\n    w, b = np.zeros(X.shape[1]), 0.0\n"
           "    history = [mse_loss(X, y, w, b)]\n    for _ in range(n_epochs):\n"
           "        for Xb, yb in minibatches(X, y, batch_size, rng):\n"
           "            gw, gb = mse_gradient(Xb, yb, w, b)\n"
           "            w, b = w + learning_rate * gw, b + learning_rate * gb\n"
           "            if callback is not None:\n                callback(w, b)\n"
           "        history.append(mse_loss(X, y, w, b))\n    return w, b, history\n",
           hint="gradient ascent"),
    Answer("a02_sgd_history_without_start", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    rng = np.random.default_rng(seed)\n    w, b = np.zeros(X.shape[1]), 0.0\n"
           "    history = []\n    for _ in range(n_epochs):\n"
           "        for Xb, yb in minibatches(X, y, batch_size, rng):\n"
           "            gw, gb = mse_gradient(Xb, yb, w, b)\n"
           "            w, b = w - learning_rate * gw, b - learning_rate * gb\n"
           "            if callback is not None:\n                callback(w, b)\n"
           "        history.append(mse_loss(X, y, w, b))\n    return w, b, history\n",
           hint="before training"),
    Answer("a02_sgd_first_batch_only", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    rng = np.random.default_rng(seed)\n    w, b = np.zeros(X.shape[1]), 0.0\n"
           "    history = [mse_loss(X, y, w, b)]\n    for _ in range(n_epochs):\n"
           "        Xb, yb = next(iter(minibatches(X, y, batch_size, rng)))\n"
           "        gw, gb = mse_gradient(Xb, yb, w, b)\n"
           "        w, b = w - learning_rate * gw, b - learning_rate * gb\n"
           "        if callback is not None:\n            callback(w, b)\n"
           "        history.append(mse_loss(X, y, w, b))\n    return w, b, history\n",
           hint="callback was called 2 times"),
    Answer("a02_sgd_history_of_last_batch", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    rng = np.random.default_rng(seed)\n    w, b = np.zeros(X.shape[1]), 0.0\n"
           "    history = [mse_loss(X, y, w, b)]\n    for _ in range(n_epochs):\n"
           "        for Xb, yb in minibatches(X, y, batch_size, rng):\n"
           "            gw, gb = mse_gradient(Xb, yb, w, b)\n"
           "            w, b = w - learning_rate * gw, b - learning_rate * gb\n"
           "            if callback is not None:\n                callback(w, b)\n"
           "        history.append(mse_loss(Xb, yb, w, b))\n    return w, b, history\n",
           hint="the loss of the last batch"),
    Answer("a02_sgd_callback_before_update", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    rng = np.random.default_rng(seed)\n    w, b = np.zeros(X.shape[1]), 0.0\n"
           "    history = [mse_loss(X, y, w, b)]\n    for _ in range(n_epochs):\n"
           "        for Xb, yb in minibatches(X, y, batch_size, rng):\n"
           "            if callback is not None:\n                callback(w, b)\n"
           "            gw, gb = mse_gradient(Xb, yb, w, b)\n"
           "            w, b = w - learning_rate * gw, b - learning_rate * gb\n"
           "        history.append(mse_loss(X, y, w, b))\n    return w, b, history\n",
           hint="after the update"),
    Answer("a02_sgd_b_after_w", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    rng = np.random.default_rng(seed)\n    w, b = np.zeros(X.shape[1]), 0.0\n"
           "    history = [mse_loss(X, y, w, b)]\n    for _ in range(n_epochs):\n"
           "        for Xb, yb in minibatches(X, y, batch_size, rng):\n"
           "            w = w - learning_rate * mse_gradient(Xb, yb, w, b)[0]\n"
           "            b = b - learning_rate * mse_gradient(Xb, yb, w, b)[1]\n"
           "            if callback is not None:\n                callback(w, b)\n"
           "        history.append(mse_loss(X, y, w, b))\n    return w, b, history\n",
           hint="gradient at the new w"),
]

RIGHT = [
    Answer("a02_gd_preallocated", "gradient_descent_answer",
           "def gradient_descent(grad, x0, learning_rate, n_steps):\n"
           "    path = np.empty((n_steps + 1,) + np.shape(x0))\n    path[0] = x0\n"
           "    for k in range(n_steps):\n        path[k + 1] = path[k] - learning_rate * grad(path[k])\n"
           "    return path\n"),
    Answer("a02_gd_copies", "gradient_descent_answer",
           "def gradient_descent(grad, x0, learning_rate, n_steps):\n"
           "    x = np.array(x0, dtype=float)\n    path = [x.copy()]\n"
           "    while len(path) <= n_steps:\n        x -= learning_rate * grad(x)\n"
           "        path.append(x.copy())\n    return np.stack(path)\n"),
    Answer("a02_paraboloid_vectorised", "paraboloid_grad_answer",
           "def paraboloid_grad(p):\n    return 2 * np.asarray(p, dtype=float)\n"),
    Answer("a02_classify_by_rate_thresholds", "classify_learning_rate_answer",
           "def classify_learning_rate(curvature, learning_rate):\n"
           "    if learning_rate <= 1 / (2 * curvature):\n        return 'smooth'\n"
           "    elif learning_rate <= 1 / curvature:\n        return 'oscillating'\n"
           "    else:\n        return 'diverging'\n"),
    Answer("a02_mse_loop", "mse_gradient_answer",
           "def mse_gradient(X, y, w, b):\n    grad_w, grad_b = np.zeros(len(w)), 0.0\n"
           "    for x_i, y_i in zip(X, y):\n        r = x_i @ w + b - y_i\n"
           "        grad_w += r * x_i\n        grad_b += r\n"
           "    return grad_w / len(y), grad_b / len(y)\n"),
    Answer("a02_mse_einsum_mean", "mse_gradient_answer",
           "def mse_gradient(X, y, w, b):\n    r = np.einsum('ij,j->i', X, w) + b - y\n"
           "    return np.mean(r[:, None] * X, axis=0), r.mean()\n"),
    Answer("a02_mb_returns_a_list", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    idx = np.arange(len(X))\n    rng.shuffle(idx)\n"
           "    return [(X[idx[s:s + batch_size]], Y[idx[s:s + batch_size]])\n"
           "            for s in range(0, len(X), batch_size)]\n"),
    Answer("a02_mb_array_split", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = rng.permutation(len(X))\n"
           "    for chunk in np.array_split(order, np.arange(batch_size, len(X), batch_size)):\n"
           "        yield X[chunk], Y[chunk]\n"),
    Answer("a02_mb_while_loop", "minibatches_answer",
           "def minibatches(X, Y, batch_size, rng):\n"
           "    order = list(rng.permutation(len(X)))\n"
           "    while order:\n        chunk, order = order[:batch_size], order[batch_size:]\n"
           "        yield X[chunk], Y[chunk]\n"),
    Answer("a02_sgd_in_place_updates_list_history", "sgd_answer",
           "def sgd(X, y, learning_rate, batch_size, n_epochs, seed=None, callback=None):\n"
           "    rng = np.random.default_rng(seed)\n    w = np.zeros(X.shape[1])\n    b = 0.0\n"
           "    history = [float(mse_loss(X, y, w, b))]\n    for epoch in range(n_epochs):\n"
           "        for X_batch, y_batch in minibatches(X, y, batch_size, rng=rng):\n"
           "            grad_w, grad_b = mse_gradient(X_batch, y_batch, w, b)\n"
           "            w -= learning_rate * grad_w\n            b -= learning_rate * grad_b\n"
           "            if callback:\n                callback(w.copy(), b)\n"
           "        history.append(float(mse_loss(X, y, w, b)))\n    return w, b, history\n"),
]
