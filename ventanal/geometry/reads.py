"""Which input cells the windows of a plan read: the answer that lets an op skip padding.

A padded canvas (the input with its padding written out) costs the padded size, which a huge
padding or dilation makes enormous while the windows still read only a few real cells. These
answers let an op gather exactly the real cells each tap of each window reads, with one padded
cell standing for all the padding.
"""

from __future__ import annotations

import math

import numpy as np

from .plans import WindowPlan
from .windows import AxisWindow

__all__ = ["canvas_cells", "cells_read", "read_taps", "tap_positions"]


def canvas_cells(plan: WindowPlan) -> int:
    """Cells of the padded canvas the windows span (padding written out), as a Python int.

    Examples
    --------
    >>> from ventanal.geometry import plan
    >>> canvas_cells(plan((4, 4), 2, padding="SAME", dilations=10 ** 9))
    1000000008000000016
    """
    return math.prod(axis.span for axis in plan.axes)


def read_taps(axis: AxisWindow) -> np.ndarray:
    """The taps (``0 .. window - 1``) that land on a real input cell in at least one window.

    Taps that read padding in every window contribute nothing (the identity of the
    reduction), so an op may skip them; there are at most ``output * size`` of the others.

    Examples
    --------
    >>> from ventanal.geometry import plan
    >>> read_taps(plan((4,), 2, padding="SAME", dilations=10 ** 9).axes[0]).tolist()  # all padding
    []
    >>> read_taps(plan((4,), 2, padding=(0, 10 ** 9), dilations=10 ** 9).axes[0]).tolist()
    [0]
    >>> read_taps(plan((5,), 3, padding=1).axes[0]).tolist()
    [0, 1, 2]
    """
    if axis.output > axis.window:   # one question per tap rather than per window
        return np.array([a for a in range(axis.window)
                         if axis.outputs_reading(a)[0] < axis.outputs_reading(a)[1]],
                        dtype=np.int64)
    first, last = axis.taps_within(0, axis.size)
    keep = first <= last
    first, last = first[keep], last[keep]
    if first.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(first, kind="stable")
    runs: list[np.ndarray] = []
    run_first, run_last = int(first[order[0]]), int(last[order[0]])
    for lo, hi in zip(first[order[1:]].tolist(), last[order[1:]].tolist(), strict=True):
        if lo > run_last + 1:
            runs.append(np.arange(run_first, run_last + 1))
            run_first, run_last = lo, hi
        else:
            run_last = max(run_last, hi)
    runs.append(np.arange(run_first, run_last + 1))
    return np.concatenate(runs).astype(np.int64)


def cells_read(axis: AxisWindow) -> np.ndarray:
    """Which input cells at least one window reads: a boolean array of ``size``.

    One strided slice per tap that reads real cells, never a table of every window, so a
    padding of 10**11 cells costs nothing.

    Examples
    --------
    >>> from ventanal.geometry import plan
    >>> cells_read(plan((8,), 1, strides=3).axes[0]).tolist()   # stride > window skips cells
    [True, False, False, True, False, False, True, False]
    """
    read = np.zeros(axis.size, dtype=bool)
    for tap in read_taps(axis).tolist():
        first, stop = axis.outputs_reading(tap)
        if first < stop:
            read[axis.tap_slice(tap, first, stop, origin=0)] = True
    return read


def tap_positions(axis: AxisWindow, taps: np.ndarray) -> np.ndarray:
    """Input cell read by each window at each of ``taps``: shape ``(output, len(taps))``.

    A padded position reads cell ``size``: a buffer holding the input and one padding
    cell after it answers every tap of every window.

    Examples
    --------
    >>> from ventanal.geometry import plan
    >>> tap_positions(plan((3,), 2, padding=1).axes[0], np.arange(2)).tolist()
    [[3, 0], [0, 1], [1, 2], [2, 3]]
    """
    positions = axis.tap(np.arange(axis.output)[:, None], np.asarray(taps)[None, :])
    return np.where((positions >= 0) & (positions < axis.size), positions, axis.size)
