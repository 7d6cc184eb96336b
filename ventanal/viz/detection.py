"""Figures of sliding-window detection: boxes found, NMS before and after, a plan's coverage,
and a window scan that is one convolution (matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..detect import Detections, nms, score_map, windows
from ..detect.boxes import as_boxes, as_scores, pair_metric
from ..detect.planner import axis_coverage
from ..detect.planner import plan as dry_run
from ..detect.tiles import tiles as tile_boxes
from ..detect.windows import axis_starts, planned_axes
from .common import as_image, format_shape, format_value
from .drawing import DIVERGING, SEQUENTIAL, TITLE_SIZE, bare_axes, new_figure, signed_limits
from .i18n import check_lang, text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["show_detections", "show_nms", "show_plan", "show_score_map", "KEPT", "SUPPRESSED",
           "TRUTH"]

#: Colours: kept boxes, suppressed boxes and the planted (true) boxes.
KEPT, SUPPRESSED, TRUTH = "#00d26a", "#ff4d4d", "#4da3ff"


def _show_image(ax: Axes, image: np.ndarray) -> None:
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", interpolation="nearest")
    else:
        ax.imshow(np.clip(image, 0, 1), interpolation="nearest")
    bare_axes(ax)


def _box(ax: Axes, box: Sequence[float], colour: str, *, dashed: bool = False,
         width: float = 1.6, label: str | None = None) -> None:
    from matplotlib.patches import Rectangle

    x1, y1, x2, y2 = box
    ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False,
                           edgecolor=colour, linewidth=width,
                           linestyle="--" if dashed else "-"))
    if label:
        ax.text(x1 - 0.5, y1 - 1.5, label, color=colour, fontsize=8, va="bottom",
                bbox={"facecolor": "black", "alpha": 0.5, "pad": 1, "linewidth": 0})


def show_detections(image: Any, detections: Detections | Any, scores: Any = None, *,
                    truth: Any = None, lang: str = "en", ax: Axes | None = None,
                    figsize: Sequence[float] = (7, 5)) -> Figure:
    """The image with its detections drawn and scored (and the true boxes, dashed).

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, 3)
    detections : Detections or array_like of boxes (n, 4)
    scores : array_like, optional
        With bare boxes: their scores, written on each box.
    truth : array_like of boxes, optional
        Where the objects really are (a planted scene's answers), drawn dashed.

    Examples
    --------
    >>> from ventanal.detect import detect_template, planted_scene
    >>> image, template, truth = planted_scene(seed=0)
    >>> fig = show_detections(image, detect_template(image, template), truth=truth, lang="es")
    >>> fig.axes[0].get_title()
    '4 detecciones en 180×260'
    """
    check_lang(lang)
    picture = as_image(image)
    if isinstance(detections, Detections):
        boxes, values = detections.boxes, detections.scores
    else:
        boxes = as_boxes(detections, "detections")
        values = None if scores is None else as_scores(scores, len(boxes))
    if ax is None:
        fig = new_figure(figsize)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    _show_image(ax, picture)
    if truth is not None:
        for box in as_boxes(truth, "truth"):
            _box(ax, box, TRUTH, dashed=True, width=1.2)
    for index, box in enumerate(boxes):
        label = None if values is None else format_value(float(values[index]), 2)
        _box(ax, box, KEPT, label=label)
    ax.set_title(text("det.title", lang, count=len(boxes),
                      shape=format_shape(picture.shape[:2])), fontsize=TITLE_SIZE)
    if truth is not None:
        ax.set_xlabel(text("det.truth", lang), color=TRUTH)
    return fig


def show_nms(image: Any, boxes: Any, scores: Any, threshold: float = 0.5, *,
             metric: str = "iou", lang: str = "en",
             figsize: Sequence[float] = (12, 5)) -> Figure:
    """Non-maximum suppression before and after: every suppressed box linked to its winner.

    Examples
    --------
    >>> boxes = [[2, 2, 12, 12], [3, 3, 13, 13], [20, 5, 30, 15]]
    >>> fig = show_nms(np.zeros((20, 40)), boxes, [0.9, 0.7, 0.8])
    >>> [a.get_title() for a in fig.axes]
    ['Before NMS: 3 boxes', 'After NMS (iou > 0.5 suppressed): 2 kept, 1 suppressed']
    """
    check_lang(lang)
    picture = as_image(image)
    b = as_boxes(boxes)
    s = as_scores(scores, len(b))
    keep = nms(b, s, threshold, metric=metric)
    fig = new_figure(figsize)
    before, after = fig.subplots(1, 2)
    for ax in (before, after):
        _show_image(ax, picture)
    for box, score in zip(b, s, strict=True):
        _box(before, box, KEPT, label=format_value(float(score), 2))
    dropped = np.setdiff1d(np.arange(len(b)), keep)
    if len(keep) and len(dropped):
        m = pair_metric(b[keep], b[dropped], metric)
        winners = keep[np.argmax(m > threshold, axis=0)]
        for loser, winner in zip(dropped, winners, strict=True):
            _box(after, b[loser], SUPPRESSED, dashed=True, width=1.0)
            (lx, ly), (wx, wy) = ((b[i, :2] + b[i, 2:]) / 2 - 0.5 for i in (loser, winner))
            after.plot([lx, wx], [ly, wy], color=SUPPRESSED, linewidth=0.8)
    for index in keep:
        _box(after, b[index], KEPT, label=format_value(float(s[index]), 2))
    before.set_title(text("det.before", lang, count=len(b)), fontsize=TITLE_SIZE)
    after.set_title(text("det.after", lang, metric=metric, threshold=format_value(threshold),
                         kept=len(keep), dropped=len(dropped)), fontsize=TITLE_SIZE - 3)
    return fig


def show_plan(shape: Sequence[int], *, size: Any = None, step: Any = None, edge: str = "drop",
              tile: Any = None, overlap: float | int = 0.2, lang: str = "en",
              figsize: Sequence[float] = (7, 5)) -> Figure:
    """Heat map of how many windows (or tiles) cover each pixel; slivers outlined.

    Examples
    --------
    >>> fig = show_plan((60, 80), size=16, step=12)
    >>> fig.axes[0].get_title()
    'Windows covering each pixel: 24 windows 16×16, step 12×12'
    >>> fig = show_plan((600, 900), tile=256, overlap=0.2, lang="es")
    >>> fig.axes[0].get_title()
    'Teselas que cubren cada píxel: 15 teselas 256×256, 3 astillas'
    """
    check_lang(lang)
    height, width = (int(v) for v in tuple(shape)[:2])
    report = dry_run((height, width), size=size, step=step, edge=edge, tile=tile,
                     overlap=overlap)
    fig = new_figure(figsize)
    ax = fig.add_subplot()
    slivers: list[list[int]] = []
    if tile is not None:
        boxes = tile_boxes((height, width), tile, overlap)
        window = (int(boxes[0, 3] - boxes[0, 1]), int(boxes[0, 2] - boxes[0, 0]))
        rows, cols = np.unique(boxes[:, 1]), np.unique(boxes[:, 0])
        slivers = report.tiling.slivers
        title = text("det.tile_coverage", lang, tiles=report.tiling.tiles,
                     size=format_shape(report.tiling.tile), slivers=len(slivers))
    elif size is not None:
        axes = planned_axes((height, width), size, size if step is None else step, edge)
        window = (axes[0].window, axes[1].window)
        rows, cols = axis_starts(axes[0], edge), axis_starts(axes[1], edge)
        title = text("det.coverage", lang, windows=report.levels[0].windows,
                     size=format_shape(window),
                     step=format_shape((axes[0].stride, axes[1].stride)))
    else:
        raise ValueError("`size` or `tile` must be given: the plan of a window scan or of a "
                         "tiling")
    coverage = np.outer(axis_coverage(height, rows, window[0]),
                        axis_coverage(width, cols, window[1]))
    shown = ax.imshow(coverage, cmap=SEQUENTIAL, interpolation="nearest", vmin=0)
    fig.colorbar(shown, ax=ax, label=text("det.visits", lang), shrink=0.8)
    for box in slivers:
        _box(ax, box, SUPPRESSED, dashed=True)
    ax.set_title(title, fontsize=TITLE_SIZE - 3)
    ax.set_xlabel(text("det.never", lang, count=int((coverage == 0).sum())))
    return fig


def show_score_map(image: Any, weights: Any, step: Any = 1, bias: float = 0, *,
                   lang: str = "en", figsize: Sequence[float] = (12, 4)) -> Figure:
    """A linear classifier slid window by window, and the same scores as one convolution.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = show_score_map(rng.random((20, 30)), rng.normal(size=(5, 5)), step=2)
    >>> [a.get_title() for a in fig.axes[:3]]
    ['Scores window by window 8×13', 'Scores as one convolution 8×13', 'Largest difference: 0']
    """
    check_lang(lang)
    picture = np.asarray(image, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    convolved = score_map(picture, w, step, bias)
    loop = np.array([float((patch * w).sum()) + bias
                     for _, _, patch in windows(picture, w.shape[:2], step)])
    loop = loop.reshape(convolved.shape)
    fig = new_figure(figsize)
    panels = fig.subplots(1, 3)
    low, high = signed_limits(convolved)
    for ax, values, key in ((panels[0], loop, "det.score_loop"),
                            (panels[1], convolved, "det.score_conv")):
        shown = ax.imshow(values, cmap=DIVERGING, vmin=low, vmax=high, interpolation="nearest")
        bare_axes(ax)
        ax.set_title(text(key, lang, shape=format_shape(values.shape)), fontsize=TITLE_SIZE - 3)
    fig.colorbar(shown, ax=panels[:2], shrink=0.8)
    difference = np.abs(loop - convolved)
    panels[2].imshow(difference, cmap=SEQUENTIAL, vmin=0, vmax=max(float(difference.max()),
                                                                    1e-12))
    bare_axes(panels[2])
    largest = float(difference.max())
    panels[2].set_title(text("det.score_diff", lang,
                             value=format_value(0.0 if largest < 1e-9 else largest)),
                        fontsize=TITLE_SIZE - 3)
    return fig
