"""Known answers to 01_chain_rule: wrong ones that must lose points, right ones that must not."""
from known_answers import Answer

ASSIGNMENT = "01_chain_rule"

WRONG = [
    Answer("dh_dx_no_inner", "dh_dx_answer",
           "def dh_dx(x):\n    return np.cos(x**2)\n", hint="inner derivative"),
    Answer("dh_dx_outer_at_x", "dh_dx_answer",
           "def dh_dx(x):\n    return 2 * x * np.cos(x)\n", hint="evaluated at x"),
    Answer("dh_dx_sign", "dh_dx_answer",
           "def dh_dx(x):\n    return -2 * x * np.cos(x**2)\n", hint="sign error"),
    Answer("dh_dx_math_module", "dh_dx_answer",
           "import math\n\ndef dh_dx(x):\n    return 2 * x * math.cos(x**2)\n", hint="use np.sin and np.cos"),
    Answer("dk_dx_missing_3", "dk_dx_answer",
           "def dk_dx(x):\n    u = 3 * x - 1\n    return 2 * u / (1 + u**2)\n", hint="du/dx = 3"),
    Answer("dk_dx_missing_1_over_v", "dk_dx_answer",
           "def dk_dx(x):\n    return 6 * (3 * x - 1)\n", hint="1/v"),
    Answer("dk_dx_missing_2", "dk_dx_answer",
           "def dk_dx(x):\n    u = 3 * x - 1\n    return 1 / (1 + u**2) * u * 3\n", hint="the 2 from differentiating"),
    Answer("paths_without_inner", "path_contributions_answer",
           "def path_contributions(x):\n    return np.array([np.sin(x), x**2, 2 * np.exp(x)])\n",
           hint="inner derivative"),
    Answer("paths_hard_coded", "path_contributions_answer",
           "def path_contributions(x):\n"
           "    if x == 0:\n        return np.array([0.0, 0.0, 2.0])\n"
           "    return np.array([1.682941969615793, 0.5403023058681398, 14.7781121978613])\n",
           hint="path_contributions(-1.3)"),
    Answer("paths_t_and_u_swapped", "path_contributions_answer",
           "def path_contributions(x):\n    t, u, v = x**2, np.sin(x), np.exp(x)\n"
           "    return np.array([t * np.cos(x), u * 2 * x, 2 * v * v])\n", hint="in the place of"),
    Answer("paths_summed", "path_contributions_answer",
           "def path_contributions(x):\n    return 2 * x * np.sin(x) + x**2 * np.cos(x) + 2 * np.exp(2 * x)\n",
           hint="not their sum"),
    Answer("central_forward_difference", "central_difference_answer",
           "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n",
           hint="forward difference"),
    Answer("central_divides_by_h", "central_difference_answer",
           "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / h\n",
           hint="instead of 2h"),
    Answer("central_ignores_h", "central_difference_answer",
           "def central_difference(f, x, h=1e-5):\n    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5\n",
           hint="is ignored"),
    Answer("central_times_h", "central_difference_answer",
           "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / 2 * h\n",
           hint="multiplies by h"),
    Answer("sigmoid_overflows", "sigmoid_answer",
           "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n", hint="overflow"),
    Answer("sigmoid_wrong_sign", "sigmoid_answer",
           "def sigmoid(z):\n    z = np.asarray(z, dtype=float)\n"
           "    return np.where(z >= 0, np.exp(-z) / (1 + np.exp(-z)), 1 / (1 + np.exp(z)))\n",
           hint="sign of z is flipped"),
    Answer("sigmoid_integer_output", "sigmoid_answer",
           "def sigmoid(z):\n    z = np.asarray(z)\n    out = np.zeros_like(z)\n"
           "    pos = z >= 0\n    out[pos] = 1 / (1 + np.exp(-z[pos]))\n"
           "    out[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))\n    return out\n",
           hint="an integer result"),
    Answer("sigmoid_derivative_seed_factor_2", "sigmoid_derivative_answer",
           "def sigmoid_derivative(z):\n    s = sigmoid(z)\n    return 2 * s * (1 - s)\n",
           hint="extra factor of 2"),
    Answer("sigmoid_derivative_at_output", "sigmoid_derivative_answer",
           "def sigmoid_derivative(z):\n    s = sigmoid(sigmoid(z))\n    return s * (1 - s)\n",
           hint="instead of at z"),
    Answer("sigmoid_derivative_on_z", "sigmoid_derivative_answer",
           "def sigmoid_derivative(z):\n    return z * (1 - z)\n", hint="applied to z"),
    Answer("sigmoid_derivative_overflows", "sigmoid_derivative_answer",
           "def sigmoid_derivative(z):\n    e = np.exp(-z)\n    return e / (1 + e) ** 2\n", hint="overflow"),
    Answer("sigmoid_derivative_sign", "sigmoid_derivative_answer",
           "def sigmoid_derivative(z):\n    s = sigmoid(z)\n    return s * (s - 1)\n", hint="sign error"),
    Answer("derivative_check_forward_difference", "derivative_check_answer",
           "def derivative_check(f, f_prime, z, h=1e-5):\n"
           "    return relative_error(f_prime(z), (f(z + h) - f(z)) / h)\n", hint="forward difference"),
    Answer("derivative_check_absolute_error", "derivative_check_answer",
           "def derivative_check(f, f_prime, z, h=1e-5):\n"
           "    return float(np.max(np.abs(f_prime(z) - central_difference(f, z, h))))\n", hint="absolute error"),
    Answer("derivative_check_element_wise", "derivative_check_answer",
           "def derivative_check(f, f_prime, z, h=1e-5):\n    a, b = f_prime(z), central_difference(f, z, h)\n"
           "    return np.abs(a - b) / (np.abs(a) + np.abs(b))\n", hint="should return one number"),
    Answer("derivative_check_h_lost", "derivative_check_answer",
           "def derivative_check(f, f_prime, z, h=1e-5):\n"
           "    return relative_error(f_prime(z), central_difference(f, z))\n", hint="not passed on"),
    Answer("neuron_forward_no_half", "neuron_forward_answer",
           "def neuron_forward(w, b, x, y):\n    z = w * x + b\n    a = sigmoid(z)\n"
           "    return {'z': z, 'a': a, 'L': (a - y) ** 2}\n", hint="factor 1/2"),
    Answer("neuron_forward_no_bias", "neuron_forward_answer",
           "def neuron_forward(w, b, x, y):\n    z = w * x\n    a = sigmoid(z)\n"
           "    return {'z': z, 'a': a, 'L': 0.5 * (a - y) ** 2}\n", hint="bias left out"),
    Answer("neuron_forward_tuple", "neuron_forward_answer",
           "def neuron_forward(w, b, x, y):\n    z = w * x + b\n    a = sigmoid(z)\n"
           "    return z, a, 0.5 * (a - y) ** 2\n", hint="should return a dict"),
    Answer("neuron_gradients_sign", "neuron_gradients_answer",
           "def neuron_gradients(x, y, forward):\n    dL_da = y - forward['a']\n"
           "    dL_dz = dL_da * sigmoid_derivative(forward['z'])\n"
           "    return {'dL_da': dL_da, 'dL_dz': dL_dz, 'dL_dw': dL_dz * x, 'dL_db': dL_dz}\n",
           hint="sign error"),
    Answer("neuron_gradients_derivative_at_a", "neuron_gradients_answer",
           "def neuron_gradients(x, y, forward):\n    dL_da = forward['a'] - y\n"
           "    dL_dz = dL_da * sigmoid_derivative(forward['a'])\n"
           "    return {'dL_da': dL_da, 'dL_dz': dL_dz, 'dL_dw': dL_dz * x, 'dL_db': dL_dz}\n",
           hint="evaluated at a instead of at z"),
    Answer("neuron_gradients_shortcut_on_z", "neuron_gradients_answer",
           "def neuron_gradients(x, y, forward):\n    z = forward['z']\n    dL_da = forward['a'] - y\n"
           "    dL_dz = dL_da * z * (1 - z)\n"
           "    return {'dL_da': dL_da, 'dL_dz': dL_dz, 'dL_dw': dL_dz * x, 'dL_db': dL_dz}\n",
           hint="needs a, not z"),
    Answer("neuron_gradients_no_x", "neuron_gradients_answer",
           "def neuron_gradients(x, y, forward):\n    dL_da = forward['a'] - y\n"
           "    dL_dz = dL_da * sigmoid_derivative(forward['z'])\n"
           "    return {'dL_da': dL_da, 'dL_dz': dL_dz, 'dL_dw': dL_dz, 'dL_db': dL_dz}\n",
           hint="without the factor x"),
    Answer("neuron_gradients_db_times_x", "neuron_gradients_answer",
           "def neuron_gradients(x, y, forward):\n"
           "    dL_dz = (forward['a'] - y) * sigmoid_derivative(forward['z'])\n"
           "    return {'dL_da': forward['a'] - y, 'dL_dz': dL_dz, 'dL_dw': dL_dz * x, 'dL_db': dL_dz * x}\n",
           hint="multiplied by x"),
    Answer("neuron_gradients_other_keys", "neuron_gradients_answer",
           "def neuron_gradients(x, y, forward):\n    dz = (forward['a'] - y) * sigmoid_derivative(forward['z'])\n"
           "    return {'da': forward['a'] - y, 'dz': dz, 'dw': dz * x, 'db': dz}\n", hint="has no key"),
]

RIGHT = [
    Answer("sigmoid_with_mask", "sigmoid_answer",
           "def sigmoid(z):\n    z = np.asarray(z, dtype=float)\n    out = np.empty_like(z)\n"
           "    pos = z >= 0\n    out[pos] = 1 / (1 + np.exp(-z[pos]))\n"
           "    ez = np.exp(z[~pos])\n    out[~pos] = ez / (1 + ez)\n    return out\n"),
    Answer("sigmoid_with_a_loop", "sigmoid_answer",
           "import math\n\ndef sigmoid(z):\n    flat = [1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))\n"
           "            for v in np.ravel(z)]\n    return np.reshape(np.array(flat, dtype=float), np.shape(z))\n"),
    Answer("sigmoid_clipped", "sigmoid_answer",
           "def sigmoid(z):\n    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))\n"),
    Answer("sigmoid_derivative_from_exp", "sigmoid_derivative_answer",
           "def sigmoid_derivative(z):\n    e = np.exp(-np.abs(z))\n    return e / (1 + e) ** 2\n"),
    Answer("paths_as_a_list", "path_contributions_answer",
           "import math\n\ndef path_contributions(x):\n"
           "    return [math.sin(x) * 2 * x, x**2 * math.cos(x), 2 * math.exp(2 * x)]\n"),
    Answer("dh_dx_one_line", "dh_dx_answer", "def dh_dx(x):\n    return 2 * x * np.cos(x * x)\n"),
    Answer("dk_dx_one_line", "dk_dx_answer", "def dk_dx(x):\n    return 6 * (3 * x - 1) / (1 + (3 * x - 1) ** 2)\n"),
    Answer("neuron_forward_python_floats", "neuron_forward_answer",
           "def neuron_forward(w, b, x, y):\n    z = w * x + b\n"
           "    a = float(sigmoid(z))\n    return {'z': z, 'a': a, 'L': (a - y) ** 2 / 2}\n"),
    Answer("central_difference_divided_twice", "central_difference_answer",
           "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / 2 / h\n"),
    Answer("derivative_check_by_hand", "derivative_check_answer",
           "def derivative_check(f, f_prime, z, h=1e-5):\n"
           "    a, b = np.ravel(f_prime(z)), np.ravel(central_difference(f, z, h))\n"
           "    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))\n"),
    Answer("neuron_gradients_shortcut", "neuron_gradients_answer",
           "def neuron_gradients(x, y, forward):\n    a = forward['a']\n"
           "    delta = (a - y) * a * (1 - a)\n"
           "    return dict(dL_da=a - y, dL_dz=delta, dL_dw=delta * x, dL_db=delta)\n"),
]

# A cell that never finishes: the per-cell timeout must stop it and grading goes on.
HANGS = Answer("dh_dx_never_finishes", "dh_dx_answer", "while True:\n    pass\n")
