"""Known answers to 08_autodiff: wrong ones that must lose points, right ones that must not."""
from known_answers import Answer

ASSIGNMENT = "08_autodiff"

# ---------------------------------------------------------------- exercise 1: + and *
_ADD_MUL = '''
def value_add(self, other):
    other = as_value(other)
    out = Value({add_data}, (self, other), "+")

    def _backward():
        {add_backward}
    out._backward = _backward
    return out


def value_mul(self, other):
    other = as_value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        {mul_backward}
    out._backward = _backward
    return out


Value.__add__ = value_add
Value.__mul__ = value_mul
'''


def _add_mul(add_data="self.data + other.data",
             add_backward="self.grad += out.grad\n        other.grad += out.grad",
             mul_backward="self.grad += other.data * out.grad\n        other.grad += self.data * out.grad"):
    """An answer to exercise 1 with one part changed."""
    return _ADD_MUL.format(add_data=add_data, add_backward=add_backward, mul_backward=mul_backward)


# ---------------------------------------------------------------- exercise 2: -, / and **
_SUB_DIV_POW = '''
def value_neg(self):
    out = Value(-self.data, (self,), "neg")

    def _backward():
        {neg_backward}
    out._backward = _backward
    return out


def value_sub(self, other):
    other = as_value(other)
    out = Value(self.data - other.data, (self, other), "-")

    def _backward():
        {sub_backward}
    out._backward = _backward
    return out


def value_truediv(self, other):
    other = as_value(other)
    out = Value(self.data / other.data, (self, other), "/")

    def _backward():
        {div_backward}
    out._backward = _backward
    return out


def value_pow(self, k):
    out = Value(self.data ** k, (self,), f"**{{k}}")

    def _backward():
        {pow_backward}
    out._backward = _backward
    return out


Value.__neg__ = value_neg
Value.__sub__ = value_sub
Value.__truediv__ = value_truediv
Value.__pow__ = value_pow
'''


def _sub_div_pow(neg_backward="self.grad -= out.grad",
                 sub_backward="self.grad += out.grad\n        other.grad -= out.grad",
                 div_backward="self.grad += out.grad / other.data\n"
                              "        other.grad -= out.grad * self.data / other.data ** 2",
                 pow_backward="self.grad += k * self.data ** (k - 1) * out.grad"):
    """An answer to exercise 2 with one part changed."""
    return _SUB_DIV_POW.format(neg_backward=neg_backward, sub_backward=sub_backward, div_backward=div_backward,
                               pow_backward=pow_backward)


# ---------------------------------------------------------------- exercise 3: exp, log, tanh, relu
_FUNCTIONS = '''
def value_exp(self):
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad
    out._backward = _backward
    return out


def value_log(self):
    out = Value(math.log(self.data), (self,), "log")

    def _backward():
        {log_backward}
    out._backward = _backward
    return out


def value_tanh(self):
    out = Value({tanh_data}, (self,), "tanh")

    def _backward():
        {tanh_backward}
    out._backward = _backward
    return out


def value_relu(self):
    out = Value(max(0.0, self.data), (self,), "relu")

    def _backward():
        {relu_backward}
    out._backward = _backward
    return out


Value.exp = value_exp
Value.log = value_log
Value.tanh = value_tanh
Value.relu = value_relu
'''


def _functions(log_backward="self.grad += out.grad / self.data", tanh_data="math.tanh(self.data)",
               tanh_backward="self.grad += (1.0 - out.data ** 2) * out.grad",
               relu_backward="self.grad += (1.0 if self.data > 0 else 0.0) * out.grad"):
    """An answer to exercise 3 with one part changed."""
    return _FUNCTIONS.format(log_backward=log_backward, tanh_data=tanh_data, tanh_backward=tanh_backward,
                             relu_backward=relu_backward)


# ---------------------------------------------------------------- exercise 4: topological order
_TOPOLOGICAL_ORDER = '''
def topological_order(self):
{body}


Value.topological_order = topological_order
'''


def _topological(body):
    return _TOPOLOGICAL_ORDER.format(body=body)


# ---------------------------------------------------------------- exercise 5: backward
_BACKWARD = '''
def backward(self):
{body}


Value.backward = backward
'''


def _backward(body):
    return _BACKWARD.format(body=body)


WRONG = [
    # ---------------------------------------------------------------- + and *
    Answer("a08_add_assigns", "add_mul_answer",
           _add_mul(add_backward="self.grad = out.grad\n        other.grad = out.grad"), hint="= instead of +="),
    Answer("a08_mul_assigns", "add_mul_answer",
           _add_mul(mul_backward="self.grad = other.data * out.grad\n        other.grad = self.data * out.grad"),
           hint="= instead of +="),
    Answer("a08_mul_own_value", "add_mul_answer",
           _add_mul(mul_backward="self.grad += self.data * out.grad\n        other.grad += other.data * out.grad"),
           hint="the input's own data instead of the other input's"),
    Answer("a08_add_no_backward", "add_mul_answer",
           _add_mul(add_backward="pass"), hint="is the inner function attached"),
    Answer("a08_add_no_number", "add_mul_answer", '''
def value_add(self, other):
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad += out.grad
        other.grad += out.grad
    out._backward = _backward
    return out


def value_mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad
    out._backward = _backward
    return out


Value.__add__ = value_add
Value.__mul__ = value_mul
''', hint="as_value(other)"),
    Answer("a08_add_returns_number", "add_mul_answer", '''
def value_add(self, other):
    other = as_value(other)
    return self.data + other.data


def value_mul(self, other):
    other = as_value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad
    out._backward = _backward
    return out


Value.__add__ = value_add
Value.__mul__ = value_mul
''', hint="should give a new Value"),
    Answer("a08_add_in_place", "add_mul_answer", '''
def value_add(self, other):
    other = as_value(other)
    self.data = self.data + other.data
    return self


def value_mul(self, other):
    other = as_value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad
    out._backward = _backward
    return out


Value.__add__ = value_add
Value.__mul__ = value_mul
''', hint="leave the inputs alone"),
    # ---------------------------------------------------------------- -, / and **
    Answer("a08_sub_sign", "sub_div_pow_answer",
           _sub_div_pow(sub_backward="self.grad += out.grad\n        other.grad += out.grad"),
           hint="+ out.grad instead of - out.grad"),
    Answer("a08_sub_assigns", "sub_div_pow_answer",
           _sub_div_pow(sub_backward="self.grad = out.grad\n        other.grad = -out.grad"), hint="= instead of +="),
    Answer("a08_div_sign", "sub_div_pow_answer",
           _sub_div_pow(div_backward="self.grad += out.grad / other.data\n"
                                     "        other.grad += out.grad * self.data / other.data ** 2"),
           hint="+a/b**2 instead of -a/b**2"),
    Answer("a08_div_forgets_numerator", "sub_div_pow_answer",
           _sub_div_pow(div_backward="self.grad += out.grad / other.data\n"
                                     "        other.grad -= out.grad / other.data ** 2"),
           hint="-1/b**2 (a left out)"),
    Answer("a08_div_not_squared", "sub_div_pow_answer",
           _sub_div_pow(div_backward="self.grad += out.grad / other.data\n"
                                     "        other.grad -= out.grad * self.data / other.data"),
           hint="-a/b (not squared)"),
    Answer("a08_div_composed", "sub_div_pow_answer", _sub_div_pow().replace(
        'out = Value(self.data / other.data, (self, other), "/")', 'return self * other ** -1'),
        hint="write it directly"),
    Answer("a08_pow_k_x_to_k", "sub_div_pow_answer",
           _sub_div_pow(pow_backward="self.grad += k * self.data ** k * out.grad"),
           hint="k * x ** k instead of k * x ** (k - 1)"),
    Answer("a08_pow_no_factor_k", "sub_div_pow_answer",
           _sub_div_pow(pow_backward="self.grad += self.data ** (k - 1) * out.grad"), hint="the factor k is missing"),
    Answer("a08_neg_sign", "sub_div_pow_answer", _sub_div_pow(neg_backward="self.grad += out.grad"),
           hint="+ out.grad instead of - out.grad"),
    # ---------------------------------------------------------------- exp, log, tanh, relu
    Answer("a08_tanh_of_input", "functions_answer",
           _functions(tanh_backward="self.grad += (1.0 - self.data ** 2) * out.grad"),
           hint="the slope needs tanh(x), not x"),
    Answer("a08_tanh_no_square", "functions_answer",
           _functions(tanh_backward="self.grad += (1.0 - out.data) * out.grad"), hint="the square is missing"),
    Answer("a08_tanh_overflows", "functions_answer",
           _functions(tanh_data="(math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)"),
           hint="OverflowError"),
    Answer("a08_log_of_output", "functions_answer",
           _functions(log_backward="self.grad += out.grad / out.data"), hint="1/log(x), the output"),
    Answer("a08_log_x", "functions_answer",
           _functions(log_backward="self.grad += self.data * out.grad"), hint="x instead of 1/x"),
    Answer("a08_log_assigns", "functions_answer",
           _functions(log_backward="self.grad = out.grad / self.data"), hint="= instead of +="),
    Answer("a08_relu_slope_one_at_zero", "functions_answer",
           _functions(relu_backward="self.grad += (1.0 if self.data >= 0 else 0.0) * out.grad"),
           hint="a slope of 1 at exactly 0"),
    Answer("a08_relu_output_as_slope", "functions_answer",
           _functions(relu_backward="self.grad += out.data * out.grad"), hint="relu(x) instead of its slope"),
    # ---------------------------------------------------------------- topological order
    Answer("a08_topo_preorder", "topological_order_answer", _topological('''    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            order.append(node)
            for parent in node._prev:
                visit(parent)
    visit(self)
    return order'''), hint="append a node only after visiting everything in its _prev"),
    Answer("a08_topo_no_visited", "topological_order_answer", _topological('''    order = []

    def visit(node):
        for parent in node._prev:
            visit(parent)
        order.append(node)
    visit(self)
    return order'''), hint="remember the visited nodes"),
    Answer("a08_topo_direct_inputs_only", "topological_order_answer", _topological('''    order = []
    for parent in self._prev:
        if parent not in order:
            order.append(parent)
    return order + [self]'''), hint="visit the _prev of every node you reach"),
    Answer("a08_topo_breadth_first", "topological_order_answer", _topological('''    order, seen, queue = [], set(), [self]
    while queue:
        node = queue.pop(0)
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        queue.extend(node._prev)
    return order[::-1]'''), hint="append a node only after visiting everything in its _prev"),
    # ---------------------------------------------------------------- backward
    Answer("a08_backward_not_reversed", "backward_answer", _backward('''    order = self.topological_order()
    for node in order:
        node.grad = 0.0
    self.grad = 1.0
    for node in order:
        node._backward()'''), hint="from the end (reversed)"),
    Answer("a08_backward_no_reset", "backward_answer", _backward('''    self.grad = 1.0
    for node in reversed(self.topological_order()):
        node._backward()'''), hint="not reset to 0"),
    Answer("a08_backward_no_seed", "backward_answer", _backward('''    order = self.topological_order()
    for node in order:
        node.grad = 0.0
    for node in reversed(order):
        node._backward()'''), hint="self.grad was not set to 1.0"),
    Answer("a08_backward_depth_first_from_root", "backward_answer", _backward('''    for node in self.topological_order():
        node.grad = 0.0
    self.grad = 1.0

    def push(node):
        node._backward()
        for parent in node._prev:
            push(parent)
    push(self)'''), hint="ran before that of"),
]

RIGHT = [
    Answer("a08_add_mul_iadd_free", "add_mul_answer", '''
def value_add(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, [self, other], "+")

    def _backward():
        self.grad = self.grad + out.grad
        other.grad = other.grad + out.grad
    out._backward = _backward
    return out


def value_mul(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (other, self), "*")

    def _backward():
        self.grad = self.grad + other.data * out.grad
        other.grad = other.grad + self.data * out.grad
    out._backward = _backward
    return out


Value.__add__ = value_add
Value.__mul__ = value_mul
'''),
    Answer("a08_neg_by_mul", "sub_div_pow_answer", _sub_div_pow().replace(
        'out = Value(-self.data, (self,), "neg")', 'return self * -1')),
    Answer("a08_functions_from_input", "functions_answer",
           _functions(tanh_backward="self.grad += (1.0 - math.tanh(self.data) ** 2) * out.grad",
                      relu_backward="self.grad += out.grad if self.data > 0 else 0.0",
                      log_backward="self.grad += (1 / self.data) * out.grad")),
    Answer("a08_topo_iterative", "topological_order_answer", _topological('''    order, visited, stack = [], set(), [(self, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            for parent in reversed(node._prev):
                if parent not in visited:
                    stack.append((parent, False))
    return order''')),
    Answer("a08_topo_kahn", "topological_order_answer", _topological('''    nodes, stack = {}, [self]
    while stack:
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node._prev)
    users = {key: 0 for key in nodes}
    for node in nodes.values():
        for parent in set(map(id, node._prev)):
            users[parent] += 1
    ready, backwards = [self], []
    while ready:
        node = ready.pop()
        backwards.append(node)
        for parent in {id(p): p for p in node._prev}.values():
            users[id(parent)] -= 1
            if users[id(parent)] == 0:
                ready.append(parent)
    return backwards[::-1]''')),
    Answer("a08_backward_zero_grad_loop", "backward_answer", _backward('''    order = list(self.topological_order())
    for node in order:
        node.grad = 0
    order[-1].grad = 1
    for i in range(len(order) - 1, -1, -1):
        order[i]._backward()''')),
]

# ---------------------------------------------------------------- exercise 6: layer and the loss
_LAYER = '''
def layer(inputs, W, b, activation):
    outputs = []
    for j in range(len(b)):
        z = {start}
        for i in range(len(inputs)):
            z = z + {product}
        outputs.append({output})
    return outputs


def half_mean_squared_error(predictions, targets):
    total = 0.0
    for prediction, target in zip(predictions, targets):
        total = total + (prediction - target) ** 2
    return total / ({divisor})
'''


def _layer(start="b[j]", product="inputs[i] * W[i][j]", output="activation(z)", divisor="2 * len(predictions)"):
    """An answer to exercise 6 with one part changed."""
    return _LAYER.format(start=start, product=product, output=output, divisor=divisor)


# ---------------------------------------------------------------- exercise 7: numerical Jacobian
_JACOBIAN = '''
def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = {step}
        columns.append({column})
    return np.stack(columns, axis={axis})
'''


def _jacobian(step="h", column="(np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * h)", axis="1"):
    return _JACOBIAN.format(step=step, column=column, axis=axis)


# ---------------------------------------------------------------- exercise 9: gradient_check
_GRADIENT_CHECK = '''
def gradient_check(net, X, Y, h=1e-5):
    grads = net.backward_pass(X, Y, net.forward_pass(X, training=True))
    errors = {{}}
    for name, param in {params}:
        numerical = np.zeros(param.shape)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + {h}
            loss_plus = net.loss_function["loss"](net.forward_pass(X), Y)
            param[index] = {low}
            loss_minus = net.loss_function["loss"](net.forward_pass(X), Y)
            {restore}
            numerical[index] = (loss_plus - loss_minus) / ({divisor})
        errors[name] = relative_error(grads["d" + name], numerical)
    return errors
'''


def _gradient_check(params="net.params.items()", h="h", low="saved - h", restore="param[index] = saved",
                    divisor="2 * h"):
    """An answer to exercise 9 with one part changed."""
    return _GRADIENT_CHECK.format(params=params, h=h, low=low, restore=restore, divisor=divisor)


WRONG += [
    # ---------------------------------------------------------------- layer and the loss
    Answer("a08_layer_no_bias", "layer_answer", _layer(start="0.0"), hint="the bias left out"),
    Answer("a08_layer_transposed", "layer_answer", _layer(product="inputs[i] * W[j][i]"),
           hint="W[i][j] links input i to neuron j"),
    Answer("a08_layer_activation_per_product", "layer_answer",
           _layer(start="activation(b[j])", product="activation(inputs[i] * W[i][j])", output="z"),
           hint="not on each product"),
    Answer("a08_layer_no_activation", "layer_answer", _layer(output="z"), hint="never called activation"),
    Answer("a08_loss_no_half", "layer_answer", _layer(divisor="len(predictions)"), hint="the 1/2 is missing"),
    Answer("a08_loss_sum", "layer_answer", _layer(divisor="2"), hint="a sum instead of a mean"),
    # ---------------------------------------------------------------- numerical Jacobian
    Answer("a08_jacobian_transposed", "numerical_jacobian_answer", _jacobian(axis="0"), hint="the transpose"),
    Answer("a08_jacobian_one_sided", "numerical_jacobian_answer",
           _jacobian(column="(np.asarray(f(x + step)) - np.asarray(f(x))) / h"), hint="one-sided"),
    Answer("a08_jacobian_fixed_step", "numerical_jacobian_answer",
           _jacobian(step="1e-5", column="(np.asarray(f(x + step)) - np.asarray(f(x - step))) / 2e-5"),
           hint="instead of the h given"),
    Answer("a08_jacobian_nudges_x", "numerical_jacobian_answer", '''
def numerical_jacobian(f, x, h=1e-5):
    columns = []
    for j in range(len(x)):
        x[j] += h
        plus = np.array(f(x), dtype=float)
        x[j] -= 2 * h
        minus = np.array(f(x), dtype=float)
        columns.append((plus - minus) / (2 * h))
    return np.stack(columns, axis=1)
''', hint="changed x"),
    # ---------------------------------------------------------------- softmax VJP
    Answer("a08_vjp_diagonal", "softmax_vjp_answer", '''
def softmax_vjp(P, G):
    return P * (1 - P) * G
''', hint="only the diagonal of the softmax Jacobian"),
    Answer("a08_vjp_columns", "softmax_vjp_answer", '''
def softmax_vjp(P, G):
    return P * (G - np.sum(G * P, axis=0, keepdims=True))
''', hint="each column (axis=0)"),
    Answer("a08_vjp_no_keepdims", "softmax_vjp_answer", '''
def softmax_vjp(P, G):
    return P * (G - np.sum(G * P, axis=1))
''', hint="keepdims=True"),
    Answer("a08_vjp_whole_sum", "softmax_vjp_answer", '''
def softmax_vjp(P, G):
    return P * (G - np.sum(G * P))
''', hint="the whole array"),
    # ---------------------------------------------------------------- gradient_check
    Answer("a08_gc_one_sided", "gradient_check_answer", _gradient_check(low="saved", divisor="h"), hint="one-sided"),
    Answer("a08_gc_tiny_step", "gradient_check_answer",
           _gradient_check(h="1e-12", low="saved - 1e-12", divisor="2e-12"), hint="rounding errors"),
    Answer("a08_gc_first_array_only", "gradient_check_answer",
           _gradient_check(params="list(net.params.items())[:1]"), hint="not only the first"),
    Answer("a08_gc_not_restored", "gradient_check_answer", _gradient_check(restore="pass"),
           hint="put every entry back"),
    Answer("a08_gc_nudges_a_copy", "gradient_check_answer",
           _gradient_check(params="((name, value.copy()) for name, value in net.params.items())"),
           hint="did the nudges reach the network"),
    # ---------------------------------------------------------------- optimizers
    Answer("a08_momentum_not_carried", "momentum_answer", '''
def momentum_step(params, grads, state, learning_rate, beta=0.9):
    for name in params:
        velocity = beta * state.get(name, 0.0) + grads[name]
        params[name] = params[name] - learning_rate * velocity
''', hint="the velocity is not carried"),
    Answer("a08_momentum_average", "momentum_answer", '''
def momentum_step(params, grads, state, learning_rate, beta=0.9):
    for name in params:
        state[name] = beta * state.get(name, 0.0) + (1 - beta) * grads[name]
        params[name] = params[name] - learning_rate * state[name]
''', hint="(1 - beta) * g"),
    Answer("a08_momentum_global", "momentum_answer", '''
VELOCITY = {}


def momentum_step(params, grads, state, learning_rate, beta=0.9):
    for name in params:
        VELOCITY[name] = beta * VELOCITY.get(name, 0.0) + grads[name]
        params[name] = params[name] - learning_rate * VELOCITY[name]
''', hint="not in a global variable"),
    Answer("a08_momentum_grads_in_place", "momentum_answer", '''
def momentum_step(params, grads, state, learning_rate, beta=0.9):
    for name in params:
        grads[name] += beta * state.get(name, 0.0)
        state[name] = grads[name]
        params[name] = params[name] - learning_rate * grads[name]
''', hint="changed the gradients"),
    Answer("a08_rmsprop_no_root", "rmsprop_answer", '''
def rmsprop_step(params, grads, state, learning_rate, rho=0.9, eps=1e-8):
    for name in params:
        state[name] = rho * state.get(name, 0.0) + (1 - rho) * grads[name] ** 2
        params[name] = params[name] - learning_rate * grads[name] / (state[name] + eps)
''', hint="square root"),
    Answer("a08_rmsprop_not_carried", "rmsprop_answer", '''
def rmsprop_step(params, grads, state, learning_rate, rho=0.9, eps=1e-8):
    for name in params:
        mean_square = rho * state.get(name, 0.0) + (1 - rho) * grads[name] ** 2
        params[name] = params[name] - learning_rate * grads[name] / (np.sqrt(mean_square) + eps)
''', hint="not carried"),
    Answer("a08_rmsprop_no_mean_factor", "rmsprop_answer", '''
def rmsprop_step(params, grads, state, learning_rate, rho=0.9, eps=1e-8):
    for name in params:
        state[name] = rho * state.get(name, 0.0) + grads[name] ** 2
        params[name] = params[name] - learning_rate * grads[name] / (np.sqrt(state[name]) + eps)
''', hint="(1 - rho)"),
    Answer("a08_adam_no_bias_correction", "adam_answer", '''
def adam_step(params, grads, state, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    for name in params:
        state["m" + name] = beta1 * state.get("m" + name, 0.0) + (1 - beta1) * grads[name]
        state["v" + name] = beta2 * state.get("v" + name, 0.0) + (1 - beta2) * grads[name] ** 2
        params[name] = params[name] - learning_rate * state["m" + name] / (np.sqrt(state["v" + name]) + eps)
''', hint="without the bias correction"),
    Answer("a08_adam_t_per_array", "adam_answer", '''
def adam_step(params, grads, state, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    for name in params:
        state["t"] = state.get("t", 0) + 1
        t = state["t"]
        state["m" + name] = beta1 * state.get("m" + name, 0.0) + (1 - beta1) * grads[name]
        state["v" + name] = beta2 * state.get("v" + name, 0.0) + (1 - beta2) * grads[name] ** 2
        m_hat = state["m" + name] / (1 - beta1 ** t)
        v_hat = state["v" + name] / (1 - beta2 ** t)
        params[name] = params[name] - learning_rate * m_hat / (np.sqrt(v_hat) + eps)
''', hint="once per parameter array"),
]

RIGHT += [
    Answer("a08_layer_with_sum", "layer_answer", '''
def layer(inputs, W, b, activation):
    return [activation(sum(x * row[j] for x, row in zip(inputs, W)) + b[j]) for j in range(len(b))]


def half_mean_squared_error(predictions, targets):
    n = len(predictions)
    return sum((p - t) * (p - t) for p, t in zip(predictions, targets)) * (0.5 / n)
'''),
    Answer("a08_jacobian_in_place_restored", "numerical_jacobian_answer", '''
def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    J = None
    for j in range(x.size):
        saved = x[j]
        x[j] = saved + h
        plus = np.atleast_1d(np.asarray(f(x), dtype=float)).copy()
        x[j] = saved - h
        minus = np.atleast_1d(np.asarray(f(x), dtype=float)).copy()
        x[j] = saved
        if J is None:
            J = np.zeros((plus.size, x.size))
        J[:, j] = (plus - minus) / (2 * h)
    return J
'''),
    Answer("a08_vjp_dot_product", "softmax_vjp_answer", '''
def softmax_vjp(P, G):
    dots = np.einsum("nk,nk->n", G, P)[:, None]
    return P * G - P * dots
'''),
    Answer("a08_gc_copy_in_and_out", "gradient_check_answer", '''
def gradient_check(net, X, Y, h=1e-5):
    coef = net.forward_pass(X, training=True)
    grads = net.backward_pass(X, Y, coef)

    def loss():
        return net.loss_function["loss"](net.forward_pass(X), Y)

    errors = {}
    for name in list(net.params):
        original = net.params[name].copy()
        numerical = np.zeros_like(original)
        for index in np.ndindex(original.shape):
            nudged = original.copy()
            nudged[index] += h
            net.params[name] = nudged
            up = loss()
            nudged = original.copy()
            nudged[index] -= h
            net.params[name] = nudged
            down = loss()
            numerical[index] = (up - down) / (2 * h)
        net.params[name] = original
        errors[name] = float(relative_error(grads["d" + name], numerical))
    return errors
'''),
    Answer("a08_momentum_classic_form", "momentum_answer", '''
def momentum_step(params, grads, state, learning_rate, beta=0.9):
    for name in params:
        v = beta * state.get(name, 0.0) - learning_rate * grads[name]
        state[name] = v
        params[name] += v
'''),
    Answer("a08_rmsprop_eps_inside_root", "rmsprop_answer", '''
def rmsprop_step(params, grads, state, learning_rate, rho=0.9, eps=1e-8):
    for name, g in grads.items():
        s = state.setdefault("s", {}).get(name, np.zeros_like(g))
        s = rho * s + (1 - rho) * g * g
        state["s"][name] = s
        params[name] -= learning_rate * g / np.sqrt(s + eps)
'''),
    Answer("a08_adam_nested_state", "adam_answer", '''
def adam_step(params, grads, state, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    if not state:
        state.update(t=0, m={k: np.zeros_like(v) for k, v in params.items()},
                     v={k: np.zeros_like(v) for k, v in params.items()})
    state["t"] += 1
    t = state["t"]
    for k in params:
        state["m"][k] = beta1 * state["m"][k] + (1 - beta1) * grads[k]
        state["v"][k] = beta2 * state["v"][k] + (1 - beta2) * grads[k] ** 2
        step = learning_rate * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        params[k] -= step * state["m"][k] / (np.sqrt(state["v"][k]) + eps * np.sqrt(1 - beta2 ** t))
'''),
]

WRONG += [
    Answer("a08_layer_float", "layer_answer", _layer(start="float(b[j])", product="float(inputs[i] * W[i][j])"),
           hint="so that they work for Values too"),
    Answer("a08_loss_math_pow", "layer_answer", _layer().replace("(prediction - target) ** 2",
                                                                 "math.pow(prediction - target, 2)"),
           hint="no float(), math or .data"),
]

WRONG += [
    Answer("a08_momentum_returns_params", "momentum_answer", '''
def momentum_step(params, grads, state, learning_rate, beta=0.9):
    new = {}
    for name in params:
        state[name] = beta * state.get(name, 0.0) + grads[name]
        new[name] = params[name] - learning_rate * state[name]
    return new
''', hint="change params itself"),
]

WRONG += [
    Answer("a08_mul_no_out_grad", "add_mul_answer",
           _add_mul(mul_backward="self.grad += other.data\n        other.grad += self.data"), hint="out.grad left out"),
    Answer("a08_div_times_b", "sub_div_pow_answer",
           _sub_div_pow(div_backward="self.grad += out.grad * other.data\n"
                                     "        other.grad -= out.grad * self.data / other.data ** 2"),
           hint="b instead of 1/b"),
    Answer("a08_exp_input", "functions_answer",
           _functions().replace("self.grad += out.data * out.grad", "self.grad += self.data * out.grad"),
           hint="x instead of exp(x)"),
    Answer("a08_backward_reset_after_seed", "backward_answer", _backward('''    order = self.topological_order()
    self.grad = 1.0
    for node in order:
        node.grad = 0.0
    for node in reversed(order):
        node._backward()'''), hint="self.grad was not set to 1.0"),
    Answer("a08_layer_bias_per_input", "layer_answer", _layer(start="0.0", product="inputs[i] * W[i][j] + b[j]"),
           hint="the bias added once per input"),
    Answer("a08_loss_precedence", "layer_answer",
           _layer().replace("return total / (2 * len(predictions))", "return total / 2 * len(predictions)"),
           hint="then multiplied by n"),
    Answer("a08_gc_wrong_key", "gradient_check_answer",
           _gradient_check().replace('grads["d" + name]', "grads[name]"), hint="grads['dW1']"),
    Answer("a08_momentum_one_velocity", "momentum_answer", '''
def momentum_step(params, grads, state, learning_rate, beta=0.9):
    for name in params:
        state["velocity"] = beta * state.get("velocity", 0.0) + grads[name]
        params[name] = params[name] - learning_rate * state["velocity"]
''', hint="one entry per parameter array"),
]
