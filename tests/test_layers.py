"""vt.layers and vt.Sequential: Keras arguments, defaults, numbers, weights, shapes, errors."""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest

import ventanal as vt

L = vt.layers
SERIES = np.array([1, 9, -1, -2, 7, 3, -1, 2], np.float32)
X55 = np.arange(1, 26, dtype=np.float32).reshape(1, 5, 5, 1)


def seq(values=SERIES):
    return np.asarray(values, np.float32).reshape(1, -1, 1)


# ---------------------------------------------------------------------------
# Keras 3 defaults (docs/semantics.md §4)
# ---------------------------------------------------------------------------

def test_pooling_defaults():
    assert L.MaxPool2D().pool_size == (2, 2) and L.MaxPool2D().strides == (2, 2)
    assert L.MaxPooling2D(3).strides == (3, 3)
    assert L.MaxPooling1D().pool_size == (2,)
    assert L.MaxPooling3D().pool_size == (2, 2, 2)
    assert L.MaxPool2D(2, strides=1).strides == (1, 1)
    assert L.MaxPool2D().padding == "valid"
    assert L.MaxPool2D(padding="SAME").padding == "same"
    assert L.MaxPool2D is L.MaxPooling2D and L.AvgPool2D is L.AveragePooling2D
    assert L.GlobalAvgPool2D is L.GlobalAveragePooling2D
    for cls in (L.AveragePooling1D, L.AveragePooling2D, L.AveragePooling3D):
        with pytest.raises(TypeError):
            cls()  # pool_size is required, as in Keras


def test_conv_defaults():
    layer = L.Conv2D(4, 3)
    assert layer.kernel_size == (3, 3) and layer.strides == (1, 1)
    assert layer.padding == "valid" and layer.dilation_rate == (1, 1) and layer.groups == 1
    assert layer.use_bias and layer.data_format == "channels_last"
    assert layer.get_config()["activation"] == "linear"
    assert L.Conv1D(1, 3, padding="CAUSAL").padding == "causal"


def test_global_pooling_defaults_and_keepdims():
    x = np.ones((2, 4, 5, 3), np.float32)
    assert L.GlobalAveragePooling2D()(x).shape == (2, 3)
    assert L.GlobalAveragePooling2D(keepdims=True)(x).shape == (2, 1, 1, 3)
    assert L.GlobalMaxPooling2D(data_format="channels_first", keepdims=True)(x).shape == \
        (2, 4, 1, 1)
    assert L.GlobalMaxPooling2D(data_format="channels_first").compute_output_shape(
        (2, 4, 5, 3)) == (2, 4)


def test_layer_names_are_keras_snake_case():
    assert L.MaxPool2D().name == "max_pooling2d"
    assert L.ReLU().name == "re_lu"
    assert L.GlobalAveragePooling1D().name == "global_average_pooling1d"
    assert L.Conv2D(1, 1, name="first").name == "first"


# ---------------------------------------------------------------------------
# numbers (docs/semantics.md §4 and §8)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,expected", [
    (dict(kernel_size=3), [1, 10, 9, 6, 4, 8, 9, 4]),                      # N15
    (dict(kernel_size=2, dilation_rate=2), [1, 9, 0, 7, 6, 1, 6, 5]),
    (dict(kernel_size=3, strides=2), [1, 9, 4, 9]),
])
def test_causal_conv1d(kwargs, expected):
    layer = L.Conv1D(1, padding="causal", use_bias=False, kernel_initializer="ones", **kwargs)
    assert layer(seq())[0, :, 0].tolist() == expected


def test_conv1d_valid_is_correlation():
    layer = L.Conv1D(1, 3, use_bias=False)
    layer.build((None, 8, 1))
    layer.set_weights([np.array([1, 2, 3], np.float32).reshape(3, 1, 1)])
    assert layer(seq())[0, :, 0].tolist() == [16, 1, 16, 21, 10, 7]


def test_pooling_vectors():
    assert L.MaxPooling1D()(seq())[0, :, 0].tolist() == [9, -1, 7, 2]                # N1
    assert L.MaxPooling1D(3, 2, "same")(seq())[0, :, 0].tolist() == [9, 7, 7, 2]     # N2
    np.testing.assert_allclose(L.AveragePooling1D(3, 2, "same")(seq())[0, :, 0],
                               [3, 4 / 3, 3, 0.5], rtol=1e-6)                        # N7
    assert L.MaxPool2D()(X55)[0, :, :, 0].tolist() == [[7, 9], [17, 19]]             # M1
    assert L.MaxPool2D(3, padding="same")(X55)[0, :, :, 0].tolist() == \
        [[13, 15], [23, 25]]                                                         # M7
    assert L.AveragePooling2D(2, padding="same")(X55)[0, :, :, 0].tolist() == \
        [[4, 6, 7.5], [14, 16, 17.5], [21.5, 23.5, 25]]                              # M4
    assert L.MaxPooling1D(1, strides=3, padding="same")(seq())[0, :, 0].tolist() == \
        [1, -2, -1]                                                                  # N11


def test_conv2d_sobel_same_stride2():
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)
    layer = L.Conv2D(1, 3, strides=2, padding="same", use_bias=False)
    layer.set_weights([sobel.reshape(3, 3, 1, 1)])
    assert layer(X55)[0, :, :, 0].tolist() == [[-11, -6, 17], [-48, -8, 56], [-61, -6, 67]]


def test_bias_and_activation_and_channels_first():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
    last = L.Conv2D(4, (2, 3), padding="same", activation="relu", seed=1,
                    bias_initializer="random_normal")
    first = L.Conv2D(4, (2, 3), padding="same", activation="relu",
                     data_format="channels_first")
    y = last(x)
    first.set_weights(last.get_weights())
    y_first = first(np.moveaxis(x, -1, 1))
    np.testing.assert_allclose(np.moveaxis(y_first, 1, -1), y, rtol=1e-6)
    assert y.min() == 0
    manual = vt.conv(x, last.kernel, padding="SAME") + last.bias
    np.testing.assert_allclose(y, np.maximum(manual, 0), rtol=1e-6)


def test_grouped_conv_kernel_shape():
    layer = L.Conv2D(4, 3, groups=2)
    layer.build((None, 5, 5, 2))
    assert layer.kernel.shape == (3, 3, 1, 4)
    assert L.Conv2D(4, 3).compute_output_shape((None, 5, 5, 2)) == (None, 3, 3, 4)
    with pytest.raises(ValueError, match="divisible by `groups`"):
        L.Conv2D(4, 3, groups=2).build((None, 5, 5, 3))


def test_relu_options_match_keras_docstring():
    x = [-10, -5, 0.0, 5, 10]
    assert L.ReLU()(x).tolist() == [0, 0, 0, 5, 10]
    assert L.ReLU(negative_slope=0.5)(x).tolist() == [-5, -2.5, 0, 5, 10]
    assert L.ReLU(max_value=5.0)(x).tolist() == [0, 0, 0, 5, 5]
    assert L.ReLU(threshold=5.0)(x).tolist() == [0, 0, 0, 0, 10]
    assert L.ReLU(max_value=6.0, negative_slope=0.1, threshold=1.0)(x).tolist() == \
        pytest.approx([-1.1, -0.6, -0.1, 5, 6])


@pytest.mark.parametrize("name", ["relu", "linear", "sigmoid", "tanh", "leaky_relu", "elu",
                                  "softmax"])
def test_activation_layer(name):
    x = np.array([[-2.0, -0.5, 0.0, 1.5]], np.float32)
    from ventanal.ops import activations
    np.testing.assert_allclose(L.Activation(name)(x), activations.get(name)(x), rtol=1e-6)
    assert L.Activation(name)(x).dtype == np.float32


def test_flatten_and_dense():
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    assert L.Flatten()(x).tolist() == [list(range(24))]
    channels_first = L.Flatten(data_format="channels_first")(np.moveaxis(x, -1, 1))
    assert channels_first.tolist() == [list(range(24))]   # Keras moves channels last first
    dense = L.Dense(2, kernel_initializer="ones")
    assert dense(x).shape == (1, 2, 3, 2)                 # the last axis only, as Keras
    assert dense.kernel.shape == (4, 2)
    assert L.Flatten().compute_output_shape((None, 2, None)) == (None, None)


def test_dtype_policy():
    assert L.MaxPool1D()(np.array(SERIES, np.float64).reshape(1, 8, 1)).dtype == np.float32
    layer = L.Conv1D(1, 2, dtype="float64", kernel_initializer="ones")
    assert layer(seq()).dtype == np.float64 and layer.kernel.dtype == np.float64
    with pytest.raises(ValueError, match="`dtype` must be a float dtype"):
        L.ReLU(dtype="int32")


# ---------------------------------------------------------------------------
# weights and initialisers
# ---------------------------------------------------------------------------

def test_seeded_initialisers_are_deterministic():
    a, b, c = (L.Conv2D(8, 3, seed=s) for s in (7, 7, 8))
    for layer in (a, b, c):
        layer.build((None, 9, 9, 3))
    np.testing.assert_array_equal(a.kernel, b.kernel)
    assert not np.array_equal(a.kernel, c.kernel)
    assert np.all(a.bias == 0)


@pytest.mark.parametrize("name,bound", [
    ("glorot_uniform", np.sqrt(6 / (27 + 72))),
    ("he_uniform", np.sqrt(6 / 27)),
    ("lecun_uniform", np.sqrt(3 / 27)),
    ("glorot_normal", 2 * np.sqrt(2 / (27 + 72)) / 0.87962566103423978),
    ("he_normal", 2 * np.sqrt(2 / 27) / 0.87962566103423978),
    ("lecun_normal", 2 * np.sqrt(1 / 27) / 0.87962566103423978),
    ("random_uniform", 0.05),
    ("truncated_normal", 0.1),
])
def test_initialiser_ranges(name, bound):
    layer = L.Conv2D(8, 3, kernel_initializer=name, seed=0)
    layer.build((None, 5, 5, 3))                 # fan_in 27, fan_out 72
    assert np.abs(layer.kernel).max() <= bound * (1 + 1e-6)
    assert np.abs(layer.kernel).max() > bound / 3
    assert np.all(np.isfinite(L.Dense(3, kernel_initializer="random_normal", seed=0)(
        np.ones((1, 4)))))


def test_callable_and_bad_initialisers():
    layer = L.Dense(2, kernel_initializer=lambda shape, dtype: np.full(shape, 2.0, dtype))
    assert layer(np.ones((1, 3))).tolist() == [[6, 6]]
    with pytest.raises(ValueError, match="`kernel_initializer` must be"):
        L.Dense(2, kernel_initializer="nope")
    with pytest.raises(ValueError, match="returned shape"):
        L.Dense(2, kernel_initializer=lambda shape, dtype: np.ones(3))(np.ones((1, 3)))
    with pytest.raises(TypeError, match="`seed`"):
        L.Dense(2, seed=1.5)


def test_get_set_weights_round_trip_and_errors():
    layer = L.Conv2D(2, 3, seed=0)
    layer.build((None, 6, 6, 3))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 3, 2) and bias.shape == (2,)
    kernel[:] = 0                      # a copy: the layer is unchanged
    assert layer.kernel.any()
    layer.set_weights([np.ones((3, 3, 3, 2)), np.arange(2)])
    assert layer.kernel.dtype == np.float32 and layer.bias.tolist() == [0, 1]
    with pytest.raises(ValueError, match="has 2 weights"):
        layer.set_weights([np.ones((3, 3, 3, 2))])
    with pytest.raises(ValueError, match=r"`kernel` must have shape \(3, 3, 3, 2\)"):
        layer.set_weights([np.ones((3, 3, 2, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="has 0 weights"):
        L.ReLU().set_weights([np.ones(1)])
    assert L.Conv2D(2, 3, use_bias=False).weight_names == ("kernel",)


def test_set_weights_on_an_unbuilt_layer_fixes_the_channels():
    layer = L.Conv2D(1, 3, use_bias=False)
    layer.set_weights([np.ones((3, 3, 2, 1))])
    assert layer(np.ones((1, 4, 4, 2))).tolist() == [[[[18.0], [18.0]], [[18.0], [18.0]]]]
    with pytest.raises(ValueError, match="was built for weights"):
        layer(np.ones((1, 4, 4, 3)))
    with pytest.raises(ValueError, match="`kernel` must have rank 4"):
        L.Conv2D(1, 3).set_weights([np.ones((3, 3)), np.ones(1)])
    with pytest.raises(ValueError, match="`kernel` must have rank 2"):
        L.Dense(1).set_weights([np.ones(3), np.ones(1)])


# ---------------------------------------------------------------------------
# Sequential
# ---------------------------------------------------------------------------

def lesson_model(**conv):
    return vt.Sequential([
        L.Conv2D(filters=64, kernel_size=3, strides=1, padding="same", activation="relu",
                 **conv),
        L.MaxPool2D(pool_size=2, strides=1, padding="same"),
    ])


def test_the_seed_snippets_run_and_infer_shapes():
    first = vt.Sequential([L.Conv2D(filters=64, kernel_size=3), L.MaxPool2D(pool_size=2)])
    assert first.compute_output_shape((None, 28, 28, 1)) == (None, 13, 13, 64)
    second = lesson_model()
    assert second.compute_output_shape((28, 28, 1)) == (None, 28, 28, 64)
    assert not second.built
    second.build((None, 28, 28, 1))
    assert second.output_shape == (None, 28, 28, 64)
    assert second.count_params() == 640


def test_single_image_and_batch():
    model = lesson_model(seed=0)
    image = np.random.default_rng(0).random((10, 10, 3))
    single = model(image)
    batch = model(np.stack([image, image]))
    assert single.shape == (10, 10, 64) and batch.shape == (2, 10, 10, 64)
    np.testing.assert_array_equal(single, batch[0])
    np.testing.assert_array_equal(model.predict(image), single)


def test_single_sample_detection_uses_the_built_shape():
    model = vt.Sequential([L.Dense(3, seed=0)])
    assert model(np.ones((2, 4))).shape == (2, 3)      # no input shape: a batch
    model = vt.Sequential([L.Input((4,)), L.Dense(3, seed=0)])
    assert model(np.ones(4)).shape == (3,)


def test_feature_maps_by_name():
    model = vt.Sequential([L.Conv1D(2, 3, seed=0), L.ReLU(), L.MaxPool1D(), L.Conv1D(2, 3),
                           L.GlobalMaxPool1D()])
    maps = model.feature_maps(seq()[0])
    assert list(maps) == ["conv1d", "re_lu", "max_pooling1d", "conv1d_1",
                          "global_max_pooling1d"]
    assert [m.shape for m in maps.values()] == [(6, 2), (6, 2), (3, 2), (1, 2), (2,)]
    np.testing.assert_array_equal(maps["global_max_pooling1d"], model(seq()[0]))
    np.testing.assert_array_equal(maps["re_lu"], np.maximum(maps["conv1d"], 0))


def test_input_layer_and_input_shape_argument_build_at_once():
    model = vt.Sequential([L.Input(shape=(16, 16, 3)), L.Conv2D(4, 3), L.MaxPool2D()])
    assert model.built and model.output_shape == (None, 7, 7, 4)
    assert model.count_params() == 112
    model = vt.Sequential([L.Conv2D(4, 3, input_shape=(16, 16, 3)), L.MaxPool2D()])
    assert model.output_shape == (None, 7, 7, 4)
    model.add(L.Flatten())
    assert model.output_shape == (None, 196)
    assert model.pop().name == "flatten"
    with pytest.raises(ValueError, match="`pool_size` 9 is larger"):
        model.add(L.MaxPool2D(9))
    assert [layer.name for layer in model.layers] == ["conv2d", "max_pooling2d"]
    assert model.input_shape == (None, 16, 16, 3)
    assert L.InputLayer(batch_shape=(8, 4)).batch_shape == (8, 4)
    assert L.Input((4,), batch_size=8).batch_shape == (8, 4)


def test_model_weights_round_trip():
    model = vt.Sequential([L.Conv2D(2, 3, seed=0), L.Flatten(), L.Dense(3, seed=1)])
    model.build((None, 5, 5, 1))
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 3, 1, 2), (2,), (18, 3), (3,)]
    other = vt.Sequential([L.Conv2D(2, 3), L.Flatten(), L.Dense(3)])
    other.set_weights(weights)
    x = np.random.default_rng(1).random((2, 5, 5, 1))
    np.testing.assert_array_equal(model(x), other(x))
    with pytest.raises(ValueError, match="has 4 weight arrays, got 3"):
        other.set_weights(weights[:3])
    assert len(model.weights) == 4


def test_summary_shows_shapes_params_and_fields(capsys):
    model = lesson_model(seed=0)
    model.build((None, 28, 28, 1))
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "sequential"' in text
    assert "conv2d (Conv2D)" in text and "(None, 28, 28, 64)" in text
    assert "640" in text and "Total params: 640" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line[:1].islower()}
    assert lines["conv2d"].split()[-4:] == ["3x3", "1x1", "-1,", "-1"]
    assert lines["max_pooling2d"].split()[-4:] == ["4x4", "1x1", "-1,", "-1"]


def test_summary_of_an_unbuilt_model_and_print_fn():
    captured = []
    lesson_model().summary(print_fn=captured.append)
    assert len(captured) == 1
    assert "0 (unbuilt)" in captured[0] and "?" in captured[0]


def test_unique_names_and_lookup():
    model = vt.Sequential([L.Conv2D(1, 1), L.Conv2D(1, 1), L.Conv2D(1, 1, name="conv2d_5"),
                           L.Conv2D(1, 1)])
    assert [layer.name for layer in model.layers] == ["conv2d", "conv2d_1", "conv2d_5",
                                                      "conv2d_2"]
    assert model.get_layer("conv2d_5") is model.layers[2]
    with pytest.raises(ValueError, match="no layer named 'x'"):
        model.get_layer("x")
    with pytest.raises(ValueError, match="must be unique"):
        model.add(L.ReLU(name="conv2d"))
    assert "Sequential 'sequential'" in repr(model)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make,error,match", [
    (lambda: L.Conv2D(0, 3), ValueError, "`filters` must be an integer >= 1, got 0"),
    (lambda: L.Conv2D(2.5, 3), TypeError, "`filters` must be an integer"),
    (lambda: L.Conv2D(1, 0), ValueError, "`kernel_size` must be integers >= 1"),
    (lambda: L.Conv2D(1, (3, 3, 3)), ValueError, "`kernel_size` must have 2 entries"),
    (lambda: L.Conv2D(1, 3, strides=0), ValueError, "`strides` must be integers >= 1"),
    (lambda: L.Conv2D(1, 3, padding="causal"), ValueError, "'valid', 'same'"),
    (lambda: L.Conv2D(1, 3, padding=1), ValueError, "`padding` of Conv2D"),
    (lambda: L.Conv2D(1, 3, strides=2, dilation_rate=2), ValueError, "together with"),
    (lambda: L.Conv2D(3, 3, groups=2), ValueError, "divisible by `groups`"),
    (lambda: L.Conv2D(1, 3, groups=0), ValueError, "`groups` must be an integer >= 1"),
    (lambda: L.Conv2D(1, 3, activation="swish"), ValueError, "`activation` must be"),
    (lambda: L.Conv2D(1, 3, use_bias="yes"), TypeError, "`use_bias` must be True or False"),
    (lambda: L.Conv2D(1, 3, data_format="NCHWX"), ValueError, "`data_format`"),
    (lambda: L.Conv2D(1, 3, bogus=1), TypeError, "unexpected keyword argument 'bogus'"),
    (lambda: L.MaxPool2D(2.5), TypeError, "`pool_size` must be an integer"),
    (lambda: L.MaxPool2D(0), ValueError, "`pool_size` must be integers >= 1"),
    (lambda: L.MaxPool2D(2, strides=0), ValueError, "`strides` must be integers >= 1"),
    (lambda: L.MaxPool2D(padding="causal"), ValueError, "must be 'valid' or 'same'"),
    (lambda: L.GlobalMaxPool2D(keepdims=1), TypeError, "`keepdims` must be True or False"),
    (lambda: L.Flatten(data_format="NHWC"), ValueError, "`data_format` must be None"),
    (lambda: L.Dense(0), ValueError, "`units` must be an integer >= 1"),
    (lambda: L.ReLU(max_value=-1), ValueError, "`max_value` of ReLU must be a number >= 0"),
    (lambda: L.ReLU(negative_slope=None), ValueError, "`negative_slope` of ReLU"),
    (lambda: L.ReLU(threshold=-0.5), ValueError, "`threshold` of ReLU"),
    (lambda: L.Activation("nope"), ValueError, "`activation` must be"),
    (lambda: L.InputLayer(), ValueError, "exactly one of `shape`"),
    (lambda: L.Input((2.5, 3)), TypeError, "`shape` must hold integers"),
    (lambda: L.ReLU(name=""), TypeError, "`name` must be a non-empty string"),
    (lambda: vt.Sequential([L.ReLU(), "relu"]), TypeError, "Sequential takes ventanal layers"),
    (lambda: vt.Sequential([L.ReLU(), L.Input((3,))]), ValueError, "only be the first"),
])
def test_construction_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_training_only_keras_arguments_are_accepted():
    layer = L.Conv2D(1, 3, kernel_regularizer=None, bias_constraint=None, trainable=True)
    assert layer.filters == 1


@pytest.mark.parametrize("layer,shape,match", [
    (L.Conv2D(1, 3), (5, 5, 1), r"rank 4 \(batch, height, width, channels\).*add a batch axis"),
    (L.Conv2D(1, 3), (5, 5), r"add batch and channel axes"),
    (L.MaxPool1D(), (1, 2, 3, 4), r"rank 3 \(batch, steps, channels\)"),
    (L.GlobalMaxPool3D(), (1, 2, 3, 4), r"rank 5 \(batch, depth, height, width"),
    (L.Dense(2), (3,), r"rank >= 2"),
])
def test_rank_errors(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(np.ones(shape))
    with pytest.raises(ValueError, match=match):
        layer.compute_output_shape(shape)


@pytest.mark.parametrize("layer,shape,match", [
    (L.Conv2D(1, 6), (None, 5, 5, 1), "`kernel_size` 6 is larger than the padded input"),
    (L.Conv2D(1, 3, dilation_rate=(1, 3)), (None, 5, 6, 1), "spatial axis 1"),
    (L.MaxPool2D(3), (None, 2, 2, 1), "`pool_size` 3 is larger"),
    (L.AveragePooling1D(4), (None, 2, 1), "layer 'average_pooling1d'"),
])
def test_valid_windows_that_do_not_fit(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer.compute_output_shape(shape)
    with pytest.raises(ValueError, match=match):
        layer(np.ones((1,) + shape[1:]))


def test_other_call_and_model_errors():
    with pytest.raises(TypeError, match="inputs must hold real numbers"):
        L.ReLU()(np.array(["a"]))
    with pytest.raises(TypeError, match="inputs must be array-like"):
        L.ReLU()([[1], [1, 2]])
    with pytest.raises(ValueError, match="has no input shape yet"):
        _ = lesson_model().output_shape
    model = vt.Sequential([L.Conv2D(2, 3)])
    model.build((None, 6, 6, 3))
    with pytest.raises(ValueError, match="has weights of shapes"):
        model.build((None, 6, 6, 1))
    with pytest.raises(ValueError, match="needs a known number of input channels"):
        L.Conv2D(1, 3).build((None, 5, 5, None))
    with pytest.raises(ValueError, match="needs a known last axis"):
        L.Dense(1).build((None, None))
    with pytest.raises(ValueError, match="empty Sequential"):
        vt.Sequential().pop()
    with pytest.raises(TypeError, match="`input_shape` must be a sequence"):
        model.compute_output_shape(5)
    with pytest.raises(ValueError, match="sizes >= 0"):
        model.compute_output_shape((None, -1, 5, 3))


def test_unknown_spatial_sizes_propagate():
    model = vt.Sequential([L.Conv2D(2, 3), L.MaxPool2D(), L.GlobalAvgPool2D()])
    assert model.compute_output_shape((None, None, 8, 3)) == (None, 2)
    assert L.Conv2D(2, 3).compute_output_shape((None, None, 8, 3)) == (None, None, 6, 2)


# ---------------------------------------------------------------------------
# layer by layer against Keras
# ---------------------------------------------------------------------------

KERAS_CASES = [
    ("Conv1D", dict(filters=3, kernel_size=4, padding="causal", dilation_rate=2), (2, 11, 2)),
    ("Conv1D", dict(filters=2, kernel_size=3, strides=2, padding="same"), (2, 10, 3)),
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), strides=(2, 1), padding="same",
                    activation="tanh"), (2, 7, 8, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, groups=2, dilation_rate=2), (1, 9, 9, 4)),
    ("Conv2D", dict(filters=2, kernel_size=2, data_format="channels_first"), (1, 3, 6, 5)),
    ("Conv3D", dict(filters=2, kernel_size=2, strides=(1, 2, 2), padding="same",
                    activation="elu"), (1, 4, 5, 6, 2)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 6, 3)),
    ("MaxPooling2D", dict(pool_size=2, strides=3), (1, 8, 8, 2)),
    ("MaxPooling3D", dict(pool_size=2, padding="same"), (1, 3, 5, 4, 2)),
    ("AveragePooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 8, 2)),
    ("AveragePooling2D", dict(pool_size=(2, 3), strides=(1, 2), padding="same",
                              data_format="channels_first"), (1, 2, 5, 7)),
    ("AveragePooling3D", dict(pool_size=2, strides=1), (1, 3, 4, 4, 2)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (2, 3, 4, 5, 2)),
    ("GlobalMaxPooling1D", dict(), (2, 6, 3)),
    ("Flatten", dict(data_format="channels_first"), (2, 3, 4, 5)),
    ("Dense", dict(units=3, activation="softmax"), (2, 4, 5)),
    ("ReLU", dict(max_value=0.5, negative_slope=0.3, threshold=0.1), (2, 9)),
    ("Activation", dict(activation="leaky_relu"), (3, 4)),
    ("Activation", dict(activation="sigmoid"), (3, 4)),
]


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip(
        "keras", reason="no Keras (live oracle): pip install -e '.[oracles]'"
    )


@pytest.mark.parametrize("class_name,kwargs,shape", KERAS_CASES)
def test_layer_matches_keras(keras, class_name, kwargs, shape):
    rng = np.random.default_rng(zlib.crc32(f"{class_name}{kwargs}".encode()))
    x = rng.standard_normal(shape).astype(np.float32)
    theirs = getattr(keras.layers, class_name)(**kwargs)
    want = np.asarray(theirs(x))
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()]
    if weights:
        theirs.set_weights(weights)
        want = np.asarray(theirs(x))
    ours = getattr(L, class_name)(**kwargs)
    if weights:
        ours.set_weights(weights)
    got = ours(x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    keras_shape = tuple(theirs.compute_output_shape((None,) + shape[1:]))
    assert ours.compute_output_shape((None,) + shape[1:]) == keras_shape
