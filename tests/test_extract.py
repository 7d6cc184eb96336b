"""vt.extract: the filter -> detect -> condense stages of the course's show_extraction."""

from __future__ import annotations

import os

import numpy as np
import pytest

import ventanal as vt
from ventanal.extract import Extraction

SERIES = [1, 9, -1, -2, 7, 3, -1, 2]
SOBEL = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])


def _circle(size=16):
    yy, xx = np.mgrid[:size, :size]
    r = np.hypot(yy - size / 2, xx - size / 2)
    return (np.abs(r - size / 3) < 0.7).astype(np.float32)


# ---------------------------------------------------------------------------
# the result object
# ---------------------------------------------------------------------------

def test_stages_unpack_index_and_name():
    result = vt.extract(SERIES, [1, 2, 3])
    assert isinstance(result, Extraction)
    assert len(result) == 4
    x, filtered, detected, condensed = result
    assert filtered.tolist() == [16, 1, 16, 21, 10, 7]
    assert detected.tolist() == filtered.tolist()
    assert condensed.tolist() == [16, 21, 10]
    assert result[3] is result.condense is result["condense"]
    assert list(result.stages) == ["input", "filter", "detect", "condense"]
    assert result.shapes == {"input": (8,), "filter": (6,), "detect": (6,), "condense": (3,)}
    assert [s.shape for s in result[1:]] == [(6,), (6,), (3,)]
    assert "condense=(3,)" in repr(result)
    with pytest.raises(KeyError, match="stage names"):
        result["pool"]


def test_settings_are_recorded_per_axis():
    result = vt.extract(np.ones((9, 9)), SOBEL, conv_stride=2, pool_size=3, pool_stride=None)
    assert result.settings["conv_stride"] == (2, 2)
    assert result.settings["pool_size"] == (3, 3)
    assert result.settings["pool_stride"] == (3, 3)
    assert result.settings["activation"] == "relu"
    np.testing.assert_array_equal(result.kernel, SOBEL)


# ---------------------------------------------------------------------------
# numbers: the lesson's sequence and small images, against the ops
# ---------------------------------------------------------------------------

def test_time_series_rise_detector():
    result = vt.extract(SERIES, [-1, 1])
    assert result.filter.tolist() == [8, -10, -1, 9, -4, -4, 3]
    assert result.detect.tolist() == [8, 0, 0, 9, 0, 0, 3]
    # 7 cells, window 2, stride 2, SAME: 4 windows, the last one padded
    assert result.condense.tolist() == [8, 9, 0, 3]


@pytest.mark.parametrize("conv_stride,conv_padding,pool_size,pool_stride,pool_padding", [
    (1, "valid", 2, 2, "same"),
    (3, "valid", 2, 2, "same"),
    (1, "same", 3, 1, "same"),
    (2, "same", 2, 3, "valid"),
    ((1, 2), "valid", (2, 3), (2, 1), "valid"),
])
def test_grayscale_equals_the_ops(conv_stride, conv_padding, pool_size, pool_stride,
                                  pool_padding):
    image = _circle(17)
    result = vt.extract(image, SOBEL, conv_stride=conv_stride, conv_padding=conv_padding,
                        pool_size=pool_size, pool_stride=pool_stride, pool_padding=pool_padding)
    filtered = vt.conv(image, SOBEL.astype(np.float32), strides=conv_stride,
                       padding=conv_padding.upper())
    condensed = vt.pool(np.maximum(filtered, 0), pool_size if isinstance(pool_size, tuple)
                        else (pool_size, pool_size), "MAX", strides=pool_stride,
                        padding=pool_padding.upper())
    np.testing.assert_array_equal(result.filter, filtered)
    np.testing.assert_array_equal(result.detect, np.maximum(filtered, 0))
    np.testing.assert_array_equal(result.condense, condensed)
    assert result.input.dtype == np.float32 == result.condense.dtype


def test_rgb_depthwise_applies_the_kernel_to_each_channel():
    rng = np.random.default_rng(0)
    rgb = rng.random((10, 12, 3))
    result = vt.extract(rgb, SOBEL)
    assert result.filter.shape == (8, 10, 3)
    assert result.condense.shape == (4, 5, 3)
    for c in range(3):
        single = vt.extract(rgb[..., c], SOBEL)
        np.testing.assert_allclose(result.filter[..., c], single.filter)
        np.testing.assert_allclose(result.condense[..., c], single.condense)


def test_rgb_full_hwio_kernel():
    rng = np.random.default_rng(1)
    rgb = rng.random((10, 10, 3))
    kernel = rng.standard_normal((3, 3, 3, 5))
    result = vt.extract(rgb, kernel, conv_padding="same")
    assert result.filter.shape == (10, 10, 5)
    assert result.condense.shape == (5, 5, 5)
    np.testing.assert_allclose(result.filter, vt.conv(rgb[None], kernel, padding="SAME")[0])


def test_course_image_with_channel_axis_and_batches():
    image = _circle(16)[..., None]
    result = vt.extract(image, "bottom_sobel")
    assert result.shapes == {"input": (16, 16, 1), "filter": (14, 14, 1),
                             "detect": (14, 14, 1), "condense": (7, 7, 1)}
    batch = np.stack([image, image[::-1]])
    batched = vt.extract(batch, "bottom_sobel")
    assert batched.condense.shape == (2, 7, 7, 1)
    np.testing.assert_array_equal(batched.condense[0], result.condense)


def test_sequence_with_channels_and_full_1d_kernel():
    seq = np.stack([SERIES, np.negative(SERIES)], axis=-1)     # (8, 2)
    depthwise = vt.extract(seq, [1, 2, 3])
    assert depthwise.filter[:, 0].tolist() == [16, 1, 16, 21, 10, 7]
    assert depthwise.filter[:, 1].tolist() == [-16, -1, -16, -21, -10, -7]
    full = vt.extract(seq, np.ones((2, 2, 1)))                  # (k, in, out)
    assert full.filter[:, 0].tolist() == [0.0] * 7


def test_uint8_is_scaled_like_convert_image_dtype():
    image = np.full((4, 4), 255, dtype=np.uint8)
    result = vt.extract(image, np.ones((2, 2)), pool_padding="valid")
    assert result.input.dtype == np.float32
    assert result.input.max() == 1.0
    np.testing.assert_allclose(result.filter, 4.0)


def test_integer_input_becomes_float64_and_float64_is_kept():
    assert vt.extract(SERIES, [1, 1]).condense.dtype == np.float64
    assert vt.extract(np.array(SERIES, np.float64), [1, 1]).condense.dtype == np.float64


@pytest.mark.parametrize("activation,expected", [
    (None, [8, 9, -4, 3]),
    ("linear", [8, 9, -4, 3]),
    ("relu", [8, 9, 0, 3]),
    (np.abs, [10, 9, 4, 3]),
])
def test_activation_choices(activation, expected):
    assert vt.extract(SERIES, [-1, 1], activation=activation).condense.tolist() == expected


def test_other_activations_are_callable_by_name():
    result = vt.extract(SERIES, [-1, 1], activation="sigmoid")
    assert np.all((result.detect > 0) & (result.detect < 1))


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("image,kernel,match", [
    (np.ones((4, 4)), np.ones(()), "`kernel` must have rank 1 or 2"),
    (np.ones((4, 4)), np.ones((1, 1, 1, 1, 1, 1)), "`kernel` must have rank 1 or 2"),
    (np.ones((2, 4, 4, 1, 1)), SOBEL, "`image` must have rank 2"),
    (np.ones(4), SOBEL, "`image` must have rank 2"),
    (np.ones((6, 6, 3)), np.ones((3, 3, 2, 4)), "has 3 channels"),
    (np.ones((2, 2)), SOBEL, "larger than the padded input"),
    (np.ones((6, 6)), "no_such_kernel", "`name` must be one of"),
])
def test_value_errors(image, kernel, match):
    with pytest.raises(ValueError, match=match):
        vt.extract(image, kernel)


def test_bad_settings():
    with pytest.raises(ValueError, match="`activation`"):
        vt.extract(SERIES, [1, 1], activation="swishy")
    with pytest.raises(ValueError, match="`padding`"):
        vt.extract(SERIES, [1, 1], conv_padding="sideways")
    with pytest.raises(ValueError, match="`conv_stride`"):
        vt.extract(SERIES, [1, 1], conv_stride=0)
    with pytest.raises(TypeError, match="`pool_size`"):
        vt.extract(SERIES, [1, 1], pool_size=2.5)
    with pytest.raises(ValueError, match="`pool_stride`"):
        vt.extract(SERIES, [1, 1], pool_stride=(1, 2))
    with pytest.raises(TypeError, match="`image`"):
        vt.extract(["a", "b"], [1, 1])
    with pytest.raises(TypeError, match="`kernel`"):
        vt.extract(SERIES, ["a"])


# ---------------------------------------------------------------------------
# against the course's show_extraction, run on Keras
# ---------------------------------------------------------------------------

def _keras_extraction(image, kernel, conv_stride, conv_padding, activation, pool_size,
                      pool_stride, pool_padding):
    """The body of visiontools.show_extraction (Kaggle's computer-vision course)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip(
        "tensorflow", reason="no TensorFlow (live oracle): pip install -e '.[oracles]'"
    )
    keras = tf.keras
    model = keras.Sequential([
        keras.Input(shape=image.shape),
        keras.layers.Conv2D(filters=1, kernel_size=kernel.shape, strides=conv_stride,
                            padding=conv_padding, use_bias=False),
        keras.layers.Activation(activation),
        keras.layers.MaxPool2D(pool_size=pool_size, strides=pool_stride, padding=pool_padding),
    ])
    layer_filter, layer_detect, layer_condense = model.layers
    layer_filter.set_weights([tf.reshape(tf.constant(kernel, tf.float32),
                                         [*kernel.shape, 1, 1])])
    batch = tf.image.convert_image_dtype(tf.expand_dims(image, axis=0), dtype=tf.float32)
    filtered = layer_filter(batch)
    detected = layer_detect(filtered)
    condensed = layer_condense(detected)
    return [np.asarray(t)[0] for t in (filtered, detected, condensed)]


@pytest.mark.parametrize("settings", [
    dict(conv_stride=1, conv_padding="valid", activation="relu", pool_size=2, pool_stride=2,
         pool_padding="same"),
    dict(conv_stride=3, conv_padding="valid", activation="relu", pool_size=2, pool_stride=2,
         pool_padding="same"),
    dict(conv_stride=2, conv_padding="same", activation="linear", pool_size=3, pool_stride=1,
         pool_padding="valid"),
])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_matches_show_extraction_on_keras(settings, dtype):
    rng = np.random.default_rng(3)
    image = (rng.random((21, 19, 1)) * (255 if dtype == np.uint8 else 1)).astype(dtype)
    keras_stages = _keras_extraction(image, SOBEL, **settings)
    ours = vt.extract(image, SOBEL, **settings)
    for got, want in zip(ours[1:], keras_stages, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
