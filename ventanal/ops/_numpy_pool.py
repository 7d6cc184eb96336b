"""Fast pooling in NumPy alone: the path used where numba is absent.

Same results as the reference implementations, organised for speed rather than reading:

* work goes by bands of output rows whose buffers stay near :data:`BAND_BYTES`, so the passes
  over a band reuse the cache;
* pooling is separable: the window's rows are combined into a band buffer whose padded columns
  hold the identity (so no padded copy of the input is ever built), then its columns;
* large max windows use window doubling along each axis;
* bands run on two or more Python threads (NumPy releases the GIL in its loops).
"""

from __future__ import annotations

import numpy as np

from .. import geometry
from .canonical import Canonical
from .dtypes import average_dtypes, lowest
from .threads import run_tasks

__all__ = ["max_pool", "avg_pool", "BAND_BYTES"]

# Bytes of one band's buffers: a share of a core's L2 cache (2 MiB on current server cores),
# so that the passes over a band find it there.
BAND_BYTES = 2 << 20
# Max windows with at least this many taps along H or W use window doubling: about
# 2 log2(k) passes over a band instead of k.
_DOUBLING_MIN_WINDOW = 6
# Element-operations per output cell of window doubling (a few passes per axis), for run_tasks.
_DOUBLING_WORK = 8


def _bands(job: Canonical, row_bytes: int) -> tuple[int, int]:
    """(rows per band, number of bands) over every output row of every (batch, od) plane."""
    Ho = job.axes[1].output
    band = max(1, min(Ho, BAND_BYTES // max(row_bytes, 1)))
    per_plane = -(-Ho // band)
    return band, per_plane


def _combine_rows(job: Canonical, buffer: np.ndarray, plane: int, i0: int, i1: int,
                  combine, fill) -> None:
    """``buffer[i - i0, lo:lo+read]`` = combination of the window rows of output row ``i``."""
    axis_d, axis_h, axis_w = job.axes
    lo, read = axis_w.read_cells()
    b, od = divmod(plane, axis_d.output)
    inner = buffer[:, lo:lo + read]
    inner[...] = fill
    for a in range(axis_d.window):
        z = int(axis_d.tap(od, a))
        if not 0 <= z < axis_d.size:
            continue
        for e in range(axis_h.window):
            first, last = axis_h.outputs_reading(e, i0, i1)
            if first == last:
                continue
            rows = job.rows[b, z, axis_h.tap_slice(e, first, last, origin=0), :read]
            target = inner[first - i0:last - i0]
            combine(target, rows, out=target)


def max_pool(x: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray:
    """Max pooling of channels-last ``x`` (any real dtype), banded NumPy."""
    job = Canonical(x, plan)
    out5 = job.empty(x.dtype)
    axis_d, axis_h, axis_w = job.axes
    fill = lowest(x.dtype)
    C = job.rows.shape[-1]
    if axis_d.window == 1 and max(axis_h.window, axis_w.window) >= _DOUBLING_MIN_WINDOW and (
            axis_h.stride < axis_h.window or axis_w.stride < axis_w.window):
        return job.result(_max_doubling(job, out5, fill))
    band, per_plane = _bands(job, axis_w.span * C * x.dtype.itemsize)
    taps = axis_d.window * axis_h.window * axis_w.window
    lo, read = axis_w.read_cells()

    def work(first: int, last: int) -> None:
        buffer = np.empty((band, axis_w.span, C), dtype=x.dtype)
        buffer[:, :lo] = fill
        buffer[:, lo + read:] = fill
        for task in range(first, last):
            plane, i0 = task // per_plane, (task % per_plane) * band
            i1 = min(axis_h.output, i0 + band)
            view = buffer[:i1 - i0]
            _combine_rows(job, view, plane, i0, i1, np.maximum, fill)
            b, od = divmod(plane, axis_d.output)
            target = out5[b, od, i0:i1]
            np.copyto(target, view[:, axis_w.tap_slice(0)])
            for m in range(1, axis_w.window):
                np.maximum(target, view[:, axis_w.tap_slice(m)], out=target)

    tasks = out5.shape[0] * axis_d.output * per_plane
    run_tasks(work, (), tasks, out5.size * taps)
    return job.result(out5)


def _double(a: np.ndarray, b: np.ndarray, window: int, step: int, axis: int) -> np.ndarray:
    """Running max of ``window`` taps ``step`` apart along ``axis``; ping-pong buffers.

    Returns the buffer with the result (valid for the first ``len - (window-1)*step``).
    """
    def along(start, stop=None):
        index = [slice(None)] * a.ndim
        index[axis] = slice(start, stop)
        return tuple(index)

    n = a.shape[axis]
    w = 1
    shifts = []
    while 2 * w <= window:
        shifts.append(w * step)
        w *= 2
    if w < window:
        shifts.append((window - w) * step)
    for shift in shifts:
        np.maximum(a[along(0, n - shift)], a[along(shift, n)], out=b[along(0, n - shift)])
        a, b = b, a
    return a


def _max_doubling(job: Canonical, out5: np.ndarray, fill) -> np.ndarray:
    axis_d, axis_h, axis_w = job.axes
    B, Do, Ho, Wo, C = out5.shape
    row_bytes = axis_w.span * C * out5.dtype.itemsize
    band = max(1, min(Ho, axis_h.windows_within(BAND_BYTES // max(row_bytes, 1))))
    per_plane = -(-Ho // band)
    lo, read = axis_w.read_cells()
    _, rows = axis_h.read_range(0, band)   # input rows of the tallest band

    def work(first: int, last: int) -> None:
        a = np.empty((rows, axis_w.span, C), dtype=out5.dtype)
        b = np.empty_like(a)
        h = np.empty((rows, Wo, C), dtype=out5.dtype)
        h2 = np.empty_like(h)
        for task in range(first, last):
            plane, i0 = task // per_plane, (task % per_plane) * band
            i1 = min(Ho, i0 + band)
            top, nrows = axis_h.read_range(i0, i1)   # input row of band row 0, rows read
            batch, od = divmod(plane, Do)
            z = int(axis_d.start(od))
            band_a = a[:nrows]
            band_a.fill(fill)
            if 0 <= z < axis_d.size:
                y0, y1 = max(0, top), min(axis_h.size, top + nrows)
                if y0 < y1:
                    band_a[y0 - top:y1 - top, lo:lo + read] = job.rows[batch, z, y0:y1, :read]
            result = _double(band_a, b[:nrows], axis_w.window, axis_w.dilation, axis=1)
            hh = h[:nrows]
            np.copyto(hh, result[:, axis_w.tap_slice(0)])
            result = _double(hh, h2[:nrows], axis_h.window, axis_h.dilation, axis=0)
            np.copyto(out5[batch, od, i0:i1], result[axis_h.tap_slice(0, i0, i1)])

    tasks = B * Do * per_plane
    run_tasks(work, (), tasks, out5.size * _DOUBLING_WORK)
    return out5


def avg_pool(x: np.ndarray, plan: geometry.WindowPlan, count_include_pad: bool) -> np.ndarray:
    """Average pooling of channels-last ``x``, banded NumPy, accumulated as the reference."""
    accumulator, result_dtype = average_dtypes(x.dtype)
    job = Canonical(x, plan)
    out5 = job.empty(result_dtype)
    axis_d, axis_h, axis_w = job.axes
    C = job.rows.shape[-1]
    band, per_plane = _bands(job, axis_w.span * C * accumulator.itemsize)
    counts = [(a.padded_counts() if count_include_pad else a.real_counts()).astype(np.float64)
              for a in job.axes]
    taps = axis_d.window * axis_h.window * axis_w.window

    def work(first: int, last: int) -> None:
        buffer = np.zeros((band, axis_w.span, C), dtype=accumulator)
        total = np.empty((band, axis_w.output, C), dtype=accumulator)
        for task in range(first, last):
            plane, i0 = task // per_plane, (task % per_plane) * band
            i1 = min(axis_h.output, i0 + band)
            view = buffer[:i1 - i0]
            _combine_rows(job, view, plane, i0, i1, np.add, 0)
            b, od = divmod(plane, axis_d.output)
            summed = total[:i1 - i0]
            np.copyto(summed, view[:, axis_w.tap_slice(0)])
            for m in range(1, axis_w.window):
                summed += view[:, axis_w.tap_slice(m)]
            divisor = (counts[0][od] * counts[1][i0:i1, None] * counts[2][None, :])
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(summed, divisor.astype(accumulator)[:, :, None], out=summed)
            np.copyto(out5[b, od, i0:i1], summed, casting="unsafe")

    tasks = out5.shape[0] * axis_d.output * per_plane
    run_tasks(work, (), tasks, out5.size * taps)
    return job.result(out5)
