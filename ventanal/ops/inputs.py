"""Input handling shared by the ops: array coercion, layouts, rank inference.

:func:`as_array` is the one place an array-like becomes an array (the ops, the activations
and :func:`ventanal.extract` use it). No window arithmetic here: sizes and pads come from
:mod:`ventanal.geometry`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .. import geometry

__all__ = ["as_array", "quiet_floats", "spatial_rank", "Layout"]


def as_array(value, name: str) -> np.ndarray:
    """Any array-like (list, NumPy array, object with ``__array__``) as a NumPy array.

    The result may share memory with ``value``; the ops never write into it. A masked array
    is refused: its mask would be silently dropped (the frameworks have no masks either);
    fill it first, e.g. ``x.filled(0)`` or ``x.filled(np.nan)``.

    Examples
    --------
    >>> as_array(np.ma.masked_array([1, 2], mask=[0, 1]), "input")
    Traceback (most recent call last):
    TypeError: `input` is a masked array; ventanal would drop its mask: pass x.filled(value) ...
    """
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"`{name}` is a masked array; ventanal would drop its mask: pass "
                        f"x.filled(value) (e.g. x.filled(0) or x.filled(np.nan)) or x.data")
    try:
        array = np.asarray(value)
    except Exception as error:  # e.g. ragged lists, tensors that refuse __array__
        raise TypeError(f"`{name}` must be array-like (a NumPy array, a nested list or a "
                        f"tensor with __array__), got {type(value).__name__}: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers (bool, int or float), got dtype "
                        f"{array.dtype}")
    return array


def quiet_floats() -> np.errstate:
    """The floating-point state the ops compute in: IEEE results without NumPy's warnings.

    ``inf - inf`` and ``0 * inf`` give NaN, a float32 sum past the largest float32 gives inf,
    silently, as in TensorFlow and PyTorch and in ventanal's numba kernels, so that an op
    behaves the same whichever backend (chosen by size under ``auto``) computes it.
    """
    return np.errstate(all="ignore")


def spatial_rank(window_shape, x: np.ndarray, name: str) -> int:
    """Number of spatial axes: ``len(window_shape)``, or inferred from ``x`` for an int.

    An int window on a rank-1 or rank-2 array means one bare sequence or
    image; on a rank N+2 array (batch, spatial..., channels), N spatial axes.
    """
    if isinstance(window_shape, (numbers.Number, np.generic)) or (
            isinstance(window_shape, np.ndarray) and window_shape.ndim == 0):
        if x.ndim in (1, 2):
            return x.ndim
        if 3 <= x.ndim <= 5:
            return x.ndim - 2
        raise ValueError(f"cannot infer the number of spatial axes from an input of rank "
                         f"{x.ndim} and an int `{name}`; give `{name}` as a tuple with one "
                         f"entry per spatial axis (1, 2 or 3 of them)")
    if isinstance(window_shape, (str, bytes)) or not isinstance(window_shape, (Sequence,
                                                                              np.ndarray)):
        raise TypeError(f"`{name}` must be an int or a sequence of ints, "
                        f"got {window_shape!r} ({type(window_shape).__name__})")
    n = len(window_shape)
    if not 1 <= n <= 3:
        raise ValueError(f"`{name}` must have 1, 2 or 3 entries (spatial axes), "
                         f"got {len(window_shape)}: {tuple(window_shape)!r}")
    return n


class Layout:
    """Moves an input to ``(batch, *spatial, channels)`` and back.

    Rank N input (one single-channel image or sequence) gains batch and
    channel axes of size 1, and the result loses them again.
    """

    def __init__(self, x: np.ndarray, n: int, data_format, name: str = "input"):
        self.n = n
        self.channels_first = geometry.normalize_data_format(data_format, n)
        self.bare = x.ndim == n
        if not self.bare and x.ndim != n + 2:
            hint = ""
            if x.ndim == n + 1:
                hint = ("; for one multi-channel image add a batch axis (x[None]), for one "
                        "single-channel image per batch entry add a channel axis "
                        "(x[..., None])")
            raise ValueError(f"`{name}` must have rank {n} (one single-channel "
                             f"{'sequence' if n == 1 else 'image' if n == 2 else 'volume'}) or "
                             f"rank {n + 2} (batch, {n} spatial axes, channels) for {n} spatial "
                             f"axes, got rank {x.ndim} with shape {x.shape}{hint}")

    def to_channels_last(self, x: np.ndarray) -> np.ndarray:
        if self.bare:
            return x[None, ..., None]
        if self.channels_first:
            return np.moveaxis(x, 1, -1)
        return x

    def from_channels_last(self, y: np.ndarray) -> np.ndarray:
        if self.bare:
            return y[0, ..., 0]
        if self.channels_first:
            return np.moveaxis(y, -1, 1)
        return y

    def spatial_shape(self, x: np.ndarray) -> tuple[int, ...]:
        if self.bare:
            return x.shape
        return x.shape[2:] if self.channels_first else x.shape[1:-1]
