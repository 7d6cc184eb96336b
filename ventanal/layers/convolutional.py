"""Convolution layers: ``Conv1D``, ``Conv2D`` and ``Conv3D`` (Keras's), on :func:`ventanal.conv`.

Kernels are stored in Keras's layout, spatial + ``(in_channels // groups,
filters)`` (HWIO in 2-D), so ``get_weights``/``set_weights`` exchange
arrays with Keras unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import geometry
from ..ops.conv import conv
from .base import ActivationLike, Shape, WeightedLayer, format_shape, positive_int
from .initializers import InitializerLike
from .windowed import WindowedLayer

__all__ = ["BaseConv", "Conv1D", "Conv2D", "Conv3D"]


class BaseConv(WindowedLayer, WeightedLayer):
    """The convolution behind ``Conv1D``, ``Conv2D`` and ``Conv3D`` (Keras's ``BaseConv``)."""

    _paddings: tuple[str, ...] = ("valid", "same")

    def __init__(self, filters: int, kernel_size: geometry.IntOrSequence,
                 strides: geometry.IntOrSequence = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: geometry.IntOrSequence = 1,
                 groups: int = 1, activation: ActivationLike = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform",
                 bias_initializer: InitializerLike = "zeros", **kwargs: Any) -> None:
        # kwargs: seed (WeightedLayer), name, dtype, input_shape (Layer)
        super().__init__(activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.filters = positive_int(filters, "filters")
        self.kernel_size = geometry.normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = geometry.normalize_tuple(strides, self.rank, "strides")
        self.dilation_rate = geometry.normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        if not isinstance(padding, str) or padding.lower() not in self._paddings:
            raise ValueError(f"`padding` of {type(self).__name__} must be one of "
                             f"{', '.join(map(repr, self._paddings))} (any case), got {padding!r}")
        self.padding = padding.lower()
        self.groups = positive_int(groups, "groups")
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

    def _output_channels(self, shape: Shape) -> int:
        return self.filters

    def _in_channels(self, shape: Shape) -> int:
        channels = shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) needs a known "
                             f"number of input channels, got shape {format_shape(shape)}")
        if channels % self.groups:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}): input channels "
                             f"({channels}) must be divisible by `groups` ({self.groups})")
        return channels

    def _weight_shapes(self, input_shape: Shape) -> list[tuple[int, ...]]:
        shapes = [self.kernel_size + (self._in_channels(input_shape) // self.groups,
                                      self.filters)]
        if self.use_bias:
            shapes.append((self.filters,))
        return shapes

    def _weight_shapes_from(self, arrays: list[np.ndarray]) -> list[tuple[int, ...]]:
        kernel = arrays[0]
        if kernel.ndim != self.rank + 2:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}): `kernel` must have "
                             f"rank {self.rank + 2} (kernel_size + (in_channels // groups, "
                             f"filters)), got shape {kernel.shape}")
        channels = kernel.shape[-2] * self.groups
        shape = self._with_spatial((None,), (None,) * self.rank, channels)
        return self._weight_shapes(shape)

    def call(self, x: np.ndarray) -> np.ndarray:
        y = conv(x, self._weights[0], strides=self.strides, padding=self._geometry_padding(),
                 dilations=self.dilation_rate, data_format=self.data_format, groups=self.groups)
        if self.use_bias:
            bias = self._weights[1]
            y = y + (bias.reshape((-1,) + (1,) * self.rank) if
                     self.data_format == "channels_first" else bias)
        return np.asarray(self.activation(y), dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config = {"name": config.pop("name"), "filters": self.filters,
                  "kernel_size": self.kernel_size, "strides": self.strides,
                  "padding": self.padding, "data_format": self.data_format,
                  "dilation_rate": self.dilation_rate, "groups": self.groups, **config}
        return config


class Conv1D(BaseConv):
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


class Conv2D(BaseConv):
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


class Conv3D(BaseConv):
    """3-D convolution (Keras's ``Conv3D``) over ``(batch, depth, height, width, channels)``.

    Arguments as :class:`Conv2D`.

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.Conv3D(4, 3).compute_output_shape((None, 8, 8, 8, 2))
    (None, 6, 6, 6, 4)
    """

    rank = 3
