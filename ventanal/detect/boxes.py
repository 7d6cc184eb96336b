"""Boxes: checking them, their pairwise overlap measures, and mapping them between scales.

A box is a row ``(x1, y1, x2, y2)`` of a float ``(n, 4)`` array, in pixels, with ``x2`` and
``y2`` exclusive: the box ``(0, 0, 2, 3)`` covers 2 columns and 3 rows, area 6. A box with
``x2 == x1`` or ``y2 == y1`` is empty (area 0): it overlaps nothing.

Examples
--------
>>> import numpy as np
>>> a = np.array([[0, 0, 10, 10]])
>>> b = np.array([[5, 0, 15, 10], [0, 0, 5, 5]])
>>> iou(a, b).round(3).tolist()
[[0.333, 0.25]]
>>> ios(a, b).tolist()
[[0.5, 1.0]]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["as_boxes", "as_scores", "as_classes", "areas", "intersections", "iou", "ios",
           "overlap", "pair_metric", "METRICS", "to_original"]

#: The overlap measures :func:`pair_metric` knows: intersection over union, intersection
#: over the smaller box's area, and intersection over the other box's area (imutils).
METRICS = ("iou", "ios", "overlap")


def as_boxes(boxes: npt.ArrayLike, name: str = "boxes") -> np.ndarray:
    """``boxes`` as a float64 ``(n, 4)`` array, checked: finite, ``x2 >= x1``, ``y2 >= y1``.

    Examples
    --------
    >>> as_boxes([[0, 0, 2, 3]]).tolist()
    [[0.0, 0.0, 2.0, 3.0]]
    >>> as_boxes([]).shape
    (0, 4)
    """
    array = np.asarray(boxes)
    if array.size == 0:
        return np.zeros((0, 4))
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold numbers, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"`{name}` must have shape (n, 4) of (x1, y1, x2, y2), "
                         f"got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise ValueError(f"`{name}` must be finite, got row {row}: {array[row].tolist()}")
    bad = (array[:, 2] < array[:, 0]) | (array[:, 3] < array[:, 1])
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"`{name}` must have x2 >= x1 and y2 >= y1 (corners, not width and "
                         f"height), got row {row}: {array[row].tolist()}")
    return array


def as_scores(scores: npt.ArrayLike, count: int, name: str = "scores") -> np.ndarray:
    """``scores`` as a float64 vector of ``count`` finite numbers.

    Examples
    --------
    >>> as_scores([0.9, 1], 2).tolist()
    [0.9, 1.0]
    """
    array = np.asarray(scores)
    if array.size == 0 and count == 0:
        return np.zeros(0)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold numbers, got dtype {array.dtype}")
    array = array.astype(np.float64).reshape(-1) if array.ndim <= 1 else array
    if array.ndim != 1 or array.shape[0] != count:
        raise ValueError(f"`{name}` must be a vector of one score per box ({count}), "
                         f"got shape {np.shape(scores)}")
    if not np.isfinite(array).all():
        index = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"`{name}` must be finite, got {array[index]} at index {index}")
    return array


def as_classes(classes: npt.ArrayLike | None, count: int) -> np.ndarray | None:
    """``classes`` as an int64 vector of ``count`` labels, or None (every box one class).

    Examples
    --------
    >>> as_classes([1, 0], 2).tolist()
    [1, 0]
    """
    if classes is None:
        return None
    array = np.asarray(classes)
    if array.size == 0 and count == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "biu" and not (
            array.dtype.kind == "f" and np.isfinite(array).all()
            and (array == np.round(array)).all()):
        raise TypeError(f"`classes` must be integer labels, got dtype {array.dtype}")
    if array.ndim != 1 or array.shape[0] != count:
        raise ValueError(f"`classes` must be a vector of one label per box ({count}), "
                         f"got shape {array.shape}")
    return array.astype(np.int64)


def areas(boxes: npt.ArrayLike, *, inclusive: bool = False) -> np.ndarray:
    """Area of each box; ``inclusive`` counts ``x2`` and ``y2`` as pixels (imutils' +1).

    Examples
    --------
    >>> areas([[0, 0, 2, 3]]).tolist(), areas([[0, 0, 2, 3]], inclusive=True).tolist()
    ([6.0], [12.0])
    """
    b = as_boxes(boxes)
    extra = 1.0 if inclusive else 0.0
    return (b[:, 2] - b[:, 0] + extra) * (b[:, 3] - b[:, 1] + extra)


def intersections(a: np.ndarray, b: np.ndarray, *, inclusive: bool = False) -> np.ndarray:
    """Pairwise intersection areas, shape ``(len(a), len(b))`` (``a``, ``b`` checked boxes)."""
    extra = 1.0 if inclusive else 0.0
    width = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.maximum(width + extra, 0.0) * np.maximum(height + extra, 0.0)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # An empty box overlaps nothing: 0 / 0 is 0, never NaN.
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape))
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def pair_metric(a: npt.ArrayLike, b: npt.ArrayLike, metric: str = "iou", *,
                inclusive: bool = False) -> np.ndarray:
    """Pairwise overlap of boxes ``a`` (rows) with boxes ``b`` (columns).

    Parameters
    ----------
    a, b : array_like, shape (n, 4) and (m, 4)
    metric : {"iou", "ios", "overlap"}
        ``"iou"``: intersection / union; ``"ios"``: intersection / the smaller area;
        ``"overlap"``: intersection / the area of the box of ``b`` (imutils' measure,
        which is not symmetric).
    inclusive : bool
        Count ``x2``/``y2`` as pixels (imutils' ``+ 1``).

    Returns
    -------
    ndarray, shape (n, m)

    Examples
    --------
    >>> pair_metric([[0, 0, 10, 10]], [[0, 0, 5, 20]], "overlap").tolist()
    [[0.5]]
    """
    if metric not in METRICS:
        raise ValueError(f"`metric` must be one of {', '.join(map(repr, METRICS))}, "
                         f"got {metric!r}")
    a, b = as_boxes(a, "a"), as_boxes(b, "b")
    inter = intersections(a, b, inclusive=inclusive)
    area_a = areas(a, inclusive=inclusive)[:, None]
    area_b = areas(b, inclusive=inclusive)[None, :]
    if metric == "iou":
        return _ratio(inter, area_a + area_b - inter)
    if metric == "ios":
        return _ratio(inter, np.minimum(area_a, area_b))
    return _ratio(inter, np.broadcast_to(area_b, inter.shape))


def iou(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """Intersection over union of every box of ``a`` with every box of ``b``.

    Examples
    --------
    >>> iou([[0, 0, 2, 2]], [[1, 0, 3, 2], [5, 5, 6, 6]]).round(4).tolist()
    [[0.3333, 0.0]]
    """
    return pair_metric(a, b, "iou")


def ios(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """Intersection over the smaller box's area (SAHI's ``IOS``), pairwise.

    Examples
    --------
    >>> ios([[0, 0, 4, 4]], [[1, 1, 2, 2]]).tolist()     # a box inside another: 1
    [[1.0]]
    """
    return pair_metric(a, b, "ios")


def overlap(a: npt.ArrayLike, b: npt.ArrayLike, *, inclusive: bool = False) -> np.ndarray:
    """Intersection over the area of each box of ``b`` (imutils' measure), pairwise.

    Examples
    --------
    >>> overlap([[0, 0, 4, 4]], [[2, 0, 6, 4]]).tolist()
    [[0.5]]
    """
    return pair_metric(a, b, "overlap", inclusive=inclusive)


def to_original(boxes: npt.ArrayLike, factor: float) -> np.ndarray:
    """Boxes found on a pyramid level mapped back to the original image: times ``factor``.

    ``factor`` is the one :func:`ventanal.detect.pyramid` yields with the level
    (original width / level width).

    Examples
    --------
    >>> to_original([[1, 2, 3, 4]], 1.5).tolist()
    [[1.5, 3.0, 4.5, 6.0]]
    """
    if isinstance(factor, (bool, np.bool_)) or not np.isscalar(factor) or not (
            np.isfinite(factor) and factor > 0):
        raise ValueError(f"`factor` must be a positive finite number, got {factor!r}")
    return as_boxes(boxes) * float(factor)
