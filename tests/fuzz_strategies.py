"""Hypothesis strategies of hostile arguments for the fuzzing tests.

Sizes from 0 to 2**64 (and negative), floats, NaN, strings, nested and ragged sequences,
odd dtypes and memory layouts. ``VENTANAL_FUZZ_EXAMPLES`` multiplies the number of examples
for a longer run (default 1: the CI run of about a minute).
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import strategies as st

__all__ = ["FACTOR", "examples", "hostile_ints", "hostile_scalars", "hostile_sizes",
           "hostile_paddings", "arrays", "EXPECTED"]

FACTOR = max(1, int(os.environ.get("VENTANAL_FUZZ_EXAMPLES", "1")))

#: The only exceptions the public API may raise on bad arguments.
EXPECTED = (ValueError, TypeError)


def examples(count: int) -> int:
    """``count`` examples, times ``VENTANAL_FUZZ_EXAMPLES``."""
    return count * FACTOR


hostile_ints = st.one_of(
    st.integers(-3, 6),
    st.sampled_from([0, -1, 2 ** 31, 2 ** 40, 2 ** 40 + 1, 2 ** 62, 2 ** 63, 2 ** 64, -(2 ** 63),
                     10 ** 9, 10 ** 20]),
    st.integers(-(2 ** 70), 2 ** 70),
)
hostile_scalars = st.one_of(
    hostile_ints,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([True, False, None, "2", "", "same", b"2", np.int8(2), np.float32(2.0),
                     np.uint64(2 ** 64 - 1), 2.0, 2.5, complex(2, 0), [], (), {}]),
)
hostile_sizes = st.one_of(hostile_scalars, st.lists(hostile_scalars, max_size=4),
                          st.tuples(hostile_ints, hostile_ints))
hostile_paddings = st.one_of(
    st.sampled_from(["VALID", "same", "Full", "causal", "bogus", "", None]),
    hostile_sizes,
    st.lists(st.tuples(hostile_ints, hostile_ints), max_size=4),
    st.lists(st.lists(hostile_ints, max_size=3), max_size=4),
)
_dtypes = st.sampled_from([np.float64, np.float32, np.float16, np.int8, np.uint8, np.int64,
                           np.bool_, np.complex64, np.str_, object])


@st.composite
def arrays(draw, max_rank: int = 5, max_side: int = 6):
    """Arrays of any rank 0..max_rank, sides 0..max_side, odd dtypes, NaN/inf, and layouts
    (Fortran order, negative strides, non-contiguous views)."""
    rank = draw(st.integers(0, max_rank))
    shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=rank, max_size=rank)))
    dtype = draw(_dtypes)
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    values = np.array(rng.normal(size=shape) * draw(st.sampled_from([1, 1e30, 1e-30])))
    if values.size and draw(st.booleans()):
        values.flat[rng.integers(0, values.size)] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf, -0.0]))
    with np.errstate(all="ignore"):
        array = np.array(values.astype(dtype))
    layout = draw(st.sampled_from(["c", "f", "reversed", "strided"]))
    if layout == "f":
        array = np.asfortranarray(array)
    elif layout == "reversed" and array.ndim:
        array = array[::-1]
    elif layout == "strided" and array.ndim:
        array = np.repeat(array, 2, axis=0)[::2]
    return array
