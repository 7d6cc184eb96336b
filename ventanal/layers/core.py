"""Core layers (Keras's): the input, ``Flatten``, ``Dense``, ``ReLU`` and ``Activation``.

``Flatten`` and ``Dense`` end a convnet; ``ReLU`` and ``Activation`` are
element-wise (they leave shapes and receptive fields as they are).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import geometry
from ..ops import activations
from .base import (
    ActivationLike,
    DTypeArg,
    Layer,
    Shape,
    ShapeLike,
    WeightedLayer,
    activation_name,
    as_shape,
    format_shape,
    positive_int,
)
from .initializers import InitializerLike
from .windowed import whole_input_fields

__all__ = ["InputLayer", "Input", "Flatten", "Dense", "ReLU", "Activation"]


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

    def __init__(self, shape: ShapeLike | None = None, batch_size: int | None = None,
                 dtype: DTypeArg = None, batch_shape: ShapeLike | None = None, *,
                 name: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        kwargs.pop("optional", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if (shape is None) == (batch_shape is None):
            raise ValueError("InputLayer needs exactly one of `shape` (without the batch axis) "
                             f"or `batch_shape` (with it), got shape={shape!r}, "
                             f"batch_shape={batch_shape!r}")
        self.batch_shape: Shape
        if batch_shape is not None:
            self.batch_shape = as_shape(batch_shape, "batch_shape")
        elif shape is not None:  # always, after the check above
            if batch_size is not None:
                batch_size = positive_int(batch_size, "batch_size")
            self.batch_shape = (batch_size,) + as_shape(shape, "shape")
        self.input_shape_arg = self.batch_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["batch_shape"] = self.batch_shape
        return config


def Input(shape: ShapeLike | None = None, batch_size: int | None = None,  # noqa: N802 (Keras)
          dtype: DTypeArg = None, batch_shape: ShapeLike | None = None,
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

    def __init__(self, data_format: str | None = None, *, name: str | None = None,
                 dtype: DTypeArg = None, input_shape: ShapeLike | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, **kwargs)
        if data_format is None or data_format in ("channels_last", "channels_first"):
            self.data_format = data_format or "channels_last"
        else:
            raise ValueError(f"`data_format` must be None, 'channels_last' or 'channels_first', "
                             f"got {data_format!r}")

    def _output_shape(self, shape: Shape) -> Shape:
        sizes = [s for s in shape[1:] if s is not None]
        known = len(sizes) == len(shape) - 1
        return (shape[0], math.prod(sizes) if known else None)

    def call(self, x: np.ndarray) -> np.ndarray:
        flat = (np.moveaxis(x, 1, -1) if self.data_format == "channels_first" and x.ndim > 2
                else x).reshape(x.shape[0], -1)
        # A reshape is a view when it can be: the result owns its data, like every other
        # layer's, so writing into it never changes the caller's input.
        return flat.copy() if np.shares_memory(flat, x) else flat

    def field_step(self, fields: tuple[geometry.Field, ...],
                   input_shape: Shape) -> tuple[geometry.Field, ...]:
        if len(input_shape) <= 2:  # already one vector per sample: nothing spatial left
            return fields
        return whole_input_fields(fields, self, input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {"name": config.pop("name"), "data_format": self.data_format, **config}


class Dense(WeightedLayer):
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

    def __init__(self, units: int, activation: ActivationLike = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform",
                 bias_initializer: InitializerLike = "zeros", **kwargs: Any) -> None:
        # kwargs: seed (WeightedLayer), name, dtype, input_shape (Layer)
        super().__init__(activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.units = positive_int(units, "units")

    def _output_shape(self, shape: Shape) -> Shape:
        return shape[:-1] + (self.units,)

    def _weight_shapes(self, input_shape: Shape) -> list[tuple[int, ...]]:
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"layer {self.name!r} (Dense) needs a known last axis, got shape "
                             f"{format_shape(input_shape)}")
        return [(features, self.units)] + ([(self.units,)] if self.use_bias else [])

    def _weight_shapes_from(self, arrays: list[np.ndarray]) -> list[tuple[int, ...]]:
        if arrays[0].ndim != 2:
            raise ValueError(f"layer {self.name!r} (Dense): `kernel` must have rank 2 "
                             f"(in_features, units), got shape {arrays[0].shape}")
        return self._weight_shapes((None, arrays[0].shape[0]))

    def call(self, x: np.ndarray) -> np.ndarray:
        y = x @ self._weights[0]
        if self.use_bias:
            y = y + self._weights[1]
        return np.asarray(self.activation(y), dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {"name": config.pop("name"), "units": self.units, **config}


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

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, *, name: str | None = None, dtype: DTypeArg = None,
                 input_shape: ShapeLike | None = None, **kwargs: Any) -> None:
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

    def call(self, x: np.ndarray) -> np.ndarray:
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

    def get_config(self) -> dict[str, Any]:
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

    def __init__(self, activation: ActivationLike, *, name: str | None = None,
                 dtype: DTypeArg = None, input_shape: ShapeLike | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, **kwargs)
        self.activation: Callable[[np.ndarray], npt.ArrayLike] = activations.get(activation)
        self._activation_name = activation_name(activation)

    def call(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.activation(x), dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {"name": config.pop("name"), "activation": self._activation_name, **config}
