"""Fast pooling and convolution: pick a kernel from the plan and run it on every core.

``pool()`` and ``conv()`` call :func:`max_pool`, :func:`avg_pool` and :func:`conv` here with a
channels-last input and the op's plan. Each returns the result, computed by the backend that
:mod:`._backend` selects (numba kernels or the fast NumPy path), or None when the reference
implementation should run (``VENTANAL_BACKEND=reference``). Every path gives the reference's
result: MAX bit for bit (NaN propagation, ``-inf`` or the smallest integer for windows without
a real cell; two freedoms no comparison sees: the sign of a zero maximum of +0 and -0 taps,
which depends on the order the kernel visits the taps in, as with ``np.maximum``, or is +0 in
window doubling, where -0 sorts below +0; and a NaN maximum may be the standard quiet NaN
rather than the input's payload), AVG and convolution within rounding.

What this module decides, and why:

* **Layout.** Kernels want C-contiguous rows. A channels-last array is used as it is; an array
  whose memory is channels-first (``NCHW``, moved to channels-last by ``Layout``) is seen as
  ``B*C`` single-channel planes, which is contiguous too. Anything else is copied once.
* **Rank.** 1-D and 2-D problems are lifted to three spatial axes with windows of one tap.
* **Kernel.** From the plan: doubling for large max windows, a direct kernel for many channels,
  a row-buffer kernel for planes; for convolution see :func:`conv`.
* **Threads.** Outputs are split into contiguous row ranges, eight per thread, which the
  threads take in turn (:func:`run_tasks`); numba kernels release the GIL. Small problems run
  on the calling thread. A worker woken onto a CPU that the call already runs on moves to a
  free one at once (:func:`_spread`), instead of sharing it for a scheduler tick.
* **Memory of results.** Outputs are allocated by NumPy (huge pages), never inside numba. A
  fresh multi-MiB result costs page faults when first written: on the benchmark machine,
  3 to 5 ms per 32 MiB, as much as the pooling itself. So, like the frameworks' allocators,
  :func:`empty` recycles the memory of large results once every array using it has been
  garbage-collected, keeping at most ``VENTANAL_RESULT_CACHE_MB`` MiB (default 256; 0
  turns this off) of such idle memory. Results are ordinary writeable arrays; only
  ``flags.owndata`` is False (their memory belongs to the cache until they die).
"""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import geometry
from . import _backend
from ._common import pad_to_plan

__all__ = ["max_pool", "avg_pool", "conv", "run_tasks", "empty"]

# Below this many element-operations per thread, a thread costs more than it saves.
_MIN_WORK_PER_THREAD = 1 << 16
# Chunks of tasks per thread (see run_tasks).
_CHUNKS_PER_THREAD = 8
# Max windows with at least this many taps along H or W use window doubling.
_DOUBLING_MIN_WINDOW = 6
# Channels-last inputs with at least this many channels and at most this many taps per
# window use the direct kernels (one pass per output row); others combine rows first.
# Max pooling also takes windows of up to 3 x 3 taps (D and H rows x W columns) directly:
# one pass of nine taps (NHWC 3x3/2 on (8,256,256,64): 7.1 ms against 7.9 through rows).
_MIN_CHANNELS_DIRECT = 8
_MAX_TAPS_DIRECT = 4
_MAX_DIRECT_3X3 = 3
# Results at least this large are written with non-temporal stores where a kernel can (the
# direct pooling kernels): they bypass the cache, which a result larger than a core's L2
# would leave anyway, and skip reading each line before writing it (NHWC 2x2/2 average
# pooling on Sapphire Rapids: 4.0 ms against 4.6).
_STREAM_MIN_BYTES = 4 << 20

_NUMBA_MAX_DTYPES = frozenset(np.dtype(t) for t in (
    np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
    np.uint8, np.uint16, np.uint32, np.uint64, np.bool_))
# Window doubling works on floats as ordered integer keys of their width (_numba_pool._key).
_KEY_TYPES = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}
_UNIT_AXIS = geometry.AxisWindow(1, 1, 1, 1, 0, 0, 1)


# ---------------------------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_threads = 0


def _pool(threads: int) -> ThreadPoolExecutor:
    global _executor, _executor_threads
    if _executor is None or _executor_threads < threads:
        if _executor is not None:
            _executor.shutdown(wait=False)
        _executor = ThreadPoolExecutor(threads, thread_name_prefix="ventanal")
        _executor_threads = threads
    return _executor


def _forget_pool_after_fork():
    global _executor, _executor_threads
    _executor, _executor_threads = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _cpu_reader():
    """``sched_getcpu`` of the C library (Linux), or None where there is none."""
    try:
        import ctypes

        function = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError, TypeError):
        return None
    function.restype = ctypes.c_int
    function.argtypes = []
    return function


_sched_getcpu = _cpu_reader() if hasattr(os, "sched_setaffinity") else None


def _current_cpu() -> int:
    """The CPU the calling thread runs on, or -1 where that cannot be known."""
    return _sched_getcpu() if _sched_getcpu is not None else -1


def _spread(busy: set[int]) -> None:
    """Move the calling worker off a CPU that another thread of the same call runs on.

    Linux places a thread it wakes on the waker's CPU when it does not see another one idle,
    and on a virtual machine a vCPU that has been idle for a while is not seen as idle (it may
    have been handed back to the host): the woken worker then shares the caller's CPU for a
    scheduler tick (4 ms) before the load balancer moves it. Narrowing the worker's affinity
    to the CPUs not in ``busy`` migrates it at once; the affinity is restored right after, so
    nothing stays pinned (measured on 2 vCPUs, each call after a 50 ms pause: NHWC 2x2/2 max
    pooling 9.5 -> 6.3 ms, conv 3x3 64 -> 64 channels 13 -> 8.2 ms). Races between workers
    only cost a less even placement.
    """
    cpu = _current_cpu()
    if cpu < 0:
        return
    if cpu in busy:
        try:
            allowed = os.sched_getaffinity(0)
            free = allowed - busy
            if free:
                os.sched_setaffinity(0, free)
                os.sched_setaffinity(0, allowed)
                cpu = _current_cpu()
        except OSError:   # a sandbox that forbids it: the balancer will do it later
            return
    busy.add(cpu)


def run_tasks(kernel, args: tuple, tasks: int, work: int, offset: int = 0) -> None:
    """Call ``kernel(*args, first, last)`` on contiguous ranges covering ``offset + range(tasks)``.

    ``work`` (element-operations) decides how many threads are worth starting. The ranges are
    chunks, ``_CHUNKS_PER_THREAD`` per thread, that the threads take in turn as they finish
    the last: on a shared machine one thread can lose its core for milliseconds, and with one
    fixed half each the whole op waited for it (conv 64->64: 12 ms alone, 16-24 ms in the
    benchmark on 2 vCPUs). Every output is computed the same way whoever computes it, under
    the caller's ``np.errstate``.
    """
    threads = min(_backend.num_threads(), tasks, max(1, work // _MIN_WORK_PER_THREAD))
    if threads <= 1:
        kernel(*args, offset, offset + tasks)
        return
    chunks = min(tasks, threads * _CHUNKS_PER_THREAD)
    bounds = [offset + tasks * t // chunks for t in range(chunks + 1)]
    turns = itertools.count()   # next() on a count is atomic under the GIL
    busy = {_current_cpu()}     # CPUs that a thread of this call runs on
    errors = np.geterr()        # the caller's floating-point state: NumPy keeps one per thread

    def work_through():
        while (t := next(turns)) < chunks:
            kernel(*args, bounds[t], bounds[t + 1])

    def worker():
        _spread(busy)
        with np.errstate(**errors):
            work_through()

    pool = _pool(threads - 1)
    futures = [pool.submit(worker) for _ in range(1, threads)]
    try:
        work_through()
    finally:
        for future in futures:
            future.result()


# ---------------------------------------------------------------------------------------------
# Memory of results
# ---------------------------------------------------------------------------------------------

_CACHE_VARIABLE = "VENTANAL_RESULT_CACHE_MB"
_CACHE_MIN_BYTES = 4 << 20   # smaller results come from malloc's own free lists anyway
_cache_lock = threading.Lock()
_idle: OrderedDict[int, list[np.ndarray]] = OrderedDict()   # nbytes -> idle raw buffers
_idle_bytes = 0


def _cache_limit() -> int:
    value = os.environ.get(_CACHE_VARIABLE, "").strip()
    if not value:
        return 256 << 20
    try:
        megabytes = float(value)
    except ValueError:
        raise ValueError(f"environment variable {_CACHE_VARIABLE} must be a number of MiB, "
                         f"got {value!r}") from None
    return max(0, int(megabytes * (1 << 20)))


def _release(raw: np.ndarray) -> None:
    """Called when the last array on ``raw`` dies: keep ``raw`` idle for reuse, within the limit."""
    global _idle_bytes
    limit = _cache_limit()
    with _cache_lock:
        if raw.nbytes > limit:
            return
        while _idle_bytes + raw.nbytes > limit and _idle:
            size, buffers = next(iter(_idle.items()))   # the least recently used size
            buffers.pop()
            _idle_bytes -= size
            if not buffers:
                del _idle[size]
        _idle.setdefault(raw.nbytes, []).append(raw)
        _idle.move_to_end(raw.nbytes)
        _idle_bytes += raw.nbytes


def empty(shape, dtype) -> np.ndarray:
    """``np.empty(shape, dtype)``, on recycled memory when a large result of that size died."""
    global _idle_bytes
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes < _CACHE_MIN_BYTES or _cache_limit() == 0:
        return np.empty(shape, dtype)
    raw = None
    with _cache_lock:
        buffers = _idle.get(nbytes)
        if buffers:
            raw = buffers.pop()
            _idle_bytes -= nbytes
            if not buffers:
                del _idle[nbytes]
    if raw is None:
        # 64-byte aligned (NumPy guarantees 16): vector loads never split a cache line
        spare = np.empty(nbytes + 64, np.uint8)
        offset = -spare.ctypes.data % 64
        raw = spare[offset:offset + nbytes]
    flat = np.frombuffer(memoryview(raw), dtype=dtype)
    # ``flat.base`` is the memoryview that every view of the result keeps alive (NumPy stops
    # its base chains at the first object that is not an array): when it dies, nothing uses
    # ``raw`` any more.
    weakref.finalize(flat.base, _release, raw)
    return flat.reshape(shape)


def _forget_cache_after_fork():
    global _idle_bytes
    _idle.clear()
    _idle_bytes = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_cache_after_fork)


# ---------------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------------

class Canonical:
    """A channels-last input as C-contiguous ``(batch, D, H, W, C)`` and the way back.

    ``planes`` is True when a channels-first array was reinterpreted as ``batch*C``
    single-channel planes; :meth:`empty` then allocates the output channels-first too and
    :meth:`result` returns it as a channels-last view, which ``Layout`` moves back for free.
    """

    def __init__(self, x: np.ndarray, plan: geometry.WindowPlan):
        self.batch, self.channels = x.shape[0], x.shape[-1]
        self.spatial = x.shape[1:-1]
        self.output = plan.output_shape
        self.planes = False
        if not x.flags.c_contiguous:
            moved = np.moveaxis(x, -1, 1)
            if moved.flags.c_contiguous:
                self.planes = True
                x = moved
            else:
                x = np.ascontiguousarray(x)
        self.axes = (_UNIT_AXIS,) * (3 - len(plan.axes)) + tuple(plan.axes)
        D, H, W = (axis.size for axis in self.axes)
        C = 1 if self.planes else self.channels
        self.rows = x.reshape(-1, D, H, W, C)
        self.geo = np.array([[a.size, a.window, a.stride, a.dilation, a.pad_before, a.output,
                              a.span] for a in self.axes], dtype=np.int64)

    @property
    def out_shape5(self) -> tuple[int, ...]:
        return (self.rows.shape[0],) + tuple(a.output for a in self.axes) + (self.rows.shape[-1],)

    def empty(self, dtype) -> np.ndarray:
        """The output, ``(batch', Do, Ho, Wo, C')``, uninitialised."""
        return empty(self.out_shape5, dtype)

    def result(self, out5: np.ndarray) -> np.ndarray:
        """``out5`` as the channels-last output ``(batch, *output, channels)``."""
        if self.planes:
            return np.moveaxis(out5.reshape((self.batch, self.channels) + self.output), 1, -1)
        return out5.reshape((self.batch,) + self.output + (self.channels,))


def _lowest(dtype: np.dtype):
    if dtype.kind == "f":
        return dtype.type(-np.inf)
    if dtype.kind == "b":
        return np.uint8(0)
    return dtype.type(np.iinfo(dtype).min)


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------

def max_pool(x: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray | None:
    """Max pooling of channels-last ``x`` by the active backend, or None for the reference."""
    backend = _backend.active(_pool_work(x, plan))
    if backend == "reference" or x.size == 0:  # empty arrays: nothing to speed up
        return None
    if backend == "numba" and x.dtype in _NUMBA_MAX_DTYPES:
        return _numba_max_pool(x, plan)
    from . import _numpy_fast

    return _numpy_fast.max_pool(x, plan)


def avg_pool(x: np.ndarray, plan: geometry.WindowPlan,
             count_include_pad: bool) -> np.ndarray | None:
    """Average pooling of channels-last ``x``, or None for the reference."""
    backend = _backend.active(_pool_work(x, plan))
    if backend == "reference" or x.size == 0:
        return None
    if backend == "numba" and x.dtype in _NUMBA_MAX_DTYPES:
        return _numba_avg_pool(x, plan, count_include_pad)
    from . import _numpy_fast

    return _numpy_fast.avg_pool(x, plan, count_include_pad)


def _pool_work(x: np.ndarray, plan: geometry.WindowPlan) -> int:
    """Element-operations of a pooling: output cells times window taps."""
    return (x.shape[0] * x.shape[-1] * int(np.prod(plan.output_shape))
            * int(np.prod(plan.window_shape)))


def _numba_max_pool(x: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray:
    kernels = _backend.numba_kernels(required=True)["pool"]
    boolean = x.dtype == np.bool_
    if boolean:
        x = x.view(np.uint8)
    job = Canonical(x, plan)
    out5 = job.empty(x.dtype)
    lowest = _lowest(x.dtype)
    (D, kd, *_), (H, kh, sh, dh, *_), (W, kw, sw, *_) = job.geo.tolist()
    B, Do, Ho, Wo, C = out5.shape
    work = out5.size * kd * kh * kw
    if kd == 1 and max(kh, kw) >= _DOUBLING_MIN_WINDOW and (sh < kh or sw < kw):
        # Whole planes, or as many bands of one as there are threads: each band recomputes
        # the eh - 1 input rows it shares with the band above.
        band = -(-Ho // max(1, -(-_backend.num_threads() // (B * Do))))
        tasks = B * Do * -(-Ho // band)
        work = out5.size * 4 * (kh.bit_length() + kw.bit_length())
        from ._numba_pool import vector_lanes

        key_zero = _KEY_TYPES.get(x.dtype, x.dtype.type)(0)   # keys have the item's width
        lanes = vector_lanes(key_zero.dtype)
        _, stream = _vector_options(out5, Wo * C)   # whole output rows in whole vectors
        run_tasks(kernels.max_doubling,
                  (job.rows.reshape(-1, W * C), out5.reshape(-1, Wo * C), job.geo, lowest,
                   key_zero, lanes, band, stream),
                  tasks, work)
    elif C >= _MIN_CHANNELS_DIRECT and (kd * kh * kw <= _MAX_TAPS_DIRECT or (
            kd * kh <= _MAX_DIRECT_3X3 and kw <= _MAX_DIRECT_3X3)):
        vectors, stream = _vector_options(out5, C)
        run_tasks(kernels.max_channels,
                  (job.rows.reshape(-1, W, C), out5.reshape(-1, Wo, C), job.geo, lowest,
                   vectors, stream),
                  B * Do * Ho, work)
    else:
        run_tasks(kernels.max_rows,
                  (job.rows.reshape(-1, W * C), out5.reshape(-1, Wo * C), job.geo, lowest),
                  B * Do * Ho, work)
    y = job.result(out5)
    return y.view(np.bool_) if boolean else y


def _vector_options(out5: np.ndarray, channels: int) -> tuple[bool, bool]:
    """(explicit vector loops, non-temporal stores) for a direct pooling kernel writing
    ``out5``: vectors when the channels fill whole vectors, streaming when every vector of
    the result is then aligned to whole vectors and the result is large."""
    from ._numba_pool import vector_bytes, vector_lanes

    vectors = channels % vector_lanes(out5.dtype) == 0
    stream = (vectors and out5.ctypes.data % vector_bytes() == 0
              and out5.nbytes >= _STREAM_MIN_BYTES)
    return vectors, stream


def _average_counts(axes, count_include_pad: bool) -> list[np.ndarray]:
    return [np.ascontiguousarray(axis.padded_counts() if count_include_pad
                                 else axis.real_counts(), dtype=np.float64) for axis in axes]


def _numba_avg_pool(x: np.ndarray, plan: geometry.WindowPlan,
                    count_include_pad: bool) -> np.ndarray:
    kernels = _backend.numba_kernels(required=True)["pool"]
    if x.dtype == np.bool_:
        x = x.view(np.uint8)
    accumulator = np.dtype(np.float32) if x.dtype == np.float32 else np.dtype(np.float64)
    job = Canonical(x, plan)
    out5 = job.empty(accumulator)
    counts = _average_counts(job.axes, count_include_pad)
    (D, kd, *_), (H, kh, *_), (W, kw, *_) = job.geo.tolist()
    B, Do, Ho, Wo, C = out5.shape
    zero = accumulator.type(0)
    work = out5.size * kd * kh * kw
    if C >= _MIN_CHANNELS_DIRECT and kd * kh * kw <= _MAX_TAPS_DIRECT:
        vectors, stream = _vector_options(out5, C)
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


# ---------------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------------

def conv(x: np.ndarray, w: np.ndarray, plan: geometry.WindowPlan,
         groups: int) -> np.ndarray | None:
    """Convolution of channels-last ``x`` with ``w`` (spatial, in/groups, out), or None."""
    work = (x.shape[0] * int(np.prod(plan.output_shape)) * int(np.prod(plan.window_shape))
            * w.shape[-2] * w.shape[-1])
    backend = _backend.active(work)
    if backend == "reference" or x.size == 0 or w.size == 0:
        return None
    from .conv import _dtypes

    accumulator, result = _dtypes(x, w)
    if (backend == "numba" and x.dtype in _NUMBA_MAX_DTYPES and w.dtype in _NUMBA_MAX_DTYPES
            and accumulator == result):
        y = _numba_conv(x, w, plan, groups, accumulator)
        if y is _FFT:   # the FFT decided on, and the input checked for it: not twice
            from . import _numpy_fast

            return _numpy_fast.conv(x, w, plan, groups, accumulator, result, fft=True)
        if y is not None:
            return y
    from . import _numpy_fast

    return _numpy_fast.conv(x, w, plan, groups, accumulator, result)


# Float convolutions with few input and output channels (outside whole register tiles) use the
# direct kernel ``conv_channels``; the others go to ``conv_tiles`` or BLAS on bands of the input
# matrix (3 -> 64 channels: 22 ms by BLAS against 63 ms by ``conv_channels``).
_MAX_CHANNELS_DIRECT = 4
_MAX_OUT_CHANNELS_DIRECT = 16
# Float convolutions with at most this many terms (taps x input channels) per output and
# output channels in whole register tiles (two vectors: 16 float32 with AVX2) use
# ``conv_tiles``; more terms go to BLAS, whose kernels use the FMA units better (measured on
# an AVX2 AMD EPYC: 3x3x3 -> 64: 25 ms against 38 ms by BLAS; 3x3x8: 17 against 20; 3x3x16:
# 32 against 30).
_MAX_TERMS_TILES = 96
# With AVX-512 the tiles are 6 pixels x 32 float32 channels in 12 of 32 registers (x 64 in
# 24 when the channels come in 64s), and stay ahead of BLAS to about a thousand terms (AMD
# Zen 4, 32-channel tiles: 3x3x64 -> 64 10.6 ms against 13.2, 3x3x96 -> 64 16.6 against 19.2,
# 3x3x128 -> 128 15.0 against 11.1; Intel Xeon with AVX-512, 64-channel tiles: 3x3x64 -> 64
# 6.6-8.2 against 13-15, 3x3x112 -> 128 7.0 against 9.0, 3x3x128 -> 128 8.1 against 9.8).
_MAX_TERMS_TILES_WIDE = 1024
# Bands of the input matrix: about this many bytes (a share of the 2 MiB L2 of a core).
_COLUMNS_BAND_BYTES = 2 << 20


# Single-channel kernels with at least this many taps (20x20) go to FFT when scipy is there:
# 31x31 on 2048^2 takes 130 ms by FFT against 170 ms by ``conv_planes`` (AMD Zen 3)...
_FFT_MIN_TAPS = 400
# ... and with ``conv_plane_tiles`` (stride 1, no row dilation), this many, by vector bytes:
# on 2048^2 (Intel Xeon, FFT 110-125 ms whatever the kernel), the tiles take 30 ms for 31x31
# and 59 for 45x45 with AVX-512, 115 for 63x63; with AVX2 (the same CPU compiled for
# Haswell) 48 ms for 31x31, 97 for 45x45, 193 for 63x63.
_FFT_MIN_TAPS_TILES = {32: 2500, 64: 4000}


def _fft_exact(x, w) -> bool:
    from . import _numpy_fast

    return _numpy_fast.fft_exact(x, w)


def _have_scipy_fft() -> bool:
    import importlib.util

    return importlib.util.find_spec("scipy") is not None


def _conv_tiles(kernels, job: Canonical, w, accumulator, out5, result) -> np.ndarray:
    """``conv_tiles`` on the zero-padded canvas of the input (``pad_to_plan``: the input's size
    plus its padding, a small array beside the many output channels)."""
    axes = geometry.WindowPlan(job.axes)
    canvas = pad_to_plan(job.rows.astype(accumulator, copy=False), axes, 0, allocate=empty)
    B, Dp, Hp, Wp, C = canvas.shape
    (kd, dd), (kh, dh), (kw, dw) = ((a.window, a.dilation) for a in job.axes)
    # element offset of term (tap, channel) from the window's first cell, in the canvas
    offsets = ((((np.arange(kd) * dd)[:, None, None, None] * Hp
                 + (np.arange(kh) * dh)[None, :, None, None]) * Wp
                + (np.arange(kw) * dw)[None, None, :, None]) * C
               + np.arange(C)).ravel().astype(np.int64)
    out_channels = w.shape[-1]
    w2 = np.ascontiguousarray(w.reshape(-1, out_channels), accumulator)
    out2 = out5.reshape(-1, out_channels)
    # Non-temporal stores (results that are never read back by the kernel) need every row of
    # a tile at a whole-vector boundary.
    from ._numba_pool import vector_bytes

    stream = (out2.ctypes.data % vector_bytes() == 0
              and out2.strides[0] % vector_bytes() == 0)
    tasks = B * out5.shape[1] * out5.shape[2]
    run_tasks(kernels.conv_tiles,
              (canvas.reshape(-1), offsets, w2, out2, job.geo,
               np.array(canvas.shape, np.int64), stream),
              tasks, out2.size * offsets.size)
    return result


def _plane_tiles_apply(kernels, job: Canonical, accumulator: np.dtype) -> bool:
    """Whether ``conv_plane_tiles`` computes this single-channel convolution: 2-D, stride 1,
    no row dilation, float, and planes of at least one tile (``_PLANE_ROWS`` rows by
    ``_PLANE_VECTORS`` vectors of columns)."""
    from ._numba_pool import vector_lanes

    (D, kd, *_), (H, kh, sh, dh, *_), (W, kw, sw, *_) = job.geo.tolist()
    Ho, Wo = job.axes[1].output, job.axes[2].output
    return (accumulator.kind == "f" and D == 1 and kd == 1 and sh == sw == dh == 1
            and Ho >= kernels._PLANE_ROWS
            and Wo >= kernels._PLANE_VECTORS * vector_lanes(accumulator))


_FFT = object()   # _numba_conv's answer for "FFT, on the NumPy path"


def _numba_conv(x, w, plan, groups, accumulator) -> np.ndarray | object | None:
    """The numba paths; None when the case is better left to the NumPy path, ``_FFT`` when
    that is its FFT (the input already checked by ``_fft_exact``)."""
    kernels = _backend.numba_kernels(required=True)["conv"]
    if x.dtype == np.bool_:
        x = x.view(np.uint8)
    if w.dtype == np.bool_:
        w = w.astype(accumulator)
    in_channels, per_group, out_channels = x.shape[-1], w.shape[-2], w.shape[-1]
    taps = int(np.prod(plan.window_shape))
    job = Canonical(x, plan)
    (D, kd, *_), (H, kh, *_), (W, kw, *_) = job.geo.tolist()
    Do, Ho, Wo = (axis.output for axis in job.axes)
    tasks = job.rows.shape[0] * Do * Ho
    work = tasks * Wo * taps * per_group * max(1, out_channels // groups)
    depthwise = per_group == 1 and out_channels == groups
    if (in_channels == 1 and out_channels == 1) or (depthwise and job.planes):
        # one input and one output channel per plane; plane p uses kernel p % channels
        weights = np.ascontiguousarray(w.reshape(taps, out_channels).T, accumulator)
        tiles = _plane_tiles_apply(kernels, job, accumulator)
        from ._numba_pool import vector_bytes

        if (taps >= (_FFT_MIN_TAPS_TILES[vector_bytes()] if tiles else _FFT_MIN_TAPS)
                and accumulator.kind == "f" and _have_scipy_fft()
                and all(axis.stride == 1 for axis in plan.axes)
                and _fft_exact(x, w)):
            return _FFT   # the NumPy path's FFT (scipy, all cores)
        if not tiles and not np.isfinite(weights).all():
            # conv_planes skips padded cells, where 0 * inf must give NaN
            return None
        out5 = job.empty(accumulator)
        if tiles:
            out2 = out5.reshape(-1, Wo)
            stream = (out2.ctypes.data % vector_bytes() == 0
                      and out2.strides[0] % vector_bytes() == 0
                      and out2.nbytes >= _STREAM_MIN_BYTES)
            run_tasks(kernels.conv_plane_tiles, (job.rows.reshape(-1, W), weights, out2,
                                                 job.geo, stream),
                      job.rows.shape[0] * -(-Ho // kernels._PLANE_ROWS), work)
            return job.result(out5)
        run_tasks(kernels.conv_planes, (job.rows.reshape(-1, W), weights,
                                        out5.reshape(-1, Wo), job.geo, accumulator.type(0)),
                  tasks, work)
        return job.result(out5)
    if job.planes:   # channels-first data with many channels: the kernels want them last
        job = Canonical(np.ascontiguousarray(x), plan)
        tasks = job.rows.shape[0] * Do * Ho
        work = tasks * Wo * taps * per_group * max(1, out_channels // groups)
    out5 = empty((job.rows.shape[0], Do, Ho, Wo, out_channels), accumulator)
    result = out5.reshape((x.shape[0],) + plan.output_shape + (out_channels,))
    from ._numba_pool import vector_bytes, vector_lanes

    strip = 2 * vector_lanes(accumulator)     # output channels of one register tile
    most_terms = _MAX_TERMS_TILES_WIDE if vector_bytes() == 64 else _MAX_TERMS_TILES
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
