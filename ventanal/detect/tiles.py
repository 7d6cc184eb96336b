"""Tiles for sliced inference: overlapping crops that cover the whole image (SAHI's slices).

A tile is a window of the sliding scan with ``step = size - overlap`` and ``edge="snap"``:
tiles start at ``0, step, 2*step, ...`` and the one that would cross the border is moved back
to end on it, so every tile is whole and every pixel is covered. Along an axis shorter than
the tile, one tile covers the axis (and is as short as the image). These are the boxes of
SAHI's ``get_slice_bboxes`` for the same sizes and overlap ratios, in the same order.
"""

from __future__ import annotations

import numpy as np

from ..geometry import IntOrSequence, normalize_tuple
from .windows import window_origins

__all__ = ["tiles", "tile_step"]


def tile_step(size: int, overlap: float | int, name: str = "overlap") -> int:
    """The step between tiles of ``size`` pixels overlapping by ``overlap``.

    A float in ``[0, 1)`` is a ratio of the tile, truncated to whole pixels as SAHI does
    (``int(0.2 * 512) = 102``); an int is whole pixels.

    Examples
    --------
    >>> tile_step(512, 0.2), tile_step(512, 100)
    (410, 412)
    """
    if isinstance(overlap, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a ratio in [0, 1) or whole pixels, got {overlap!r}")
    if isinstance(overlap, (int, np.integer)):
        pixels = int(overlap)
    elif isinstance(overlap, (float, np.floating)):
        if not (0 <= overlap < 1):
            raise ValueError(f"`{name}` as a ratio must be in [0, 1), got {overlap!r} "
                             f"(pass an int for whole pixels)")
        pixels = int(overlap * size)
    else:
        raise TypeError(f"`{name}` must be a ratio in [0, 1) or whole pixels, got {overlap!r}")
    if not 0 <= pixels < size:
        raise ValueError(f"`{name}` must leave a step of at least one pixel: {pixels} pixels "
                         f"of overlap with tiles of {size}")
    return size - pixels


def tiles(shape: tuple[int, ...], size: IntOrSequence,
          overlap: float | int | tuple = 0.2) -> np.ndarray:
    """Boxes ``(x1, y1, x2, y2)`` of overlapping tiles covering an image of ``shape``.

    Parameters
    ----------
    shape : (height, width)
    size : int or (height, width)
        Tile size.
    overlap : float, int or a (height, width) pair of them
        A ratio of the tile in ``[0, 1)`` or whole pixels.

    Returns
    -------
    ndarray of int64, shape (n, 4)
        Row by row, left to right.

    Examples
    --------
    >>> tiles((10, 25), 10, overlap=0.2).tolist()
    [[0, 0, 10, 10], [8, 0, 18, 10], [15, 0, 25, 10]]
    >>> tiles((5, 5), 8).tolist()      # a tile larger than the image: the image
    [[0, 0, 5, 5]]
    """
    height, width = normalize_tuple(tuple(shape), 2, "shape")
    tile_h, tile_w = normalize_tuple(size, 2, "size")
    overlaps = overlap if isinstance(overlap, (tuple, list)) else (overlap, overlap)
    if len(overlaps) != 2:
        raise ValueError(f"`overlap` must be one value or a (height, width) pair, "
                         f"got {overlap!r}")
    steps = (tile_step(tile_h, overlaps[0]), tile_step(tile_w, overlaps[1]))
    clipped = (min(tile_h, height), min(tile_w, width))
    origins = window_origins((height, width), clipped, steps, edge="snap")
    return np.concatenate([origins, origins + (clipped[1], clipped[0])], axis=1)
