"""Window arithmetic: the one place where ventanal computes sizes and pads.

Every sliding-window operation (pooling, convolution, layers, receptive
fields, figures, the command line) asks this module for a *plan* and never
re-derives output sizes or padding itself. The rules are TensorFlow's, with
PyTorch's conventions available by argument; ``docs/semantics.md`` holds
the framework evidence behind each formula.

Per spatial axis, with input size ``n``, window ``k``, stride ``s``,
dilation ``d`` and effective window ``e = d*(k-1) + 1``:

==============  ==========================================  =====================
padding         output size                                 padding (before, after)
==============  ==========================================  =====================
``"VALID"``     ``(n - e) // s + 1``                        ``(0, 0)``
``"SAME"``      ``ceil(n / s)``                             ``max(0, (o-1)*s + e - n)`` split
                                                            with the extra cell *after*
``"FULL"``      ``(n + 2(e-1) - e) // s + 1``               ``(e-1, e-1)``
``"CAUSAL"``    ``(n - 1) // s + 1``                        ``(e-1, 0)``
``p`` (int)     ``(n + 2p - e) // s + 1``                   ``(p, p)`` (PyTorch)
``(lo, hi)``    ``(n + lo + hi - e) // s + 1``              as given
==============  ==========================================  =====================

With ``ceil_mode=True`` (PyTorch) the division rounds up, and the last
window is dropped when it would start in the right padding.

Output cell ``j`` reads the input positions ``j*s - lo + m*d`` for
``m = 0 .. k-1``; a position outside ``[0, n)`` is a padded cell.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AxisWindow",
    "WindowPlan",
    "Field",
    "PADDING_NAMES",
    "normalize_tuple",
    "normalize_padding",
    "normalize_data_format",
    "TABLE_COLUMNS",
    "axis_row",
    "plan",
    "output_shape",
    "padding_amounts",
    "receptive_field_step",
]

PADDING_NAMES = ("VALID", "SAME", "FULL", "CAUSAL")

PaddingLike = str | int | Sequence[int | Sequence[int]]
IntOrSequence = int | Sequence[int]

_CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
_CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


# ---------------------------------------------------------------------------
# Argument normalisation
# ---------------------------------------------------------------------------

def _describe(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def _as_int(value, name: str) -> int:
    """One integer, refusing bools, floats (2.7 or 2.0) and NaN."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {_describe(value)}")
    return int(value)


def normalize_tuple(value: IntOrSequence, n: int, name: str, *,
                    minimum: int = 1) -> tuple[int, ...]:
    """Turn an int or a sequence of ``n`` ints into a tuple of ``n`` ints.

    Parameters
    ----------
    value : int or sequence of int
        One value for every axis, or one per axis.
    n : int
        Number of spatial axes.
    name : str
        Argument name, used in error messages.
    minimum : int, optional
        Smallest allowed value (1 for windows, strides and dilations).

    Returns
    -------
    tuple of int

    Raises
    ------
    TypeError
        If a value is not an integer (``2.7``, ``2.0``, ``True``, NaN).
    ValueError
        If the sequence length is not ``n`` or a value is below ``minimum``.

    Examples
    --------
    >>> normalize_tuple(2, 3, "strides")
    (2, 2, 2)
    >>> normalize_tuple((1, 2), 2, "strides")
    (1, 2)
    >>> normalize_tuple((0, 1), 2, "strides")
    Traceback (most recent call last):
    ...
    ValueError: `strides` must be integers >= 1, got (0, 1)
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"`{name}` must be an integer or a sequence of {n} integers, "
                        f"got {_describe(value)}")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (numbers.Number, np.generic)):
        result = (_as_int(value, name),) * n
    else:
        try:
            items = list(value)
        except TypeError:
            raise TypeError(f"`{name}` must be an integer or a sequence of {n} integers, "
                            f"got {_describe(value)}") from None
        if len(items) != n:
            raise ValueError(f"`{name}` must have {n} entries (one per spatial axis), "
                             f"got {len(items)}: {tuple(items)!r}")
        result = tuple(_as_int(v, name) for v in items)
    if any(v < minimum for v in result):
        raise ValueError(f"`{name}` must be integers >= {minimum}, got {result}")
    return result


def normalize_padding(padding: PaddingLike, n: int, *,
                      channels_first: bool | None = None) -> str | tuple[tuple[int, int], ...]:
    """Normalise every accepted form of ``padding``.

    Parameters
    ----------
    padding : str, int or sequence
        ``"VALID"``, ``"SAME"``, ``"FULL"`` or ``"CAUSAL"`` (any case);
        an int ``p`` (``p`` cells on both sides of every axis, as PyTorch);
        a sequence of ``n`` entries, each an int (symmetric on that axis) or
        a ``(before, after)`` pair; for ``n == 1`` a bare ``(before, after)``
        pair; or TensorFlow's explicit form with ``n + 2`` pairs, whose
        batch and channel pairs must be ``(0, 0)`` (needs ``channels_first``).
    n : int
        Number of spatial axes.
    channels_first : bool, optional
        Layout of the full input, needed only for TensorFlow's ``n + 2`` form.

    Returns
    -------
    str or tuple of (int, int)
        The upper-case name, or one ``(before, after)`` pair per axis.

    Examples
    --------
    >>> normalize_padding("same", 2)
    'SAME'
    >>> normalize_padding(1, 2)
    ((1, 1), (1, 1))
    >>> normalize_padding([(0, 1), 2], 2)
    ((0, 1), (2, 2))
    >>> normalize_padding([[0, 0], [1, 2], [0, 1], [0, 0]], 2, channels_first=False)
    ((1, 2), (0, 1))
    """
    if isinstance(padding, str):
        name = padding.upper()
        if name not in PADDING_NAMES:
            raise ValueError(f"`padding` must be one of {', '.join(map(repr, PADDING_NAMES))} "
                             f"(any case), an int, or per-axis ints or (before, after) pairs; "
                             f"got {padding!r}")
        return name
    if isinstance(padding, (numbers.Number, np.generic)):
        p = _as_int(padding, "padding")
        pairs: tuple = ((p, p),) * n
    else:
        try:
            items = list(padding)
        except TypeError:
            raise TypeError(f"`padding` must be a string, an int or a sequence, "
                            f"got {_describe(padding)}") from None
        if n == 1 and len(items) == 2 and all(
                isinstance(v, (numbers.Number, np.generic)) for v in items):
            items = [tuple(items)]
        elif len(items) == n + 2 and all(_is_pair(v) for v in items):
            if channels_first is None:
                raise ValueError(f"`padding` with {n + 2} pairs (TensorFlow's explicit form, "
                                 f"batch and channel axes included) needs the input layout; "
                                 f"give {n} pairs, one per spatial axis, instead")
            batch, channel = (0, 1) if channels_first else (0, n + 1)
            for axis in (batch, channel):
                if tuple(items[axis]) != (0, 0):
                    raise ValueError(f"`padding` of the batch and channel axes must be (0, 0), "
                                     f"got {tuple(items[axis])!r} at position {axis}")
            items = [v for i, v in enumerate(items) if i not in (batch, channel)]
        if len(items) != n:
            raise ValueError(f"`padding` must have {n} entries (one per spatial axis), "
                             f"got {len(items)}: {padding!r}")
        pairs = tuple(_pair(v) for v in items)
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"`padding` amounts must be >= 0, got {pairs}")
    return pairs


def _is_pair(value) -> bool:
    return not isinstance(value, (str, bytes, numbers.Number, np.generic)) and \
        hasattr(value, "__len__") and len(value) == 2


def _pair(value) -> tuple[int, int]:
    if isinstance(value, (numbers.Number, np.generic)):
        p = _as_int(value, "padding")
        return (p, p)
    if not _is_pair(value):
        raise ValueError(f"`padding` entries must be an int or a (before, after) pair, "
                         f"got {value!r}")
    return (_as_int(value[0], "padding"), _as_int(value[1], "padding"))


def normalize_data_format(data_format: str | None, n: int) -> bool:
    """Return ``True`` for a channels-first layout, ``False`` for channels-last.

    Accepts TensorFlow's names for ``n`` spatial axes (``"NWC"``, ``"NHWC"``,
    ``"NDHWC"`` and ``"NCW"``, ``"NCHW"``, ``"NCDHW"``), Keras's
    ``"channels_last"`` / ``"channels_first"``, or ``None`` (channels last).

    Examples
    --------
    >>> normalize_data_format("NCHW", 2)
    True
    >>> normalize_data_format(None, 3)
    False
    >>> normalize_data_format("NHWC", 1)
    Traceback (most recent call last):
    ...
    ValueError: `data_format` must be one of None, ... 'NWC', 'NCW' for 1 spatial axis, got 'NHWC'
    """
    if data_format is None:
        return False
    if isinstance(data_format, str):
        name = data_format.upper() if data_format.isupper() else data_format.lower()
        if name in ("channels_last", _CHANNELS_LAST.get(n)):
            return False
        if name in ("channels_first", _CHANNELS_FIRST.get(n)):
            return True
    allowed = ["None", "'channels_last'", "'channels_first'"]
    if n in _CHANNELS_LAST:
        allowed += [repr(_CHANNELS_LAST[n]), repr(_CHANNELS_FIRST[n])]
    axes = "axis" if n == 1 else "axes"
    raise ValueError(f"`data_format` must be one of {', '.join(allowed)} for {n} spatial "
                     f"{axes}, got {data_format!r}")


# ---------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AxisWindow:
    """The geometry of a window sliding along one axis.

    Attributes
    ----------
    size : int
        Input size ``n`` (without padding).
    window : int
        Number of taps ``k``.
    stride : int
        Step ``s`` between consecutive windows.
    dilation : int
        Step ``d`` between the taps of one window.
    pad_before, pad_after : int
        Padding the framework adds (``lo``, ``hi``).
    output : int
        Number of windows ``o``.

    Examples
    --------
    >>> ax = plan((5,), 3, strides=2, padding="SAME").axes[0]
    >>> ax.output, ax.pad_before, ax.pad_after
    (3, 1, 1)
    >>> ax.taps().tolist()
    [[-1, 0, 1], [1, 2, 3], [3, 4, 5]]
    """

    size: int
    window: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    output: int

    @property
    def effective_window(self) -> int:
        """Span of one dilated window, ``d*(k-1) + 1``."""
        return self.dilation * (self.window - 1) + 1

    @property
    def span(self) -> int:
        """Input positions from the first tap of window 0 to the last tap of the last window."""
        return max(0, (self.output - 1) * self.stride + self.effective_window)

    @property
    def read_after(self) -> int:
        """How far the windows reach past the input's end (negative: cells never read).

        Equals ``pad_after`` except with ``ceil_mode`` (the last window may
        stick out past the padding) and when stride > window leaves the tail
        of the input unread.
        """
        return self.span - self.pad_before - self.size

    @property
    def room(self) -> int:
        """Positions the first tap can move through: ``size + pad_before + pad_after - e``.

        The output size is ``room // stride + 1`` (floor) or, with ``ceil_mode``,
        :attr:`ceil_count` before PyTorch drops a window starting in the right padding.
        """
        return self.size + self.pad_before + self.pad_after - self.effective_window

    @property
    def ceil_count(self) -> int:
        """Windows counted by rounding ``room / stride`` up (PyTorch's ``ceil_mode``).

        PyTorch then drops the last of them if it would start in the right
        padding; :attr:`output` is the count after that rule.

        Examples
        --------
        >>> ax = plan((6,), 3, strides=2, ceil_mode=True).axes[0]
        >>> ax.room, ax.ceil_count, ax.output     # floor would give 2
        (3, 3, 3)
        >>> ax = plan((5,), 2, strides=2, padding=1, ceil_mode=True).axes[0]
        >>> ax.ceil_count, ax.output      # the fourth window would start at 5, in the padding
        (4, 3)
        """
        return _ceil_windows(self.room, self.stride)

    def start(self, index):
        """Input position of the first tap of window ``index`` (an int or an array).

        ``index`` may be :attr:`output` (the first window that is not taken) or
        negative; positions outside ``[0, size)`` are padding.

        Examples
        --------
        >>> ax = plan((7,), 3, strides=2, padding="SAME").axes[0]
        >>> ax.start(0), ax.start(2), ax.next_start
        (-1, 3, 7)
        """
        return index * self.stride - self.pad_before

    def tap(self, index, tap):
        """Input position of tap ``tap`` of window ``index`` (ints or broadcasting arrays)."""
        return self.start(index) + tap * self.dilation

    @property
    def next_start(self) -> int:
        """Where the first window that does not fit would start (window number ``output``)."""
        return int(self.start(self.output))

    @property
    def drawn_cells(self) -> tuple[int, int]:
        """First and last position a picture of this axis shows: input, padding, overhang.

        From ``-pad_before`` to the last padded cell or the last cell a window
        reads (past the padding with ``ceil_mode``), whichever is further.
        """
        return -self.pad_before, self.size - 1 + max(self.pad_after, self.read_after, 0)

    def outputs_reading(self, tap: int, first: int = 0, stop: int | None = None) -> tuple[int, int]:
        """Windows ``[i0, i1)`` within ``[first, stop)`` whose tap ``tap`` lies on the input.

        Examples
        --------
        >>> ax = plan((6,), 3, padding="SAME").axes[0]    # taps start(i) - 1 + m, i = 0..5
        >>> ax.outputs_reading(0), ax.outputs_reading(1), ax.outputs_reading(2)
        ((1, 6), (0, 6), (0, 5))
        """
        stop = self.output if stop is None else stop
        offset = self.tap(0, tap)
        lowest = max(first, -(offset // self.stride))    # ceil(-offset / stride)
        highest = min(stop, (self.size - 1 - offset) // self.stride + 1)
        if self.size - 1 - offset < 0:
            highest = lowest
        return lowest, max(lowest, highest)

    def interior(self) -> tuple[int, int]:
        """Windows ``[i0, i1)`` whose every tap lies on the input (no padding read).

        Examples
        --------
        >>> plan((10,), 3, strides=2, padding="SAME").axes[0].interior()
        (0, 4)
        >>> plan((10,), 3, padding=2).axes[0].interior()
        (2, 10)
        """
        i0, _ = self.outputs_reading(0)
        _, i1 = self.outputs_reading(self.window - 1, first=i0)
        return i0, max(i0, i1)

    def read_range(self, first: int, stop: int) -> tuple[int, int]:
        """``(start, count)``: the positions read by windows ``first .. stop - 1``.

        From the first tap of window ``first`` to the last tap of window
        ``stop - 1``, padding included; a band of output rows reads these rows.

        Examples
        --------
        >>> plan((9,), 3, strides=2).axes[0].read_range(1, 3)
        (2, 5)
        """
        return int(self.start(first)), (stop - 1 - first) * self.stride + self.effective_window

    def read_cells(self) -> tuple[int, int]:
        """``(offset, count)`` of the input cells the windows read, in a padded buffer.

        ``offset`` is where input cell 0 sits in a buffer that starts at the
        first tap of window 0; ``count`` is how many input cells (from cell 0)
        the windows read at all, both clamped to the span the windows cover.

        Examples
        --------
        >>> plan((8,), 1, strides=3, padding="SAME").axes[0].read_cells()   # cell 7 unread
        (0, 7)
        """
        return (min(self.pad_before, self.span),
                max(0, min(self.size, self.span - self.pad_before)))

    def starts(self) -> np.ndarray:
        """Input position of the first tap of every window."""
        return self.start(np.arange(self.output))

    def taps(self) -> np.ndarray:
        """Input positions read by every window, shape ``(output, window)``."""
        return self.tap(np.arange(self.output)[:, None], np.arange(self.window)[None, :])

    def real_counts(self) -> np.ndarray:
        """Taps of each window that fall on the input (not on padding)."""
        taps = self.taps()
        return ((taps >= 0) & (taps < self.size)).sum(axis=1)

    def padded_counts(self) -> np.ndarray:
        """Taps of each window inside the input plus its padding.

        Cells that ``ceil_mode`` pushes past the right padding are excluded,
        as in PyTorch's ``count_include_pad``.
        """
        taps = self.taps()
        return ((taps >= -self.pad_before) & (taps < self.size + self.pad_after)).sum(axis=1)


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
        first and stop (:meth:`AxisWindow.interior`), and the read cells'
        offset and count (:meth:`AxisWindow.read_cells`).

        Examples
        --------
        >>> plan((10,), 3, strides=2, padding="SAME").table().tolist()
        [[10, 3, 2, 1, 0, 5, 11, 0, 4, 0, 10]]
        """
        return np.array([axis_row(a) for a in self.axes], dtype=np.int64).reshape(
            len(self.axes), len(TABLE_COLUMNS))


TABLE_COLUMNS = ("size", "window", "stride", "dilation", "pad_before", "output", "span",
                 "interior_first", "interior_stop", "read_offset", "read_count")


def axis_row(axis: AxisWindow) -> tuple[int, ...]:
    """One row of :meth:`WindowPlan.table` (columns :data:`TABLE_COLUMNS`)."""
    return (axis.size, axis.window, axis.stride, axis.dilation, axis.pad_before, axis.output,
            axis.span) + axis.interior() + axis.read_cells()


def _axis_window(n: int, k: int, s: int, d: int, padding, ceil_mode: bool,
                 axis: int) -> AxisWindow:
    e = d * (k - 1) + 1
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
        o = _ceil_windows(room, s)
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


def _ceil_windows(room: int, stride: int) -> int:
    """``ceil(room / stride) + 1``, in integers."""
    return -(-room // stride) + 1


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
                        f"got {_describe(input_shape)}") from None
    n_axes = len(shape)
    if n_axes == 0:
        raise ValueError("`input_shape` must have at least one spatial axis, got ()")
    shape = tuple(_as_int(v, "input_shape") for v in shape)
    if any(v < 1 for v in shape):
        raise ValueError(f"`input_shape` must have every spatial size >= 1 (an empty input has "
                         f"no window to slide), got {shape}")
    window = normalize_tuple(window_shape, n_axes, "window_shape")
    stride = normalize_tuple(strides, n_axes, "strides")
    dilation = normalize_tuple(dilations, n_axes, "dilations")
    pad = normalize_padding(padding, n_axes, channels_first=channels_first)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"`ceil_mode` must be True or False, got {_describe(ceil_mode)}")
    axes = tuple(
        _axis_window(shape[i], window[i], stride[i], dilation[i],
                     pad if isinstance(pad, str) else pad[i], bool(ceil_mode), i)
        for i in range(n_axes))
    return WindowPlan(axes)



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
                        f"got {_describe(input_shape)}") from None
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


# ---------------------------------------------------------------------------
# Receptive fields
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """Receptive field of the units of one layer, along one axis.

    Output unit ``i`` sees the input positions
    ``start + i*jump .. start + i*jump + size - 1`` (positions outside the
    input are padding).
    """

    size: int = 1
    jump: int = 1
    start: int = 0

    def covers(self, i: int) -> tuple[int, int]:
        """First and last input position seen by unit ``i``."""
        first = self.start + i * self.jump
        return first, first + self.size - 1


def receptive_field_step(field: Field, axis: AxisWindow) -> Field:
    """Receptive field after one more sliding-window layer.

    ``jump *= s``; ``size += (e - 1) * jump_before``;
    ``start -= lo * jump_before``.

    Examples
    --------
    Three 3x3 convolutions (stride 1, VALID) and a 2x2/2 pool see 8 pixels,
    two pixels apart:

    >>> f, n = Field(), 32
    >>> for k, s in [(3, 1), (3, 1), (3, 1), (2, 2)]:
    ...     ax = plan((n,), k, strides=s).axes[0]
    ...     f, n = receptive_field_step(f, ax), ax.output
    >>> f
    Field(size=8, jump=2, start=0)
    """
    return Field(size=field.size + (axis.effective_window - 1) * field.jump,
                 jump=field.jump * axis.stride,
                 start=field.start - axis.pad_before * field.jump)

