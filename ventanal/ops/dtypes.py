"""The dtype rules of the ops, written once: identities, accumulators and result dtypes.

Every backend (the references, the fast NumPy path, the numba kernels) asks here, so that a
result has the same dtype whichever backend computes it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NUMBA_DTYPES", "lowest", "average_dtypes", "conv_dtypes"]

# The dtypes the numba kernels are compiled for (bool runs as uint8); others take
# the NumPy path.
NUMBA_DTYPES = frozenset(np.dtype(t) for t in (
    np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
    np.uint8, np.uint16, np.uint32, np.uint64, np.bool_))


def lowest(dtype) -> np.generic:
    """The identity of ``maximum`` as a scalar of ``dtype``: -inf, False or the smallest integer.

    Padded cells hold it, so they never win a maximum.

    Examples
    --------
    >>> lowest(np.float32), lowest(np.int8), lowest(np.bool_)
    (np.float32(-inf), np.int8(-128), np.False_)
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype.type(-np.inf)
    if dtype.kind == "b":
        return dtype.type(False)
    return dtype.type(np.iinfo(dtype).min)


def average_dtypes(dtype) -> tuple[np.dtype, np.dtype]:
    """``(accumulator, result)`` of an average of ``dtype`` values.

    Floats keep their dtype (float16 sums in float32 and is rounded once); integers and
    bools average to float64, NumPy's ``mean`` convention.

    Examples
    --------
    >>> [str(t) for t in average_dtypes(np.float16) + average_dtypes(np.int32)]
    ['float32', 'float16', 'float64', 'float64']
    """
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return np.dtype(np.float32), dtype
    if dtype.kind == "f":
        return dtype, dtype
    return np.dtype(np.float64), np.dtype(np.float64)


def conv_dtypes(x_dtype, w_dtype) -> tuple[np.dtype, np.dtype]:
    """``(accumulator, result)`` of a convolution of ``x_dtype`` inputs by ``w_dtype`` filters.

    The result is ``np.result_type`` of the two (bools count as int64); float16 sums in
    float32, integers in int64.

    Examples
    --------
    >>> [str(t) for t in conv_dtypes(np.float16, np.float16) + conv_dtypes(np.uint8, np.int8)]
    ['float32', 'float16', 'int64', 'int16']
    """
    result = np.result_type(x_dtype, w_dtype)
    if result == np.bool_:
        result = np.dtype(np.int64)
    if result == np.float16:
        return np.dtype(np.float32), result
    if result.kind == "f":
        return result, result
    return np.dtype(np.int64), result
