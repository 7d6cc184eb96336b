"""Plans: a window sliding along every axis of an input (:func:`plan`, :class:`WindowPlan`),
built from the operation's arguments, and the table compiled kernels read them from."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .arguments import (
    LARGEST,
    IntOrSequence,
    PaddingLike,
    as_int,
    describe,
    normalize_padding,
    normalize_tuple,
)
from .windows import AxisWindow, ceil_windows, effective_window

__all__ = ["WindowPlan", "TABLE_COLUMNS", "axis_row", "plan"]


@dataclass(frozen=True)
class WindowPlan:
    """Per-axis window geometry of one sliding-window operation.

    Build it with :func:`plan`. Operations read everything they need from it.
    """

    axes: tuple[AxisWindow, ...]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(a.output for a in self.axes)

    @property
    def window_shape(self) -> tuple[int, ...]:
        return tuple(a.window for a in self.axes)

    @property
    def strides(self) -> tuple[int, ...]:
        return tuple(a.stride for a in self.axes)

    @property
    def dilations(self) -> tuple[int, ...]:
        return tuple(a.dilation for a in self.axes)

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        return tuple((a.pad_before, a.pad_after) for a in self.axes)

    def table(self) -> np.ndarray:
        """The plan as an ``int64`` array a compiled kernel can take, one row per axis.

        Columns, in order (named by :data:`TABLE_COLUMNS`): size, window,
        stride, dilation, pad_before, output, span, the interior windows'
        first and stop (:meth:`AxisWindow.interior`), the read cells'
        offset and count (:meth:`AxisWindow.read_cells`), the effective window
        and the first tap of window 0 (:meth:`AxisWindow.start`).

        Examples
        --------
        >>> plan((10,), 3, strides=2, padding="SAME").table().tolist()
        [[10, 3, 2, 1, 0, 5, 11, 0, 4, 0, 10, 3, 0]]
        """
        table = self.__dict__.get("_table")
        if table is None:   # built once per plan: plans are shared (see _planned)
            table = np.array([axis_row(a) for a in self.axes], dtype=np.int64).reshape(
                len(self.axes), len(TABLE_COLUMNS))
            object.__setattr__(self, "_table", table)
        return table.copy()   # the caller's own, writeable, as the kernels' types expect

    def lifted(self, rank: int) -> WindowPlan:
        """The plan with leading axes of one cell and one tap, ``rank`` axes in all.

        A kernel written for three axes runs a 1-D or 2-D plan lifted this way.

        Examples
        --------
        >>> p = plan((5, 7), 3).lifted(3)
        >>> p.input_shape, p.window_shape, p.output_shape
        ((1, 5, 7), (1, 3, 3), (1, 3, 5))
        """
        if rank < len(self.axes):
            raise ValueError(f"`rank` must be at least the plan's {len(self.axes)} axes, "
                             f"got {rank}")
        lifted = self.__dict__.setdefault("_lifted", {})
        if rank not in lifted:
            lifted[rank] = WindowPlan((_unit_axis(),) * (rank - len(self.axes)) + self.axes)
        return lifted[rank]


TABLE_COLUMNS = ("size", "window", "stride", "dilation", "pad_before", "output", "span",
                 "interior_first", "interior_stop", "read_offset", "read_count",
                 "effective_window", "first_tap")


@functools.cache
def _unit_axis() -> AxisWindow:
    """An axis of one cell and one tap (what :meth:`WindowPlan.lifted` adds), built once."""
    return plan((1,), 1).axes[0]


def axis_row(axis: AxisWindow) -> tuple[int, ...]:
    """One row of :meth:`WindowPlan.table` (columns :data:`TABLE_COLUMNS`).

    The last columns are :attr:`AxisWindow.effective_window` and ``first_tap``,
    :meth:`AxisWindow.start` of window 0: window ``i``'s tap ``m`` lies at
    ``i * stride + first_tap + m * dilation``.

    Examples
    --------
    >>> row = dict(zip(TABLE_COLUMNS, axis_row(plan((9,), 3, dilations=2, padding=1).axes[0])))
    >>> row["effective_window"], row["first_tap"]
    (5, -1)
    """
    return (axis.size, axis.window, axis.stride, axis.dilation, axis.pad_before, axis.output,
            axis.span) + axis.interior() + axis.read_cells() + (
            axis.effective_window, int(axis.start(0)))


def _axis_window(n: int, k: int, s: int, d: int, padding, ceil_mode: bool,
                 axis: int) -> AxisWindow:
    e = effective_window(k, d)
    if e > 2 * LARGEST:   # tap positions must stay far inside int64
        raise ValueError(f"`window_shape` {k} with dilation {d} spans {e} cells along spatial "
                         f"axis {axis}; at most 2**41 are allowed")
    if padding == "SAME":
        # TensorFlow: the size ignores the window; a negative total is clamped
        # to 0 and an odd total puts the extra cell after.
        o = -(-n // s)
        total = max(0, (o - 1) * s + e - n)
        return AxisWindow(n, k, s, d, total // 2, total - total // 2, o)
    if padding == "VALID":
        lo, hi = 0, 0
    elif padding == "FULL":
        lo, hi = e - 1, e - 1
    elif padding == "CAUSAL":
        lo, hi = e - 1, 0
    else:
        lo, hi = padding
    room = n + lo + hi - e
    if ceil_mode:
        # PyTorch: round up, but the last window must start inside the input or
        # the left padding. The size formula alone decides, so a window may
        # stick out past the padding.
        o = ceil_windows(room, s)
        if (o - 1) * s >= n + lo:
            o -= 1
    else:
        o = room // s + 1
    if o < 1:
        dilated = f" (effective size {e} with dilation {d})" if d > 1 else ""
        raise ValueError(
            f"`window_shape` {k}{dilated} is larger than the padded input along spatial axis "
            f"{axis}: input size {n} + padding ({lo}, {hi}) = {n + lo + hi}; use "
            f"padding='SAME', a smaller window, or a larger input")
    return AxisWindow(n, k, s, d, lo, hi, o)


def plan(input_shape: Sequence[int], window_shape: IntOrSequence, strides: IntOrSequence = 1,
         padding: PaddingLike = "VALID", dilations: IntOrSequence = 1, *,
         ceil_mode: bool = False, channels_first: bool | None = None) -> WindowPlan:
    """Plan a window sliding over an input of spatial shape ``input_shape``.

    Parameters
    ----------
    input_shape : sequence of int
        Spatial sizes only (no batch or channel axis).
    window_shape : int or sequence of int
        Taps per axis.
    strides, dilations : int or sequence of int, optional
        Step between windows and between the taps of a window.
    padding : str, int or sequence, optional
        Any form accepted by :func:`normalize_padding`.
    ceil_mode : bool, optional
        PyTorch's rounding up of the output size (pooling). It has no effect
        with ``"SAME"``, whose size is already ``ceil(n / s)``.
    channels_first : bool, optional
        Layout, only needed for TensorFlow's explicit padding with batch and
        channel pairs.

    Returns
    -------
    WindowPlan

    Raises
    ------
    ValueError
        For an empty input axis, non-positive window/stride/dilation, negative
        padding, or a window larger than the padded input.
    TypeError
        For non-integer sizes.

    Examples
    --------
    >>> p = plan((5, 7), (2, 3), strides=(1, 2), padding="SAME")
    >>> p.output_shape, p.padding
    ((5, 4), ((0, 1), (1, 1)))
    """
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise TypeError(f"`input_shape` must be a sequence of integers, "
                        f"got {describe(input_shape)}") from None
    n_axes = len(shape)
    if n_axes == 0:
        raise ValueError("`input_shape` must have at least one spatial axis, got ()")
    shape = tuple(as_int(v, "input_shape") for v in shape)
    if any(v < 1 for v in shape):
        raise ValueError(f"`input_shape` must have every spatial size >= 1 (an empty input has "
                         f"no window to slide), got {shape}")
    window = normalize_tuple(window_shape, n_axes, "window_shape")
    stride = normalize_tuple(strides, n_axes, "strides")
    dilation = normalize_tuple(dilations, n_axes, "dilations")
    pad = normalize_padding(padding, n_axes, channels_first=channels_first)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"`ceil_mode` must be True or False, got {describe(ceil_mode)}")
    return _planned(shape, window, stride, dilation, pad, bool(ceil_mode))


@functools.lru_cache(maxsize=256)
def _planned(shape: tuple[int, ...], window: tuple[int, ...], stride: tuple[int, ...],
             dilation: tuple[int, ...], pad, ceil_mode: bool) -> WindowPlan:
    """The plan of normalised arguments; the same (immutable) plan for the same arguments, so
    that an op called again and again reuses its table and lifted plan."""
    return WindowPlan(tuple(
        _axis_window(shape[i], window[i], stride[i], dilation[i],
                     pad if isinstance(pad, str) else pad[i], ceil_mode, i)
        for i in range(len(shape))))
