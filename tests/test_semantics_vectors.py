"""Every test vector of ``docs/semantics.md`` section 8 (and the worked examples of
sections 1-7), asserted against ventanal.

Test ids are the ids of that section (S1..S25 shape rows, N1..N21 on the 1-D sequence, M1..M15 on
the 5x5 image, Q1..Q4 special values). Where it records a framework behaviour that the
"Decisions for ventanal" of docs/semantics.md override (NaN skipping, the lowest-finite seed of
MAX, empty VALID outputs, PyTorch's padding limit), the test asserts the decided behaviour and
its docstring says why.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from reference import conv_reference, pool_reference

import ventanal as vt

#: the 1-D sequence of docs/semantics.md §8.2, n = 8
SEQ = [1, 9, -1, -2, 7, 3, -1, 2]
#: the 5x5 image 1..25, row-major
X5 = np.arange(1, 26, dtype=np.float64).reshape(5, 5)
#: Sobel-x
SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64)


def seq(layout="NWC"):
    x = np.array(SEQ, dtype=np.float64)
    return x.reshape(1, 8, 1) if layout == "NWC" else x.reshape(1, 1, 8)


def image(a, layout="NHWC"):
    a = np.asarray(a, dtype=np.float64)
    return a[None, :, :, None] if layout == "NHWC" else a[None, None, :, :]


def check(got, expected):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64).ravel(),
                               np.asarray(expected, dtype=np.float64).ravel(),
                               rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# 8.1 Shapes
# ---------------------------------------------------------------------------------------------

# id: (op, input shape, filters shape or None, kwargs, output shape, pads or None)
# Pool kwargs are vt.pool's; conv kwargs are vt.conv's. Torch rows (S21-S24) are NCHW.
SHAPE_ROWS = {
    "S1": ("pool", (1, 5, 5, 1), None,
           dict(window_shape=(2, 2), pooling_type="MAX", strides=2, padding="VALID"),
           (1, 2, 2, 1), ((0, 0), (0, 0))),
    "S2": ("pool", (1, 5, 5, 1), None,
           dict(window_shape=(2, 2), pooling_type="MAX", strides=2, padding="SAME"),
           (1, 3, 3, 1), ((0, 1), (0, 1))),
    "S3": ("pool", (1, 5, 5, 1), None,
           dict(window_shape=(3, 3), pooling_type="MAX", strides=2, padding="SAME"),
           (1, 3, 3, 1), ((1, 1), (1, 1))),
    "S4": ("pool", (1, 6, 6, 1), None,
           dict(window_shape=(3, 3), pooling_type="AVG", strides=2, padding="SAME"),
           (1, 3, 3, 1), ((0, 1), (0, 1))),
    "S5": ("conv", (1, 224, 224, 3), (7, 7, 3, 64),
           dict(strides=2, padding="SAME"),
           (1, 112, 112, 64), ((2, 3), (2, 3))),
    "S6": ("pool", (1, 112, 112, 64), None,
           dict(window_shape=(3, 3), pooling_type="MAX", strides=2, padding="SAME"),
           (1, 56, 56, 64), ((0, 1), (0, 1))),
    "S7": ("conv", (1, 32, 32, 3), (5, 5, 3, 6),
           dict(strides=1, padding="VALID"),
           (1, 28, 28, 6), ((0, 0), (0, 0))),
    "S8": ("conv", (1, 10, 10, 1), (3, 3, 1, 1),
           dict(strides=1, padding="SAME", dilations=2),
           (1, 10, 10, 1), ((2, 2), (2, 2))),
    "S9": ("conv", (1, 10, 10, 1), (2, 2, 1, 1),
           dict(strides=1, padding="SAME", dilations=3),
           (1, 10, 10, 1), ((1, 2), (1, 2))),
    "S10": ("pool", (1, 8, 1), None,
            dict(window_shape=(1,), pooling_type="MAX", strides=3, padding="SAME"),
            (1, 3, 1), ((0, 0),)),
    "S11": ("pool", (1, 9, 1), None,
            dict(window_shape=(2,), pooling_type="MAX", strides=4, padding="SAME"),
            (1, 3, 1), ((0, 1),)),
    "S12": ("pool", (1, 5, 7, 1), None,
            dict(window_shape=(2, 3), pooling_type="AVG", strides=(1, 2), padding="SAME"),
            (1, 5, 4, 1), ((0, 1), (1, 1))),
    "S13": ("pool", (1, 4, 5, 6, 1), None,
            dict(window_shape=(2, 2, 2), pooling_type="MAX", strides=2, padding="SAME"),
            (1, 2, 3, 3, 1), ((0, 0), (0, 1), (0, 0))),
    "S14": ("conv", (1, 5, 5, 1), (3, 3, 1, 1),
            dict(strides=2, padding=((1, 2), (0, 1))),
            (1, 3, 2, 1), ((1, 2), (0, 1))),
    "S15": ("pool", (1, 9, 9, 1), None,
            dict(window_shape=(3, 3), pooling_type="MAX", padding="VALID", dilations=2),
            (1, 5, 5, 1), ((0, 0), (0, 0))),
    "S16": ("conv", (1, 6, 1), (4, 1, 1),
            dict(strides=1, padding="SAME"),
            (1, 6, 1), ((1, 2),)),
    "S19": ("conv", (1, 8, 1), (3, 1, 1),
            dict(strides=2, padding="CAUSAL"),
            (1, 4, 1), ((2, 0),)),
    "S21": ("pool", (1, 1, 5, 5), None,
            dict(window_shape=(2, 2), pooling_type="MAX", strides=2, padding=0,
                 data_format="NCHW", ceil_mode=True),
            (1, 1, 3, 3), None),
    "S22": ("pool", (1, 1, 5, 5), None,
            dict(window_shape=(2, 2), pooling_type="MAX", strides=2, padding=1,
                 data_format="NCHW", ceil_mode=True),
            (1, 1, 3, 3), None),
    "S23": ("pool", (1, 1, 5, 5), None,
            dict(window_shape=(3, 3), pooling_type="AVG", strides=3, padding=1,
                 data_format="NCHW", ceil_mode=True, count_include_pad=True),
            (1, 1, 2, 2), None),
    "S24": ("pool", (1, 1, 7, 7), None,
            dict(window_shape=(3, 3), pooling_type="MAX", strides=2, padding=1, dilations=2,
                 data_format="NCHW"),
            (1, 1, 3, 3), None),
}


def _spatial(shape, kwargs):
    channels_first = kwargs.get("data_format", "").startswith("NC")
    return shape[2:] if channels_first else shape[1:-1]


@pytest.mark.parametrize("row", list(SHAPE_ROWS), ids=list(SHAPE_ROWS))
def test_shape_rows(row):
    op, in_shape, f_shape, kwargs, out_shape, pads = SHAPE_ROWS[row]
    rng = np.random.default_rng(len(row) * 1000 + int(row[1:]))
    x = rng.standard_normal(in_shape)
    if op == "conv":
        filters = rng.standard_normal(f_shape)
        got = vt.conv(x, filters, **kwargs)
        window = f_shape[:-2]
    else:
        got = vt.pool(x, **kwargs)
        window = kwargs["window_shape"]
    assert got.shape == out_shape
    # the geometry functions agree with the op
    geometry_args = dict(
        strides=kwargs.get("strides", 1),
        padding=kwargs.get("padding", "VALID"),
        dilations=kwargs.get("dilations", 1),
        ceil_mode=kwargs.get("ceil_mode", False),
    )
    spatial = _spatial(in_shape, kwargs)
    expected_spatial = _spatial(out_shape, kwargs)
    assert vt.output_shape(spatial, window, **geometry_args) == expected_spatial
    if pads is not None:
        assert vt.padding_amounts(spatial, window, **geometry_args) == pads
    # small rows: the values too, against the pure-Python reference
    if x.size <= 1000:
        first = kwargs.get("data_format", "").startswith("NC")
        x_last = np.moveaxis(x, 1, -1) if first else x
        rest = {k: v for k, v in kwargs.items() if k != "data_format"}
        if op == "conv":
            want = conv_reference(x_last, filters, **rest)
        else:
            want = pool_reference(x_last, **rest)
        if first:
            want = np.moveaxis(want, -1, 1)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_S17_valid_output_size_zero_raises():
    """S17: TF ``avg_pool1d`` of (1,2,1) with window 3, VALID, returns an empty (1,0,1).

    Decision: a VALID output size of 0 is a clear ValueError, never an empty array (TF's own
    behaviour there is broken on the oneDNN build, docs/semantics.md §7).
    """
    with pytest.raises(ValueError):
        vt.pool(np.ones((1, 2, 1)), (3,), "AVG", strides=1, padding="VALID")
    with pytest.raises(ValueError):
        vt.output_shape((2,), 3, strides=1, padding="VALID")


def test_S18_valid_output_size_negative_raises():
    """S18: TF raises InvalidArgumentError (size -1); ventanal raises ValueError."""
    with pytest.raises(ValueError):
        vt.pool(np.ones((1, 2, 1)), (4,), "AVG", strides=1, padding="VALID")
    with pytest.raises(ValueError):
        vt.output_shape((2,), 4, strides=1, padding="VALID")


def test_S20_global_average_pooling_keepdims():
    """S20: Keras GlobalAveragePooling2D on (2,4,5,3): (2,1,1,3) with keepdims, else (2,3);
    read as channels-first (C=4) with keepdims, (2,4,1,1) (docs/semantics.md §4)."""
    x = np.random.default_rng(20).standard_normal((2, 4, 5, 3))
    kept = vt.global_pool(x, "AVG", keepdims=True)
    assert kept.shape == (2, 1, 1, 3)
    flat = vt.global_pool(x, "AVG")
    assert flat.shape == (2, 3)
    np.testing.assert_allclose(flat, x.mean(axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(kept[:, 0, 0, :], flat, rtol=1e-12)
    first = vt.global_pool(x, "AVG", keepdims=True, data_format="channels_first")
    assert first.shape == (2, 4, 1, 1)
    np.testing.assert_allclose(first[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-12)


def test_S25_padding_beyond_half_window_is_allowed():
    """S25: torch ``max_pool2d(k=3, s=2, p=2)`` on (1,1,5,5) raises RuntimeError (its
    ``p <= k // 2`` limit, docs/semantics.md §3).

    ventanal puts no limit on padding (docs/semantics.md, decision 8; vt.pool documents "any
    padding amount is allowed (PyTorch limits it to half the window)"), so vt computes the
    natural result instead:
    ``o = floor((5 + 4 - 3)/2) + 1 = 4`` per axis, padded cells never candidates.
    """
    x = np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5)
    got = vt.pool(x, (3, 3), "MAX", strides=2, padding=2, data_format="NCHW")
    assert got.shape == (1, 1, 4, 4)
    # windows start at -2, 0, 2, 4: rows/cols {0}, {0..2}, {2..4}, {4}
    idx = [0, 2, 4, 4]
    expected = np.array([[5 * r + c for c in idx] for r in idx], dtype=np.float64)
    check(got[0, 0], expected)
    want = np.moveaxis(pool_reference(np.moveaxis(x, 1, -1), (3, 3), "MAX", 2, 2), -1, 1)
    check(got, want)


# ---------------------------------------------------------------------------------------------
# 8.2 The 1-D sequence [1, 9, -1, -2, 7, 3, -1, 2]
# ---------------------------------------------------------------------------------------------

# id: (kwargs for vt.pool on NWC (or NCW with data_format), expected)
SEQUENCE_POOL_ROWS = {
    "N1": (dict(window_shape=(2,), pooling_type="MAX", strides=2, padding="SAME"),
           [9, -1, 7, 2]),
    "N2": (dict(window_shape=(3,), pooling_type="MAX", strides=2, padding="SAME"),
           [9, 7, 7, 2]),
    "N3": (dict(window_shape=(3,), pooling_type="MAX", strides=2, padding="VALID"),
           [9, 7, 7]),
    "N4": (dict(window_shape=(3,), pooling_type="MAX", strides=1, padding="SAME"),
           [9, 9, 9, 7, 7, 7, 3, 2]),
    "N5": (dict(window_shape=(5,), pooling_type="MAX", strides=2, padding="SAME"),
           [9, 9, 7, 3]),
    "N6": (dict(window_shape=(2,), pooling_type="AVG", strides=2, padding="SAME"),
           [5, -1.5, 5, 0.5]),
    "N7": (dict(window_shape=(3,), pooling_type="AVG", strides=2, padding="SAME"),
           [3, 4 / 3, 3, 0.5]),
    "N8": (dict(window_shape=(3,), pooling_type="AVG", strides=1, padding="SAME"),
           [5, 3, 2, 4 / 3, 8 / 3, 3, 4 / 3, 0.5]),
    "N9": (dict(window_shape=(2,), pooling_type="MAX", padding="VALID", dilations=2),
           [1, 9, 7, 3, 7, 3]),
    "N10": (dict(window_shape=(2,), pooling_type="AVG", padding="VALID", dilations=2),
            [0, 3.5, 3, 0.5, 3, 2.5]),
    "N11": (dict(window_shape=(1,), pooling_type="MAX", strides=3, padding="SAME"),
            [1, -2, -1]),
    "N16": (dict(window_shape=(3,), pooling_type="MAX", strides=2, padding=1,
                 data_format="NCW"),
            [9, 9, 7, 3]),
    "N17": (dict(window_shape=(3,), pooling_type="AVG", strides=2, padding=1,
                 data_format="NCW", count_include_pad=True),
            [10 / 3, 2, 8 / 3, 4 / 3]),
    "N18": (dict(window_shape=(3,), pooling_type="AVG", strides=2, padding=1,
                 data_format="NCW", count_include_pad=False),
            [5, 2, 8 / 3, 4 / 3]),
    "N19": (dict(window_shape=(3,), pooling_type="AVG", strides=2, padding=1,
                 data_format="NCW", ceil_mode=True, count_include_pad=True),
            [10 / 3, 2, 8 / 3, 4 / 3, 1]),
    "N20": (dict(window_shape=(3,), pooling_type="AVG", strides=2, padding=1,
                 data_format="NCW", ceil_mode=True, count_include_pad=False),
            [5, 2, 8 / 3, 4 / 3, 2]),
    "N21": (dict(window_shape=(3,), pooling_type="MAX", strides=2, data_format="NCW",
                 ceil_mode=True),
            [9, 7, 7, 2]),
}


@pytest.mark.parametrize("row", list(SEQUENCE_POOL_ROWS), ids=list(SEQUENCE_POOL_ROWS))
def test_sequence_pool_rows(row):
    kwargs, expected = SEQUENCE_POOL_ROWS[row]
    layout = kwargs.get("data_format", "NWC")
    x = seq(layout)
    got = vt.pool(x, **kwargs)
    assert got.shape == ((1, len(expected), 1) if layout == "NWC" else (1, 1, len(expected)))
    assert got.dtype == np.float64
    check(got, expected)
    # the same row on the bare sequence (rank N input keeps rank N)
    bare = {k: v for k, v in kwargs.items() if k != "data_format"}
    got_bare = vt.pool(SEQ, **bare)
    assert got_bare.ndim == 1
    check(got_bare, expected)


def test_N1_keras_default_max_pool():
    """N1 also equals VALID and Keras ``MaxPooling1D()`` (pool 2, strides = pool size)."""
    check(vt.pool(seq(), (2,), "MAX", strides=2, padding="VALID"), [9, -1, 7, 2])
    check(vt.max_pool(seq(), pool_size=(2,)), [9, -1, 7, 2])


def test_N1_max_keeps_integer_dtype():
    """Max of an integer sequence stays integer (docs/semantics.md §7: max keeps integer dtypes)."""
    got = vt.pool(np.array(SEQ, dtype=np.int32), (2,), "MAX", strides=2, padding="SAME")
    assert got.dtype == np.int32
    assert got.tolist() == [9, -1, 7, 2]


SEQUENCE_CONV_ROWS = {
    "N12": ([1, 2, 3], dict(padding="VALID"), [16, 1, 16, 21, 10, 7]),
    "N13": ([1, 2, 3, 4], dict(padding="SAME"), [25, 8, 29, 28, 17, 18, 7, 3]),
    "N14": ([-1, 1], dict(padding="SAME", dilations=2), [9, -2, -11, 8, 5, -8, -1, 1]),
    "N15": ([1, 1, 1], dict(padding="CAUSAL"), [1, 10, 9, 6, 4, 8, 9, 4]),
}


@pytest.mark.parametrize("row", list(SEQUENCE_CONV_ROWS), ids=list(SEQUENCE_CONV_ROWS))
def test_sequence_conv_rows(row):
    kernel, kwargs, expected = SEQUENCE_CONV_ROWS[row]
    w = np.array(kernel, dtype=np.float64)
    got = vt.conv(seq(), w.reshape(-1, 1, 1), **kwargs)
    assert got.shape == (1, len(expected), 1)
    check(got, expected)
    got_bare = vt.conv(np.array(SEQ, dtype=np.float64), w, **kwargs)  # bare kernel
    assert got_bare.shape == (len(expected),)
    check(got_bare, expected)


def test_N12_is_numpy_correlate_not_convolve():
    """N12: cross-correlation, no kernel flip (docs/semantics.md §5)."""
    got = vt.conv(np.array(SEQ, float), np.array([1.0, 2.0, 3.0]))
    check(got, np.correlate(SEQ, [1, 2, 3], "valid"))
    assert not np.allclose(got, np.convolve(SEQ, [1, 2, 3], "valid"))


def test_N13_N14_match_torch_same():
    """N13/N14 equal torch ``padding='same'`` (stride 1): total d*(k-1), extra cell after."""
    x = seq("NCW")
    for kernel, d, expected in [([1, 2, 3, 4], 1, SEQUENCE_CONV_ROWS["N13"][2]),
                                ([-1, 1], 2, SEQUENCE_CONV_ROWS["N14"][2])]:
        w = np.array(kernel, float).reshape(-1, 1, 1)
        total = d * (len(kernel) - 1)
        pads = ((total // 2, total - total // 2),)
        check(vt.conv(x, w, padding=pads, dilations=d, data_format="NCW"), expected)


# Causal Conv1D vectors of docs/semantics.md §4 (all-ones kernel, no bias).
CAUSAL_ROWS = {
    "causal-k3": (3, 1, 1, [1, 10, 9, 6, 4, 8, 9, 4]),
    "causal-k2-d2": (2, 1, 2, [1, 9, 0, 7, 6, 1, 6, 5]),
    "causal-k3-s2": (3, 2, 1, [1, 9, 4, 9]),
}


@pytest.mark.parametrize("row", list(CAUSAL_ROWS), ids=list(CAUSAL_ROWS))
def test_causal_conv1d(row):
    k, s, d, expected = CAUSAL_ROWS[row]
    got = vt.conv(seq(), np.ones((k, 1, 1)), strides=s, padding="CAUSAL", dilations=d)
    check(got, expected)
    assert vt.padding_amounts((8,), k, strides=s, padding="CAUSAL", dilations=d) == (
        (d * (k - 1), 0),
    )
    assert vt.output_shape((8,), k, strides=s, padding="causal", dilations=d) == (
        (8 - 1) // s + 1,
    )


# ---------------------------------------------------------------------------------------------
# 8.2 The 5x5 image 1..25
# ---------------------------------------------------------------------------------------------

M6 = [[4, 4.5, 5.5, 6.5, 7], [6.5, 7, 8, 9, 9.5], [11.5, 12, 13, 14, 14.5],
      [16.5, 17, 18, 19, 19.5], [19, 19.5, 20.5, 21.5, 22]]
M8 = [[16 / 9, 11 / 3, 28 / 9], [23 / 3, 13, 29 / 3], [76 / 9, 41 / 3, 88 / 9]]
M13 = [[63, 90, 102, 81, 57], [114, 160, 176, 138, 96], [174, 240, 256, 198, 136],
       [153, 210, 222, 171, 117], [117, 160, 168, 129, 88]]
M14 = [[-11, -6, -6, -6, 17], [-28, -8, -8, -8, 36], [-48, -8, -8, -8, 56],
       [-68, -8, -8, -8, 76], [-61, -6, -6, -6, 67]]

IMAGE_POOL_ROWS = {
    "M1": (dict(window_shape=(2, 2), pooling_type="MAX", strides=2, padding="VALID"),
           [[7, 9], [17, 19]]),
    "M2": (dict(window_shape=(2, 2), pooling_type="MAX", strides=2, padding="SAME"),
           [[7, 9, 10], [17, 19, 20], [22, 24, 25]]),
    "M3": (dict(window_shape=(3, 3), pooling_type="MAX", strides=2, padding="SAME"),
           [[7, 9, 10], [17, 19, 20], [22, 24, 25]]),
    "M4": (dict(window_shape=(2, 2), pooling_type="AVG", strides=2, padding="SAME"),
           [[4, 6, 7.5], [14, 16, 17.5], [21.5, 23.5, 25]]),
    "M5": (dict(window_shape=(3, 3), pooling_type="AVG", strides=2, padding="SAME"),
           [[4, 5.5, 7], [11.5, 13, 14.5], [19, 20.5, 22]]),
    "M6": (dict(window_shape=(3, 3), pooling_type="AVG", strides=1, padding="SAME"), M6),
    "M8": (dict(window_shape=(3, 3), pooling_type="AVG", strides=2, padding=1,
                data_format="NCHW", count_include_pad=True), M8),
    "M9": (dict(window_shape=(3, 3), pooling_type="AVG", strides=2, padding=1,
                data_format="NCHW", count_include_pad=False),
           [[4, 5.5, 7], [11.5, 13, 14.5], [19, 20.5, 22]]),
}


@pytest.mark.parametrize("row", list(IMAGE_POOL_ROWS), ids=list(IMAGE_POOL_ROWS))
def test_image_pool_rows(row):
    kwargs, expected = IMAGE_POOL_ROWS[row]
    layout = kwargs.get("data_format", "NHWC")
    got = vt.pool(image(X5, layout), **kwargs)
    expected = np.array(expected, dtype=np.float64)
    assert got.shape == image(expected, layout).shape
    check(got, expected)
    bare = {k: v for k, v in kwargs.items() if k != "data_format"}
    got_bare = vt.pool(X5, **bare)
    assert got_bare.shape == expected.shape
    check(got_bare, expected)


def test_M1_keras_and_torch_defaults():
    """M1 also equals Keras ``MaxPooling2D()`` and torch ``max_pool2d(x, 2)``."""
    check(vt.max_pool(image(X5)), [[7, 9], [17, 19]])
    check(vt.pool(image(X5, "NCHW"), (2, 2), "MAX", strides=2, padding=0, data_format="NCHW"),
          [[7, 9], [17, 19]])


def test_M2_M4_equal_torch_ceil_mode():
    """M2 (max) and M4 (avg) equal torch ``ceil_mode=True`` with k2 s2 p0."""
    x = image(X5, "NCHW")
    check(vt.pool(x, (2, 2), "MAX", 2, 0, data_format="NCHW", ceil_mode=True),
          IMAGE_POOL_ROWS["M2"][1])
    for cip in (False, True):  # no padding: the ceil window's overhang is never counted
        check(vt.pool(x, (2, 2), "AVG", 2, 0, data_format="NCHW", ceil_mode=True,
                      count_include_pad=cip),
              IMAGE_POOL_ROWS["M4"][1])


def test_M7_keras_max_pooling_same():
    """M7: Keras ``MaxPooling2D(3, padding='same')`` (strides 3, pads (0,1))."""
    check(vt.max_pool(image(X5), pool_size=(3, 3), padding="same"), [[13, 15], [23, 25]])
    check(vt.max_pool(image(X5), pool_size=3, padding="same"), [[13, 15], [23, 25]])


def test_M10_divisor_override_via_sum():
    """M10: torch ``avg_pool2d(k3, s2, p1, divisor_override=2)``.

    ventanal's API has no ``divisor_override`` (docs/semantics.md §2.1); the vector is checked
    through the identity it encodes: every window here has 9 taps inside the padded input, so
    sum / 2 = (average with count_include_pad) * 9 / 2.
    """
    avg = vt.pool(image(X5, "NCHW"), (3, 3), "AVG", strides=2, padding=1, data_format="NCHW",
                  count_include_pad=True)
    check(avg * 9 / 2, [[8, 16.5, 14], [34.5, 58.5, 43.5], [38, 61.5, 44]])


IMAGE_CONV_ROWS = {
    "M11": (SOBEL_X, dict(padding="VALID"), np.full((3, 3), -8.0)),
    "M12": (SOBEL_X, dict(padding="SAME", strides=2),
            [[-11, -6, 17], [-48, -8, 56], [-61, -6, 67]]),
    "M13": (np.ones((4, 4)), dict(padding="SAME"), M13),
    "M14": (SOBEL_X, dict(padding=1), M14),
}


@pytest.mark.parametrize("row", list(IMAGE_CONV_ROWS), ids=list(IMAGE_CONV_ROWS))
def test_image_conv_rows(row):
    kernel, kwargs, expected = IMAGE_CONV_ROWS[row]
    expected = np.array(expected, dtype=np.float64)
    got = vt.conv(image(X5), kernel[:, :, None, None], **kwargs)
    assert got.shape == (1, *expected.shape, 1)
    check(got, expected)
    got_bare = vt.conv(X5, kernel, **kwargs)
    assert got_bare.shape == expected.shape
    check(got_bare, expected)


def test_M13_pads():
    """M13: a 4x4 SAME kernel pads (1, 2) on each axis."""
    assert vt.padding_amounts((5, 5), (4, 4), padding="SAME") == ((1, 2), (1, 2))


def test_M14_torch_p1_equals_tf_same():
    """M14: torch ``conv2d(X, K, padding=1)`` equals TF conv K SAME stride 1; NCHW too."""
    k = SOBEL_X[:, :, None, None]
    same = vt.conv(image(X5), k, padding="SAME")
    check(same, M14)
    check(vt.conv(image(X5, "NCHW"), k, padding=1, data_format="NCHW"), M14)


def test_M15_max_ignores_padding():
    """M15: 3x3 ``-1..-9``, MAX 3x3 s1 SAME: padding is never a candidate (zeros would win)."""
    x = -np.arange(1, 10, dtype=np.float64).reshape(3, 3)
    expected = [[-1, -1, -2], [-1, -1, -2], [-4, -4, -5]]
    check(vt.pool(image(x), (3, 3), "MAX", strides=1, padding="SAME"), expected)
    check(vt.pool(image(x, "NCHW"), (3, 3), "MAX", strides=1, padding=1, data_format="NCHW"),
          expected)
    check(vt.pool(x.astype(np.int32), (3, 3), "MAX", padding="SAME"), expected)


# ---------------------------------------------------------------------------------------------
# 8.2 Special values
# ---------------------------------------------------------------------------------------------

NAN_SEQ = [1, math.nan, 3, 0, 5, 6, math.nan, -1]


def test_Q1_nan_propagates_in_max_pool():
    """Q1: TF's CPU max pool *skips* NaN (``[1, 3, 6, -1]``).

    Decision: NaN propagates through max pooling (NumPy's and PyTorch's convention), so vt gives
    torch's result (Q2), in every rank, dtype and layout; TF's skipping is a documented
    difference, not reproduced.
    """
    for dtype in (np.float16, np.float32, np.float64):
        x = np.array(NAN_SEQ, dtype=dtype).reshape(1, 8, 1)
        got = vt.pool(x, (2,), "MAX", strides=2, padding="SAME")
        assert got.dtype == dtype
        np.testing.assert_array_equal(got.ravel(), [math.nan, 3, 6, math.nan])
    # the NaN in the second position of a window propagates as well as in the first
    np.testing.assert_array_equal(vt.pool([1.0, math.nan], (2,), "MAX"), [math.nan])
    np.testing.assert_array_equal(vt.pool([math.nan, 1.0], (2,), "MAX"), [math.nan])
    x2 = np.array([[1.0, 2.0], [3.0, math.nan]])
    np.testing.assert_array_equal(vt.pool(x2, (2, 2), "MAX"), [[math.nan]])
    x3 = np.zeros((2, 2, 2))
    x3[1, 0, 1] = math.nan
    np.testing.assert_array_equal(vt.pool(x3, (2, 2, 2), "MAX"), [[[math.nan]]])


def test_Q2_torch_nan_propagates():
    """Q2: torch ``max_pool1d(k2, s2)``: ``[NaN, 3, 6, NaN]``."""
    x = np.array(NAN_SEQ).reshape(1, 1, 8)
    got = vt.pool(x, (2,), "MAX", strides=2, padding=0, data_format="NCW")
    np.testing.assert_array_equal(got.ravel(), [math.nan, 3, 6, math.nan])


def test_Q3_all_minus_inf_window_gives_minus_inf():
    """Q3: TF's max seeds with the lowest finite value, so ``[-inf, -inf, 1, 2]`` (float32), k2
    s2, gives ``[-3.4028235e38, 2]``.

    Decision (docs/semantics.md, decision 4; vt.pool Notes): a MAX window whose real cells are
    all -inf gives -inf (PyTorch's result), and the dtype is kept.
    """
    for dtype in (np.float16, np.float32, np.float64):
        x = np.array([-math.inf, -math.inf, 1, 2], dtype=dtype).reshape(1, 4, 1)
        got = vt.pool(x, (2,), "MAX", strides=2)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got.ravel(), [-math.inf, 2])
    # +inf wins
    np.testing.assert_array_equal(vt.pool([math.inf, 1.0, -math.inf, 2.0], (2,), "MAX", 2),
                                  [math.inf, 2])


def test_Q4_global_max_propagates_nan():
    """Q4: Keras ``GlobalMaxPooling1D`` on the Q1 input gives ``[NaN]`` (reduce_max)."""
    x = np.array(NAN_SEQ).reshape(1, 8, 1)
    got = vt.global_pool(x, "MAX")
    assert got.shape == (1, 1)
    assert math.isnan(got[0, 0])


# ---------------------------------------------------------------------------------------------
# Worked examples of sections 1-7 that are not rows of section 8
# ---------------------------------------------------------------------------------------------


def test_sec1_1_valid_sizes_zero_and_negative():
    """1.1: n=2,k=3,s=1 gives 0 and n=2,k=5,s=2 gives trunc(-1/2)=0 in TF (empty output);
    n=2,k=4,s=1 is negative (error). Decision: all three are ValueError in ventanal."""
    for k, s in [(3, 1), (5, 2), (4, 1)]:
        with pytest.raises(ValueError):
            vt.output_shape((2,), k, strides=s, padding="VALID")
        with pytest.raises(ValueError):
            vt.pool(np.ones(2), (k,), "MAX", strides=s)


def test_sec1_2_dilated_same_window_all_in_padding():
    """1.2: conv1d of ``[1]`` with ``[1, 1]``, d3, SAME: taps at -1 and 2, both padding: 0."""
    got = vt.conv(np.array([1.0]), np.array([1.0, 1.0]), padding="SAME", dilations=3)
    check(got, [0])
    assert vt.padding_amounts((1,), 2, padding="SAME", dilations=3) == ((1, 2),)


def test_sec1_3_stride_larger_than_window():
    """1.3: s > k with SAME clamps the padding at 0: n=9,k=2,s=4 pads (0,1), windows at 0,4,8;
    5x5 ``0..24`` MAX 2x2 s3 SAME gives ``[[6,9],[21,24]]``."""
    x = np.arange(9, dtype=np.float64)
    check(vt.pool(x, (2,), "MAX", strides=4, padding="SAME"), [1, 5, 8])
    y = np.arange(25, dtype=np.float64).reshape(5, 5)
    check(vt.pool(y, (2, 2), "MAX", strides=3, padding="SAME"), [[6, 9], [21, 24]])
    assert vt.padding_amounts((5, 5), 2, strides=3, padding="SAME") == ((0, 0), (0, 0))


def test_sec1_5_three_d_same_is_clamped():
    """1.5: ventanal uses the clamped SAME rule in 3-D too (never TF's Eigen shift): with k=1
    along an axis, the indices read are 0,4 (n=8,s=4), 0,4,8 (n=11), 0,5,10 (n=15,s=5)."""
    for n, s, read in [(8, 4, [0, 4]), (11, 4, [0, 4, 8]), (10, 4, [0, 4, 8]),
                       (15, 5, [0, 5, 10])]:
        x = np.zeros((1, n, 2, 2, 1))
        x[0, :, 0, 0, 0] = np.arange(n)
        got = vt.pool(x, (1, 1, 1), "MAX", strides=(s, 1, 1), padding="SAME")
        check(got[0, :, 0, 0, 0], read)
        w = np.ones((1, 1, 1, 1, 1))
        check(vt.conv(x, w, strides=(s, 1, 1), padding="SAME")[0, :, 0, 0, 0], read)


def test_sec2_2_dilated_max_w3():
    """2.2: ``tf.nn.pool`` MAX w3 d2 VALID on the sequence gives ``[7, 9, 7, 3]``."""
    check(vt.pool(SEQ, (3,), "MAX", padding="VALID", dilations=2), [7, 9, 7, 3])


def test_sec3_stride_with_dilation_conv():
    """3: torch conv2d with s2, d2 (= TF raw conv2d): 7x7 ``0..48``, 2x2 ones, VALID gives
    ``[[32,40,48],[88,96,104],[144,152,160]]``."""
    x = np.arange(49, dtype=np.float64).reshape(7, 7)
    got = vt.conv(x, np.ones((2, 2)), strides=2, dilations=2, padding="VALID")
    check(got, [[32, 40, 48], [88, 96, 104], [144, 152, 160]])


def test_sec3_dilated_all_padding_max_window_is_minus_inf():
    """3: a 5x1 input, k=(1,3), s=(1,4), p=(0,1), d=(2,2), ceil_mode: every window lies in
    padding, torch gives -inf (verified, docs/semantics.md §3, and ventanal's decision for an
    all-padding MAX window). Along W: n=1, e=5, p=1, so ``o = floor((1+2-5+3)/4) + 1 = 1`` by
    torch's ceil formula, and the last-window rule ``(o-1)*s >= n + p`` does not fire. The padded
    input (3 cells) is shorter than the dilated window (5), yet torch returns a result: the
    ceil-mode size formula, not a "window must fit" check, decides (ceil_mode has PyTorch's
    meaning in ventanal)."""
    x = np.arange(5, dtype=np.float32).reshape(1, 1, 5, 1)
    assert pool_reference(np.moveaxis(x, 1, -1), (1, 3), "MAX", (1, 4), (0, 1), (2, 2),
                          ceil_mode=True).shape == (1, 5, 1, 1)
    got = vt.pool(x, (1, 3), "MAX", strides=(1, 4), padding=(0, 1), dilations=(2, 2),
                  data_format="NCHW", ceil_mode=True)
    assert got.shape == (1, 1, 5, 1)
    assert got.dtype == np.float32
    assert np.all(got == -np.inf)


def test_sec3_ceil_mode_sizes():
    """3: n=5,k=2,s=2,p=0 gives 2 / 3 (floor / ceil); p=1 gives 3 / 3 (the rule fires);
    n=5,k=3,s=3,p=1 ceil gives 2; n=8,k=3,s=2,p=1 gives 4 / 5."""
    for n, k, s, p, floor_size, ceil_size in [(5, 2, 2, 0, 2, 3), (5, 2, 2, 1, 3, 3),
                                              (5, 3, 3, 1, 2, 2), (8, 3, 2, 1, 4, 5)]:
        assert vt.output_shape((n,), k, strides=s, padding=p) == (floor_size,)
        assert vt.output_shape((n,), k, strides=s, padding=p, ceil_mode=True) == (ceil_size,)


def test_sec7_float16_average():
    """7: AVG of ``[-1, -2, 7]`` in float16 gives 1.3330078 (4/3 rounded once)."""
    got = vt.pool(np.array([-1, -2, 7], dtype=np.float16), (3,), "AVG")
    assert got.dtype == np.float16
    assert got[0] == np.float16(4 / 3) == np.float16(1.3330078)


def test_sec7_explicit_max_pool1d_padding():
    """7: ``tf.nn.max_pool1d`` of the sequence, k2 s2, pads (1,1) gives ``[1, 9, 7, 3, 2]``."""
    check(vt.pool(seq(), (2,), "MAX", strides=2, padding=((1, 1),)), [1, 9, 7, 3, 2])


def test_sec5_groups_are_independent_convolutions():
    """5: a (1,5,5,4) input with a (2,2,2,4) kernel (groups=2) equals two independent
    2-channel convolutions, concatenated; depthwise = groups equal to the channels."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 5, 5, 4))
    w = rng.standard_normal((2, 2, 2, 4))
    got = vt.conv(x, w, groups=2)
    first = vt.conv(x[..., :2], w[..., :2])
    second = vt.conv(x[..., 2:], w[..., 2:])
    np.testing.assert_allclose(got, np.concatenate([first, second], axis=-1), rtol=1e-12)
    # depthwise, multiplier 2: output channel c*2 + m sees input channel c
    wd = rng.standard_normal((2, 2, 1, 8))
    got = vt.conv(x, wd, groups=4)
    for c in range(4):
        for m in range(2):
            one = vt.conv(x[..., c : c + 1], wd[..., c * 2 + m : c * 2 + m + 1])
            np.testing.assert_allclose(got[..., c * 2 + m], one[..., 0], rtol=1e-12)


def test_sec5_strided_conv_is_subsampled_conv():
    """5: a strided conv equals the stride-1 conv computed with the same padding, subsampled."""
    rng = np.random.default_rng(55)
    x = rng.standard_normal((1, 9, 8, 2))
    w = rng.standard_normal((3, 2, 2, 3))
    pads = vt.padding_amounts((9, 8), (3, 2), strides=(2, 3), padding="SAME")
    strided = vt.conv(x, w, strides=(2, 3), padding="SAME")
    dense = vt.conv(x, w, strides=1, padding=pads)
    np.testing.assert_allclose(strided, dense[:, ::2, ::3, :], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# 6.1 Receptive fields
# ---------------------------------------------------------------------------------------------

#: (k, s, p, d) of docs/semantics.md §6.1 (torch symmetric padding); predicted r=39, j=12, start=-14
RF_LAYERS = [(3, 1, 1, 1), (3, 2, 1, 1), (2, 2, 0, 1), (3, 1, 1, 2), (5, 3, 2, 1)]


def _row_value(row, name, index):
    if isinstance(row, dict):
        return row[name]
    if hasattr(row, name):
        return getattr(row, name)
    return row[index]


def test_sec6_1_receptive_field_example():
    """6.1: the five layers predict size 39, jump 12, start -14; out[3] sees 22..60,
    out[5] 46..84, out[6] 58..96 (verified with torch autograd)."""
    if not hasattr(vt, "receptive_field"):
        pytest.skip("vt.receptive_field is not implemented yet")
    try:
        layers = [
            vt.layers.Conv1D(1, k, strides=s, padding=p, dilation_rate=d)
            for k, s, p, d in RF_LAYERS
        ]
    except (TypeError, ValueError, AttributeError) as error:
        pytest.skip(f"vt.layers cannot express torch's symmetric padding: {error}")
    table = list(vt.receptive_field(layers, input_shape=(100, 1)))
    last = table[-1]
    size = _row_value(last, "size", 2)
    jump = _row_value(last, "jump", 3)
    start = _row_value(last, "start", 4)
    size, jump, start = (v[0] if isinstance(v, tuple) else v for v in (size, jump, start))
    assert (size, jump, start) == (39, 12, -14)
    for i, first, final in [(3, 22, 60), (5, 46, 84), (6, 58, 96)]:
        assert (start + i * jump, start + i * jump + size - 1) == (first, final)


def test_sec6_1_receptive_field_recurrence_in_geometry():
    """6.1 through the geometry layer (``Field`` and ``receptive_field_step``), which the public
    ``vt.receptive_field`` is built on: size 39, jump 12, start -14."""
    geometry = vt.geometry
    if not hasattr(geometry, "Field") or not hasattr(geometry, "receptive_field_step"):
        pytest.skip("ventanal.geometry has no receptive-field recurrence")
    field, n = geometry.Field(), 100
    for k, s, p, d in RF_LAYERS:
        axis = geometry.plan((n,), k, strides=s, padding=p, dilations=d).axes[0]
        field = geometry.receptive_field_step(field, axis)
        n = axis.output
    assert (field.size, field.jump, field.start) == (39, 12, -14)
    assert [field.covers(i) for i in (3, 5, 6)] == [(22, 60), (46, 84), (58, 96)]


def test_sec7_float16_accumulates_in_float32():
    """7: float16 sums are accumulated in float32 and rounded once. In float16 itself,
    2048 + 1 + 1 would stay 2048 (the spacing there is 2); once rounded, 2050 is exact."""
    x = np.array([2048, 1, 1], dtype=np.float16)
    got = vt.conv(x, np.ones(3, dtype=np.float16))
    assert got.dtype == np.float16
    assert got.tolist() == [2050.0]
    avg = vt.pool(np.array([2048, 1, 1, 0], dtype=np.float16), (4,), "AVG")
    assert avg.dtype == np.float16
    assert avg.tolist() == [512.5]
