"""Fast convolution: pick a backend and a kernel from the plan, and run it on every core.

``conv()`` calls :func:`conv` here with a channels-last input, the filters and the op's plan.
It returns the result, computed by the backend that :mod:`._backend` selects (numba kernels or
the fast NumPy path), or None when the reference implementation should run
(``VENTANAL_BACKEND=reference``); every path gives the reference's result within rounding.

The numba kernel comes from the plan and the channels: row-buffer kernels on single-channel
planes (``conv_planes``, or ``conv_plane_tiles`` in register tiles), register tiles of output
channels (``conv_tiles``), a direct kernel for few channels and integers (``conv_channels``),
and BLAS on bands of the input matrix for the rest; the FFT of the NumPy path for large
single-channel kernels. The thresholds are where one way overtakes the other on the
benchmark machines (``benchmarks/README.md``).
"""

from __future__ import annotations

import importlib.util

import numpy as np

from .. import geometry
from . import _backend, _numpy_conv, memory, winograd
from .canonical import Canonical
from .dtypes import NUMBA_DTYPES, conv_dtypes
from .threads import run_tasks

__all__ = ["conv"]

# Float convolutions with few input and output channels (outside whole register tiles) use the
# direct kernel ``conv_channels``; the others go to ``conv_tiles`` or BLAS on bands of the input
# matrix, which use the vector units better as soon as the channels fill them.
_MAX_CHANNELS_DIRECT = 4
_MAX_OUT_CHANNELS_DIRECT = 16
# Float convolutions with at most this many terms (taps x input channels) per output and
# output channels in whole register tiles (two vectors: 16 float32 with AVX2) use
# ``conv_tiles``; more terms go to BLAS, whose kernels use the FMA units better.
_MAX_TERMS_TILES = 96
# With AVX-512 the tiles are 6 pixels x 32 float32 channels in 12 of 32 registers (x 64 in
# 24 when the channels come in 64s), and stay ahead of BLAS to about a thousand terms.
_MAX_TERMS_TILES_WIDE = 1024
# Bands of the input matrix: about this many bytes (a share of the 2 MiB L2 of a core).
_COLUMNS_BAND_BYTES = 2 << 20
# The zero-padded input rows that conv_tiles copies for a band of output rows: they are read
# again for every strip of output channels and every term, so they should stay in a core's L2
# beside the weights.
_TILES_BAND_BYTES = 256 << 10
# Single-channel kernels with at least this many taps (20x20) go to FFT when scipy is there,
# whose cost hardly grows with the kernel...
_FFT_MIN_TAPS = 400
# ... and with ``conv_plane_tiles`` (stride 1, no row dilation), this many, by vector bytes:
# the tiles stay ahead of the FFT to larger kernels, the more so the wider the vectors.
_FFT_MIN_TAPS_TILES = {32: 2500, 64: 4000}
_FFT = object()   # _numba_conv's answer for "FFT, on the NumPy path"
# 3x3 float convolutions with stride 1 and at least this many input channels use Winograd's
# F(2x2, 3x3) (:mod:`.winograd`): 2.25x fewer multiplications, for the cost of transforming
# 4x4 input tiles and 2x2 output tiles, which the matrix products outweigh from here on...
_WINOGRAD_MIN_CHANNELS = 32
# ... while the 16 transformed filter matrices fit in a core's L2 beside the tiles: every pair
# of output rows reads them all (with 256 -> 256 channels, 4 MiB, it ran at 1.3-1.7x the time
# of BLAS on Zen 3).
_WINOGRAD_MAX_FILTER_BYTES = 1 << 20


@_backend.starts_background
def conv(x: np.ndarray, w: np.ndarray, plan: geometry.WindowPlan,
         groups: int) -> np.ndarray | None:
    """Convolution of channels-last ``x`` with ``w`` (spatial, in/groups, out), or None."""
    work = (x.shape[0] * int(np.prod(plan.output_shape)) * int(np.prod(plan.window_shape))
            * w.shape[-2] * w.shape[-1])
    backend = _backend.active(work)
    if backend == "reference" or x.size == 0 or w.size == 0:
        return None
    accumulator, result = conv_dtypes(x.dtype, w.dtype)
    if (backend == "numba" and x.dtype in NUMBA_DTYPES and w.dtype in NUMBA_DTYPES
            and accumulator == result):
        try:
            y = _numba_conv(x, w, plan, groups, accumulator)
        except _backend.KernelsNotReady:   # compiling in the background: NumPy this time
            y = None
        if y is _FFT:   # the FFT decided on, and the input checked for it: not twice
            return _numpy_conv.conv(x, w, plan, groups, accumulator, result, fft=True)
        if y is not None:
            return y
    return _numpy_conv.conv(x, w, plan, groups, accumulator, result)


def _have_scipy_fft() -> bool:
    return importlib.util.find_spec("scipy") is not None


def _streamable(out2: np.ndarray, vector_bytes: int) -> bool:
    """Whether every row of ``out2`` starts at a whole vector (non-temporal stores need it)."""
    return out2.ctypes.data % vector_bytes == 0 and out2.strides[0] % vector_bytes == 0


def _conv_tiles(kernels, job: Canonical, w, accumulator, out5, result) -> np.ndarray:
    """``conv_tiles``, which pads the input rows of each band of output rows itself."""
    B, D, H, W, C = job.rows.shape
    rows = np.ascontiguousarray(job.rows.reshape(-1, W * C), accumulator)
    axis_d, axis_h, axis_w = job.axes
    # offset of each tap from its window's first cell, per axis
    taps_d, taps_h, taps_w = (np.asarray(axis.tap(0, np.arange(axis.window)) - axis.start(0),
                                         np.int64) for axis in job.axes)
    row_bytes = axis_d.effective_window * axis_w.span * C * accumulator.itemsize
    band = max(1, min(axis_h.output, axis_h.windows_within(_TILES_BAND_BYTES // row_bytes)))
    band_reads = np.array([axis_h.read_range(0, n)[1] for n in range(1, band + 1)], np.int64)
    out_channels = w.shape[-1]
    w2 = np.ascontiguousarray(w.reshape(-1, out_channels), accumulator)
    out2 = out5.reshape(-1, out_channels)
    stream = _streamable(out2, kernels.vector_bytes())
    tasks = B * out5.shape[1] * out5.shape[2]
    run_tasks(kernels.conv_tiles,
              (rows, taps_d, taps_h, taps_w, band_reads, job.geo, w2, out2, stream),
              tasks, out2.size * w2.shape[0])
    return result


def _winograd_applies(kernels, job: Canonical, w: np.ndarray, groups: int,
                      accumulator: np.dtype) -> bool:
    """Whether F(2x2, 3x3) computes this convolution: 2-D, 3x3, stride 1, no dilation, float,
    one group, at least ``_WINOGRAD_MIN_CHANNELS`` input channels, transformed filters of at
    most ``_WINOGRAD_MAX_FILTER_BYTES``, output channels in whole register tiles (two vectors)
    and finite filters."""
    axis_d, axis_h, axis_w = job.axes
    return (groups == 1 and accumulator.kind == "f" and axis_d.size == axis_d.window == 1
            and all(axis.window == 3 and axis.stride == axis.dilation == 1
                    for axis in (axis_h, axis_w))
            and w.shape[-2] >= _WINOGRAD_MIN_CHANNELS
            and 16 * w.shape[-2] * w.shape[-1] * accumulator.itemsize <= _WINOGRAD_MAX_FILTER_BYTES
            and w.shape[-1] % (2 * kernels.vector_lanes(accumulator)) == 0
            and bool(np.isfinite(w).all()))


def _winograd(kernels, job: Canonical, w, accumulator, out5, result, work) -> np.ndarray | None:
    """``conv_winograd`` by tasks of two output rows; None when a result is not finite (the
    transforms may have made NaN of a direct sum's inf: the caller computes it directly)."""
    B, _, _, W, C = job.rows.shape
    rows = np.ascontiguousarray(job.rows.reshape(-1, W * C), accumulator)
    out_channels = w.shape[-1]
    pairs = C * out_channels
    # rows one cache line longer than the pairs: a multiple of 4 KiB apart, the 25 rows the
    # filter transform reads and writes would compete for the same L1 sets (13x its time)
    padded = pairs + 64 // accumulator.itemsize
    w9 = np.empty((9, padded), accumulator)
    w9[:, :pairs] = w.reshape(9, pairs)
    U = np.empty((16, padded), accumulator)
    kernels.transform_filters(w9, U, pairs)
    tasks = B * winograd.tiles(job.axes[1].output)   # a task per pair of output rows
    checks = np.zeros(tasks, accumulator)
    run_tasks(kernels.conv_winograd, (rows, job.geo, U, out5.reshape(-1, out_channels), checks),
              tasks, work)
    return None if np.isnan(checks).any() else result


def _plane_tiles_apply(kernels, job: Canonical, accumulator: np.dtype) -> bool:
    """Whether ``conv_plane_tiles`` computes this single-channel convolution: 2-D, stride 1,
    no row dilation, float, and planes of at least one tile (``PLANE_ROWS`` rows by
    ``PLANE_VECTORS`` vectors of columns)."""
    axis_d, axis_h, axis_w = job.axes
    return (accumulator.kind == "f" and axis_d.size == 1 and axis_d.window == 1
            and axis_h.stride == axis_w.stride == axis_h.dilation == 1
            and axis_h.output >= kernels.PLANE_ROWS
            and axis_w.output >= kernels.PLANE_VECTORS * kernels.vector_lanes(accumulator))


def _numba_conv(x, w, plan, groups, accumulator) -> np.ndarray | object | None:
    """The numba paths; None when the case is better left to the NumPy path, ``_FFT`` when
    that is its FFT (the input already checked by ``fft_exact``)."""
    kernels = _backend.numba_kernels(required=True)
    if x.dtype == np.bool_:
        x = x.view(np.uint8)
    if w.dtype == np.bool_:
        w = w.astype(accumulator)
    in_channels, per_group, out_channels = x.shape[-1], w.shape[-2], w.shape[-1]
    taps = int(np.prod(plan.window_shape))
    job = Canonical(x, plan)
    W = job.axes[2].size
    Do, Ho, Wo = job.plan.output_shape
    tasks = job.rows.shape[0] * Do * Ho
    work = tasks * Wo * taps * per_group * max(1, out_channels // groups)
    depthwise = per_group == 1 and out_channels == groups
    if (in_channels == 1 and out_channels == 1) or (depthwise and job.planes):
        # one input and one output channel per plane; plane p uses kernel p % channels
        weights = np.ascontiguousarray(w.reshape(taps, out_channels).T, accumulator)
        tiles = _plane_tiles_apply(kernels, job, accumulator)
        if (taps >= (_FFT_MIN_TAPS_TILES[kernels.vector_bytes()] if tiles else _FFT_MIN_TAPS)
                and accumulator.kind == "f" and _have_scipy_fft()
                and all(axis.stride == 1 for axis in plan.axes)
                and _numpy_conv.fft_exact(x, w)):
            return _FFT   # the NumPy path's FFT (scipy, all cores)
        if not tiles and not np.isfinite(weights).all():
            # conv_planes skips padded cells, where 0 * inf must give NaN
            return None
        out5 = job.empty(accumulator)
        if tiles:
            out2 = out5.reshape(-1, Wo)
            stream = (_streamable(out2, kernels.vector_bytes())
                      and out2.nbytes >= memory.STREAM_MIN_BYTES)
            run_tasks(kernels.conv_plane_tiles, (job.rows.reshape(-1, W), weights, out2,
                                                 job.geo, stream),
                      job.rows.shape[0] * -(-Ho // kernels.PLANE_ROWS), work)
            return job.result(out5)
        run_tasks(kernels.conv_planes, (job.rows.reshape(-1, W), weights,
                                        out5.reshape(-1, Wo), job.geo, accumulator.type(0)),
                  tasks, work)
        return job.result(out5)
    if job.planes:   # channels-first data with many channels: the kernels want them last
        job = Canonical(np.ascontiguousarray(x), plan)
        tasks = job.rows.shape[0] * Do * Ho
        work = tasks * Wo * taps * per_group * max(1, out_channels // groups)
    out5 = memory.empty((job.rows.shape[0], Do, Ho, Wo, out_channels), accumulator)
    result = out5.reshape((x.shape[0],) + plan.output_shape + (out_channels,))
    if _winograd_applies(kernels, job, w, groups, accumulator):
        done = _winograd(kernels, job, w, accumulator, out5, result, work)
        if done is not None:
            return done
    strip = 2 * kernels.vector_lanes(accumulator)     # output channels of one register tile
    most_terms = _MAX_TERMS_TILES_WIDE if kernels.vector_bytes() == 64 else _MAX_TERMS_TILES
    if (groups == 1 and accumulator.kind == "f" and out_channels % strip == 0
            and taps * in_channels <= most_terms):
        return _conv_tiles(kernels, job, w, accumulator, out5, result)
    if groups == 1 and (accumulator.kind != "f" or (in_channels <= _MAX_CHANNELS_DIRECT and
                                                     out_channels < _MAX_OUT_CHANNELS_DIRECT)):
        w3 = np.ascontiguousarray(w.reshape(taps, in_channels, out_channels), accumulator)
        run_tasks(kernels.conv_channels, (job.rows.reshape(-1, W, in_channels), w3,
                                          out5.reshape(-1, Wo, out_channels), job.geo,
                                          accumulator.type(0)), tasks, work)
        return result
    if accumulator.kind != "f":
        return None
    # BLAS on bands of the input matrix: rows of `cols` are output pixels, columns are
    # (group, tap, input channel); one matrix product per group and band.
    x2 = job.rows.reshape(-1, W * in_channels)
    depth = taps * per_group
    out_group = out_channels // groups
    matrices = [np.ascontiguousarray(
        w[..., g * out_group:(g + 1) * out_group].reshape(depth, out_group), accumulator)
        for g in range(groups)]
    band = max(1, min(tasks, _COLUMNS_BAND_BYTES // (Wo * groups * depth
                                                     * accumulator.itemsize)))
    cols = np.empty((band * Wo, groups * depth), accumulator)
    out2 = out5.reshape(-1, out_channels)
    for first in range(0, tasks, band):
        last = min(tasks, first + band)
        pixels = (last - first) * Wo
        # One thread: after each product OpenBLAS's own threads keep spinning for a while,
        # and a second thread of ours would only fight them for the other core.
        kernels.im2col(x2, cols, job.geo, groups, accumulator.type(0), first, first, last)
        for g, matrix in enumerate(matrices):
            np.matmul(cols[:pixels, g * depth:(g + 1) * depth], matrix,
                      out=out2[first * Wo:first * Wo + pixels, g * out_group:(g + 1) * out_group])
    return result
