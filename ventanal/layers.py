"""Keras-style layers and ``Sequential``, with shape inference and receptive fields.

The layers take Keras 3's argument names and defaults, so porting a model
is a matter of renaming ``keras.layers`` to ``vt.layers``::

    import ventanal as vt

    model = vt.Sequential([
        vt.layers.Conv2D(filters=64, kernel_size=3, strides=1, padding="same",
                         activation="relu"),
        vt.layers.MaxPool2D(pool_size=2, strides=1, padding="same"),
    ])

Each layer runs one op of :mod:`ventanal.ops` and asks :mod:`ventanal.geometry`
for its shapes and receptive fields; nothing here slides a window itself.

Conventions, as in Keras:

* Inputs are batch first: ``(batch, steps, channels)`` for the 1-D layers,
  ``(batch, height, width, channels)`` for 2-D and
  ``(batch, depth, height, width, channels)`` for 3-D (channels first with
  ``data_format="channels_first"``). :class:`Sequential` also accepts one
  sample without its batch axis (see :meth:`Sequential.__call__`).
* Layers compute in their ``dtype`` (``"float32"`` by default, Keras's
  policy): inputs and weights are cast to it.
* Kernels are stored in Keras's layout (spatial + ``(in_channels // groups,
  filters)``, HWIO in 2-D; ``(in_features, units)`` for ``Dense``), so
  ``get_weights``/``set_weights`` exchange arrays with Keras unchanged.
* A window that does not fit in its input (``padding="valid"``) is a
  ``ValueError`` when the shape is inferred, as in Keras.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import geometry
from .ops import activations
from .ops.conv import conv
from .ops.pool import global_pool, pool

__all__ = [
    "Layer",
    "InputLayer",
    "Input",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "ReLU",
    "Activation",
    "Flatten",
    "Dense",
    "Sequential",
    "LayerField",
    "ReceptiveFieldTable",
    "receptive_field",
]

Shape = tuple[int | None, ...]

# Keras arguments that change training only; accepted and ignored so that ported
# code runs unchanged.
_TRAINING_ONLY = frozenset({"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                            "kernel_constraint", "bias_constraint", "trainable"})

_AXIS_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def _snake_case(name: str) -> str:
    """Keras's default layer name for a class name (``MaxPooling2D`` -> ``max_pooling2d``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _positive_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer >= 1, got {value!r} "
                        f"({type(value).__name__})")
    if value < 1:
        raise ValueError(f"`{name}` must be an integer >= 1, got {value}")
    return int(value)


def _bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False, got {value!r}")
    return bool(value)


def _dtype(dtype) -> np.dtype:
    if isinstance(dtype, dict):  # a Keras DTypePolicy config
        dtype = dtype.get("config", {}).get("name", "float32")
    if dtype is None:
        return np.dtype(np.float32)
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        dtype = "float16" if dtype == "mixed_float16" else "float32"
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result is None or result.kind != "f":
        raise ValueError(f"`dtype` must be a float dtype ('float16', 'float32' or 'float64'), "
                         f"got {dtype!r}")
    return result


def _shape(shape, name: str = "input_shape") -> Shape:
    """A shape as a tuple of ints (or None for an unknown size)."""
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Iterable):
        raise TypeError(f"`{name}` must be a sequence of integers (None for an unknown size), "
                        f"got {shape!r}")
    result = []
    for size in shape:
        if size is None:
            result.append(None)
            continue
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral):
            raise TypeError(f"`{name}` must hold integers or None, got {tuple(shape)!r}")
        if size < 0:
            raise ValueError(f"`{name}` must hold sizes >= 0, got {tuple(shape)!r}")
        result.append(int(size))
    return tuple(result)


def _format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _activation_name(activation) -> str:
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation.lower()
    return getattr(activation, "__name__", repr(activation))


# ---------------------------------------------------------------------------
# initialisers (Keras's variance scaling family)
# ---------------------------------------------------------------------------

def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Keras's ``compute_fans``: kernels are spatial + (in, out)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(rng: np.random.Generator, shape, stddev: float) -> np.ndarray:
    """Normal samples redrawn until they lie within two standard deviations."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values * stddev


def _variance_scaling(scale: float, mode: str, distribution: str):
    def initializer(shape, rng):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = scale / max(1.0, fan)
        if distribution == "truncated_normal":
            return _truncated_normal(rng, shape, math.sqrt(variance) / 0.87962566103423978)
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, shape)
    return initializer


_INITIALIZERS: dict[str, Callable] = {
    "glorot_uniform": _variance_scaling(1.0, "fan_avg", "uniform"),
    "glorot_normal": _variance_scaling(1.0, "fan_avg", "truncated_normal"),
    "he_uniform": _variance_scaling(2.0, "fan_in", "uniform"),
    "he_normal": _variance_scaling(2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": _variance_scaling(1.0, "fan_in", "uniform"),
    "lecun_normal": _variance_scaling(1.0, "fan_in", "truncated_normal"),
    "random_uniform": lambda shape, rng: rng.uniform(-0.05, 0.05, shape),
    "random_normal": lambda shape, rng: rng.standard_normal(shape) * 0.05,
    "truncated_normal": lambda shape, rng: _truncated_normal(rng, shape, 0.05),
    "zeros": lambda shape, rng: np.zeros(shape),
    "ones": lambda shape, rng: np.ones(shape),
}


def _initializer(value, name: str):
    """A string of :data:`_INITIALIZERS` or a callable ``f(shape, dtype) -> array``."""
    if isinstance(value, str):
        key = _snake_case(value)
        if key in _INITIALIZERS:
            return key
    elif callable(value):
        return value
    raise ValueError(f"`{name}` must be a callable f(shape, dtype) or one of "
                     f"{', '.join(map(repr, _INITIALIZERS))}, got {value!r}")


def _initial_value(initializer, shape: tuple[int, ...], dtype: np.dtype,
                   rng: np.random.Generator) -> np.ndarray:
    if isinstance(initializer, str):
        values = _INITIALIZERS[initializer](shape, rng)
    else:
        values = initializer(shape, dtype)
    values = np.asarray(values, dtype=dtype)
    if values.shape != shape:
        raise ValueError(f"initialiser {initializer!r} returned shape {values.shape}, "
                         f"expected {shape}")
    return values


# ---------------------------------------------------------------------------
# the base layer
# ---------------------------------------------------------------------------

class Layer:
    """Base of every ventanal layer (Keras's ``keras.layers.Layer``, inference only).

    Subclasses set ``expected_rank`` (the input rank with the batch axis, or
    ``None`` for any rank of at least ``min_rank``) and implement
    ``_output_shape``, ``call`` and, when they hold weights, ``_weight_shapes``.

    Parameters
    ----------
    name : str, optional
        Default: the snake-case class name, made unique inside a
        :class:`Sequential` (``conv2d``, ``conv2d_1``...).
    dtype : str, optional
        Float dtype of the computation and weights. Default ``"float32"``.
    input_shape : tuple of int, optional
        Shape of one sample, without the batch axis (Keras's ``input_shape``
        argument): a :class:`Sequential` starting with this layer is built
        at once.
    """

    expected_rank: int | None = None
    min_rank: int = 1
    weight_names: tuple[str, ...] = ()

    def __init__(self, *, name: str | None = None, dtype=None, input_shape=None,
                 **kwargs):
        unknown = sorted(set(kwargs) - _TRAINING_ONLY)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument "
                            f"{unknown[0]!r}")
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"`name` must be a non-empty string, got {name!r}")
        self._name = name
        self.dtype = _dtype(dtype)
        self.input_shape_arg: Shape | None = (
            None if input_shape is None else (None,) + _shape(input_shape))
        self.input_shape: Shape | None = None
        self.built = False
        self._weights: list[np.ndarray] = []

    # -- naming and display --------------------------------------------------
    @property
    def name(self) -> str:
        """The layer's name (the snake-case class name unless given)."""
        return self._name if self._name is not None else _snake_case(type(self).__name__)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (Keras names); ``type(layer)(**config)`` clones the layer."""
        config: dict[str, Any] = {"name": self.name}
        if self.dtype != np.float32:
            config["dtype"] = self.dtype.name
        return config

    def __repr__(self) -> str:
        config = self.get_config()
        args = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({args})"

    # -- shapes --------------------------------------------------------------
    def _check_rank(self, shape: Shape) -> None:
        rank = len(shape)
        if self.expected_rank is not None and rank != self.expected_rank:
            n = self.expected_rank - 2
            axes = ", ".join(_AXIS_NAMES.get(n, ()))
            hint = ""
            if rank == self.expected_rank - 1:
                hint = "; add a batch axis (x[None]) for one sample"
            elif rank == self.expected_rank - 2:
                hint = ("; add batch and channel axes (x[None, ..., None]) for one "
                        "single-channel input")
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) expects inputs of "
                             f"rank {self.expected_rank} (batch, {axes}, channels), got shape "
                             f"{_format_shape(shape)}{hint}")
        if self.expected_rank is None and rank < self.min_rank:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) expects inputs of "
                             f"rank >= {self.min_rank}, got shape {_format_shape(shape)}")

    def compute_output_shape(self, input_shape) -> Shape:
        """Output shape for an input shape (batch axis included; ``None`` for unknown sizes).

        Raises
        ------
        ValueError
            Wrong rank, or a window that does not fit (``padding="valid"``).
        """
        shape = _shape(input_shape)
        self._check_rank(shape)
        return self._output_shape(shape)

    def _output_shape(self, shape: Shape) -> Shape:
        return shape

    # -- weights -------------------------------------------------------------
    def _weight_shapes(self, input_shape: Shape) -> list[tuple[int, ...]]:
        return []

    def _create_weights(self, input_shape: Shape) -> None:
        """Fill ``self._weights`` for ``input_shape``; layers with weights override this."""

    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included).

        Weights already set (by :meth:`set_weights` or an earlier build) are
        kept when they fit the input.
        """
        shape = _shape(input_shape)
        self._check_rank(shape)
        expected = self._weight_shapes(shape)
        if self._weights:
            found = [w.shape for w in self._weights]
            if found != expected:
                raise ValueError(f"layer {self.name!r} ({type(self).__name__}) has weights of "
                                 f"shapes {found} but inputs of shape {_format_shape(shape)} "
                                 f"need {expected}")
        else:
            self._create_weights(shape)
        self._output_shape(shape)  # refuses windows that do not fit
        self.input_shape = shape
        self.built = True

    @property
    def weights(self) -> list[np.ndarray]:
        """The weight arrays (not copies), in Keras's order (kernel, then bias)."""
        return list(self._weights)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights, in Keras's order and layout."""
        return [w.copy() for w in self._weights]

    def set_weights(self, weights: Sequence) -> None:
        """Set the weights from arrays in Keras's order and layout (cast to ``dtype``).

        An unbuilt layer with weights takes their shapes, which fixes its
        number of input channels (or features).

        Raises
        ------
        ValueError
            Wrong number of arrays or wrong shapes.
        """
        arrays = [np.asarray(w) for w in weights]
        if len(arrays) != len(self.weight_names):
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) has "
                             f"{len(self.weight_names)} weights "
                             f"({', '.join(self.weight_names) or 'none'}), "
                             f"got {len(arrays)} arrays")
        if not arrays:
            return
        expected = (self._weight_shapes(self.input_shape) if self.input_shape is not None
                    else self._weight_shapes_from(arrays))
        for array, name, shape in zip(arrays, self.weight_names, expected, strict=True):
            if array.shape != shape:
                raise ValueError(f"layer {self.name!r} ({type(self).__name__}): `{name}` must "
                                 f"have shape {shape}, got {array.shape}")
        self._weights = [array.astype(self.dtype, copy=True) for array in arrays]
        self.built = True

    def _weight_shapes_from(self, arrays: list[np.ndarray]) -> list[tuple[int, ...]]:
        return [a.shape for a in arrays]

    def count_params(self) -> int:
        """Number of weights (0 for an unbuilt layer with weights; see :meth:`build`)."""
        return int(sum(w.size for w in self._weights))

    # -- computation ---------------------------------------------------------
    def __call__(self, inputs) -> np.ndarray:
        """Apply the layer to a batch (building it from the input's shape if needed)."""
        try:
            x = np.asarray(inputs)
        except Exception as error:
            raise TypeError(f"layer {self.name!r} ({type(self).__name__}): inputs must be "
                            f"array-like, got {type(inputs).__name__}: {error}") from None
        if x.dtype.kind not in "biuf":
            raise TypeError(f"layer {self.name!r} ({type(self).__name__}): inputs must hold "
                            f"real numbers, got dtype {x.dtype}")
        x = x.astype(self.dtype, copy=False)
        self._check_rank(x.shape)
        if not self.built or (self.weight_names and not self._weights):
            self.build((None,) + x.shape[1:])
        else:
            self._check_weights_fit(x.shape)
        return self.call(x)

    def _check_weights_fit(self, shape: tuple[int, ...]) -> None:
        if self._weights:
            expected = self._weight_shapes((None,) + tuple(shape[1:]))
            if [w.shape for w in self._weights] != expected:
                raise ValueError(f"layer {self.name!r} ({type(self).__name__}) was built for "
                                 f"weights {[w.shape for w in self._weights]}, but inputs of "
                                 f"shape {tuple(shape)} need {expected}")

    def call(self, x: np.ndarray) -> np.ndarray:
        """The computation on a batch already cast to ``dtype``."""
        return x

    # -- receptive fields ----------------------------------------------------
    def _field_step(self, fields: tuple[geometry.Field, ...],
                    input_shape: Shape) -> tuple[geometry.Field, ...]:
        """Receptive fields of the outputs, given those of the inputs (per model axis)."""
        return fields


class _Weighted(Layer):
    """A layer with a kernel and an optional bias, initialised from a seed."""

    def __init__(self, *, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self._activation_name = _activation_name(activation)
        self.use_bias = _bool(use_bias, "use_bias")
        self.kernel_initializer = _initializer(kernel_initializer, "kernel_initializer")
        self.bias_initializer = _initializer(bias_initializer, "bias_initializer")
        if seed is not None and (isinstance(seed, (bool, np.bool_)) or
                                 not isinstance(seed, numbers.Integral)):
            raise TypeError(f"`seed` must be None or an integer, got {seed!r}")
        self.seed = seed
        self.weight_names = ("kernel", "bias") if self.use_bias else ("kernel",)

    def _create_weights(self, input_shape: Shape) -> None:
        rng = np.random.default_rng(self.seed)
        shapes = self._weight_shapes(input_shape)
        weights = [_initial_value(self.kernel_initializer, shapes[0], self.dtype, rng)]
        if self.use_bias:
            weights.append(_initial_value(self.bias_initializer, shapes[1], self.dtype, rng))
        self._weights = weights

    @property
    def kernel(self) -> np.ndarray | None:
        """The kernel (Keras layout), or None before the layer is built."""
        return self._weights[0] if self._weights else None

    @property
    def bias(self) -> np.ndarray | None:
        """The bias, or None without ``use_bias`` or before the layer is built."""
        return self._weights[1] if self.use_bias and self._weights else None

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(activation=self._activation_name, use_bias=self.use_bias,
                      kernel_initializer=self.kernel_initializer,
                      bias_initializer=self.bias_initializer)
        if self.seed is not None:
            config["seed"] = self.seed
        return config


# ---------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------

class InputLayer(Layer):
    """The shape of a model's input (Keras's ``InputLayer``); passes data through.

    Parameters
    ----------
    shape : tuple of int, optional
        Shape of one sample, without the batch axis.
    batch_size : int, optional
    batch_shape : tuple of int, optional
        The full shape, batch axis included (instead of ``shape``).

    Examples
    --------
    >>> InputLayer(shape=(28, 28, 1)).batch_shape
    (None, 28, 28, 1)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, *,
                 name: str | None = None, **kwargs):
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        kwargs.pop("optional", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if (shape is None) == (batch_shape is None):
            raise ValueError("InputLayer needs exactly one of `shape` (without the batch axis) "
                             f"or `batch_shape` (with it), got shape={shape!r}, "
                             f"batch_shape={batch_shape!r}")
        if batch_shape is not None:
            self.batch_shape = _shape(batch_shape, "batch_shape")
        else:
            if batch_size is not None:
                batch_size = _positive_int(batch_size, "batch_size")
            self.batch_shape = (batch_size,) + _shape(shape, "shape")
        self.input_shape_arg = self.batch_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["batch_shape"] = self.batch_shape
        return config


def Input(shape=None, batch_size=None, dtype=None, batch_shape=None,  # noqa: N802 (Keras name)
          name: str | None = None) -> InputLayer:
    """The input of a :class:`Sequential` (Keras's ``keras.Input``), as its first element.

    Examples
    --------
    >>> import ventanal as vt
    >>> model = vt.Sequential([vt.layers.Input((8, 8, 1)), vt.layers.MaxPool2D()])
    >>> model.output_shape
    (None, 4, 4, 1)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                      name=name)


# ---------------------------------------------------------------------------
# sliding windows: convolution and pooling
# ---------------------------------------------------------------------------

class _Windowed(Layer):
    """A window sliding over ``rank`` spatial axes; shapes and fields from geometry."""

    rank: int = 2
    _window_argument = "kernel_size"

    def _init_layout(self, data_format) -> None:
        channels_first = geometry.normalize_data_format(data_format, self.rank)
        self.data_format = "channels_first" if channels_first else "channels_last"
        self.expected_rank = self.rank + 2

    @property
    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def _spatial(self, shape: Shape) -> Shape:
        return shape[2:] if self.data_format == "channels_first" else shape[1:-1]

    def _with_spatial(self, shape: Shape, spatial: Shape, channels) -> Shape:
        if self.data_format == "channels_first":
            return (shape[0], channels) + tuple(spatial)
        return (shape[0],) + tuple(spatial) + (channels,)

    def _geometry_padding(self) -> str:
        return self.padding.upper()

    def _dilations(self) -> tuple[int, ...]:
        return (1,) * self.rank

    def axis_windows(self, input_shape) -> tuple[geometry.AxisWindow | None, ...]:
        """The window of each spatial axis for inputs of ``input_shape`` (None: unknown size)."""
        spatial = self._spatial(_shape(input_shape))
        windows = []
        for axis, size in enumerate(spatial):
            if size is None:
                windows.append(None)
                continue
            try:
                windows.append(geometry.plan(
                    (size,), self.window_size[axis], self.strides[axis],
                    self._geometry_padding(), self._dilations()[axis]).axes[0])
            except ValueError as error:
                message = str(error).replace("`window_shape`", f"`{self._window_argument}`")
                message = message.replace("spatial axis 0", f"spatial axis {axis}")
                raise ValueError(f"layer {self.name!r} ({type(self).__name__}): "
                                 f"{message}") from None
        return tuple(windows)

    def _output_channels(self, shape: Shape):
        return shape[self._channel_axis]

    def _output_shape(self, shape: Shape) -> Shape:
        spatial = tuple(None if w is None else w.output for w in self.axis_windows(shape))
        return self._with_spatial(shape, spatial, self._output_channels(shape))

    def _field_step(self, fields, input_shape):
        windows = self.axis_windows(input_shape)
        if len(fields) != len(windows):
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) slides over "
                             f"{len(windows)} spatial axes, but the model's input has "
                             f"{len(fields)}")
        if any(w is None for w in windows):
            raise ValueError(f"layer {self.name!r}: receptive fields need every spatial size, "
                             f"got input shape {_format_shape(input_shape)}")
        return tuple(geometry.receptive_field_step(f, w)
                     for f, w in zip(fields, windows, strict=True))


class _Conv(_Windowed, _Weighted):
    _paddings: tuple[str, ...] = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", *,
                 seed: int | None = None, name: str | None = None, dtype=None,
                 input_shape=None, **kwargs):
        super().__init__(activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, seed=seed, name=name, dtype=dtype,
                         input_shape=input_shape, **kwargs)
        self.filters = _positive_int(filters, "filters")
        self.kernel_size = geometry.normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = geometry.normalize_tuple(strides, self.rank, "strides")
        self.dilation_rate = geometry.normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        if not isinstance(padding, str) or padding.lower() not in self._paddings:
            raise ValueError(f"`padding` of {type(self).__name__} must be one of "
                             f"{', '.join(map(repr, self._paddings))} (any case), got {padding!r}")
        self.padding = padding.lower()
        self.groups = _positive_int(groups, "groups")
        if self.filters % self.groups:
            raise ValueError(f"`filters` ({self.filters}) must be divisible by `groups` "
                             f"({self.groups})")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides` > 1 together with `dilation_rate` > 1 is not allowed "
                             f"(as in Keras), got strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self._init_layout(data_format)

    @property
    def window_size(self) -> tuple[int, ...]:
        return self.kernel_size

    def _dilations(self) -> tuple[int, ...]:
        return self.dilation_rate

    def _output_channels(self, shape):
        return self.filters

    def _in_channels(self, shape: Shape) -> int:
        channels = shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) needs a known "
                             f"number of input channels, got shape {_format_shape(shape)}")
        if channels % self.groups:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}): input channels "
                             f"({channels}) must be divisible by `groups` ({self.groups})")
        return channels

    def _weight_shapes(self, input_shape):
        shapes = [self.kernel_size + (self._in_channels(input_shape) // self.groups,
                                      self.filters)]
        if self.use_bias:
            shapes.append((self.filters,))
        return shapes

    def _weight_shapes_from(self, arrays):
        kernel = arrays[0]
        if kernel.ndim != self.rank + 2:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}): `kernel` must have "
                             f"rank {self.rank + 2} (kernel_size + (in_channels // groups, "
                             f"filters)), got shape {kernel.shape}")
        channels = kernel.shape[-2] * self.groups
        shape = self._with_spatial((None,), (None,) * self.rank, channels)
        return self._weight_shapes(shape)

    def call(self, x):
        y = conv(x, self._weights[0], strides=self.strides, padding=self._geometry_padding(),
                 dilations=self.dilation_rate, data_format=self.data_format, groups=self.groups)
        if self.use_bias:
            bias = self._weights[1]
            y = y + (bias.reshape((-1,) + (1,) * self.rank) if
                     self.data_format == "channels_first" else bias)
        return np.asarray(self.activation(y), dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        config = {"name": config.pop("name"), "filters": self.filters,
                  "kernel_size": self.kernel_size, "strides": self.strides,
                  "padding": self.padding, "data_format": self.data_format,
                  "dilation_rate": self.dilation_rate, "groups": self.groups, **config}
        return config


class Conv1D(_Conv):
    """1-D convolution (Keras's ``Conv1D``) over ``(batch, steps, channels)``.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or tuple of int
    strides : int or tuple of int, optional
        Default 1.
    padding : {"valid", "same", "causal"}, optional
        ``"causal"`` pads ``dilation_rate * (kernel_size - 1)`` cells before
        and none after, so output ``t`` sees inputs up to ``t * strides``.
    data_format : {"channels_last", "channels_first"}, optional
    dilation_rate : int or tuple of int, optional
        Default 1. Not together with ``strides`` > 1 (as Keras).
    groups : int, optional
    activation : str or callable, optional
        Default None (linear).
    use_bias : bool, optional
    kernel_initializer, bias_initializer : str or callable, optional
        Keras's names (``"glorot_uniform"``, ``"he_normal"``, ``"zeros"``...)
        or a callable ``f(shape, dtype)``.
    seed : int, optional
        Makes the initial weights reproducible (not a Keras argument).
    name, dtype, input_shape
        See :class:`Layer`.

    Examples
    --------
    The lesson's sequence and a causal all-ones kernel of 3:

    >>> import numpy as np, ventanal as vt
    >>> layer = vt.layers.Conv1D(1, 3, padding="causal", use_bias=False,
    ...                          kernel_initializer="ones")
    >>> x = np.array([1, 9, -1, -2, 7, 3, -1, 2], np.float32).reshape(1, 8, 1)
    >>> layer(x)[0, :, 0].tolist()
    [1.0, 10.0, 9.0, 6.0, 4.0, 8.0, 9.0, 4.0]
    >>> layer.get_weights()[0].shape
    (3, 1, 1)
    """

    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2-D convolution (Keras's ``Conv2D``) over ``(batch, height, width, channels)``.

    Arguments as :class:`Conv1D`, with ``padding`` ``"valid"`` or ``"same"``.
    The kernel has shape ``kernel_size + (in_channels // groups, filters)``
    (HWIO).

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> layer = vt.layers.Conv2D(filters=64, kernel_size=3, padding="same",
    ...                          activation="relu", seed=0)
    >>> layer(np.zeros((2, 32, 32, 3))).shape
    (2, 32, 32, 64)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 3, 64), (64,)]
    >>> layer.count_params()
    1792
    """

    rank = 2


class Conv3D(_Conv):
    """3-D convolution (Keras's ``Conv3D``) over ``(batch, depth, height, width, channels)``.

    Arguments as :class:`Conv2D`.

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.Conv3D(4, 3).compute_output_shape((None, 8, 8, 8, 2))
    (None, 6, 6, 6, 4)
    """

    rank = 3


class _Pooling(_Windowed):
    pooling_type = "MAX"
    _window_argument = "pool_size"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, *,
                 name: str | None = None, dtype=None, input_shape=None, **kwargs):
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, **kwargs)
        self.pool_size = geometry.normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else geometry.normalize_tuple(
            strides, self.rank, "strides")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"`padding` of {type(self).__name__} must be 'valid' or 'same' "
                             f"(any case), got {padding!r}")
        self.padding = padding.lower()
        self._init_layout(data_format)

    @property
    def window_size(self) -> tuple[int, ...]:
        return self.pool_size

    def call(self, x):
        return pool(x, self.pool_size, self.pooling_type, strides=self.strides,
                    padding=self._geometry_padding(), data_format=self.data_format)

    def get_config(self):
        config = super().get_config()
        return {"name": config.pop("name"), "pool_size": self.pool_size,
                "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, **config}


class MaxPooling1D(_Pooling):
    """Max pooling over ``(batch, steps, channels)`` (Keras's ``MaxPooling1D``).

    Parameters
    ----------
    pool_size : int or tuple of int, optional
        Default 2.
    strides : int or tuple of int, optional
        Default: ``pool_size``.
    padding : {"valid", "same"}, optional
    data_format : {"channels_last", "channels_first"}, optional
    name, dtype, input_shape
        See :class:`Layer`.

    Notes
    -----
    NaN propagates (TensorFlow's CPU kernel skips it); see :func:`ventanal.pool`.

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> x = np.array([1, 9, -1, -2, 7, 3, -1, 2], np.float32).reshape(1, 8, 1)
    >>> vt.layers.MaxPooling1D()(x)[0, :, 0].tolist()
    [9.0, -1.0, 7.0, 2.0]
    """

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Max pooling over ``(batch, height, width, channels)`` (Keras's ``MaxPooling2D``).

    Arguments as :class:`MaxPooling1D`; ``pool_size`` defaults to ``(2, 2)``
    and ``strides`` to ``pool_size``.

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> x = np.arange(1, 26, dtype=np.float32).reshape(1, 5, 5, 1)
    >>> vt.layers.MaxPool2D(3, padding="same")(x)[0, :, :, 0].tolist()
    [[13.0, 15.0], [23.0, 25.0]]
    """

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    """Max pooling over ``(batch, depth, height, width, channels)`` (Keras's ``MaxPooling3D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.MaxPooling3D(padding="same").compute_output_shape((None, 4, 5, 6, 1))
    (None, 2, 3, 3, 1)
    """

    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Average pooling over ``(batch, steps, channels)`` (Keras's ``AveragePooling1D``).

    ``pool_size`` is required, as in Keras; with ``padding="same"`` a border
    window divides by its real cells only.

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> x = np.array([1, 9, -1, -2, 7, 3, -1, 2], np.float32).reshape(1, 8, 1)
    >>> vt.layers.AveragePooling1D(2)(x)[0, :, 0].tolist()
    [5.0, -1.5, 5.0, 0.5]
    """

    rank = 1
    pooling_type = "AVG"


class AveragePooling2D(_Pooling):
    """Average pooling over ``(batch, height, width, channels)`` (Keras's ``AveragePooling2D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.AveragePooling2D(3, strides=2, padding="same").compute_output_shape(
    ...     (None, 6, 6, 1))
    (None, 3, 3, 1)
    """

    rank = 2
    pooling_type = "AVG"


class AveragePooling3D(_Pooling):
    """Average pooling over 3 spatial axes (Keras's ``AveragePooling3D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.AveragePooling3D(2).compute_output_shape((None, 4, 4, 4, 3))
    (None, 2, 2, 2, 3)
    """

    rank = 3
    pooling_type = "AVG"


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D


# ---------------------------------------------------------------------------
# global pooling and flattening: one unit sees the whole input
# ---------------------------------------------------------------------------

def _whole_axis_fields(fields, spatial: Shape, layer: Layer):
    """Fields after a layer whose one output sees every position of ``spatial``.

    Such a layer is a VALID window as large as the input, tiling it (stride =
    size), so geometry gives the step.
    """
    if len(fields) != len(spatial):
        raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) reduces "
                         f"{len(spatial)} spatial axes, but the model's input has {len(fields)}")
    if any(size is None for size in spatial):
        raise ValueError(f"layer {layer.name!r}: receptive fields need every spatial size, got "
                         f"{_format_shape(spatial)}")
    return tuple(geometry.receptive_field_step(f, geometry.plan((n,), n, strides=n).axes[0])
                 for f, n in zip(fields, spatial, strict=True))


class _GlobalPooling(Layer):
    pooling_type = "AVG"
    rank = 2

    def __init__(self, data_format=None, keepdims=False, *, name: str | None = None,
                 dtype=None, input_shape=None, **kwargs):
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, **kwargs)
        channels_first = geometry.normalize_data_format(data_format, self.rank)
        self.data_format = "channels_first" if channels_first else "channels_last"
        self.keepdims = _bool(keepdims, "keepdims")
        self.expected_rank = self.rank + 2

    def _spatial(self, shape: Shape) -> Shape:
        return shape[2:] if self.data_format == "channels_first" else shape[1:-1]

    def _output_shape(self, shape):
        channels = shape[1] if self.data_format == "channels_first" else shape[-1]
        if not self.keepdims:
            return (shape[0], channels)
        ones = (1,) * self.rank
        return (shape[0], channels) + ones if self.data_format == "channels_first" else \
            (shape[0],) + ones + (channels,)

    def call(self, x):
        return global_pool(x, self.pooling_type, keepdims=self.keepdims,
                           data_format=self.data_format)

    def _field_step(self, fields, input_shape):
        return _whole_axis_fields(fields, self._spatial(input_shape), self)

    def get_config(self):
        config = super().get_config()
        return {"name": config.pop("name"), "data_format": self.data_format,
                "keepdims": self.keepdims, **config}


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps of ``(batch, steps, channels)`` (Keras's ``GlobalAveragePooling1D``).

    Parameters
    ----------
    data_format : {"channels_last", "channels_first"}, optional
    keepdims : bool, optional
        Keep the spatial axes with size 1. Default False.

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> vt.layers.GlobalAveragePooling1D()(np.ones((2, 8, 3))).shape
    (2, 3)
    """

    rank = 1


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width (Keras's ``GlobalAveragePooling2D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> layer = vt.layers.GlobalAveragePooling2D(keepdims=True)
    >>> layer.compute_output_shape((2, 4, 5, 3))
    (2, 1, 1, 3)
    """

    rank = 2


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over depth, height and width (Keras's ``GlobalAveragePooling3D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.GlobalAveragePooling3D().compute_output_shape((None, 4, 4, 4, 8))
    (None, 8)
    """

    rank = 3


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps (Keras's ``GlobalMaxPooling1D``); NaN propagates, as in Keras.

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> x = np.array([1, 9, -1, -2, 7, 3, -1, 2], np.float32).reshape(1, 8, 1)
    >>> vt.layers.GlobalMaxPooling1D()(x).tolist()
    [[9.0]]
    """

    rank = 1
    pooling_type = "MAX"


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width (Keras's ``GlobalMaxPooling2D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.GlobalMaxPooling2D().compute_output_shape((None, 7, 7, 512))
    (None, 512)
    """

    rank = 2
    pooling_type = "MAX"


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over depth, height and width (Keras's ``GlobalMaxPooling3D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.GlobalMaxPooling3D(keepdims=True).compute_output_shape((None, 2, 3, 4, 5))
    (None, 1, 1, 1, 5)
    """

    rank = 3
    pooling_type = "MAX"


GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)


class Flatten(Layer):
    """One row per sample (Keras's ``Flatten``): ``(batch, ...)`` becomes ``(batch, features)``.

    With ``data_format="channels_first"`` the input is moved to channels
    last first, as Keras does, so the feature order is Keras's.

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> vt.layers.Flatten()(np.ones((2, 4, 4, 3))).shape
    (2, 48)
    """

    def __init__(self, data_format=None, *, name: str | None = None, dtype=None,
                 input_shape=None, **kwargs):
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, **kwargs)
        if data_format is None or data_format in ("channels_last", "channels_first"):
            self.data_format = data_format or "channels_last"
        else:
            raise ValueError(f"`data_format` must be None, 'channels_last' or 'channels_first', "
                             f"got {data_format!r}")

    def _output_shape(self, shape):
        rest = shape[1:]
        return (shape[0], None if any(s is None for s in rest) else math.prod(rest))

    def call(self, x):
        if self.data_format == "channels_first" and x.ndim > 2:
            x = np.moveaxis(x, 1, -1)
        return x.reshape(x.shape[0], -1)

    def _field_step(self, fields, input_shape):
        if len(input_shape) <= 2:  # already one vector per sample: nothing spatial left
            return fields
        spatial = input_shape[2:] if self.data_format == "channels_first" else input_shape[1:-1]
        return _whole_axis_fields(fields, spatial, self)

    def get_config(self):
        config = super().get_config()
        return {"name": config.pop("name"), "data_format": self.data_format, **config}


class Dense(_Weighted):
    """A fully connected layer on the last axis (Keras's ``Dense``): ``x @ kernel + bias``.

    Parameters
    ----------
    units : int
    activation, use_bias, kernel_initializer, bias_initializer, seed
        As :class:`Conv2D`.

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> layer = vt.layers.Dense(3, kernel_initializer="ones", bias_initializer="ones")
    >>> layer(np.array([[1.0, 2.0]])).tolist()
    [[4.0, 4.0, 4.0]]
    >>> [w.shape for w in layer.get_weights()]
    [(2, 3), (3,)]
    """

    min_rank = 2

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", *,
                 seed: int | None = None, name: str | None = None, dtype=None,
                 input_shape=None, **kwargs):
        super().__init__(activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, seed=seed, name=name, dtype=dtype,
                         input_shape=input_shape, **kwargs)
        self.units = _positive_int(units, "units")

    def _output_shape(self, shape):
        return shape[:-1] + (self.units,)

    def _weight_shapes(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"layer {self.name!r} (Dense) needs a known last axis, got shape "
                             f"{_format_shape(input_shape)}")
        return [(features, self.units)] + ([(self.units,)] if self.use_bias else [])

    def _weight_shapes_from(self, arrays):
        if arrays[0].ndim != 2:
            raise ValueError(f"layer {self.name!r} (Dense): `kernel` must have rank 2 "
                             f"(in_features, units), got shape {arrays[0].shape}")
        return self._weight_shapes((None, arrays[0].shape[0]))

    def call(self, x):
        y = x @ self._weights[0]
        if self.use_bias:
            y = y + self._weights[1]
        return np.asarray(self.activation(y), dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        return {"name": config.pop("name"), "units": self.units, **config}


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------

class ReLU(Layer):
    """Rectified linear unit with Keras's options (Keras's ``ReLU`` layer).

    ``max_value`` where ``x >= max_value``; ``x`` where
    ``threshold < x < max_value``; ``negative_slope * (x - threshold)``
    below the threshold.

    Parameters
    ----------
    max_value : float, optional
        Saturation value (>= 0). Default None (no saturation).
    negative_slope : float, optional
        Slope below the threshold (>= 0). Default 0.
    threshold : float, optional
        Default 0.

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.ReLU()([-10.0, -5.0, 0.0, 5.0, 10.0]).tolist()
    [0.0, 0.0, 0.0, 5.0, 10.0]
    >>> vt.layers.ReLU(max_value=5.0, negative_slope=0.5)([-10.0, 0.0, 10.0]).tolist()
    [-5.0, 0.0, 5.0]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, *,
                 name: str | None = None, dtype=None, input_shape=None, **kwargs):
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, **kwargs)
        for key, value, optional in (("max_value", max_value, True),
                                     ("negative_slope", negative_slope, False),
                                     ("threshold", threshold, False)):
            if value is None and optional:
                continue
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or \
                    not value >= 0:
                raise ValueError(f"`{key}` of ReLU must be a number >= 0"
                                 f"{' or None' if optional else ''}, got {value!r}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, x):
        # The order of operations of keras.activations.relu.
        dtype = x.dtype.type
        if self.threshold != 0:
            y = np.where(x > dtype(self.threshold), x, dtype(0))
        else:
            y = activations.relu(x)
        if self.max_value is not None:
            y = np.clip(y, dtype(0), dtype(self.max_value))
        if self.negative_slope != 0:
            y = y - dtype(self.negative_slope) * activations.relu(dtype(self.threshold) - x)
        return y.astype(x.dtype, copy=False)

    def get_config(self):
        config = super().get_config()
        return {"name": config.pop("name"), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold, **config}


class Activation(Layer):
    """An activation function as a layer (Keras's ``Activation``).

    Parameters
    ----------
    activation : str or callable
        ``"relu"``, ``"linear"``, ``"sigmoid"``, ``"tanh"``, ``"leaky_relu"``
        (slope 0.2), ``"elu"``, ``"softmax"`` (last axis), or a function.

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.Activation("relu")([-1.0, 2.0]).tolist()
    [0.0, 2.0]
    """

    def __init__(self, activation, *, name: str | None = None, dtype=None, input_shape=None,
                 **kwargs):
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, **kwargs)
        self.activation = activations.get(activation)
        self._activation_name = _activation_name(activation)

    def call(self, x):
        return np.asarray(self.activation(x), dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        return {"name": config.pop("name"), "activation": self._activation_name, **config}


# ---------------------------------------------------------------------------
# receptive fields
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerField:
    """Receptive field of the units of one layer, one entry per spatial axis of the input.

    Unit ``i`` of an axis sees input positions ``start + i*jump`` to
    ``start + i*jump + size - 1`` (negative positions, and positions past
    the input's end, are padding).

    Attributes
    ----------
    name : str
        Layer name.
    type : str
        Layer class.
    output_shape : tuple
        With the batch axis (``None``).
    size, jump, start : tuple of int
        One entry per spatial axis of the model's input.
    """

    name: str
    type: str
    output_shape: Shape
    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[int, ...]

    @property
    def center(self) -> tuple[float, ...]:
        """Input position at the centre of unit 0's field, per axis."""
        return tuple(s + (r - 1) / 2 for s, r in zip(self.start, self.size, strict=True))

    def covers(self, index) -> tuple[tuple[int, int], ...]:
        """First and last input position seen by the unit at ``index`` (one int per axis).

        Examples
        --------
        >>> field = LayerField("pool", "MaxPooling2D", (None, 15, 15, 8), (8, 8), (2, 2),
        ...                    (0, 0))
        >>> field.covers((0, 3))
        ((0, 7), (6, 13))
        """
        if isinstance(index, (numbers.Integral, np.integer)):
            index = (index,) * len(self.size)
        return tuple(geometry.Field(r, j, s).covers(int(i)) for r, j, s, i in
                     zip(self.size, self.jump, self.start, index, strict=True))


def _join(values: Sequence[int], sep: str = "x") -> str:
    return sep.join(str(v) for v in values)


class ReceptiveFieldTable(tuple):
    """The :class:`LayerField` of every layer, printable as a table.

    A tuple of records; it can also be indexed by layer name.
    """

    input_shape: Shape

    def __new__(cls, records: Iterable[LayerField], input_shape: Shape):
        table = super().__new__(cls, tuple(records))
        table.input_shape = input_shape
        return table

    def __getitem__(self, key):
        if isinstance(key, str):
            for record in self:
                if record.name == key:
                    return record
            raise KeyError(f"no layer named {key!r}; layers: "
                           f"{', '.join(r.name for r in self)}")
        return super().__getitem__(key)

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """Table cells: layer, output shape, field size, jump, start."""
        return [(f"{r.name} ({r.type})", _format_shape(r.output_shape), _join(r.size),
                 _join(r.jump), _join(r.start, ", ")) for r in self]

    def __str__(self) -> str:
        header = ("Layer (type)", "Output Shape", "Field", "Jump", "Start")
        rows = self.rows()
        widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(5)]

        def line(cells):
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        rule = "-" * len(line(["-" * w for w in widths]))
        return "\n".join([f"Receptive fields for inputs of shape {_format_shape(self.input_shape)}",
                          line(header), rule, *map(line, rows)])

    __repr__ = __str__


def receptive_field(model_or_layers, input_shape=None) -> ReceptiveFieldTable:
    """Receptive field (size, jump, start) of the units of every layer, per spatial axis.

    Parameters
    ----------
    model_or_layers : Sequential or sequence of layers
    input_shape : tuple of int, optional
        Shape of one input sample, as Keras's ``input_shape`` (e.g.
        ``(32, 32, 1)``); a shape with the batch axis (``(None, 32, 32, 1)``)
        works too. Needed unless the model is built, because SAME padding's
        offsets depend on the input size.

    Returns
    -------
    ReceptiveFieldTable
        One :class:`LayerField` per layer, with ``.name``, ``.output_shape``
        and per-axis ``.size``, ``.jump`` and ``.start``; prints as a table.

    Raises
    ------
    ValueError
        No input shape, unknown spatial sizes, or layers whose shapes do not
        chain.

    Notes
    -----
    Per spatial axis, from ``size = jump = 1`` and ``start = 0`` at the
    input, a layer with window ``k``, stride ``s``, dilation ``d`` (span
    ``e = d*(k-1) + 1``) and padding before ``lo`` gives::

        size  += (e - 1) * jump     # the window, measured in input pixels
        start -= lo * jump
        jump  *= s

    (semantics.md §6.1, computed by :func:`ventanal.geometry.receptive_field_step`).
    Pooling enters exactly like convolution; element-wise layers (ReLU,
    activations, Dense on the channel axis) change nothing; a global pooling
    sees the whole input (a window as large as its input, tiling it, so its
    jump is the previous jump times the input size). ``Flatten`` gets the
    same record, the field of its whole output vector: its features are no
    longer on a grid, and a ``Dense`` after it mixes them all (each feature
    alone still sees what the unit it came from saw).

    **Why the field grows less than "doubling" suggests.** Three 3x3
    convolutions see 7x7 pixels; a 2x2 pooling with stride 2 after them
    adds ``(2 - 1) * 1`` pixel, for a field of 8, not 14. What the pooling
    doubles is the *jump*: neighbouring units now sit 2 pixels apart, so
    every later 3x3 convolution adds ``2 * 2 = 4`` pixels instead of 2 (the
    field grows twice as fast from then on). A field is also not uniform:
    the pixels near its centre feed many more paths than those at its edge.

    Examples
    --------
    The lesson's question:

    >>> import ventanal as vt
    >>> L = vt.layers
    >>> stack = [L.Conv2D(8, 3), L.Conv2D(8, 3), L.Conv2D(8, 3), L.MaxPool2D(2)]
    >>> table = vt.receptive_field(stack, input_shape=(32, 32, 1))
    >>> table[-1].size, table[-1].jump
    ((8, 8), (2, 2))
    >>> print(table)
    Receptive fields for inputs of shape (None, 32, 32, 1)
    Layer (type)                  Output Shape       Field  Jump  Start
    -------------------------------------------------------------------
    conv2d (Conv2D)               (None, 30, 30, 8)  3x3    1x1   0, 0
    conv2d_1 (Conv2D)             (None, 28, 28, 8)  5x5    1x1   0, 0
    conv2d_2 (Conv2D)             (None, 26, 26, 8)  7x7    1x1   0, 0
    max_pooling2d (MaxPooling2D)  (None, 13, 13, 8)  8x8    2x2   0, 0
    >>> table["conv2d_1"].covers((2, 0))
    ((2, 6), (0, 4))

    SAME padding moves the start before the image (into the padding):

    >>> model = vt.Sequential([L.Conv2D(8, 7, strides=2, padding="same"),
    ...                        L.MaxPool2D(3, strides=2, padding="same")])
    >>> [(f.size, f.jump, f.start) for f in vt.receptive_field(model, (224, 224, 3))]
    [((7, 7), (2, 2), (-2, -2)), ((11, 11), (4, 4), (-2, -2))]
    """
    model = model_or_layers if isinstance(model_or_layers, Sequential) else \
        Sequential(list(model_or_layers))
    return model.receptive_field(input_shape)


# ---------------------------------------------------------------------------
# Sequential
# ---------------------------------------------------------------------------

class Sequential:
    """A stack of layers (Keras's ``keras.Sequential``), for inference.

    Parameters
    ----------
    layers : sequence of Layer, optional
        The first may be an :func:`Input` (or any layer with ``input_shape=``),
        which builds the model at once.
    name : str, optional
        Default ``"sequential"``.

    Notes
    -----
    Layers without a name get Keras's default name, made unique inside the
    model (``conv2d``, ``conv2d_1``...).

    Examples
    --------
    The lesson's two layers, without TensorFlow:

    >>> import numpy as np, ventanal as vt
    >>> model = vt.Sequential([
    ...     vt.layers.Conv2D(filters=64, kernel_size=3, strides=1, padding="same",
    ...                      activation="relu", seed=0),
    ...     vt.layers.MaxPool2D(pool_size=2, strides=1, padding="same"),
    ... ])
    >>> model.build((None, 32, 32, 3))
    >>> model.output_shape
    (None, 32, 32, 64)
    >>> model(np.ones((32, 32, 3))).shape      # one image: no batch axis in, none out
    (32, 32, 64)
    >>> model.summary()
    Model: "sequential"
    Layer (type)                   Output Shape         Param #  Field  Jump  Start
    ------------------------------------------------------------------------------
    conv2d (Conv2D)                (None, 32, 32, 64)   1,792    3x3    1x1   -1, -1
    max_pooling2d (MaxPooling2D)   (None, 32, 32, 64)   0        4x4    1x1   -1, -1
    ------------------------------------------------------------------------------
    Total params: 1,792
    Field, Jump, Start: receptive field of each layer's units in input pixels (per axis)
    """

    def __init__(self, layers: Iterable[Layer] | None = None, name: str | None = None):
        self.name = "sequential" if name is None else str(name)
        self.layers: list[Layer] = []
        self.input_shape: Shape | None = None
        self._input_layer: InputLayer | None = None
        for layer in layers or ():
            self.add(layer)

    # -- construction --------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer (an :class:`InputLayer` sets the input shape instead)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes ventanal layers (vt.layers.*), got "
                            f"{type(layer).__name__}: {layer!r}")
        if isinstance(layer, InputLayer):
            if self.layers or self._input_layer is not None:
                raise ValueError("an Input/InputLayer can only be the first element of a "
                                 "Sequential")
            self._input_layer = layer
            self.build(layer.batch_shape)
            return
        if layer._name is None:
            layer._name = self._unique_name(_snake_case(type(layer).__name__))
        elif any(other.name == layer.name for other in self.layers):
            raise ValueError(f"layer names must be unique in a model: {layer.name!r} is "
                             f"already used")
        self.layers.append(layer)
        try:
            if len(self.layers) == 1 and self.input_shape is None and \
                    layer.input_shape_arg is not None:
                self.build(layer.input_shape_arg)
            elif self.input_shape is not None:
                self.build(self.input_shape)
        except (ValueError, TypeError):
            self.layers.pop()  # a layer that does not fit leaves the model as it was
            raise

    def _unique_name(self, base: str) -> str:
        names = {layer.name for layer in self.layers}
        if base not in names:
            return base
        i = 1
        while f"{base}_{i}" in names:
            i += 1
        return f"{base}_{i}"

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self.layers:
            raise IndexError("pop from an empty Sequential")
        return self.layers.pop()

    def get_layer(self, name: str) -> Layer:
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: "
                         f"{', '.join(layer.name for layer in self.layers)}")

    # -- shapes --------------------------------------------------------------
    @property
    def _expected_rank(self) -> int | None:
        if self.input_shape is not None:
            return len(self.input_shape)
        for layer in self.layers:
            if layer.expected_rank is not None:
                return layer.expected_rank
            if not isinstance(layer, (ReLU, Activation)):
                return None
        return None

    def _full_shape(self, input_shape, *, batch_by_default: bool = True) -> Shape:
        """The shape with its batch axis.

        A shape one shorter than the rank the model expects is one sample. When
        the rank is unknown (a model starting with Flatten or Dense), a leading
        None marks a batch axis, and otherwise ``batch_by_default`` decides.
        """
        shape = _shape(input_shape)
        expected = self._expected_rank
        if expected is not None:
            missing = len(shape) == expected - 1
        else:
            missing = not batch_by_default and (not shape or shape[0] is not None)
        return (None,) + shape if missing else shape

    def _shapes(self, input_shape: Shape) -> list[Shape]:
        """Output shape of every layer."""
        shapes = []
        shape = input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
            shapes.append(shape)
        return shapes

    def compute_output_shape(self, input_shape) -> Shape:
        """Output shape for ``input_shape`` (with or without the batch axis), without data."""
        shape = self._full_shape(input_shape)
        shapes = self._shapes(shape)
        return shapes[-1] if shapes else shape

    def build(self, input_shape) -> None:
        """Infer every shape and create the weights for ``input_shape``.

        ``input_shape`` is Keras's: batch axis included (``(None, 28, 28, 1)``);
        the shape of one sample (``(28, 28, 1)``) is accepted too when the
        first layer fixes the rank.
        """
        shape = self._full_shape(input_shape)
        for layer in self.layers:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.input_shape = self._full_shape(input_shape)

    @property
    def built(self) -> bool:
        return self.input_shape is not None

    @property
    def output_shape(self) -> Shape:
        """The output shape for the input shape the model was built with."""
        if self.input_shape is None:
            raise ValueError(f"model {self.name!r} has no input shape yet: call "
                             f"build(input_shape), call it on data, or start it with "
                             f"vt.layers.Input(shape)")
        return self.compute_output_shape(self.input_shape)

    # -- computation ---------------------------------------------------------
    def _prepare(self, x) -> tuple[np.ndarray, bool]:
        try:
            array = np.asarray(x)
        except Exception as error:
            raise TypeError(f"model inputs must be array-like, got {type(x).__name__}: "
                            f"{error}") from None
        expected = self._expected_rank
        single = expected is not None and array.ndim == expected - 1
        if single:
            array = array[None]
        if not self.built and self.layers:
            self.build((None,) + array.shape[1:])
        return array, single

    def feature_maps(self, x) -> dict[str, np.ndarray]:
        """Every layer's output for ``x``, by layer name, in order.

        ``x`` is a batch, or one sample without its batch axis (then the
        maps have no batch axis either); see :meth:`__call__`.

        Examples
        --------
        >>> import numpy as np, ventanal as vt
        >>> model = vt.Sequential([vt.layers.Conv2D(2, 3, seed=1), vt.layers.ReLU(),
        ...                        vt.layers.MaxPool2D()])
        >>> {name: m.shape for name, m in model.feature_maps(np.ones((8, 8, 1))).items()}
        {'conv2d': (6, 6, 2), 're_lu': (6, 6, 2), 'max_pooling2d': (3, 3, 2)}
        """
        array, single = self._prepare(x)
        maps = {}
        for layer in self.layers:
            array = layer(array)
            maps[layer.name] = array[0] if single else array
        return maps

    def __call__(self, x) -> np.ndarray:
        """The model's output for ``x``.

        ``x`` is a batch, batch axis first. One sample without its batch
        axis is recognised by its rank: one less than the model's input rank
        (the built input shape, or the first windowed layer's: 3 for 1-D, 4
        for 2-D, 5 for 3-D layers). It gains a batch axis, and the output
        loses it again. Models starting with ``Dense`` or ``Flatten`` and no
        input shape take batches only.
        """
        array, single = self._prepare(x)
        for layer in self.layers:
            array = layer(array)
        return array[0] if single else array

    predict = __call__

    # -- weights -------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Every layer's weights, in order (Keras's ``model.get_weights()``)."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence) -> None:
        """Set every layer's weights from one flat list, in Keras's order."""
        weights = list(weights)
        needed = sum(len(layer.weight_names) for layer in self.layers)
        if len(weights) != needed:
            raise ValueError(f"model {self.name!r} has {needed} weight arrays, got "
                             f"{len(weights)}")
        i = 0
        for layer in self.layers:
            count = len(layer.weight_names)
            layer.set_weights(weights[i:i + count])
            i += count

    @property
    def weights(self) -> list[np.ndarray]:
        return [w for layer in self.layers for w in layer.weights]

    def count_params(self) -> int:
        """Number of weights of the built layers."""
        return sum(layer.count_params() for layer in self.layers)

    def load_weights(self, filepath) -> None:
        """Load weights saved by Keras (``.weights.h5``, ``.keras`` or legacy ``.h5``).

        Needs ``h5py`` (the ``keras`` extra). Layers are matched by order
        (``.weights.h5``, ``.keras``) or by name (legacy ``.h5``).
        """
        from . import keras_io

        keras_io.load_weights(self, filepath)

    @classmethod
    def from_keras(cls, model) -> Sequential:
        """A ventanal model from a Keras model file or object, without TensorFlow.

        Parameters
        ----------
        model : str, path or keras.Model
            A ``.keras`` archive or a legacy ``.h5`` file saved by Keras
            (``model.save(...)``), or a live Keras ``Sequential`` (or
            functional model whose layers form a chain).

        Raises
        ------
        ValueError
            A layer that ventanal does not support (the message names it),
            a model that is not a chain of layers, or a weights-only file.

        See Also
        --------
        load_weights : weights only, into a model built with vt.layers.
        """
        from . import keras_io

        return keras_io.load_model(model)

    # -- receptive fields and summary ---------------------------------------
    def receptive_field(self, input_shape=None) -> ReceptiveFieldTable:
        """Receptive fields of every layer; see :func:`ventanal.receptive_field`."""
        if input_shape is None:
            if self.input_shape is None:
                raise ValueError(f"model {self.name!r} has no input shape: pass input_shape "
                                 f"(e.g. (32, 32, 1)), because SAME padding's offsets and the "
                                 f"output shapes depend on the input size")
            shape = self.input_shape
        else:
            shape = self._full_shape(input_shape, batch_by_default=False)
        model_input = shape
        if not self.layers:
            return ReceptiveFieldTable((), shape)
        first = self.layers[0]
        if isinstance(first, (_Windowed, _GlobalPooling)):
            spatial = first._spatial(shape)
        else:
            spatial = shape[1:-1]
        if any(s is None for s in spatial):
            raise ValueError(f"receptive fields need every spatial size, got input shape "
                             f"{_format_shape(shape)}")
        fields = tuple(geometry.Field() for _ in spatial)
        records = []
        for layer in self.layers:
            out = layer.compute_output_shape(shape)
            fields = layer._field_step(fields, shape)
            records.append(LayerField(layer.name, type(layer).__name__, out,
                                      tuple(f.size for f in fields),
                                      tuple(f.jump for f in fields),
                                      tuple(f.start for f in fields)))
            shape = out
        return ReceptiveFieldTable(records, model_input)

    def summary(self, print_fn: Callable[[str], Any] | None = None) -> None:
        """Print the layers, output shapes, parameter counts and receptive fields.

        Like Keras's summary, with three more columns: the receptive field of
        each layer's units (size), the distance between neighbouring units
        (jump) and the input position where unit 0's field starts (start),
        all in input pixels and per spatial axis. Unknown values print as
        ``?`` (build the model first to see them).

        Parameters
        ----------
        print_fn : callable, optional
            Receives the whole text (default: ``print``).
        """
        header = ("Layer (type)", "Output Shape", "Param #", "Field", "Jump", "Start")
        rows = []
        try:
            table = self.receptive_field() if self.built else None
        except ValueError:
            table = None
        for i, layer in enumerate(self.layers):
            label = f"{layer.name} ({type(layer).__name__})"
            params = f"{layer.count_params():,}" if layer.built or not layer.weight_names \
                else "0 (unbuilt)"
            if table is not None:
                _, shape, size, jump, start = table.rows()[i]
            else:
                shape = "?"
                if self.built:
                    try:
                        shape = _format_shape(self._shapes(self.input_shape)[i])
                    except ValueError:
                        pass
                size = jump = start = "?"
            rows.append((label, shape, params, size, jump, start))
        widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(6)]

        def line(cells):
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        rule = "-" * len(line(["-" * w for w in widths]))
        lines = [f'Model: "{self.name}"', line(header), rule, *map(line, rows), rule,
                 f"Total params: {self.count_params():,}",
                 "Field, Jump, Start: receptive field of each layer's units in input pixels "
                 "(per axis)"]
        (print_fn or print)("\n".join(lines))

    def __repr__(self) -> str:
        return f"<Sequential {self.name!r}: {', '.join(map(repr, self.layers))}>"
