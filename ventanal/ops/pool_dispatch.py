"""Fast pooling: pick a backend and a kernel from the plan, and run it on every core.

``pool()`` calls :func:`max_pool` and :func:`avg_pool` here with a channels-last input and
the op's plan. Each returns the result, computed by the backend that :mod:`._backend` selects
(numba kernels or the fast NumPy path), or None when the reference implementation should run
(``VENTANAL_BACKEND=reference``). Every path gives the reference's result: MAX bit for bit
(NaN propagation, ``-inf`` or the smallest integer for windows without a real cell; two
freedoms no comparison sees: the sign of a zero maximum of +0 and -0 taps, which depends on
the order the kernel visits the taps in, as with ``np.maximum``, or is +0 in window doubling,
where -0 sorts below +0; and a NaN maximum may be the standard quiet NaN rather than the
input's payload), AVG within rounding.

The numba kernel comes from the plan: doubling for large max windows, a direct kernel for
many channels, a row-buffer kernel for planes.
"""

from __future__ import annotations

import numpy as np

from .. import geometry
from . import _backend, _numpy_pool, memory
from .canonical import Canonical
from .dtypes import NUMBA_DTYPES, average_dtypes, lowest
from .threads import run_tasks

__all__ = ["max_pool", "avg_pool", "vector_options"]

# Max windows with at least this many taps along H or W use window doubling: about
# 2 log2(k) passes instead of k.
_DOUBLING_MIN_WINDOW = 6
# Channels-last inputs with at least this many channels and at most this many taps per
# window use the direct kernels (one pass per output row, the channels filling vectors);
# others combine rows first. Max pooling also takes windows of up to 3 x 3 taps (D and H rows
# x W columns) directly: one pass of nine taps beats combining three rows first.
_MIN_CHANNELS_DIRECT = 8
_MAX_TAPS_DIRECT = 4
_MAX_DIRECT_3X3 = 3
# Element-operations per output cell and doubling level (keys, loads, max, store), for
# run_tasks's choice of threads.
_DOUBLING_WORK_PER_LEVEL = 4
# Window doubling works on floats as ordered integer keys of their width
# (_numba_vectors.ordered_key).
_KEY_TYPES = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


@_backend.starts_background
def max_pool(x: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray | None:
    """Max pooling of channels-last ``x`` by the active backend, or None for the reference."""
    backend = _backend.active(_pool_work(x, plan))
    if backend == "reference" or x.size == 0:  # empty arrays: nothing to speed up
        return None
    if backend == "numba" and x.dtype in NUMBA_DTYPES:
        try:
            return _numba_max_pool(x, plan)
        except _backend.KernelsNotReady:   # compiling in the background: NumPy this time
            pass
    return _numpy_pool.max_pool(x, plan)


@_backend.starts_background
def avg_pool(x: np.ndarray, plan: geometry.WindowPlan,
             count_include_pad: bool) -> np.ndarray | None:
    """Average pooling of channels-last ``x``, or None for the reference."""
    backend = _backend.active(_pool_work(x, plan))
    if backend == "reference" or x.size == 0:
        return None
    if backend == "numba" and x.dtype in NUMBA_DTYPES:
        try:
            return _numba_avg_pool(x, plan, count_include_pad)
        except _backend.KernelsNotReady:   # compiling in the background: NumPy this time
            pass
    return _numpy_pool.avg_pool(x, plan, count_include_pad)


def _pool_work(x: np.ndarray, plan: geometry.WindowPlan) -> int:
    """Element-operations of a pooling: output cells times window taps."""
    return (x.shape[0] * x.shape[-1] * int(np.prod(plan.output_shape))
            * int(np.prod(plan.window_shape)))


def _numba_max_pool(x: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray:
    kernels = _backend.numba_kernels(required=True)
    boolean = x.dtype == np.bool_
    if boolean:
        x = x.view(np.uint8)
    job = Canonical(x, plan)
    out5 = job.empty(x.dtype)
    fill = lowest(x.dtype)
    axis_d, axis_h, axis_w = job.axes
    kd, kh, kw = job.plan.window_shape
    B, Do, Ho, Wo, C = out5.shape
    W = axis_w.size
    work = out5.size * kd * kh * kw
    if kd == 1 and max(kh, kw) >= _DOUBLING_MIN_WINDOW and (
            axis_h.stride < kh or axis_w.stride < kw):
        # Whole planes, or as many bands of one as there are threads: each band recomputes
        # the input rows it shares with the band above.
        band = -(-Ho // max(1, -(-_backend.num_threads() // (B * Do))))
        tasks = B * Do * -(-Ho // band)
        work = out5.size * _DOUBLING_WORK_PER_LEVEL * (kh.bit_length() + kw.bit_length())
        key_zero = _KEY_TYPES.get(x.dtype, x.dtype.type)(0)   # keys have the item's width
        lanes = kernels.vector_lanes(key_zero.dtype)
        _, stream = vector_options(out5, Wo * C)   # whole output rows in whole vectors
        run_tasks(kernels.max_doubling,
                  (job.rows.reshape(-1, W * C), out5.reshape(-1, Wo * C), job.geo, fill,
                   key_zero, lanes, band, stream),
                  tasks, work)
    elif C >= _MIN_CHANNELS_DIRECT and (kd * kh * kw <= _MAX_TAPS_DIRECT or (
            kd * kh <= _MAX_DIRECT_3X3 and kw <= _MAX_DIRECT_3X3)):
        vectors, stream = vector_options(out5, C)
        run_tasks(kernels.max_channels,
                  (job.rows.reshape(-1, W, C), out5.reshape(-1, Wo, C), job.geo, fill,
                   vectors, stream),
                  B * Do * Ho, work)
    else:
        run_tasks(kernels.max_rows,
                  (job.rows.reshape(-1, W * C), out5.reshape(-1, Wo * C), job.geo, fill),
                  B * Do * Ho, work)
    y = job.result(out5)
    return y.view(np.bool_) if boolean else y


def vector_options(out5: np.ndarray, channels: int) -> tuple[bool, bool]:
    """(explicit vector loops, non-temporal stores) for a direct pooling kernel writing
    ``out5``: vectors when the channels fill whole vectors, streaming when every vector of
    the result is then aligned to whole vectors and the result is large."""
    kernels = _backend.numba_kernels(required=True)
    vectors = channels % kernels.vector_lanes(out5.dtype) == 0
    stream = (vectors and out5.ctypes.data % kernels.vector_bytes() == 0
              and out5.nbytes >= memory.STREAM_MIN_BYTES)
    return vectors, stream


def _average_counts(axes, count_include_pad: bool) -> list[np.ndarray]:
    return [np.ascontiguousarray(axis.padded_counts() if count_include_pad
                                 else axis.real_counts(), dtype=np.float64) for axis in axes]


def _numba_avg_pool(x: np.ndarray, plan: geometry.WindowPlan,
                    count_include_pad: bool) -> np.ndarray:
    kernels = _backend.numba_kernels(required=True)
    if x.dtype == np.bool_:
        x = x.view(np.uint8)
    accumulator, _ = average_dtypes(x.dtype)   # the kernels write the result in it
    job = Canonical(x, plan)
    out5 = job.empty(accumulator)
    counts = _average_counts(job.axes, count_include_pad)
    kd, kh, kw = job.plan.window_shape
    W = job.axes[2].size
    B, Do, Ho, Wo, C = out5.shape
    zero = accumulator.type(0)
    work = out5.size * kd * kh * kw
    if C >= _MIN_CHANNELS_DIRECT and kd * kh * kw <= _MAX_TAPS_DIRECT:
        vectors, stream = vector_options(out5, C)
        run_tasks(kernels.avg_channels,
                  (job.rows.reshape(-1, W, C), out5.reshape(-1, Wo, C), job.geo, *counts, zero,
                   vectors, stream),
                  B * Do * Ho, work)
    else:
        run_tasks(kernels.avg_rows,
                  (job.rows.reshape(-1, W * C), out5.reshape(-1, Wo * C), job.geo, *counts,
                   zero),
                  B * Do * Ho, work)
    return job.result(out5)
