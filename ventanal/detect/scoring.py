"""Scoring every window at once: a sliding linear classifier is one convolution.

A linear classifier scores a patch as ``sum(patch * weights) + bias``. Slid over every window
of an image, those sums are exactly the outputs of a ``"VALID"`` cross-correlation of the
image with ``weights`` at stride ``step``: the fully-convolutional view of detection, where a
window scan and a convolution are one computation. :func:`normalized_cross_correlation`
builds the classic template matcher on the same convolution.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..geometry import normalize_tuple
from ..ops import conv
from .windows import image_shape

__all__ = ["score_map", "normalized_cross_correlation"]


def _as_filters(image: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image as (1, H, W, C) and weights as (h, w, C, 1), the convolution's layout."""
    x = image[None, ..., None] if image.ndim == 2 else image[None]
    if weights.ndim == 2 and x.shape[-1] > 1:
        weights = np.repeat(weights[..., None], x.shape[-1], axis=2) / 1.0
    w = weights[..., None, None] if weights.ndim == 2 else weights[..., None]
    if w.shape[2] != x.shape[-1]:
        raise ValueError(f"`weights` must have the image's {x.shape[-1]} channels, got shape "
                         f"{weights.shape}")
    return x, w


def score_map(image: npt.ArrayLike, weights: npt.ArrayLike, step: int | tuple[int, int] = 1,
              bias: float = 0) -> np.ndarray:
    """The score of a linear classifier on every window, computed as one convolution.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, C)
    weights : array_like, shape (h, w) or (h, w, C)
        The classifier; its spatial shape is the window's.
    step : int or (height, width)
        The step between windows (the convolution's stride).
    bias : float

    Returns
    -------
    ndarray, shape ``vt.output_shape((H, W), (h, w), step, "VALID")``
        ``scores[r, c]`` is the score of the window at ``x = c * step``, ``y = r * step``,
        equal to ``(patch * weights).sum() + bias`` for that patch of
        :func:`ventanal.detect.windows`.

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> score_map(image, np.ones((2, 2)), step=2).tolist()
    [[10.0, 18.0], [42.0, 50.0]]
    >>> from ventanal.detect import windows
    >>> [float(p.sum()) for _, _, p in windows(image, 2, 2)]
    [10.0, 18.0, 42.0, 50.0]
    """
    x = np.asarray(image, dtype=np.float64)
    image_shape(x)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim not in (2, 3):
        raise ValueError(f"`weights` must have shape (h, w) or (h, w, C), got {w.shape}")
    if w.ndim == 3 and x.ndim == 2:
        raise ValueError(f"`weights` has {w.shape[2]} channels but the image has none "
                         f"(shape {x.shape})")
    if not np.isfinite(float(bias)):
        raise ValueError(f"`bias` must be a finite number, got {bias!r}")
    strides = normalize_tuple(step, 2, "step")
    if x.ndim == 2 and w.ndim == 2:
        return conv(x, w, strides) + float(bias)
    xs, ws = _as_filters(x, w)
    return conv(xs, ws, strides)[0, ..., 0] + float(bias)


def normalized_cross_correlation(image: npt.ArrayLike, template: npt.ArrayLike,
                                 step: int | tuple[int, int] = 1) -> np.ndarray:
    """Normalised cross-correlation of ``template`` with every window (Pearson's r, -1..1).

    Three convolutions: the window sums of the image and of its square (for each window's
    mean and spread) and the correlation with the zero-mean template. A flat window (no
    spread) scores 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> image = rng.random((20, 20))
    >>> template = image[5:10, 8:14].copy()
    >>> ncc = normalized_cross_correlation(image, template)
    >>> np.unravel_index(np.argmax(ncc), ncc.shape), round(float(ncc.max()), 6)
    ((np.int64(5), np.int64(8)), 1.0)
    """
    x = np.asarray(image, dtype=np.float64)
    t = np.asarray(template, dtype=np.float64)
    if x.ndim == 3 and t.ndim == 2:
        x = x.mean(axis=2)
    if t.ndim == 3 and x.ndim == 2:
        t = t.mean(axis=2)
    centred = t - t.mean()
    norm = np.sqrt((centred ** 2).sum())
    ones = np.ones_like(t)
    count = float(t.size)
    sums = score_map(x, ones, step)
    squares = score_map(x * x, ones, step)
    spread = np.sqrt(np.maximum(squares - sums * sums / count, 0.0))
    correlation = score_map(x, centred, step)
    out = np.zeros_like(correlation)
    denominator = spread * norm
    np.divide(correlation, denominator, out=out, where=denominator > 1e-12 * max(norm, 1.0))
    return np.clip(out, -1.0, 1.0)
