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
from .drawing import (
    DIVERGING,
    LABEL_SIZE,
    POINTS,
    SEQUENTIAL,
    TITLE_SIZE,
    bare_axes,
    fit_text,
    new_figure,
    panel_width,
    signed_limits,
)
from .i18n import check_lang, text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.text import Text

__all__ = ["show_detections", "show_nms", "show_plan", "show_score_map", "KEPT", "SUPPRESSED",
           "TRUTH"]

#: Colours: kept boxes, suppressed boxes and the planted (true) boxes.
KEPT, SUPPRESSED, TRUTH = "#00d26a", "#ff4d4d", "#4da3ff"
#: Font size (points) of a box's score, and the smallest it is shrunk to to find a free place.
SCORE_SIZE, SMALLEST_SCORE_SIZE = 8.0, 6.0
#: Points kept free around a score's text (its dark background reaches 1 point past it).
SCORE_GAP = 3.0
#: Inches a colour bar takes beside its panel (bar, ticks and label).
COLORBAR_INCHES = 0.9


def _show_image(ax: Axes, image: np.ndarray) -> None:
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", interpolation="nearest")
    else:
        ax.imshow(np.clip(image, 0, 1), interpolation="nearest")
    bare_axes(ax)


def _box(ax: Axes, box: Sequence[float], colour: str, *, dashed: bool = False,
         width: float = 1.6) -> None:
    from matplotlib.patches import Rectangle

    x1, y1, x2, y2 = box
    ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False,
                           edgecolor=colour, linewidth=width,
                           linestyle="--" if dashed else "-"))


def _corners(box: Sequence[float]) -> list[tuple[float, float, str, str]]:
    """Where a box's score may go, best first: ``(x, y, ha, va)`` in data coordinates.

    Above the top left corner (outside the box), then inside it, then the other corners.
    The image's rows grow downwards, so ``va="bottom"`` at the top edge is above the box.
    """
    x1, y1, x2, y2 = (float(v) - 0.5 for v in box)
    return [(x1, y1, "left", "bottom"), (x1, y1, "left", "top"),
            (x2, y1, "right", "bottom"), (x2, y1, "right", "top"),
            (x1, y2, "left", "top"), (x1, y2, "left", "bottom"),
            (x2, y2, "right", "top"), (x2, y2, "right", "bottom")]


def _apart(one: Any, two: Any, gap: float) -> bool:
    return (one.x1 + gap <= two.x0 or two.x1 + gap <= one.x0 or
            one.y1 + gap <= two.y0 or two.y1 + gap <= one.y0)


class _ScorePlacer:
    """Places the boxes' scores when the axes is drawn, so that none overlaps another.

    Where a score can go depends on how large the image is drawn, which only the
    layout decides: each draw tries the corners of each box (highest score first) at
    :data:`SCORE_SIZE`, then smaller, and keeps the first place inside the axes and
    clear of the scores already placed. A score with no free place (boxes almost on
    top of each other) is not drawn; its box still is.
    """

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.labels: list[tuple[Text, list[tuple[float, float, str, str]], float]] = []

    def add(self, box: Sequence[float], message: str, score: float, colour: str) -> None:
        label = self.ax.text(0, 0, message, color=colour, fontsize=SCORE_SIZE, clip_on=False,
                             bbox={"facecolor": "black", "alpha": 0.5, "pad": 1,
                                   "linewidth": 0})
        label.set_in_layout(False)       # kept inside the axes: the layout need not know it
        self.labels.append((label, _corners(box), score))

    def place(self, renderer: RendererBase) -> None:
        frame = self.ax.get_window_extent(renderer)
        gap = SCORE_GAP * self.ax.figure.dpi / POINTS
        placed: list[Any] = []
        for label, corners, _ in sorted(self.labels, key=lambda item: -item[2]):
            label.set_visible(True)          # an invisible text measures as a unit box
            found = False
            size = SCORE_SIZE
            while size >= SMALLEST_SCORE_SIZE and not found:
                label.set_fontsize(size)
                for x, y, ha, va in corners:
                    label.set(x=x, y=y, ha=ha, va=va)
                    extent = label.get_window_extent(renderer)
                    if (extent.x0 >= frame.x0 + gap and extent.x1 <= frame.x1 - gap and
                            extent.y0 >= frame.y0 + gap and extent.y1 <= frame.y1 - gap and
                            all(_apart(extent, other, gap) for other in placed)):
                        placed.append(extent)
                        found = True
                        break
                size -= 1.0
            label.set_visible(found)


def _placer_artist(ax: Axes) -> _ScorePlacer:
    """A :class:`_ScorePlacer` drawn (invisibly) just before the axes' texts."""
    from matplotlib.artist import Artist

    placer = _ScorePlacer(ax)

    class ScorePlacement(Artist):
        def draw(self, renderer: RendererBase) -> None:
            placer.place(renderer)

    artist = ScorePlacement()
    artist.set_zorder(2.99)              # after images and boxes (1), before texts (3)
    artist.set_in_layout(False)
    ax.add_artist(artist)
    return placer


def _title(ax: Axes, message: str, room: float, size: float = TITLE_SIZE - 2) -> None:
    fitted = fit_text(message, room, size)
    ax.set_title(fitted.text, fontsize=fitted.size)


def _axes_width(ax: Axes) -> float:
    """Inches of width ``ax`` holds in its figure (before any layout moves it)."""
    return max(0.5, float(ax.get_position().width * ax.figure.get_size_inches()[0]))


def show_detections(image: Any, detections: Detections | Any, scores: Any = None, *,
                    truth: Any = None, lang: str = "en", ax: Axes | None = None,
                    figsize: Sequence[float] = (7, 5)) -> Figure:
    """The image with its detections drawn and scored (and the true boxes, dashed).

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, 3)
    detections : Detections or array_like of boxes (n, 4)
    scores : array_like, optional
        With bare boxes: their scores, written at a corner of each box where no other
        score is (highest score first; smaller if need be; left out when no corner is free).
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
        room = panel_width(fig, 1)
    else:
        fig = ax.figure
        room = _axes_width(ax)
    _show_image(ax, picture)
    if truth is not None:
        for box in as_boxes(truth, "truth"):
            _box(ax, box, TRUTH, dashed=True, width=1.2)
    placer = _placer_artist(ax)
    for index, box in enumerate(boxes):
        _box(ax, box, KEPT)
        if values is not None:
            placer.add(box, format_value(float(values[index]), 2), float(values[index]), KEPT)
    _title(ax, text("det.title", lang, count=len(boxes), shape=format_shape(picture.shape[:2])),
           room, TITLE_SIZE)
    if truth is not None:
        caption = fit_text(text("det.truth", lang), room, LABEL_SIZE)
        ax.set_xlabel(caption.text, fontsize=caption.size, color=TRUTH)
    return fig


def show_nms(image: Any, boxes: Any, scores: Any, threshold: float = 0.5, *,
             metric: str = "iou", lang: str = "en",
             fig: Figure | None = None, figsize: Sequence[float] = (12, 5)) -> Figure:
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
    fig = new_figure(figsize, fig)
    before, after = fig.subplots(1, 2)
    for ax in (before, after):
        _show_image(ax, picture)
    placers = {before: _placer_artist(before), after: _placer_artist(after)}
    for box, score in zip(b, s, strict=True):
        _box(before, box, KEPT)
        placers[before].add(box, format_value(float(score), 2), float(score), KEPT)
    dropped = np.setdiff1d(np.arange(len(b)), keep)
    if len(keep) and len(dropped):
        m = pair_metric(b[keep], b[dropped], metric)
        winners = keep[np.argmax(m > threshold, axis=0)]
        for loser, winner in zip(dropped, winners, strict=True):
            _box(after, b[loser], SUPPRESSED, dashed=True, width=1.0)
            (lx, ly), (wx, wy) = ((b[i, :2] + b[i, 2:]) / 2 - 0.5 for i in (loser, winner))
            after.plot([lx, wx], [ly, wy], color=SUPPRESSED, linewidth=0.8)
    for index in keep:
        _box(after, b[index], KEPT)
        placers[after].add(b[index], format_value(float(s[index]), 2), float(s[index]), KEPT)
    room = panel_width(fig, 2)
    _title(before, text("det.before", lang, count=len(b)), room)
    _title(after, text("det.after", lang, metric=metric, threshold=format_value(threshold),
                       kept=len(keep), dropped=len(dropped)), room)
    return fig


def show_plan(shape: Sequence[int], *, size: Any = None, step: Any = None, edge: str = "drop",
              tile: Any = None, overlap: float | int = 0.2, lang: str = "en",
              fig: Figure | None = None, figsize: Sequence[float] = (7, 5)) -> Figure:
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
    fig = new_figure(figsize, fig)
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
    # The title is centred on the image, which the colour bar pushes left of the centre.
    room = panel_width(fig, 1) - COLORBAR_INCHES
    _title(ax, title, room)
    caption = fit_text(text("det.never", lang, count=int((coverage == 0).sum())), room,
                       LABEL_SIZE)
    ax.set_xlabel(caption.text, fontsize=caption.size)
    return fig


def show_score_map(image: Any, weights: Any, step: Any = 1, bias: float = 0, *,
                   lang: str = "en", fig: Figure | None = None,
                   figsize: Sequence[float] = (12, 4)) -> Figure:
    """A linear classifier slid window by window, and the same scores as one convolution.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = show_score_map(rng.random((20, 30)), rng.normal(size=(5, 5)), step=2)
    >>> [a.get_title() for a in fig.axes[:3]]
    ['Window by window 8×13', 'One convolution 8×13', 'Largest difference: 0']
    """
    check_lang(lang)
    picture = np.asarray(image, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    convolved = score_map(picture, w, step, bias)
    loop = np.array([float((patch * w).sum()) + bias
                     for _, _, patch in windows(picture, w.shape[:2], step)])
    loop = loop.reshape(convolved.shape)
    fig = new_figure(figsize, fig)
    panels = fig.subplots(1, 3)
    low, high = signed_limits(convolved)
    # The colour bar beside the first two panels takes its width from the three.
    room = panel_width(fig, 3) - COLORBAR_INCHES / 3
    for ax, values, key in ((panels[0], loop, "det.score_loop"),
                            (panels[1], convolved, "det.score_conv")):
        shown = ax.imshow(values, cmap=DIVERGING, vmin=low, vmax=high, interpolation="nearest")
        bare_axes(ax)
        _title(ax, text(key, lang, shape=format_shape(values.shape)), room)
    fig.colorbar(shown, ax=panels[:2], shrink=0.8)
    difference = np.abs(loop - convolved)
    panels[2].imshow(difference, cmap=SEQUENTIAL, vmin=0, vmax=max(float(difference.max()),
                                                                    1e-12))
    bare_axes(panels[2])
    largest = float(difference.max())
    _title(panels[2], text("det.score_diff", lang,
                           value=format_value(0.0 if largest < 1e-9 else largest)), room)
    heading = fit_text(text("det.score_title", lang), panel_width(fig, 1), TITLE_SIZE)
    fig.suptitle(heading.text, fontsize=heading.size)
    return fig
