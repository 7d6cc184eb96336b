"""Every bad argument: a ValueError/TypeError naming the argument, the value, what is allowed."""

import math
import re

import numpy as np
import pytest

import ventanal as vt

X1 = np.arange(8.0)
X2 = np.arange(25.0).reshape(5, 5)
BATCH = np.zeros((1, 5, 5, 3))


def raises(error, *fragments):
    """pytest.raises matching every fragment (escaped) of the message."""
    pattern = "".join(f"(?=.*{re.escape(f)})" for f in fragments)
    return pytest.raises(error, match=re.compile(pattern, re.S))


@pytest.mark.parametrize("strides, error, fragments", [
    (0, ValueError, ["`strides`", "(0,)", ">= 1"]),
    (-2, ValueError, ["`strides`", "(-2,)", ">= 1"]),
    (1.5, TypeError, ["`strides`", "1.5", "integer"]),
    (2.0, TypeError, ["`strides`", "2.0", "integer"]),
    (True, TypeError, ["`strides`", "True", "integer"]),
    (math.nan, TypeError, ["`strides`", "nan", "integer"]),
    ((1, 2), ValueError, ["`strides`", "1 entries", "(1, 2)"]),
    ("2", TypeError, ["`strides`", "'2'"]),
])
def test_bad_strides(strides, error, fragments):
    with raises(error, *fragments):
        vt.pool(X1, [2], "MAX", strides=strides)


@pytest.mark.parametrize("window, error, fragments", [
    ([0], ValueError, ["`window_shape`", "(0,)", ">= 1"]),
    ([2.7], TypeError, ["`window_shape`", "2.7", "integer"]),
    ([True], TypeError, ["`window_shape`", "True"]),
    ([2, 2, 2, 2], ValueError, ["`window_shape`", "1, 2 or 3", "4"]),
    ([], ValueError, ["`window_shape`", "1, 2 or 3", "0"]),
    ("2", TypeError, ["`window_shape`", "'2'"]),
])
def test_bad_window(window, error, fragments):
    with raises(error, *fragments):
        vt.pool(X1, window, "MAX")


def test_bad_dilation():
    with raises(ValueError, "`dilations`", "(0,)", ">= 1"):
        vt.pool(X1, [2], dilations=0)
    with raises(ValueError, "`dilations`", "(0, 0)"):
        vt.conv(X2, np.ones((2, 2)), dilations=0)


@pytest.mark.parametrize("padding, error, fragments", [
    ("same_ish", ValueError, ["`padding`", "'same_ish'", "'VALID'", "'SAME'"]),
    ("", ValueError, ["`padding`", "''"]),
    (-1, ValueError, ["`padding`", ">= 0", "(-1, -1)"]),
    ([(1, -1)], ValueError, ["`padding`", ">= 0"]),
    (1.0, TypeError, ["`padding`", "1.0", "integer"]),
    ([1, 2, 3], ValueError, ["`padding`", "1 entries", "3"]),
    (None, TypeError, ["`padding`", "None"]),
    ([(1, 2, 3)], ValueError, ["`padding`", "(before, after)"]),
])
def test_bad_padding(padding, error, fragments):
    with raises(error, *fragments):
        vt.pool(X1, [2], "MAX", padding=padding)


def test_tf_explicit_padding_needs_zero_batch_and_channel_pairs():
    with raises(ValueError, "batch and channel", "(1, 0)"):
        vt.pool(BATCH, (2, 2), "MAX", padding=[(1, 0), (0, 0), (0, 0), (0, 0)])
    with raises(ValueError, "needs the input layout"):
        vt.output_shape((5, 5), 2, padding=[(0, 0), (1, 1), (1, 1), (0, 0)])


def test_bad_pooling_type():
    with raises(ValueError, "`pooling_type`", "'MIN'", "'MAX' or 'AVG'"):
        vt.pool(X1, [2], "MIN")
    with raises(ValueError, "`pooling_type`", "None"):
        vt.pool(X1, [2], None)


@pytest.mark.parametrize("call", [
    lambda: vt.pool(X1, [9], "MAX"),
    lambda: vt.pool(X1, [3], "MAX", dilations=[4]),
    lambda: vt.conv(X2, np.ones((6, 6))),
    lambda: vt.max_pool(X2, 6),
])
def test_window_larger_than_padded_input(call):
    with raises(ValueError, "`window_shape`", "larger than the padded input", "padding='SAME'"):
        call()


def test_window_larger_mentions_dilation_and_padding():
    with raises(ValueError, "effective size 7 with dilation 3",
                "input size 5 + padding (1, 0) = 6"):
        vt.pool(np.zeros(5), [3], dilations=[3], padding=[(1, 0)])


@pytest.mark.parametrize("x, window, fragments", [
    (np.zeros((4, 5, 5)), (2, 2), ["rank 2", "rank 4", "got rank 3", "x[None]"]),
    (np.zeros((1, 5, 5, 1, 1)), (2, 2), ["rank 2", "rank 4", "got rank 5"]),
    (np.zeros((5, 5)), (2,), ["rank 1", "rank 3", "got rank 2"]),
])
def test_rank_mismatch(x, window, fragments):
    with raises(ValueError, "`input`", *fragments):
        vt.pool(x, window)


def test_rank_cannot_be_inferred_from_int_window():
    with raises(ValueError, "cannot infer", "rank 6", "`window_shape`"):
        vt.pool(np.zeros((1,) * 6), 2)


@pytest.mark.parametrize("data_format", ["NCHW", "channels_middle", "nhwc_", 3])
def test_bad_data_format(data_format):
    with raises(ValueError, "`data_format`", repr(data_format)):
        vt.pool(np.zeros((1, 5, 2)), [2], data_format=data_format)


def test_conv_channel_mismatch():
    with raises(ValueError, "`input` has 3 channels", "groups * filters.shape[-2] = 1 * 2 = 2"):
        vt.conv(BATCH, np.ones((3, 3, 2, 4)))


def test_conv_grouped_hint_and_divisibility():
    with raises(ValueError, "pass groups=3"):
        vt.conv(BATCH, np.ones((3, 3, 1, 6)))
    with raises(ValueError, "out_channels (4)", "`groups` (3)"):
        vt.conv(BATCH, np.ones((3, 3, 1, 4)), groups=3)
    with raises(ValueError, "`groups`", "0"):
        vt.conv(BATCH, np.ones((3, 3, 3, 4)), groups=0)
    with raises(TypeError, "`groups`", "1.0"):
        vt.conv(BATCH, np.ones((3, 3, 3, 4)), groups=1.0)


def test_conv_filter_rank():
    with raises(ValueError, "`filters`", "rank 6"):
        vt.conv(BATCH, np.ones((1, 1, 1, 1, 3, 1)))
    with raises(ValueError, "`filters` must not be empty", "(0, 3, 3, 1)"):
        vt.conv(BATCH, np.ones((0, 3, 3, 1)))


@pytest.mark.parametrize("x", [np.zeros(0), np.zeros((0, 3)), np.zeros((1, 0, 4, 1))])
def test_empty_spatial_input(x):
    n = 1 if x.ndim == 1 else 2
    with raises(ValueError, "`input_shape`", ">= 1", "empty"):
        vt.pool(x, (2,) * n, "MAX")


def test_empty_batch_and_channels_are_fine():
    assert vt.pool(np.zeros((0, 5, 5, 3)), (2, 2), "MAX").shape == (0, 4, 4, 3)
    assert vt.pool(np.zeros((1, 5, 5, 0)), (2, 2), "AVG").shape == (1, 4, 4, 0)


@pytest.mark.parametrize("value, fragment", [
    (["a", "b"], "dtype <U1"),
    (np.array([1 + 2j, 3j]), "dtype complex128"),
    ([[1, 2], [3]], "array-like"),
    (object(), "dtype object"),
])
def test_bad_input_values(value, fragment):
    with raises(TypeError, "`input`", fragment):
        vt.pool(value, [1], "MAX")


def test_bad_filters_values():
    with raises(TypeError, "`filters`", "dtype <U1"):
        vt.conv(X1, ["a"])


def test_bad_flags():
    with raises(TypeError, "`ceil_mode`", "1"):
        vt.pool(X1, [2], ceil_mode=1)
    with raises(TypeError, "`count_include_pad`", "'yes'"):
        vt.pool(X1, [2], "AVG", count_include_pad="yes")
    with raises(TypeError, "`keepdims`", "1"):
        vt.global_pool(BATCH, keepdims=1)


def test_global_pool_rank():
    with raises(ValueError, "`x` must have rank 3, 4 or 5", "rank 2", "x.max()"):
        vt.global_pool(X2)


def test_output_shape_errors():
    with raises(TypeError, "`input_shape`", "5"):
        vt.output_shape(5, 2)
    with raises(ValueError, "`input_shape`", "(0, 3)"):
        vt.output_shape((0, 3), 2)
    with raises(TypeError, "`input_shape`", "nan"):
        vt.output_shape((math.nan, 3), 2)
    with raises(ValueError, "`window_shape`", "2 entries", "(2, 2, 2)"):
        vt.output_shape((5, 5), (2, 2, 2))


def test_keras_front_end_errors():
    with raises(ValueError, "`pool_size`", "(0, 0)"):
        vt.max_pool(X2, 0)
    with raises(TypeError, "`pool_size`", "2.5"):
        vt.avg_pool(X2, 2.5)
    with raises(ValueError, "`data_format`", "'NCW'"):
        vt.max_pool(X2, (2, 2), data_format="NCW")
