"""The padded canvas the reference kernels index from 0, and the slices of its taps.

Every position comes from the plan (:mod:`ventanal.geometry`); nothing is derived here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import geometry

__all__ = ["pad_to_plan", "window_slices"]


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
