"""Window arithmetic: properties that define each padding mode, checked on random cases."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
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


@settings(max_examples=400, deadline=None)
@given(n=sizes, k=windows, s=strides, d=dilations)
def test_same_is_ceil_and_splits_extra_cell_after(n, k, s, d):
    (axis,) = geometry.plan((n,), k, s, "SAME", d).axes
    e = d * (k - 1) + 1
    assert axis.output == -(-n // s)
    lo, hi = axis.pad_before, axis.pad_after
    assert hi - lo in (0, 1)
    # just enough padding for the last window to fit, never negative
    assert lo + hi == max(0, (axis.output - 1) * s + e - n)


@settings(max_examples=400, deadline=None)
@given(n=sizes, k=windows, s=strides, d=dilations, lo=st.integers(0, 5), hi=st.integers(0, 5))
def test_explicit_padding_takes_every_window_that_fits(n, k, s, d, lo, hi):
    e = d * (k - 1) + 1
    if n + lo + hi < e:
        with pytest.raises(ValueError, match="larger than the padded input"):
            geometry.plan((n,), k, s, [(lo, hi)], d)
        return
    (axis,) = geometry.plan((n,), k, s, [(lo, hi)], d).axes
    first, last = first_and_last_taps(axis)
    assert first[0] == -lo
    assert last[-1] <= n + hi - 1                  # the last window fits
    assert last[-1] + s > n + hi - 1               # one more would not
    assert axis.real_counts().min() >= 0


@settings(max_examples=400, deadline=None)
@given(n=sizes, k=windows, s=strides, p=st.integers(0, 3))
def test_ceil_mode_is_pytorch_rule(n, k, s, p):
    if n + 2 * p < k or p > k // 2:   # PyTorch's own limits
        return
    floor = geometry.plan((n,), k, s, p).output_shape[0]
    ceil = geometry.plan((n,), k, s, p, ceil_mode=True).output_shape[0]
    assert ceil in (floor, floor + 1)
    # ceil covers the input's tail, and its last window starts inside input or left pad
    assert (ceil - 1) * s < n + p
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
    """semantics.md 6.1: (k,s,p,d) layers predict r=39, j=12, start=-14 (verified by autograd)."""
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
