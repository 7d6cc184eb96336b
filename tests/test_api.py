"""Inputs, layouts and dtypes: what the ops accept and what they return."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ventanal as vt


class ArrayLike:
    """An object that only knows ``__array__`` (as tf/torch tensors do)."""

    def __init__(self, array):
        self._array = np.asarray(array)

    def __array__(self, dtype=None, copy=None):
        return self._array if dtype is None else self._array.astype(dtype)


def test_lists_and_array_likes():
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    expected = vt.pool(np.array(x), (2, 2), "MAX")
    np.testing.assert_array_equal(vt.pool(x, (2, 2), "MAX"), expected)
    np.testing.assert_array_equal(vt.pool(ArrayLike(x), (2, 2), "MAX"), expected)
    np.testing.assert_array_equal(vt.conv(ArrayLike(x), ArrayLike([[1, 0], [0, -1]])),
                                  vt.conv(np.array(x), np.array([[1, 0], [0, -1]])))


def test_framework_tensors():
    torch = pytest.importorskip(
        "torch", reason="no PyTorch (live oracle): pip install -e '.[oracles]'"
    )
    x = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    np.testing.assert_array_equal(vt.max_pool(x, 2), [[5, 7], [13, 15]])


@settings(max_examples=60, deadline=None)
@given(dtype=st.sampled_from(["float16", "float32", "float64", "int8", "uint8", "int32",
                              "int64"]),
       kind=st.sampled_from(["MAX", "AVG"]),
       padding=st.sampled_from(["VALID", "SAME", 1, [(0, 2)]]))
def test_input_never_modified_and_dtype_rules(dtype, kind, padding):
    rng = np.random.default_rng(0)
    x = (rng.random((2, 7, 3)) * 100).astype(dtype)
    before = x.copy()
    y = vt.pool(x, [3], kind, strides=[2], padding=padding)
    np.testing.assert_array_equal(x, before)
    if kind == "MAX" or x.dtype.kind == "f":
        assert y.dtype == x.dtype
    else:
        assert y.dtype == np.float64
    w = np.ones((3, 3, 2), dtype=dtype)
    z = vt.conv(x, w, padding=padding)
    np.testing.assert_array_equal(x, before)
    assert z.dtype == x.dtype


def test_bare_rank_returns_same_rank():
    assert vt.pool(np.zeros((6, 6)), (2, 2), "AVG").shape == (5, 5)
    assert vt.pool(np.zeros(6), (2,), "AVG").shape == (5,)
    assert vt.pool(np.zeros((4, 4, 4)), (2, 2, 2), "MAX").shape == (3, 3, 3)
    assert vt.conv(np.zeros((6, 6)), np.ones((3, 3))).shape == (4, 4)
    assert vt.conv(np.zeros(6), np.ones(3)).shape == (4,)
    # rank 3 with rank 3 is always a 1-D convolution, never a bare volume
    assert vt.conv(np.zeros((2, 6, 4)), np.ones((3, 4, 5))).shape == (2, 4, 5)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 3), kind=st.sampled_from(["MAX", "AVG"]), seed=st.integers(0, 99))
def test_channels_first_is_transpose_of_channels_last(n, kind, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2,) + (5,) * n + (3,))
    last = vt.pool(x, (2,) * n, kind, strides=2, padding="SAME")
    first = vt.pool(np.moveaxis(x, -1, 1), (2,) * n, kind, strides=2, padding="SAME",
                    data_format="NC" + "DHW"[3 - n:])
    np.testing.assert_array_equal(np.moveaxis(first, 1, -1), last)
    w = rng.standard_normal((2,) * n + (3, 4))
    last = vt.conv(x, w, padding="SAME")
    first = vt.conv(np.moveaxis(x, -1, 1), w, padding="SAME", data_format="channels_first")
    np.testing.assert_allclose(np.moveaxis(first, 1, -1), last)


def test_stride_as_subsampling():
    """A strided conv is the stride-1 conv with the same padding, subsampled (Dumoulin & Visin)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 11, 13, 2))
    w = rng.standard_normal((3, 4, 2, 3))
    pads = vt.padding_amounts((11, 13), (3, 4), (2, 3), "SAME")
    strided = vt.conv(x, w, strides=(2, 3), padding="SAME")
    dense = vt.conv(x, w, strides=1, padding=pads)
    np.testing.assert_allclose(strided, dense[:, ::2, ::3])


def test_grouped_conv_is_concatenation_of_independent_convs():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 5, 5, 4))
    w = rng.standard_normal((2, 2, 2, 4))
    grouped = vt.conv(x, w, groups=2)
    halves = [vt.conv(x[..., 2 * g:2 * g + 2], w[..., 2 * g:2 * g + 2]) for g in range(2)]
    np.testing.assert_allclose(grouped, np.concatenate(halves, axis=-1))


def test_nan_propagates_in_max_and_all_padding_window_is_minus_inf():
    y = vt.pool([1.0, np.nan, 3.0, 0.0], [2], "MAX", strides=[2])
    assert np.isnan(y[0]) and y[1] == 3
    # n=1, k=2, d=3, SAME: both taps land in padding
    y = vt.pool([5.0], [2], "MAX", padding="SAME", dilations=[3])
    assert y.tolist() == [-np.inf]
    y = vt.pool([5.0], [2], "AVG", padding="SAME", dilations=[3])
    assert np.isnan(y[0])
    assert vt.pool(np.array([5], np.int16), [2], "MAX", padding="SAME",
                   dilations=[3]).tolist() == [np.iinfo(np.int16).min]


def test_float16_average_accumulates_in_float32():
    x = np.array([-1, -2, 7], np.float16)
    y = vt.pool(x, [3], "AVG")
    assert y.dtype == np.float16 and y[0] == np.float16(4 / 3)  # TF: 1.3330078


def test_global_pool_matches_mean_and_max():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(vt.global_pool(x), x.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_array_equal(vt.global_pool(x, "max", keepdims=True),
                                  x.max(axis=(1, 2), keepdims=True))
    x[0, 1, 1, 0] = np.nan
    assert np.isnan(vt.global_pool(x, "MAX")[0, 0])


def test_keras_defaults():
    x = np.arange(1, 26, dtype=float).reshape(5, 5)
    np.testing.assert_array_equal(vt.max_pool(x), [[7, 9], [17, 19]])           # M1
    np.testing.assert_array_equal(vt.max_pool(x, 3, padding="same"), [[13, 15], [23, 25]])  # M7
    assert vt.max_pool(np.zeros((397, 397)), 2, padding="same").shape == (199, 199)
    assert vt.avg_pool(np.zeros((2, 8, 8, 3)), (2, 2)).shape == (2, 4, 4, 3)
    assert vt.max_pool(np.zeros((2, 3, 8, 8)), 2, data_format="channels_first").shape == \
        (2, 3, 4, 4)


def test_relu():
    np.testing.assert_array_equal(vt.relu([[-1, 2], [3, -4]]), [[0, 2], [3, 0]])
    assert np.isnan(vt.relu([np.nan])[0])
    assert vt.relu(np.array([-1.0], np.float16)).dtype == np.float16


# ---------------------------------------------------------------------------------------------
# TensorFlow's positional order (the live comparison is in test_parity_tf.py)
# ---------------------------------------------------------------------------------------------

def parameters(function):
    import inspect

    return [(p.name, p.kind.name) for p in inspect.signature(function).parameters.values()]


def test_pool_and_conv_take_tensorflows_positional_order():
    # tf.nn.pool(input, window_shape, pooling_type, strides, padding, data_format, dilations)
    # tf.nn.convolution(input, filters, strides, padding, data_format, dilations)
    positional = "POSITIONAL_OR_KEYWORD"
    assert parameters(vt.pool) == [
        (name, positional) for name in ("input", "window_shape", "pooling_type", "strides",
                                        "padding", "data_format", "dilations")
    ] + [("ceil_mode", "KEYWORD_ONLY"), ("count_include_pad", "KEYWORD_ONLY")]
    assert parameters(vt.conv) == [
        (name, positional) for name in ("input", "filters", "strides", "padding",
                                        "data_format", "dilations")
    ] + [("groups", "KEYWORD_ONLY")]
    for function in (vt.output_shape, vt.padding_amounts):
        assert parameters(function)[-2:] == [("data_format", "KEYWORD_ONLY"),
                                             ("ceil_mode", "KEYWORD_ONLY")]


def test_a_positional_data_format_is_a_layout():
    x = np.arange(2 * 3 * 5 * 5, dtype=np.float32).reshape(2, 3, 5, 5)
    channels_first = vt.pool(x, [2, 2], "MAX", [2, 2], "SAME", "NCHW")
    assert channels_first.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(
        channels_first, np.moveaxis(vt.pool(np.moveaxis(x, 1, -1), [2, 2], "MAX", [2, 2],
                                            "SAME", "NHWC"), -1, 1))
    w = np.ones((2, 2, 3, 4), np.float32)
    assert vt.conv(x, w, 1, "VALID", "NCHW", 2).shape == (2, 4, 3, 3)
    with pytest.raises(TypeError, match="positional arguments"):
        vt.pool(x, [2, 2], "MAX", [2, 2], "SAME", "NCHW", 1, True)   # ceil_mode by keyword


def test_output_shape_of_a_whole_shape_needs_its_layout():
    # Keras reports (batch, spatial..., channels); a whole shape is answered whole.
    assert vt.output_shape((8, 397, 397, 3), 2, 2, "SAME", data_format="NHWC") == (8, 199, 199, 3)
    assert vt.output_shape((8, 3, 397, 397), 2, 2, "VALID",
                           data_format="channels_first") == (8, 3, 198, 198)
    assert vt.output_shape((4, 100, 16), 3, 2, data_format="NWC") == (4, 49, 16)
    assert vt.padding_amounts((8, 397, 397, 3), 2, 2, "SAME", data_format="NHWC") == \
        ((0, 0), (0, 1), (0, 1), (0, 0))
    # Never a guess: a 4-axis shape without its layout pooled the batch and channels before.
    with pytest.raises(ValueError, match="data_format"):
        vt.output_shape((8, 397, 397, 3), 2, 2)
    with pytest.raises(ValueError, match="data_format"):
        vt.padding_amounts((8, 397, 397, 3), 2, 2, "SAME")
    with pytest.raises(ValueError, match="`window_shape` must have 2 entries"):
        vt.output_shape((397, 397), (2, 2, 2))
    with pytest.raises(ValueError, match="`input_shape` with `data_format`"):
        vt.output_shape((397, 397), 2, data_format="NHWC")
    with pytest.raises(ValueError, match="`data_format`"):
        vt.output_shape((8, 397, 397, 3), 2, data_format="NWC")
