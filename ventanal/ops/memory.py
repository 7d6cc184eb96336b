"""Memory of results: fresh by default, recycled only when the user asks.

:func:`empty` gives every result of the fast paths its own fresh memory. Small results are
plain ``np.empty`` arrays; large ones are carved from a private byte buffer at a 64-byte
boundary, so that the kernels can write them with non-temporal stores (whole aligned vectors),
and only that result references the buffer: it is freed with the result.

A fresh multi-MiB result costs page faults when first written, which can be as much as the
op itself. Like the frameworks' allocators, ventanal can instead recycle the memory of large
results once every array using it has been garbage-collected: set
``VENTANAL_RESULT_CACHE_MB`` to the MiB of such idle memory to keep (default 0: off). Recycled
results are ordinary writeable arrays, never shared with a live array; only ``flags.owndata``
is False, their memory belonging to the cache until they die. ``benchmarks/README.md``
measures both.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections import OrderedDict

import numpy as np

__all__ = ["CACHE_VARIABLE", "BUDGET_VARIABLE", "DEFAULT_BUDGET_MB", "ALIGNMENT",
           "STREAM_MIN_BYTES", "budget", "check_budget", "op_bytes", "cache_limit", "empty"]

CACHE_VARIABLE = "VENTANAL_RESULT_CACHE_MB"
# The memory an op may ask for (its result and the buffers it adds), checked before
# allocating: a tiny input with a huge padding, dilation or batch of windows is refused in a
# line instead of exhausting the machine.
BUDGET_VARIABLE = "VENTANAL_MAX_MB"
DEFAULT_BUDGET_MB = 1024
# A cache line, and the widest vector the kernels use (AVX-512): an aligned vector never
# straddles two lines.
ALIGNMENT = 64
# Results at least this large are aligned (and, if the user opts in, recycled); smaller ones
# come from malloc's own free lists and stay in the caches anyway.
ALIGNED_MIN_BYTES = 4 << 20
# Results at least this large are written with non-temporal stores where a kernel can: they
# bypass the cache, which a result larger than a core's L2 would leave anyway, and skip
# reading each line before writing it.
STREAM_MIN_BYTES = 4 << 20
_MIB = 1 << 20

_cache_lock = threading.Lock()
_idle: OrderedDict[int, list[np.ndarray]] = OrderedDict()   # nbytes -> idle raw buffers
_idle_bytes = 0


def cache_limit() -> int:
    """Bytes of idle result memory to keep, from ``VENTANAL_RESULT_CACHE_MB`` (default 0).

    Raises
    ------
    ValueError
        When the variable is not a finite number of MiB >= 0.

    Examples
    --------
    >>> import os
    >>> os.environ[CACHE_VARIABLE] = "1.5"
    >>> cache_limit()
    1572864
    >>> os.environ[CACHE_VARIABLE] = "-1"
    >>> cache_limit()
    Traceback (most recent call last):
    ValueError: environment variable VENTANAL_RESULT_CACHE_MB must be a number of MiB >= 0 ...
    >>> del os.environ[CACHE_VARIABLE]
    """
    value = os.environ.get(CACHE_VARIABLE, "").strip()
    if not value:
        return 0
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = math.nan
    if not (math.isfinite(megabytes) and megabytes >= 0):
        raise ValueError(f"environment variable {CACHE_VARIABLE} must be a number of MiB >= 0 "
                         f"(0, the default, keeps no memory of dead results), got {value!r}")
    return int(megabytes * _MIB)


def _megabytes(variable: str, default: float, allowed: str, *, zero_ok: bool) -> float:
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = math.nan
    if not (math.isfinite(megabytes) and (megabytes > 0 or (zero_ok and megabytes == 0))):
        raise ValueError(f"environment variable {variable} must be {allowed}, got {value!r}")
    return megabytes


def budget() -> int:
    """Bytes an op may allocate, from ``VENTANAL_MAX_MB`` (default 1024 MiB).

    Examples
    --------
    >>> import os
    >>> os.environ[BUDGET_VARIABLE] = "nan"
    >>> budget()
    Traceback (most recent call last):
    ValueError: environment variable VENTANAL_MAX_MB must be a number of MiB > 0 ...
    >>> del os.environ[BUDGET_VARIABLE]
    >>> budget() == DEFAULT_BUDGET_MB << 20
    True
    """
    return int(_megabytes(BUDGET_VARIABLE, DEFAULT_BUDGET_MB,
                          f"a number of MiB > 0 (default {DEFAULT_BUDGET_MB})", zero_ok=False)
               * _MIB)


def op_bytes(x_shape, output_shape, out_channels: int, itemsize: int, gather: bool) -> int:
    """Bytes an op on channels-last ``x_shape`` allocates: its result and one tap-sized
    buffer, plus, when it gathers the cells its windows read, a copy of the input.

    Python integers: no overflow, whatever the sizes.

    Examples
    --------
    >>> op_bytes((1, 4, 4, 1), (10 ** 9, 4), 1, 8, True)
    96000000128
    """
    output = x_shape[0] * math.prod(output_shape) * out_channels
    taps = x_shape[0] * math.prod(output_shape) * x_shape[-1]
    extra = math.prod(x_shape) + taps if gather else 0
    return (output + taps + extra) * itemsize


def check_budget(nbytes: int, what: str) -> None:
    """Refuse, before allocating, an op that needs more than :func:`budget` bytes.

    Examples
    --------
    >>> try:
    ...     check_budget(1 << 40, "MAX pooling")
    ... except ValueError as error:
    ...     print(str(error).split(";")[0])
    MAX pooling needs about 1048576 MiB, more than the limit of 1024 MiB
    """
    limit = budget()
    cache_limit()    # a bad VENTANAL_RESULT_CACHE_MB is reported by the op that meets it
    if nbytes > limit:
        raise ValueError(f"{what} needs about {-(-nbytes // _MIB)} MiB, more than the limit "
                         f"of {limit // _MIB} MiB; set the environment variable "
                         f"{BUDGET_VARIABLE} to raise it (e.g. {BUDGET_VARIABLE}="
                         f"{max(2 * limit // _MIB, -(-nbytes // _MIB))})")


def _limit_or_zero() -> int:
    """:func:`cache_limit` where an error cannot be raised (a finaliser): a bad value keeps
    nothing, and the next :func:`empty` reports it."""
    try:
        return cache_limit()
    except ValueError:
        return 0


def _release(raw: np.ndarray) -> None:
    """Called when the last array on ``raw`` dies: keep ``raw`` idle for reuse, within the limit."""
    global _idle_bytes
    limit = _limit_or_zero()
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


def _forget_idle() -> None:
    global _idle_bytes
    with _cache_lock:
        _idle.clear()
        _idle_bytes = 0


def _aligned(nbytes: int) -> np.ndarray:
    """``nbytes`` fresh bytes starting at an :data:`ALIGNMENT` boundary (NumPy gives 16)."""
    spare = np.empty(nbytes + ALIGNMENT, np.uint8)
    offset = -spare.ctypes.data % ALIGNMENT
    return spare[offset:offset + nbytes]


def empty(shape, dtype) -> np.ndarray:
    """``np.empty(shape, dtype)`` for a result: large ones 64-byte aligned, recycled on opt-in.

    Examples
    --------
    >>> y = empty((1 << 21,), np.float32)        # 8 MiB
    >>> y.ctypes.data % ALIGNMENT, np.shares_memory(y, empty((1 << 21,), np.float32))
    (0, False)
    """
    global _idle_bytes
    limit = cache_limit()    # checked at every call: a bad value is reported here
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < ALIGNED_MIN_BYTES:
        return np.empty(shape, dtype)
    if limit == 0:
        if _idle:
            _forget_idle()
        return _aligned(nbytes).view(dtype).reshape(shape)
    raw = None
    with _cache_lock:
        buffers = _idle.get(nbytes)
        if buffers:
            raw = buffers.pop()
            _idle_bytes -= nbytes
            if not buffers:
                del _idle[nbytes]
    if raw is None:
        raw = _aligned(nbytes)
    flat = np.frombuffer(memoryview(raw), dtype=dtype)
    # ``flat.base`` is the memoryview that every view of the result keeps alive (NumPy stops
    # its base chains at the first object that is not an array): when it dies, nothing uses
    # ``raw`` any more.
    weakref.finalize(flat.base, _release, raw)
    return flat.reshape(shape)


def _forget_idle_after_fork() -> None:
    global _cache_lock, _idle_bytes
    _cache_lock = threading.Lock()   # another thread may have held it at the fork
    _idle.clear()
    _idle_bytes = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_idle_after_fork)
