"""The public shape questions: output shapes and padding amounts, of a spatial or a whole shape."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .arguments import IntOrSequence, PaddingLike, describe, normalize_data_format
from .plans import WindowPlan, plan

__all__ = ["output_shape", "padding_amounts"]


def _shape_plan(input_shape: Sequence[int], window_shape: IntOrSequence,
                strides: IntOrSequence, padding: PaddingLike, dilations: IntOrSequence,
                data_format: str | None, ceil_mode: bool) -> tuple[WindowPlan, tuple[int, ...],
                                                                   bool | None]:
    """The plan of a public shape question, and the full shape's batch/channel positions.

    Without ``data_format`` the shape is spatial; with it, the shape is the whole
    input (batch, spatial..., channels, or channels first), answered whole.
    """
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise TypeError(f"`input_shape` must be a sequence of integers, "
                        f"got {describe(input_shape)}") from None
    if data_format is None:
        if not 1 <= len(shape) <= 3:
            raise ValueError(
                f"`input_shape` must be the spatial shape (1, 2 or 3 sizes), got {shape} "
                f"(rank {len(shape)}); for a whole (batch, spatial..., channels) shape pass "
                f"`data_format`, e.g. data_format='NHWC'")
        spatial_rank = len(shape)
        if not isinstance(window_shape, (numbers.Number, np.generic, str, bytes)):
            try:
                spatial_rank = len(window_shape)   # type: ignore[arg-type]
            except TypeError:
                pass
        if spatial_rank != len(shape):
            raise ValueError(
                f"`window_shape` must have {len(shape)} entries, one per axis of `input_shape` "
                f"{shape}, got {spatial_rank}: {tuple(window_shape)!r}; give the "  # type: ignore[arg-type]
                f"spatial shape only, or the whole shape with `data_format`")
        return plan(shape, window_shape, strides, padding, dilations,
                    ceil_mode=ceil_mode), shape, None
    n = len(shape) - 2
    if not 1 <= n <= 3:
        raise ValueError(f"`input_shape` with `data_format` must be a whole shape (batch, "
                         f"1 to 3 spatial axes, channels), got {shape} (rank {len(shape)})")
    channels_first = normalize_data_format(data_format, n)
    spatial = shape[2:] if channels_first else shape[1:-1]
    return plan(spatial, window_shape, strides, padding, dilations, ceil_mode=ceil_mode,
                channels_first=channels_first), shape, channels_first


def output_shape(input_shape: Sequence[int], window_shape: IntOrSequence,
                 strides: IntOrSequence = 1, padding: PaddingLike = "VALID",
                 dilations: IntOrSequence = 1, *, data_format: str | None = None,
                 ceil_mode: bool = False) -> tuple[int, ...]:
    """Output shape of a sliding window (TensorFlow's rules by default).

    Parameters
    ----------
    input_shape : sequence of int
        The spatial sizes, e.g. ``(397, 397)`` for one image; or, with
        ``data_format``, the whole input shape, e.g. ``(8, 397, 397, 3)``.
    window_shape, strides, padding, dilations
        As in :func:`ventanal.pool`.
    data_format : str, optional
        ``"NWC"``, ``"NHWC"``, ``"NDHWC"``, ``"NCW"``, ``"NCHW"``, ``"NCDHW"``,
        ``"channels_last"`` or ``"channels_first"``: ``input_shape`` is then the
        whole shape, and so is the answer (batch and channels unchanged).
    ceil_mode : bool, optional
        PyTorch's rounding up (pooling).

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        A shape whose rank does not match the window (never a guess), or any
        error of :func:`plan`.

    Examples
    --------
    The lesson's 2x2 pooling with stride 2 and SAME padding:

    >>> output_shape((397, 397), 2, strides=2, padding="SAME")
    (199, 199)
    >>> output_shape((397, 397), 2, strides=2, padding="VALID")
    (198, 198)

    A whole batch, as Keras reports it:

    >>> output_shape((8, 397, 397, 3), 2, 2, "SAME", data_format="NHWC")
    (8, 199, 199, 3)

    PyTorch's ``ceil_mode`` and symmetric padding:

    >>> output_shape((5,), 2, strides=2, padding=1, ceil_mode=True)
    (3,)
    """
    windows, shape, channels_first = _shape_plan(input_shape, window_shape, strides, padding,
                                                 dilations, data_format, ceil_mode)
    if channels_first is None:
        return windows.output_shape
    if channels_first:
        return shape[:2] + windows.output_shape
    return shape[:1] + windows.output_shape + shape[-1:]


def padding_amounts(input_shape: Sequence[int], window_shape: IntOrSequence,
                    strides: IntOrSequence = 1, padding: PaddingLike = "VALID",
                    dilations: IntOrSequence = 1, *, data_format: str | None = None,
                    ceil_mode: bool = False) -> tuple[tuple[int, int], ...]:
    """Padding ``(before, after)`` per axis that the windows use.

    TensorFlow's SAME puts the extra cell after (bottom/right) and never pads
    a negative amount. Arguments as in :func:`output_shape`; with
    ``data_format`` the answer has one pair per axis of the whole shape
    (``(0, 0)`` for batch and channels, TensorFlow's explicit-padding form).

    Examples
    --------
    >>> padding_amounts((5, 5), 2, strides=2, padding="SAME")
    ((0, 1), (0, 1))
    >>> padding_amounts((8,), 1, strides=3, padding="SAME")   # stride > window: clamped
    ((0, 0),)
    >>> padding_amounts((1, 3, 5, 5), 2, 2, "SAME", data_format="NCHW")
    ((0, 0), (0, 0), (0, 1), (0, 1))
    """
    windows, _, channels_first = _shape_plan(input_shape, window_shape, strides, padding,
                                             dilations, data_format, ceil_mode)
    if channels_first is None:
        return windows.padding
    if channels_first:
        return ((0, 0), (0, 0)) + windows.padding
    return ((0, 0),) + windows.padding + ((0, 0),)
