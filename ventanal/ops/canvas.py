"""The padded canvas the reference kernels index from 0, and the slices of its taps.

Every position comes from the plan (:mod:`ventanal.geometry`); nothing is derived here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from .. import geometry

__all__ = ["pad_to_plan", "window_slices", "gathers", "tap_reader"]

# The padded canvas is built only while it is at most this many times the input and output
# cells together (plus a small constant): past it, most of it would be padding no window reads.
# The constant keeps a padded canvas of a tiny input within 2 MiB of float64 (1 << 20 cells let
# a (1, 1, 1) input with 10**6 padded cells build an 8 MB canvas for a one-cell result).
_CANVAS_FACTOR = 4
_CANVAS_SLACK = 1 << 18


def pad_to_plan(x: np.ndarray, plan: geometry.WindowPlan, fill,
                allocate=np.empty) -> np.ndarray:
    """Channels-last ``x`` padded (or cropped) to exactly the cells the windows read.

    The reference kernels index this array from 0; cells never read (stride
    > window) are cropped, cells past the padding (``ceil_mode``) are added.
    A padded array comes from ``allocate(shape, dtype)`` (the fast paths pass
    :func:`ventanal.ops.memory.empty`); only its padding cells are filled, the rest is copied
    once.

    Examples
    --------
    >>> p = geometry.plan((4,), 3, strides=3, padding=1)   # windows at -1..1 and 2..4
    >>> pad_to_plan(np.arange(1, 5).reshape(1, 4, 1), p, 0)[0, :, 0].tolist()
    [0, 1, 2, 3, 4, 0]
    """
    widths = [(0, 0)]
    crops = [slice(None)]
    for axis in plan.axes:
        _, read = axis.read_cells()
        widths.append((axis.pad_before, max(axis.read_after, 0)))
        crops.append(slice(0, read))
    widths.append((0, 0))
    crops.append(slice(None))
    x = x[tuple(crops)]
    if all(w == (0, 0) for w in widths):
        return x
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, widths, strict=True))
    out = allocate(shape, x.dtype)
    for i, (before, after) in enumerate(widths):
        head = (slice(None),) * i
        if before:
            out[head + (slice(0, before),)] = fill
        if after:
            out[head + (slice(shape[i] - after, shape[i]),)] = fill
    out[tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, widths, strict=True))] = x
    return out


def window_slices(plan: geometry.WindowPlan, offsets: Sequence[int]) -> tuple[slice, ...]:
    """Slices of a :func:`pad_to_plan` array holding tap ``offsets`` of every window.

    Examples
    --------
    >>> window_slices(geometry.plan((9,), 3, strides=2), (1,))
    (slice(None, None, None), slice(1, 8, 2), slice(None, None, None))
    """
    return (slice(None),) + tuple(
        axis.tap_slice(m) for m, axis in zip(offsets, plan.axes, strict=True)) + (slice(None),)


def gathers(plan: geometry.WindowPlan, x_shape: Sequence[int]) -> bool:
    """True when an op on a channels-last ``x_shape`` should gather the cells its windows read
    instead of building the padded canvas (a huge padding or dilation around a small input).

    Examples
    --------
    >>> gathers(geometry.plan((4, 4), 2, padding="SAME", dilations=10 ** 9), (1, 4, 4, 1))
    True
    >>> gathers(geometry.plan((64, 64), 3, padding="SAME"), (1, 64, 64, 3))
    False
    """
    lanes = x_shape[0] * x_shape[-1]
    cells = math.prod(x_shape) + math.prod(plan.output_shape) * lanes
    return geometry.canvas_cells(plan) * lanes > _CANVAS_FACTOR * cells + _CANVAS_SLACK


def tap_reader(x: np.ndarray, plan: geometry.WindowPlan, fill) -> tuple[
        Iterator[tuple[int, ...]], Callable[[tuple[int, ...]], np.ndarray]]:
    """``(offsets, read)``: the window taps that may read a real cell, and for each of them the
    cells under that tap in every window, shape ``(batch, *output, channels)``.

    Taps that read only padding in every window are left out (they would add only ``fill``).
    When :func:`gathers` says so, no padded canvas is built: each tap is gathered from ``x``
    with one ``fill`` cell appended per axis, so memory follows the input and the output.

    Examples
    --------
    >>> p = geometry.plan((3,), 2, padding=(0, 10 ** 7), dilations=10 ** 7)  # 3 windows
    >>> offsets, read = tap_reader(np.array([[[1], [2], [3]]]), p, 0)
    >>> [(o, read(o)[0, :, 0].tolist()) for o in offsets]     # tap 1 reads only padding
    [((0,), [1, 2, 3])]
    """
    if x.size == 0:   # no batch entry or no channel: nothing to read, whatever the window
        return iter(()), lambda offsets: x
    if not gathers(plan, x.shape):
        padded = pad_to_plan(x, plan, fill)
        every = itertools.product(*(range(k) for k in plan.window_shape))
        return every, lambda offsets: padded[window_slices(plan, offsets)]
    n = len(plan.axes)
    extended = np.pad(x, [(0, 0)] + [(0, 1)] * n + [(0, 0)], constant_values=fill)
    taps = [geometry.read_taps(axis) for axis in plan.axes]
    tables = []
    for i, (axis, axis_taps) in enumerate(zip(plan.axes, taps, strict=True)):
        shape = [1] * n
        shape[i] = axis.output
        columns = geometry.tap_positions(axis, axis_taps)
        tables.append({int(t): columns[:, j].reshape(shape) for j, t in enumerate(axis_taps)})

    def read(offsets: tuple[int, ...]) -> np.ndarray:
        index = tuple(table[int(m)] for table, m in zip(tables, offsets, strict=True))
        return extended[(slice(None),) + index + (slice(None),)]

    return itertools.product(*(t.tolist() for t in taps)), read
