"""Every fast path against the readable reference implementations it replaces.

The fast paths (``ventanal/ops/pool_dispatch.py``, ``conv_dispatch.py``: numba kernels, and the
banded NumPy path used where
numba is absent) must give the results of ``max_pool_reference``, ``avg_pool_reference`` and
``conv_reference``: max pooling bit for bit (NaN propagation, ``-inf`` or the smallest integer
for windows without a real cell), averages and convolutions within a rounding bound derived
from the magnitudes of the summed terms.

Hypothesis draws ranks 1-3, windows (small ones, and large ones that select window doubling or
the FFT path), strides up to three more than the window, dilations, every padding form,
``ceil_mode``, ``count_include_pad``, 1 to 17 channels, groups, dtypes, channels-first,
bare and non-contiguous inputs, NaN and infinities. Each test runs on both backends
(``VENTANAL_BACKEND=numba`` when numba is installed, and ``numpy``). Speed is measured by
``benchmarks/run.py``, never here.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from support import environment

import ventanal as vt
from ventanal import geometry
from ventanal.ops import _backend, conv_dispatch, memory, pool_dispatch, threads
from ventanal.ops.conv import conv_reference
from ventanal.ops.dtypes import conv_dtypes
from ventanal.ops.pool import avg_pool_reference, max_pool_reference

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
BACKENDS = [pytest.param("numba", marks=pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")),
            "numpy"]
CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}




def backend(name):
    return environment(VENTANAL_BACKEND=name)


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

@st.composite
def plans(draw, max_rank=3, large=True, ceil=True, causal=False):
    """(plan, spatial shape, pool-style keyword arguments) with a valid output size."""
    rank = draw(st.integers(1, max_rank))
    if large and rank < 3 and draw(st.integers(0, 4)) == 0:
        window = tuple(draw(st.integers(5, 12)) for _ in range(rank))   # doubling, FFT, rings
    else:
        window = tuple(draw(st.integers(1, 4 if rank < 3 else 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, k + 3)) for k in window)
    dilations = (1,) * rank if draw(st.booleans()) else tuple(
        draw(st.integers(1, 3)) for _ in range(rank))
    effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
    form = draw(st.sampled_from(["VALID", "SAME", "FULL", "pairs"] + (["CAUSAL"] * causal)))
    if form == "pairs":
        padding = tuple((draw(st.integers(0, e + 1)), draw(st.integers(0, e + 1)))
                        for e in effective)
    else:
        padding = form
    ceil_mode = ceil and draw(st.booleans())
    spatial = tuple(draw(st.integers(1, e + 9)) for e in effective)
    try:
        plan = geometry.plan(spatial, window, strides, padding, dilations, ceil_mode=ceil_mode)
    except ValueError:
        assume(False)
    return plan, spatial, dict(window_shape=window, strides=strides, padding=padding,
                               dilations=dilations, ceil_mode=ceil_mode)


def random_array(draw, shape, dtype, specials=False):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)
    x = rng.standard_normal(shape) * 3
    if draw(st.booleans()):
        x = np.round(x)  # ties
    if specials and x.size:
        flat = x.reshape(-1)
        for _ in range(draw(st.integers(0, 4))):
            flat[rng.integers(flat.size)] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        if draw(st.integers(0, 5)) == 0:
            flat[:] = -np.inf  # every window's real cells are -inf
    return x.astype(dtype)


def channels_last_input(draw, spatial, dtype, channels, specials):
    """A channels-last array, sometimes a non-contiguous or channels-first view of memory."""
    batch = draw(st.integers(1, 2))
    layout = draw(st.sampled_from(["contiguous", "channels-first memory", "strided"]))
    if layout == "channels-first memory":
        memory = random_array(draw, (batch, channels, *spatial), dtype, specials)
        return np.moveaxis(memory, 1, -1)
    if layout == "strided":
        memory = random_array(draw, (batch, *spatial, 2 * channels), dtype, specials)
        return memory[..., ::2]
    return random_array(draw, (batch, *spatial, channels), dtype, specials)


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------

MAX_DTYPES = ["float32", "float64", "float16", "int8", "uint8", "int32", "int64", "uint16",
              "bool"]
AVG_DTYPES = ["float32", "float64", "float16", "int16", "uint8", "bool"]


def assert_average_close(got, want, x, taps):
    """Averages agree to within rounding of sums of ``taps`` terms of at most max|x|."""
    assert got.dtype == want.dtype and got.shape == want.shape
    accumulator = np.float32 if want.dtype in (np.float16, np.float32) else np.float64
    finite = np.abs(x[np.isfinite(x)].astype(np.float64)) if x.dtype.kind == "f" else \
        np.abs(x.astype(np.float64))
    scale = float(finite.max(initial=0.0))
    tolerance = (4 * taps * np.finfo(accumulator).eps * scale
                 + 2 * np.finfo(want.dtype).eps * np.abs(np.nan_to_num(want.astype(np.float64),
                                                                       posinf=0, neginf=0)))
    assert_within(got, want, tolerance)


def assert_within(got, want, tolerance):
    """Equal cells (NaN with NaN, inf with inf) or cells within ``tolerance`` (an array)."""
    got, want = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore"):
        ok = (got == want) | (np.isnan(got) & np.isnan(want)) | (np.abs(got - want) <= tolerance)
    if not ok.all():
        where = tuple(np.argwhere(~ok)[0])
        raise AssertionError(f"{np.count_nonzero(~ok)} of {ok.size} cells differ; first at "
                             f"{where}: got {got[where]!r}, want {want[where]!r}, tolerance "
                             f"{np.broadcast_to(tolerance, ok.shape)[where]!r}")


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=150)
@given(data=st.data())
def test_max_pool_equals_reference(name, data):
    plan, spatial, _ = data.draw(plans())
    dtype = data.draw(st.sampled_from(MAX_DTYPES))
    channels = data.draw(st.sampled_from([1, 2, 3, 8, 9, 17]))
    x = channels_last_input(data.draw, spatial, dtype, channels, specials=True)
    want = max_pool_reference(x, plan)
    before = x.copy()
    with backend(name):
        got = pool_dispatch.max_pool(x, plan)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)   # NaN == NaN here; -inf and int minima exact
    np.testing.assert_array_equal(x, before)


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=150)
@given(data=st.data())
def test_avg_pool_equals_reference(name, data):
    plan, spatial, _ = data.draw(plans())
    dtype = data.draw(st.sampled_from(AVG_DTYPES))
    channels = data.draw(st.sampled_from([1, 3, 8, 17]))
    count_include_pad = data.draw(st.booleans())
    x = channels_last_input(data.draw, spatial, dtype, channels, specials=True)
    with np.errstate(invalid="ignore"):   # inf - inf: NaN, as vt.pool computes it
        want = avg_pool_reference(x, plan, count_include_pad=count_include_pad)
        with backend(name):
            got = pool_dispatch.avg_pool(x, plan, count_include_pad)
    assert_average_close(got, want, x, int(np.prod(plan.window_shape)))


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=60)
@given(data=st.data())
def test_pool_api_layouts(name, data):
    """Through ``vt.pool``: bare arrays, channels first, Keras front-ends, read-only input."""
    plan, spatial, kwargs = data.draw(plans(max_rank=2))
    kind = data.draw(st.sampled_from(["MAX", "AVG"]))
    rank = len(spatial)
    x = random_array(data.draw, (2, 3, *spatial), "float32", specials=kind == "MAX")
    x.flags.writeable = False
    layout = data.draw(st.sampled_from(["first", "bare"]))
    call = x if layout == "first" else x[0, 0]
    options = dict(kwargs, data_format=CHANNELS_FIRST[rank] if layout == "first" else None)
    with backend("reference"), np.errstate(invalid="ignore"):
        want = vt.pool(call, pooling_type=kind, **options)
    with backend(name), np.errstate(invalid="ignore"):
        got = vt.pool(call, pooling_type=kind, **options)
    if kind == "MAX":
        np.testing.assert_array_equal(got, want)
    else:
        assert_average_close(got, want, x, int(np.prod(plan.window_shape)))


# ---------------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------------

CONV_SHAPES = [  # (input channels, output channels, groups): every kernel family
    (1, 1, 1),     # planes
    (1, 5, 1),     # one image into a few maps
    (3, 8, 1),     # few channels, direct
    (3, 16, 1),    # few channels, BLAS
    (9, 4, 1),     # many channels, BLAS
    (4, 4, 4),     # depthwise
    (6, 4, 2),     # groups
    (4, 8, 4),     # depthwise with a multiplier
]
CONV_DTYPES = [("float32", "float32"), ("float64", "float64"), ("float16", "float16"),
               ("int32", "int32"), ("int64", "int64"), ("int8", "float32"),
               ("float32", "float64"), ("bool", "bool"), ("uint8", "int64")]


def small_integers(a, limit):
    """Integer arrays folded into [-limit, limit) (or [0, limit) when unsigned)."""
    if a.dtype.kind not in "iu":
        return a
    wide = a.astype(np.int64)
    folded = wide % limit if a.dtype.kind == "u" else wide % (2 * limit) - limit
    return folded.astype(a.dtype)


def assert_conv_close(got, want, x, w, plan, groups):
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    accumulator, _ = conv_dtypes(x.dtype, w.dtype)
    terms = int(np.prod(plan.window_shape)) * w.shape[-2]
    with np.errstate(invalid="ignore", over="ignore"):
        bound = conv_reference(np.abs(x.astype(np.float64)), np.abs(w.astype(np.float64)),
                               plan, groups)
    finite = np.nan_to_num(bound, posinf=0, neginf=0)
    tolerance = (4 * (terms + 2) * np.finfo(accumulator).eps * finite
                 + 2 * np.finfo(want.dtype).eps * np.abs(np.nan_to_num(
                     want.astype(np.float64), posinf=0, neginf=0))
                 + 1e-12 * float(finite.max(initial=0.0)))   # FFT: a global error
    assert_within(got, want, tolerance)


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=150)
@given(data=st.data())
def test_conv_equals_reference(name, data):
    plan, spatial, _ = data.draw(plans(ceil=False, causal=True))
    cin, cout, groups = data.draw(st.sampled_from(CONV_SHAPES))
    x_dtype, w_dtype = data.draw(st.sampled_from(CONV_DTYPES))
    x = channels_last_input(data.draw, spatial, x_dtype, cin, specials=False)
    w = random_array(data.draw, plan.window_shape + (cin // groups, cout), w_dtype)
    x, w = small_integers(x, 100), small_integers(w, 10)   # sums exact in the float64 bound
    if x.dtype.kind == "f" and data.draw(st.integers(0, 7)) == 0:
        x = x.copy()
        x.reshape(-1)[0] = data.draw(st.sampled_from([np.nan, np.inf]))
    with np.errstate(invalid="ignore", over="ignore"):
        want = conv_reference(x, w, plan, groups)
    with backend(name), np.errstate(invalid="ignore", over="ignore"):
        got = conv_dispatch.conv(x, w, plan, groups)
    assert_conv_close(got, want, x, w, plan, groups)


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=40)
@given(data=st.data())
def test_conv_api_layouts(name, data):
    """Through ``vt.conv``: bare images and kernels, channels first."""
    plan, spatial, kwargs = data.draw(plans(max_rank=2, ceil=False))
    kwargs.pop("ceil_mode")
    window = kwargs.pop("window_shape")
    rank = len(spatial)
    bare = data.draw(st.booleans())
    x = random_array(data.draw, (2, 3, *spatial) if not bare else spatial, "float32")
    w = random_array(data.draw, window if bare else window + (3, 4), "float32")
    if not bare:
        kwargs["data_format"] = CHANNELS_FIRST[rank]
    with backend("reference"):
        want = vt.conv(x, w, **kwargs)
    with backend(name):
        got = vt.conv(x, w, **kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4 * max(1.0, np.abs(want).max()))


# ---------------------------------------------------------------------------------------------
# Cases each kernel family must get right, written out
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("window, strides, padding, dilations", [
    ((15, 15), (1, 1), "SAME", (1, 1)),      # window doubling along both axes
    ((9, 1), (2, 1), "FULL", (1, 1)),        # doubling along H only, strided
    ((1, 7), (1, 3), ((0, 0), (9, 2)), (1, 2)),
    ((6, 6), (5, 5), "VALID", (1, 1)),
    ((2, 2), (2, 2), "SAME", (1, 1)),        # the benchmark's pools, odd sizes
    ((3, 3), (2, 2), "SAME", (1, 1)),
    ((3, 3), (1, 1), "SAME", (2, 2)),        # up to 3x3 taps in one pass (many channels)
    ((2, 3), (1, 2), "VALID", (1, 1)),
    ((3, 2), (3, 1), ((1, 1), (0, 2)), (1, 1)),
])
def test_pool_written_cases(name, window, strides, padding, dilations):
    rng = np.random.default_rng(7)
    for channels in (1, 3, 16, 64):
        x = rng.standard_normal((2, 23, 19, channels)).astype(np.float32)
        x[0, 5, 7] = np.nan
        x[1, :4] = -np.inf
        plan = geometry.plan((23, 19), window, strides, padding, dilations)
        with backend(name):
            np.testing.assert_array_equal(pool_dispatch.max_pool(x, plan),
                                          max_pool_reference(x, plan))
            for include in (False, True):
                want = avg_pool_reference(x, plan, count_include_pad=include)
                got = pool_dispatch.avg_pool(x, plan, include)
                assert_average_close(got, want, x, int(np.prod(window)))


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("window, strides, channels", [
    ((2, 2), (2, 2), 64), ((3, 3), (2, 2), 64), ((2, 2), (2, 2), 1), ((3, 3), (2, 2), 1),
    ((15, 15), (1, 1), 1), ((7, 7), (1, 1), 8),
], ids=["channels-2x2", "channels-3x3", "rows-2x2", "rows-3x3", "doubling", "doubling-8"])
def test_max_of_signed_zeros(name, window, strides, channels):
    """A max of zeros is a zero, -0 where every tap is -0 and +0 where every tap is +0; where
    a window holds both, the order of its taps decides (as with ``np.maximum``)."""
    rng = np.random.default_rng(3)
    negative = np.ones((2, 40, 60, channels), bool)    # columns: +0 | either | -0
    negative[:, :, :20] = False
    negative[:, :, 20:40] = rng.random((2, 40, 20, channels)) < 0.5
    x = np.where(negative, -0.0, 0.0).astype(np.float32)
    plan = geometry.plan((40, 60), window, strides, "SAME")
    with backend(name):
        got = pool_dispatch.max_pool(x, plan)
    only_negative = max_pool_reference((~negative).astype(np.float32), plan) == 0
    only_positive = max_pool_reference(negative.astype(np.float32), plan) == 0
    assert only_negative.any() and only_positive.any()
    assert not np.any(got)                                   # every maximum is a zero
    assert np.all(np.signbit(got[only_negative]))
    assert not np.any(np.signbit(got[only_positive]))


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
@pytest.mark.parametrize("dtype, key", [("float32", "int32"), ("float64", "int64")])
def test_ordered_keys(dtype, key):
    """Window doubling compares floats as ordered integer keys: they sort as the floats do,
    -0 below +0, every NaN (either sign) above +inf, and come back bit for bit."""
    from numba import njit

    from ventanal.ops._numba_vectors import from_ordered_key, ordered_key

    def elementwise(convert):
        @njit
        def run(a, like):
            out = np.full(a.size, like)
            for i in range(a.size):
                out[i] = convert(a[i], like)
            return out
        return run

    keys, values = elementwise(ordered_key), elementwise(from_ordered_key)

    info = np.finfo(dtype)
    ordered = np.array([-np.inf, info.min, -1.5, -info.tiny, -info.smallest_subnormal, -0.0,
                        0.0, info.smallest_subnormal, info.tiny, 1.0, info.max, np.inf], dtype)
    k = keys(ordered, np.dtype(key).type(0))
    assert k.dtype == np.dtype(key) and np.all(np.diff(k) > 0)
    back = values(k, np.dtype(dtype).type(0))
    np.testing.assert_array_equal(back.view(key), ordered.view(key))   # bit for bit
    nans = np.array([np.nan, -np.nan, np.copysign(np.nan, -1.0)], dtype)
    nan_keys = keys(nans, np.dtype(key).type(0))
    assert np.all(nan_keys == np.iinfo(key).max) and np.all(np.isnan(values(nan_keys,
                                                                         back[0])))
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(1000) * 10.0 ** rng.integers(-30, 30, 1000)).astype(dtype)
    order = np.argsort(keys(a, np.dtype(key).type(0)), kind="stable")
    np.testing.assert_array_equal(a[order], np.sort(a))


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_doubling_nan_of_either_sign(name, dtype):
    """Large windows (window doubling): a NaN of either sign reaches exactly the windows that
    hold it; -inf rows and +inf cells keep their places."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 50, 45, 1)).astype(dtype)
    x[0, 10, 20, 0] = np.copysign(np.nan, -1.0)
    x[1, 30, 5, 0] = np.nan
    x[1, 40, :, 0] = -np.inf
    x[0, 45, 40, 0] = np.inf
    for window, strides in [((15, 15), 1), ((7, 9), (2, 3)), ((1, 12), 1), ((11, 1), 1)]:
        plan = geometry.plan((50, 45), window, strides, "SAME")
        with backend(name):
            got = pool_dispatch.max_pool(x, plan)
        want = max_pool_reference(x, plan)
        assert np.isnan(want).any()
        np.testing.assert_array_equal(got, want)


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
@pytest.mark.parametrize("dtype", ["float32", "int16", "uint8", "float64"])
@pytest.mark.parametrize("streamed", [False, True], ids=["stored", "streamed"])
def test_doubling_last_levels_in_one_pass(dtype, streamed, monkeypatch):
    """Window doubling computes the last two H levels in one pass where output rows are whole
    vectors (widths of whole vectors) and in two elsewhere (one cell more); windows whose
    last level repeats the new row (8 = 4 + 4), two and three levels, H strides, bands."""
    from ventanal.ops._numba_vectors import vector_lanes

    monkeypatch.setattr(memory, "STREAM_MIN_BYTES", 0 if streamed else 1 << 62)
    monkeypatch.setattr(memory, "ALIGNED_MIN_BYTES", 0)   # every result 64-byte aligned
    monkeypatch.setenv("VENTANAL_NUM_THREADS", "3")      # bands of a plane, on three threads
    lanes = vector_lanes(dtype)
    rng = np.random.default_rng(5)
    for width in (2 * lanes, 2 * lanes + 1):
        x = (rng.standard_normal((1, 61, width, 1)) * 60).astype(dtype)
        if dtype.startswith("float"):
            x[0, 20, 3, 0] = np.nan
        for window, strides in [((8, 15), 1), ((15, 15), (2, 1)), ((16, 5), 1),
                                ((20, 9), (3, 1)), ((9, 17), 2)]:
            plan = geometry.plan((61, width), window, strides, "SAME")
            with backend("numba"):
                got = pool_dispatch.max_pool(x, plan)
            np.testing.assert_array_equal(got, max_pool_reference(x, plan))


# ---------------------------------------------------------------------------------------------
# Window doubling against its readable twin (ventanal/ops/doubling_reference.py)
# ---------------------------------------------------------------------------------------------

DOUBLING_CASES = [   # (spatial, window, strides, padding, dilations, ceil_mode)
    ((37, 41), (15, 15), 1, "SAME", 1, False),
    ((30, 29), (7, 9), (2, 3), "SAME", 1, False),
    ((25, 40), (1, 12), 1, "VALID", 1, False),
    ((40, 17), (11, 1), 1, "FULL", 1, False),
    ((33, 35), (16, 5), (1, 4), ((3, 0), (0, 6)), 1, False),
    ((29, 31), (6, 8), (5, 2), "VALID", 1, True),
    ((45, 47), (9, 17), 2, ((8, 8), (16, 16)), 1, False),
    ((41, 38), (6, 7), 1, "SAME", (3, 2), False),
    ((28, 60), (20, 21), (3, 1), ((19, 0), (2, 20)), (1, 2), True),
    ((64, 64), (64, 6), 1, "SAME", 1, False),
    ((12, 50), (2, 33), (1, 7), "SAME", 1, False),
]
DOUBLING_DTYPES = ["float32", "float64", "int16", "uint8", "bool"]


def doubling_input(shape, dtype, seed):
    """Random values with NaN of both signs, -0.0, +-inf (floats) or the extremes (integers)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)
        x.reshape(-1)[rng.integers(x.size, size=4)] = [info.min, info.max, 0, info.min]
        return x
    x = (rng.standard_normal(shape) * 100).astype(dtype)
    flat = x.reshape(-1)
    specials = [np.nan, np.copysign(np.nan, -1.0), -0.0, 0.0, np.inf, -np.inf]
    flat[rng.integers(flat.size, size=len(specials))] = specials
    flat[rng.integers(flat.size, size=flat.size // 8)] = -0.0     # windows of signed zeros
    x[:, x.shape[1] // 2] = -np.inf                                  # a row of -inf
    return x


def same_bits(got, want):
    """Bit for bit: the arrays' bytes (NaN payloads and the sign of zero included)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.ascontiguousarray(got).view(np.uint8),
                                  np.ascontiguousarray(want).view(np.uint8))


def test_doubling_twin_levels_are_their_windows():
    """Each level of the twin holds, at cell p, the maximum of its windows' taps from p:
    1, 4, 16, ... taps, the last level the whole window."""
    from ventanal.ops.doubling_reference import levels_along, quad_levels

    rng = np.random.default_rng(3)
    for window, dilation in [(15, 1), (6, 2), (16, 1), (17, 3), (64, 1), (70, 1), (2, 5)]:
        padded = rng.integers(-50, 50, size=(3, (window - 1) * dilation + 40))
        levels = levels_along(padded, 1, window, dilation)
        assert len(levels) == len(quad_levels(window)) + 1
        for v, level in enumerate(levels):
            taps = min(4 ** v, window) if v < len(levels) - 1 else window
            for p in range(level.shape[1]):
                want = padded[:, p:p + (taps - 1) * dilation + 1:dilation].max(axis=1)
                np.testing.assert_array_equal(level[:, p], want, err_msg=f"level {v}, cell {p}")


@pytest.mark.parametrize("dtype", DOUBLING_DTYPES)
def test_doubling_twin_equals_the_reference(dtype):
    from ventanal.ops.doubling_reference import max_pool_by_doubling

    for seed, (spatial, window, strides, padding, dilations, ceil_mode) in enumerate(
            DOUBLING_CASES):
        plan = geometry.plan(spatial, window, strides, padding, dilations, ceil_mode=ceil_mode)
        x = doubling_input((2, *spatial, 3), dtype, seed)
        got = max_pool_by_doubling(x, plan)
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(got, max_pool_reference(x, plan), err_msg=str(plan))


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
def test_doubling_twin_steps_match_the_kernels():
    """The twin's levels and ordered keys are the kernel's, so that a difference in results
    points at the kernel's rings and bands."""
    from numba import njit

    from ventanal.ops._numba_doubling import MOST_LEVELS, quad_levels
    from ventanal.ops._numba_vectors import ordered_key
    from ventanal.ops.doubling_reference import ordered_keys
    from ventanal.ops.doubling_reference import quad_levels as twin_levels

    @njit
    def kernel_levels(window, dilation):
        taps = np.zeros((MOST_LEVELS, 4), np.int64)
        return taps[:quad_levels(window, dilation, taps)]

    @njit
    def kernel_keys(a, key_zero):
        out = np.full(a.size, key_zero)
        for i in range(a.size):
            out[i] = ordered_key(a[i], key_zero)
        return out

    for window in range(1, 70):
        for dilation in (1, 2, 3):
            want = [list(t) for t in twin_levels(window, dilation)]
            assert kernel_levels(window, dilation).tolist() == want, (window, dilation)
    for dtype, key in [("float32", np.int32), ("float64", np.int64)]:
        x = doubling_input((4, 50, 5), dtype, 1).reshape(-1)
        np.testing.assert_array_equal(kernel_keys(x, key(0)), ordered_keys(x))


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
@pytest.mark.parametrize("dtype", DOUBLING_DTYPES)
def test_doubling_kernel_equals_the_twin_bit_for_bit(dtype, monkeypatch):
    from ventanal.ops.doubling_reference import max_pool_by_doubling

    kernels = _backend.numba_namespace(load=True, required=True)
    kernel = kernels.max_doubling
    calls = []
    monkeypatch.setattr(kernels, "max_doubling",
                        lambda *args: calls.append(1) or kernel(*args))
    for seed, (spatial, window, strides, padding, dilations, ceil_mode) in enumerate(
            DOUBLING_CASES):
        plan = geometry.plan(spatial, window, strides, padding, dilations, ceil_mode=ceil_mode)
        x = doubling_input((2, *spatial, 3), dtype, seed)
        before = len(calls)
        with backend("numba"):
            got = pool_dispatch.max_pool(x, plan)
        assert len(calls) > before, f"{plan} did not use window doubling"
        same_bits(got, max_pool_by_doubling(x, plan))


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
@settings(max_examples=80)
@given(data=st.data())
def test_doubling_kernel_equals_the_twin_on_drawn_plans(data):
    """Bit for bit on drawn plans that take window doubling: one axis of 6-24 taps, the other
    of 1-24, strides up to the window, dilations, every padding form, ``ceil_mode``."""
    from ventanal.ops.doubling_reference import max_pool_by_doubling

    large, other = data.draw(st.integers(6, 24)), data.draw(st.integers(1, 24))
    window = (large, other) if data.draw(st.booleans()) else (other, large)
    strides = tuple(data.draw(st.integers(1, k)) for k in window)
    assume(strides[0] < window[0] or strides[1] < window[1])
    dilations = tuple(data.draw(st.integers(1, 3)) for _ in window)
    effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
    padding = data.draw(st.sampled_from(["VALID", "SAME", "FULL", "pairs"]))
    if padding == "pairs":
        padding = tuple((data.draw(st.integers(0, e)), data.draw(st.integers(0, e)))
                        for e in effective)
    spatial = tuple(data.draw(st.integers(1, e + 12)) for e in effective)
    try:
        plan = geometry.plan(spatial, window, strides, padding, dilations,
                             ceil_mode=data.draw(st.booleans()))
    except ValueError:
        assume(False)
    dtype = data.draw(st.sampled_from(DOUBLING_DTYPES))
    x = doubling_input((data.draw(st.integers(1, 2)), *spatial, data.draw(st.integers(1, 9))),
                       dtype, data.draw(st.integers(0, 2**32 - 1)))
    with backend("numba"):
        got = pool_dispatch.max_pool(x, plan)
    same_bits(got, max_pool_by_doubling(x, plan))


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
@pytest.mark.parametrize("dtype, vectors", [
    ("float32", 4), ("float64", 3), ("int8", 1), ("uint16", 3), ("bool", 1),
    ("int64", 2), ("float32", 3),
])
@pytest.mark.parametrize("streamed", [False, True], ids=["stored", "streamed"])
def test_numba_vector_loops(dtype, vectors, streamed, monkeypatch):
    """The direct kernels' explicit vector loops (channels in whole vectors), with and
    without non-temporal stores, on windows of 1 to 9 taps, borders and NaN included."""
    from ventanal.ops._numba_vectors import vector_lanes

    channels = vectors * vector_lanes(dtype)
    monkeypatch.setattr(memory, "STREAM_MIN_BYTES", 0 if streamed else 1 << 62)
    monkeypatch.setattr(memory, "ALIGNED_MIN_BYTES", 0)   # every result 64-byte aligned
    seen = []
    options = pool_dispatch.vector_options
    monkeypatch.setattr(pool_dispatch, "vector_options",
                        lambda out5, c: seen.append(options(out5, c)) or seen[-1])
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((2, 13, 11, channels)) * 50).astype(dtype)
    if dtype == "bool":
        x = rng.random((2, 13, 11, channels)) < 0.5
    if x.dtype.kind == "f":
        x[0, 3, 4, 5] = np.nan
        x[1, 6, :, 1] = -np.inf
    for window, strides, padding in [((2, 2), (2, 2), "SAME"), ((3, 3), (2, 2), "SAME"),
                                     ((3, 3), (1, 1), "VALID"), ((1, 2), (1, 1), "SAME"),
                                     ((2, 3), (1, 2), ((1, 1), (2, 0)))]:
        plan = geometry.plan((13, 11), window, strides, padding)
        with backend("numba"):
            np.testing.assert_array_equal(pool_dispatch.max_pool(x, plan),
                                          max_pool_reference(x, plan))
            want = avg_pool_reference(x, plan, count_include_pad=False)
            assert_average_close(pool_dispatch.avg_pool(x, plan, False), want, x,
                                 int(np.prod(window)))
    # five max pools and the two averages of at most four taps ran the direct kernels
    assert len(seen) == 7 and set(seen) == {(True, streamed)}


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
def test_vector_options():
    """Vectors when the channels fill whole vectors (32 bytes, or 64 where numba compiles for
    AVX-512); streaming only for large results aligned to whole vectors."""
    from ventanal.ops._numba_vectors import vector_bytes, vector_lanes

    width = vector_bytes()
    assert width in (32, 64) and vector_lanes(np.float32) == width // 4
    assert vector_lanes(np.float64) == width // 8 and vector_lanes(np.int8) == width
    big = np.empty((1, 1, 512, 256, 64), np.float32)           # 32 MiB
    aligned = big.ctypes.data % width == 0
    assert pool_dispatch.vector_options(big, 64) == (True, aligned)
    assert pool_dispatch.vector_options(big, 60) == (False, False)
    assert pool_dispatch.vector_options(big, width // 4 + 4) == (False, False)
    assert pool_dispatch.vector_options(big[..., :1, :], 64) == (True, False)   # small
    shifted = np.empty(big.size + 16, np.float32)
    offset = next(k for k in range(1, 16) if (shifted.ctypes.data + 4 * k) % width)
    view = shifted[offset:offset + big.size].reshape(big.shape)
    assert view.ctypes.data % width != 0
    assert pool_dispatch.vector_options(view, 64) == (True, False)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("plan", [
    geometry.plan((3,), 2, strides=1, padding=(4, 4), dilations=5),
    geometry.plan((3,), 2, strides=5, padding=(3, 0)),   # padding past the whole span
    geometry.plan((2, 3), (1, 2), strides=(1, 5), padding=((0, 0), (3, 0))),
], ids=["dilated", "past-the-span", "past-the-span-2d"])
def test_all_padding_windows(name, plan):
    """A window can lie entirely in padding: -inf, the smallest integer, NaN average, 0 conv."""
    for dtype in ("float32", "int16", "uint8", "bool"):
        x = np.arange(np.prod(plan.input_shape)).astype(dtype).reshape(
            (1,) + plan.input_shape + (1,))
        w = np.ones(plan.window_shape + (1, 1), dtype)
        with backend(name):
            np.testing.assert_array_equal(conv_dispatch.conv(x, w, plan, 1),
                                          conv_reference(x, w, plan, 1))
        with backend(name):
            np.testing.assert_array_equal(pool_dispatch.max_pool(x, plan),
                                          max_pool_reference(x, plan))
        with backend(name), np.errstate(invalid="ignore"):
            got = pool_dispatch.avg_pool(x, plan, False)
        with np.errstate(invalid="ignore"):
            want = avg_pool_reference(x, plan)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        assert np.isnan(got).any()


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("kernel, strides, dilations, padding", [
    (31, 1, 1, "SAME"),     # numba: FFT or plane tiles (by vector width); NumPy: FFT
    (7, 3, 1, "SAME"),      # any stride
    (5, 2, 2, "FULL"),
    (3, 1, 1, ((4, 0), (0, 5))),
])
def test_conv_planes_written_cases(name, kernel, strides, dilations, padding):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 41, 37, 1)).astype(np.float32)
    w = rng.standard_normal((kernel, kernel, 1, 1)).astype(np.float32)
    plan = geometry.plan((41, 37), kernel, strides, padding, dilations)
    with backend(name):
        got = conv_dispatch.conv(x, w, plan, 1)
    assert_conv_close(got, conv_reference(x, w, plan, 1), x, w, plan, 1)


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
def test_numba_hands_large_kernels_to_the_fft_checking_the_input_once(monkeypatch):
    """64x64 taps (above both thresholds of the plane tiles): the numba path decides on the
    NumPy path's FFT, and the check that every value is finite runs once, not again there."""
    from ventanal.ops import _numpy_conv

    checks, transforms = [], []
    exact, fft_conv = _numpy_conv.fft_exact, _numpy_conv._fft_conv
    monkeypatch.setattr(_numpy_conv, "fft_exact", lambda *a: checks.append(1) or exact(*a))
    monkeypatch.setattr(_numpy_conv, "_fft_conv",
                        lambda *a: transforms.append(1) or fft_conv(*a))
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 80, 90, 1)).astype(np.float32)
    w = rng.standard_normal((64, 64, 1, 1)).astype(np.float32)
    plan = geometry.plan((80, 90), 64, 1, "SAME")
    with backend("numba"):
        got = conv_dispatch.conv(x, w, plan, 1)
    assert len(checks) == 1 and len(transforms) == 1
    assert_conv_close(got, conv_reference(x, w, plan, 1), x, w, plan, 1)


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
@pytest.mark.parametrize("weight", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("shape, kernel, strides, dilations, padding, out_channels", [
    ((1, 8, 8, 2), (3, 3), 1, 1, "SAME", 1),           # issue 17: [0, 0, 0, 0] was 8.0
    ((2, 9, 10, 3), (3, 5), (2, 1), (1, 2), ((2, 1), (4, 3)), 4),
    ((1, 7, 6, 1, 2), (2, 3, 2), 1, 1, "FULL", 3),    # 3-D: padded planes along D too
])
def test_conv_channels_multiplies_padding_by_non_finite_weights(
        weight, shape, kernel, strides, dilations, padding, out_channels, monkeypatch):
    """``0 * inf`` is NaN: the direct kernel for few channels (``conv_channels``), which
    skips padded cells, gives NaN where a padded cell meets an infinite or NaN weight, as the
    reference does."""
    calls = _record_conv_kernels(monkeypatch, "conv_channels")
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((*kernel, shape[-1], out_channels)).astype(np.float32)
    w[(0,) * len(kernel) + (0, 0)] = weight
    plan = geometry.plan(shape[1:-1], kernel, strides, padding, dilations)
    with backend("numba"):
        got = conv_dispatch.conv(x, w, plan, 1)
    assert calls, "the case did not reach conv_channels"
    with np.errstate(invalid="ignore"):     # the reference's 0 * inf
        want = conv_reference(x, w, plan, 1)
    assert np.isnan(want).any()
    assert_conv_close(got, want, x, w, plan, 1)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("shape, kernel, where", [
    ((1, 1, 4, 1), 5, (0, 0, 0, 0)),          # found by hypothesis: NaN in an output it misses
    ((1, 64, 70, 1), 31, (0, 40, 50, 0)),     # 31x31: plane tiles, or FFT where finite
    ((2, 9, 30, 3), 7, (1, 4, 2, 1)),         # depthwise
])
def test_conv_special_values_stay_in_their_windows(name, special, shape, kernel, where):
    """A NaN or infinity reaches exactly the outputs whose windows hold it, as in the direct
    sum; the FFT path (large single-channel or depthwise kernels) must not spread it."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    x[where] = special
    channels = shape[-1]
    w = rng.standard_normal((kernel, kernel, 1, channels)).astype(np.float32)
    plan = geometry.plan(shape[1:3], kernel, 1, "SAME")
    with np.errstate(invalid="ignore"):
        want = conv_reference(x, w, plan, channels)
    with backend(name), np.errstate(invalid="ignore"):
        got = conv_dispatch.conv(x, w, plan, channels)
    assert np.isfinite(want).any() and not np.isfinite(want).all()
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    assert_conv_close(got, want, x, w, plan, channels)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("shape, kernel, strides, dilations, padding, out_channels, dtype", [
    ((2, 23, 29, 3), (3, 3), 1, 1, "SAME", 64, "float32"),   # the benchmark's RGB layer
    ((1, 17, 13, 2), (5, 3), (2, 3), 1, "VALID", 32, "float32"),
    ((2, 11, 19, 4), (3, 3), 1, (2, 3), "FULL", 32, "float32"),
    ((1, 9, 10, 3), (2, 2), 3, 1, ((3, 0), (1, 4)), 32, "float32"),  # stride > window
    ((2, 15, 14, 3), (3, 3), 2, 1, "SAME", 16, "float64"),
    ((1, 5, 6, 7, 2), (2, 3, 2), 1, 1, "SAME", 16, "float64"),       # 3-D
    ((1, 40, 1), (7,), 1, 1, "CAUSAL", 32, "float32"),              # 1-D
    ((2, 9, 14, 64), (3, 3), 1, 1, "SAME", 64, "float32"),   # 576 terms: tiles on AVX-512
    ((1, 7, 8, 40), (3, 3), 1, 1, "VALID", 32, "float64"),
    # rows too long for one band of the kernel's padded buffer: bands of 5 and of 3 rows
    ((1, 12, 70, 64), (3, 3), 1, 1, "SAME", 64, "float64"),
    ((1, 20, 70, 64), (3, 3), 2, 1, "SAME", 64, "float64"),
    ((1, 3, 40, 200, 8), (2, 3, 3), 1, (1, 2, 1), "SAME", 16, "float64"),   # 3-D, bands of 6
])
def test_conv_register_tiles_written_cases(name, shape, kernel, strides, dilations, padding,
                                           out_channels, dtype, monkeypatch):
    """Output channels in whole register tiles (two vectors: 16 float32 or 8 float64 with
    AVX2, twice that with AVX-512) with few enough terms: the numba path's ``conv_tiles``
    (six pixels per tile, the rest of each row in one smaller tile); the others go to BLAS."""
    ran = _record_conv_kernels(monkeypatch, "conv_tiles") if name == "numba" else []
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[7] = np.inf
    w = rng.standard_normal(kernel + (shape[-1], out_channels)).astype(dtype)
    plan = geometry.plan(shape[1:-1], kernel, strides, padding, dilations)
    with backend(name), np.errstate(invalid="ignore"):
        got = conv_dispatch.conv(x, w, plan, 1)
    with np.errstate(invalid="ignore"):
        want = conv_reference(x, w, plan, 1)
    assert np.isinf(want).any()
    assert_conv_close(got, want, x, w, plan, 1)
    if name == "numba":
        from ventanal.ops._numba_vectors import vector_bytes

        terms = int(np.prod(kernel)) * shape[-1]
        wide = vector_bytes() == 64
        limit = conv_dispatch._MAX_TERMS_TILES_WIDE if wide else conv_dispatch._MAX_TERMS_TILES
        strip = 2 * vector_bytes() // np.dtype(dtype).itemsize
        assert bool(ran) == (terms <= limit and out_channels % strip == 0)
    assert_conv_close(got, want, x, w, plan, 1)


def _record_conv_kernels(monkeypatch, *names) -> list[str]:
    """The names of the numba conv kernels among ``names`` as they are called (one entry per
    chunk of tasks), the kernels still doing their work."""
    kernels = _backend.numba_namespace(load=True, required=True)
    calls = []
    for name in names:
        kernel = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *a, k=kernel, n=name: calls.append(n) or k(*a))
    return calls


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_tiles_same_numbers_whatever_the_tile(dtype, monkeypatch):
    """``conv_tiles`` sums an output's terms in one order (one FMA per term, term by term)
    whatever tile holds it: six pixels or the one to five left at the end of a row, two
    vectors of output channels or, with AVX-512 and output channels in fours, four. So any
    run of output columns, or any strip of two vectors of output channels, computed alone
    gives the very same bits as inside the whole."""
    from ventanal.ops._numba_vectors import vector_lanes

    ran = _record_conv_kernels(monkeypatch, "conv_tiles")
    lanes = vector_lanes(dtype)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 5, 17, 8)).astype(dtype)
    w = rng.standard_normal((3, 3, 8, 4 * lanes)).astype(dtype)

    def conv(x, w):
        plan = geometry.plan(x.shape[1:3], (3, 3), 1, "VALID")
        ran.clear()
        with backend("numba"):
            y = conv_dispatch.conv(x, w, plan, 1)
        assert ran, "not the tiles path"
        return y

    whole = conv(x, w)                                   # 15 columns: tiles of 6, 6 and 3
    assert_conv_close(whole, conv_reference(x, w, geometry.plan((5, 17), 3, 1, "VALID"), 1),
                      x, w, geometry.plan((5, 17), 3, 1, "VALID"), 1)
    for width in range(1, 8):                            # every row count of a tile
        for start in (0, 1, 15 - width):
            part = conv(x[:, :, start:start + width + 2], w)
            np.testing.assert_array_equal(part, whole[:, :, start:start + width])
    for first in (0, 2 * lanes):                         # a strip of two vectors alone
        part = conv(x, w[..., first:first + 2 * lanes])
        np.testing.assert_array_equal(part, whole[..., first:first + 2 * lanes])


def _plane_tile_columns(dtype) -> int:
    from ventanal.ops._numba_conv_tiles import PLANE_VECTORS
    from ventanal.ops._numba_vectors import vector_lanes

    return PLANE_VECTORS * vector_lanes(dtype)


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
@pytest.mark.parametrize("rows, extra, kernel, dilations, padding, dtype, layout", [
    (4, 0, (3, 3), 1, "SAME", "float32", "NHWC"),      # exactly one tile
    (9, 5, (3, 3), 1, "SAME", "float32", "NHWC"),      # last tiles overlap in rows, columns
    (7, 37, (5, 2), (1, 3), "VALID", "float64", "NHWC"),  # column dilation
    (6, 3, (1, 7), 1, "FULL", "float32", "NHWC"),      # one kernel row
    (5, 2, (9, 1), 1, ((6, 2), (0, 3)), "float64", "NHWC"),  # more kernel rows than a tile
    (13, 11, (4, 6), 1, ((0, 9), (7, 1)), "float32", "NHWC"),  # padding beyond the window
    (9, 5, (3, 3), 1, "VALID", "float32", "NHWC"),
    (8, 1, (3, 3), 1, "SAME", "float32", "one kernel"),  # channels-first planes
    (8, 1, (3, 3), 1, "SAME", "float64", "depthwise"),   # one kernel per plane
])
def test_conv_plane_tiles(rows, extra, kernel, dilations, padding, dtype, layout, monkeypatch):
    """Single-channel (and depthwise) convolutions with stride 1 and no row dilation, planes
    of at least one tile: ``conv_plane_tiles`` (four output rows by 2-4 vectors of columns in
    registers), against the reference, with infinities and NaN in the input (they reach only
    the windows that hold them: padding adds nothing), and any run of output rows or columns
    computed alone gives the same bits as inside the whole (overlapping tiles rewrite the
    same values)."""
    ran = _record_conv_kernels(monkeypatch, "conv_plane_tiles")
    columns = _plane_tile_columns(dtype)
    rng = np.random.default_rng(17)
    channels = 1 if layout == "NHWC" else 3
    kh, kw = kernel
    # input for at least `rows` x `columns + extra` outputs (exactly that many when VALID)
    H, W = rows + kh - 1, columns + extra + (kw - 1) * (dilations if dilations == 1 else
                                                        dilations[1])
    plan = geometry.plan((H, W), kernel, 1, padding, dilations)
    shape = (2, H, W, 1) if layout == "NHWC" else (2, channels, H, W)
    x = rng.standard_normal(shape).astype(dtype)
    if layout != "NHWC":
        x = np.moveaxis(x, 1, -1)                       # channels-first memory
    x[0, 1, 2, 0] = np.inf
    x[1, H - 1, W - 2, -1] = np.nan
    groups = 1 if layout == "NHWC" else channels
    w = rng.standard_normal(kernel + (1, 1 if layout == "NHWC" else channels)).astype(dtype)
    if layout == "one kernel":                          # the same kernel for every plane
        w = np.repeat(w[..., :1], channels, axis=-1)

    def conv(x):
        p = geometry.plan(x.shape[1:3], kernel, 1, padding, dilations)
        ran.clear()
        with backend("numba"), np.errstate(invalid="ignore"):
            y = conv_dispatch.conv(x, w, p, groups)
        assert ran, "not the plane tiles"
        return y

    whole = conv(x)
    with np.errstate(invalid="ignore"):
        want = conv_reference(x, w, plan, groups)
    assert np.isinf(want).any() and np.isnan(want).any() and np.isfinite(want).any()
    np.testing.assert_array_equal(np.isfinite(whole), np.isfinite(want))
    assert_conv_close(whole, want, x, w, plan, groups)
    if padding == "VALID":   # runs of outputs alone: a window of the input
        for top, count in ((0, 4), (rows - 4, 4), (1, 5)):
            part = conv(x[:, top:top + count + kh - 1])
            np.testing.assert_array_equal(part, whole[:, top:top + count])
        span = (kw - 1) * plan.axes[1].dilation
        for left in (0, 3, extra):
            part = conv(x[:, :, left:left + columns + span])
            np.testing.assert_array_equal(part, whole[:, :, left:left + columns])


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
def test_conv_plane_tiles_only_where_they_apply(monkeypatch):
    """Strides, row dilation and planes smaller than a tile take ``conv_planes``, but with an
    infinite weight (``conv_planes`` skips padded cells, where ``0 * inf`` is NaN), which goes
    to the NumPy path; the tiles multiply padded zeros like the reference."""
    calls = _record_conv_kernels(monkeypatch, "conv_plane_tiles", "conv_planes")
    columns = _plane_tile_columns("float32")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 12, columns + 4, 1)).astype(np.float32)
    w = rng.standard_normal((3, 3, 1, 1)).astype(np.float32)
    cases = [((1, 1), (1, 1), w, "conv_plane_tiles"),
             ((2, 1), (1, 1), w, "conv_planes"), ((1, 2), (1, 1), w, "conv_planes"),
             ((1, 1), (2, 1), w, "conv_planes"), ((1, 1), (1, 2), w, "conv_plane_tiles")]
    inf_w = w.copy()
    inf_w[0, 0] = np.inf
    cases.append(((1, 1), (1, 1), inf_w, "conv_plane_tiles"))   # 0 * inf: NaN, as wanted
    cases.append(((2, 1), (1, 1), inf_w, None))                 # NumPy path

    for strides, dilations, weights, path in cases:
        plan = geometry.plan(x.shape[1:3], (3, 3), strides, "SAME", dilations)
        calls.clear()
        with backend("numba"), np.errstate(invalid="ignore"):
            got = conv_dispatch.conv(x, weights, plan, 1)
        with np.errstate(invalid="ignore"):
            want = conv_reference(x, weights, plan, 1)
        assert set(calls) == ({path} if path else set()), (strides, dilations)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        assert_conv_close(got, want, x, weights, plan, 1)
    small = x[:, :3]                                      # 3 output rows: under a tile
    calls.clear()
    with backend("numba"):
        conv_dispatch.conv(small, w, geometry.plan(small.shape[1:3], 3, 1, "SAME"), 1)
    assert set(calls) == {"conv_planes"}


@pytest.mark.parametrize("name", BACKENDS)
def test_conv_depthwise_channels_first_and_groups(name):
    rng = np.random.default_rng(5)
    memory = rng.standard_normal((2, 6, 17, 15)).astype(np.float64)   # NCHW
    x = np.moveaxis(memory, 1, -1)
    plan = geometry.plan((17, 15), (3, 5), (1, 2), "SAME")
    for groups, per_group, out in ((6, 1, 6), (6, 1, 12), (2, 3, 4), (1, 6, 32)):
        w = rng.standard_normal((3, 5, per_group, out))
        with backend(name):
            got = conv_dispatch.conv(x, w, plan, groups)
        assert_conv_close(got, conv_reference(x, w, plan, groups), x, w, plan, groups)


@pytest.mark.parametrize("name", BACKENDS)
def test_integer_conv_is_exact(name):
    """Integers accumulate in int64 (no float rounding, even past 2**53)."""
    x = np.full((1, 6, 6, 2), 2**40, np.int64)
    x[0, 2, 3, 1] = 3
    w = np.ones((3, 3, 2, 4), np.int64) * 1001
    plan = geometry.plan((6, 6), 3, 1, "SAME")
    with backend(name):
        got = conv_dispatch.conv(x, w, plan, 1)
    np.testing.assert_array_equal(got, conv_reference(x, w, plan, 1))


def test_reference_backend_and_empty_arrays():
    plan = geometry.plan((4, 4), 2, 2)
    x = np.ones((1, 4, 4, 1), np.float32)
    with backend("reference"):
        assert pool_dispatch.max_pool(x, plan) is None
        assert conv_dispatch.conv(x, np.ones((2, 2, 1, 1), np.float32), plan, 1) is None
    assert pool_dispatch.max_pool(np.ones((0, 4, 4, 1)), plan) is None   # nothing to speed up


def test_environment_variables_are_checked():
    with environment(VENTANAL_BACKEND="fortran"), pytest.raises(ValueError, match="numba"):
        vt.pool(np.ones(4), [2])
    with environment(VENTANAL_NUM_THREADS="zero"), pytest.raises(ValueError, match="THREADS"):
        vt.pool(np.ones(4), [2])
    with environment(VENTANAL_RESULT_CACHE_MB="lots"), pytest.raises(ValueError, match="MiB"):
        memory.empty((1 << 21,), np.float32)


@pytest.mark.parametrize("name", BACKENDS)
def test_one_thread_gives_the_same_result(name):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 64, 64, 8)).astype(np.float32)
    with backend(name):
        many = vt.pool(x, (3, 3), "AVG", (2, 2), "SAME")
        with environment(VENTANAL_NUM_THREADS="1"):
            one = vt.pool(x, (3, 3), "AVG", (2, 2), "SAME")
    np.testing.assert_array_equal(many, one)


@pytest.mark.parametrize("name", BACKENDS + ["reference"])
def test_non_finite_results_come_without_warnings_on_every_backend(name):
    """inf - inf and 0 * inf give NaN, a float32 sum past the largest float gives inf, and no
    backend warns (NumPy's ufuncs would): the same op is silent whichever backend runs it."""
    import warnings

    x = np.zeros((1, 8, 8, 2), np.float32)
    x[0, 2, 2, 0], x[0, 2, 3, 0] = np.inf, -np.inf       # one 2x2 window holds both
    x[0, 4:6, 4:6, 1] = 3e38                             # its sum overflows float32
    w = np.zeros((2, 2, 2, 1), np.float32)               # 0 * inf in every window on an inf
    with backend(name), warnings.catch_warnings():
        warnings.simplefilter("error")
        average = vt.pool(x, (2, 2), "AVG", (2, 2))
        product = vt.conv(x, w)
        means = vt.global_pool(np.full((1, 2, 2, 1), 3e38, np.float32))
    assert np.isnan(average[0, 1, 1, 0]) and average[0, 2, 2, 1] == np.inf
    assert np.isnan(product[0, 1:3, 1:4, 0]).all() and np.isnan(product).sum() == 6
    assert means[0, 0] == np.inf


def test_workers_compute_under_the_callers_errstate(monkeypatch):
    """run_tasks hands the caller's ``np.errstate`` to its worker threads (NumPy keeps one per
    thread): under ``over="raise"`` every chunk, whichever thread takes it, sees it."""
    monkeypatch.setattr(_backend, "num_threads", lambda: 2)
    seen = {}

    def kernel(first, last):
        import threading

        seen.setdefault(threading.get_ident(), np.geterr()["over"])
        time.sleep(0.002)            # let the other thread take a chunk too

    with np.errstate(over="raise"):
        threads.run_tasks(kernel, (), 16, 1 << 40)
    assert len(seen) == 2 and set(seen.values()) == {"raise"}
    threads.run_tasks(kernel, (), 16, 1 << 40)
    assert np.geterr()["over"] != "raise"


CAN_PLACE = (threads._sched_getcpu is not None and hasattr(os, "sched_getaffinity")
             and len(os.sched_getaffinity(0)) >= 2)


def _in_thread(function):
    """``function()`` on a new thread (affinity changes stay off the test runner's thread)."""
    import threading

    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("value", function()))
    thread.start()
    thread.join()
    return out["value"]


@pytest.mark.skipif(not CAN_PLACE, reason="needs sched_getcpu and two CPUs")
def test_a_worker_on_a_busy_cpu_moves_and_stays_free():
    """``_spread``: a worker on a CPU that another thread of the call holds moves to a free
    one at once; its affinity is the same afterwards (nothing stays pinned)."""
    def worker():
        allowed = os.sched_getaffinity(0)
        here = threads._current_cpu()
        busy = {here}
        threads._spread(busy)
        return allowed, here, threads._current_cpu(), busy, os.sched_getaffinity(0)

    allowed, before, after, busy, affinity = _in_thread(worker)
    assert after != before and after in allowed
    assert busy == {before, after} and affinity == allowed


@pytest.mark.skipif(not CAN_PLACE, reason="needs sched_getcpu and two CPUs")
def test_a_worker_stays_where_it_is_when_no_cpu_is_free_or_it_is_alone():
    def worker(taken):
        allowed = os.sched_getaffinity(0)
        here = threads._current_cpu()
        busy = set(allowed) if taken else set(allowed) - {here}
        threads._spread(busy)
        return here, threads._current_cpu(), busy, allowed, os.sched_getaffinity(0)

    for taken in (True, False):
        here, now, busy, allowed, affinity = _in_thread(lambda taken=taken: worker(taken))
        assert affinity == allowed and here in busy
        if not taken:                      # its CPU was free: no move asked for
            assert busy == set(allowed)


def test_placement_is_skipped_where_cpus_cannot_be_read(monkeypatch):
    monkeypatch.setattr(threads, "_sched_getcpu", None)
    assert threads._current_cpu() == -1
    busy = {-1}
    threads._spread(busy)
    assert busy == {-1}
    monkeypatch.setenv("VENTANAL_NUM_THREADS", "2")
    x = np.random.default_rng(2).standard_normal((4, 256, 256, 16)).astype(np.float32)
    for name in ("numpy", "numba") if HAVE_NUMBA else ("numpy",):
        with backend(name):
            got = pool_dispatch.max_pool(x, geometry.plan((256, 256), 2, 2))
        np.testing.assert_array_equal(got, max_pool_reference(x, geometry.plan((256, 256), 2, 2)))


# ---------------------------------------------------------------------------------------------
# Imports
# ---------------------------------------------------------------------------------------------

def test_import_ventanal_loads_numpy_only():
    code = ("import sys, numpy as np, ventanal as vt\n"
            "assert 'numba' not in sys.modules, 'import ventanal imported numba'\n"
            "import os; os.environ['VENTANAL_BACKEND'] = 'numpy'\n"
            "vt.pool(np.ones((5, 5)), 2); vt.conv(np.ones((5, 5)), np.ones((2, 2)))\n"
            "assert 'numba' not in sys.modules, 'the NumPy backend imported numba'\n")
    env = {k: v for k, v in os.environ.items() if k != "VENTANAL_BACKEND"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
def test_auto_backend_uses_numba_for_large_ops_only():
    # Under auto, numba once its kernels are loaded (before that, the NumPy path while they
    # load in the background: tests/test_background_kernels.py).
    _backend.numba_kernels(required=True)
    with environment(VENTANAL_BACKEND=None):
        assert _backend.active() == "numba"
        assert _backend.active(_backend.AUTO_NUMBA_MIN_WORK) == "numba"
        assert _backend.active(_backend.AUTO_NUMBA_MIN_WORK - 1) == "numpy"
    with environment(VENTANAL_BACKEND="numba"):
        assert _backend.active(1) == "numba"
