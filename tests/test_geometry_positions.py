"""The position answers the fast paths ask of geometry (tap slices, bands, lifted plans) agree
with the taps themselves, for every padding form, stride, dilation and ``ceil_mode``."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from ventanal import geometry


@st.composite
def axes(draw):
    size = draw(st.integers(1, 30))
    window = draw(st.integers(1, 6))
    stride = draw(st.integers(1, 7))
    dilation = draw(st.integers(1, 4))
    padding = draw(st.one_of(st.sampled_from(["VALID", "SAME", "FULL", "CAUSAL"]),
                             st.tuples(st.integers(0, 9), st.integers(0, 9)).map(lambda p: [p])))
    ceil_mode = draw(st.booleans())
    try:
        plan = geometry.plan((size,), window, stride, padding, dilation, ceil_mode=ceil_mode)
    except ValueError:   # a window larger than the padded input
        assume(False)
    return plan.axes[0]


@given(axes(), st.data())
def test_tap_slice_holds_the_taps(axis, data):
    taps = axis.taps()
    first = data.draw(st.integers(0, axis.output - 1))
    stop = data.draw(st.integers(first + 1, axis.output))
    tap = data.draw(st.integers(0, axis.window - 1))
    start, count = axis.read_range(first, stop)
    band = np.arange(start, start + count)          # the positions a band buffer holds
    np.testing.assert_array_equal(band[axis.tap_slice(tap, first, stop)], taps[first:stop, tap])
    whole = np.arange(axis.start(0), axis.start(0) + axis.span)   # a pad_to_plan axis
    np.testing.assert_array_equal(whole[axis.tap_slice(tap)], taps[:, tap])
    lo, hi = axis.outputs_reading(tap, first, stop)
    if lo < hi:   # on the input itself
        inputs = np.arange(axis.size)
        np.testing.assert_array_equal(inputs[axis.tap_slice(tap, lo, hi, origin=0)],
                                      taps[lo:hi, tap])


@given(axes())
def test_windows_within_inverts_read_range(axis):
    for count in range(1, axis.output + 1):
        _, cells = axis.read_range(0, count)
        assert axis.windows_within(cells) == count
        assert axis.windows_within(cells - 1) == count - 1
    assert axis.windows_within(0) == 0


@given(axes(), st.integers(1, 3))
def test_lifted_plans_add_axes_of_one_cell(axis, rank):
    plan = geometry.WindowPlan((axis,))
    lifted = plan.lifted(rank)
    assert lifted.axes[-1] == axis and len(lifted.axes) == rank
    assert lifted.input_shape[:-1] == lifted.window_shape[:-1] == (1,) * (rank - 1)
    assert lifted.output_shape[:-1] == (1,) * (rank - 1)
    np.testing.assert_array_equal(lifted.table()[-1], plan.table()[0])
