"""Sliding-window detection: windows, pyramids, the NMS family, sliced inference, a planner.

The lesson's classic detector: a window of fixed size slides left to right, top to bottom
over an image and over a pyramid of smaller copies; a classifier scores every window; the
overlapping hits are suppressed. The window positions are those of a convolution's windows,
asked of :mod:`ventanal.geometry`.

Boxes are float ``(n, 4)`` arrays of ``(x1, y1, x2, y2)`` in pixels of the original image,
``x2``/``y2`` exclusive; images are (H, W) or (H, W, C). ``docs/detect.md`` holds the rules
each function follows and the peers whose results it reproduces.

Examples
--------
>>> import numpy as np
>>> import ventanal as vt
>>> image = np.zeros((6, 8))
>>> vt.detect.window_origins(image.shape, 4, 2).tolist()
[[0, 0], [2, 0], [4, 0], [0, 2], [2, 2], [4, 2]]
>>> vt.detect.nms([[0, 0, 4, 4], [1, 0, 5, 4]], [0.5, 0.9]).tolist()
[1]
"""

from .boxes import ios, iou, to_original
from .demo import detect_template, planted_scene
from .detections import Detections, Trace
from .merging import Merged, merge
from .planner import Plan, plan
from .pyramid import pyramid
from .scoring import normalized_cross_correlation, score_map
from .sliced import sliced_predict
from .suppression import nms, soft_nms
from .tiles import tiles
from .windows import window_origins, window_view, windows

__all__ = [
    "windows",
    "window_view",
    "window_origins",
    "pyramid",
    "to_original",
    "iou",
    "ios",
    "nms",
    "soft_nms",
    "merge",
    "Merged",
    "tiles",
    "sliced_predict",
    "Detections",
    "Trace",
    "plan",
    "Plan",
    "score_map",
    "normalized_cross_correlation",
    "detect_template",
    "planted_scene",
]
