"""Keras models and weights into ventanal layers, without TensorFlow.

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

:meth:`ventanal.Sequential.from_keras` and :meth:`ventanal.Sequential.load_weights`
are the front door: this module reads a file (or a live Keras model) into
a :class:`KerasModel` (layers, input shape and weights) and never builds a
``Sequential`` itself.

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
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .base import Layer, ShapeLike, as_shape, snake_case
from .convolutional import BaseConv, Conv1D, Conv2D, Conv3D
from .core import Activation, Dense, Flatten, InputLayer, ReLU
from .keras_files import CONFIG_MAX_BYTES, FILE_ERRORS, archive_member, file_error, read_array
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    BaseGlobalPooling,
    BasePooling,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)

__all__ = ["KerasModel", "FilePath", "ModelSource", "LayeredModel", "read_model", "read_config",
           "load_weights", "layer_from_config", "SUPPORTED_LAYERS"]

#: A Keras file's path.
FilePath = str | os.PathLike[str]
#: A Keras file's path, or a live Keras model (any object with ``get_config`` and
#: ``get_weights``: Keras is not a dependency, so its classes are not named here).
ModelSource = str | bytes | os.PathLike[str] | os.PathLike[bytes] | Any


class LayeredModel(Protocol):
    """What :func:`load_weights` needs of a model (a :class:`ventanal.Sequential`)."""

    @property
    def layers(self) -> Sequence[Layer]: ...

    def set_weights(self, weights: Sequence[npt.ArrayLike]) -> None: ...

SUPPORTED_LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (
        Conv1D, Conv2D, Conv3D,
        MaxPooling1D, MaxPooling2D, MaxPooling3D,
        AveragePooling1D, AveragePooling2D, AveragePooling3D,
        GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
        GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
        ReLU, Activation, Flatten, Dense)
}
# Keras's aliases, as older files may spell them.
SUPPORTED_LAYERS.update({
    "MaxPool1D": MaxPooling1D, "MaxPool2D": MaxPooling2D, "MaxPool3D": MaxPooling3D,
    "AvgPool1D": AveragePooling1D, "AvgPool2D": AveragePooling2D,
    "AvgPool3D": AveragePooling3D, "Convolution1D": Conv1D, "Convolution2D": Conv2D,
    "Convolution3D": Conv3D,
    "GlobalAvgPool1D": GlobalAveragePooling1D, "GlobalAvgPool2D": GlobalAveragePooling2D,
    "GlobalAvgPool3D": GlobalAveragePooling3D, "GlobalMaxPool1D": GlobalMaxPooling1D,
    "GlobalMaxPool2D": GlobalMaxPooling2D, "GlobalMaxPool3D": GlobalMaxPooling3D,
})

# The configuration keys each layer reads; the others change training only
# (initialisers, regularisers, constraints) or are checked below.
_CONV_KEYS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
              "groups", "activation", "use_bias")
_POOL_KEYS = ("pool_size", "strides", "padding", "data_format")
_KEYS: dict[type, tuple[str, ...]] = {
    BaseConv: _CONV_KEYS,
    BasePooling: _POOL_KEYS,
    BaseGlobalPooling: ("data_format", "keepdims"),
    ReLU: ("max_value", "negative_slope", "threshold"),
    Activation: ("activation",),
    Flatten: ("data_format",),
    Dense: ("units", "activation", "use_bias"),
}
# Options that change the computation and that ventanal does not implement:
# allowed only with these values.
_INERT = {"lora_rank": (None, 0), "quantization_config": (None,), "quantization_mode": (None,)}


def _h5py() -> Any:  # the h5py module (untyped)
    try:
        import h5py
    except ImportError:
        raise ImportError("reading Keras weights needs h5py: pip install 'ventanal[keras]' "
                          "(or pip install h5py)") from None
    return h5py


def _describe(entry: dict[str, Any]) -> str:
    config = entry.get("config") or {}
    name = config.get("name", entry.get("name", "?")) if isinstance(config, dict) else "?"
    return f"layer {name!r} ({entry.get('class_name', '?')})"


def _activation(value: Any) -> Any:
    # A serialised function looks like {"class_name": "function", "config": "relu"}.
    if isinstance(value, dict):
        value = value.get("config")
        if isinstance(value, dict):
            value = value.get("name")
    return value


def layer_from_config(entry: dict[str, Any]) -> Layer:
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
        return InputLayer(batch_shape=shape, name=config.get("name"))
    registered = entry.get("registered_name")
    cls = SUPPORTED_LAYERS.get(class_name) if isinstance(class_name, str) else None
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
        kwargs["activation"] = _activation(kwargs["activation"])
    input_shape = config.get("batch_input_shape")
    try:
        layer = cls(**kwargs, name=config.get("name"), dtype=config.get("dtype"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{_describe(entry)}: {error}") from None
    if input_shape is not None:  # Keras 2 files put the input shape on the first layer
        layer.input_shape_arg = as_shape(input_shape)
    return layer


def _inbound_names(entry: dict[str, Any]) -> list[str]:
    """Names of the layers feeding a functional model's layer (Keras 3 and Keras 2 formats)."""
    names: list[str] = []

    def walk(node: Any) -> None:
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


def _chain(config: dict[str, Any], kind: str) -> list[dict[str, Any]]:
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


@dataclass
class KerasModel:
    """A Keras model read as ventanal layers.

    ``Sequential(layers, name=name)``, built for ``input_shape`` when no
    layer fixes it, then given ``weights``, is the model
    (:meth:`ventanal.Sequential.from_keras` does exactly that).

    Attributes
    ----------
    name : str or None
        The model's name.
    layers : list of Layer
        In order, an :class:`~ventanal.layers.InputLayer` first when the
        model has one.
    input_shape : sequence or None
        The shape the model was built with (batch axis first), if known, as
        the file or model gives it (a list from JSON).
    weights : list of numpy.ndarray
        Every layer's weights, in Keras's order (empty for a configuration).
    """

    name: str | None
    layers: list[Layer]
    input_shape: ShapeLike | None
    weights: list[np.ndarray]


def _computing(layers: Sequence[Layer]) -> list[Layer]:
    """The layers a Sequential keeps (an InputLayer only sets its input shape)."""
    return [layer for layer in layers if not isinstance(layer, InputLayer)]


def read_config(model_config: dict[str, Any]) -> tuple[KerasModel, list[dict[str, Any]]]:
    """The layers of a Keras model configuration (no weights), and its layer entries.

    ``model_config`` is Keras's ``{"class_name": ..., "config": {...}}``.
    Returns the model, without weights, and the layer entries in order
    (InputLayer included).

    Examples
    --------
    >>> model, entries = read_config({"class_name": "Sequential", "config": {
    ...     "name": "tiny", "layers": [{"class_name": "ReLU", "config": {"name": "r"}}],
    ...     "build_input_shape": [None, 4]}})
    >>> model.name, [layer.name for layer in model.layers], model.input_shape
    ('tiny', ['r'], [None, 4])
    """
    kind = model_config.get("class_name")
    config = model_config.get("config") or {}
    if kind not in ("Sequential", "Functional", "Model"):
        raise ValueError(f"only Sequential models and functional chains can be loaded, "
                         f"got a {kind!r} model")
    entries = _chain(config, kind)
    layers = [layer_from_config(entry) for entry in entries]
    shape = (config.get("build_input_shape") or
             (model_config.get("build_config") or {}).get("input_shape"))
    if shape is None and entries:
        shape = (entries[0].get("build_config") or {}).get("input_shape")
    return KerasModel(config.get("name"), layers, shape, []), entries


# ---------------------------------------------------------------------------
# weights
# ---------------------------------------------------------------------------

def _keras3_keys(class_names: Sequence[str]) -> list[str]:
    """Group names Keras 3 gives the layers of a list: snake-case class name, then _1, _2..."""
    used: dict[str, int] = {}
    keys = []
    for class_name in class_names:
        base = snake_case(class_name)
        if base in used:
            used[base] += 1
            keys.append(f"{base}_{used[base]}")
        else:
            used[base] = 0
            keys.append(base)
    return keys


def _read_keras3(store: Any, layers: Sequence[Layer], class_names: Sequence[str],
                 source: str) -> list[np.ndarray]:
    """Flat weight list from a Keras 3 weights file (``layers/<key>/vars/<i>``)."""
    if "layers" not in store:
        raise ValueError(f"{source} has no 'layers' group: not a Keras 3 weights file")
    group = store["layers"]
    keys = _keras3_keys(class_names)
    layers = _computing(layers)
    offset = len(class_names) - len(layers)  # an InputLayer at the front
    weights: list[np.ndarray] = []
    for layer, key in zip(layers, keys[offset:], strict=True):
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
        weights.extend(read_array(variables[str(i)], source) for i in range(count))
    return weights


def _read_legacy(store: Any, layers: Sequence[Layer], source: str) -> list[np.ndarray]:
    """Flat weight list from a legacy HDF5 file (layer groups with ``weight_names``)."""
    group = store["model_weights"] if "model_weights" in store else store
    if "layer_names" not in group.attrs:
        raise ValueError(f"{source} has no 'layer_names': not a Keras weights file")
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["layer_names"]]
    weighted = [layer for layer in layers if layer.weight_names]
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
        weights.extend(read_array(layer_group[n], source) for n in weight_names)
    return weights


def _open_weights(path: FilePath, h5py: Any) -> Any:
    """The HDF5 weights store of a file, and whether it comes from a ``.keras`` archive."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if "model.weights.h5" not in archive.namelist():
                raise ValueError(f"{os.fspath(path)!r} is a zip archive without "
                                 f"model.weights.h5: not a .keras file")
            data = archive_member(archive, "model.weights.h5", repr(os.fspath(path)))
        return h5py.File(io.BytesIO(data), "r")
    return h5py.File(path, "r")


def load_weights(model: LayeredModel, filepath: FilePath) -> None:
    """Load Keras weights into a ventanal model built with the same layers.

    ``filepath`` is a ``.weights.h5`` (``model.save_weights``), a ``.keras``
    archive or a legacy ``.h5``. Keras 3 files are matched layer by layer in
    order (their groups are named after the layer classes, as Keras does);
    legacy files by layer name, or in order when the names differ.

    Parameters
    ----------
    model : ventanal.Sequential
        Only its ``layers`` and ``set_weights`` are used (this module does
        not import :mod:`ventanal.layers.sequential`, which imports it).
    filepath : str or path

    Raises
    ------
    ValueError
        Missing layers, wrong counts or shapes (the message names the layer).
    ImportError
        Without h5py.
    """
    h5py = _h5py()
    source = repr(os.fspath(filepath))
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"no such Keras weights file: {source}")
    try:
        with _open_weights(filepath, h5py) as store:
            if "layers" in store:
                weights = _read_keras3(store, model.layers,
                                       [type(layer).__name__ for layer in model.layers], source)
            else:
                weights = _read_legacy(store, model.layers, source)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise file_error(filepath, error) from None
    except ValueError:
        raise
    except FILE_ERRORS as error:
        raise file_error(filepath, error) from None
    model.set_weights(weights)


def _from_keras_object(keras_model: Any) -> KerasModel:
    kind = type(keras_model).__name__
    config = {"class_name": "Sequential" if kind == "Sequential" else "Functional",
              "config": keras_model.get_config()}
    model, _ = read_config(config)
    if model.input_shape is None:
        model.input_shape = getattr(keras_model, "input_shape", None)
    model.weights = [np.asarray(w) for w in keras_model.get_weights()]
    return model


def read_model(source: ModelSource) -> KerasModel:
    """The layers, input shape and weights of a Keras ``.keras`` or legacy ``.h5`` file, or of
    a live Keras model.

    See :meth:`ventanal.Sequential.from_keras`, which builds the model.
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
    try:
        return _read_model_file(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise file_error(path, error) from None
    except ValueError as error:
        if path in str(error):
            raise
        raise ValueError(f"{path!r}: {error}") from None
    except FILE_ERRORS as error:
        raise file_error(path, error) from None


def _read_model_file(path: str) -> KerasModel:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise ValueError(f"{path!r} is a zip archive without config.json: not a "
                                 f".keras file")
            model_config = json.loads(archive_member(archive, "config.json", repr(path),
                                                      CONFIG_MAX_BYTES))
        model, entries = read_config(model_config)
        class_names: list[str] = [entry["class_name"] for entry in entries]  # checked
        if model_config.get("class_name") == "Sequential":
            class_names = [c for c in class_names if c != "InputLayer"]
        h5py = _h5py()
        with _open_weights(path, h5py) as store:
            model.weights = _read_keras3(store, model.layers, class_names, repr(path))
        return model
    h5py = _h5py()
    with h5py.File(path, "r") as store:
        if "model_config" not in store.attrs:
            raise ValueError(f"{path!r} holds no model configuration (a weights-only file?): "
                             f"build the model with vt.layers and call "
                             f"model.load_weights({path!r})")
        raw = store.attrs["model_config"]
        model, _ = read_config(json.loads(raw.decode() if isinstance(raw, bytes) else raw))
        model.weights = _read_legacy(store, model.layers, repr(path))
    return model
