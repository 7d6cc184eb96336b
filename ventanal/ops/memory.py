"""Memory of results: owned by each result, recycled once it dies.

:func:`empty` gives every result of the fast paths an array that owns its memory
(``flags.owndata``). Once the numba kernels are loaded, a large result (4 MiB and more) is
allocated through ventanal's NumPy memory handler (:mod:`ventanal.ops._numba_memory`): 64-byte
aligned, so that the kernels can write it with non-temporal stores (whole aligned vectors),
and when it dies its memory goes to a small pool that the next result of the same size takes,
instead of back to the operating system. A fresh multi-MiB block costs page faults when first
written (the kernel zeroes every page), as much as a memory-bound pooling itself; a recycled
one costs nothing. Results are still ordinary arrays, never sharing memory with a live array.

``VENTANAL_RESULT_CACHE_MB`` caps the idle memory kept (default 256 MiB; 0 gives every dead
result back at once); :func:`release_idle` frees it now. On the NumPy path before the kernels
are loaded, or without numba, results are plain ``np.empty`` arrays. ``benchmarks/README.md``
measures both.
"""

from __future__ import annotations

import math
import os

import numpy as np

from . import _backend

__all__ = ["CACHE_VARIABLE", "DEFAULT_CACHE_MB", "BUDGET_VARIABLE", "DEFAULT_BUDGET_MB",
           "ALIGNMENT", "STREAM_MIN_BYTES", "budget", "check_budget", "op_bytes",
           "cache_limit", "empty", "idle_bytes", "release_idle"]

CACHE_VARIABLE = "VENTANAL_RESULT_CACHE_MB"
# Idle memory of dead results kept for the next ones: a loop over batches of 8x256x256x64
# float32 images needs 32-128 MiB per op.
DEFAULT_CACHE_MB = 256
# The memory an op may ask for (its result and the buffers it adds), checked before
# allocating: a tiny input with a huge padding, dilation or batch of windows is refused in a
# line instead of exhausting the machine.
BUDGET_VARIABLE = "VENTANAL_MAX_MB"
DEFAULT_BUDGET_MB = 1024
# A cache line, and the widest vector the kernels use (AVX-512): an aligned vector never
# straddles two lines.
ALIGNMENT = 64
# Results at least this large are aligned and recycled; smaller ones come from malloc's own
# free lists (glibc keeps freed blocks under 32 MiB) and stay in the caches anyway.
ALIGNED_MIN_BYTES = 4 << 20
# Results at least this large are written with non-temporal stores where a kernel can: they
# bypass the cache, which a result larger than a core's L2 would leave anyway, and skip
# reading each line before writing it.
STREAM_MIN_BYTES = 4 << 20
_MIB = 1 << 20


def cache_limit() -> int:
    """Bytes of idle result memory to keep, from ``VENTANAL_RESULT_CACHE_MB`` (default 256).

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
    return int(_megabytes(CACHE_VARIABLE, DEFAULT_CACHE_MB,
                          f"a number of MiB >= 0 (default {DEFAULT_CACHE_MB}; 0 keeps no "
                          f"memory of dead results)", zero_ok=True) * _MIB)


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


def empty(shape, dtype) -> np.ndarray:
    """``np.empty(shape, dtype)`` for a result: large ones aligned and recycled once loaded.

    Examples
    --------
    >>> y = empty((1 << 21,), np.float32)        # 8 MiB
    >>> y.flags.owndata, y.shape, np.shares_memory(y, empty((1 << 21,), np.float32))
    (True, (2097152,), False)
    """
    limit = cache_limit()    # checked at every call: a bad value is reported here
    dtype = np.dtype(dtype)
    kernels = _backend.loaded_kernels()
    if kernels is not None and kernels.result_memory is not None:
        kernels.result_memory.set_limit(limit)
        if math.prod(shape) * dtype.itemsize >= ALIGNED_MIN_BYTES:
            return kernels.result_memory.empty(shape, dtype)
    return np.empty(shape, dtype)


def idle_bytes() -> int:
    """Bytes of dead results' memory kept for the next results (at most
    ``VENTANAL_RESULT_CACHE_MB``).

    >>> idle_bytes() >= 0
    True
    """
    kernels = _backend.loaded_kernels()
    if kernels is None or kernels.result_memory is None:
        return 0
    return kernels.result_memory.idle_bytes()


def release_idle() -> None:
    """Give the memory of dead results kept for the next ones back to the operating system.

    >>> release_idle(); idle_bytes()
    0
    """
    kernels = _backend.loaded_kernels()
    if kernels is not None and kernels.result_memory is not None:
        kernels.result_memory.release()
