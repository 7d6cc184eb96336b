"""Max pooling by window doubling by fours, in NumPy: the readable twin of the numba kernel
``max_doubling`` (:mod:`._numba_doubling`), one step at a time.

The kernel is fast because it streams rows through rings of registers; this module does the
same arithmetic on whole arrays, so that a test comparing the two bit for bit, and each step
here against its definition, says which step is wrong when one is. The steps, along each
spatial axis from the last (W, then H, then D):

1. **Keys.** Floats become ordered integer keys of their width (:func:`ordered_keys`): the
   integers sort as the floats do, -0 below +0 and every NaN above +inf, so each maximum
   below is an integer maximum. Integers are their own keys.
2. **Padding.** The axis is laid out from the first tap of window 0 to the last tap of the
   last window (:attr:`~ventanal.geometry.AxisWindow.span` cells); padded cells hold the
   lowest key, which never wins.
3. **Levels** (:func:`quad_levels`, :func:`levels_along`). Level 0 holds windows of one tap.
   Level ``v + 1`` is the maximum of four windows of level ``v`` at four offsets: windows
   of 1, 4, 16, ... taps, then one step of two to four overlapping windows that makes the
   window (15 taps = windows of 4 at 0, 4, 8 and 11).
4. **Stride.** Window ``i`` starts ``i * stride`` cells into the padded axis: every
   ``stride``-th cell of the last level.

The keys then become floats again (:func:`from_ordered_keys`).

Examples
--------
>>> from ventanal import geometry
>>> x = np.arange(10.0).reshape(1, 10, 1)
>>> max_pool_by_doubling(x, geometry.plan((10,), 5, strides=2, padding="SAME"))[0, :, 0]
array([3., 5., 7., 9., 9.])
"""

from __future__ import annotations

import numpy as np

from ..geometry import AxisWindow, WindowPlan

__all__ = ["from_ordered_keys", "levels_along", "max_pool_by_doubling", "ordered_keys",
           "quad_levels"]


def quad_levels(window: int, dilation: int = 1) -> list[tuple[int, int, int, int]]:
    """The four offsets (in cells) at which each level combines windows of the level below.

    Level ``v`` makes windows of ``min(4**(v+1), window)`` taps out of four of ``4**v``: at
    ``0, w, 2w, 3w`` (``w = 4**v``, in taps), or for the last step, where four would overreach,
    at ``0, w, 2w, 3w`` capped at ``window - w`` so that the last one ends at the window's end.

    Examples
    --------
    >>> quad_levels(15)
    [(0, 1, 2, 3), (0, 4, 8, 11)]
    >>> quad_levels(6, dilation=2)
    [(0, 2, 4, 6), (0, 4, 4, 4)]
    >>> quad_levels(1)
    []
    """
    levels = []
    width = 1
    while width < window:
        if 4 * width <= window:
            taps = (0, width, 2 * width, 3 * width)
            width *= 4
        else:
            taps = tuple(min(t * width, window - width) for t in range(4))
            width = window
        levels.append(tuple(int(t * dilation) for t in taps))
    return levels


def _key_type(dtype: np.dtype) -> np.dtype:
    return np.dtype(f"int{8 * dtype.itemsize}")


def ordered_keys(x: np.ndarray) -> np.ndarray:
    """Floats as signed integers of their width that sort as the floats do.

    A negative float's bits have all but the sign bit inverted; every NaN becomes the
    largest integer. Integers (and booleans, as ``uint8``) are their own keys.

    Examples
    --------
    >>> keys = ordered_keys(np.array([-np.inf, -1.0, -0.0, 0.0, 1.0, np.inf, np.nan]))
    >>> bool(np.all(np.diff(keys) > 0)), int(keys[-1]) == np.iinfo(np.int64).max
    (True, True)
    """
    x = np.asarray(x)
    if x.dtype == np.bool_:
        return x.view(np.uint8)
    if x.dtype.kind != "f":
        return x
    key_type = _key_type(x.dtype)
    top = 8 * x.dtype.itemsize - 1
    bits = x.view(key_type)
    keys = bits ^ ((bits >> top) & key_type.type((1 << top) - 1))
    return np.where(np.isnan(x), np.iinfo(key_type).max, keys).astype(key_type)


def from_ordered_keys(keys: np.ndarray, dtype) -> np.ndarray:
    """The values of ``dtype`` whose ordered keys are ``keys`` (the inverse of
    :func:`ordered_keys`; a NaN comes back as the NaN whose bits are the largest key)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return keys.view(np.bool_)
    if dtype.kind != "f":
        return keys
    top = 8 * dtype.itemsize - 1
    return (keys ^ ((keys >> top) & keys.dtype.type((1 << top) - 1))).view(dtype)


def _padded(keys: np.ndarray, axis: int, window: AxisWindow, lowest) -> np.ndarray:
    """``keys`` along ``axis`` laid out over the span of the windows, padding holding
    ``lowest``: cell ``p`` is input position ``window.start(0) + p``."""
    offset, count = window.read_cells()
    shape = list(keys.shape)
    shape[axis] = window.span
    padded = np.full(shape, lowest, keys.dtype)
    target = [slice(None)] * keys.ndim
    source = [slice(None)] * keys.ndim
    target[axis] = slice(offset, offset + count)
    source[axis] = slice(0, count)
    padded[tuple(target)] = keys[tuple(source)]
    return padded


def levels_along(padded: np.ndarray, axis: int, window: int,
                 dilation: int = 1) -> list[np.ndarray]:
    """Every level of window doubling along ``axis`` of ``padded``: level 0 is ``padded``
    itself, and cell ``p`` of the last holds the maximum of the window's taps from cell ``p``.

    Examples
    --------
    >>> [level.tolist() for level in levels_along(np.array([3, 1, 4, 1, 5, 9, 2]), 0, 5)]
    [[3, 1, 4, 1, 5, 9, 2], [4, 5, 9, 9], [5, 9, 9]]
    """
    levels = [padded]
    for offsets in quad_levels(window, dilation):
        below = levels[-1]
        length = below.shape[axis] - offsets[-1]
        level = None
        for offset in offsets:
            taps = np.take(below, np.arange(offset, offset + length), axis=axis)
            level = taps if level is None else np.maximum(level, taps)
        levels.append(level)
    return levels


def _pool_axis(keys: np.ndarray, axis: int, window: AxisWindow, lowest) -> np.ndarray:
    padded = _padded(keys, axis, window, lowest)
    last = levels_along(padded, axis, window.window, window.dilation)[-1]
    return np.take(last, np.arange(window.output) * window.stride, axis=axis)


def max_pool_by_doubling(x: np.ndarray, plan: WindowPlan) -> np.ndarray:
    """Max pooling of channels-last ``x`` (batch, *spatial, channels) by window doubling along
    each spatial axis, from the last; equal to ``max_pool_reference`` and, bit for bit, to
    the numba kernel (whose NaN is the one :func:`from_ordered_keys` gives)."""
    x = np.asarray(x)
    keys = ordered_keys(x)
    if x.dtype.kind == "f":
        lowest = ordered_keys(np.array(-np.inf, x.dtype))
    else:
        lowest = np.iinfo(keys.dtype).min     # 0 for unsigned integers and booleans
    for axis in reversed(range(len(plan.axes))):
        keys = _pool_axis(keys, axis + 1, plan.axes[axis], lowest)
    return from_ordered_keys(np.ascontiguousarray(keys), x.dtype)
