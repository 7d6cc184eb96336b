"""The record a detector returns: boxes, scores, classes, and the trace of how they came to be.

The trace answers "where did this box come from, and what happened to the others?": every raw
box any tile (or pyramid level) produced, which tile and level produced it, and its fate:
``"kept"`` (it is an output box), ``"merged"`` (fused into an output box),
``"suppressed"`` (dropped because a better box covered it) or ``"below"`` (under the score
threshold, never considered).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .boxes import pair_metric
from .merging import merge_groups
from .suppression import nms, score_order

__all__ = ["Detections", "Trace", "FATES", "resolve"]

FATES = ("kept", "merged", "suppressed", "below")


@dataclass
class Trace:
    """Every raw box, where it came from and where it went (arrays of one row per raw box)."""

    boxes: np.ndarray                  # (n, 4) raw boxes, original image pixels
    scores: np.ndarray                 # (n,)
    classes: np.ndarray                # (n,) int64, 0 when the predictor gives none
    tile: np.ndarray                   # (n,) index into ``tiles``; len(tiles): the full image
    level: np.ndarray                  # (n,) pyramid level (0: the image itself)
    fate: np.ndarray                   # (n,) one of FATES
    into: np.ndarray                   # (n,) the output box it became or joined, -1 if none
    reason: str = ""                   # the rule that decided, in words
    tiles: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.int64))

    def as_dict(self) -> dict[str, Any]:
        """Plain lists and numbers, for JSON."""
        return {"rule": self.reason, "tiles": self.tiles.tolist(), "boxes": [
            {"box": [round(float(v), 3) for v in box], "score": float(score),
             "class": int(label), "tile": int(tile), "level": int(level), "fate": str(fate),
             "into": int(into)}
            for box, score, label, tile, level, fate, into in zip(
                self.boxes, self.scores, self.classes, self.tile, self.level, self.fate,
                self.into, strict=True)]}


@dataclass
class Detections:
    """Boxes found in one image, highest score first, with their trace.

    Examples
    --------
    >>> import numpy as np
    >>> d = Detections(np.array([[0., 0, 4, 4]]), np.array([0.9]), np.array([0]))
    >>> len(d), d.boxes.tolist()
    (1, [[0.0, 0.0, 4.0, 4.0]])
    """

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    trace: Trace | None = None
    dense: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.boxes)

    def as_dict(self) -> dict[str, Any]:
        """The detections and their trace as plain lists, for JSON."""
        out: dict[str, Any] = {"detections": [
            {"box": [round(float(v), 3) for v in box], "score": float(score),
             "class": int(label)}
            for box, score, label in zip(self.boxes, self.scores, self.classes, strict=True)]}
        if self.trace is not None:
            out["trace"] = self.trace.as_dict()
        return out

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`as_dict` as a JSON string (``kwargs`` go to :func:`json.dumps`)."""
        return json.dumps(self.as_dict(), **kwargs)


def resolve(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, *, method: str | None,
            metric: str, threshold: float,
            class_aware: bool) -> tuple[Detections, tuple[np.ndarray, np.ndarray, str]]:
    """Suppress or merge raw boxes; returns the detections and the trace's fate columns.

    Examples
    --------
    >>> boxes = np.array([[0., 0, 4, 4], [1, 0, 5, 4], [9, 9, 12, 12]])
    >>> found, (fate, into, rule) = resolve(boxes, np.array([0.9, 0.8, 0.7]),
    ...                                     np.zeros(3, dtype=np.int64), method="nms",
    ...                                     metric="iou", threshold=0.5, class_aware=False)
    >>> found.boxes.tolist(), fate.tolist(), into.tolist()
    ([[0.0, 0.0, 4.0, 4.0], [9.0, 9.0, 12.0, 12.0]], ['kept', 'suppressed', 'kept'], [0, 0, 1])
    """
    n = len(boxes)
    fate = np.full(n, "suppressed", dtype=object)
    into = np.full(n, -1, dtype=np.int64)
    labels = classes if class_aware else None
    if method is None:
        order = score_order(scores)
        fate[:] = "kept"
        into[order] = np.arange(n)
        rule = "no suppression: every box kept"
        out = Detections(boxes[order], scores[order], classes[order])
    elif method == "nms":
        keep = nms(boxes, scores, threshold, metric=metric, classes=labels)
        fate[keep] = "kept"
        into[keep] = np.arange(len(keep))
        if len(keep):
            m = pair_metric(boxes[keep], boxes, metric)
            if labels is not None:
                m = np.where(labels[keep][:, None] == labels[None, :], m, -1)
            dropped = np.setdiff1d(np.arange(n), keep)
            winners = np.argmax(m[:, dropped] > threshold, axis=0)
            into[dropped] = winners
        rule = f"nms: suppressed when {metric} with a kept box > {threshold}"
        out = Detections(boxes[keep], scores[keep], classes[keep])
    else:
        merged, fused = merge_groups(boxes, scores, threshold, metric=metric, method=method,
                                     classes=labels)
        for index, (members, joined) in enumerate(zip(merged.members, fused, strict=True)):
            into[members] = index
            fate[members] = "suppressed"
            fate[joined] = "merged"
            fate[members[0]] = "kept"
        rule = (f"{method}: merged when {metric} with the kept box's merged box > {threshold}"
                if method != "wbf" else f"wbf: clustered when {metric} > {threshold}")
        keepers = np.asarray([m[0] for m in merged.members], dtype=np.int64)
        out = Detections(merged.boxes, merged.scores, classes[keepers])
    return out, (fate.astype(str), into, rule)
