"""Helpers shared by the figures, the animations and the command line: labels and inputs.

Numbers and shapes as the figures write them (``62×62``, ``0.25``), the
captions of an operation, and the checks that turn an array-like into an
image or a kernel. Nothing here imports matplotlib or Pillow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data import LUMA_WEIGHTS
from .i18n import text

__all__ = ["format_shape", "format_tuple", "format_value", "padding_label", "op_label",
           "as_image", "to_gray", "as_kernel"]


def format_shape(shape: Sequence[int]) -> str:
    """``(64, 64)`` -> ``"64×64"``; ``(8,)`` -> ``"8"``.

    Examples
    --------
    >>> format_shape((62, 62)), format_shape((8,)), format_shape((2, 3, 4))
    ('62×62', '8', '2×3×4')
    """
    return "×".join(str(int(v)) for v in shape)


def format_tuple(values: Sequence[int]) -> str:
    """``(2, 2)`` -> ``"2×2"`` but ``(2,)`` -> ``"2"`` and equal entries stay explicit.

    Examples
    --------
    >>> format_tuple((1, 1)), format_tuple((2, 3))
    ('1', '(2, 3)')
    """
    values = tuple(int(v) for v in values)
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def format_value(value: float, digits: int | None = None) -> str:
    """A cell's number as a short string: ``-1``, ``0.25``, ``0.0625``, ``1.3``.

    Integer values print without decimals; others with ``digits`` decimals,
    or 3 significant digits when ``digits`` is None. ``-0`` prints as ``0``.

    Examples
    --------
    >>> [format_value(v) for v in (-1.0, 2, 0.0625, 1 / 3, -0.0, 12.75)]
    ['-1', '2', '0.0625', '0.333', '0', '12.8']
    >>> format_value(1 / 3, digits=2)
    '0.33'
    """
    v = float(value)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "−∞" if v < 0 else "∞"
    if digits is not None:
        s = f"{v:.{digits}f}"
        if float(s) == 0:
            s = s.lstrip("-")
        return s
    if v == round(v) and abs(v) < 1e6:
        return str(int(round(v)))
    s = f"{v:.3g}"
    return s


def padding_label(padding: Any, lang: str) -> str:
    """Caption for a padding argument: ``padding 'same'`` or ``padding ((0, 1),)``.

    Examples
    --------
    >>> padding_label("SAME", "es"), padding_label(((0, 1),), "en")
    ("relleno 'same'", 'padding ((0, 1),)')
    """
    if isinstance(padding, str):
        key = f"padding.{padding.lower()}"
        if key in _PADDING_KEYS:
            return text(key, lang)
    return text("padding.explicit", lang, pads=padding)


_PADDING_KEYS = {"padding.valid", "padding.same", "padding.full", "padding.causal"}


def op_label(kind: str, window: Sequence[int], strides: Sequence[int], padding: Any,
             lang: str, dilations: Sequence[int] | None = None) -> str:
    """``"max pooling 2×2, stride 2, padding 'same'"`` in ``lang``.

    Examples
    --------
    >>> op_label("max", (2, 2), (2, 2), "same", "en")
    "max pooling 2×2, stride 2, padding 'same'"
    >>> op_label("conv", (3,), (1,), "valid", "es", dilations=(2,))
    "convolución 3, paso 1, dilatación 2, relleno 'valid'"
    """
    dilated = dilations is not None and any(d != 1 for d in dilations)
    key = f"op.{kind}_dilated" if dilated else f"op.{kind}"
    return text(key, lang, window=format_shape(window), stride=format_tuple(strides),
                dilation=format_tuple(dilations or (1,)), padding=padding_label(padding, lang))


def as_image(image: Any, name: str = "image") -> np.ndarray:
    """A 2-D float array (grayscale) or ``(H, W, 3)`` RGB from any array-like.

    ``uint8`` is scaled to [0, 1]; one channel is dropped, an alpha channel ignored.

    Examples
    --------
    >>> as_image(np.full((2, 2, 1), 255, dtype=np.uint8)).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    >>> as_image(np.zeros(3))
    Traceback (most recent call last):
    ...
    ValueError: `image` must be an image of shape (H, W), (H, W, 1) or (H, W, 3), got shape (3,)
    """
    try:
        array = np.asarray(image)
    except Exception as error:
        raise TypeError(f"`{name}` must be array-like, got {type(image).__name__}: "
                        f"{error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers, got dtype {array.dtype}")
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / np.float32(255)
    elif array.dtype.kind != "f":
        array = array.astype(np.float64)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[..., :3]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise ValueError(f"`{name}` must be an image of shape (H, W), (H, W, 1) or (H, W, 3), "
                         f"got shape {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"`{name}` must not be empty, got shape {array.shape}")
    return array


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grayscale (BT.601 luma) of an RGB image; a 2-D image is returned as is.

    Examples
    --------
    >>> to_gray(np.ones((2, 2, 3))).round(6).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    if image.ndim == 3:
        return (image @ np.array(LUMA_WEIGHTS)).astype(image.dtype, copy=False)
    return image


def as_kernel(kernel: Any) -> np.ndarray:
    """A kernel array from an array-like or a registry name (``"bottom_sobel"``).

    Examples
    --------
    >>> as_kernel("edge").shape, as_kernel([1, 2, 1]).tolist()
    ((3, 3), [1, 2, 1])
    """
    if isinstance(kernel, str):
        from .. import data

        return np.asarray(data.kernel(kernel))
    try:
        array = np.asarray(kernel)
    except Exception as error:
        raise TypeError(f"`kernel` must be array-like or a kernel name, got "
                        f"{type(kernel).__name__}: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`kernel` must hold real numbers, got dtype {array.dtype}")
    if array.size == 0:
        raise ValueError(f"`kernel` must not be empty, got shape {array.shape}")
    return array
