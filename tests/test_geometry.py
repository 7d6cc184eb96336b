"""Window arithmetic: properties that define each padding mode, checked on random cases."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import ventanal as vt
from ventanal import geometry

sizes = st.integers(1, 40)
windows = st.integers(1, 7)
strides = st.integers(1, 6)
dilations = st.integers(1, 4)


def first_and_last_taps(axis):
    taps = axis.taps()
    return taps[:, 0], taps[:, -1]


# TensorFlow's answers, printed by tf.nn.max_pool2d / conv2d (TF 2.21): (n, k, s, d) -> (o, lo, hi)
SAME_GOLDEN = [
    ((5, 2, 2, 1), (3, 0, 1)),
    ((5, 3, 2, 1), (3, 1, 1)),
    ((6, 3, 2, 1), (3, 0, 1)),
    ((224, 7, 2, 1), (112, 2, 3)),
    ((397, 2, 2, 1), (199, 0, 1)),
    ((5, 2, 3, 1), (2, 0, 0)),      # (o-1)*s + e - n = 0: nothing padded
    ((8, 1, 3, 1), (3, 0, 0)),      # negative total clamped to 0
    ((10, 2, 1, 3), (10, 1, 2)),    # dilated: e = 4
    ((7, 4, 1, 1), (7, 1, 2)),      # odd total: the extra cell after
]


@pytest.mark.parametrize("case, expected", SAME_GOLDEN)
def test_same_golden_cases(case, expected):
    n, k, s, d = case
    (axis,) = geometry.plan((n,), k, s, "SAME", d).axes
    assert (axis.output, axis.pad_before, axis.pad_after) == expected


def test_same_golden_nd():
    plan = geometry.plan((5, 7), (2, 3), (1, 2), "SAME")
    assert plan.output_shape == (5, 4) and plan.padding == ((0, 1), (1, 1))
    plan = geometry.plan((4, 5, 6), 2, 2, "SAME")
    assert plan.output_shape == (2, 3, 3) and plan.padding == ((0, 0), (0, 1), (0, 0))


@settings(max_examples=400, deadline=None)
@given(n=sizes, k=windows, s=strides, d=dilations)
def test_same_covers_the_input_with_the_least_padding_extra_cell_after(n, k, s, d):
    (axis,) = geometry.plan((n,), k, s, "SAME", d).axes
    lo, hi = axis.pad_before, axis.pad_after
    first, last = first_and_last_taps(axis)
    assert axis.output == -(-n // s)                 # TF: the size ignores the window
    assert first[0] == -lo                           # windows start at the padding's start
    assert last[-1] <= n - 1 + hi                    # the last window fits in the padding
    assert hi - lo in (0, 1)                         # an odd total puts the extra cell after
    if hi > 0:                                       # and no padding is wasted:
        assert last[-1] == n - 1 + hi                # the last window ends on the last pad cell
    else:
        assert lo == 0
    # every input cell is read, or lies past the last window (stride > window)
    read = np.zeros(n, bool)
    taps = axis.taps()
    read[taps[(taps >= 0) & (taps < n)]] = True
    offset, count = axis.read_cells()
    assert offset == lo and not read[count:].any()   # cells past `count` are reported unread
    if d == 1 and s <= k:                              # windows that touch leave no gap
        assert read[:count].all()


@settings(max_examples=400, deadline=None)
@given(n=sizes, k=windows, s=strides, d=dilations, lo=st.integers(0, 5), hi=st.integers(0, 5))
def test_explicit_padding_takes_every_window_that_fits(n, k, s, d, lo, hi):
    e = 1 + d * (k - 1)
    if n + lo + hi < e:
        with pytest.raises(ValueError, match="larger than the padded input"):
            geometry.plan((n,), k, s, [(lo, hi)], d)
    assume(n + lo + hi >= e)
    (axis,) = geometry.plan((n,), k, s, [(lo, hi)], d).axes
    first, last = first_and_last_taps(axis)
    assert first[0] == -lo
    assert last[-1] <= n + hi - 1                  # the last window fits
    assert last[-1] + s > n + hi - 1               # one more would not
    assert axis.next_start == first[-1] + s        # ... and would start here
    assert axis.real_counts().min() >= 0


@settings(max_examples=400, deadline=None)
@given(n=sizes, k=windows, s=strides, p=st.integers(0, 3))
def test_ceil_mode_is_pytorch_rule(n, k, s, p):
    assume(n + 2 * p >= k and p <= k // 2)   # PyTorch's own limits
    floor = geometry.plan((n,), k, s, p).output_shape[0]
    (axis,) = geometry.plan((n,), k, s, p, ceil_mode=True).axes
    ceil = axis.output
    assert ceil in (floor, floor + 1)
    # ceil covers the input's tail, and its last window starts inside input or left pad
    assert (ceil - 1) * s < n + p
    assert axis.ceil_count in (ceil, ceil + 1)
    if ceil == floor + 1:
        assert (n + 2 * p - k) % s != 0


@settings(max_examples=300, deadline=None)
@given(n=sizes, k=windows, s=strides, d=dilations)
def test_valid_is_explicit_zero_and_full_is_explicit_e_minus_1(n, k, s, d):
    e = d * (k - 1) + 1
    if n >= e:
        assert geometry.output_shape((n,), k, s, "VALID", d) == \
            geometry.output_shape((n,), k, s, [(0, 0)], d) == ((n - e) // s + 1,)
    assert geometry.padding_amounts((n,), k, s, "FULL", d) == ((e - 1, e - 1),)
    assert geometry.padding_amounts((n,), k, s, "CAUSAL", d) == ((e - 1, 0),)
    assert geometry.output_shape((n,), k, s, "CAUSAL", d) == ((n - 1) // s + 1,)


@settings(max_examples=200, deadline=None)
@given(shape=st.lists(sizes, min_size=1, max_size=3), data=st.data())
def test_nd_plan_is_per_axis(shape, data):
    n = len(shape)
    k = data.draw(st.lists(windows, min_size=n, max_size=n))
    s = data.draw(st.lists(strides, min_size=n, max_size=n))
    full = geometry.plan(shape, k, s, "SAME")
    for i in range(n):
        assert full.axes[i] == geometry.plan((shape[i],), k[i], s[i], "SAME").axes[0]


def test_read_after_covers_stride_larger_than_window_and_ceil_mode():
    (axis,) = geometry.plan((8,), 1, 3, "SAME").axes      # windows at 0, 3, 6
    assert axis.read_after == -1                          # index 7 is never read
    (axis,) = geometry.plan((8,), 3, 2, 1, ceil_mode=True).axes    # last window: 7, 8, 9
    assert (axis.output, axis.pad_after, axis.read_after) == (5, 1, 2)


def test_counts():
    (axis,) = geometry.plan((8,), 3, 2, 1, ceil_mode=True).axes
    assert axis.taps().tolist() == [[-1, 0, 1], [1, 2, 3], [3, 4, 5], [5, 6, 7], [7, 8, 9]]
    assert axis.real_counts().tolist() == [2, 3, 3, 3, 1]
    assert axis.padded_counts().tolist() == [3, 3, 3, 3, 2]   # 9 is past the padding


def test_output_shape_and_padding_amounts_public():
    assert vt.output_shape((224, 224), 7, 2, "SAME") == (112, 112)
    assert vt.padding_amounts((224, 224), 7, 2, "SAME") == ((2, 3), (2, 3))
    assert vt.output_shape((10, 10), 2, 1, "SAME", dilations=3) == (10, 10)
    assert vt.padding_amounts((10, 10), 2, 1, "SAME", dilations=3) == ((1, 2), (1, 2))


def test_receptive_field_recurrence_matches_semantics_example():
    """docs/semantics.md §6.1: (k,s,p,d) layers predict r=39, j=12, start=-14 (autograd)."""
    field, n = geometry.Field(), 100
    for k, s, p, d in [(3, 1, 1, 1), (3, 2, 1, 1), (2, 2, 0, 1), (3, 1, 1, 2), (5, 3, 2, 1)]:
        (axis,) = geometry.plan((n,), k, s, p, d).axes
        field, n = geometry.receptive_field_step(field, axis), axis.output
    assert field == geometry.Field(size=39, jump=12, start=-14)
    assert field.covers(3) == (22, 60)


def test_import_pulls_numpy_only():
    code = ("import sys, ventanal; heavy = [m for m in ('matplotlib', 'PIL', 'numba', "
            "'tensorflow', 'torch', 'scipy', 'h5py', 'dask') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_numpy_integer_arguments_accepted():
    assert geometry.normalize_tuple(np.int64(3), 2, "strides") == (3, 3)
    assert geometry.normalize_tuple(np.array(2), 1, "strides") == (2,)
    assert geometry.normalize_padding(np.int32(1), 1) == ((1, 1),)


# ---------------------------------------------------------------------------------------------
# The per-axis answers the kernels, figures and tables ask for, against brute force on taps()
# ---------------------------------------------------------------------------------------------

paddings = st.one_of(st.sampled_from(["VALID", "SAME", "FULL", "CAUSAL"]),
                     st.tuples(st.integers(0, 4), st.integers(0, 4)).map(lambda p: [p]))


@st.composite
def axes(draw):
    n, k, s, d = draw(sizes), draw(windows), draw(strides), draw(dilations)
    padding, ceil_mode = draw(paddings), draw(st.booleans())
    try:
        return geometry.plan((n,), k, s, padding, d, ceil_mode=ceil_mode).axes[0]
    except ValueError:
        assume(False)


@settings(max_examples=400, deadline=None)
@given(axis=axes())
def test_interior_is_the_windows_with_no_padded_tap(axis):
    taps = axis.taps()
    real = ((taps >= 0) & (taps < axis.size)).all(axis=1)
    i0, i1 = axis.interior()
    assert 0 <= i0 <= i1 <= axis.output
    assert real[i0:i1].all()
    assert not real[:i0].any() and not real[i1:].any()


@settings(max_examples=400, deadline=None)
@given(axis=axes(), data=st.data())
def test_outputs_reading_a_tap(axis, data):
    m = data.draw(st.integers(0, axis.window - 1))
    first = data.draw(st.integers(0, axis.output))
    stop = data.draw(st.integers(first, axis.output))
    column = axis.taps()[:, m]
    real = np.flatnonzero((column >= 0) & (column < axis.size))
    real = real[(real >= first) & (real < stop)]
    i0, i1 = axis.outputs_reading(m, first, stop)
    assert first <= i0 <= i1 <= stop
    assert list(range(i0, i1)) == real.tolist()


@settings(max_examples=400, deadline=None)
@given(axis=axes(), data=st.data())
def test_read_range_and_cells(axis, data):
    taps = axis.taps()
    first = data.draw(st.integers(0, axis.output - 1))
    stop = data.draw(st.integers(first + 1, axis.output))
    start, count = axis.read_range(first, stop)
    assert start == taps[first, 0] and start + count - 1 == taps[stop - 1, -1]
    offset, cells = axis.read_cells()
    inside = taps[(taps >= 0) & (taps < axis.size)]
    assert 0 <= cells <= axis.size and (not inside.size or inside.max() < cells)
    if cells < axis.size:                        # the span ends inside the input
        assert cells == max(0, taps.max() + 1)
    assert 0 <= offset <= axis.span and (offset == axis.pad_before or offset == axis.span)
    lowest, highest = axis.drawn_cells
    assert lowest == -axis.pad_before and highest >= taps.max() and highest >= axis.size - 1


@settings(max_examples=400, deadline=None)
@given(axis=axes())
def test_table_rows_are_the_axis_answers(axis):
    row = dict(zip(geometry.TABLE_COLUMNS, geometry.WindowPlan((axis,)).table()[0].tolist(),
                   strict=True))
    assert (row["size"], row["window"], row["stride"], row["dilation"], row["pad_before"],
            row["output"], row["span"]) == (axis.size, axis.window, axis.stride, axis.dilation,
                                            axis.pad_before, axis.output, axis.span)
    assert (row["interior_first"], row["interior_stop"]) == axis.interior()
    assert (row["read_offset"], row["read_count"]) == axis.read_cells()
