"""Sliced inference: run a predictor tile by tile over an image of any size, then stitch.

The image is cut into overlapping tiles (:func:`ventanal.detect.tiles`, SAHI's slices), read
one batch at a time (so a ``np.memmap``, a lazily read TIFF or a Zarr array is never loaded
whole), and the predictor sees a list of tiles. Per tile it returns either boxes in tile
coordinates (a dict ``{"boxes", "scores"[, "classes"]}``), shifted back to the image and then
merged across tiles, or a dense map the size of the tile, stitched into one map of the image
with per-pixel weights (MONAI's ``sliding_window_inference``: ``"constant"`` averages the
overlapping tiles, ``"gaussian"`` trusts each tile's centre more than its border).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..geometry import normalize_tuple
from .boxes import as_boxes, as_classes, as_scores
from .detections import Detections, Trace, resolve
from .merging import MERGE_METHODS
from .suppression import check_threshold
from .tiles import tiles as tile_boxes
from .windows import image_shape

__all__ = ["sliced_predict", "blend_weights", "MERGES", "BLENDS"]

MERGES = (*MERGE_METHODS, "nms", None)
BLENDS = ("constant", "gaussian")


def blend_weights(shape: tuple[int, int], blend: str = "constant",
                  sigma_scale: float = 0.125) -> np.ndarray:
    """Per-pixel weight of a tile's dense output when overlapping tiles are averaged.

    ``"gaussian"``: MONAI's importance map, a Gaussian centred on the tile with standard
    deviation ``sigma_scale`` times the tile's size, scaled to a maximum of 1 (and never 0).

    Examples
    --------
    >>> blend_weights((2, 3)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    >>> w = blend_weights((9, 9), "gaussian"); float(w.max()), bool(w[4, 4] > w[0, 0] > 0)
    (1.0, True)
    """
    if blend not in BLENDS:
        raise ValueError(f"`blend` must be one of {', '.join(map(repr, BLENDS))}, "
                         f"got {blend!r}")
    if blend == "constant":
        return np.ones(shape)
    axes = []
    for n in shape:
        centre, sigma = (n - 1) / 2, max(sigma_scale * n, 1e-6)
        axes.append(np.exp(-0.5 * ((np.arange(n) - centre) / sigma) ** 2))
    weights = np.outer(*axes)
    weights /= weights.max()
    return np.maximum(weights, np.finfo(np.float32).tiny)


def _progress(total: int, progress) -> Callable[[int], None] | None:
    """A callback advancing a bar by n tiles, or None (``progress=None``: only on a terminal)."""
    if callable(progress) and not isinstance(progress, bool):
        return progress
    if progress is None:
        progress = sys.stderr.isatty() and total >= 64
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        done = [0]

        def step(n: int) -> None:
            done[0] += n
            sys.stderr.write(f"\rtiles {done[0]}/{total}")
            if done[0] >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        return step
    bar = tqdm(total=total, unit="tile", leave=False)

    def advance(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()
    return advance


def _read(image: Any, box: Sequence[int]) -> np.ndarray:
    x1, y1, x2, y2 = (int(v) for v in box)
    return np.asarray(image[y1:y2, x1:x2])


def sliced_predict(image: npt.ArrayLike, predict: Callable[[list[np.ndarray]], Sequence[Any]],
                   tile: int | tuple[int, int] = 512, overlap: float | int = 0.2, *,
                   batch_size: int = 8, full_image: bool = False,
                   merge: str | None = "greedy_nmm", metric: str = "ios",
                   threshold: float = 0.5, blend: str = "constant",
                   progress: bool | Callable[[int], None] | None = None) -> Detections:
    """Detect over an image of any size, tile by tile, and merge what the tiles found.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, C)
        Any array that slices lazily works (``np.memmap``, ``tifffile``'s ``aszarr``, Zarr):
        only one batch of tiles is read at a time.
    predict : callable
        ``predict(batch)`` gets a list of tiles (arrays) and returns one result per tile:
        a dict ``{"boxes": (k, 4), "scores": (k,)[, "classes": (k,)]}`` in tile pixels, or
        a dense array whose first two axes are the tile's.
    tile : int or (height, width)
    overlap : float or int
        A ratio of the tile in ``[0, 1)`` or whole pixels.
    batch_size : int
        Tiles per call of ``predict``.
    full_image : bool
        Also run ``predict`` on the whole image (SAHI's standard prediction), as one more
        "tile" (index ``len(tiles)`` in the trace).
    merge : {"greedy_nmm", "nmm", "wbf", "nms", None}
        How boxes found by several tiles become one.
    metric : {"ios", "iou"}
    threshold : float
    blend : {"constant", "gaussian"}
        Weights of overlapping dense outputs.
    progress : bool or callable, optional
        A progress bar (tqdm when installed); by default only on a terminal and for long runs.
        A callable receives the number of tiles just done.

    Returns
    -------
    Detections
        With its ``trace`` (tiles, raw boxes and their fate) and, for dense outputs, ``dense``.

    Examples
    --------
    >>> image = np.zeros((40, 60)); image[18:24, 28:36] = 1        # one bright object
    >>> def predict(batch):
    ...     out = []
    ...     for t in batch:
    ...         ys, xs = np.nonzero(t > 0.5)
    ...         found = len(xs) > 0
    ...         box = [[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]] if found else []
    ...         out.append({"boxes": np.array(box).reshape(-1, 4), "scores": [1.0] * found})
    ...     return out
    >>> found = sliced_predict(image, predict, tile=32, overlap=0.25)
    >>> found.boxes.tolist(), len(found.trace.tiles)
    ([[28.0, 18.0, 36.0, 24.0]], 6)
    """
    height, width = image_shape(image if hasattr(image, "shape") else np.asarray(image))
    if not hasattr(image, "shape"):
        image = np.asarray(image)
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"`batch_size` must be a positive int, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive int, got {batch_size}")
    if merge not in MERGES:
        raise ValueError(f"`merge` must be one of {', '.join(map(repr, MERGES))}, "
                         f"got {merge!r}")
    if metric not in ("ios", "iou"):
        raise ValueError(f"`metric` must be 'ios' or 'iou', got {metric!r}")
    threshold = check_threshold(threshold)
    tile_size = normalize_tuple(tile, 2, "tile")
    boxes_of_tiles = tile_boxes((height, width), tile_size, overlap)
    blend_weights((1, 1), blend)   # checks `blend` before any model call
    jobs = [tuple(b) for b in boxes_of_tiles.tolist()]
    if full_image:
        jobs.append((0, 0, width, height))
    advance = _progress(len(jobs), progress)
    raw_boxes, raw_scores, raw_classes, raw_tiles = [], [], [], []
    dense = weight = None
    any_classes = False
    for first in range(0, len(jobs), batch_size):
        batch_boxes = jobs[first:first + batch_size]
        batch = [_read(image, b) for b in batch_boxes]
        results = predict(batch)
        if len(results) != len(batch):
            raise ValueError(f"`predict` must return one result per tile: got {len(results)} "
                             f"for a batch of {len(batch)}")
        for offset, (box, result, patch) in enumerate(zip(batch_boxes, results, batch,
                                                          strict=True)):
            index = first + offset
            if isinstance(result, dict):
                found = as_boxes(result.get("boxes", np.zeros((0, 4))), "predict(...)['boxes']")
                scores = as_scores(result.get("scores", np.zeros(0)), len(found),
                                   "predict(...)['scores']")
                labels = as_classes(result.get("classes"), len(found))
                any_classes |= labels is not None
                raw_boxes.append(found + (box[0], box[1], box[0], box[1]))
                raw_scores.append(scores)
                raw_classes.append(np.zeros(len(found), np.int64) if labels is None else labels)
                raw_tiles.append(np.full(len(found), index, dtype=np.int64))
                continue
            values = np.asarray(result, dtype=np.float64)
            if values.shape[:2] != patch.shape[:2]:
                raise ValueError(f"`predict` returned a dense map of shape {values.shape} for "
                                 f"a tile of shape {patch.shape[:2]}; its first two axes "
                                 f"must be the tile's")
            if index == len(boxes_of_tiles):      # the full-image pass joins the boxes only
                continue
            if dense is None:
                dense = np.zeros((height, width) + values.shape[2:])
                weight = np.zeros((height, width))
            w = blend_weights(values.shape[:2], blend)
            x1, y1, x2, y2 = box
            dense[y1:y2, x1:x2] += values * w.reshape(w.shape + (1,) * (values.ndim - 2))
            weight[y1:y2, x1:x2] += w
        if advance is not None:
            advance(len(batch))
    if dense is not None:
        dense /= weight.reshape(weight.shape + (1,) * (dense.ndim - 2))
    boxes = np.concatenate(raw_boxes) if raw_boxes else np.zeros((0, 4))
    scores = np.concatenate(raw_scores) if raw_scores else np.zeros(0)
    classes = np.concatenate(raw_classes) if raw_classes else np.zeros(0, np.int64)
    tile_of = np.concatenate(raw_tiles) if raw_tiles else np.zeros(0, np.int64)
    found, (fate, into, rule) = resolve(boxes, scores, classes, method=merge, metric=metric,
                                        threshold=threshold, class_aware=any_classes)
    found.trace = Trace(boxes, scores, classes, tile_of, np.zeros(len(boxes), np.int64), fate,
                        into, rule, boxes_of_tiles)
    found.dense = dense
    return found
