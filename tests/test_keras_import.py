"""Keras models into ventanal: random stacks saved by Keras, loaded without TensorFlow.

The parity tests build real Keras models from random stacks of the supported
layers, give them random weights, save them (``.keras``, legacy ``.h5`` or
``.weights.h5``), load them with ventanal and compare every layer's output
and shape with Keras's. The error tests write the files by hand (JSON and
h5py), so they run without TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from support import keras_weights_h5

import ventanal as vt
from ventanal.layers.base import format_shape

h5py = pytest.importorskip("h5py")
L = vt.layers
ACTIVATIONS = ["relu", "linear", "sigmoid", "tanh", "leaky_relu", "elu", "softmax", None]


# ---------------------------------------------------------------------------
# random stacks (a stack is a list of (class name, kwargs), valid for its input)
# ---------------------------------------------------------------------------

def _spatial_layer(rng, rank: int, channels: int, data_format: str):
    kind = rng.choice(["conv", "conv", "conv", "max", "avg", "relu", "activation"])
    window = tuple(int(v) for v in rng.integers(1, 4, rank))
    strides = tuple(int(v) for v in rng.integers(1, 4, rank))
    fmt = {} if data_format == "channels_last" else {"data_format": data_format}
    if kind == "conv":
        dilated = rng.random() < 0.25
        filters = int(rng.integers(1, 5))
        groups = 1
        if rng.random() < 0.4 and channels % 2 == 0:
            groups, filters = 2, 2 * int(rng.integers(1, 3))
        paddings = ["valid", "same"] + (["causal"] if rank == 1 else [])
        activation = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
        return (f"Conv{rank}D", dict(
            filters=filters, kernel_size=window,
            strides=(1,) * rank if dilated else strides,
            dilation_rate=tuple(int(v) for v in rng.integers(1, 3, rank)) if dilated
            else (1,) * rank,
            padding=str(rng.choice(paddings)), groups=groups, activation=activation,
            use_bias=bool(rng.random() < 0.7), **fmt))
    if kind in ("max", "avg"):
        name = "MaxPooling" if kind == "max" else "AveragePooling"
        return (f"{name}{rank}D", dict(pool_size=window,
                                       strides=None if rng.random() < 0.4 else strides,
                                       padding=str(rng.choice(["valid", "same"])), **fmt))
    if kind == "relu":
        options = {}
        if rng.random() < 0.5:
            options = dict(max_value=float(rng.choice([None, 0.5, 6.0]) or 0) or None,
                           negative_slope=float(rng.choice([0.0, 0.1])),
                           threshold=float(rng.choice([0.0, 0.2])))
        return ("ReLU", options)
    return ("Activation", dict(activation=ACTIVATIONS[int(rng.integers(len(ACTIVATIONS) - 1))]))


def _head(rng, rank: int, data_format: str):
    """Optional layers that end the spatial part."""
    fmt = {} if data_format == "channels_last" else {"data_format": data_format}
    choice = rng.choice(["none", "global_avg", "global_max", "flatten", "dense"])
    if choice == "none":
        return []
    if choice == "dense":  # Dense on the channel axis of a spatial map
        return [("Dense", dict(units=int(rng.integers(1, 4)), activation="relu"))]
    if choice == "flatten":
        return [("Flatten", fmt), ("Dense", dict(units=int(rng.integers(1, 5)),
                                                 activation="softmax"))]
    name = "GlobalAveragePooling" if choice == "global_avg" else "GlobalMaxPooling"
    keepdims = bool(rng.random() < 0.3)
    return [(f"{name}{rank}D", dict(keepdims=keepdims, **fmt))] + (
        [] if keepdims else [("Dense", dict(units=2, use_bias=False))])


def _vt_model(stack) -> vt.Sequential:
    return vt.Sequential([getattr(L, name)(**kwargs) for name, kwargs in stack])


def random_stacks(count: int, seed: int):
    rng = np.random.default_rng(seed)
    stacks = []
    while len(stacks) < count:
        rank = int(rng.choice([1, 2, 3], p=[0.3, 0.55, 0.15]))
        data_format = "channels_first" if rank == 2 and rng.random() < 0.15 else "channels_last"
        channels = int(rng.integers(1, 4))
        sizes = rng.integers(4, 12 if rank < 3 else 7, rank)
        spatial = tuple(int(v) for v in sizes)
        shape = (channels,) + spatial if data_format == "channels_first" else \
            spatial + (channels,)
        stack = []
        try:
            for _ in range(int(rng.integers(1, 5))):
                current = _vt_model(stack).compute_output_shape((None,) + shape)
                in_channels = current[1] if data_format == "channels_first" else current[-1]
                stack.append(_spatial_layer(rng, rank, in_channels, data_format))
            stack += _head(rng, rank, data_format)
            _vt_model(stack).compute_output_shape((None,) + shape)
        except ValueError:
            continue  # a window larger than its input: draw again
        stacks.append((shape, stack))
    return stacks


STACKS = random_stacks(60, seed=31)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip(
        "keras", reason="no Keras (live oracle): pip install -e '.[oracles]'"
    )


def _keras_model(keras, shape, stack, seed):
    model = keras.Sequential([keras.Input(shape)] +
                             [getattr(keras.layers, name)(**kwargs) for name, kwargs in stack])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5
                       for w in model.get_weights()])
    return model


def _keras_feature_maps(keras, model, x):
    """Every layer's output, computed by Keras one sample at a time.

    One at a time because TF 2.21's default (oneDNN) Conv2D returns garbage for
    some batched inputs: a (2, 4, 2, 1) input, a 3x3 kernel, strides (1, 2) and
    SAME padding give values such as 4.7e37 that change from call to call,
    while each sample alone gives the right result (and ventanal's).
    """
    probe = keras.Model(model.inputs[0], [layer.output for layer in model.layers])
    samples = []
    for sample in x:
        maps = probe(sample[None])
        samples.append([np.asarray(m) for m in (maps if isinstance(maps, (list, tuple))
                                                else [maps])])
    return [np.concatenate(layer_maps) for layer_maps in zip(*samples, strict=True)]


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1:UserWarning")
@pytest.mark.parametrize("index", range(len(STACKS)),
                         ids=[f"{len(s[0]) - 1}d-{len(s[1])}layers-{i}"
                              for i, s in enumerate(STACKS)])
def test_random_stack_matches_keras(keras, tmp_path, index):
    shape, stack = STACKS[index]
    model = _keras_model(keras, shape, stack, seed=index)
    fmt = ["keras", "keras", "keras", "h5", "weights"][index % 5]
    if fmt == "keras":
        path = tmp_path / "model.keras"
        model.save(path)
        ours = vt.Sequential.from_keras(path)
    elif fmt == "h5":
        path = tmp_path / "model.h5"
        model.save(path)
        ours = vt.Sequential.from_keras(str(path))
    else:
        path = tmp_path / "model.weights.h5"
        model.save_weights(path)
        ours = _vt_model(stack)
        ours.build((None,) + shape)
        ours.load_weights(path)
    assert ours.input_shape == (None,) + shape
    x = np.random.default_rng(100 + index).standard_normal((2,) + shape).astype(np.float32)
    theirs = _keras_feature_maps(keras, model, x)
    mine = list(ours.feature_maps(x).values())
    assert len(mine) == len(theirs) == len(stack)
    for layer, got, want in zip(ours.layers, mine, theirs, strict=True):
        assert got.shape == want.shape, layer.name
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4, err_msg=layer.name)
    # shapes without data, as in summary(), against Keras's shape inference
    lines = []
    ours.summary(print_fn=lines.append)
    rows = {line.split(" ")[0]: line for line in lines[0].splitlines()}
    current = (None,) + shape
    for ours_layer, keras_layer in zip(ours.layers, model.layers, strict=True):
        keras_shape = tuple(keras_layer.compute_output_shape(current))
        assert ours_layer.compute_output_shape(current) == keras_shape
        assert format_shape(keras_shape) in rows[ours_layer.name]
        current = keras_shape
    assert ours.count_params() == model.count_params()


def test_live_keras_models_and_functional_chains(keras):
    shape, stack = STACKS[1]
    model = _keras_model(keras, shape, stack, seed=1)
    x = np.random.default_rng(0).standard_normal((3,) + shape).astype(np.float32)
    np.testing.assert_allclose(vt.Sequential.from_keras(model)(x),
                               _keras_feature_maps(keras, model, x)[-1], rtol=2e-4, atol=2e-4)
    inputs = keras.Input((9, 2))
    tensor = keras.layers.Conv1D(3, 3, padding="causal", activation="tanh")(inputs)
    tensor = keras.layers.MaxPool1D(2, padding="same")(tensor)
    tensor = keras.layers.GlobalAveragePooling1D()(tensor)
    functional = keras.Model(inputs, keras.layers.Dense(2)(tensor))
    x = np.random.default_rng(1).standard_normal((2, 9, 2)).astype(np.float32)
    np.testing.assert_allclose(vt.Sequential.from_keras(functional)(x), functional(x),
                               rtol=2e-4, atol=2e-4)


def test_saved_functional_chain(keras, tmp_path):
    inputs = keras.Input((8, 8, 1))
    tensor = keras.layers.Conv2D(2, 3, activation="relu")(inputs)
    tensor = keras.layers.Conv2D(2, 3)(tensor)
    model = keras.Model(inputs, keras.layers.MaxPooling2D()(tensor))
    model.save(tmp_path / "f.keras")
    ours = vt.Sequential.from_keras(tmp_path / "f.keras")
    assert [layer.name for layer in ours.layers] == [layer.name for layer in model.layers[1:]]
    x = np.random.default_rng(2).standard_normal((1, 8, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(ours(x), model(x), rtol=2e-4, atol=2e-4)


def test_the_seed_models_give_keras_numbers(keras):
    """The lesson's two keras.Sequential snippets, with vt names and the same weights."""
    image = np.random.default_rng(5).random((1, 28, 28, 1)).astype(np.float32)
    snippets = [
        lambda m: [m.layers.Conv2D(filters=64, kernel_size=3), m.layers.MaxPool2D(pool_size=2)],
        lambda m: [m.layers.Conv2D(filters=64, kernel_size=3, strides=1, padding="same",
                                   activation="relu"),
                   m.layers.MaxPool2D(pool_size=2, strides=1, padding="same")],
    ]
    for snippet in snippets:
        theirs = keras.Sequential([keras.Input((28, 28, 1))] + snippet(keras))
        ours = vt.Sequential(snippet(vt))
        ours.build((None, 28, 28, 1))
        ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(ours(image), theirs(image), rtol=1e-5, atol=1e-5)
        assert ours.output_shape == theirs.output_shape


def test_loading_does_not_import_tensorflow(keras, tmp_path):
    shape, stack = STACKS[0]
    model = _keras_model(keras, shape, stack, seed=0)
    model.save(tmp_path / "model.keras")
    x = np.random.default_rng(3).standard_normal((2,) + shape).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", _keras_feature_maps(keras, model, x)[-1])
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import ventanal as vt
        assert "h5py" not in sys.modules, "import ventanal loaded h5py"
        model = vt.Sequential.from_keras({str(tmp_path / "model.keras")!r})
        x = np.load({str(tmp_path / "x.npy")!r})
        maps = model.feature_maps(x)
        y = list(maps.values())[-1]
        np.testing.assert_allclose(y, np.load({str(tmp_path / "y.npy")!r}), rtol=2e-4, atol=2e-4)
        model.summary()
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
        assert not loaded, loaded
        print("NO-TENSORFLOW-OK")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "NO-TENSORFLOW-OK" in result.stdout


@pytest.mark.parametrize("name,kwargs,shape", [
    ("MaxPooling2D", dict(pool_size=3), (2, 2, 1)),
    ("Conv1D", dict(filters=1, kernel_size=5), (4, 1)),
    ("AveragePooling3D", dict(pool_size=(1, 1, 3)), (2, 2, 2, 1)),
])
def test_too_small_inputs_fail_in_both(keras, name, kwargs, shape):
    with pytest.raises(ValueError):
        keras.Sequential([keras.Input(shape), getattr(keras.layers, name)(**kwargs)])
    with pytest.raises(ValueError, match="larger than the padded input"):
        vt.Sequential([vt.layers.Input(shape), getattr(L, name)(**kwargs)])


# ---------------------------------------------------------------------------
# files written by hand: formats and error paths, without TensorFlow
# ---------------------------------------------------------------------------

def _conv_entry(name="conv2d", activation="relu", **extra):
    return {"module": "keras.layers", "class_name": "Conv2D", "registered_name": None,
            "config": {"name": name, "trainable": True,
                       "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                 "config": {"name": "float32"}},
                       "filters": 2, "kernel_size": [3, 3], "strides": [1, 1],
                       "padding": "valid", "data_format": "channels_last",
                       "dilation_rate": [1, 1], "groups": 1, "activation": activation,
                       "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform"},
                       "kernel_regularizer": None, **extra}}


def _input_entry(shape=(6, 6, 1)):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None, *shape], "dtype": "float32",
                       "name": "input_layer"}}


def _sequential(*entries):
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": "hand", "layers": list(entries)}}


def _write_keras(path, config, weights: bytes | None):
    with zipfile.ZipFile(path, "w") as archive:
        if config is not None:
            archive.writestr("config.json", json.dumps(config))
        if weights is not None:
            archive.writestr("model.weights.h5", weights)
    return path


KERNEL = np.arange(18, dtype=np.float32).reshape(3, 3, 1, 2) / 18
BIAS = np.array([0.5, -2.0], np.float32)


def test_hand_written_keras_archive(tmp_path):
    config = _sequential(_input_entry(), _conv_entry(),
                         {"class_name": "MaxPooling2D", "config": {
                             "name": "max_pooling2d", "pool_size": [2, 2], "strides": [2, 2],
                             "padding": "valid", "data_format": "channels_last"}})
    path = _write_keras(tmp_path / "m.keras", config,
                        keras_weights_h5({"conv2d": [KERNEL, BIAS], "max_pooling2d": []}))
    model = vt.Sequential.from_keras(path)
    assert model.name == "hand" and model.output_shape == (None, 2, 2, 2)
    np.testing.assert_array_equal(model.layers[0].kernel, KERNEL)
    x = np.ones((6, 6, 1), np.float32)
    expected = np.maximum(vt.conv(x[None], KERNEL) + BIAS, 0)
    np.testing.assert_allclose(model(x), vt.max_pool(expected)[0], rtol=1e-6)


def test_keras2_legacy_h5(tmp_path):
    """A tf.keras 2 file: batch_input_shape on the first layer, weight names with ':0'."""
    conv = _conv_entry(activation="linear", batch_input_shape=[None, 5, 5, 1])
    conv["config"]["dtype"] = "float32"
    config = {"class_name": "Sequential", "config": {"name": "old", "layers": [
        conv, {"class_name": "Flatten", "config": {"name": "flatten"}}]}}
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as store:
        store.attrs["model_config"] = json.dumps(config)
        weights = store.create_group("model_weights")
        weights.attrs["layer_names"] = [b"conv2d", b"flatten"]
        group = weights.create_group("conv2d")
        group.attrs["weight_names"] = [b"conv2d/kernel:0", b"conv2d/bias:0"]
        group.create_dataset("conv2d/kernel:0", data=KERNEL)
        group.create_dataset("conv2d/bias:0", data=BIAS)
        weights.create_group("flatten").attrs["weight_names"] = np.array([], dtype="S1")
    model = vt.Sequential.from_keras(path)
    assert model.input_shape == (None, 5, 5, 1) and model.output_shape == (None, 18)
    np.testing.assert_array_equal(model.layers[0].bias, BIAS)
    # the same file as weights only, into a model whose layer names differ (matched in order)
    other = vt.Sequential([L.Conv2D(2, 3, name="renamed"), L.Flatten()])
    other.load_weights(path)
    np.testing.assert_array_equal(other.layers[0].kernel, KERNEL)
    with pytest.raises(ValueError, match="holds weights for 1 layers"):
        vt.Sequential([L.Conv2D(2, 3, name="a"), L.Conv2D(2, 1, name="b")]).load_weights(path)


def test_weights_file_into_a_ventanal_model(tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(keras_weights_h5({"conv2d": [KERNEL, BIAS], "re_lu": []}))
    model = vt.Sequential([L.Conv2D(2, 3), L.ReLU()])
    model.load_weights(path)
    np.testing.assert_array_equal(model.get_weights()[1], BIAS)
    with pytest.raises(ValueError, match=r"no weights for layer 'conv2d_1' \(Conv2D\)"):
        vt.Sequential([L.Conv2D(2, 3), L.Conv2D(2, 3)]).load_weights(path)
    with pytest.raises(ValueError, match="expects 1 arrays"):
        vt.Sequential([L.Conv2D(2, 3, use_bias=False)]).load_weights(path)
    with pytest.raises(ValueError, match=r"`kernel` must have shape \(3, 3, 4, 2\)"):
        model = vt.Sequential([L.Conv2D(2, 3)])
        model.build((None, 6, 6, 4))
        model.load_weights(path)
    with pytest.raises(ValueError, match="holds no model configuration"):
        vt.Sequential.from_keras(path)


@pytest.mark.parametrize("config,match", [
    (_sequential(_input_entry(), {"class_name": "BatchNormalization",
                                  "config": {"name": "bn"}}),
     r"layer 'bn' \(BatchNormalization\) is not supported by ventanal; supported layers: "
     r"Activation, AveragePooling1D"),
    (_sequential(_input_entry(), {"class_name": "Dropout", "config": {"name": "drop",
                                                                      "rate": 0.5}}),
     r"layer 'drop' \(Dropout\) is not supported"),
    (_sequential(_input_entry(), _conv_entry(activation="gelu")),
     r"layer 'conv2d' \(Conv2D\): `activation` must be"),
    (_sequential(_input_entry(), _conv_entry(lora_rank=4)),
     r"layer 'conv2d' \(Conv2D\) uses lora_rank=4"),
    (_sequential(_input_entry(), {"class_name": "Conv2D", "registered_name": "MyConv>Conv2D",
                                  "config": {"name": "custom"}}),
     r"layer 'custom' \(Conv2D\) is not supported"),
    (_sequential(_input_entry(), _conv_entry(padding="causal")),
     r"layer 'conv2d' \(Conv2D\): `padding` of Conv2D must be one of"),
    (_sequential({"class_name": "InputLayer", "config": {"name": "in"}}),
     r"layer 'in' \(InputLayer\) has no batch_shape"),
    ({"class_name": "MyModel", "config": {}}, "only Sequential models and functional chains"),
    ({"class_name": "Functional", "config": {"name": "f", "layers": [
        dict(_input_entry(), name="input_layer", inbound_nodes=[]),
        dict(_conv_entry("a"), name="a", inbound_nodes=[{"args": [{"config": {
            "keras_history": ["input_layer", 0, 0]}}]}]),
        dict(_conv_entry("b"), name="b", inbound_nodes=[{"args": [{"config": {
            "keras_history": ["input_layer", 0, 0]}}]}]),
    ]}}, r"not a chain of layers: layer 'b' \(Conv2D\) takes inputs from \['input_layer'\]"),
])
def test_unsupported_models_name_the_layer(tmp_path, config, match):
    path = _write_keras(tmp_path / "bad.keras", config, keras_weights_h5({}))
    with pytest.raises(ValueError, match=match):
        vt.Sequential.from_keras(path)


def test_file_errors(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no such Keras model file"):
        vt.Sequential.from_keras(tmp_path / "missing.keras")
    with pytest.raises(TypeError, match="must be a path to a .keras or .h5 file"):
        vt.Sequential.from_keras(42)
    no_config = _write_keras(tmp_path / "a.keras", None, keras_weights_h5({}))
    with pytest.raises(ValueError, match="without config.json"):
        vt.Sequential.from_keras(no_config)
    no_weights = _write_keras(tmp_path / "b.keras", _sequential(_input_entry(), _conv_entry()),
                              None)
    with pytest.raises(ValueError, match="without model.weights.h5"):
        vt.Sequential.from_keras(no_weights)
    not_keras3 = tmp_path / "c.weights.h5"
    with h5py.File(not_keras3, "w") as store:
        store.create_group("something")
    with pytest.raises(ValueError, match="no 'layer_names'"):
        vt.Sequential([L.Conv2D(2, 3)]).load_weights(not_keras3)
    monkeypatch.setitem(sys.modules, "h5py", None)
    good = _write_keras(tmp_path / "d.keras", _sequential(_input_entry(), _conv_entry()),
                        b"unused")
    with pytest.raises(ImportError, match=r"pip install 'ventanal\[keras\]'"):
        vt.Sequential.from_keras(good)
