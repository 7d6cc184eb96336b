"""Fuzzing the ops: hostile arguments raise only ValueError/TypeError; valid ones give the
readable reference's numbers, in memory bounded by a small multiple of input and output.

Default: about a minute in all. ``VENTANAL_FUZZ_EXAMPLES=20`` for a longer run.
"""

from __future__ import annotations

import math
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import ventanal as vt

sys.path.insert(0, str(Path(__file__).parent))
import reference  # noqa: E402
from fuzz_strategies import (  # noqa: E402
    EXPECTED,
    arrays,
    examples,
    hostile_paddings,
    hostile_sizes,
)

MIB = 1 << 20
COMPARED: list[int] = []   # output sizes compared with the reference (see docs/reliability.md)


def _call(function, *args, **kwargs):
    """Run and return the result, or None after an allowed error; fail on anything else."""
    try:
        return function(*args, **kwargs)
    except EXPECTED as error:
        assert str(error), f"{type(error).__name__} without a message"
        return None


@settings(max_examples=examples(300))
@given(x=arrays(), window=hostile_sizes, strides=st.one_of(st.none(), hostile_sizes),
       padding=hostile_paddings, dilations=st.one_of(st.none(), hostile_sizes),
       kind=st.sampled_from(["MAX", "AVG", "min", 3]), ceil=st.sampled_from([False, True, 1]))
def test_pool_raises_only_value_or_type_errors(x, window, strides, padding, dilations, kind,
                                               ceil):
    _call(vt.pool, x, window, kind, strides, padding, None, dilations, ceil_mode=ceil)


@settings(max_examples=examples(300))
@given(x=arrays(), w=arrays(max_rank=5, max_side=4), strides=st.one_of(st.none(), hostile_sizes),
       padding=hostile_paddings, dilations=st.one_of(st.none(), hostile_sizes),
       groups=st.sampled_from([1, 2, 3, 0, -1, 1.0, True, 2 ** 64]))
def test_conv_raises_only_value_or_type_errors(x, w, strides, padding, dilations, groups):
    _call(vt.conv, x, w, strides, padding, None, dilations, groups=groups)


@settings(max_examples=examples(300))
@given(shape=hostile_sizes, window=hostile_sizes, strides=hostile_sizes,
       padding=hostile_paddings, dilations=hostile_sizes)
def test_shape_questions_raise_only_value_or_type_errors(shape, window, strides, padding,
                                                          dilations):
    for function in (vt.output_shape, vt.padding_amounts):
        _call(function, shape, window, strides, padding, dilations)


@st.composite
def valid_problems(draw):
    rank = draw(st.integers(1, 2))
    spatial = tuple(draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank)))
    window = tuple(draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank)))
    strides = tuple(draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank)))
    dilations = tuple(draw(st.lists(st.sampled_from([1, 2, 3, 10 ** 6, 10 ** 9]),
                                    min_size=rank, max_size=rank)))
    # Huge paddings that a huge dilation's windows just reach: small outputs, vast canvases.
    pads = [tuple(draw(st.lists(st.sampled_from([0, 1, 2, d * (k - 1)]), min_size=2,
                                max_size=2))) for d, k in zip(dilations, window, strict=True)]
    channels = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    x = np.random.default_rng(seed).normal(size=(draw(st.integers(1, 2)),) + spatial
                                           + (channels,))
    return x, window, strides, pads, dilations


@settings(max_examples=examples(150))
@given(problem=valid_problems())
def test_valid_results_equal_the_reference_in_bounded_memory(problem):
    x, window, strides, pads, dilations = problem
    try:
        shape = vt.output_shape(x.shape[1:-1], window, strides, pads, dilations)
    except ValueError:
        shape = None
    assume(shape is not None)   # a window that does not fit: refused, tested elsewhere
    out_cells = x.shape[0] * math.prod(shape) * x.shape[-1]
    # The pure-Python reference would be slow; huge outputs are refused elsewhere.
    assume(out_cells <= 4096)
    COMPARED.append(out_cells)
    tracemalloc.start()
    try:
        got = vt.pool(x, window, "MAX", strides, pads, dilations=dilations)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    bound = 64 * (x.nbytes + out_cells * 8) + 4 * MIB
    assert peak < bound, (peak, bound)
    np.testing.assert_array_equal(got, reference.pool_reference(x, window, "MAX", strides, pads,
                                                                dilations))
    np.testing.assert_allclose(vt.pool(x, window, "AVG", strides, pads, dilations=dilations),
                               reference.pool_reference(x, window, "AVG", strides, pads,
                                                        dilations))
    w = np.random.default_rng(0).normal(size=window + (x.shape[-1], 2))
    np.testing.assert_allclose(vt.conv(x, w, strides, pads, dilations=dilations),
                               reference.conv_reference(x, w, strides, pads, dilations),
                               atol=1e-9)


@pytest.mark.slow
@settings(max_examples=examples(2000))
@given(x=arrays(), window=hostile_sizes, padding=hostile_paddings)
def test_keras_style_pools_long_run(x, window, padding):
    for function in (vt.max_pool, vt.avg_pool):
        _call(function, x, window, None, padding)
    _call(vt.global_pool, x)
