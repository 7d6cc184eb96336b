"""Keras's weight initialisers (the variance scaling family, and constants), by name.

A layer's ``kernel_initializer`` or ``bias_initializer`` is one of the names
of :data:`INITIALIZERS` (Keras's snake-case names, or its class names such
as ``"GlorotUniform"``) or a callable ``f(shape, dtype) -> array``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ..ops import memory

__all__ = ["INITIALIZERS", "InitializerLike", "get_initializer", "initial_value"]

#: An entry of :data:`INITIALIZERS`: ``f(shape, rng) -> array`` of float64.
RandomInitializer = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]

#: A layer's ``kernel_initializer`` or ``bias_initializer``: a Keras name or ``f(shape, dtype)``.
InitializerLike = str | Callable[[tuple[int, ...], np.dtype[Any]], npt.ArrayLike]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Keras's ``compute_fans``: kernels are spatial + (in, out)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(rng: np.random.Generator, shape: tuple[int, ...],
                      stddev: float) -> np.ndarray:
    """Normal samples redrawn until they lie within two standard deviations."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values * stddev


def _variance_scaling(scale: float, mode: str, distribution: str) -> RandomInitializer:
    def initializer(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        fans: dict[str, float] = {"fan_in": fan_in, "fan_out": fan_out,
                                  "fan_avg": (fan_in + fan_out) / 2}
        fan = fans[mode]
        variance = scale / max(1.0, fan)
        if distribution == "truncated_normal":
            return _truncated_normal(rng, shape, math.sqrt(variance) / 0.87962566103423978)
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, shape)
    return initializer


#: Initialisers by Keras name: ``f(shape, rng) -> array`` of float64.
INITIALIZERS: dict[str, RandomInitializer] = {
    "glorot_uniform": _variance_scaling(1.0, "fan_avg", "uniform"),
    "glorot_normal": _variance_scaling(1.0, "fan_avg", "truncated_normal"),
    "he_uniform": _variance_scaling(2.0, "fan_in", "uniform"),
    "he_normal": _variance_scaling(2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": _variance_scaling(1.0, "fan_in", "uniform"),
    "lecun_normal": _variance_scaling(1.0, "fan_in", "truncated_normal"),
    "random_uniform": lambda shape, rng: rng.uniform(-0.05, 0.05, shape),
    "random_normal": lambda shape, rng: rng.standard_normal(shape) * 0.05,
    "truncated_normal": lambda shape, rng: _truncated_normal(rng, shape, 0.05),
    "zeros": lambda shape, rng: np.zeros(shape),
    "ones": lambda shape, rng: np.ones(shape),
}

def _letters(name: str) -> str:
    """Keras's class names (GlorotUniform) and snake-case names (glorot_uniform) alike."""
    return re.sub(r"[\W_]+", "", name).lower()


_BY_LETTERS = {_letters(name): name for name in INITIALIZERS}


def get_initializer(value: InitializerLike, name: str) -> InitializerLike:
    """The name in :data:`INITIALIZERS` for ``value``, or ``value`` itself if it is callable.

    Parameters
    ----------
    value : str or callable
        A Keras initialiser name, in snake case or as its class name.
    name : str
        The argument's name, for the error message.

    Examples
    --------
    >>> get_initializer("HeNormal", "kernel_initializer")
    'he_normal'
    >>> get_initializer("xavier", "kernel_initializer")
    Traceback (most recent call last):
    ...
    ValueError: `kernel_initializer` must be a callable f(shape, dtype) or one of \
'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform', \
'lecun_normal', 'random_uniform', 'random_normal', 'truncated_normal', 'zeros', 'ones', \
got 'xavier'
    """
    if isinstance(value, str):
        key = _BY_LETTERS.get(_letters(value))
        if key is not None:
            return key
    elif callable(value):
        return value
    raise ValueError(f"`{name}` must be a callable f(shape, dtype) or one of "
                     f"{', '.join(map(repr, INITIALIZERS))}, got {value!r}")


def initial_value(initializer: InitializerLike, shape: tuple[int, ...], dtype: np.dtype[Any],
                  rng: np.random.Generator) -> np.ndarray:
    """Initial weights of ``shape`` from a name of :data:`INITIALIZERS` or a callable.

    Examples
    --------
    >>> initial_value("ones", (2,), np.dtype("float32"), np.random.default_rng(0))
    array([1., 1.], dtype=float32)
    """
    # float64 draws, then the dtype: refused before drawing when past VENTANAL_MAX_MB.
    memory.check_budget(2 * math.prod(shape) * 8, f"initial weights of shape {shape}")
    raw: npt.ArrayLike
    if isinstance(initializer, str):
        raw = INITIALIZERS[initializer](shape, rng)
    else:
        raw = initializer(shape, dtype)
    values = np.asarray(raw, dtype=dtype)
    if values.shape != shape:
        raise ValueError(f"initialiser {initializer!r} returned shape {values.shape}, "
                         f"expected {shape}")
    return values
