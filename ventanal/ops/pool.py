"""Max, average and global pooling over 1, 2 or 3 spatial axes.

Results and shapes are TensorFlow's (``tf.nn.pool``, ``tf.nn.max_pool``,
``tf.nn.avg_pool``, Keras pooling layers); PyTorch's conventions
(symmetric integer padding, ``ceil_mode``, ``count_include_pad``) are
available by argument. Window arithmetic comes from :mod:`ventanal.geometry`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import geometry
from ..geometry import IntOrSequence, PaddingLike
from . import memory, pool_dispatch
from .canvas import gathers, tap_reader
from .dtypes import average_dtypes, lowest
from .inputs import Layout, as_array, quiet_floats, spatial_rank

__all__ = ["pool", "max_pool", "avg_pool", "global_pool", "max_pool_reference",
           "avg_pool_reference", "average_divisor"]

_POOLING_TYPES = ("MAX", "AVG")


def pool(input: ArrayLike, window_shape: IntOrSequence, pooling_type: str = "MAX",
         strides: IntOrSequence | None = None, padding: PaddingLike = "VALID",
         data_format: str | None = None, dilations: IntOrSequence | None = None, *,
         ceil_mode: bool = False, count_include_pad: bool = False) -> np.ndarray:
    """Max or average pooling, with the arguments and results of ``tf.nn.pool``.

    Parameters
    ----------
    input : array_like
        Rank N+2 (batch, N spatial axes, channels; or channels first, see
        ``data_format``), or rank N for one single-channel sequence, image
        or volume, in which case the result has rank N too.
    window_shape : int or sequence of int
        Window size per spatial axis; N = ``len(window_shape)`` (1, 2 or 3).
        An int is used on every axis, N then being inferred from the input.
    pooling_type : {"MAX", "AVG"}
        Case-insensitive.
    strides : int or sequence of int, optional
        Step between windows. Default 1 (as ``tf.nn.pool``; the Keras-style
        :func:`max_pool` defaults to the window instead).
    padding : str, int or sequence, optional
        ``"VALID"`` (default), ``"SAME"`` (TensorFlow's split, the extra
        cell after), ``"FULL"``, an int or per-axis ints (symmetric, as
        PyTorch), or per-axis ``(before, after)`` pairs.
    data_format : str, optional
        ``"NWC"``, ``"NHWC"``, ``"NDHWC"`` (channels last, the default) or
        ``"NCW"``, ``"NCHW"``, ``"NCDHW"``; ``"channels_last"`` and
        ``"channels_first"`` are accepted too.
    dilations : int or sequence of int, optional
        Step between the taps of one window. Default 1.
    ceil_mode : bool, optional
        PyTorch's rounding up of the output size. Default False.
    count_include_pad : bool, optional
        Average pooling only: divide by the window size including padded
        cells (PyTorch's default) instead of by the real cells (TensorFlow).
        Default False.

    Returns
    -------
    numpy.ndarray
        Same dtype as the input for MAX and for float AVG; AVG of integers
        or bools returns float64 (NumPy's ``mean`` convention; TensorFlow
        refuses integer averages).

    Raises
    ------
    ValueError
        Wrong rank or layout, unknown ``pooling_type`` or ``padding``, a
        window larger than the padded input, non-positive sizes, negative
        padding.
    TypeError
        Non-integer sizes, or an input that is not real numbers.

    See Also
    --------
    max_pool, avg_pool : Keras-style defaults (strides = pool size).
    global_pool : pooling over every spatial position.
    ventanal.output_shape : the output size without computing anything.

    Notes
    -----
    Padded cells are never candidates for the maximum, and the average
    divides by the number of real cells (``count_include_pad=False``), as in
    TensorFlow. Where TensorFlow itself is inconsistent, ventanal does:

    * NaN propagates through MAX (NumPy's and PyTorch's convention);
      TensorFlow's CPU kernel skips NaN instead.
    * A window whose real cells are all ``-inf``, or that lies entirely in
      padding (possible with dilation), gives ``-inf`` for MAX (PyTorch's
      result; TensorFlow gives the dtype's lowest finite value), and the
      smallest integer for integer inputs. Its AVG without
      ``count_include_pad`` is NaN (a mean of no cells).
    * Stride > window and stride with dilation are allowed, with the natural
      meaning shared by TensorFlow's raw ops and PyTorch (``tf.nn.pool``
      itself refuses them).
    * A window that does not fit in the padded input is a ValueError (no
      empty results).
    * Any padding amount is allowed (PyTorch limits it to half the window).

    Float16 averages are accumulated in float32 and rounded once. Non-finite
    arithmetic follows IEEE without warnings, as in TensorFlow and PyTorch:
    an average over ``inf`` and ``-inf`` is NaN, a float32 sum past the
    largest float32 is inf (NumPy's ``mean`` would warn).

    Examples
    --------
    The lesson's sequence, max-pooled with a window of 2 and stride 2:

    >>> import ventanal as vt
    >>> x = [1, 9, -1, -2, 7, 3, -1, 2]
    >>> vt.pool(x, [2], "MAX", strides=[2]).tolist()
    [9, -1, 7, 2]

    SAME padding adds one cell at the end; the average divides by the two
    real cells of the last window:

    >>> vt.pool(x, [3], "AVG", strides=[2], padding="SAME").tolist()
    [3.0, 1.3333333333333333, 3.0, 0.5]

    PyTorch's ``avg_pool1d(x, 3, 2, padding=1)`` (which counts padding):

    >>> vt.pool(x, [3], "AVG", strides=[2], padding=1, count_include_pad=True).round(3).tolist()
    [3.333, 2.0, 2.667, 1.333]

    A batch of images in NHWC layout:

    >>> import numpy as np
    >>> images = np.arange(2 * 5 * 5 * 3, dtype=np.float32).reshape(2, 5, 5, 3)
    >>> vt.pool(images, (2, 2), "MAX", strides=(2, 2), padding="SAME").shape
    (2, 3, 3, 3)

    The positional order is ``tf.nn.pool``'s, so a TensorFlow call ports by renaming:

    >>> vt.pool(images, [2, 2], "MAX", [2, 2], "SAME", "NHWC").shape
    (2, 3, 3, 3)
    """
    x = as_array(input, "input")
    kind = _pooling_type(pooling_type)
    n = spatial_rank(window_shape, x, "window_shape")
    layout = Layout(x, n, data_format)
    for name, value in (("count_include_pad", count_include_pad), ("ceil_mode", ceil_mode)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"`{name}` must be True or False, got {value!r}")
    plan = geometry.plan(layout.spatial_shape(x), window_shape,
                         1 if strides is None else strides, padding,
                         1 if dilations is None else dilations, ceil_mode=ceil_mode,
                         channels_first=layout.channels_first)
    x = layout.to_channels_last(x)
    itemsize = (x.dtype if kind == "MAX" else average_dtypes(x.dtype)[0]).itemsize
    gather = gathers(plan, x.shape)
    memory.check_budget(memory.op_bytes(x.shape, plan.output_shape, x.shape[-1], itemsize,
                                        gather), f"{kind} pooling of input shape {x.shape}")
    # The fast kernels (numba, or banded NumPy) give the reference's results; they return
    # None when VENTANAL_BACKEND=reference asks for the readable implementations below, or
    # is not asked when the windows read mostly padding (the reference gathers the cells read).
    if x.size == 0:   # no value to pool; AVG's divisor alone would span the output grid
        dtype = x.dtype if kind == "MAX" else average_dtypes(x.dtype)[1]
        return layout.from_channels_last(
            np.zeros((x.shape[0],) + plan.output_shape + (x.shape[-1],), dtype=dtype))
    with quiet_floats():
        if kind == "MAX":
            y = None if gather else pool_dispatch.max_pool(x, plan)
            if y is None:
                y = max_pool_reference(x, plan)
        else:
            y = None if gather else pool_dispatch.avg_pool(x, plan, bool(count_include_pad))
            if y is None:
                y = avg_pool_reference(x, plan, count_include_pad=bool(count_include_pad))
    return layout.from_channels_last(y)


def _pooling_type(pooling_type) -> str:
    kind = pooling_type.upper() if isinstance(pooling_type, str) else None
    if kind not in _POOLING_TYPES:
        raise ValueError(f"`pooling_type` must be 'MAX' or 'AVG' (any case), "
                         f"got {pooling_type!r}")
    return kind


def max_pool_reference(x: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray:
    """Readable NumPy max pooling of channels-last ``x`` (batch, *spatial, channels).

    One vectorised ``maximum`` per window tap: the loop runs over the
    ``prod(window_shape)`` taps, never over pixels. Padding is filled with
    the identity of ``maximum``, so it never wins.
    """
    offsets, read = tap_reader(x, plan, lowest(x.dtype))
    out = np.full((x.shape[0],) + plan.output_shape + (x.shape[-1],), lowest(x.dtype))
    for tap in offsets:
        np.maximum(out, read(tap), out=out)
    return out


def average_divisor(plan: geometry.WindowPlan, count_include_pad: bool) -> np.ndarray:
    """Number of cells each window averages, broadcastable to (1, *output, 1).

    Real cells only (TensorFlow), or real and padded cells but not the cells
    that ``ceil_mode`` pushes past the padding (PyTorch's
    ``count_include_pad``). Separable: the product of per-axis counts.
    """
    divisor = np.ones((1,) * (len(plan.axes) + 2))
    for i, axis in enumerate(plan.axes):
        counts = axis.padded_counts() if count_include_pad else axis.real_counts()
        shape = [1] * (len(plan.axes) + 2)
        shape[i + 1] = axis.output
        divisor = divisor * counts.reshape(shape)
    return divisor


def avg_pool_reference(x: np.ndarray, plan: geometry.WindowPlan, *,
                       count_include_pad: bool = False) -> np.ndarray:
    """Readable NumPy average pooling of channels-last ``x``: sum of taps / divisor."""
    accumulator, result = average_dtypes(x.dtype)
    offsets, read = tap_reader(x.astype(accumulator, copy=False), plan, 0)
    total = np.zeros((x.shape[0],) + plan.output_shape + (x.shape[-1],), dtype=accumulator)
    for tap in offsets:
        total += read(tap)
    with np.errstate(invalid="ignore", divide="ignore"):
        total /= average_divisor(plan, count_include_pad).astype(accumulator)
    return total.astype(result, copy=False)


# ---------------------------------------------------------------------------
# Keras-style front-ends
# ---------------------------------------------------------------------------

def _keras_data_format(data_format, n: int) -> str:
    channels_first = geometry.normalize_data_format(data_format, n)
    return "channels_first" if channels_first else "channels_last"


def max_pool(x: ArrayLike, pool_size: IntOrSequence = 2, strides: IntOrSequence | None = None,
             padding: PaddingLike = "valid",
             data_format: str | None = "channels_last") -> np.ndarray:
    """Max pooling with Keras's defaults (``keras.layers.MaxPooling2D`` and friends).

    Parameters
    ----------
    x : array_like
        Rank N+2 (batch, spatial..., channels) or rank N (one single-channel
        sequence, image or volume).
    pool_size : int or tuple of int
        Window. A tuple fixes N; an int is used on every spatial axis of
        ``x`` (rank 1 or 2: a bare sequence or image; rank 3 to 5: N+2).
    strides : int or tuple of int, optional
        Default: ``pool_size`` (Keras), not 1 as in :func:`pool`.
    padding : str, int or sequence
        ``"valid"`` (default) or ``"same"``; the other forms of :func:`pool`
        are accepted too.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    A 397x397 image, condensed by a 2x2 window with SAME padding:

    >>> import numpy as np, ventanal as vt
    >>> vt.max_pool(np.zeros((397, 397)), 2, padding="same").shape
    (199, 199)
    >>> vt.max_pool([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 2, padding="same").tolist()
    [[5, 6], [8, 9]]
    """
    array = as_array(x, "x")
    n = spatial_rank(pool_size, array, "pool_size")
    return pool(array, _window(pool_size, n), "MAX", strides=pool_size if strides is None
                else strides, padding=padding, data_format=_keras_data_format(data_format, n))


def avg_pool(x: ArrayLike, pool_size: IntOrSequence = 2, strides: IntOrSequence | None = None,
             padding: PaddingLike = "valid",
             data_format: str | None = "channels_last") -> np.ndarray:
    """Average pooling with Keras's defaults (``keras.layers.AveragePooling2D`` and friends).

    Arguments as :func:`max_pool`. With ``padding="same"`` the border
    windows divide by their real cells only, as in TensorFlow.

    Examples
    --------
    >>> import ventanal as vt
    >>> vt.avg_pool([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 2, padding="same").tolist()
    [[3.0, 4.5], [7.5, 9.0]]
    """
    array = as_array(x, "x")
    n = spatial_rank(pool_size, array, "pool_size")
    return pool(array, _window(pool_size, n), "AVG", strides=pool_size if strides is None
                else strides, padding=padding, data_format=_keras_data_format(data_format, n))


def _window(pool_size, n: int) -> tuple[int, ...]:
    return geometry.normalize_tuple(pool_size, n, "pool_size")


def global_pool(x: ArrayLike, pooling_type: str = "AVG", keepdims: bool = False,
                data_format: str | None = "channels_last") -> np.ndarray:
    """Mean or max over every spatial position, per batch entry and channel.

    The same as Keras's ``GlobalAveragePooling1D/2D/3D`` and
    ``GlobalMaxPooling1D/2D/3D``. NaN propagates (as Keras's ``reduce_max``).

    Parameters
    ----------
    x : array_like
        Rank 3 to 5: (batch, spatial..., channels), or channels first.
    pooling_type : {"AVG", "MAX"}
    keepdims : bool
        Keep the spatial axes with size 1.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    numpy.ndarray
        Shape (batch, channels), or with ``keepdims`` the input's rank.

    Examples
    --------
    >>> import numpy as np, ventanal as vt
    >>> x = np.ones((2, 4, 5, 3))
    >>> vt.global_pool(x).shape, vt.global_pool(x, keepdims=True).shape
    ((2, 3), (2, 1, 1, 3))
    >>> vt.global_pool(x, "MAX", keepdims=True, data_format="channels_first").shape
    (2, 4, 1, 1)
    """
    array = as_array(x, "x")
    kind = _pooling_type(pooling_type)
    if not 3 <= array.ndim <= 5:
        raise ValueError(f"`x` must have rank 3, 4 or 5 (batch, 1 to 3 spatial axes, "
                         f"channels), got rank {array.ndim} with shape {array.shape}; for one "
                         f"single-channel image use x.max() or x.mean()")
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"`keepdims` must be True or False, got {keepdims!r}")
    n = array.ndim - 2
    channels_first = geometry.normalize_data_format(data_format, n)
    axes = tuple(range(2, n + 2)) if channels_first else tuple(range(1, n + 1))
    if any(array.shape[a] == 0 for a in axes):
        raise ValueError(f"`x` must have non-empty spatial axes, got shape {array.shape}")
    if kind == "MAX":
        return array.max(axis=axes, keepdims=bool(keepdims))
    accumulator, result = average_dtypes(array.dtype)
    with quiet_floats():
        mean = array.mean(axis=axes, keepdims=bool(keepdims), dtype=accumulator)
    return mean.astype(result, copy=False)
