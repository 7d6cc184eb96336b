"""Fast convolution in NumPy alone: the path used where numba is absent, and the FFT.

Same results as the reference implementation within rounding, organised for speed:

* work goes by bands of output rows; each band's input rows are padded into a small buffer
  (never the whole input), about :data:`BAND_BYTES` of them;
* per band: elementwise multiply-adds for single-channel and depthwise kernels (on two or more
  Python threads: NumPy releases the GIL in its loops), one BLAS product of the band's input
  matrix otherwise (never wrapped in threads, BLAS has its own);
* large single-channel kernels with stride 1 go through the FFT (overlap-add on tiles, in
  float64), where every value is finite (:func:`fft_exact`).
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import geometry
from ._numpy_pool import BAND_BYTES
from .canonical import Canonical
from .memory import empty
from .threads import run_tasks

__all__ = ["conv", "fft_exact"]

# Single-channel (or depthwise) kernels with at least this many taps, stride 1: FFT.
_FFT_MIN_TAPS = 25
# Overlap-add tiles per rank: transforms that stay in a core's cache, large enough that the
# kernel's overlap is a small share of each.
_FFT_TILE = {1: 1 << 16, 2: 512, 3: 64}


def conv(x: np.ndarray, w: np.ndarray, plan: geometry.WindowPlan, groups: int,
         accumulator: np.dtype, result: np.dtype, fft: bool | None = None) -> np.ndarray:
    """Convolution of channels-last ``x`` with ``w`` (spatial, in/groups, out), banded NumPy.

    Bands of output rows; each band's input rows are padded into a small buffer (never the
    whole input). Per band: elementwise multiply-adds for single-channel and depthwise
    kernels (on threads), one BLAS product of the band's input matrix otherwise; FFT
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
    lo, read = axis_w.read_cells()
    # each output row reads up to a window's height of input rows
    row_bytes = span_w * in_channels * accumulator.itemsize * axis_h.effective_window
    band = max(1, min(Ho, BAND_BYTES // max(row_bytes, 1)))
    per_plane = -(-Ho // band)
    per_out = out_channels // groups
    blas = not elementwise and accumulator.kind == "f"

    def padded_rows(b, z, i0, i1, buffer):
        """The input rows read by output rows i0..i1, padded along H and W (zeros)."""
        top, count = axis_h.read_range(i0, i1)
        view = buffer[:count]
        view[...] = 0
        y0, y1 = max(0, top), min(axis_h.size, top + count)
        if 0 <= z < axis_d.size and y0 < y1:
            view[y0 - top:y1 - top, lo:lo + read] = job.rows[b, z, y0:y1, :read]
        return view

    def tap_slice(view, i0, i1, e, m):
        """Tap ``(e, m)`` of output rows i0..i1 in their padded rows ``view``."""
        return view[axis_h.tap_slice(e, i0, i1), axis_w.tap_slice(m)]

    def work(first: int, last: int) -> None:
        _, rows_max = axis_h.read_range(0, band)
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
                z = int(axis_d.tap(od, a))
                view = padded_rows(b, z, i0, i1, buffer)
                for e in range(axis_h.window):
                    for m in range(axis_w.window):
                        taps_ = tap_slice(view, i0, i1, e, m)
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
            """The smallest 2**a 3**b 5**c >= n (as scipy's), by search below a power of 2."""
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
                first = int(a.start(0)) + e - 1         # canvas index of output 0
                start, stop = max(0, first), min(size, first + a.output)
                source.append(slice(start, max(start, stop)))
                dest.append(slice(start - first, start - first + max(0, stop - start)))
            target[tuple(dest)] = canvas[tuple(source)]
    return out if result == accumulator else out.astype(result)
