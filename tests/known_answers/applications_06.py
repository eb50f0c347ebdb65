"""Known answers to 06_applications: wrong ones that must lose points, right ones that must not."""
from known_answers import Answer

ASSIGNMENT = "06_applications"


_FIT = """
def fit(model, X, Y, epochs, batch_size, learning_rate, rng, batches=None):
    batches = minibatches if batches is None else batches
    history = []
    for _ in range(epochs):
        {record_before}
        {loop}
            coef = model.forward_pass(X_batch, training=True)
            grads = model.backward_pass(X_batch, Y_batch, coef)
            for name in {names}:
                model.params[name] = model.params[name] - {step}
        {record_after}
    return history
"""


def _fit(loop="for X_batch, Y_batch in batches(X, Y, batch_size, rng):", step="learning_rate * grads['d' + name]",
         names="list(model.params)", loss='model.loss_function["loss"](model.forward_pass(X), Y)', record_first=False):
    """A fit answer with one part changed."""
    record = f"history.append({loss})"
    return _FIT.format(loop=loop, step=step, names=names, record_before=record if record_first else "",
                       record_after="" if record_first else record)

WRONG = [
    # ---------------------------------------------------------------- predict
    Answer("a06_predict_probabilities", "predict_answer", '''
def predict(model, X):
    output = model.forward_pass(X)
    if output.shape[1] == 1:
        return output[:, 0]
    return np.argmax(output, axis=1)
''', hint="the probabilities instead of 0/1 labels"),
    Answer("a06_predict_argmax_everywhere", "predict_answer", '''
def predict(model, X):
    return np.argmax(model.forward_pass(X), axis=1)
''', hint="argmax over a single column"),
    Answer("a06_predict_booleans", "predict_answer", '''
def predict(model, X):
    output = model.forward_pass(X)
    if output.shape[1] == 1:
        return (output >= 0.5).ravel()
    return np.argmax(output, axis=1)
''', hint="integer labels"),
    Answer("a06_predict_argmax_axis0", "predict_answer", '''
def predict(model, X):
    output = model.forward_pass(X)
    if output.shape[1] == 1:
        return (output[:, 0] >= 0.5).astype(int)
    return np.argmax(output, axis=0)
''', hint="axis=0"),
    Answer("a06_predict_strict_threshold", "predict_answer", '''
def predict(model, X):
    output = model.forward_pass(X)
    if output.shape[1] == 1:
        return (output[:, 0] > 0.5).astype(int)
    return np.argmax(output, axis=1)
''', hint="> 0.5 instead of >= 0.5"),
    # ---------------------------------------------------------------- accuracy
    Answer("a06_accuracy_correct_over_incorrect", "accuracy_answer", '''
def accuracy(y_pred, y_true):
    correct = np.sum(np.ravel(y_pred) == np.ravel(y_true))
    incorrect = np.sum(np.ravel(y_pred) != np.ravel(y_true))
    return correct / incorrect
''', hint="correct / incorrect"),
    Answer("a06_accuracy_broadcasts", "accuracy_answer", '''
def accuracy(y_pred, y_true):
    return float(np.mean(np.asarray(y_pred) == np.asarray(y_true)))
''', hint="broadcasting"),
    Answer("a06_accuracy_error_rate", "accuracy_answer", '''
def accuracy(y_pred, y_true):
    return float(np.mean(np.ravel(y_pred) != np.ravel(y_true)))
''', hint="error rate"),
    Answer("a06_accuracy_count", "accuracy_answer", '''
def accuracy(y_pred, y_true):
    return int(np.sum(np.ravel(y_pred) == np.ravel(y_true)))
''', hint="not divided by the number of samples"),
    # ---------------------------------------------------------------- standardize
    Answer("a06_standardize_test_statistics", "standardize_answer", '''
def standardize(X_train, X_test):
    return ((X_train - X_train.mean(axis=0)) / X_train.std(axis=0),
            (X_test - X_test.mean(axis=0)) / X_test.std(axis=0))
''', hint="its own mean and std"),
    Answer("a06_standardize_ddof1", "standardize_answer", '''
def standardize(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    return (X_train - mean) / std, (X_test - mean) / std
''', hint="ddof=1"),
    Answer("a06_standardize_in_place", "standardize_answer", '''
def standardize(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    X_train -= mean
    X_train /= std
    X_test -= mean
    X_test /= std
    return X_train, X_test
''', hint="changed its inputs"),
    # ---------------------------------------------------------------- minibatches
    Answer("a06_minibatches_drop_last", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], Y[idx]
''', hint="the last, smaller batch is missing"),
    Answer("a06_minibatches_no_shuffle", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], Y[start:start + batch_size]
''', hint="no shuffling"),
    Answer("a06_minibatches_seed_tutorial", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    order = rng.permutation(len(X))
    i, num_batches = 0, int(len(X) / batch_size)
    for i in range(num_batches - 1):
        idx = order[i * batch_size:(i + 1) * batch_size]
        yield X[idx], Y[idx]
    idx = order[(i + 1) * batch_size:]
    yield X[idx], Y[idx]
''', hint="larger than batch_size"),
    Answer("a06_minibatches_targets_in_order", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], Y[start:start + batch_size]
''', hint="not the targets of the rows of X_batch"),
    Answer("a06_minibatches_indices", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    order = rng.permutation(len(X))
    return [order[start:start + batch_size] for start in range(0, len(X), batch_size)]
''', hint="not the indices"),
    Answer("a06_minibatches_own_generator", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    order = np.random.default_rng(0).permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], Y[idx]
''', hint="should draw a new permutation from rng"),
    Answer("a06_minibatches_returns_none", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    order = rng.permutation(len(X))
    batches = []
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        batches.append((X[idx], Y[idx]))
''', hint="returned None"),
    # ---------------------------------------------------------------- fit
    Answer("a06_fit_no_shuffle", "fit_answer", _fit(loop='''for start in range(0, len(X), batch_size):
            X_batch, Y_batch = X[start:start + batch_size], Y[start:start + batch_size]'''),
           hint="original order"),
    Answer("a06_fit_drops_last_batch", "fit_answer", _fit(loop='''for X_batch, Y_batch in batches(X, Y, batch_size, rng):
            if len(X_batch) < batch_size:
                continue'''), hint="the last, smaller batch is dropped"),
    Answer("a06_fit_summed_gradient", "fit_answer", _fit(step="learning_rate * len(X_batch) * grads['d' + name]"),
           hint="summed gradient"),
    Answer("a06_fit_batch_loss_history", "fit_answer",
           _fit(loss='model.loss_function["loss"](coef[f"x{model.L}"], Y_batch)'), hint="the last mini-batch"),
    Answer("a06_fit_loss_before_epoch", "fit_answer", _fit(record_first=True), hint="before the epoch"),
    Answer("a06_fit_no_bias_update", "fit_answer", _fit(names='[name for name in model.params if name[0] == "W"]'),
           hint="the biases are never updated"),
    Answer("a06_fit_output_layer_skipped", "fit_answer",
           _fit(names='[kind + str(l) for l in range(1, model.L) for kind in "Wb"]'), hint="the output layer"),
    Answer("a06_fit_ignores_batches", "fit_answer",
           _fit(loop="for X_batch, Y_batch in minibatches(X, Y, batch_size, rng):"), hint="once per epoch"),
    # ---------------------------------------------------------------- to_bits
    Answer("a06_to_bits_lsb_first", "to_bits_answer", '''
def to_bits(numbers, n_bits):
    numbers = np.asarray(numbers).reshape(-1, 1)
    return (numbers >> np.arange(n_bits)) & 1
''', hint="least significant bit first"),
    Answer("a06_to_bits_shift_off_by_one", "to_bits_answer", '''
def to_bits(numbers, n_bits):
    numbers = np.asarray(numbers).reshape(-1, 1)
    return (numbers >> np.arange(n_bits, 0, -1)) & 1
''', hint="from n_bits down to 1"),
    # ---------------------------------------------------------------- one_hot
    Answer("a06_one_hot_ignores_n_classes", "one_hot_answer", '''
def one_hot(labels, n_classes):
    labels = np.asarray(labels)
    return np.eye(labels.max() + 1)[labels]
''', hint="n_classes ignored"),
    Answer("a06_one_hot_transposed", "one_hot_answer", '''
def one_hot(labels, n_classes):
    return np.eye(n_classes)[np.asarray(labels)].T
''', hint="transposed"),
    # ---------------------------------------------------------------- softmax
    Answer("a06_softmax_overflows", "softmax_answer", '''
def softmax(Z):
    exps = np.exp(Z)
    return exps / exps.sum(axis=1, keepdims=True)
''', hint="overflow"),
    Answer("a06_softmax_global_max", "softmax_answer", '''
def softmax(Z):
    exps = np.exp(Z - np.max(Z))
    return exps / exps.sum(axis=1, keepdims=True)
''', hint="instead of each row's maximum"),
    Answer("a06_softmax_columns", "softmax_answer", '''
def softmax(Z):
    exps = np.exp(Z - Z.max(axis=0, keepdims=True))
    return exps / exps.sum(axis=0, keepdims=True)
''', hint="axis=0"),
    Answer("a06_softmax_in_place", "softmax_answer", '''
def softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    exps = np.exp(Z)
    return exps / exps.sum(axis=1, keepdims=True)
''', hint="changed its input Z"),
    # ---------------------------------------------------------------- softmax_cross_entropy
    Answer("a06_cross_entropy_sum", "softmax_cross_entropy_answer", '''
def softmax_cross_entropy(y_hat, Y):
    return float(-np.sum(Y * np.log(np.clip(y_hat, 1e-12, None))))
''', hint="the sum over the samples, not the mean"),
    Answer("a06_cross_entropy_mean_of_entries", "softmax_cross_entropy_answer", '''
def softmax_cross_entropy(y_hat, Y):
    return float(-np.mean(Y * np.log(np.clip(y_hat, 1e-12, None))))
''', hint="n * K"),
    Answer("a06_cross_entropy_unclipped", "softmax_cross_entropy_answer", '''
def softmax_cross_entropy(y_hat, Y):
    return float(-np.sum(Y * np.log(y_hat)) / len(y_hat))
''', hint="clip y_hat below at 1e-12"),
    # ---------------------------------------------------------------- softmax_cross_entropy_gradient
    Answer("a06_gradient_not_divided_by_n", "softmax_cross_entropy_gradient_answer", '''
def softmax_cross_entropy_gradient(y_hat, Y):
    return y_hat - Y
''', hint="not divided by n"),
    Answer("a06_gradient_wrt_y_hat", "softmax_cross_entropy_gradient_answer", '''
def softmax_cross_entropy_gradient(y_hat, Y):
    return -Y / y_hat / len(y_hat)
''', hint="dJ/dy_hat"),
    Answer("a06_gradient_sign", "softmax_cross_entropy_gradient_answer", '''
def softmax_cross_entropy_gradient(y_hat, Y):
    return (Y - y_hat) / len(y_hat)
''', hint="sign error"),
    # ---------------------------------------------------------------- confusion_matrix
    Answer("a06_confusion_transposed", "confusion_matrix_answer", '''
def confusion_matrix(y_true, y_pred, n_classes):
    C = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        C[p, t] += 1
    return C
''', hint="rows and columns swapped"),
    Answer("a06_confusion_size_from_data", "confusion_matrix_answer", '''
def confusion_matrix(y_true, y_pred, n_classes):
    k = int(max(np.max(y_true), np.max(y_pred))) + 1
    C = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred):
        C[t, p] += 1
    return C
''', hint="use n_classes"),
    # ---------------------------------------------------------------- load_params
    Answer("a06_load_params_npzfile", "load_params_answer", '''
def load_params(path):
    return np.load(path)
''', hint="should return a plain dict"),
    Answer("a06_load_params_closed_file", "load_params_answer", '''
def load_params(path):
    with np.load(path) as data:
        return data
''', hint="should return a plain dict"),
    Answer("a06_load_params_list", "load_params_answer", '''
def load_params(path):
    with np.load(path) as data:
        return [data[name] for name in data.files]
''', hint="should return a plain dict"),
]

RIGHT = [
    Answer("a06_predict_where", "predict_answer", '''
def predict(model, X):
    scores = model.forward_pass(X)
    if scores.shape[1] > 1:
        return scores.argmax(axis=1).astype(np.int64)
    return np.where(scores[:, 0] >= 0.5, 1, 0)
'''),
    Answer("a06_accuracy_by_counting", "accuracy_answer", '''
def accuracy(y_pred, y_true):
    pred, true = list(np.ravel(y_pred)), list(np.ravel(y_true))
    correct = sum(1 for p, t in zip(pred, true) if p == t)
    return correct / len(true)
'''),
    Answer("a06_standardize_by_hand", "standardize_answer", '''
def standardize(X_train, X_test):
    n = len(X_train)
    mean = np.sum(X_train, axis=0) / n
    std = np.sqrt(np.sum((X_train - mean) ** 2, axis=0) / n)
    return (X_train - mean) / std, (X_test - mean) / std
'''),
    Answer("a06_minibatches_list_of_pairs", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    order = np.arange(len(X))
    rng.shuffle(order)
    pieces = np.array_split(order, range(batch_size, len(X), batch_size))
    return [(X[piece], Y[piece]) for piece in pieces]
'''),
    Answer("a06_minibatches_while", "minibatches_answer", '''
def minibatches(X, Y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    start = 0
    while start < X.shape[0]:
        rows = order[start:start + batch_size]
        yield (X[rows, :], Y[rows, :])
        start += batch_size
'''),
    Answer("a06_fit_in_place_updates", "fit_answer", '''
def fit(model, X, Y, epochs, batch_size, learning_rate, rng, batches=None):
    batches = minibatches if batches is None else batches
    losses = []
    for epoch in range(epochs):
        for Xb, Yb in batches(X, Y, batch_size, rng):
            grads = model.backward_pass(Xb, Yb, model.forward_pass(Xb, training=True))
            for l in range(1, model.L + 1):
                model.params["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
                model.params["b" + str(l)] -= learning_rate * grads["db" + str(l)]
        losses.append(float(model.loss_function["loss"](model.forward_pass(X), Y)))
    return np.array(losses)
'''),
    Answer("a06_to_bits_strings", "to_bits_answer", '''
def to_bits(numbers, n_bits):
    return np.array([[int(c) for c in np.binary_repr(int(m), width=n_bits)] for m in numbers])
'''),
    Answer("a06_one_hot_loop", "one_hot_answer", '''
def one_hot(labels, n_classes):
    out = np.zeros((len(labels), n_classes))
    for row, label in enumerate(labels):
        out[row, label] = 1.0
    return out
'''),
    Answer("a06_softmax_log_sum_exp", "softmax_answer", '''
def softmax(Z):
    Z = np.asarray(Z, dtype=float)
    m = np.max(Z, axis=1, keepdims=True)
    log_norm = m + np.log(np.sum(np.exp(Z - m), axis=1, keepdims=True))
    return np.exp(Z - log_norm)
'''),
    Answer("a06_cross_entropy_by_indexing", "softmax_cross_entropy_answer", '''
def softmax_cross_entropy(y_hat, Y):
    n = len(y_hat)
    true_class = np.argmax(Y, axis=1)
    p = np.maximum(y_hat[np.arange(n), true_class], 1e-12)
    return -np.mean(np.log(p))
'''),
    Answer("a06_gradient_shape_0", "softmax_cross_entropy_gradient_answer", '''
def softmax_cross_entropy_gradient(y_hat, Y):
    return np.subtract(y_hat, Y) / np.shape(y_hat)[0]
'''),
    Answer("a06_confusion_loop", "confusion_matrix_answer", '''
def confusion_matrix(y_true, y_pred, n_classes):
    C = np.zeros((n_classes, n_classes), dtype=int)
    for i in range(n_classes):
        for j in range(n_classes):
            C[i, j] = np.sum((np.asarray(y_true) == i) & (np.asarray(y_pred) == j))
    return C
'''),
    Answer("a06_load_params_dict_call", "load_params_answer", '''
def load_params(path):
    return dict(np.load(path))
'''),
]
