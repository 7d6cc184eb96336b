"""Winograd's F(2x2, 3x3) (``ventanal/ops/winograd.py`` and its numba kernel).

The transforms are checked against the convolution they stand for; the NumPy version against
the readable reference and the independent one of ``tests/reference.py``; the numba kernel
against the readable reference within the rounding bound of the algorithm (the same
computation on absolute values), against the direct kernels where a result is not finite, and
against itself whatever the threads.
"""

from __future__ import annotations

import contextlib
import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import conv_reference as independent_conv
from support import environment

import ventanal as vt
from ventanal import geometry
from ventanal.ops import conv_dispatch, winograd
from ventanal.ops.conv import conv_reference

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")


def test_transforms_compute_a_correlation_exactly():
    # one axis: A^T [(G g) * (B^T d)] is the correlation of the 4 cells d with the 3 taps g
    rng = np.random.default_rng(0)
    for _ in range(20):
        d, g = rng.integers(-8, 9, 4).astype(np.float64), rng.integers(-8, 9, 3).astype(float)
        direct = np.array([d[0:3] @ g, d[1:4] @ g])
        np.testing.assert_array_equal(winograd.A_T @ ((winograd.G @ g) * (winograd.B_T @ d)),
                                      direct)


@pytest.mark.parametrize("shape, padding", [((7, 5), "same"), ((6, 9), "valid"),
                                            ((3, 3), "valid"), ((1, 1), "same"),
                                            ((2, 7), ((2, 1), (0, 3))), ((4, 4), 2)])
def test_numpy_version_against_the_independent_reference(shape, padding):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, *shape, 3)), rng.standard_normal((3, 3, 3, 4))
    plan = geometry.plan(shape, 3, 1, padding)
    got = winograd.winograd_reference(x, w, plan)
    np.testing.assert_allclose(got, independent_conv(x, w, 1, padding), rtol=0, atol=1e-12)


def test_transform_filters_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"\(3, 3, in, out\), got \(5, 5, 1, 1\)"):
        winograd.transform_filters(np.zeros((5, 5, 1, 1)), np.float32)
    plan = geometry.plan((6, 6), 3, 2, "same")
    with pytest.raises(ValueError, match="stride 1"):
        winograd.winograd_reference(np.zeros((1, 6, 6, 1)), np.zeros((3, 3, 1, 1)), plan)


def absolute_bound(x, w, plan):
    """The algorithm run on absolute values, with the absolute values of its matrices: every
    intermediate of the kernel is at most this, term by term, so its rounding error is at most
    a multiple of eps times it."""
    saved = winograd.B_T, winograd.G, winograd.A_T
    try:
        winograd.B_T, winograd.G, winograd.A_T = (np.abs(m) for m in saved)
        return winograd.winograd_reference(np.abs(x.astype(np.float64)),
                                           np.abs(w.astype(np.float64)), plan)
    finally:
        winograd.B_T, winograd.G, winograd.A_T = saved


@contextlib.contextmanager
def counting_winograd():
    """Yields a list that gets, for every convolution the Winograd kernel took on, whether it
    computed it (False: a result was not finite and the direct kernels did)."""
    done = []
    original = conv_dispatch._winograd

    def counting(*args):
        result = original(*args)
        done.append(result is not None)
        return result

    conv_dispatch._winograd = counting
    try:
        yield done
    finally:
        conv_dispatch._winograd = original


@pytest.fixture
def calls():
    with counting_winograd() as done:
        yield done


@st.composite
def winograd_cases(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    lanes = 64 // np.dtype(dtype).itemsize          # AVX-512; AVX2 tiles divide these too
    h, w = draw(st.integers(1, 13)), draw(st.integers(1, 40))
    padding = draw(st.sampled_from(["same", "valid", 1, ((0, 2), (1, 0))]))
    if padding in ("valid", ((0, 2), (1, 0))):
        h, w = h + 2, w + 2
    cin = draw(st.sampled_from([32, 33, 48, 64]))   # 33: channels not in whole vectors
    cout = lanes * draw(st.sampled_from([2, 4, 6]))
    layout = draw(st.sampled_from(["contiguous", "strided", "channels-first memory"]))
    seed = draw(st.integers(0, 2**32 - 1))
    return dtype, (draw(st.integers(1, 2)), h, w, cin), cout, padding, layout, seed


@needs_numba
@settings(max_examples=60, deadline=None)
@given(case=winograd_cases())
def test_kernel_within_the_rounding_bound_of_the_algorithm(case):
    dtype, shape, cout, padding, layout, seed = case
    rng = np.random.default_rng(seed)
    scale = rng.choice([1.0, 1e-20, 1e20])   # magnitudes far from 1 in both directions
    if layout == "channels-first memory":   # a channels-last view of (batch, C, H, W) memory
        first = (shape[0], shape[-1]) + shape[1:3]
        x = np.moveaxis((rng.standard_normal(first) * scale).astype(dtype), 1, -1)
    elif layout == "strided":
        x = (rng.standard_normal(shape[:-1] + (2 * shape[-1],)) * scale).astype(dtype)[..., ::2]
    else:
        x = (rng.standard_normal(shape) * scale).astype(dtype)
    w = rng.standard_normal((3, 3, shape[-1], cout)).astype(dtype)
    plan = geometry.plan(shape[1:3], 3, 1, padding)
    with counting_winograd() as done, environment(VENTANAL_BACKEND="numba"):
        got = vt.conv(x, w, padding=padding)
    assert done == [True]
    want = conv_reference(x.astype(np.float64), w.astype(np.float64), plan, 1)
    eps = np.finfo(dtype).eps
    tolerance = (shape[-1] + 10) * eps * absolute_bound(x, w, plan)
    assert got.dtype == dtype and got.shape == want.shape
    assert np.all(np.abs(got - want) <= tolerance)


@needs_numba
def test_the_workload_of_the_benchmark(calls):
    rng = np.random.default_rng(2)
    x = rng.random((2, 56, 56, 64), dtype=np.float32)
    w = (rng.standard_normal((3, 3, 64, 64)) / 24).astype(np.float32)
    with environment(VENTANAL_BACKEND="numba"):
        got = vt.conv(x, w, padding="same")
        with environment(VENTANAL_NUM_THREADS="1"):
            alone = vt.conv(x, w, padding="same")
    assert calls == [True, True]
    np.testing.assert_array_equal(got, alone)   # the same bits whoever computes a tile
    plan = geometry.plan((56, 56), 3, 1, "same")
    want = conv_reference(x.astype(np.float64), w.astype(np.float64), plan, 1)
    assert np.all(np.abs(got - want) <= 74 * np.finfo(np.float32).eps
                  * absolute_bound(x, w, plan))


@needs_numba
@pytest.mark.parametrize("special", [np.inf, -np.inf, np.nan, 3e38])
def test_results_that_are_not_finite_come_from_the_direct_kernels(special, calls, monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 9, 10, 32)).astype(np.float32)
    w = rng.standard_normal((3, 3, 32, 32)).astype(np.float32)
    x[0, 4, 5, :2] = special          # two cells: inf - inf in the transforms
    x[0, 0, 0, 3] = special
    with environment(VENTANAL_BACKEND="numba"):
        got = vt.conv(x, w, padding="same")
        monkeypatch.setattr(conv_dispatch, "_WINOGRAD_MIN_CHANNELS", 10**9)
        direct = vt.conv(x, w, padding="same")
    assert calls == [False]
    np.testing.assert_array_equal(got, direct)
    assert not np.isfinite(got).all()


@needs_numba
def test_filters_that_are_not_finite_take_the_direct_kernels(calls):
    x = np.ones((1, 6, 6, 32), np.float32)
    w = np.ones((3, 3, 32, 32), np.float32)
    w[0, 0, 0, 0] = np.inf
    with environment(VENTANAL_BACKEND="numba"):
        got = vt.conv(x, w, padding="same")
    assert calls == []
    assert np.isinf(got[..., 0]).any() and np.isfinite(got[..., 1:]).all()


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_filter_transform_kernel_against_numpy(dtype):
    from ventanal.ops import _backend

    kernels = _backend.numba_namespace(load=True, required=True)
    w = np.random.default_rng(4).standard_normal((3, 3, 5, 7)).astype(dtype)
    U = np.full((16, 36), 7, dtype)
    kernels.transform_filters(np.ascontiguousarray(w.reshape(9, -1)), U, 35)
    assert np.all(U[:, 35] == 7)      # only the pairs asked for
    U = U[:, :35]
    want = winograd.transform_filters(w, dtype).reshape(16, 35)
    # both sum the same nine terms in float64, in different orders, and round to dtype
    size = np.einsum("ai,ijcn,bj->abcn", np.abs(winograd.G), np.abs(w.astype(np.float64)),
                     np.abs(winograd.G)).reshape(16, 35)
    assert np.all(np.abs(U - want) <= np.finfo(dtype).eps * np.abs(want) + 8e-16 * size)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_input_transform_same_bits_with_and_without_whole_vectors(dtype, calls):
    # 32 channels take the LLVM IR transform, 33 the numba loops; with a 33rd channel whose
    # filters are zero, every sum gains a last term of 0: the same numbers, bit for bit
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 11, 13, 33)).astype(dtype)
    w = rng.standard_normal((3, 3, 33, 32)).astype(dtype)
    w[:, :, 32] = 0
    with environment(VENTANAL_BACKEND="numba"):
        vectors = vt.conv(np.ascontiguousarray(x[..., :32]), w[:, :, :32], padding="same")
        loops = vt.conv(x, w, padding="same")
    assert calls == [True, True]
    np.testing.assert_array_equal(vectors, loops)
