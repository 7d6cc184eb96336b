"""Argument checks shared by the modules of :mod:`ventanal.data`: integers and image sizes.

The error messages name the argument and the value received, so that a call
such as ``circle(2.5)`` says which argument was wrong and why.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..ops import memory


def as_int(value: Any, name: str) -> int:
    """Return ``value`` as a Python int, refusing bools, floats and strings.

    Examples
    --------
    >>> as_int(np.int64(3), "x")
    3
    >>> as_int(2.5, "x")
    Traceback (most recent call last):
    ...
    TypeError: `x` must be an integer, got 2.5
    """
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}` must be an integer, got {value!r}") from None


def choice_error(value: Any, choices: Iterable[str], name: str) -> ValueError:
    """The error for a `value` of argument `name` that is none of `choices`; it lists them.

    Examples
    --------
    >>> raise choice_error("lena", ("camera", "coffee"), "name")
    Traceback (most recent call last):
    ...
    ValueError: `name` must be one of camera, coffee; got 'lena'
    """
    return ValueError(f"`{name}` must be one of {', '.join(choices)}; got {value!r}")


def as_size(size: int | Sequence[int], name: str = "size") -> tuple[int, int]:
    """Normalise an int or an ``(h, w)`` pair to a pair of positive ints.

    Examples
    --------
    >>> as_size(3), as_size((2, 5))
    ((3, 3), (2, 5))
    >>> as_size(0)
    Traceback (most recent call last):
    ...
    ValueError: `size` must be positive, got 0
    """
    if isinstance(size, str | bytes):
        raise TypeError(f"`{name}` must be an int or a pair (h, w) of ints, got {size!r}")
    if isinstance(size, Sequence | np.ndarray):
        if len(size) != 2:
            raise ValueError(f"`{name}` must be an int or a pair (h, w) of ints, got {size!r}")
        pair = (as_int(size[0], name), as_int(size[1], name))
    else:
        n = as_int(size, name)
        pair = (n, n)
    if pair[0] < 1 or pair[1] < 1:
        raise ValueError(f"`{name}` must be positive, got {size!r}")
    # A few float64 planes of this size are made from it: refused before allocating.
    memory.check_budget(4 * 8 * pair[0] * pair[1], f"`{name}` {pair[0]}x{pair[1]}")
    return pair
