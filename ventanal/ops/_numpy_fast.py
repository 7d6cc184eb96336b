"""Fast pooling and convolution in NumPy alone: the path used where numba is absent.

Same results as the reference implementations, organised for speed rather than reading:

* work goes by bands of output rows whose buffers stay near 2 MiB, so the passes over a band
  reuse the cache;
* pooling is separable: the window's rows are combined into a band buffer whose padded columns
  hold the identity (so no padded copy of the input is ever built), then its columns;
* large max windows use window doubling along each axis;
* bands run on two or more Python threads (NumPy releases the GIL in its loops); BLAS calls are
  never wrapped in threads, BLAS has its own.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import geometry
from ._fast import Canonical, empty, run_tasks

__all__ = ["max_pool", "avg_pool", "conv"]

_BAND_BYTES = 2 << 20
_DOUBLING_MIN_WINDOW = 6


def _lowest(dtype: np.dtype):
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _read_columns(axis: geometry.AxisWindow) -> tuple[int, int]:
    """(buffer column of input column 0, input columns the windows read), both clamped."""
    return min(axis.pad_before, axis.span), max(0, min(axis.size, axis.span - axis.pad_before))


def _valid_range(i0: int, i1: int, stride: int, offset: int, size: int) -> tuple[int, int]:
    """Outputs ``i`` in ``[i0, i1)`` whose tap ``i*stride + offset`` lies in ``[0, size)``."""
    first = max(i0, -(offset // stride))  # ceil(-offset / stride)
    last = min(i1, (size - 1 - offset) // stride + 1) if size - 1 - offset >= 0 else first
    return first, max(first, last)


def _bands(job: Canonical, row_bytes: int) -> tuple[int, int]:
    """(rows per band, number of bands) over every output row of every (batch, od) plane."""
    Ho = job.axes[1].output
    band = max(1, min(Ho, _BAND_BYTES // max(row_bytes, 1)))
    per_plane = -(-Ho // band)
    return band, per_plane


def _combine_rows(job: Canonical, buffer: np.ndarray, plane: int, i0: int, i1: int,
                  combine, fill) -> None:
    """``buffer[i - i0, lo:lo+read]`` = combination of the window rows of output row ``i``."""
    axis_d, axis_h, axis_w = job.axes
    lo, read = _read_columns(axis_w)
    b, od = divmod(plane, axis_d.output)
    inner = buffer[:, lo:lo + read]
    inner[...] = fill
    for a in range(axis_d.window):
        z = od * axis_d.stride - axis_d.pad_before + a * axis_d.dilation
        if not 0 <= z < axis_d.size:
            continue
        for e in range(axis_h.window):
            offset = e * axis_h.dilation - axis_h.pad_before
            first, last = _valid_range(i0, i1, axis_h.stride, offset, axis_h.size)
            if first == last:
                continue
            y0 = first * axis_h.stride + offset
            rows = job.rows[b, z, y0:y0 + (last - first - 1) * axis_h.stride + 1:axis_h.stride,
                            :read]
            target = inner[first - i0:last - i0]
            combine(target, rows, out=target)


def _columns(axis: geometry.AxisWindow, m: int) -> slice:
    start = m * axis.dilation
    return slice(start, start + (axis.output - 1) * axis.stride + 1, axis.stride)


def max_pool(x: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray:
    """Max pooling of channels-last ``x`` (any real dtype), banded NumPy."""
    job = Canonical(x, plan)
    out5 = job.empty(x.dtype)
    axis_d, axis_h, axis_w = job.axes
    fill = _lowest(x.dtype)
    C = job.rows.shape[-1]
    if axis_d.window == 1 and max(axis_h.window, axis_w.window) >= _DOUBLING_MIN_WINDOW and (
            axis_h.stride < axis_h.window or axis_w.stride < axis_w.window):
        return job.result(_max_doubling(job, out5, fill))
    band, per_plane = _bands(job, axis_w.span * C * x.dtype.itemsize)
    taps = axis_d.window * axis_h.window * axis_w.window

    def work(first: int, last: int) -> None:
        buffer = np.empty((band, axis_w.span, C), dtype=x.dtype)
        lo, read = _read_columns(axis_w)
        buffer[:, :lo] = fill
        buffer[:, lo + read:] = fill
        for task in range(first, last):
            plane, i0 = task // per_plane, (task % per_plane) * band
            i1 = min(axis_h.output, i0 + band)
            view = buffer[:i1 - i0]
            _combine_rows(job, view, plane, i0, i1, np.maximum, fill)
            b, od = divmod(plane, axis_d.output)
            target = out5[b, od, i0:i1]
            np.copyto(target, view[:, _columns(axis_w, 0)])
            for m in range(1, axis_w.window):
                np.maximum(target, view[:, _columns(axis_w, m)], out=target)

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
    eh = axis_h.effective_window
    row_bytes = axis_w.span * C * out5.dtype.itemsize
    band = max(1, min(Ho, (_BAND_BYTES // max(row_bytes, 1) - eh) // axis_h.stride + 1))
    per_plane = -(-Ho // band)
    lo, read = _read_columns(axis_w)

    def work(first: int, last: int) -> None:
        rows = (band - 1) * axis_h.stride + eh
        a = np.empty((rows, axis_w.span, C), dtype=out5.dtype)
        b = np.empty_like(a)
        h = np.empty((rows, Wo, C), dtype=out5.dtype)
        h2 = np.empty_like(h)
        for task in range(first, last):
            plane, i0 = task // per_plane, (task % per_plane) * band
            i1 = min(Ho, i0 + band)
            nrows = (i1 - 1 - i0) * axis_h.stride + eh
            batch, od = divmod(plane, Do)
            z = od * axis_d.stride - axis_d.pad_before
            top = i0 * axis_h.stride - axis_h.pad_before  # input row of band row 0
            band_a = a[:nrows]
            band_a.fill(fill)
            if 0 <= z < axis_d.size:
                y0, y1 = max(0, top), min(axis_h.size, top + nrows)
                if y0 < y1:
                    band_a[y0 - top:y1 - top, lo:lo + read] = job.rows[batch, z, y0:y1, :read]
            result = _double(band_a, b[:nrows], axis_w.window, axis_w.dilation, axis=1)
            hh = h[:nrows]
            np.copyto(hh, result[:, _columns(axis_w, 0)])
            result = _double(hh, h2[:nrows], axis_h.window, axis_h.dilation, axis=0)
            np.copyto(out5[batch, od, i0:i1],
                      result[0:(i1 - i0 - 1) * axis_h.stride + 1:axis_h.stride])

    tasks = B * Do * per_plane
    run_tasks(work, (), tasks, out5.size * 8)
    return out5


def avg_pool(x: np.ndarray, plan: geometry.WindowPlan, count_include_pad: bool) -> np.ndarray:
    """Average pooling of channels-last ``x``, banded NumPy, accumulated as the reference."""
    accumulator = np.dtype(np.float32) if x.dtype.kind == "f" and x.itemsize <= 4 else \
        np.dtype(np.float64)
    result_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
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
            np.copyto(summed, view[:, _columns(axis_w, 0)])
            for m in range(1, axis_w.window):
                summed += view[:, _columns(axis_w, m)]
            divisor = (counts[0][od] * counts[1][i0:i1, None] * counts[2][None, :])
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(summed, divisor.astype(accumulator)[:, :, None], out=summed)
            np.copyto(out5[b, od, i0:i1], summed, casting="unsafe")

    tasks = out5.shape[0] * axis_d.output * per_plane
    run_tasks(work, (), tasks, out5.size * taps)
    return job.result(out5)


# ---------------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------------

# Single-channel (or depthwise) kernels with at least this many taps, stride 1: FFT.
_FFT_MIN_TAPS = 25
_FFT_TILE = {1: 1 << 16, 2: 512, 3: 64}


def conv(x: np.ndarray, w: np.ndarray, plan: geometry.WindowPlan, groups: int,
         accumulator: np.dtype, result: np.dtype, fft: bool | None = None) -> np.ndarray:
    """Convolution of channels-last ``x`` with ``w`` (spatial, in/groups, out), banded NumPy.

    Bands of output rows; each band's input rows are padded into a small buffer (never the
    whole input). Per band: elementwise multiply-adds for single-channel and depthwise
    kernels (on two threads), one BLAS product of the band's input matrix otherwise; FFT
    (overlap-add on tiles, in float64) for large single-channel kernels with stride 1, or
    as ``fft`` says when the caller has decided (and checked the input with
    :func:`fft_exact`).
    """
    in_channels, per_group, out_channels = x.shape[-1], w.shape[-2], w.shape[-1]
    taps = int(np.prod(plan.window_shape))
    elementwise = per_group == 1 and out_channels == groups   # 1 -> 1, or depthwise
    if fft is None:
        fft = (elementwise and accumulator.kind == "f" and taps >= _FFT_MIN_TAPS
               and all(a.stride == 1 for a in plan.axes) and fft_exact(x, w))
    if fft:
        return _fft_conv(x, w, plan, accumulator, result)
    x = np.ascontiguousarray(x)
    job = Canonical(x, plan)
    axis_d, axis_h, axis_w = job.axes
    B = x.shape[0]
    Do, Ho, Wo = axis_d.output, axis_h.output, axis_w.output
    out5 = empty((B, Do, Ho, Wo, out_channels), accumulator)
    wk = w.reshape((axis_d.window, axis_h.window, axis_w.window) + w.shape[-2:]).astype(
        accumulator, copy=False)
    span_w = axis_w.span
    lo, read = _read_columns(axis_w)
    row_bytes = span_w * in_channels * accumulator.itemsize * axis_h.effective_window
    band = max(1, min(Ho, (2 << 20) // max(row_bytes, 1)))
    per_plane = -(-Ho // band)
    per_out = out_channels // groups
    blas = not elementwise and accumulator.kind == "f"

    def padded_rows(b, z, i0, i1, buffer):
        """The input rows read by output rows i0..i1, padded along H and W (zeros)."""
        top = i0 * axis_h.stride - axis_h.pad_before
        count = (i1 - 1 - i0) * axis_h.stride + axis_h.effective_window
        view = buffer[:count]
        view[...] = 0
        y0, y1 = max(0, top), min(axis_h.size, top + count)
        if 0 <= z < axis_d.size and y0 < y1:
            view[y0 - top:y1 - top, lo:lo + read] = job.rows[b, z, y0:y1, :read]
        return view

    def tap_slice(view, i_count, e, m):
        rows = slice(e * axis_h.dilation, e * axis_h.dilation + (i_count - 1) * axis_h.stride + 1,
                     axis_h.stride)
        cols = slice(m * axis_w.dilation, m * axis_w.dilation + (Wo - 1) * axis_w.stride + 1,
                     axis_w.stride)
        return view[rows, cols]

    def work(first: int, last: int) -> None:
        rows_max = (band - 1) * axis_h.stride + axis_h.effective_window
        buffer = np.empty((rows_max, span_w, in_channels), dtype=accumulator)
        for task in range(first, last):
            plane, i0 = divmod(task, per_plane)
            i0 *= band
            i1 = min(Ho, i0 + band)
            b, od = divmod(plane, Do)
            target = out5[b, od, i0:i1]
            if blas:   # the band's input matrix: pixels x (group, tap, channel in group)
                columns = np.empty(target.shape[:2] + (groups, taps, per_group), accumulator)
            else:
                target[...] = 0
            for a in range(axis_d.window):
                z = od * axis_d.stride - axis_d.pad_before + a * axis_d.dilation
                view = padded_rows(b, z, i0, i1, buffer)
                for e in range(axis_h.window):
                    for m in range(axis_w.window):
                        taps_ = tap_slice(view, i1 - i0, e, m)
                        weights = wk[a, e, m]
                        if elementwise:
                            target += taps_ * weights[0]
                        elif blas:
                            tap = (a * axis_h.window + e) * axis_w.window + m
                            columns[:, :, :, tap] = taps_.reshape(
                                taps_.shape[:2] + (groups, per_group))
                        elif groups == 1:
                            target += taps_ @ weights
                        else:
                            grouped = taps_.reshape(taps_.shape[:-1] + (groups, per_group))
                            target += np.einsum(
                                "...gc,cgf->...gf", grouped,
                                weights.reshape(per_group, groups, per_out)).reshape(target.shape)
            if blas:
                _band_product(columns, wk, target, groups, per_group, per_out)

    tasks = B * Do * per_plane
    if blas:
        work(0, tasks)   # BLAS has its own threads
    else:
        run_tasks(work, (), tasks, out5.size * taps * max(1, per_group))
    y = out5.reshape((B,) + plan.output_shape + (out_channels,))
    return y if result == accumulator else y.astype(result)


def _band_product(columns, wk, target, groups, per_group, per_out):
    """``target = band input matrix @ weights``: one matrix product per group."""
    pixels = target.shape[0] * target.shape[1]
    taps = columns.shape[3]
    matrix_rows = columns.reshape(pixels, groups, taps * per_group)
    out2 = target.reshape(pixels, -1)
    for g in range(groups):
        matrix = wk[..., g * per_out:(g + 1) * per_out].reshape(taps * per_group, per_out)
        np.matmul(matrix_rows[:, g], matrix, out=out2[:, g * per_out:(g + 1) * per_out])


def fft_exact(x: np.ndarray, w: np.ndarray) -> bool:
    """Whether the FFT gives the direct sum's result here: only when every value is finite.

    A NaN or infinity anywhere in a tile spreads over the whole tile's transform, where the
    direct sum keeps it to the windows that hold it. One float64 sum of each array tells (any
    NaN or infinity makes it non-finite; no array-sized temporary); an overflow of the sum
    itself only sends the case to the direct path.

    >>> fft_exact(np.ones(4, np.float32), np.ones(3))
    True
    >>> fft_exact(np.array([1.0, np.inf]), np.ones(3))
    False
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.sum(x, dtype=np.float64))
                    and np.isfinite(np.sum(w, dtype=np.float64)))


def _fft_modules():
    try:
        import scipy.fft as fft

        return fft, {"workers": -1}, fft.next_fast_len
    except ImportError:
        fft = np.fft

        def next_fast_len(n, real=True):
            size = 1
            while size < n:
                size *= 2
            best = size
            for a in range(0, best.bit_length()):
                for b in range(0, 12):
                    for c in range(0, 8):
                        candidate = (2 ** a) * (3 ** b) * (5 ** c)
                        if n <= candidate < best:
                            best = candidate
            return best
        return fft, {}, next_fast_len


def _fft_conv(x, w, plan, accumulator, result):
    """Single-channel (or depthwise) correlation by FFT, overlap-add on tiles, float64.

    ``full[t] = sum_m x[t + m*d] w[m]`` for ``t = -(e-1) .. n-1`` is computed on a canvas;
    output ``i`` (stride 1) is ``full[i - lo]`` (zero where the padding exceeds ``e - 1``).
    """
    fft, options, next_fast_len = _fft_modules()
    n = len(plan.axes)
    channels = x.shape[-1]
    spatial = x.shape[1:-1]
    dilated = [a.effective_window for a in plan.axes]
    kernel = np.zeros(tuple(dilated) + (w.shape[-1],), np.float64)
    kernel[tuple(slice(None, None, a.dilation) for a in plan.axes)] = \
        w.reshape(plan.window_shape + (w.shape[-1],))
    kernel = kernel[(slice(None, None, -1),) * n]   # correlation = convolution, kernel flipped
    tile = [min(size, _FFT_TILE[n]) for size in spatial]
    shape = [next_fast_len(t + e - 1, True) for t, e in zip(tile, dilated, strict=True)]
    axes = tuple(range(n))
    out = empty((x.shape[0],) + plan.output_shape + (w.shape[-1],), accumulator)
    for c in range(channels):
        spectrum = fft.rfftn(kernel[..., c % kernel.shape[-1]], shape, axes=axes, **options)
        for b in range(x.shape[0]):
            canvas = np.zeros([s + e - 1 for s, e in zip(spatial, dilated, strict=True)])
            for starts in itertools.product(*(range(0, s, t) for s, t in
                                              zip(spatial, tile, strict=True))):
                block = x[(b,) + tuple(slice(s0, s0 + t) for s0, t in
                                       zip(starts, tile, strict=True)) + (c,)]
                full = fft.irfftn(fft.rfftn(block.astype(np.float64), shape, axes=axes, **options)
                                  * spectrum, shape, axes=axes, **options)
                extent = [s + e - 1 for s, e in zip(block.shape, dilated, strict=True)]
                region = tuple(slice(s0, s0 + size) for s0, size in zip(starts, extent,
                                                                         strict=True))
                canvas[region] += full[tuple(slice(0, size) for size in extent)]
            # canvas index u is full[u - (e-1)]; output i is full[i - lo]
            target = out[b, ..., c]
            target[...] = 0
            source, dest = [], []
            for a, e, size in zip(plan.axes, dilated, canvas.shape, strict=True):
                first = e - 1 - a.pad_before            # canvas index of output 0
                start, stop = max(0, first), min(size, first + a.output)
                source.append(slice(start, max(start, stop)))
                dest.append(slice(start - first, start - first + max(0, stop - start)))
            target[tuple(dest)] = canvas[tuple(source)]
    return out if result == accumulator else out.astype(result)
