"""Window arithmetic: the one place where ventanal computes sizes and pads.

Every sliding-window operation (pooling, convolution, layers, receptive
fields, figures, the command line) asks this module for a *plan* and never
re-derives output sizes or padding itself. The rules are TensorFlow's, with
PyTorch's conventions available by argument; ``shared/semantics.md`` holds
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

    def starts(self) -> np.ndarray:
        """Input position of the first tap of every window."""
        return np.arange(self.output) * self.stride - self.pad_before

    def taps(self) -> np.ndarray:
        """Input positions read by every window, shape ``(output, window)``."""
        return self.starts()[:, None] + np.arange(self.window)[None, :] * self.dilation

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

    @property
    def is_identity_padding(self) -> bool:
        """True when every window lies inside the input (nothing padded is ever read)."""
        return all(a.pad_before == 0 and a.read_after <= 0 for a in self.axes)


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
        o = -(-room // s) + 1
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
         padding: PaddingLike = "VALID", dilations: IntOrSequence = 1,
         ceil_mode: bool = False, *, channels_first: bool | None = None) -> WindowPlan:
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


def output_shape(input_shape: Sequence[int], window_shape: IntOrSequence,
                 strides: IntOrSequence = 1, padding: PaddingLike = "VALID",
                 dilations: IntOrSequence = 1, ceil_mode: bool = False) -> tuple[int, ...]:
    """Spatial output shape of a sliding window (TensorFlow's rules by default).

    Parameters
    ----------
    input_shape : sequence of int
        Spatial sizes only, e.g. ``(397, 397)`` for one image.
    window_shape, strides, padding, dilations, ceil_mode
        As in :func:`ventanal.pool`.

    Returns
    -------
    tuple of int

    Examples
    --------
    The lesson's 2x2 pooling with stride 2 and SAME padding:

    >>> output_shape((397, 397), 2, strides=2, padding="SAME")
    (199, 199)
    >>> output_shape((397, 397), 2, strides=2, padding="VALID")
    (198, 198)

    PyTorch's ``ceil_mode`` and symmetric padding:

    >>> output_shape((5,), 2, strides=2, padding=1, ceil_mode=True)
    (3,)
    """
    return plan(input_shape, window_shape, strides, padding, dilations, ceil_mode).output_shape


def padding_amounts(input_shape: Sequence[int], window_shape: IntOrSequence,
                    strides: IntOrSequence = 1, padding: PaddingLike = "VALID",
                    dilations: IntOrSequence = 1,
                    ceil_mode: bool = False) -> tuple[tuple[int, int], ...]:
    """Padding ``(before, after)`` per spatial axis that the window uses.

    TensorFlow's SAME puts the extra cell after (bottom/right) and never pads
    a negative amount.

    Examples
    --------
    >>> padding_amounts((5, 5), 2, strides=2, padding="SAME")
    ((0, 1), (0, 1))
    >>> padding_amounts((8,), 1, strides=3, padding="SAME")   # stride > window: clamped
    ((0, 0),)
    """
    return plan(input_shape, window_shape, strides, padding, dilations, ceil_mode).padding


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

