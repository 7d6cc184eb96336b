"""ventanal against the pure-Python loop reference of ``tests/reference.py``, and properties.

Hypothesis draws random N-D configurations (rank 1-3, windows, strides larger than the window,
dilations, every padding form, ``ceil_mode``, ``count_include_pad``, layouts, dtypes, groups)
and checks, for every example, that

* the result equals the reference (MAX and integers exactly, averages and convolutions within a
  dtype tolerance), including NaN propagation and all-padding windows;
* the output shape equals ``vt.output_shape`` and the dtype is preserved;
* the input array is never modified.

Further properties: pooling a constant image gives the constant, max pooling is >= average
pooling, and strided results are subsampled stride-1 results.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from reference import conv_reference, pool_reference

import ventanal as vt

CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
FLOATS = ("float16", "float32", "float64")
INTS = ("int8", "uint8", "int32", "int64")
TOLERANCE = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-12}


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------


@st.composite
def geometries(draw, max_rank=3, allow_ceil=True, causal=False, small_pads=False):
    """Window geometry with a valid (positive) output size by construction.

    Returns (rank, window, strides, dilations, padding, pads_or_None, ceil_mode, spatial).
    ``small_pads`` keeps dilation 1 and every pad < window, so every window holds a real cell.
    """
    rank = draw(st.integers(1, max_rank))
    big = rank < 3
    window = tuple(draw(st.integers(1, 4 if big else 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, k + 2)) for k in window)  # includes stride > window
    if small_pads or draw(st.booleans()):
        dilations = (1,) * rank
    else:
        dilations = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
    forms = ["VALID", "SAME", "FULL", "int", "ints", "pairs"] + (["CAUSAL"] if causal else [])
    form = draw(st.sampled_from(forms))
    limit = [k - 1 if small_pads else e for k, e in zip(window, effective, strict=True)]
    if form in ("VALID", "SAME", "FULL", "CAUSAL"):
        padding = draw(st.sampled_from([form, form.lower(), form.capitalize()]))
        pads = {
            "VALID": [(0, 0)] * rank,
            "FULL": [(e - 1, e - 1) for e in effective],
            "CAUSAL": [(e - 1, 0) for e in effective],
            "SAME": None,
        }[form]
    elif form == "int":
        p = draw(st.integers(0, min(limit)))
        padding, pads = p, [(p, p)] * rank
    elif form == "ints":
        ps = [draw(st.integers(0, m)) for m in limit]
        padding, pads = tuple(ps), [(p, p) for p in ps]
    else:
        pads = [(draw(st.integers(0, m)), draw(st.integers(0, m))) for m in limit]
        padding = tuple(pads)
        if rank == 1 and draw(st.booleans()):
            padding = pads[0]  # a bare (before, after) pair for one axis
    ceil_mode = allow_ceil and draw(st.booleans())
    spatial = []
    for a in range(rank):
        lo, hi = pads[a] if pads is not None else (0, 0)
        need = 1 if pads is None else max(1, effective[a] - lo - hi)
        if ceil_mode and not small_pads:
            # PyTorch's ceil formula may give a window even where the padded input is shorter
            # than the dilated window (or no window at all: then both must raise ValueError)
            need = max(1, need - strides[a])
        spatial.append(draw(st.integers(need, need + (5 if big else 2))))
    return rank, window, strides, dilations, padding, ceil_mode, tuple(spatial)


def make_array(draw, shape, dtype, specials=False):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        if dtype == np.float16:
            x = rng.integers(-20, 21, size=shape).astype(np.float64) / 4
        else:
            x = rng.standard_normal(shape)
        if draw(st.booleans()):  # ties
            x = np.round(x)
        if specials and x.size and draw(st.booleans()):
            flat = x.reshape(-1)
            for _ in range(draw(st.integers(1, 3))):
                flat[rng.integers(flat.size)] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return x.astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)


def layout_and_input(draw, rank, spatial, dtype, channels=None, allow_bare=True, specials=False):
    """Draw (x in the call's layout, x channels-last rank N+2, data_format or None, bare)."""
    batch = draw(st.integers(1, 2))
    channels = channels if channels is not None else draw(st.integers(1, 2))
    x_last = make_array(draw, (batch, *spatial, channels), dtype, specials)
    choice = draw(st.sampled_from(["last", "last-explicit", "first"]
                                  + (["bare"] if allow_bare else [])))
    if choice == "bare":
        x_last = x_last[:1, ..., :1].copy()
        return x_last[0, ..., 0].copy(), x_last, None, True
    if choice == "first":
        return np.moveaxis(x_last, -1, 1).copy(), x_last, CHANNELS_FIRST[rank], False
    data_format = CHANNELS_LAST[rank] if choice == "last-explicit" else None
    return x_last, x_last, data_format, False


def to_call_layout(result_last, data_format, bare):
    if bare:
        return result_last[0, ..., 0]
    if data_format is not None and data_format.startswith("NC"):
        return np.moveaxis(result_last, -1, 1)
    return result_last


@st.composite
def pool_cases(draw, specials=True):
    rank, window, strides, dilations, padding, ceil_mode, spatial = draw(geometries())
    kind = draw(st.sampled_from(["MAX", "AVG"]))
    dtype = draw(st.sampled_from(FLOATS + (INTS if kind == "MAX" else ())))
    x, x_last, data_format, bare = layout_and_input(
        draw, rank, spatial, dtype, specials=specials and kind == "MAX"
    )
    kwargs = dict(
        window_shape=window,
        pooling_type=draw(st.sampled_from([kind, kind.lower()])),
        strides=strides,
        padding=padding,
        dilations=dilations,
        ceil_mode=ceil_mode,
    )
    if kind == "AVG":
        kwargs["count_include_pad"] = draw(st.booleans())
    if data_format is not None:
        kwargs["data_format"] = data_format
    return x, x_last, kwargs, bare


@st.composite
def conv_cases(draw):
    rank, window, strides, dilations, padding, _, spatial = draw(
        geometries(allow_ceil=False, causal=True)
    )
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    dtype = draw(st.sampled_from(FLOATS + ("int32",)))
    x, x_last, data_format, bare = layout_and_input(
        draw, rank, spatial, dtype, channels=cin, allow_bare=False
    )
    if dtype == "int32":
        x = (x % 7 - 3).astype(dtype)  # small values: the reference sums in floats
        x_last = (x_last % 7 - 3).astype(dtype)
    filters = make_array(draw, (*window, cin // groups, cout), dtype)
    if dtype == "int32":
        filters = (filters % 5 - 2).astype(dtype)
    call_filters = filters
    if rank < 3 and cin == 1 and cout == 1 and groups == 1 and draw(st.booleans()):
        # one single-channel image (rank N), with a bare kernel or with full-layout filters
        x_last = x_last[:1].copy()
        bare = True
        x = x_last[0, ..., 0].copy()
        data_format = None
        if draw(st.booleans()):
            call_filters = filters[..., 0, 0].copy()
    kwargs = dict(strides=strides, padding=padding, dilations=dilations)
    if groups != 1:
        kwargs["groups"] = groups
    if data_format is not None:
        kwargs["data_format"] = data_format
    return x, x_last, filters, call_filters, kwargs, bare


# ---------------------------------------------------------------------------------------------
# Comparison helpers
# ---------------------------------------------------------------------------------------------


def assert_same(got, want, exact, magnitude=None):
    assert got.shape == want.shape
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if exact or want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    rtol = TOLERANCE[want.dtype.name]
    scale = np.abs(want.astype(np.float64)) if magnitude is None else magnitude
    bad = ~(
        np.isclose(got, want, rtol=0, atol=0, equal_nan=True)
        | (np.abs(got.astype(np.float64) - want) <= rtol * np.maximum(scale, 1.0))
    )
    assert not bad.any(), f"mismatch at {np.argwhere(bad)[:5].tolist()}:\n{got}\n{want}"


def spatial_of(x_last):
    return x_last.shape[1:-1]


# ---------------------------------------------------------------------------------------------
# Against the reference
# ---------------------------------------------------------------------------------------------


@settings(max_examples=600)
@given(pool_cases())
def test_pool_matches_reference(case):
    x, x_last, kwargs, bare = case
    reference_kwargs = {k: v for k, v in kwargs.items() if k != "data_format"}
    try:
        want_last = pool_reference(x_last, **reference_kwargs)
    except ValueError:  # no output window (ceil_mode on a too-short input)
        event("no output window: vt must raise ValueError")
        with pytest.raises(ValueError):
            vt.pool(x, **kwargs)
        return
    before = x.copy()
    got = vt.pool(x, **kwargs)
    np.testing.assert_array_equal(x, before, err_msg="vt.pool modified its input")
    want = to_call_layout(want_last, kwargs.get("data_format"), bare)
    kind = kwargs["pooling_type"].upper()
    if kind == "MAX" or np.dtype(x.dtype).kind == "f":
        assert got.dtype == x.dtype  # dtype preserved
    assert_same(got, want, exact=kind == "MAX")
    expected_spatial = vt.output_shape(
        spatial_of(x_last), kwargs["window_shape"], kwargs["strides"], kwargs["padding"],
        kwargs["dilations"], ceil_mode=kwargs["ceil_mode"],
    )
    got_last = got[None, ..., None] if bare else (
        np.moveaxis(got, 1, -1) if kwargs.get("data_format", "N").startswith("NC") else got
    )
    assert got_last.shape[1:-1] == expected_spatial


@settings(max_examples=400)
@given(conv_cases())
def test_conv_matches_reference(case):
    x, x_last, filters, call_filters, kwargs, bare = case
    before, filters_before = x.copy(), call_filters.copy()
    got = vt.conv(x, call_filters, **kwargs)
    np.testing.assert_array_equal(x, before, err_msg="vt.conv modified its input")
    np.testing.assert_array_equal(call_filters, filters_before, err_msg="vt.conv modified filters")
    reference_kwargs = {k: v for k, v in kwargs.items() if k != "data_format"}
    want_last = conv_reference(x_last, filters, **reference_kwargs)
    want = to_call_layout(want_last, kwargs.get("data_format"), bare)
    assert got.dtype == x.dtype  # same-dtype input and filters keep their dtype
    # tolerance scale: the sum of |terms| bound, max|x| * (sum of |w| over one output's taps)
    per_output = np.abs(filters.astype(np.float64)).sum(axis=tuple(range(filters.ndim - 1)))
    magnitude = float(np.max(np.abs(x.astype(np.float64)), initial=0)) * float(per_output.max())
    assert_same(got, want, exact=False, magnitude=np.full(want.shape, magnitude))
    rank = filters.ndim - 2
    expected_spatial = vt.output_shape(
        spatial_of(x_last), filters.shape[:rank], kwargs["strides"], kwargs["padding"],
        kwargs["dilations"],
    )
    got_last = got[None, ..., None] if bare else (
        np.moveaxis(got, 1, -1) if kwargs.get("data_format", "N").startswith("NC") else got
    )
    assert got_last.shape[1:-1] == expected_spatial


# ---------------------------------------------------------------------------------------------
# Properties (no reference needed, so more examples are cheap)
# ---------------------------------------------------------------------------------------------


@st.composite
def filled_windows(draw):
    """Geometries whose every window holds at least one real cell (dilation 1, pads < window),
    with a float64 channels-last input."""
    rank, window, strides, dilations, padding, ceil_mode, spatial = draw(
        geometries(small_pads=True)
    )
    x = make_array(draw, (draw(st.integers(1, 2)), *spatial, draw(st.integers(1, 3))),
                   "float64")
    return x, dict(window_shape=window, strides=strides, padding=padding, dilations=dilations,
                   ceil_mode=ceil_mode)


@settings(max_examples=300)
@given(filled_windows(), st.sampled_from([-3.5, 0.0, 1.0, 7.25]),
       st.sampled_from(["float16", "float32", "float64", "int32"]))
def test_pooling_a_constant_gives_the_constant(case, value, dtype):
    x, kwargs = case
    if dtype == "int32":
        value = int(value)
    constant = np.full_like(x, value, dtype=dtype)
    out_max = vt.pool(constant, pooling_type="MAX", **kwargs)
    assert out_max.dtype == np.dtype(dtype)
    assert np.all(out_max == value)
    if dtype != "int32":
        out_avg = vt.pool(constant, pooling_type="AVG", **kwargs)
        assert out_avg.dtype == np.dtype(dtype)
        np.testing.assert_allclose(out_avg, value, rtol=1e-3 if dtype == "float16" else 1e-6)


@settings(max_examples=300)
@given(filled_windows(), st.booleans())
def test_max_pool_is_at_least_avg_pool(case, count_include_pad):
    x, kwargs = case
    out_max = vt.pool(x, pooling_type="MAX", **kwargs)
    out_avg = vt.pool(x, pooling_type="AVG", count_include_pad=count_include_pad, **kwargs)
    assert out_max.shape == out_avg.shape
    if count_include_pad:
        # padded zeros enter the average, so compare with max(max, 0)
        out_max = np.maximum(out_max, 0.0)
    assert np.all(out_max >= out_avg - 1e-12 * np.maximum(1.0, np.abs(out_max)))
    # and min pooling (= -max(-x)) is below the average
    out_min = -vt.pool(-x, pooling_type="MAX", **kwargs)
    if count_include_pad:
        out_min = np.minimum(out_min, 0.0)
    assert np.all(out_min <= out_avg + 1e-12 * np.maximum(1.0, np.abs(out_min)))


@settings(max_examples=200)
@given(filled_windows())
def test_strided_pool_is_subsampled_stride_one_pool(case):
    x, kwargs = case
    strides = vt.geometry.normalize_tuple(kwargs["strides"], x.ndim - 2, "strides")
    spatial = x.shape[1:-1]
    pads = vt.padding_amounts(spatial, kwargs["window_shape"], kwargs["strides"],
                              kwargs["padding"], kwargs["dilations"], ceil_mode=kwargs["ceil_mode"])
    out = vt.pool(x, pooling_type="MAX", **kwargs)
    dense_kwargs = dict(kwargs, strides=1, padding=pads, ceil_mode=False)
    # pad the far side enough that every strided window start exists at stride 1
    extra = [
        (lo, hi + s) for (lo, hi), s in zip(pads, strides, strict=True)
    ]
    dense_kwargs["padding"] = tuple(extra)
    dense = vt.pool(x, pooling_type="MAX", **dense_kwargs)
    index = (slice(None),) + tuple(
        slice(0, o * s, s) for o, s in zip(out.shape[1:-1], strides, strict=True)
    ) + (slice(None),)
    np.testing.assert_array_equal(out, dense[index])


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64"])
def test_integer_max_pool_keeps_dtype_and_extremes(dtype):
    info = np.iinfo(dtype)
    x = np.array([[info.min, info.max, info.min + 1], [info.max - 1, info.min, 0]], dtype=dtype)
    got = vt.pool(x, (2, 2), "MAX", padding="SAME")
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, pool_reference(x[None, ..., None], (2, 2), "MAX",
                                                      padding="SAME")[0, ..., 0])
    # an all-padding window (dilation 3: taps -1 and 2 of a 2-cell input) gives the minimum
    got = vt.pool(np.array([5, 7], dtype=dtype), (2,), "MAX", padding=((2, 2),), dilations=3)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, [7, info.min, 5])


def test_empty_batch_and_channels():
    """semantics.md 7: an empty batch and zero channels are fine in TF and torch."""
    assert vt.pool(np.zeros((0, 5, 5, 2)), (2, 2), "MAX", 2).shape == (0, 2, 2, 2)
    assert vt.pool(np.zeros((1, 5, 5, 0)), (2, 2), "AVG", 2, "SAME").shape == (1, 3, 3, 0)
    assert vt.conv(np.zeros((0, 5, 5, 2)), np.zeros((2, 2, 2, 3))).shape == (0, 4, 4, 3)
