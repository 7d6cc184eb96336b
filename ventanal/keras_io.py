"""Keras models and weights into ventanal, without TensorFlow.

Reads the files Keras writes:

* ``.keras`` (Keras 3's ``model.save``): a zip archive holding
  ``config.json`` (the architecture) and ``model.weights.h5``;
* ``.weights.h5`` (``model.save_weights``): the weights only, loaded into a
  model built with :mod:`ventanal.layers` by :func:`load_weights`;
* legacy ``.h5`` (``model.save("model.h5")``): HDF5 with the configuration
  in the ``model_config`` attribute and the weights under ``model_weights``.

The configuration is JSON (read with the standard library); the weights
are HDF5 and need ``h5py`` (``pip install ventanal[keras]``), imported only
when a file is read. TensorFlow and Keras are never imported.

Supported layers: the classes of :mod:`ventanal.layers` (``Conv1D/2D/3D``,
max and average pooling, global pooling, ``ReLU``, ``Activation``,
``Flatten``, ``Dense``) and ``InputLayer``, in a ``Sequential`` or in a
functional model whose layers form a chain. Anything else is refused with
an error naming the layer.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import layers as vl

__all__ = ["load_model", "load_weights", "model_from_config", "SUPPORTED_LAYERS"]

SUPPORTED_LAYERS: dict[str, type[vl.Layer]] = {
    cls.__name__: cls for cls in (
        vl.Conv1D, vl.Conv2D, vl.Conv3D,
        vl.MaxPooling1D, vl.MaxPooling2D, vl.MaxPooling3D,
        vl.AveragePooling1D, vl.AveragePooling2D, vl.AveragePooling3D,
        vl.GlobalAveragePooling1D, vl.GlobalAveragePooling2D, vl.GlobalAveragePooling3D,
        vl.GlobalMaxPooling1D, vl.GlobalMaxPooling2D, vl.GlobalMaxPooling3D,
        vl.ReLU, vl.Activation, vl.Flatten, vl.Dense)
}
# Keras's aliases, as older files may spell them.
SUPPORTED_LAYERS.update({
    "MaxPool1D": vl.MaxPooling1D, "MaxPool2D": vl.MaxPooling2D, "MaxPool3D": vl.MaxPooling3D,
    "AvgPool1D": vl.AveragePooling1D, "AvgPool2D": vl.AveragePooling2D,
    "AvgPool3D": vl.AveragePooling3D, "Convolution1D": vl.Conv1D, "Convolution2D": vl.Conv2D,
    "Convolution3D": vl.Conv3D,
    "GlobalAvgPool1D": vl.GlobalAveragePooling1D, "GlobalAvgPool2D": vl.GlobalAveragePooling2D,
    "GlobalAvgPool3D": vl.GlobalAveragePooling3D, "GlobalMaxPool1D": vl.GlobalMaxPooling1D,
    "GlobalMaxPool2D": vl.GlobalMaxPooling2D, "GlobalMaxPool3D": vl.GlobalMaxPooling3D,
})

# The configuration keys each layer reads; the others change training only
# (initialisers, regularisers, constraints) or are checked below.
_CONV_KEYS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
              "groups", "activation", "use_bias")
_POOL_KEYS = ("pool_size", "strides", "padding", "data_format")
_KEYS: dict[type, tuple[str, ...]] = {
    vl._Conv: _CONV_KEYS,
    vl._Pooling: _POOL_KEYS,
    vl._GlobalPooling: ("data_format", "keepdims"),
    vl.ReLU: ("max_value", "negative_slope", "threshold"),
    vl.Activation: ("activation",),
    vl.Flatten: ("data_format",),
    vl.Dense: ("units", "activation", "use_bias"),
}
# Options that change the computation and that ventanal does not implement:
# allowed only with these values.
_INERT = {"lora_rank": (None, 0), "quantization_config": (None,), "quantization_mode": (None,)}


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("reading Keras weights needs h5py: pip install 'ventanal[keras]' "
                          "(or pip install h5py)") from None
    return h5py


def _describe(entry: dict) -> str:
    config = entry.get("config") or {}
    name = config.get("name", entry.get("name", "?")) if isinstance(config, dict) else "?"
    return f"layer {name!r} ({entry.get('class_name', '?')})"


def _activation(value, entry: dict):
    # A serialised function looks like {"class_name": "function", "config": "relu"}.
    if isinstance(value, dict):
        value = value.get("config")
        if isinstance(value, dict):
            value = value.get("name")
    return value


def layer_from_config(entry: dict) -> vl.Layer:
    """One ventanal layer from one entry of a Keras model's ``layers`` list.

    Raises
    ------
    ValueError
        For a layer class or an option ventanal does not support.

    Examples
    --------
    >>> layer = layer_from_config({"class_name": "MaxPooling2D", "config": {
    ...     "name": "pool", "pool_size": [2, 2], "strides": [2, 2], "padding": "same",
    ...     "data_format": "channels_last", "trainable": True}})
    >>> layer.name, layer.pool_size, layer.padding
    ('pool', (2, 2), 'same')
    """
    class_name = entry.get("class_name")
    config = dict(entry.get("config") or {})
    if class_name == "InputLayer":
        shape = config.get("batch_shape", config.get("batch_input_shape"))
        if shape is None:
            raise ValueError(f"{_describe(entry)} has no batch_shape")
        return vl.InputLayer(batch_shape=shape, name=config.get("name"))
    registered = entry.get("registered_name")
    cls = SUPPORTED_LAYERS.get(class_name)
    if cls is None or (registered not in (None, class_name) and
                       not str(registered).startswith("keras")):
        supported = ", ".join(sorted(set(c.__name__ for c in SUPPORTED_LAYERS.values())))
        raise ValueError(f"{_describe(entry)} is not supported by ventanal; supported layers: "
                         f"{supported} (and InputLayer)")
    keys = next(k for base, k in _KEYS.items() if issubclass(cls, base))
    for option, allowed in _INERT.items():
        if config.get(option) not in allowed:
            raise ValueError(f"{_describe(entry)} uses {option}={config[option]!r}, which "
                             f"ventanal does not support")
    kwargs: dict[str, Any] = {key: config[key] for key in keys if key in config}
    for key in ("kernel_size", "strides", "dilation_rate", "pool_size"):
        if isinstance(kwargs.get(key), list):
            kwargs[key] = tuple(kwargs[key])
    if "activation" in kwargs:
        kwargs["activation"] = _activation(kwargs["activation"], entry)
    input_shape = config.get("batch_input_shape")
    try:
        layer = cls(**kwargs, name=config.get("name"), dtype=config.get("dtype"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{_describe(entry)}: {error}") from None
    if input_shape is not None:  # Keras 2 files put the input shape on the first layer
        layer.input_shape_arg = vl._shape(input_shape)
    return layer


def _inbound_names(entry: dict) -> list[str]:
    """Names of the layers feeding a functional model's layer (Keras 3 and Keras 2 formats)."""
    names: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            history = node.get("config", {}).get("keras_history") if isinstance(
                node.get("config"), dict) else None
            if history:
                names.append(history[0])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
                names.append(node[0])  # Keras 2: [layer_name, node_index, tensor_index, kwargs]
                return
            for value in node:
                walk(value)

    walk(entry.get("inbound_nodes", []))
    return names


def _chain(config: dict, kind: str) -> list[dict]:
    """The layer entries of a model, checked to form a chain."""
    entries = list(config.get("layers") or [])
    if kind in ("Functional", "Model"):
        previous = None
        for entry in entries:
            name = entry.get("name") or entry.get("config", {}).get("name")
            inbound = _inbound_names(entry)
            if previous is None:
                if inbound:
                    raise ValueError(f"{_describe(entry)} is the first layer but takes inputs "
                                     f"from {inbound}")
            elif inbound != [previous]:
                raise ValueError(f"the functional model is not a chain of layers: "
                                 f"{_describe(entry)} takes inputs from {inbound or 'nothing'}, "
                                 f"expected [{previous!r}]; only chains can be loaded")
            previous = name
    return entries


def model_from_config(model_config: dict) -> tuple[vl.Sequential, list[dict]]:
    """A ventanal Sequential (without weights) from a Keras model configuration.

    ``model_config`` is Keras's ``{"class_name": ..., "config": {...}}``.
    Returns the model and the layer entries in order (InputLayer included).
    """
    kind = model_config.get("class_name")
    config = model_config.get("config") or {}
    if kind not in ("Sequential", "Functional", "Model"):
        raise ValueError(f"only Sequential models and functional chains can be loaded, "
                         f"got a {kind!r} model")
    entries = _chain(config, kind)
    model = vl.Sequential(name=config.get("name"))
    for entry in entries:
        model.add(layer_from_config(entry))
    if not model.built:
        shape = (config.get("build_input_shape") or
                 (model_config.get("build_config") or {}).get("input_shape"))
        if shape is None and entries:
            shape = (entries[0].get("build_config") or {}).get("input_shape")
        if shape is not None:
            model.build(shape)
    return model, entries


# ---------------------------------------------------------------------------
# weights
# ---------------------------------------------------------------------------

def _keras3_keys(class_names: Sequence[str]) -> list[str]:
    """Group names Keras 3 gives the layers of a list: snake-case class name, then _1, _2..."""
    used: dict[str, int] = {}
    keys = []
    for class_name in class_names:
        base = vl._snake_case(class_name)
        if base in used:
            used[base] += 1
            keys.append(f"{base}_{used[base]}")
        else:
            used[base] = 0
            keys.append(base)
    return keys


def _read_keras3(store, model: vl.Sequential, class_names: Sequence[str],
                 source: str) -> list[np.ndarray]:
    """Flat weight list from a Keras 3 weights file (``layers/<key>/vars/<i>``)."""
    if "layers" not in store:
        raise ValueError(f"{source} has no 'layers' group: not a Keras 3 weights file")
    group = store["layers"]
    keys = _keras3_keys(class_names)
    offset = len(class_names) - len(model.layers)  # an InputLayer at the front
    weights: list[np.ndarray] = []
    for layer, key in zip(model.layers, keys[offset:], strict=True):
        count = len(layer.weight_names)
        if not count:
            continue
        if key not in group or "vars" not in group[key]:
            raise ValueError(f"{source} has no weights for layer {layer.name!r} "
                             f"({type(layer).__name__}) at layers/{key}/vars; the file's layers "
                             f"are {sorted(group)}")
        variables = group[key]["vars"]
        if len(variables) != count:
            raise ValueError(f"{source}: layer {layer.name!r} ({type(layer).__name__}) expects "
                             f"{count} arrays ({', '.join(layer.weight_names)}), the file has "
                             f"{len(variables)} at layers/{key}/vars")
        weights.extend(np.asarray(variables[str(i)]) for i in range(count))
    return weights


def _read_legacy(store, model: vl.Sequential, source: str) -> list[np.ndarray]:
    """Flat weight list from a legacy HDF5 file (layer groups with ``weight_names``)."""
    group = store["model_weights"] if "model_weights" in store else store
    if "layer_names" not in group.attrs:
        raise ValueError(f"{source} has no 'layer_names': not a Keras weights file")
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["layer_names"]]
    weighted = [layer for layer in model.layers if layer.weight_names]
    by_name = all(layer.name in names for layer in weighted)
    if not by_name:  # match layers with weights by order instead
        with_weights = [n for n in names if len(group[n].attrs.get("weight_names", [])) > 0]
        if len(with_weights) != len(weighted):
            raise ValueError(f"{source} holds weights for {len(with_weights)} layers "
                             f"({', '.join(with_weights)}), the model has {len(weighted)} layers "
                             f"with weights")
    weights: list[np.ndarray] = []
    for i, layer in enumerate(weighted):
        name = layer.name if by_name else with_weights[i]
        layer_group = group[name]
        weight_names = [n.decode() if isinstance(n, bytes) else str(n)
                        for n in layer_group.attrs.get("weight_names", [])]
        if len(weight_names) != len(layer.weight_names):
            raise ValueError(f"{source}: layer {layer.name!r} ({type(layer).__name__}) expects "
                             f"{len(layer.weight_names)} arrays, the file has "
                             f"{len(weight_names)} for {name!r}")
        weights.extend(np.asarray(layer_group[n]) for n in weight_names)
    return weights


def _is_zip(path) -> bool:
    return zipfile.is_zipfile(path)


def _open_weights(path, h5py):
    """The HDF5 weights store of a file, and whether it comes from a ``.keras`` archive."""
    if _is_zip(path):
        with zipfile.ZipFile(path) as archive:
            if "model.weights.h5" not in archive.namelist():
                raise ValueError(f"{os.fspath(path)!r} is a zip archive without "
                                 f"model.weights.h5: not a .keras file")
            data = archive.read("model.weights.h5")
        return h5py.File(io.BytesIO(data), "r")
    return h5py.File(path, "r")


def load_weights(model: vl.Sequential, filepath) -> None:
    """Load Keras weights into a ventanal model built with the same layers.

    ``filepath`` is a ``.weights.h5`` (``model.save_weights``), a ``.keras``
    archive or a legacy ``.h5``. Keras 3 files are matched layer by layer in
    order (their groups are named after the layer classes, as Keras does);
    legacy files by layer name, or in order when the names differ.

    Raises
    ------
    ValueError
        Missing layers, wrong counts or shapes (the message names the layer).
    ImportError
        Without h5py.
    """
    h5py = _h5py()
    source = repr(os.fspath(filepath))
    with _open_weights(filepath, h5py) as store:
        if "layers" in store:
            weights = _read_keras3(store, model, [type(layer).__name__ for layer in model.layers],
                                   source)
        else:
            weights = _read_legacy(store, model, source)
    model.set_weights(weights)


def _from_keras_object(keras_model) -> vl.Sequential:
    kind = type(keras_model).__name__
    config = {"class_name": "Sequential" if kind == "Sequential" else "Functional",
              "config": keras_model.get_config()}
    model, _ = model_from_config(config)
    if not model.built:
        shape = getattr(keras_model, "input_shape", None)
        if shape is not None:
            model.build(shape)
    model.set_weights([np.asarray(w) for w in keras_model.get_weights()])
    return model


def load_model(source) -> vl.Sequential:
    """A ventanal model from a Keras ``.keras`` or legacy ``.h5`` file, or a live Keras model.

    See :meth:`ventanal.Sequential.from_keras`.
    """
    if not isinstance(source, (str, bytes, os.PathLike)):
        if hasattr(source, "get_config") and hasattr(source, "get_weights"):
            return _from_keras_object(source)
        raise TypeError(f"`model` must be a path to a .keras or .h5 file or a Keras model, "
                        f"got {type(source).__name__}")
    path = os.fspath(source)
    if isinstance(path, bytes):
        path = path.decode()
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such Keras model file: {path!r}")
    if _is_zip(path):
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise ValueError(f"{path!r} is a zip archive without config.json: not a "
                                 f".keras file")
            model_config = json.loads(archive.read("config.json"))
        model, entries = model_from_config(model_config)
        class_names = [entry.get("class_name") for entry in entries]
        if model_config.get("class_name") == "Sequential":
            class_names = [c for c in class_names if c != "InputLayer"]
        h5py = _h5py()
        with _open_weights(path, h5py) as store:
            weights = _read_keras3(store, model, class_names, repr(path))
        model.set_weights(weights)
        return model
    h5py = _h5py()
    with h5py.File(path, "r") as store:
        if "model_config" not in store.attrs:
            raise ValueError(f"{path!r} holds no model configuration (a weights-only file?): "
                             f"build the model with vt.layers and call "
                             f"model.load_weights({path!r})")
        raw = store.attrs["model_config"]
        model_config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        model, _ = model_from_config(model_config)
        weights = _read_legacy(store, model, repr(path))
    model.set_weights(weights)
    return model
