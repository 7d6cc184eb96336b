"""A window of fixed size sliding over an image: its corners, a zero-copy view, the patches.

The corners come from :mod:`ventanal.geometry`, the same plan the convolutions use: under
``edge="drop"`` the windows of one axis are those of a ``"VALID"`` convolution with that
window and stride, so their count is ``vt.output_shape(shape, size, step, "VALID")``.

``edge`` says what happens to the pixels the last window does not reach:

* ``"drop"``: nothing; windows stay inside and trailing pixels may never be visited
  (pyimagesearch's ``sliding_window`` with whole windows, ``skimage``'s ``view_as_windows``);
* ``"snap"``: one more window, moved back to end at the border (SAHI's slices): every pixel
  is visited and every window is whole;
* ``"pad"``: more windows while they start inside the image, reading past the border into
  ``fill`` (PyTorch's ``ceil_mode`` windows): every pixel is visited once the step is at most
  the window.

Sizes and steps are ``(height, width)`` pairs or one int for both; corners are ``(x, y)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from ..geometry import AxisWindow, IntOrSequence, normalize_tuple
from ..geometry import plan as window_plan
from ..geometry.arguments import describe

__all__ = ["EDGES", "window_origins", "window_view", "windows", "axis_starts", "image_shape",
           "planned_axes"]

#: What to do with the pixels past the last whole window.
EDGES = ("drop", "snap", "pad")


def image_shape(image: np.ndarray, name: str = "image") -> tuple[int, int]:
    """``(height, width)`` of an image of shape (H, W) or (H, W, C) (any object with a
    ``shape``: a lazily read array is not read)."""
    if len(image.shape) not in (2, 3):
        raise ValueError(f"`{name}` must have shape (H, W) or (H, W, C), got shape "
                         f"{image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"`{name}` must not be empty, got shape {image.shape}")
    return int(image.shape[0]), int(image.shape[1])


def _check_edge(edge: str) -> str:
    if edge not in EDGES:
        raise ValueError(f"`edge` must be one of {', '.join(map(repr, EDGES))}, got {edge!r}")
    return edge


def planned_axes(shape: Sequence[int], size: IntOrSequence, step: IntOrSequence,
                 edge: str) -> tuple[AxisWindow, ...]:
    """The geometry plan of each axis (height, width) of a window scan with ``edge``.

    Examples
    --------
    >>> [axis.output for axis in planned_axes((10, 12), 4, 3, "drop")]
    [3, 3]
    """
    try:
        shape = tuple(int(v) for v in shape)
    except TypeError:
        raise TypeError(f"`shape` must be (height, width), got {describe(shape)}") from None
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"`shape` must be (height, width) of positive sizes, got {shape}")
    window = normalize_tuple(size, 2, "size")
    stride = normalize_tuple(step, 2, "step")
    if _check_edge(edge) == "pad":
        # Windows keep starting while they start inside the image (PyTorch's ceil_mode):
        # the last ones read past the border. A window larger than the image needs that
        # much padding after it to be planned at all.
        after = [(0, max(0, k - n)) for n, k in zip(shape, window, strict=True)]
        return window_plan(shape, window, stride, after, ceil_mode=True).axes
    for axis, (n, k) in enumerate(zip(shape, window, strict=True)):
        if k > n:
            name = ("height", "width")[axis]
            raise ValueError(f"`size` {window} is larger than the image {shape} along its "
                             f"{name} ({k} > {n}); use edge='pad' or a smaller window")
    return window_plan(shape, window, stride).axes


def axis_starts(axis: AxisWindow, edge: str) -> np.ndarray:
    """First pixel of every window along one axis, for ``edge``.

    Examples
    --------
    >>> from ventanal.geometry import plan
    >>> ax = plan((10,), 4, strides=3).axes[0]          # starts 0, 3, 6; pixel 9 unread
    >>> axis_starts(ax, "drop").tolist(), axis_starts(ax, "snap").tolist()
    ([0, 3, 6], [0, 3, 6])
    >>> ax = plan((11,), 4, strides=3).axes[0]          # starts 0, 3, 6; pixels 10 unread
    >>> axis_starts(ax, "snap").tolist()
    [0, 3, 6, 7]
    """
    starts = axis.starts()
    if edge == "snap" and axis.read_after < 0:
        # The cells past the last window (geometry's read_after < 0): one more window,
        # moved back so that it ends at the border.
        starts = np.append(starts, axis.border_start)
    return starts.astype(np.int64)


def window_origins(shape: Sequence[int], size: IntOrSequence, step: IntOrSequence, *,
                   edge: str = "drop") -> np.ndarray:
    """Top-left corners ``(x, y)`` of the windows over an image of ``shape``, raster order.

    Parameters
    ----------
    shape : (height, width)
        The image's size (a trailing channel size is not allowed: pass ``image.shape[:2]``).
    size, step : int or (height, width)
        Window size and the step between windows.
    edge : {"drop", "snap", "pad"}
        See the module's description.

    Returns
    -------
    ndarray of int64, shape (n, 2)
        Row by row (``y`` slow, ``x`` fast), as the windows slide.

    Raises
    ------
    ValueError
        For a window larger than the image (except with ``"pad"``), a step or size below 1.

    Examples
    --------
    >>> window_origins((4, 5), 2, 2).tolist()
    [[0, 0], [2, 0], [0, 2], [2, 2]]
    >>> window_origins((4, 5), 2, 2, edge="snap").tolist()
    [[0, 0], [2, 0], [3, 0], [0, 2], [2, 2], [3, 2]]
    >>> import ventanal as vt
    >>> len(window_origins((40, 50), 8, 4)), vt.output_shape((40, 50), 8, 4, "VALID")
    (99, (9, 11))
    """
    rows, cols = (axis_starts(axis, edge) for axis in planned_axes(shape, size, step, edge))
    return _raster_origins(rows, cols)


def window_view(image: npt.ArrayLike, size: IntOrSequence, step: IntOrSequence, *,
                edge: str = "drop",
                fill: float = 0) -> tuple[np.ndarray, np.ndarray]:
    """Every window of ``image`` as one array ``(rows, cols, h, w[, C])``, and the corners.

    Under ``"drop"`` the result is a read-only strided view of ``image``: no pixel is
    copied, whatever the number of windows (as ``skimage.util.view_as_windows`` with a
    step). ``"snap"`` and ``"pad"`` copy the windows they add.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, C)
    size, step : int or (height, width)
    edge : {"drop", "snap", "pad"}
    fill : scalar
        The value of the pixels past the border under ``"pad"``.

    Returns
    -------
    view : ndarray, shape (rows, cols, h, w) or (rows, cols, h, w, C)
    origins : ndarray of int64, shape (rows * cols, 2)
        ``(x, y)`` of each window, raster order: window ``(r, c)`` is ``origins[r * cols + c]``.

    Notes
    -----
    A view looks free, but arithmetic on it makes a full array: ``view.mean(axis=(2, 3))``
    of 8×8 windows with step 1 allocates 64 times the image.

    Examples
    --------
    >>> image = np.arange(20).reshape(4, 5)
    >>> view, origins = window_view(image, 2, 2)
    >>> view.shape, np.shares_memory(view, image)
    ((2, 2, 2, 2), True)
    >>> view[1, 0].tolist(), origins[2].tolist()
    ([[10, 11], [15, 16]], [0, 2])
    """
    array = np.asarray(image)
    height, width = image_shape(array)
    axes = planned_axes((height, width), size, step, edge)
    (kh, kw), (sh, sw) = (axes[0].window, axes[1].window), (axes[0].stride, axes[1].stride)
    if edge == "pad":
        extra = [max(0, axis.read_after) for axis in axes]
        pads = [(0, extra[0]), (0, extra[1])] + [(0, 0)] * (array.ndim - 2)
        array = np.pad(array, pads, constant_values=fill)
    full = np.lib.stride_tricks.sliding_window_view(array, (kh, kw), axis=(0, 1))
    if edge == "snap":
        rows, cols = axis_starts(axes[0], edge), axis_starts(axes[1], edge)
        view = full[rows[:, None], cols[None, :]]
    else:
        view = full[::sh, ::sw]
    if array.ndim == 3:
        view = np.moveaxis(view, 2, -1)          # (rows, cols, h, w, C)
    return view, _raster_origins(axis_starts(axes[0], edge), axis_starts(axes[1], edge))


def _raster_origins(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``(x, y)`` of every window, ``y`` slow and ``x`` fast, filled in place."""
    origins = np.empty((len(rows), len(cols), 2), dtype=np.int64)
    origins[..., 0] = cols[None, :]
    origins[..., 1] = rows[:, None]
    return origins.reshape(-1, 2)


def windows(image: npt.ArrayLike, size: IntOrSequence, step: IntOrSequence, *,
            edge: str = "drop",
            fill: float = 0) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(x, y, patch)`` for every window, left to right, top to bottom.

    The order and the tuple of pyimagesearch's ``sliding_window``; the patches are views
    (under ``"drop"`` and ``"snap"``) of shape ``(h, w)`` or ``(h, w, C)``.

    Examples
    --------
    >>> image = np.arange(12).reshape(3, 4)
    >>> [(x, y, p.tolist()) for x, y, p in windows(image, (2, 2), 2)]
    [(0, 0, [[0, 1], [4, 5]]), (2, 0, [[2, 3], [6, 7]])]
    >>> [(x, y) for x, y, _ in windows(image, 2, 2, edge="snap")]
    [(0, 0), (2, 0), (0, 1), (2, 1)]
    """
    array = np.asarray(image)
    height, width = image_shape(array)
    axes = planned_axes((height, width), size, step, edge)
    kh, kw = axes[0].window, axes[1].window
    if edge == "pad":
        extra = [max(0, axis.read_after) for axis in axes]
        pads = [(0, extra[0]), (0, extra[1])] + [(0, 0)] * (array.ndim - 2)
        array = np.pad(array, pads, constant_values=fill)
    rows, cols = axis_starts(axes[0], edge), axis_starts(axes[1], edge)
    for y in rows.tolist():
        band = array[y:y + kh]
        for x in cols.tolist():
            yield x, y, band[:, x:x + kw]
