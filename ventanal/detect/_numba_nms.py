"""The compiled greedy suppression loop of :func:`ventanal.detect.nms` (numba, cached).

Imported only when a call asks for numba; the NumPy loop in ``suppression`` is its oracle.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["greedy_keep"]


@numba.njit(cache=True, nogil=True)
def greedy_keep(boxes, order, classes, threshold, metric, extra, max_output):   # pragma: no cover
    # metric: 0 iou, 1 ios, 2 overlap (intersection over the candidate's area).
    n = order.shape[0]
    suppressed = np.zeros(boxes.shape[0], dtype=np.bool_)
    keep = np.empty(n, dtype=np.int64)
    count = 0
    area = np.empty(boxes.shape[0])
    for i in range(boxes.shape[0]):
        area[i] = (boxes[i, 2] - boxes[i, 0] + extra) * (boxes[i, 3] - boxes[i, 1] + extra)
    for a in range(n):
        i = order[a]
        if suppressed[i]:
            continue
        keep[count] = i
        count += 1
        if count == max_output:
            break
        x1, y1, x2, y2 = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        for b in range(a + 1, n):
            j = order[b]
            if suppressed[j] or classes[j] != classes[i]:
                continue
            w = min(x2, boxes[j, 2]) - max(x1, boxes[j, 0]) + extra
            h = min(y2, boxes[j, 3]) - max(y1, boxes[j, 1]) + extra
            if w <= 0.0 or h <= 0.0:
                continue
            inter = w * h
            if metric == 0:
                denominator = area[i] + area[j] - inter
            elif metric == 1:
                denominator = min(area[i], area[j])
            else:
                denominator = area[j]
            if denominator > 0.0 and inter / denominator > threshold:
                suppressed[j] = True
    return keep[:count]
