"""Pooling layers (Keras's): max and average pooling in 1, 2 and 3-D, and global pooling.

Each runs :func:`ventanal.pool` or :func:`ventanal.global_pool`. Keras's
aliases (``MaxPool2D``, ``AvgPool2D``, ``GlobalAvgPool2D``...) are the same
classes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import geometry
from ..ops.pool import global_pool, pool
from .base import DTypeArg, Shape, ShapeLike, check_bool
from .windowed import SpatialLayer, WindowedLayer, whole_input_fields

__all__ = [
    "BasePooling",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "BaseGlobalPooling",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
]


class BasePooling(WindowedLayer):
    """Max or average pooling over ``rank`` spatial axes (Keras's ``BasePooling``)."""

    pooling_type = "MAX"
    _window_argument = "pool_size"

    def __init__(self, pool_size: geometry.IntOrSequence,
                 strides: geometry.IntOrSequence | None = None, padding: str = "valid",
                 data_format: str | None = None, *, name: str | None = None,
                 dtype: DTypeArg = None, input_shape: ShapeLike | None = None,
                 **kwargs: Any) -> None:
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

    def call(self, x: np.ndarray) -> np.ndarray:
        return pool(x, self.pool_size, self.pooling_type, strides=self.strides,
                    padding=self._geometry_padding(), data_format=self.data_format)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {"name": config.pop("name"), "pool_size": self.pool_size,
                "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, **config}


class MaxPooling1D(BasePooling):
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

    def __init__(self, pool_size: geometry.IntOrSequence = 2,
                 strides: geometry.IntOrSequence | None = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
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

    def __init__(self, pool_size: geometry.IntOrSequence = (2, 2),
                 strides: geometry.IntOrSequence | None = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """Max pooling over ``(batch, depth, height, width, channels)`` (Keras's ``MaxPooling3D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.MaxPooling3D(padding="same").compute_output_shape((None, 4, 5, 6, 1))
    (None, 2, 3, 3, 1)
    """

    rank = 3

    def __init__(self, pool_size: geometry.IntOrSequence = (2, 2, 2),
                 strides: geometry.IntOrSequence | None = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(BasePooling):
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


class AveragePooling2D(BasePooling):
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


class AveragePooling3D(BasePooling):
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



class BaseGlobalPooling(SpatialLayer):
    """One mean or max per channel over all spatial positions (Keras's ``BaseGlobalPooling``)."""

    pooling_type = "AVG"

    def __init__(self, data_format: str | None = None, keepdims: bool = False, *,
                 name: str | None = None, dtype: DTypeArg = None,
                 input_shape: ShapeLike | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, **kwargs)
        self._init_layout(data_format)
        self.keepdims = check_bool(keepdims, "keepdims")

    def _output_shape(self, shape: Shape) -> Shape:
        channels = shape[self._channel_axis]
        if not self.keepdims:
            return (shape[0], channels)
        return self._with_spatial(shape, (1,) * self.rank, channels)

    def call(self, x: np.ndarray) -> np.ndarray:
        return global_pool(x, self.pooling_type, keepdims=self.keepdims,
                           data_format=self.data_format)

    def field_step(self, fields: tuple[geometry.Field, ...],
                   input_shape: Shape) -> tuple[geometry.Field, ...]:
        return whole_input_fields(fields, self, input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {"name": config.pop("name"), "data_format": self.data_format,
                "keepdims": self.keepdims, **config}


class GlobalAveragePooling1D(BaseGlobalPooling):
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


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width (Keras's ``GlobalAveragePooling2D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> layer = vt.layers.GlobalAveragePooling2D(keepdims=True)
    >>> layer.compute_output_shape((2, 4, 5, 3))
    (2, 1, 1, 3)
    """

    rank = 2


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width (Keras's ``GlobalAveragePooling3D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.GlobalAveragePooling3D().compute_output_shape((None, 4, 4, 4, 8))
    (None, 8)
    """

    rank = 3


class GlobalMaxPooling1D(BaseGlobalPooling):
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


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over height and width (Keras's ``GlobalMaxPooling2D``).

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.layers.GlobalMaxPooling2D().compute_output_shape((None, 7, 7, 512))
    (None, 512)
    """

    rank = 2
    pooling_type = "MAX"


class GlobalMaxPooling3D(BaseGlobalPooling):
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
