"""A classical detector with no deep-learning framework, and a scene whose answers are known.

:func:`detect_template` is the lesson's pipeline: a pyramid of the image, a window the size of
a template sliding over every level, each window scored by normalised cross-correlation with
the template (three convolutions, :func:`ventanal.detect.scoring.normalized_cross_correlation`),
the windows above a threshold mapped back to the image, and non-maximum suppression.
:func:`planted_scene` makes a test image with copies of a template planted at known places and
scales (one level of the pyramid each), so a test can check that every one is found.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .boxes import to_original
from .detections import Detections, Trace, resolve
from .pyramid import pyramid, resize
from .scoring import normalized_cross_correlation
from .suppression import check_threshold
from .windows import image_shape

__all__ = ["default_template", "planted_scene", "detect_template"]


def default_template(size: int = 16) -> np.ndarray:
    """A ringed target with a bar: distinctive under correlation, nothing like noise.

    Examples
    --------
    >>> t = default_template(); t.shape, float(t.max()), float(t.min())
    ((16, 16), 1.0, 0.0)
    """
    y, x = np.mgrid[:size, :size] + 0.5 - size / 2
    r = np.hypot(x, y) / (size / 2)
    ring = ((r > 0.55) & (r < 0.85)).astype(float)
    bar = (np.abs(y) < size / 10) & (np.abs(x) < size * 0.3)
    return np.maximum(ring, bar.astype(float))


def planted_scene(shape: tuple[int, int] = (180, 260), *, template: npt.ArrayLike | None = None,
                  scales: tuple[float, ...] = (1.0, 1.0, 1.5, 2.25), noise: float = 0.08,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A noisy grey scene with ``template`` planted once per entry of ``scales``.

    Returns
    -------
    image : ndarray of float64, shape ``shape``, values about 0..1
    template : ndarray
    boxes : ndarray, shape (len(scales), 4)
        Where each copy lies, ``(x1, y1, x2, y2)``.

    Examples
    --------
    >>> image, template, boxes = planted_scene(seed=1)
    >>> image.shape, boxes.shape
    ((180, 260), (4, 4))
    """
    rng = np.random.default_rng(seed)
    t = default_template() if template is None else np.asarray(template, dtype=np.float64)
    height, width = shape
    image = 0.3 + 0.1 * np.sin(np.arange(width) / 23.0)[None, :] + rng.normal(0, noise, shape)
    boxes: list[list[float]] = []
    for scale in scales:
        side = (max(1, round(t.shape[0] * scale)), max(1, round(t.shape[1] * scale)))
        copy = resize(t, side) if scale != 1 else t
        for _ in range(1000):
            y0 = int(rng.integers(0, height - side[0] + 1))
            x0 = int(rng.integers(0, width - side[1] + 1))
            box = [x0, y0, x0 + side[1], y0 + side[0]]
            margin = 4
            if all(box[0] >= b[2] + margin or b[0] >= box[2] + margin or box[1] >= b[3] + margin
                   or b[1] >= box[3] + margin for b in boxes):
                break
        else:
            raise ValueError(f"`shape` {shape} has no room for {len(scales)} copies")
        image[y0:y0 + side[0], x0:x0 + side[1]] = 0.1 + 0.8 * copy \
            + rng.normal(0, noise, side)
        boxes.append(box)
    return image, t, np.asarray(boxes, dtype=np.float64)


def detect_template(image: npt.ArrayLike, template: npt.ArrayLike, *, scale: float = 1.5,
                    min_size: tuple[int, int] | None = None, step: int = 1,
                    threshold: float = 0.6, nms_threshold: float = 0.3,
                    smooth: bool = True) -> Detections:
    """Find ``template`` at any scale: pyramid, sliding NCC, threshold, NMS.

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, C) (colour is averaged to grey)
    template : array_like, (h, w)
    scale, min_size, smooth : the pyramid (``min_size`` defaults to the template's size).
    step : the window step on every level.
    threshold : the NCC (-1..1) a window needs to count as a hit.
    nms_threshold : IoU above which a weaker hit is suppressed.

    Returns
    -------
    Detections
        Boxes in image pixels; the trace gives each hit's pyramid level and its fate.

    Examples
    --------
    >>> image, template, truth = planted_scene(seed=3)
    >>> found = detect_template(image, template)
    >>> len(found), sorted(set(found.trace.level.tolist()))
    (4, [0, 1, 2])
    """
    x = np.asarray(image, dtype=np.float64)
    image_shape(x)
    grey = x.mean(axis=2) if x.ndim == 3 else x
    t = np.asarray(template, dtype=np.float64)
    if t.ndim == 3:
        t = t.mean(axis=2)
    if t.ndim != 2 or t.shape[0] > grey.shape[0] or t.shape[1] > grey.shape[1]:
        raise ValueError(f"`template` must be a 2-D patch no larger than the image "
                         f"{grey.shape}, got shape {t.shape}")
    threshold = check_threshold(threshold + 1.0, "threshold") - 1.0
    min_size = (t.shape[1], t.shape[0]) if min_size is None else min_size
    boxes, scores, levels = [], [], []
    for index, (level, factor) in enumerate(pyramid(grey, scale, min_size, smooth=smooth)):
        if level.shape[0] < t.shape[0] or level.shape[1] < t.shape[1]:
            break
        ncc = normalized_cross_correlation(level, t, step)
        rows, cols = np.nonzero(ncc > threshold)
        found = np.stack([cols * step, rows * step, cols * step + t.shape[1],
                          rows * step + t.shape[0]], axis=1).astype(np.float64)
        boxes.append(to_original(found, factor))
        scores.append(ncc[rows, cols])
        levels.append(np.full(len(rows), index, dtype=np.int64))
    raw = np.concatenate(boxes) if boxes else np.zeros((0, 4))
    raw_scores = np.concatenate(scores) if scores else np.zeros(0)
    level_of = np.concatenate(levels) if levels else np.zeros(0, np.int64)
    classes = np.zeros(len(raw), dtype=np.int64)
    found, (fate, into, rule) = resolve(raw, raw_scores, classes, method="nms", metric="iou",
                                        threshold=nms_threshold, class_aware=False)
    found.trace = Trace(raw, raw_scores, classes, np.zeros(len(raw), np.int64), level_of, fate,
                        into, rule, np.array([[0, 0, grey.shape[1], grey.shape[0]]]))
    return found
