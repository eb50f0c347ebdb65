"""Known answers to 07_training_in_practice: wrong ones that must lose points, right ones that must not."""
from known_answers import Answer

ASSIGNMENT = "07_training_in_practice"

_CIRCLE_HELPERS = '''
def dsigmoid(z):
    s = sigmoid(z)
    return {slope} * s * (1 - s)


def cross_entropy(y_hat, Y):
    y_hat = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return -np.sum(Y * np.log(y_hat) + (1 - Y) * np.log(1 - y_hat)) / Y.shape[{axis}]


def d_cross_entropy(y_hat, Y):
    y_hat = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return (y_hat - Y) / (y_hat * (1 - y_hat)) / {d_norm}


def gradients(params, X, Y):
    z1 = X @ params["W1"] + params["b1"]
    a1 = relu(z1)
    z2 = a1 @ params["W2"] + params["b2"]
    a2 = relu(z2)
    z3 = a2 @ params["W3"] + params["b3"]
    a3 = sigmoid(z3)
    dz3 = d_cross_entropy(a3, Y) * dsigmoid(z3)
    dz2 = (dz3 @ params["W3"].T) * relu_derivative(z2)
    dz1 = (dz2 @ params["W2"].T) * relu_derivative(z1)
    return {{"dW3": a2.T @ dz3, "db3": np.{bias}(dz3, axis=0, keepdims=True),
            "dW2": a1.T @ dz2, "db2": np.{bias}(dz2, axis=0, keepdims=True),
            "dW1": X.T @ dz1, "db1": np.{bias}(dz1, axis=0, keepdims=True)}}
'''


def _circles(slope="1", axis="0", d_norm="Y.shape[0]", bias="sum"):
    return _CIRCLE_HELPERS.format(slope=slope, axis=axis, d_norm=d_norm, bias=bias)


_EARLY_STOPPING = '''
def train_with_early_stopping(params, train_epoch, validation_loss, max_epochs, patience):
    history = [float(validation_loss(params))]
    best_epoch = 0
    best_params = {copy}
    for epoch in range(1, max_epochs + 1):
        train_epoch(params)
        history.append(float(validation_loss(params)))
        if history[epoch] {better} history[best_epoch]:
            best_epoch = epoch
            best_params = {copy}
        elif epoch - best_epoch {stop} patience:
            break
    for name, value in best_params.items():
        params[name] = value
    return {returned}, history
'''


def _early(copy="{name: value.copy() for name, value in params.items()}", better="<", stop=">=",
           returned="best_epoch"):
    return _EARLY_STOPPING.format(copy=copy, better=better, stop=stop, returned=returned)

_WEIGHT_DECAY = '''
def l2_penalty(params, lam):
    return {factor} * sum(np.sum(v ** 2) for k, v in params.items() if {penalised})


def add_weight_decay(grads, params, lam):
    new = dict(grads)
    for k, v in params.items():
        if {decayed}:
            new["d" + k] = grads["d" + k] + {step} * v
    return new
'''


def _decay(factor="lam / 2", penalised='k.startswith("W")', decayed='k.startswith("W")', step="lam"):
    """A weight-decay answer with one part changed."""
    return _WEIGHT_DECAY.format(factor=factor, penalised=penalised, decayed=decayed, step=step)


_DROPOUT = '''
def dropout_forward(X, keep_prob, rng, training=True):
    if not training:
        return {eval_out}, np.ones_like(X)
    mask = {mask}
    return X * mask, mask


def dropout_backward(d_out, mask):
    {backward}
'''


def _dropout(eval_out="X.copy()", mask="(rng.random(X.shape) < keep_prob) / keep_prob", backward="return d_out * mask"):
    """A dropout answer with one part changed."""
    return _DROPOUT.format(eval_out=eval_out, mask=mask, backward=backward)



WRONG = [
    # ---------------------------------------------------------------- tanh
    Answer("a07_tanh_derivative_of_z", "tanh_answer", '''
def tanh(z):
    return np.tanh(z)


def tanh_derivative(z):
    return 1 - z ** 2
''', hint="the slope must use tanh(z), not z"),
    Answer("a07_tanh_derivative_no_square", "tanh_answer", '''
def tanh(z):
    return np.tanh(z)


def tanh_derivative(z):
    return 1 - np.tanh(z)
''', hint="the square is missing"),
    Answer("a07_tanh_overflows", "tanh_answer", '''
def tanh(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def tanh_derivative(z):
    return 1 - tanh(z) ** 2
''', hint="overflow"),
    Answer("a07_tanh_derivative_at_output", "tanh_answer", '''
def tanh(z):
    return np.tanh(z)


def tanh_derivative(z):
    return 1 - np.tanh(tanh(z)) ** 2
''', hint="the slope taken at tanh(z)"),
    # ---------------------------------------------------------------- leaky ReLU
    Answer("a07_leaky_relu_slope_zero", "leaky_relu_answer", '''
def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z, alpha=0.01):
    return np.where(z > 0, 1.0, 0.0)
''', hint="0 instead of alpha"),
    Answer("a07_leaky_relu_fixed_alpha", "leaky_relu_answer", '''
def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, 0.01 * z)


def leaky_relu_derivative(z, alpha=0.01):
    return np.where(z > 0, 1.0, 0.01)
''', hint="no matter which alpha"),
    Answer("a07_leaky_relu_in_place", "leaky_relu_answer", '''
def leaky_relu(z, alpha=0.01):
    z[z < 0] *= alpha
    return z


def leaky_relu_derivative(z, alpha=0.01):
    return np.where(z > 0, 1.0, alpha)
''', hint="changed its input z"),
    # ---------------------------------------------------------------- initialize
    Answer("a07_initialize_transposed", "initialize_answer", '''
def initialize(layers_dims, std_rule, rng):
    params = {}
    for l in range(1, len(layers_dims)):
        n_in, n_out = layers_dims[l - 1], layers_dims[l]
        params[f"W{l}"] = rng.normal(0.0, std_rule(n_in, n_out), size=(n_out, n_in))
        params[f"b{l}"] = np.zeros((1, n_out))
    return params
''', hint="(fan_out, fan_in) instead of (fan_in, fan_out)"),
    Answer("a07_initialize_swapped_rule", "initialize_answer", '''
def initialize(layers_dims, std_rule, rng):
    params = {}
    for l in range(1, len(layers_dims)):
        n_in, n_out = layers_dims[l - 1], layers_dims[l]
        params[f"W{l}"] = rng.normal(0.0, std_rule(n_out, n_in), size=(n_in, n_out))
        params[f"b{l}"] = np.zeros((1, n_out))
    return params
''', hint="std_rule called as (fan_out, fan_in)"),
    Answer("a07_initialize_random_biases", "initialize_answer", '''
def initialize(layers_dims, std_rule, rng):
    params = {}
    for l in range(1, len(layers_dims)):
        n_in, n_out = layers_dims[l - 1], layers_dims[l]
        std = std_rule(n_in, n_out)
        params[f"W{l}"] = rng.normal(0.0, std, size=(n_in, n_out))
        params[f"b{l}"] = rng.normal(0.0, std, size=(1, n_out))
    return params
''', hint="biases start at zero"),
    # ---------------------------------------------------------------- Xavier and He
    Answer("a07_he_fan_out", "init_std_answer", '''
def xavier_std(fan_in, fan_out):
    return np.sqrt(2 / (fan_in + fan_out))


def he_std(fan_in, fan_out):
    return np.sqrt(2 / fan_out)
''', hint="He uses fan_in"),
    Answer("a07_init_variances", "init_std_answer", '''
def xavier_std(fan_in, fan_out):
    return 2 / (fan_in + fan_out)


def he_std(fan_in, fan_out):
    return 2 / fan_in
''', hint="instead of its square root"),
    Answer("a07_xavier_missing_two", "init_std_answer", '''
def xavier_std(fan_in, fan_out):
    return np.sqrt(1 / (fan_in + fan_out))


def he_std(fan_in, fan_out):
    return np.sqrt(2 / fan_in)
''', hint="the 2 is missing"),
    Answer("a07_he_without_relu_factor", "init_std_answer", '''
def xavier_std(fan_in, fan_out):
    return np.sqrt(2 / (fan_in + fan_out))


def he_std(fan_in, fan_out):
    return np.sqrt(1 / fan_in)
''', hint="the factor 2 for the ReLU is missing"),
    # ---------------------------------------------------------------- weight decay
    Answer("a07_weight_decay_factor_two", "weight_decay_answer", _decay(step="2 * lam"),
           hint="the 1/2 of the penalty cancels the 2 of the square"),
    Answer("a07_weight_decay_gradient_missing", "weight_decay_answer", '''
def l2_penalty(params, lam):
    return lam / 2 * sum(np.sum(v ** 2) for k, v in params.items() if k.startswith("W"))


def add_weight_decay(grads, params, lam):
    return dict(grads)
''', hint="lam * W is missing"),
    Answer("a07_weight_decay_biases", "weight_decay_answer", _decay(penalised="True", decayed="True"),
           hint="the biases are penalised too"),
    Answer("a07_weight_decay_in_place", "weight_decay_answer", '''
def l2_penalty(params, lam):
    return lam / 2 * sum(np.sum(v ** 2) for k, v in params.items() if k.startswith("W"))


def add_weight_decay(grads, params, lam):
    for k, v in params.items():
        if k.startswith("W"):
            grads["d" + k] += lam * v
    return grads
''', hint="changed grads"),
    Answer("a07_weight_decay_penalty_without_half", "weight_decay_answer", _decay(factor="lam"),
           hint="without the factor 1/2"),
    Answer("a07_weight_decay_half_lambda", "weight_decay_answer", _decay(step="lam / 2"),
           hint="lam / 2 * W instead of lam * W"),
    # ---------------------------------------------------------------- dropout
    Answer("a07_dropout_not_rescaled", "dropout_answer",
           _dropout(eval_out="X", mask="(rng.random(X.shape) < keep_prob).astype(float)"), hint="not inverted dropout"),
    Answer("a07_dropout_at_eval", "dropout_answer", '''
def dropout_forward(X, keep_prob, rng, training=True):
    mask = (rng.random(X.shape) < keep_prob) / keep_prob
    return X * mask, mask


def dropout_backward(d_out, mask):
    return d_out * mask
''', hint="dropout applied at evaluation time"),
    Answer("a07_dropout_old_style_eval", "dropout_answer",
           _dropout(eval_out="X * keep_prob", mask="(rng.random(X.shape) < keep_prob).astype(float)"),
           hint="not inverted dropout"),
    Answer("a07_dropout_keeps_wrong_side", "dropout_answer",
           _dropout(mask="(rng.random(X.shape) >= keep_prob) / keep_prob"), hint="u >= keep_prob"),
    Answer("a07_dropout_backward_unscaled", "dropout_answer", _dropout(backward="return d_out * (mask > 0)"),
           hint="not scaled by 1 / keep_prob"),
    Answer("a07_dropout_draws_at_eval", "dropout_answer", '''
def dropout_forward(X, keep_prob, rng, training=True):
    mask = (rng.random(X.shape) < keep_prob) / keep_prob
    if not training:
        return X.copy(), np.ones_like(X)
    return X * mask, mask


def dropout_backward(d_out, mask):
    return d_out * mask
''', hint="must not use rng"),
    Answer("a07_dropout_backward_in_place", "dropout_answer",
           _dropout(backward="d_out *= mask\n    return d_out"), hint="changed its input d_out"),
    # ---------------------------------------------------------------- early stopping
    Answer("a07_early_stopping_last_epoch", "early_stopping_answer", _early(returned="epoch"),
           hint="the last epoch trained instead of the best one"),
    Answer("a07_early_stopping_shallow_copy", "early_stopping_answer", _early(copy="dict(params)"),
           hint="the best ones were not copied"),
    Answer("a07_early_stopping_ties_later", "early_stopping_answer", _early(better="<="),
           hint="on a tie the later epoch was kept"),
    Answer("a07_early_stopping_patience_off_by_one", "early_stopping_answer", _early(stop=">"),
           hint="one epoch too many"),
    Answer("a07_early_stopping_old_calls", "early_stopping_answer", _early().replace("(params))", "())")
           .replace("train_epoch(params)", "train_epoch()"), hint="call train_epoch(params)"),
    Answer("a07_early_stopping_no_restore", "early_stopping_answer", '''
def train_with_early_stopping(params, train_epoch, validation_loss, max_epochs, patience):
    history = [float(validation_loss(params))]
    best_epoch = 0
    for epoch in range(1, max_epochs + 1):
        train_epoch(params)
        history.append(float(validation_loss(params)))
        if history[epoch] < history[best_epoch]:
            best_epoch = epoch
        elif epoch - best_epoch >= patience:
            break
    return best_epoch, history
''', hint="not restored"),
    # ---------------------------------------------------------------- find the bug
    Answer("a07_bug_untouched", "fix_the_bug_answer", _circles(slope="2", axis="1", d_norm="1", bias="mean"),
           hint="an extra factor of 2"),
    Answer("a07_bug_only_learning_rate", "fix_the_bug_answer",
           "LEARNING_RATE = 0.0005\n" + _circles(slope="2", axis="1", d_norm="1", bias="mean"),
           hint="a sum over the samples instead of a mean"),
    Answer("a07_bug_sigmoid_slope_left", "fix_the_bug_answer", _circles(slope="2"),
           hint="2 * s * (1 - s)"),
    Answer("a07_bug_summed_loss_left", "fix_the_bug_answer", _circles(axis="1"),
           hint="a sum over the samples instead of a mean"),
    Answer("a07_bug_derivative_not_mean", "fix_the_bug_answer", _circles(d_norm="1"),
           hint="not divided by n"),
    Answer("a07_bug_bias_mean_left", "fix_the_bug_answer", _circles(bias="mean"),
           hint="weights and biases scaled differently"),
]

RIGHT = [
    Answer("a07_tanh_by_exp_stable", "tanh_answer", '''
def tanh(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-2 * np.abs(z))
    return np.sign(z) * (1 - e) / (1 + e)


def tanh_derivative(z):
    t = tanh(z)
    return 1 - t ** 2
'''),
    Answer("a07_leaky_relu_by_mask", "leaky_relu_answer", '''
def leaky_relu(z, alpha=0.01):
    z = np.array(z, dtype=float)
    out = z.copy()
    out[z <= 0] = alpha * z[z <= 0]
    return out


def leaky_relu_derivative(z, alpha=0.01):
    z = np.asarray(z, dtype=float)
    slope = np.full(z.shape, float(alpha))
    slope[z > 0] = 1.0
    return slope
'''),
    Answer("a07_initialize_standard_normal", "initialize_answer", '''
def initialize(layers_dims, std_rule, rng):
    params = {}
    for l, (n_in, n_out) in enumerate(zip(layers_dims[:-1], layers_dims[1:]), start=1):
        params["W%d" % l] = std_rule(n_in, n_out) * rng.standard_normal((n_in, n_out))
        params["b%d" % l] = np.zeros((1, n_out))
    return params
'''),
    Answer("a07_init_std_math", "init_std_answer", '''
import math


def xavier_std(fan_in, fan_out):
    return math.sqrt(2.0 / (fan_in + fan_out))


def he_std(fan_in, fan_out):
    return (2.0 / fan_in) ** 0.5
'''),
    Answer("a07_weight_decay_loop", "weight_decay_answer", '''
def l2_penalty(params, lam):
    total = 0.0
    l = 1
    while f"W{l}" in params:
        total += np.sum(params[f"W{l}"] * params[f"W{l}"])
        l += 1
    return lam * total / 2


def add_weight_decay(grads, params, lam):
    return {k: (v + lam * params[k[1:]] if k.startswith("dW") else v) for k, v in grads.items()}
'''),
    Answer("a07_dropout_where", "dropout_answer", '''
def dropout_forward(X, keep_prob, rng, training=True):
    if training:
        mask = np.where(rng.random(np.shape(X)) < keep_prob, 1.0 / keep_prob, 0.0)
    else:
        mask = np.ones(np.shape(X))
    return X * mask, mask


def dropout_backward(d_out, mask):
    return mask * d_out
'''),
    Answer("a07_early_stopping_deepcopy", "early_stopping_answer", '''
import copy


def train_with_early_stopping(params, train_epoch, validation_loss, max_epochs, patience):
    history = [validation_loss(params)]
    best_epoch, best, waited = 0, copy.deepcopy(params), 0
    for epoch in range(1, max_epochs + 1):
        train_epoch(params)
        loss = validation_loss(params)
        history.append(loss)
        if loss < min(history[:-1]):
            best_epoch, best, waited = epoch, copy.deepcopy(params), 0
        else:
            waited += 1
            if waited == patience:
                break
    params.update(best)
    return best_epoch, history
'''),
    Answer("a07_bug_simplified_delta", "fix_the_bug_answer", '''
def dsigmoid(z):
    s = sigmoid(z)
    return s * (1 - s)


def cross_entropy(y_hat, Y):
    y_hat = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return float(-np.mean(Y * np.log(y_hat) + (1 - Y) * np.log(1 - y_hat)))


def d_cross_entropy(y_hat, Y):
    y_hat = np.clip(y_hat, 1e-12, 1 - 1e-12)
    return (y_hat - Y) / (y_hat * (1 - y_hat)) / len(Y)


def gradients(params, X, Y):
    n = len(X)
    a1 = relu(X @ params["W1"] + params["b1"])
    a2 = relu(a1 @ params["W2"] + params["b2"])
    a3 = sigmoid(a2 @ params["W3"] + params["b3"])
    dz3 = (a3 - Y) / n                         # the sigmoid's slope cancels the derivative's denominator
    dz2 = (dz3 @ params["W3"].T) * (a2 > 0)
    dz1 = (dz2 @ params["W2"].T) * (a1 > 0)
    return {"dW3": a2.T @ dz3, "db3": dz3.sum(axis=0, keepdims=True),
            "dW2": a1.T @ dz2, "db2": dz2.sum(axis=0, keepdims=True),
            "dW1": X.T @ dz1, "db1": dz1.sum(axis=0, keepdims=True)}
'''),
]
