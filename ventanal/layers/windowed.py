"""Layers over spatial axes: the channel layout, sliding windows, and windows as large as the input.

:class:`SpatialLayer` knows where the channels are (``data_format``);
:class:`WindowedLayer` slides a window over the spatial axes (the base of
convolutions and pooling) and asks :mod:`ventanal.geometry` for every
output size and receptive field; :func:`whole_input_fields` is the field
step of a layer whose one output sees its whole input (global pooling,
``Flatten``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import geometry
from .base import Layer, Shape, ShapeLike, as_shape, format_shape

__all__ = ["SpatialLayer", "WindowedLayer", "whole_input_fields"]


class SpatialLayer(Layer):
    """A layer over ``rank`` spatial axes, with the channels last or first (``data_format``)."""

    rank: int = 2

    def _init_layout(self, data_format: str | None) -> None:
        channels_first = geometry.normalize_data_format(data_format, self.rank)
        self.data_format = "channels_first" if channels_first else "channels_last"
        self.expected_rank = self.rank + 2

    @property
    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def _with_spatial(self, shape: Shape, spatial: Sequence[int | None],
                      channels: int | None) -> Shape:
        """A shape with the batch size of ``shape``, these spatial sizes and channels."""
        if self.data_format == "channels_first":
            return (shape[0], channels) + tuple(spatial)
        return (shape[0],) + tuple(spatial) + (channels,)


class WindowedLayer(SpatialLayer):
    """A window sliding over ``rank`` spatial axes; shapes and fields from geometry.

    Subclasses set ``window_size``, ``strides`` and ``padding``.
    """

    _window_argument = "kernel_size"
    strides: tuple[int, ...]
    padding: str

    @property
    def window_size(self) -> tuple[int, ...]:
        """The window's size per spatial axis (``kernel_size`` or ``pool_size``)."""
        raise AttributeError(f"{type(self).__name__!r} object has no attribute 'window_size'")

    def _geometry_padding(self) -> str:
        return self.padding.upper()

    def _dilations(self) -> tuple[int, ...]:
        return (1,) * self.rank

    def axis_windows(self, input_shape: ShapeLike) -> tuple[geometry.AxisWindow | None, ...]:
        """The window of each spatial axis for inputs of ``input_shape`` (None: unknown size).

        Examples
        --------
        >>> import ventanal as vt
        >>> window = vt.layers.MaxPool1D(2, padding="same").axis_windows((None, 5, 1))[0]
        >>> window.output, window.pad_before, window.pad_after
        (3, 0, 1)
        """
        spatial = self.spatial_shape(as_shape(input_shape))
        windows: list[geometry.AxisWindow | None] = []
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

    def _output_channels(self, shape: Shape) -> int | None:
        return shape[self._channel_axis]

    def _output_shape(self, shape: Shape) -> Shape:
        spatial = tuple(None if w is None else w.output for w in self.axis_windows(shape))
        return self._with_spatial(shape, spatial, self._output_channels(shape))

    def field_step(self, fields: tuple[geometry.Field, ...],
                   input_shape: Shape) -> tuple[geometry.Field, ...]:
        windows = self.axis_windows(input_shape)
        if len(fields) != len(windows):
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) slides over "
                             f"{len(windows)} spatial axes, but the model's input has "
                             f"{len(fields)}")
        known = [w for w in windows if w is not None]
        if len(known) != len(windows):
            raise ValueError(f"layer {self.name!r}: receptive fields need every spatial size, "
                             f"got input shape {format_shape(input_shape)}")
        return tuple(geometry.receptive_field_step(f, w)
                     for f, w in zip(fields, known, strict=True))


def whole_input_fields(fields: tuple[geometry.Field, ...], layer: Layer,
                       input_shape: Shape) -> tuple[geometry.Field, ...]:
    """Fields after ``layer``, whose one output sees every spatial position of its input.

    Such a layer is a VALID window as large as the input, tiling it (stride =
    size), so geometry gives the step.

    Examples
    --------
    >>> import ventanal as vt
    >>> from ventanal import geometry
    >>> field = geometry.Field(3, 2, -1)
    >>> whole_input_fields((field,), vt.layers.GlobalMaxPool1D(), (None, 10, 4))
    (Field(size=21, jump=20, start=-1),)
    """
    spatial = layer.spatial_shape(input_shape)
    if len(fields) != len(spatial):
        raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) reduces "
                         f"{len(spatial)} spatial axes, but the model's input has {len(fields)}")
    sizes = [size for size in spatial if size is not None]
    if len(sizes) != len(spatial):
        raise ValueError(f"layer {layer.name!r}: receptive fields need every spatial size, got "
                         f"{format_shape(spatial)}")
    return tuple(geometry.receptive_field_step(f, geometry.plan((n,), n, strides=n).axes[0])
                 for f, n in zip(fields, sizes, strict=True))
