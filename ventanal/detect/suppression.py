"""Non-maximum suppression: keep the best box of each cluster, drop (or decay) the rest.

The rule is torchvision's: boxes are visited from the highest score down (ties: the lower
index first); a visited box that is not yet suppressed is kept, and it suppresses every
later box whose overlap with it is **greater than** ``threshold``. ``metric`` picks the
overlap: ``"iou"`` (torchvision, ensemble-boxes), ``"ios"`` (intersection over the smaller
box, SAHI's choice for sliced inference) or ``"overlap"`` with ``inclusive=True``
(intersection over the *suppressed* box's area, ``x2``/``y2`` counted as pixels: the picks of
imutils' ``non_max_suppression``, pyimagesearch's classic).

Two implementations give the same indices: a readable NumPy loop (the reference) and a
compiled numba loop, chosen by ``VENTANAL_BACKEND`` as for the ops (``auto``: numba from a
few hundred boxes when it imports; ``numba``; ``numpy`` or ``reference``: the NumPy loop).
"""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

from .boxes import METRICS, areas, as_boxes, as_classes, as_scores

__all__ = ["nms", "nms_reference", "soft_nms", "score_order", "check_threshold",
           "AUTO_NUMBA_MIN_BOXES"]

#: From this many boxes ``VENTANAL_BACKEND=auto`` runs the numba loop (below, NumPy is as
#: fast as loading numba's cache).
AUTO_NUMBA_MIN_BOXES = 512
_BACKENDS = ("auto", "numba", "numpy", "reference")


def check_threshold(threshold: float, name: str = "threshold") -> float:
    """A finite number >= 0, as float."""
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(
            threshold, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a number, got {threshold!r}")
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"`{name}` must be a finite number >= 0, got {threshold!r}")
    return float(threshold)


def score_order(scores: np.ndarray) -> np.ndarray:
    """Indices from the highest score down; ties keep the lower index first.

    Examples
    --------
    >>> score_order(np.array([0.5, 0.9, 0.5])).tolist()
    [1, 0, 2]
    """
    return np.argsort(-scores, kind="stable")


def _checked(boxes, scores, classes, threshold, metric, max_output):
    b = as_boxes(boxes)
    s = as_scores(scores, len(b))
    c = as_classes(classes, len(b))
    threshold = check_threshold(threshold)
    if metric not in METRICS:
        raise ValueError(f"`metric` must be one of {', '.join(map(repr, METRICS))}, "
                         f"got {metric!r}")
    if max_output is not None:
        if isinstance(max_output, (bool, np.bool_)) or not isinstance(
                max_output, (int, np.integer)):
            raise TypeError(f"`max_output` must be an int or None, got {max_output!r}")
        if max_output < 0:
            raise ValueError(f"`max_output` must be >= 0, got {max_output}")
    return b, s, c, threshold


def nms_reference(boxes: npt.ArrayLike, scores: npt.ArrayLike, threshold: float = 0.5, *,
                  metric: str = "iou", classes: npt.ArrayLike | None = None,
                  max_output: int | None = None, inclusive: bool = False) -> np.ndarray:
    """The NumPy loop of :func:`nms` (same arguments, same result); the tests' oracle.

    Examples
    --------
    >>> nms_reference([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], [0.8, 0.9, 0.7])
    array([1, 2])
    """
    b, s, c, threshold = _checked(boxes, scores, classes, threshold, metric, max_output)
    extra = 1.0 if inclusive else 0.0
    area = areas(b, inclusive=inclusive)
    labels = np.zeros(len(b), dtype=np.int64) if c is None else c
    remaining = score_order(s)
    keep: list[int] = []
    limit = len(b) if max_output is None else max_output
    while remaining.size and len(keep) < limit:
        i, rest = remaining[0], remaining[1:]
        keep.append(int(i))
        w = np.minimum(b[i, 2], b[rest, 2]) - np.maximum(b[i, 0], b[rest, 0]) + extra
        h = np.minimum(b[i, 3], b[rest, 3]) - np.maximum(b[i, 1], b[rest, 1]) + extra
        inter = np.where((w > 0) & (h > 0), w * h, 0.0)
        if metric == "iou":
            denominator = area[i] + area[rest] - inter
        elif metric == "ios":
            denominator = np.minimum(area[i], area[rest])
        else:
            denominator = area[rest]
        ratio = np.zeros(rest.shape)
        np.divide(inter, denominator, out=ratio, where=denominator > 0)
        suppressed = (ratio > threshold) & (labels[rest] == labels[i])
        remaining = rest[~suppressed]
    return np.asarray(keep, dtype=np.int64)


def _use_numba(count: int) -> bool:
    value = os.environ.get("VENTANAL_BACKEND", "auto").strip().lower() or "auto"
    if value not in _BACKENDS:
        raise ValueError(f"environment variable VENTANAL_BACKEND must be one of "
                         f"{', '.join(map(repr, _BACKENDS))}, got {value!r}")
    if value in ("numpy", "reference") or (value == "auto" and count < AUTO_NUMBA_MIN_BOXES):
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        if value == "numba":
            raise
        return False
    return True


def nms(boxes: npt.ArrayLike, scores: npt.ArrayLike, threshold: float = 0.5, *,
        metric: str = "iou", classes: npt.ArrayLike | None = None,
        max_output: int | None = None, inclusive: bool = False) -> np.ndarray:
    """Indices of the boxes kept by greedy non-maximum suppression, highest score first.

    Parameters
    ----------
    boxes : array_like, shape (n, 4)
        ``(x1, y1, x2, y2)``, ``x2``/``y2`` exclusive (inclusive with ``inclusive=True``).
    scores : array_like, shape (n,)
        Finite scores; a higher score wins.
    threshold : float
        A box whose overlap with a kept box is greater than this is suppressed.
    metric : {"iou", "ios", "overlap"}
        The overlap measure (see the module's description).
    classes : array_like of int, shape (n,), optional
        Class-aware suppression: boxes of different classes never suppress each other.
    max_output : int, optional
        Stop after keeping this many.
    inclusive : bool
        Count ``x2`` and ``y2`` as pixels (imutils' ``+ 1`` to widths and heights).

    Returns
    -------
    ndarray of int64
        Indices into ``boxes``, from the highest score down.

    Raises
    ------
    ValueError
        For boxes with ``x2 < x1``, non-finite values or scores, a negative threshold.

    See Also
    --------
    soft_nms : decays scores instead of dropping boxes.
    merge : fuses the boxes a winner would suppress.

    Examples
    --------
    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]
    >>> nms(boxes, [0.8, 0.9, 0.7]).tolist()
    [1, 2]
    >>> nms(boxes, [0.8, 0.9, 0.7], classes=[0, 1, 0]).tolist()
    [1, 0, 2]
    >>> nms(boxes, [0.8, 0.9, 0.7], max_output=1).tolist()
    [1]
    """
    b, s, c, threshold = _checked(boxes, scores, classes, threshold, metric, max_output)
    if not _use_numba(len(b)):
        return nms_reference(b, s, threshold, metric=metric, classes=c,
                             max_output=max_output, inclusive=inclusive)
    from ._numba_nms import greedy_keep

    if len(b) == 0:
        return np.zeros(0, dtype=np.int64)
    labels = np.zeros(len(b), dtype=np.int64) if c is None else c
    limit = -1 if max_output is None else int(max_output)
    if limit == 0:
        return np.zeros(0, dtype=np.int64)
    return greedy_keep(np.ascontiguousarray(b), score_order(s), labels, threshold,
                       METRICS.index(metric), 1.0 if inclusive else 0.0, limit)


def soft_nms(boxes: npt.ArrayLike, scores: npt.ArrayLike, threshold: float = 0.5, *,
             sigma: float = 0.5, method: str = "gaussian",
             score_threshold: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """Soft-NMS (Bodla et al. 2017): overlapping boxes lose score instead of being dropped.

    Repeatedly the box of highest current score is selected; every remaining box's score is
    multiplied by ``exp(-iou**2 / sigma)`` (``"gaussian"``, every box) or by ``1 - iou``
    (``"linear"``, only when ``iou > threshold``). Boxes whose score falls below
    ``score_threshold`` are dropped.

    Returns
    -------
    indices : ndarray of int64
        Selected boxes, in selection order.
    scores : ndarray of float64
        Their decayed scores.

    Examples
    --------
    >>> idx, sc = soft_nms([[0, 0, 10, 10], [0, 0, 10, 5]], [0.9, 0.8], 0.3, method="linear")
    >>> idx.tolist(), sc.round(3).tolist()
    ([0, 1], [0.9, 0.4])
    """
    b = as_boxes(boxes)
    s = as_scores(scores, len(b)).copy()
    threshold = check_threshold(threshold)
    score_threshold = check_threshold(score_threshold, "score_threshold")
    if method not in ("gaussian", "linear"):
        raise ValueError(f"`method` must be 'gaussian' or 'linear', got {method!r}")
    if isinstance(sigma, (bool, np.bool_)) or not np.isscalar(sigma) or not (
            np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"`sigma` must be a positive finite number, got {sigma!r}")
    area = areas(b)
    remaining = np.arange(len(b))
    chosen: list[int] = []
    chosen_scores: list[float] = []
    while remaining.size:
        best = int(np.argmax(s[remaining]))     # the first of equal maxima: the lower index
        i = int(remaining[best])
        if s[i] < score_threshold:
            break
        chosen.append(i)
        chosen_scores.append(float(s[i]))
        remaining = np.delete(remaining, best)
        w = np.minimum(b[i, 2], b[remaining, 2]) - np.maximum(b[i, 0], b[remaining, 0])
        h = np.minimum(b[i, 3], b[remaining, 3]) - np.maximum(b[i, 1], b[remaining, 1])
        inter = np.maximum(w, 0) * np.maximum(h, 0)
        union = area[i] + area[remaining] - inter
        overlap = np.zeros(remaining.shape)
        np.divide(inter, union, out=overlap, where=union > 0)
        if method == "gaussian":
            s[remaining] *= np.exp(-(overlap ** 2) / sigma)
        else:
            s[remaining] *= np.where(overlap > threshold, 1 - overlap, 1.0)
        remaining = remaining[s[remaining] >= score_threshold]
    return np.asarray(chosen, dtype=np.int64), np.asarray(chosen_scores)
