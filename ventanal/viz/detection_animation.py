"""The lesson's Figure 1 as a GIF: a window sliding left to right, top to bottom, over each
level of an image pyramid, its score written, the hits kept, and NMS at the end (Pillow)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import geometry
from ..detect import nms, pyramid, to_original
from ..detect.scoring import normalized_cross_correlation
from ..detect.windows import window_origins
from .animate import Animation
from .common import as_image, format_shape, format_value, to_gray
from .i18n import check_lang, text
from .palette import font

__all__ = ["animate_detection", "WINDOW", "HIT", "KEPT_BOX"]

#: Colours (RGB) of the sliding window, of a hit, and of a box kept by NMS.
WINDOW, HIT, KEPT_BOX = (255, 214, 0), (255, 77, 77), (0, 210, 106)
#: Height in pixels of the caption band above the picture.
CAPTION = 44
#: Font size (pixels) of the captions, and the smallest they shrink to on a narrow frame.
CAPTION_FONT, SMALLEST_CAPTION_FONT = 14, 8
#: Pixels between the captions and the frame's edges, and between two caption lines.
MARGIN, LEADING = 6, 4
#: Small images are magnified (whole pixels) to about this width, so the boxes show.
MIN_WIDTH = 480

#: A text drawn on a frame and its box (left, top, right, bottom) in pixels.
TextBox = tuple[str, tuple[float, float, float, float]]


def _caption_font(draw: Any, lines: list[str], width: int) -> Any:
    """The largest caption font (down to the smallest) at which every line fits ``width``."""
    size = CAPTION_FONT
    while size > SMALLEST_CAPTION_FONT:
        face = font(size)
        widest = max(draw.textlength(line, font=face) for line in lines)
        if widest <= width - 2 * MARGIN and \
                len(lines) * (size + LEADING) + MARGIN <= CAPTION:
            return face
        size -= 1
    return font(size)


def _frame(canvas: np.ndarray, level: np.ndarray, lines: list[str], rectangles,
           zoom: int) -> tuple[Any, list[TextBox]]:
    """One frame: ``level`` drawn at the top left of a grey canvas (``zoom`` screen pixels a
    pixel), captions above, rectangles in level pixels; and the captions' boxes."""
    from PIL import Image, ImageDraw

    height, width = canvas.shape[0] * zoom, canvas.shape[1] * zoom
    picture = np.full((height + CAPTION, width, 3), 40, dtype=np.uint8)
    shown = np.repeat(np.repeat((np.clip(level, 0, 1) * 255).astype(np.uint8), zoom, 0),
                      zoom, 1)
    picture[CAPTION:CAPTION + shown.shape[0], :shown.shape[1]] = shown[..., None]
    image = Image.fromarray(picture)
    draw = ImageDraw.Draw(image)
    for (x1, y1, x2, y2), colour, thickness in rectangles:
        draw.rectangle([x1 * zoom, y1 * zoom + CAPTION, x2 * zoom - 1,
                        y2 * zoom - 1 + CAPTION], outline=colour, width=thickness)
    face = _caption_font(draw, lines, width)
    boxes: list[TextBox] = []
    for row, line in enumerate(lines):
        xy = (MARGIN, MARGIN - 2 + row * (face.size + LEADING))
        draw.text(xy, line, fill=(255, 255, 255), font=face)
        boxes.append((line, tuple(float(v) for v in draw.textbbox(xy, line, font=face))))
    return image.quantize(palette=_palette(), dither=Image.Dither.NONE), boxes


def _palette() -> Any:
    """A fixed palette: 64 greys and the boxes' colours (an adaptive one loses thin boxes)."""
    from PIL import Image

    colours = [(v, v, v) for v in np.linspace(0, 255, 64).astype(int)]
    colours += [WINDOW, HIT, KEPT_BOX, (40, 40, 40)]
    flat = [c for rgb in colours for c in rgb]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + [0] * (768 - len(flat)))
    return palette


def animate_detection(image: Any, template: Any, *, step: int = 4, scale: float = 1.5,
                      min_size: tuple[int, int] | None = None, threshold: float = 0.6,
                      nms_threshold: float = 0.3, max_frames: int = 120, duration: int = 60,
                      lang: str = "en") -> Animation:
    """Animate the classic detector: pyramid, sliding window scored by NCC, hits, NMS.

    Parameters
    ----------
    image : array_like, (H, W) or (H, W, 3)
    template : array_like, (h, w)
        The window's size and what it looks for (normalised cross-correlation).
    step : int
        Window step on every level.
    scale, min_size : the pyramid (``min_size`` defaults to the template's size).
    threshold : NCC a window needs to be a hit; ``nms_threshold``: IoU that suppresses.
    max_frames : int
        About the most frames of sliding (windows are skipped evenly; a frame is added
        whenever new hits appear, and at the end of each level).
    duration : int
        Milliseconds per frame (the last frame stays 2 s).

    Returns
    -------
    Animation
        Its ``info`` holds ``detections`` (how many boxes NMS kept), ``boxes`` (them, in
        the image's pixels), ``levels`` (pyramid levels scanned) and ``text_boxes``: the
        captions of the first and of the last frame with their boxes in pixels
        (``{"first": [(text, (left, top, right, bottom)), ...], "last": [...]}``), as
        :func:`ventanal.viz.animate` records them. Captions shrink to fit a narrow frame.

    Examples
    --------
    >>> from ventanal.detect import planted_scene
    >>> scene, template, _ = planted_scene((90, 130), scales=(1.0, 1.5), seed=2)
    >>> anim = animate_detection(scene, template, step=6, max_frames=20)
    >>> anim.info["detections"], anim.info["levels"], anim.size
    (2, 5, (390, 314))
    >>> [line for line, _ in anim.info["text_boxes"]["last"]]
    ['After NMS: 2 detections']
    """
    check_lang(lang)
    picture = to_gray(as_image(image)).astype(np.float64)
    low, high = float(picture.min()), float(picture.max())
    picture = (picture - low) / (high - low) if high > low else np.zeros_like(picture)
    t = to_gray(as_image(template)).astype(np.float64)
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"`max_frames` must be a positive int, got {max_frames!r}")
    min_size = (t.shape[1], t.shape[0]) if min_size is None else min_size
    levels = [(lv, f) for lv, f in pyramid(picture, scale, min_size)
              if lv.shape[0] >= t.shape[0] and lv.shape[1] >= t.shape[1]]
    scans = []
    for level, factor in levels:
        # Hits come from every position (step 1), shown as the coarser scan passes them:
        # an object between two grid positions is still found, as by detect_template.
        full = normalized_cross_correlation(level, t)
        rows, cols = np.nonzero(full > threshold)
        origins = window_origins(level.shape, t.shape, step)
        scans.append((level, factor, full, origins, rows * level.shape[1] + cols))
    zoom = max(1, MIN_WIDTH // picture.shape[1])
    total = sum(len(scan[3]) for scan in scans)
    every = max(1, -(-total // max_frames))
    frames, durations = [], []
    first_boxes: list[TextBox] = []
    hits, hit_scores = [], []
    for index, (level, factor, full, origins, hit_keys) in enumerate(scans):
        header = text("det.anim_level", lang, level=index, shape=format_shape(level.shape),
                      factor=format_value(round(factor, 2)))
        shown_hits = 0
        last = len(origins) - 1
        for number, (x, y) in enumerate(origins.tolist()):
            passed = int(np.searchsorted(hit_keys, y * level.shape[1] + x, side="right"))
            new_hit = passed > shown_hits
            if not new_hit and number % every and number != last:
                continue
            shown_hits = passed
            score = float(full[y, x])
            rectangles = [((int(k % level.shape[1]), int(k // level.shape[1]),
                            int(k % level.shape[1]) + t.shape[1],
                            int(k // level.shape[1]) + t.shape[0]), HIT, 2)
                          for k in hit_keys[:passed]]
            rectangles.append(((x, y, x + t.shape[1], y + t.shape[0]), WINDOW, 2))
            lines = [header, text("det.anim_score", lang, score=f"{score:+.2f}") + "   "
                     + text("det.anim_hits", lang, count=len(hits) + passed)]
            frame, boxes_drawn = _frame(picture, level, lines, rectangles, zoom)
            first_boxes = first_boxes if frames else boxes_drawn
            frames.append(frame)
            durations.append(duration * (4 if new_hit else 1))
        for key in hit_keys.tolist():
            x, y = key % level.shape[1], key // level.shape[1]
            hits.append(to_original([[x, y, x + t.shape[1], y + t.shape[0]]], factor)[0])
            hit_scores.append(float(full[y, x]))
    boxes = np.asarray(hits, dtype=np.float64).reshape(-1, 4)
    keep = nms(boxes, np.asarray(hit_scores), nms_threshold)
    final = [(tuple(int(round(v)) for v in boxes[i]), KEPT_BOX, 3) for i in keep]
    frame, last_boxes = _frame(picture, picture, [text("det.anim_final", lang, count=len(keep))],
                               final, zoom)
    frames.append(frame)
    durations.append(2000)
    first_scores = scans[0][2] if scans else np.zeros((0, 0))
    return Animation(frames, durations, picture, first_scores, t,
                     geometry.plan(picture.shape, t.shape, 1),
                     {"detections": len(keep), "boxes": boxes[keep].tolist(),
                      "levels": len(scans),
                      "text_boxes": {"first": first_boxes or last_boxes, "last": last_boxes}})
