"""The compiled greedy suppression loop of :func:`ventanal.detect.nms` (numba, cached).

Imported only when a call asks for numba; the NumPy loop in ``suppression`` is its oracle.
A kept box can only suppress boxes it overlaps, so candidates are looked up on a grid of
top-left corners (a superset of the boxes that overlap it); the metric and the rule are
exactly the NumPy loop's, so the kept indices are the same.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["greedy_keep"]


@numba.njit(cache=True, nogil=True)
def greedy_keep(boxes, order, classes, threshold, metric, extra, max_output):   # pragma: no cover
    # metric: 0 iou, 1 ios, 2 overlap (intersection over the candidate's area).
    # Boxes are binned by their top-left corner on a grid of cells a quarter of the widest
    # box wide and of the tallest high (coarser when that would make too many cells); a box can only
    # overlap boxes whose corner lies in the cells from one widest box left of it to its
    # right edge (and likewise in y), so only those cells are scanned. Per-box arrays are
    # laid out cell by cell; ``position[i]`` is where box i sits.
    n = boxes.shape[0]
    min_x, min_y = boxes[:, 0].min(), boxes[:, 1].min()
    widest, tallest = 0.0, 0.0
    for i in range(n):
        widest = max(widest, boxes[i, 2] - boxes[i, 0])
        tallest = max(tallest, boxes[i, 3] - boxes[i, 1])
    span_x = boxes[:, 0].max() - min_x
    span_y = boxes[:, 1].max() - min_y
    cell_w = max((widest + extra) / 4.0, 1e-12 + span_x / 4096.0)
    cell_h = max((tallest + extra) / 4.0, 1e-12 + span_y / 4096.0)
    cols = int(span_x / cell_w) + 1
    rows = int(span_y / cell_h) + 1
    while cols * rows > 4 * n + 16:
        cell_w *= 2.0
        cell_h *= 2.0
        cols = int(span_x / cell_w) + 1
        rows = int(span_y / cell_h) + 1
    cell = np.empty(n, dtype=np.int64)
    for i in range(n):
        cell[i] = (int((boxes[i, 1] - min_y) / cell_h) * cols
                   + int((boxes[i, 0] - min_x) / cell_w))
    by_cell = np.argsort(cell, kind="mergesort")
    start = np.zeros(cols * rows + 1, dtype=np.int64)
    for i in range(n):
        start[cell[i] + 1] += 1
    for c in range(cols * rows):
        start[c + 1] += start[c]
    bx = np.empty((n, 4))
    area = np.empty(n)
    rank = np.empty(n, dtype=np.int64)
    label = np.empty(n, dtype=np.int64)
    position = np.empty(n, dtype=np.int64)
    suppressed = np.zeros(n, dtype=np.bool_)
    for k in range(n):
        i = by_cell[k]
        position[i] = k
        for c in range(4):
            bx[k, c] = boxes[i, c]
        area[k] = (bx[k, 2] - bx[k, 0] + extra) * (bx[k, 3] - bx[k, 1] + extra)
        label[k] = classes[i]
    for a in range(n):
        rank[position[order[a]]] = a
    keep = np.empty(n, dtype=np.int64)
    count = 0
    for a in range(n):
        p = position[order[a]]
        if suppressed[p]:
            continue
        keep[count] = order[a]
        count += 1
        if count == max_output:
            break
        x1, y1, x2, y2 = bx[p, 0], bx[p, 1], bx[p, 2], bx[p, 3]
        margin = 1e-9 * (1.0 + abs(x1) + abs(x2) + abs(y1) + abs(y2) + widest + tallest)
        c0 = max(0, int(max(0.0, x1 - widest - extra - margin - min_x) / cell_w))
        c1 = min(cols - 1, int(max(0.0, x2 + extra + margin - min_x) / cell_w))
        r0 = max(0, int(max(0.0, y1 - tallest - extra - margin - min_y) / cell_h))
        r1 = min(rows - 1, int(max(0.0, y2 + extra + margin - min_y) / cell_h))
        for r in range(r0, r1 + 1):
            for k in range(start[r * cols + c0], start[r * cols + c1 + 1]):
                # Geometry first: most candidates do not overlap, a well-predicted branch.
                h = min(y2, bx[k, 3]) - max(y1, bx[k, 1]) + extra
                w = min(x2, bx[k, 2]) - max(x1, bx[k, 0]) + extra
                if h <= 0.0 or w <= 0.0:
                    continue
                if suppressed[k] or rank[k] <= a or label[k] != label[p]:
                    continue
                inter = w * h
                if metric == 0:
                    denominator = area[p] + area[k] - inter
                elif metric == 1:
                    denominator = min(area[p], area[k])
                else:
                    denominator = area[k]
                if denominator > 0.0 and inter / denominator > threshold:
                    suppressed[k] = True
    return keep[:count]
