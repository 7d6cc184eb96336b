"""The invariance measure tells the truth: cases whose answer is known by construction,
the lesson's circle, the numbers of docs/invariance.md, the figure and the command line."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import ventanal as vt  # noqa: E402
from ventanal import cli, data  # noqa: E402
from ventanal.viz import (  # noqa: E402
    format_invariance_table,
    invariance_experiment,
    shared_activity,
    show_invariance,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "invariance.md"
CIRCLE = data.circle([64, 64], val=1.0, r_shrink=3)
SOBEL = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float)


# ---------------------------------------------------------------------------
# shared_activity
# ---------------------------------------------------------------------------

def test_shared_activity_on_maps_whose_answer_is_known():
    a = np.array([[0, 2, 1], [0, 0, 3]])
    assert shared_activity(a, a) == 1.0                           # identical
    assert shared_activity([0, 2, 0, 0], [0, 0, 2, 0]) == 0.0     # disjoint
    assert shared_activity([5, 0], [0, 0]) == 0.0                 # all lost
    assert shared_activity([0, 3, 1], [0, 2, 1]) == pytest.approx(3 / 4)
    assert np.isnan(shared_activity(np.zeros((4, 4)), np.zeros((4, 4))))  # undefined
    # Zeros in both maps count for nothing: padding the maps with zeros changes nothing.
    assert shared_activity(np.pad([0, 3, 1], 50), np.pad([0, 2, 1], 50)) == pytest.approx(3 / 4)


# Whole numbers, so that the sums are exact and "== 1" means identical.
COUNTS = st.integers(0, 100).map(float)


@settings(max_examples=200)
@given(arrays(np.float64, st.integers(1, 12), elements=COUNTS), st.data(), st.floats(0.01, 100))
def test_shared_activity_properties(a, draw, scale):
    b = draw.draw(arrays(np.float64, a.shape, elements=COUNTS))
    value = shared_activity(a, b)
    if not a.any() and not b.any():
        assert np.isnan(value)
        return
    assert 0 <= value <= 1
    assert value == pytest.approx(shared_activity(b, a))              # symmetric
    assert value == pytest.approx(shared_activity(a * scale, b * scale))  # unit-free
    assert (value == 1) == bool(np.array_equal(a, b))
    assert (value == 0) == (not np.any((a > 0) & (b > 0)))


def test_shared_activity_rejects_what_it_cannot_compare():
    with pytest.raises(ValueError, match=r"`a` and `b` must have the same shape, got \(2,\)"):
        shared_activity([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="`b` must be non-negative.*minimum of -1.0"):
        shared_activity([1, 2], [1, -1])
    with pytest.raises(ValueError, match="`a` must hold finite values"):
        shared_activity([np.nan, 1], [1, 1])


# ---------------------------------------------------------------------------
# invariance_experiment: known by construction
# ---------------------------------------------------------------------------

def by_hand(image, kernel, max_shift, repeats, k):
    """The experiment written out with np.pad: the image on zeros, filtered, pooled."""
    margin = 0 if kernel is None else kernel.shape[1] - 1
    canvas = np.pad(image, ((0, 0), (margin + k, margin + max_shift - k)))
    maps = [canvas if kernel is None else np.maximum(vt.conv(canvas, kernel), 0)]
    for _ in range(repeats):
        maps.append(np.asarray(vt.max_pool(maps[-1], 2, strides=2, padding="same")))
    return maps


def test_the_experiment_is_the_shared_activity_of_the_shifted_maps():
    photo = np.random.default_rng(1).random((20, 30))
    result = invariance_experiment(photo, "bottom_sobel", max_shift=3, repeats=2)
    np.testing.assert_array_equal(result.shifts, [0, 1, 2, 3])
    assert result.shapes == [(18, 35), (9, 18), (5, 9)] and result.jumps == [1, 2, 4]
    reference = by_hand(photo, SOBEL, 3, 2, 0)
    for k in range(4):
        for r, (a, b) in enumerate(zip(reference, by_hand(photo, SOBEL, 3, 2, k), strict=True)):
            expected = np.minimum(a, b).sum() / np.maximum(a, b).sum()
            assert result.shared[r, k] == pytest.approx(expected, rel=1e-12)


def test_a_dot_moved_within_its_pooling_window_is_invariant():
    image = np.zeros((8, 8))
    image[4, 4] = 1
    result = invariance_experiment(image, max_shift=2, repeats=1)
    # columns 4 -> 5: the same 2x2 window; 4 -> 6: the next one.
    np.testing.assert_array_equal(result.shared, [[1, 0, 0], [1, 1, 0]])


@pytest.mark.parametrize("kernel", [None, "bottom_sobel", "edge"])
@pytest.mark.parametrize("pool", [(2, 2), (3, 3), (3, 2)])
def test_a_shift_by_a_multiple_of_the_total_stride_is_fully_invariant(kernel, pool):
    size, stride = pool
    pattern = np.random.default_rng(size + stride).random((24, 20))
    repeats = 2
    max_shift = 2 * stride ** repeats
    result = invariance_experiment(pattern, kernel, max_shift=max_shift, repeats=repeats,
                                   pool_size=size, pool_stride=stride, align=True)
    assert result.jumps == [stride ** r for r in range(repeats + 1)]
    for r, jump in enumerate(result.jumps):
        for k in range(0, max_shift + 1, jump):
            assert result.shared[r, k] == pytest.approx(1.0, abs=1e-12), (r, k)
    # Between two multiples, the pooled pattern is not a translated copy.
    assert result.shared[repeats, stride ** repeats // 2] < 1
    # Aligned, the curve repeats with the jump; before the first jump nothing is moved back.
    fixed = invariance_experiment(pattern, kernel, max_shift=max_shift, repeats=repeats,
                                  pool_size=size, pool_stride=stride)
    for r, jump in enumerate(result.jumps):
        np.testing.assert_array_equal(result.shared[r, :jump], fixed.shared[r, :jump])
        np.testing.assert_allclose(result.shared[r, jump:], result.shared[r, :-jump],
                                   atol=1e-12)


def test_an_all_zero_map_is_undefined_not_invariant():
    # A uniform image has no horizontal edge: its bottom-Sobel map is zero everywhere.
    result = invariance_experiment(np.full((12, 12), 0.5), "bottom_sobel", max_shift=4,
                                   repeats=2)
    assert np.isnan(result.shared).all() and np.isnan(result.mean_shared).all()
    assert np.isnan(invariance_experiment(np.zeros((6, 6)), max_shift=2).shared).all()
    table = format_invariance_table(result)
    assert table.splitlines()[3].split() == ["0", "nan", "nan", "nan"]


def test_bad_arguments_name_the_argument_and_the_value():
    photo = np.random.default_rng(2).random((10, 12))
    with pytest.raises(ValueError, match="max_shift"):
        invariance_experiment(photo, max_shift=-1)
    with pytest.raises(ValueError, match=r"`max_shift` \(12\) must be smaller than the image "
                                         r"width \(12\)"):
        invariance_experiment(photo, max_shift=12)
    with pytest.raises(ValueError, match="repeats"):
        invariance_experiment(photo, repeats=-1)
    with pytest.raises(TypeError, match="`align` must be True or False, got 'yes'"):
        invariance_experiment(photo, align="yes")
    with pytest.raises(ValueError, match=r"`kernel` must be 2-D, got shape \(3,\)"):
        invariance_experiment(photo, [1, 0, -1])
    with pytest.raises(ValueError, match="`image` must be non-negative .* minimum of -1\\.9"):
        invariance_experiment(photo - photo.max() - 1, None)


# ---------------------------------------------------------------------------
# the lesson's circle, and the numbers of docs/invariance.md
# ---------------------------------------------------------------------------

def test_on_the_lessons_circle_more_pooling_keeps_more_activity():
    fixed = invariance_experiment(CIRCLE, "bottom_sobel", max_shift=16, repeats=3)
    means = fixed.mean_shared
    assert means[0] < means[1] < means[2] < means[3]               # the lesson's claim
    assert (np.diff(fixed.shared[:, 1:9], axis=0) > 0).all()       # at every shift 1..8
    aligned = invariance_experiment(CIRCLE, "bottom_sobel", max_shift=16, repeats=3,
                                    align=True)
    means = aligned.mean_shared
    assert means[0] == 1 and means[0] > means[1] > means[2] > means[3]   # the price


def test_counting_identical_cells_rewarded_the_relu_zeros():
    # What docs/invariance.md says of the old measure, recomputed.
    feature = np.maximum(vt.conv(CIRCLE, SOBEL), 0)
    assert round(float(np.mean(feature == 0)), 2) == 0.94
    a, b = by_hand(CIRCLE, SOBEL, 16, 3, 0), by_hand(CIRCLE, SOBEL, 16, 3, 16)
    identical = [round(float(np.mean(x == y)), 2) for x, y in zip(a, b, strict=True)]
    assert identical[0] == 0.90 and identical[3] == 0.43


def docs_tables():
    """``(kind, kernel, align, rows)`` of every table of docs/invariance.md."""
    text = DOCS.read_text(encoding="utf-8")
    pattern = re.compile(r"<!-- (means|shifts): (?:circle )?(\w+) align=(true|false) -->\n"
                         r"((?:\|.*\n)+)")
    for kind, kernel, align, body in pattern.findall(text):
        rows = [[cell.strip() for cell in line.strip("|").split("|")]
                for line in body.splitlines()[2:]]
        yield kind, None if kernel == "none" else kernel, align == "true", rows


def test_every_number_of_the_invariance_docs_is_what_the_code_prints():
    tables = list(docs_tables())
    assert len(tables) == 5
    for kind, kernel, align, rows in tables:
        for row in rows:
            name, values = row[0], [float(v) for v in row[1:]]
            image = CIRCLE if kind == "shifts" or name == "circle" else data.sample(name, 1)
            result = invariance_experiment(image, kernel, max_shift=16, repeats=3, align=align)
            got = result.shared[:, int(name)] if kind == "shifts" else result.mean_shared
            np.testing.assert_allclose(got, values, atol=5e-4, err_msg=f"{kind} {row}")
            if kind == "means" and kernel is not None and not align:
                assert values == sorted(values), f"pooling should help on {name}'s edges"


# ---------------------------------------------------------------------------
# the table, the figure and the command line
# ---------------------------------------------------------------------------

def test_the_table_says_what_the_numbers_are():
    image = np.zeros((8, 8))
    image[4, 4] = 1
    lines = format_invariance_table(invariance_experiment(image, max_shift=2, repeats=1)
                                    ).splitlines()
    assert lines[0].startswith("Shared activity Σ min(a, b) / Σ max(a, b)")
    assert "nan = undefined" in lines[1]
    assert [line.split() for line in lines[2:]] == [
        ["k", "r=0", "r=1"], ["0", "1.000", "1.000"], ["1", "0.000", "1.000"],
        ["2", "0.000", "0.000"], ["mean", "1..2", "0.000", "0.500"]]
    aligned = format_invariance_table(invariance_experiment(image, max_shift=2, repeats=1,
                                                            align=True), "es").splitlines()
    assert aligned[0].startswith("Actividad compartida") and "alineados" in aligned[1]
    assert aligned[-1].split() == ["media", "1..2", "1.000", "1.000"]


def figure_text(fig):
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_the_figure_plots_the_measure_and_defines_it():
    image = np.zeros((10, 12))
    image[5, 3] = 1
    fig = show_invariance(image, max_shift=3, repeats=2)
    pooled, result = fig.ventanal_data
    expected = data.two_dots((16, 16))
    for r in range(3):
        np.testing.assert_array_equal(pooled[r], expected)
        np.testing.assert_array_equal(fig.axes[r].images[0].get_array(), expected)
        expected = vt.max_pool(expected, 2, padding="same")
    for r, line in enumerate(fig.axes[3].get_lines()):
        np.testing.assert_allclose(line.get_ydata(), result.shared[r] * 100)
    words = figure_text(fig)
    assert "Shared activity = Σ min(a, b) / Σ max(a, b)" in words
    assert "undefined: both maps all zero" in words and "shared activity" in words
    assert "r = 2: 3×4, jump 4" in words and "Aligned" not in words
    # Undefined points are gaps (NaN), not zeros or ones.
    fig = show_invariance(np.full((12, 12), 0.5), kernel="bottom_sobel", max_shift=2,
                          repeats=1)
    assert all(np.isnan(line.get_ydata()).all() for line in fig.axes[2].get_lines())


def test_the_figure_names_the_kernel_and_speaks_spanish():
    fig = show_invariance(CIRCLE, kernel=SOBEL, kernel_label="bottom_sobel", max_shift=4,
                          repeats=2, align=True, image_label="circle", lang="es")
    words = figure_text(fig)
    assert "ReLU(bottom_sobel ∗ imagen)" in words and "circle" in words
    assert "Actividad compartida = Σ min(a, b) / Σ max(a, b)" in words
    assert "Alineados en la rejilla del pooling" in words and "salto 4" in words
    fig = show_invariance(CIRCLE, kernel="edge", max_shift=2, repeats=1)
    assert "ReLU(edge ∗ image)" in figure_text(fig)


def test_the_command_prints_a_table_with_a_header_and_draws_the_figure(tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["invariance", "circle", "--kernel", "bottom_sobel", "--max-shift", "16"]
                    ) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Shared activity") and out[2].split()[0] == "k"
    means = [float(v) for v in out[-2].split()[2:]]
    assert out[-2].startswith("mean 1..16") and means == [0.070, 0.123, 0.261, 0.425]
    assert (tmp_path / "invariance.png").stat().st_size > 0
    assert cli.main(["invariance", "circle", "--kernel", "bottom_sobel", "--max-shift", "8",
                     "--align", "--out", "aligned.png", "--lang", "es"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "alineados" in out[1] and out[-2].split()[2:] == ["1.000", "0.828", "0.731",
                                                              "0.680"]
    assert (tmp_path / "aligned.png").exists()


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("figsize, repeats", [((14, 9.5), 3), ((14, 9.5), 5), ((8, 7), 3)])
def test_every_text_of_the_figure_is_inside_it_and_titles_apart(lang, figsize, repeats):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = show_invariance(CIRCLE, kernel="bottom_sobel", max_shift=8, repeats=repeats,
                          align=True, image_label="circle", lang=lang, figsize=figsize)
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for item in fig.findobj(matplotlib.text.Text):
        if item.get_visible() and item.get_text().strip():
            extent = item.get_window_extent(renderer)
            assert (extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1
                    and extent.y0 >= box.y0 - 1 and extent.y1 <= box.y1 + 1), item.get_text()
    titles = [ax.title.get_window_extent(renderer) for ax in fig.axes[:repeats + 1]]
    for left, right in zip(titles, titles[1:], strict=False):
        assert left.x1 < right.x0, (left, right)
