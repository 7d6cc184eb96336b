"""Merging overlapping boxes instead of dropping them: SAHI's NMM family and WBF.

Sliced inference cuts objects at tile borders; each tile sees a part, and suppression would
keep one part. Merging keeps the whole: the boxes a winner would suppress are fused into it.

* ``"greedy_nmm"`` (SAHI's ``GreedyNMMPostprocess``): boxes from the highest score down;
  a box not yet taken becomes a keeper and takes every remaining box whose overlap with it is
  **at least** ``threshold``. Then, from the highest score down, each taken box is fused into
  the keeper's growing box (the smallest box containing both, the higher score, the keeper's
  class) if its overlap with that growing box is **greater than** ``threshold``; a taken box
  that no longer matches is dropped, not kept.
* ``"nmm"`` (SAHI's ``NMMPostprocess``): the same, but a box taken by a keeper still takes
  its own matches for that keeper (chains: A takes B, B takes C, so A takes C), visited from
  the lowest score up.
* ``"wbf"`` (ensemble-boxes' ``weighted_boxes_fusion`` for one model, ``conf_type="avg"``):
  from the highest score down, a box joins the cluster whose fused box it overlaps most, when
  that overlap is greater than ``threshold``, else starts a cluster. The fused box is the
  score-weighted mean of the cluster's boxes, its score their mean. Empty boxes are skipped.

With ``classes``, only boxes of one class merge. Ties in score: the lower index first.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .boxes import as_boxes, as_classes, as_scores, pair_metric
from .suppression import check_threshold, score_order

__all__ = ["MERGE_METHODS", "Merged", "merge", "merge_groups"]

MERGE_METHODS = ("greedy_nmm", "nmm", "wbf")


class Merged(NamedTuple):
    """What :func:`merge` returns."""

    #: (m, 4) merged boxes, highest score first.
    boxes: np.ndarray
    #: (m,) their scores.
    scores: np.ndarray
    #: for each merged box, the input indices it absorbed: the keeper (or the cluster's
    #: first box) first, then every box it took, fused or dropped.
    members: list[np.ndarray]


def _metric(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    return pair_metric(a.reshape(-1, 4), b.reshape(-1, 4), metric)


def _metric_row(box: np.ndarray, others: np.ndarray, metric: str) -> np.ndarray:
    """The overlap of one checked box with checked boxes (the hot loop: no re-validation)."""
    width = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
    height = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
    inter = np.maximum(width, 0.0) * np.maximum(height, 0.0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    denominator = area + areas - inter if metric == "iou" else np.minimum(area, areas)
    out = np.zeros(len(others))
    np.divide(inter, denominator, out=out, where=denominator > 0)
    return out


def _metric_pair(a: np.ndarray, b: np.ndarray, metric: str) -> float:
    """The overlap of two checked boxes, in scalars."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
    denominator = area_a + area_b - inter if metric == "iou" else min(area_a, area_b)
    return inter / denominator if denominator > 0 else 0.0


def _nmm_groups(b, s, metric, threshold, greedy) -> dict[int, list[int]]:
    """keeper -> the boxes it took, in the order SAHI fuses them."""
    order = score_order(s)
    if greedy:
        taken: dict[int, list[int]] = {}
        remaining = order
        while remaining.size:
            keeper, rest = int(remaining[0]), remaining[1:]
            matched = _metric_row(b[keeper], b[rest], metric) >= threshold
            taken[keeper] = rest[matched].tolist()        # highest score first
            remaining = rest[~matched]
        return taken
    keep_to_merge: dict[int, list[int]] = {}
    merge_to_keep: dict[int, int] = {}
    matrix = _metric(b, b, metric)
    for position, current in enumerate(order.tolist()):
        others = np.delete(order, position)
        matched = others[matrix[current, others] >= threshold][::-1].tolist()  # lowest first
        if current not in merge_to_keep:
            keep_to_merge[current] = []
            for other in matched:
                if other not in merge_to_keep:
                    keep_to_merge[current].append(other)
                    merge_to_keep[other] = current
        else:
            keeper = merge_to_keep[current]
            for other in matched:
                if other not in keep_to_merge and other not in merge_to_keep:
                    keep_to_merge[keeper].append(other)
                    merge_to_keep[other] = keeper
    return keep_to_merge


def _fuse_nmm(b, s, groups, metric, threshold):
    boxes, scores, members, fused = [], [], [], []
    for keeper, taken in groups.items():
        box, score, joined = b[keeper].tolist(), s[keeper], []
        for other in taken:
            candidate = b[other].tolist()
            if _metric_pair(box, candidate, metric) > threshold:
                box = [min(box[0], candidate[0]), min(box[1], candidate[1]),
                       max(box[2], candidate[2]), max(box[3], candidate[3])]
                score = max(score, s[other])
                joined.append(other)
        boxes.append(np.asarray(box))
        scores.append(score)
        members.append(np.asarray([keeper, *taken], dtype=np.int64))
        fused.append(np.asarray([keeper, *joined], dtype=np.int64))
    return boxes, scores, members, fused


def _wbf(b, s, metric, threshold):
    clusters: list[list[int]] = []
    fused_boxes: list[np.ndarray] = []
    for index in score_order(s).tolist():
        if (b[index, 2] - b[index, 0]) * (b[index, 3] - b[index, 1]) == 0:
            continue
        best = -1
        if fused_boxes:
            overlaps = _metric_row(b[index], np.asarray(fused_boxes), metric)
            candidate = int(np.argmax(overlaps))
            if overlaps[candidate] > threshold:
                best = candidate
        if best < 0:
            clusters.append([index])
            fused_boxes.append(b[index].copy())
        else:
            clusters[best].append(index)
            weights = s[clusters[best]]
            fused_boxes[best] = (weights[:, None] * b[clusters[best]]).sum(0) / weights.sum()
    scores = [float(s[c].mean()) for c in clusters]
    members = [np.asarray(c, dtype=np.int64) for c in clusters]
    return fused_boxes, scores, members, members


def merge_groups(boxes: npt.ArrayLike, scores: npt.ArrayLike, threshold: float = 0.5, *,
                 metric: str = "ios", method: str = "greedy_nmm",
                 classes: npt.ArrayLike | None = None) -> tuple[Merged, list[np.ndarray]]:
    """:func:`merge`, and for each merged box the members whose box was fused into it.

    Examples
    --------
    >>> result, fused = merge_groups([[0, 0, 10, 10], [0, 0, 10, 9]], [0.9, 0.8])
    >>> [f.tolist() for f in fused]
    [[0, 1]]
    """
    b = as_boxes(boxes)
    s = as_scores(scores, len(b))
    c = as_classes(classes, len(b))
    threshold = check_threshold(threshold)
    if metric not in ("iou", "ios"):
        raise ValueError(f"`metric` must be 'iou' or 'ios', got {metric!r}")
    if method not in MERGE_METHODS:
        raise ValueError(f"`method` must be one of {', '.join(map(repr, MERGE_METHODS))}, "
                         f"got {method!r}")
    labels = np.zeros(len(b), dtype=np.int64) if c is None else c
    out_boxes, out_scores, members, fused = [], [], [], []
    for label in np.unique(labels):
        chosen = np.flatnonzero(labels == label)
        if method == "wbf":
            parts = _wbf(b[chosen], s[chosen], metric, threshold)
        else:
            groups = _nmm_groups(b[chosen], s[chosen], metric, threshold,
                                 greedy=method == "greedy_nmm")
            parts = _fuse_nmm(b[chosen], s[chosen], groups, metric, threshold)
        out_boxes += parts[0]
        out_scores += parts[1]
        members += [chosen[m] for m in parts[2]]
        fused += [chosen[f] for f in parts[3]]
    result_scores = np.asarray(out_scores, dtype=np.float64)
    order = score_order(result_scores)
    result = Merged(np.asarray(out_boxes, dtype=np.float64).reshape(-1, 4)[order],
                    result_scores[order], [members[i] for i in order])
    return result, [fused[i] for i in order]


def merge(boxes: npt.ArrayLike, scores: npt.ArrayLike, threshold: float = 0.5, *,
          metric: str = "ios", method: str = "greedy_nmm",
          classes: npt.ArrayLike | None = None) -> Merged:
    """Fuse overlapping boxes: SAHI's greedy NMM or NMM, or weighted boxes fusion.

    Parameters
    ----------
    boxes : array_like, shape (n, 4)
    scores : array_like, shape (n,)
    threshold : float
        The overlap at which boxes merge (see the module's description for ``>=``/``>``).
    metric : {"ios", "iou"}
        Intersection over the smaller box (SAHI's default for slices) or over the union.
    method : {"greedy_nmm", "nmm", "wbf"}
    classes : array_like of int, optional
        Only boxes of one class merge.

    Returns
    -------
    Merged
        ``(boxes, scores, members)``, highest score first; ``members[i]`` holds the input
        indices merged box ``i`` absorbed (its keeper first).

    Examples
    --------
    >>> boxes = [[0, 0, 10, 10], [8, 0, 18, 10], [40, 40, 50, 50]]
    >>> m = merge(boxes, [0.9, 0.6, 0.8], threshold=0.1)
    >>> m.boxes.tolist(), m.scores.tolist(), [g.tolist() for g in m.members]
    ([[0.0, 0.0, 18.0, 10.0], [40.0, 40.0, 50.0, 50.0]], [0.9, 0.8], [[0, 1], [2]])
    >>> merge(boxes, [0.9, 0.6, 0.8], threshold=0.1, method="wbf", metric="iou").boxes[1]
    array([ 3.2,  0. , 13.2, 10. ])
    """
    return merge_groups(boxes, scores, threshold, metric=metric, method=method,
                        classes=classes)[0]
