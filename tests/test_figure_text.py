"""No text of any figure is clipped or overlaps another, in English and Spanish, wide and narrow.

Every public figure function is drawn at its default size and at half its width; every
text matplotlib draws (titles, captions, tick labels, legends, annotations) must lie inside
the figure and must not overlap another text. The animations' first and last frames are
held to the same rule, on the boxes of the texts Pillow draws.
"""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backend_bases import FigureCanvasBase  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import ventanal as vt  # noqa: E402
from ventanal.viz import (  # noqa: E402
    show_detections,
    show_extraction,
    show_feature_maps,
    show_invariance,
    show_kernel,
    show_nms,
    show_plan,
    show_receptive_field,
    show_score_map,
    show_shapes,
)

#: Pixels of slack: antialiasing may spill a pixel past a text's box (at the figure's edge).
SLACK = 1.0
#: Pixels two texts keep between them: closer, they touch (and read as one).
GAP = 2.0
#: A narrow figure is this fraction of the default width (never below MIN_WIDTH inches).
NARROW, MIN_WIDTH = 0.5, 2.4

CIRCLE = vt.data.circle([64, 64], val=1.0, r_shrink=3)
RNG = np.random.default_rng(0)
PHOTO = RNG.random((48, 56))
SEQUENCE = [1, 9, -1, -2, 7, 3, -1, 2]
SCENE = np.zeros((40, 60))
BOXES = np.array([[2, 2, 20, 20], [4, 3, 22, 21], [30, 10, 50, 30], [32, 12, 52, 33]], float)
SCORES = [0.9, 0.7, 0.8, 0.6]

#: name -> a function of (lang, figsize or None) drawing one figure.
FIGURES = {
    "kernel": lambda lang, size: show_kernel("bottom_sobel", lang=lang, figsize=size),
    "kernel-blur": lambda lang, size: show_kernel("blur", lang=lang, figsize=size),
    "extraction": lambda lang, size: show_extraction(CIRCLE, "bottom_sobel", lang=lang,
                                                     **_size(size)),
    "extraction-stride100": lambda lang, size: show_extraction(
        CIRCLE, "bottom_sobel", conv_stride=100, lang=lang, **_size(size)),
    "extraction-sequence": lambda lang, size: show_extraction(SEQUENCE, [1, 2, 3], lang=lang,
                                                              **_size(size)),
    "shapes": lambda lang, size: show_shapes(lang=lang, figsize=size),
    "shapes-5x7": lambda lang, size: show_shapes((5, 7), 3, 2, "same", lang=lang,
                                                 figsize=size),
    "invariance": lambda lang, size: show_invariance(PHOTO, max_shift=4, repeats=3,
                                                     image_label="camera", lang=lang,
                                                     **_size(size)),
    "invariance-repeats5": lambda lang, size: show_invariance(
        PHOTO, kernel="bottom_sobel", max_shift=16, repeats=5, image_label="camera",
        lang=lang, **_size(size)),
    "receptive-field": lambda lang, size: show_receptive_field(
        "conv3,conv3,conv3,pool2", lang=lang, figsize=size),
    "receptive-field-padded": lambda lang, size: show_receptive_field(
        "conv7s2:same,pool3s2:same,conv3,conv3,conv3s2", lang=lang, figsize=size),
    "feature-maps": lambda lang, size: show_feature_maps("conv3,relu,pool2", PHOTO, lang=lang,
                                                         figsize=size),
    "detections": lambda lang, size: show_detections(
        SCENE, BOXES, scores=SCORES, truth=BOXES[:2], lang=lang, **_size(size)),
    "nms": lambda lang, size: show_nms(SCENE, BOXES, SCORES, lang=lang, **_size(size)),
    "plan-windows": lambda lang, size: show_plan((50, 70), size=20, step=15, lang=lang,
                                                 **_size(size)),
    "plan-tiles": lambda lang, size: show_plan((100, 120), tile=64, overlap=0.2, lang=lang,
                                               **_size(size)),
    "score-map": lambda lang, size: show_score_map(PHOTO, RNG.random((5, 5)), lang=lang,
                                                   **_size(size)),
}


def _size(size):
    return {} if size is None else {"figsize": size}


def drawn_texts(fig):
    """(text, window extent) of every non-empty text matplotlib draws for ``fig``."""
    drawn = {}
    original = Text.draw

    def spy(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn[id(self)] = (self, self.get_window_extent(renderer))

    if type(fig.canvas).draw is FigureCanvasBase.draw:   # a bare Figure() draws nothing
        FigureCanvasAgg(fig)
    with mock.patch.object(Text, "draw", spy):
        fig.canvas.draw()
    return list(drawn.values())


def overlapping(a, b, gap=GAP) -> bool:
    """Whether boxes ``a`` and ``b`` overlap or come closer than ``gap`` pixels."""
    return (a.x0 - gap < b.x1 and b.x0 - gap < a.x1 and
            a.y0 - gap < b.y1 and b.y0 - gap < a.y1)


def text_problems(fig) -> list[str]:
    width, height = fig.canvas.get_width_height()
    texts = drawn_texts(fig)
    assert texts, "the spy saw no text"
    problems = []
    for text, box in texts:
        if box.x0 < -SLACK or box.y0 < -SLACK or box.x1 > width + SLACK or \
                box.y1 > height + SLACK:
            problems.append(f"outside the {width}×{height} figure: {text.get_text()!r} at "
                            f"x {box.x0:.0f}..{box.x1:.0f}, y {box.y0:.0f}..{box.y1:.0f}")
    for (one, box_one), (two, box_two) in itertools.combinations(texts, 2):
        if overlapping(box_one, box_two):
            problems.append(f"overlap (or closer than {GAP:g} px): {one.get_text()!r} and "
                            f"{two.get_text()!r}")
    return problems


def test_the_checker_sees_clipped_and_overlapping_text():
    fig = plt.figure(figsize=(3, 2))
    fig.text(0.9, 0.5, "this sentence runs off the right edge")
    fig.text(0.1, 0.2, "one")
    fig.text(0.12, 0.2, "two")
    problems = text_problems(fig)
    assert any(p.startswith("outside") and "runs off" in p for p in problems)
    assert any(p.startswith("overlap") and "'one'" in p and "'two'" in p for p in problems)
    touching = plt.figure(figsize=(3, 2))
    first = touching.text(0.1, 0.5, "left")
    touching.canvas.draw()
    right = first.get_window_extent().x1 / touching.bbox.width
    touching.text(right + 0.5 / touching.bbox.width, 0.5, "right")   # half a pixel apart
    assert any(p.startswith("overlap") for p in text_problems(touching))
    clean = plt.figure(figsize=(3, 2))
    clean.text(0.1, 0.5, "fits")
    assert text_problems(clean) == []
    from matplotlib.figure import Figure

    bare = Figure(figsize=(3, 2))   # no pyplot, no canvas of its own: drawn with Agg
    bare.text(0.9, 0.5, "off the edge")
    assert text_problems(bare) and text_problems(bare)[0].startswith("outside")


def test_every_figure_function_is_checked():
    checked = {fn.__code__.co_names for fn in FIGURES.values()}
    names = set().union(*checked)
    assert {name for name in vt.viz.__all__ if name.startswith("show_")} <= names


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_no_text_is_clipped_or_overlaps(name, lang):
    fig = FIGURES[name](lang, None)
    assert text_problems(fig) == []
    width, height = fig.get_size_inches()
    plt.close(fig)
    narrow = FIGURES[name](lang, (max(MIN_WIDTH, NARROW * width), height))
    assert text_problems(narrow) == []


# ---------------------------------------------------------------------------
# animations (Pillow): the first and the last frame of every named case
# ---------------------------------------------------------------------------

def box_problems(boxes, size) -> list[str]:
    width, height = size
    problems = []
    for message, (left, top, right, bottom) in boxes:
        if left < -SLACK or top < -SLACK or right > width + SLACK or bottom > height + SLACK:
            problems.append(f"outside the {width}×{height} frame: {message!r} at "
                            f"x {left:.0f}..{right:.0f}, y {top:.0f}..{bottom:.0f}")
    for (one, a), (two, b) in itertools.combinations(boxes, 2):
        if a[0] - GAP < b[2] and b[0] - GAP < a[2] and a[1] - GAP < b[3] and \
                b[1] - GAP < a[3]:
            problems.append(f"overlap (or closer than {GAP:g} px): {one!r} and {two!r}")
    return problems


def test_the_frame_checker_sees_clipped_and_overlapping_text():
    boxes = [("a", (0, 0, 10, 10)), ("b", (5, 5, 15, 15)), ("c", (95, 0, 120, 10)),
             ("d", (0, 30, 10, 40)), ("e", (11, 30, 20, 40)), ("f", (0, 45, 10, 50))]
    problems = box_problems(boxes, (100, 50))
    assert problems == ["outside the 100×50 frame: 'c' at x 95..120, y 0..10",
                        "overlap (or closer than 2 px): 'a' and 'b'",
                        "overlap (or closer than 2 px): 'd' and 'e'"]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("case", sorted(vt.viz.CASES))
def test_no_text_of_an_animation_is_clipped_or_overlaps(case, lang):
    animation = vt.viz.animate_case(case, lang=lang, max_frames=6)
    boxes = animation.info["text_boxes"]
    assert boxes["first"] and boxes["last"]
    assert any(animation.info["title"] in message for message, _ in boxes["first"])
    for which in ("first", "last"):
        assert box_problems(boxes[which], animation.size) == [], which


#: Small grids whose legend holds two notes (padding, cells never read): the longest
#: bottom line beside the step counter.
SMALL_ANIMATIONS = {
    "sequence-padded-stride3": ([1, 2, 3, 4, 5], {"op": "max", "window_shape": 2, "strides": 3,
                                                 "padding": [(1, 1)]}),
    "grid-avg-same": ([[1, 2], [3, 4]], {"op": "avg", "window_shape": 2, "strides": 3,
                                         "padding": "SAME"}),
    "tiny-conv": ([[1, 2], [3, 4]], {"kernel": [[1]], "strides": 2}),
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", sorted(SMALL_ANIMATIONS))
def test_no_text_of_a_small_animation_is_clipped_or_overlaps(name, lang):
    grid, arguments = SMALL_ANIMATIONS[name]
    animation = vt.viz.animate(grid, lang=lang, **arguments)
    for which in ("first", "last"):
        assert box_problems(animation.info["text_boxes"][which], animation.size) == [], which


#: Detection animations: a planted scene magnified to about 480 pixels, and one wide
#: enough to be drawn at its own size (250 pixels): the least room the captions get.
DETECTION_ANIMATIONS = {
    "magnified": ((90, 130), (1.0, 1.5), 2),
    "unmagnified-250": ((140, 250), (1.0,), 3),
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", sorted(DETECTION_ANIMATIONS))
def test_no_text_of_the_detection_animation_is_clipped_or_overlaps(name, lang):
    from ventanal.detect import planted_scene

    shape, scales, seed = DETECTION_ANIMATIONS[name]
    scene, template, _ = planted_scene(shape, scales=scales, seed=seed)
    animation = vt.viz.animate_detection(scene, template, step=8, max_frames=6, lang=lang)
    boxes = animation.info["text_boxes"]
    first_level = {"en": "Level 0: ", "es": "Nivel 0: "}[lang]
    assert boxes["first"][0][0].startswith(first_level) and len(boxes["first"]) == 2
    final = {"en": "After NMS: {} detections", "es": "Tras NMS: {} detecciones"}[lang]
    assert [message for message, _ in boxes["last"]] == \
        [final.format(animation.info["detections"])]
    for which in ("first", "last"):
        assert box_problems(boxes[which], animation.size) == [], which


def test_box_scores_are_drawn_apart_and_the_best_always_shows():
    # Five boxes a pixel apart: at the same corner of each, their scores would overlap.
    stacked = np.array([[10 + i, 10 + i, 30 + i, 30 + i] for i in range(5)], float)
    scores = [0.5, 0.95, 0.7, 0.6, 0.8]
    for size in (None, (MIN_WIDTH, 3)):
        fig = show_detections(np.zeros((40, 50)), stacked, scores=scores, **_size(size))
        assert text_problems(fig) == []
        shown = [t.get_text() for t in fig.axes[0].texts if t.get_visible()]
        assert "0.95" in shown and len(shown) >= 2
        plt.close(fig)


# ---------------------------------------------------------------------------
# fit_text, the helper every figure uses
# ---------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ventanal.viz.drawing import (  # noqa: E402
    FIT_MARGIN,
    MIN_TEXT_SCALE,
    fit_text,
    text_width,
)

WORDS = st.lists(st.sampled_from(["pooling", "2×2", "Condensar", "campo", "(14, 14)", "→",
                                  "salto", "receptive", "a", "MaxPool1D(2, strides=2)"]),
                 min_size=1, max_size=12)


@settings(max_examples=150)
@given(words=WORDS, width=st.floats(0.8, 8.0), size=st.sampled_from([9.0, 11.0, 15.0]),
       lines=st.integers(1, 4))
def test_fit_text_keeps_the_words_and_fits_the_width(words, width, size, lines):
    message = " ".join(words)
    fitted = fit_text(message, width, size, max_lines=lines)
    assert fitted.text.split() == message.split()          # only spaces became line breaks
    assert fitted.size <= size
    widest = text_width(fitted.text, fitted.size) * FIT_MARGIN
    longest_word = max(text_width(word, fitted.size) for word in message.split())
    assert widest <= width or longest_word * FIT_MARGIN > width or fitted.size == 5
    if text_width(message, size) * FIT_MARGIN <= width:
        assert fitted == (message, size)                   # what fits is left alone
    if fitted.size >= max(7, MIN_TEXT_SCALE * size):
        assert fitted.text.count("\n") < lines             # wrapped only within max_lines


def test_fit_text_shrinks_before_it_wraps_and_keeps_given_breaks():
    title = "Feature extraction: filter → detect → condense"
    full = text_width(title, 17)
    shrunk = fit_text(title, full * 0.85, 17)
    assert "\n" not in shrunk.text and 17 * 0.7 <= shrunk.size < 17
    wrapped = fit_text(title, full * 0.65, 17)
    assert wrapped.text.count("\n") == 1 and wrapped.size == 17
    assert fit_text("one\ntwo", 5, 10) == ("one\ntwo", 10)
    height = 17 * 1.2 * 1.2 / 72   # one line at 17 points
    low = fit_text(title, full * 0.5, 17, height=height)
    lines = low.text.count("\n") + 1
    assert low.size < 17 * 0.7 and lines * low.size * 1.2 * 1.2 / 72 <= height
    assert text_width(low.text, low.size) * FIT_MARGIN <= full * 0.5
