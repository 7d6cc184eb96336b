"""Argument normalisation: every accepted form of a size, a padding or a layout, checked once."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["PADDING_NAMES", "LARGEST", "PaddingLike", "IntOrSequence", "describe", "as_int",
           "normalize_tuple", "normalize_padding", "normalize_data_format"]

PADDING_NAMES = ("VALID", "SAME", "FULL", "CAUSAL")
# The largest size, window, stride, dilation or padding amount accepted: 2**40 (about 10**12)
# keeps every position and product of the window arithmetic far inside int64, where NumPy
# computes tap positions, so no answer can silently wrap around.
LARGEST = 2 ** 40

PaddingLike = str | int | Sequence[int | Sequence[int]]
IntOrSequence = int | Sequence[int]

_CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
_CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


def describe(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def as_int(value, name: str) -> int:
    """One integer, refusing bools, floats (2.7 or 2.0), NaN and magnitudes past :data:`LARGEST`.

    Examples
    --------
    >>> as_int(2 ** 63, "strides")
    Traceback (most recent call last):
    ValueError: `strides` must be at most 2**40 (1099511627776) in magnitude, got 922337...808
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {describe(value)}")
    if abs(int(value)) > LARGEST:
        raise ValueError(f"`{name}` must be at most 2**40 ({LARGEST}) in magnitude, "
                         f"got {int(value)}")
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
                        f"got {describe(value)}")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (numbers.Number, np.generic)):
        result = (as_int(value, name),) * n
    else:
        try:
            items = list(value)
        except TypeError:
            raise TypeError(f"`{name}` must be an integer or a sequence of {n} integers, "
                            f"got {describe(value)}") from None
        if len(items) != n:
            raise ValueError(f"`{name}` must have {n} entries (one per spatial axis), "
                             f"got {len(items)}: {tuple(items)!r}")
        result = tuple(as_int(v, name) for v in items)
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
        p = as_int(padding, "padding")
        pairs: tuple = ((p, p),) * n
    else:
        try:
            items = list(padding)
        except TypeError:
            raise TypeError(f"`padding` must be a string, an int or a sequence, "
                            f"got {describe(padding)}") from None
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
        p = as_int(value, "padding")
        return (p, p)
    if not _is_pair(value):
        raise ValueError(f"`padding` entries must be an int or a (before, after) pair, "
                         f"got {value!r}")
    return (as_int(value[0], "padding"), as_int(value[1], "padding"))


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
