"""What about an op's arguments decides which compiled kernel it needs, found cheaply.

:mod:`._backend` keys its records by these: which argument types a kernel was found compiled
for (:func:`fingerprint`), and which calls of an op to rehearse once the kernels are loaded
(:func:`call_kind`, :func:`numba_dtypes_only`).
"""

from __future__ import annotations

import numpy as np

from .dtypes import NUMBA_DTYPES

__all__ = ["call_kind", "fingerprint", "numba_dtypes_only"]


def fingerprint(args: tuple) -> tuple | None:
    """What decides numba's types of ``args``, cheaply (numba's own ``typeof`` of the eight
    arguments of a kernel costs tens of microseconds, and an op calls its kernel once per
    chunk of tasks): for an array its dtype, rank, layout, writeability and alignment; for a
    scalar its type. None for anything else.

    >>> fingerprint((np.zeros((2, 3), np.float32), 1.5)) == fingerprint((np.ones((5, 7),
    ...     np.float32), 0.0))
    True
    """
    key = []
    for value in args:
        if isinstance(value, np.ndarray):
            flags = value.flags
            key.append((value.dtype, value.ndim, flags.c_contiguous, flags.f_contiguous,
                        flags.writeable, flags.aligned))
        elif isinstance(value, (bool, float, np.generic)):
            key.append(type(value))
        elif isinstance(value, int):
            key.append((int, -(1 << 63) <= value < (1 << 63)))
        else:
            return None
    return tuple(key)


def call_kind(args: tuple, kwargs: dict) -> tuple:
    """The dtypes and shapes of a call's arrays: two calls of one op with different ones may
    need different kernels (a convolution with many channels takes Winograd's, a
    single-channel one the plane tiles).

    >>> call_kind((np.zeros((2, 3), np.float32), 3), {})
    (('<f4', (2, 3)),)
    """
    return tuple((value.dtype.str, value.shape) for value in (*args, *kwargs.values())
                 if hasattr(value, "dtype"))


def numba_dtypes_only(args: tuple, kwargs: dict) -> bool:
    """Whether every array among ``args`` and ``kwargs`` has a dtype the kernels take (else
    the op runs on the NumPy path anyway, and a rehearsal would compute it).

    >>> numba_dtypes_only((np.zeros(3, np.float32),), {}), numba_dtypes_only((np.zeros(3,
    ...     np.complex64),), {})
    (True, False)
    """
    arrays = [value for value in (*args, *kwargs.values()) if hasattr(value, "dtype")]
    return bool(arrays) and all(value.dtype in NUMBA_DTYPES for value in arrays)
