"""An image pyramid: the same image smaller and smaller, so one window size finds every scale.

pyimagesearch's pyramid (``imutils.resize`` at each level): each level's size comes from
the one before, ``scale`` times narrower, ``w' = int(w / scale)``, and as tall as keeps the aspect,
``h' = int(h * (w' / w))``; levels stop before one would be narrower or shorter than
``min_size = (w, h)``. Resizing is Pillow's: with ``smooth`` an area (box) filter, which
averages the pixels a level's pixel covers (a low-pass before subsampling); without it the
nearest pixel (aliasing shows, as a teaching contrast). Every level is resampled from the
original image, not from the level before, so blur does not pile up.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from .windows import image_shape

__all__ = ["pyramid", "level_shapes", "resize"]


def _check(scale: float, min_size: tuple[int, int]) -> tuple[float, tuple[int, int]]:
    if isinstance(scale, (bool, np.bool_)) or not np.isscalar(scale) or not (
            np.isfinite(scale) and scale > 1):
        raise ValueError(f"`scale` must be a number greater than 1, got {scale!r}")
    try:
        min_w, min_h = (int(v) for v in min_size)
    except (TypeError, ValueError):
        raise TypeError(f"`min_size` must be (width, height), got {min_size!r}") from None
    if min_w < 1 or min_h < 1:
        raise ValueError(f"`min_size` must be positive (width, height), got {min_size!r}")
    return float(scale), (min_w, min_h)


def level_shapes(shape: tuple[int, ...], scale: float = 1.5,
                 min_size: tuple[int, int] = (30, 30)) -> list[tuple[int, int]]:
    """``(height, width)`` of every pyramid level of an image of ``shape``, no pixels read.

    The first level is the image itself (yielded whatever its size, as pyimagesearch does).

    Examples
    --------
    >>> level_shapes((100, 150), scale=1.5, min_size=(30, 30))
    [(100, 150), (66, 100), (43, 66)]
    """
    scale, (min_w, min_h) = _check(scale, min_size)
    height, width = (int(v) for v in shape[:2])
    shapes = [(height, width)]
    while True:
        new_w = int(width / scale)
        new_h = int(height * (new_w / float(width)))
        if new_w < min_w or new_h < min_h or new_w < 1 or new_h < 1:
            return shapes
        height, width = new_h, new_w
        shapes.append((height, width))


def resize(image: np.ndarray, shape: tuple[int, int], *, smooth: bool = True) -> np.ndarray:
    """``image`` resized to ``(height, width)`` by Pillow, channel by channel, same dtype.

    Examples
    --------
    >>> resize(np.arange(16.0).reshape(4, 4), (2, 2)).tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    from PIL import Image

    height, width = shape
    method = Image.Resampling.BOX if smooth else Image.Resampling.NEAREST
    planes = image[..., None] if image.ndim == 2 else image
    out = np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(
        planes[..., c], dtype=np.float32), mode="F").resize((width, height), method))
        for c in range(planes.shape[-1])], axis=-1)
    out = out[..., 0] if image.ndim == 2 else out
    if image.dtype.kind in "iub":
        info = np.iinfo(image.dtype) if image.dtype.kind != "b" else None
        out = np.rint(out)
        if info is not None:
            out = np.clip(out, info.min, info.max)
    return out.astype(image.dtype)


def pyramid(image: npt.ArrayLike, scale: float = 1.5,
            min_size: tuple[int, int] = (30, 30), *,
            smooth: bool = True) -> Iterator[tuple[np.ndarray, float]]:
    """Yield ``(level, factor)`` from the image itself down to the smallest level.

    ``factor`` is original width / level width: multiply a box found on the level by it
    (:func:`ventanal.detect.to_original`) to draw it on the image.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, C)
    scale : float
        How many times narrower each level is than the one before (> 1).
    min_size : (width, height)
        The smallest level allowed (pyimagesearch's order: width first).
    smooth : bool
        Low-pass (an area filter) before subsampling; without it, the nearest pixel.

    Examples
    --------
    >>> image = np.zeros((100, 150))
    >>> [(level.shape, round(f, 3)) for level, f in pyramid(image, 1.5, (40, 40))]
    [((100, 150), 1.0), ((66, 100), 1.5), ((43, 66), 2.273)]
    """
    array = np.asarray(image)
    height, width = image_shape(array)
    shapes = level_shapes((height, width), scale, min_size)
    yield array, 1.0
    for shape in shapes[1:]:
        level = resize(array, shape, smooth=smooth)
        yield level, width / shape[1]
