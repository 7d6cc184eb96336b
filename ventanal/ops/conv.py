"""N-D convolution (cross-correlation, as in deep learning), multi-channel, grouped.

Arguments and results of ``tf.nn.convolution`` / ``tf.nn.conv2d``: no kernel
flip, filters laid out spatial + (in_channels // groups, out_channels),
padded cells are zeros. Window arithmetic comes from :mod:`ventanal.geometry`.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

from .. import geometry
from ..geometry import IntOrSequence, PaddingLike
from . import conv_dispatch, memory
from .canvas import gathers, tap_reader
from .dtypes import conv_dtypes
from .inputs import Layout, as_array, quiet_floats

__all__ = ["conv", "conv_reference"]


def conv(input: ArrayLike, filters: ArrayLike, strides: IntOrSequence | None = None,
         padding: PaddingLike = "VALID", data_format: str | None = None,
         dilations: IntOrSequence | None = None, *, groups: int = 1) -> np.ndarray:
    """Convolution as in ``tf.nn.convolution`` (cross-correlation: no flip).

    Parameters
    ----------
    input : array_like
        Rank N+2: (batch, N spatial axes, channels), or channels first with
        ``data_format``. For teaching, a rank-1 or rank-2 input with a
        ``filters`` of the same rank is one single-channel sequence or image
        and a bare kernel; the result then has the input's rank.
    filters : array_like
        Spatial shape + (in_channels // groups, out_channels), e.g. HWIO in
        2-D (Keras's kernel layout); N = ``filters.ndim - 2``.
    strides : int or sequence of int, optional
        Step between windows. Default (None) 1.
    padding : str, int or sequence, optional
        ``"VALID"`` (default), ``"SAME"`` (TensorFlow's split, the extra cell
        after), ``"FULL"``, ``"CAUSAL"`` (all padding before, as Keras's
        Conv1D), an int or per-axis ints (symmetric, as PyTorch), or
        per-axis ``(before, after)`` pairs.
    data_format : str, optional
        ``"NWC"``, ``"NHWC"``, ``"NDHWC"`` (default) or ``"NCW"``,
        ``"NCHW"``, ``"NCDHW"`` (also ``"channels_last"`` /
        ``"channels_first"``).
    dilations : int or sequence of int, optional
        Step between the taps of one window. Default (None) 1. Stride and
        dilation together are allowed (as ``tf.nn.conv2d`` and PyTorch;
        ``tf.nn.convolution`` refuses them).
    groups : int, optional
        Input channels and output channels are split into ``groups``
        contiguous blocks; output block g sees only input block g.
        ``in_channels`` must equal ``groups * filters.shape[-2]``.

    Returns
    -------
    numpy.ndarray
        dtype ``np.result_type(input, filters)``; float16 is accumulated in
        float32 and rounded once; integers are accumulated in int64 (bools
        count as integers).

    Raises
    ------
    ValueError
        Wrong ranks or channel counts, bad ``groups``, a kernel larger than
        the padded input, bad sizes or padding.
    TypeError
        Non-integer sizes, or arrays that are not real numbers; a kernel name
        such as ``"bottom_sobel"`` (use ``vt.data.kernel("bottom_sobel")``).

    See Also
    --------
    ventanal.pool : the other sliding window.
    numpy.correlate : the 1-D, single-channel VALID case.

    Notes
    -----
    Non-finite arithmetic follows IEEE without warnings, as in TensorFlow
    and PyTorch: ``0 * inf`` and ``inf - inf`` give NaN, a sum past the
    largest float gives inf (NumPy's own ufuncs would warn).

    Examples
    --------
    The lesson's sequence and a kernel, as ``np.correlate`` (no flip):

    >>> import numpy as np, ventanal as vt
    >>> x = [1, 9, -1, -2, 7, 3, -1, 2]
    >>> vt.conv(x, [1, 2, 3]).tolist()
    [16, 1, 16, 21, 10, 7]
    >>> vt.conv(x, [1, 2, 3, 4], padding="SAME").tolist()
    [25, 8, 29, 28, 17, 18, 7, 3]

    An image and the bottom Sobel kernel:

    >>> image = np.zeros((5, 5)); image[2:] = 1
    >>> sobel = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    >>> vt.conv(image, sobel).tolist()
    [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [0.0, 0.0, 0.0]]

    A batch of RGB images and 8 filters, Keras layout (NHWC, HWIO):

    >>> images = np.ones((2, 32, 32, 3), np.float32)
    >>> kernel = np.ones((5, 5, 3, 8), np.float32)
    >>> vt.conv(images, kernel, strides=2, padding="SAME").shape
    (2, 16, 16, 8)

    The positional order is ``tf.nn.convolution``'s (input, filters, strides,
    padding, data_format, dilations):

    >>> vt.conv(images, kernel, [2, 2], "SAME", "NHWC", [1, 1]).shape
    (2, 16, 16, 8)
    """
    x = as_array(input, "input")
    if isinstance(filters, str):  # the lesson's kernels go by name in vt.data, not here
        raise TypeError(f"`filters` must be an array of numbers, got the string {filters!r}; "
                        f"for a named kernel use vt.data.kernel({filters!r})")
    w = as_array(filters, "filters")
    bare = w.ndim in (1, 2) and x.ndim == w.ndim
    if bare:
        n = w.ndim
        w = w.reshape(w.shape + (1, 1))
    else:
        n = w.ndim - 2
        if not 1 <= n <= 3:
            raise ValueError(f"`filters` must have rank 3, 4 or 5 (spatial axes + in_channels "
                             f"// groups + out_channels), or the input's rank 1 or 2 for a bare "
                             f"kernel; got rank {w.ndim} with shape {w.shape} and an input of "
                             f"rank {x.ndim}")
    if any(size == 0 for size in w.shape):
        raise ValueError(f"`filters` must not be empty, got shape {w.shape}")
    layout = Layout(x, n, data_format)
    groups = _groups(groups)
    x_cl = layout.to_channels_last(x)
    in_channels, group_channels, out_channels = x_cl.shape[-1], w.shape[-2], w.shape[-1]
    if in_channels != groups * group_channels:
        raise ValueError(f"`input` has {in_channels} channels but `filters` expects "
                         f"groups * filters.shape[-2] = {groups} * {group_channels} = "
                         f"{groups * group_channels}" +
                         (f"; for a grouped convolution pass groups={in_channels // group_channels}"
                          if groups == 1 and in_channels % group_channels == 0 else ""))
    if out_channels % groups:
        raise ValueError(f"`filters` out_channels ({out_channels}) must be divisible by "
                         f"`groups` ({groups})")
    plan = geometry.plan(layout.spatial_shape(x), w.shape[:n],
                         1 if strides is None else strides, padding,
                         1 if dilations is None else dilations,
                         channels_first=layout.channels_first)
    gather = gathers(plan, x_cl.shape)
    memory.check_budget(memory.op_bytes(x_cl.shape, plan.output_shape, out_channels,
                                        conv_dtypes(x.dtype, w.dtype)[0].itemsize, gather),
                        f"convolution of input shape {x_cl.shape}")
    # The fast kernels (numba, or banded NumPy) give the reference's result within rounding;
    # None means VENTANAL_BACKEND=reference asks for the readable implementation below. When
    # the windows read mostly padding the reference runs, gathering only the cells read.
    with quiet_floats():
        y = None if gather else conv_dispatch.conv(x_cl, w, plan, groups)
        if y is None:
            y = conv_reference(x_cl, w, plan, groups)
    return layout.from_channels_last(y)


def _groups(groups) -> int:
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"`groups` must be an integer >= 1, got {groups!r} "
                        f"({type(groups).__name__})")
    if groups < 1:
        raise ValueError(f"`groups` must be an integer >= 1, got {groups}")
    return int(groups)


def conv_reference(x: np.ndarray, w: np.ndarray, plan: geometry.WindowPlan,
                   groups: int = 1) -> np.ndarray:
    """Readable NumPy convolution of channels-last ``x`` with ``w`` (spatial, in/g, out).

    For each kernel tap, the input cells under that tap in every window
    (one strided slice) times the tap's (in, out) matrix, summed over taps:
    ``out = sum_tap x[tap] @ w[tap]``. Loops over taps, never over pixels.
    """
    accumulator, result = conv_dtypes(x.dtype, w.dtype)
    offsets_read, read = tap_reader(x.astype(accumulator, copy=False), plan, 0)
    w = w.astype(accumulator, copy=False)
    batch, out_channels = x.shape[0], w.shape[-1]
    out = np.zeros((batch,) + plan.output_shape + (out_channels,), dtype=accumulator)
    per_group_in, per_group_out = w.shape[-2], out_channels // groups
    for offsets in offsets_read:
        taps = read(offsets)
        weights = w[offsets]
        if groups == 1:
            out += taps @ weights
        else:
            taps = taps.reshape(taps.shape[:-1] + (groups, per_group_in))
            weights = weights.reshape(per_group_in, groups, per_group_out)
            out += np.einsum("...gc,cgf->...gf", taps, weights).reshape(out.shape)
    if gathers(plan, x.shape) and w.dtype.kind == "f":
        out[..., _skipped_non_finite(w, plan)] = np.nan
    return out.astype(result, copy=False)


def _skipped_non_finite(w: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray:
    """Output channels that a tap reading only padding turns to NaN (``0 * inf``).

    The gathering path skips such taps; a non-finite weight there still makes every output
    of its channel NaN, as the padded canvas gives.
    """
    read = np.ones(plan.window_shape, dtype=bool)
    for i, axis in enumerate(plan.axes):
        along = np.zeros(axis.window, dtype=bool)
        along[geometry.read_taps(axis)] = True
        shape = [1] * len(plan.axes)
        shape[i] = axis.window
        read = read & along.reshape(shape)
    non_finite = ~np.isfinite(w).all(axis=-2)        # spatial + (out_channels,)
    return (non_finite & ~read[..., None]).reshape(-1, w.shape[-1]).any(axis=0)
