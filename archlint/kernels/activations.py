"""Keras's activation functions in NumPy, by name, for the runtime."""

from archlint.kernels import np


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def erf(x):
    """Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7): NumPy has no erf."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x):
    # Keras's gelu defaults to the exact form, approximate=False. A Python float keeps x float32.
    return 0.5 * x * (1.0 + erf(x / 2.0 ** 0.5))


def gelu_tanh(x):
    """Keras's gelu with approximate=True (keras.ops.gelu's default): the tanh approximation."""
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1.0))


def _selu(x):
    return 1.0507009873554805 * _elu(x, 1.6732632423543772)


def _softplus(x):
    return np.logaddexp(x, 0.0)


FUNCTIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0, 1),
    "tanh": lambda x: np.tanh(x),
    "softmax": _softmax,
    "log_softmax": lambda x: x - np.max(x, -1, keepdims=True) - np.log(np.sum(np.exp(x - np.max(x, -1, keepdims=True)), -1, keepdims=True)),
    "elu": _elu,
    "selu": _selu,
    "gelu": _gelu,
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "exponential": lambda x: np.exp(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
}


# The cheapest activations can overwrite an array the caller owns instead of allocating another.
IN_PLACE = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0, out=x),
    "relu6": lambda x: np.clip(x, 0, 6, out=x),
}


def apply(name: str | None, x, in_place: bool = False):
    """Apply the named Keras activation; the runtime refuses layers whose activation is unknown.

    With `in_place`, x is the caller's own float32 array, which may be overwritten.
    """
    if name not in FUNCTIONS:
        raise NotImplementedError(f"activation {name!r} has no NumPy implementation")
    if in_place and name in IN_PLACE:
        return IN_PLACE[name](x)
    return FUNCTIONS[name](x).astype(np.float32, copy=False)
