"""Element-wise activations: the *detect* step of filter -> detect -> condense."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .inputs import as_array

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "softmax", "linear", "ACTIVATIONS",
           "get"]


def _float(x, name: str = "x") -> np.ndarray:
    array = as_array(x, name)
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def relu(x: ArrayLike) -> np.ndarray:
    """Rectified linear unit, ``max(x, 0)``; dtype kept, NaN propagates.

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.relu([-2, -0.5, 0, 3]).tolist()
    [0.0, 0.0, 0.0, 3.0]
    >>> vt.relu([-2, 5]).dtype.kind   # integers stay integers
    'i'
    """
    array = as_array(x, "x")
    return np.maximum(array, np.zeros((), dtype=array.dtype))


def linear(x) -> np.ndarray:
    """Identity (Keras's ``"linear"`` activation); returns a copy as an array.

    Examples
    --------
    >>> linear([1, -2]).tolist()
    [1, -2]
    """
    return np.array(as_array(x, "x"))


def sigmoid(x) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    Examples
    --------
    >>> sigmoid([0.0, 1000.0, -1000.0]).tolist()
    [0.5, 1.0, 0.0]
    """
    array = _float(x)
    out = np.empty_like(array)
    positive = array >= 0
    out[positive] = 1 / (1 + np.exp(-array[positive]))
    exp = np.exp(array[~positive])
    out[~positive] = exp / (1 + exp)
    return out


def tanh(x) -> np.ndarray:
    """Hyperbolic tangent.

    Examples
    --------
    >>> tanh([0.0]).tolist()
    [0.0]
    """
    return np.tanh(_float(x))


def leaky_relu(x, negative_slope: float = 0.2) -> np.ndarray:
    """``x`` where positive, ``negative_slope * x`` elsewhere (Keras's default slope 0.2).

    Examples
    --------
    >>> leaky_relu([-1.0, 2.0]).tolist()
    [-0.2, 2.0]
    """
    array = _float(x)
    return np.where(array >= 0, array, array * array.dtype.type(negative_slope))


def elu(x, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Examples
    --------
    >>> elu([0.0, 1.0]).tolist()
    [0.0, 1.0]
    """
    array = _float(x)
    return np.where(array > 0, array, array.dtype.type(alpha) * np.expm1(np.minimum(array, 0)))


def softmax(x, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` (the last by default, as Keras), stabilised by the max.

    Examples
    --------
    >>> softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    array = _float(x)
    shifted = np.exp(array - array.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


ACTIVATIONS = {"relu": relu, "linear": linear, "sigmoid": sigmoid, "tanh": tanh,
               "leaky_relu": leaky_relu, "elu": elu, "softmax": softmax}


def get(name):
    """The activation function called ``name`` (``None`` means linear), or a callable as is.

    Examples
    --------
    >>> get("relu") is relu, get(None) is linear
    (True, True)
    """
    if name is None:
        return linear
    if callable(name):
        return name
    if isinstance(name, str) and name.lower() in ACTIVATIONS:
        return ACTIVATIONS[name.lower()]
    raise ValueError(f"`activation` must be None, a callable or one of "
                     f"{', '.join(map(repr, ACTIVATIONS))}, got {name!r}")
