"""Windows, tiles and pyramids of ventanal.detect: counts from geometry, coverage, peers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import window_coverage

import ventanal as vt
from ventanal.detect import pyramid, tiles, to_original, window_origins, window_view, windows
from ventanal.detect.pyramid import level_shapes

sizes = st.integers(1, 12)


@settings(max_examples=200)
@given(h=st.integers(1, 30), w=st.integers(1, 30), kh=sizes, kw=sizes,
       sh=sizes, sw=sizes, edge=st.sampled_from(["drop", "snap", "pad"]))
def test_origins_count_position_and_coverage(h, w, kh, kw, sh, sw, edge):
    if edge != "pad" and (kh > h or kw > w):
        with pytest.raises(ValueError, match="larger than the image"):
            window_origins((h, w), (kh, kw), (sh, sw), edge=edge)
        return
    origins = window_origins((h, w), (kh, kw), (sh, sw), edge=edge)
    if edge == "drop":
        rows, cols = vt.output_shape((h, w), (kh, kw), (sh, sw), "VALID")
        assert len(origins) == rows * cols
        assert (origins[:, 0] + kw <= w).all() and (origins[:, 1] + kh <= h).all()
    if edge == "snap":
        assert (origins >= 0).all()
        assert (origins[:, 0] + kw <= w).all() and (origins[:, 1] + kh <= h).all()
        if sh <= kh and sw <= kw:
            assert (window_coverage((h, w), origins, (kh, kw)) > 0).all()
    if edge == "pad":
        assert (origins[:, 0] < w).all() and (origins[:, 1] < h).all()
        if sh <= kh and sw <= kw:
            assert (window_coverage((h, w), origins, (kh, kw)) > 0).all()
    # raster order: y slow, x fast, each strictly increasing
    keys = origins[:, 1] * 10_000 + origins[:, 0]
    assert (np.diff(keys) > 0).all()


@settings(max_examples=100)
@given(h=st.integers(1, 20), w=st.integers(1, 20), k=st.integers(1, 6), s=st.integers(1, 6),
       channels=st.sampled_from([0, 3]), edge=st.sampled_from(["drop", "snap", "pad"]))
def test_view_and_generator_agree_with_slicing(h, w, k, s, channels, edge):
    shape = (h, w, channels) if channels else (h, w)
    image = np.arange(int(np.prod(shape)), dtype=float).reshape(shape) + 1
    if edge != "pad" and k > min(h, w):
        return
    view, origins = window_view(image, k, s, edge=edge, fill=-1)
    listed = list(windows(image, k, s, edge=edge, fill=-1))
    assert len(listed) == len(origins) == view.shape[0] * view.shape[1]
    padded = np.pad(image, [(0, k), (0, k)] + [(0, 0)] * (image.ndim - 2), constant_values=-1)
    for index, ((x, y, patch), (ox, oy)) in enumerate(zip(listed, origins, strict=True)):
        assert (x, y) == (ox, oy)
        expected = padded[y:y + k, x:x + k]
        np.testing.assert_array_equal(patch, expected)
        np.testing.assert_array_equal(view[index // view.shape[1], index % view.shape[1]],
                                      expected)


def test_drop_view_is_zero_copy_and_matches_skimage():
    skimage_shape = pytest.importorskip("skimage.util.shape")
    image = np.random.default_rng(0).random((37, 41))
    view, origins = window_view(image, (5, 7), (3, 4))
    assert np.shares_memory(view, image) and not view.flags.writeable
    np.testing.assert_array_equal(view, skimage_shape.view_as_windows(image, (5, 7), (3, 4)))
    color = np.random.default_rng(1).random((20, 22, 3))
    view, _ = window_view(color, 4, 3)
    expected = skimage_shape.view_as_windows(color, (4, 4, 3), (3, 3, 3))[:, :, 0]
    np.testing.assert_array_equal(view, expected)


def test_pyimagesearch_sliding_window_order():
    # pyimagesearch's generator: for y in range(0, H, step): for x in range(0, W, step),
    # whole windows only (the tutorial skips the clipped ones).
    image = np.random.default_rng(2).random((23, 31))
    step, (wh, ww) = 4, (8, 6)
    expected = [(x, y) for y in range(0, image.shape[0], step)
                for x in range(0, image.shape[1], step)
                if image[y:y + wh, x:x + ww].shape == (wh, ww)]
    assert [(x, y) for x, y, _ in windows(image, (wh, ww), step)] == expected


def test_hand_cases_and_errors():
    assert window_origins((4, 4), 4, 1).tolist() == [[0, 0]]
    assert window_origins((3, 3), 5, 2, edge="pad").tolist() == [[0, 0]]
    with pytest.raises(ValueError, match="`step` must be"):
        window_origins((10, 10), 3, 0)
    with pytest.raises(ValueError, match="`size`"):
        window_origins((10, 10), -3, 1)
    with pytest.raises(ValueError, match="`edge` must be one of"):
        window_origins((10, 10), 3, 1, edge="wrap")
    with pytest.raises(TypeError, match="`step`"):
        window_origins((10, 10), 3, 1.5)
    with pytest.raises(ValueError, match="larger than the image"):
        window_view(np.zeros((4, 4)), 5, 1)
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        window_view(np.zeros(4), 2, 1)


def sahi_slice_bboxes(image_height, image_width, slice_height, slice_width,
                      overlap_height_ratio, overlap_width_ratio):
    """SAHI's ``get_slice_bboxes`` (sahi/slicing.py), transcribed: the oracle of tiles."""
    slice_bboxes = []
    y_max = y_min = 0
    y_overlap = int(overlap_height_ratio * slice_height)
    x_overlap = int(overlap_width_ratio * slice_width)
    while y_max < image_height:
        x_min = x_max = 0
        y_max = y_min + slice_height
        while x_max < image_width:
            x_max = x_min + slice_width
            if y_max > image_height or x_max > image_width:
                xmax = min(image_width, x_max)
                ymax = min(image_height, y_max)
                xmin = max(0, xmax - slice_width)
                ymin = max(0, ymax - slice_height)
                slice_bboxes.append([xmin, ymin, xmax, ymax])
            else:
                slice_bboxes.append([x_min, y_min, x_max, y_max])
            x_min = x_max - x_overlap
        y_min = y_max - y_overlap
    return slice_bboxes


@settings(max_examples=300)
@given(h=st.integers(1, 400), w=st.integers(1, 400), th=st.integers(1, 128),
       tw=st.integers(1, 128), oh=st.floats(0, 0.9), ow=st.floats(0, 0.9))
def test_tiles_equal_sahi_slices(h, w, th, tw, oh, ow):
    if int(oh * th) >= th or int(ow * tw) >= tw:
        return
    got = tiles((h, w), (th, tw), (oh, ow))
    expected = sahi_slice_bboxes(h, w, th, tw, oh, ow)
    if th > h or tw > w:
        # SAHI repeats the clipped tile while its loop catches up; the tiles are the same set
        assert sorted(map(tuple, got.tolist())) == sorted(set(map(tuple, expected)))
    else:
        assert got.tolist() == expected
    assert (window_coverage((h, w), got[:, :2], (th, tw)) > 0).all()


def test_tiles_in_pixels_and_errors():
    assert tiles((10, 20), 10, overlap=5).tolist() == [[0, 0, 10, 10], [5, 0, 15, 10],
                                                       [10, 0, 20, 10]]
    with pytest.raises(ValueError, match="`overlap`"):
        tiles((10, 10), 4, overlap=1.0)
    with pytest.raises(ValueError, match="`overlap`"):
        tiles((10, 10), 4, overlap=4)
    with pytest.raises(TypeError, match="`overlap`"):
        tiles((10, 10), 4, overlap="a")


def imutils_resize_shape(h, w, width):
    r = width / float(w)
    return int(h * r), width


@settings(max_examples=100)
@given(h=st.integers(20, 600), w=st.integers(20, 600), scale=st.floats(1.05, 3.0),
       mw=st.integers(1, 60), mh=st.integers(1, 60))
def test_pyramid_sizes_are_pyimagesearch(h, w, scale, mw, mh):
    expected = [(h, w)]
    while True:     # pyimagesearch's pyramid, with imutils.resize's size rule
        nh, nw = imutils_resize_shape(*expected[-1], int(expected[-1][1] / scale))
        if nh < mh or nw < mw or nw < 1 or nh < 1:
            break
        expected.append((nh, nw))
    assert level_shapes((h, w), scale, (mw, mh)) == expected


def test_pyramid_levels_factors_and_smoothing():
    rng = np.random.default_rng(3)
    image = (rng.random((90, 120, 3)) * 255).astype(np.uint8)
    levels = list(pyramid(image, 2.0, (20, 20)))
    assert [lv.shape for lv, _ in levels] == [(90, 120, 3), (45, 60, 3), (22, 30, 3)]
    assert [f for _, f in levels] == [1.0, 2.0, 4.0]
    assert all(lv.dtype == np.uint8 for lv, _ in levels)
    checker = np.indices((64, 64)).sum(0) % 2 * 1.0      # finest detail: smoothing averages it
    smooth = list(pyramid(checker, 2.0, (8, 8)))[1][0]
    sharp = list(pyramid(checker, 2.0, (8, 8), smooth=False))[1][0]
    np.testing.assert_allclose(smooth, 0.5)
    assert set(np.unique(sharp)) <= {0.0, 1.0}
    np.testing.assert_array_equal(to_original([[1, 2, 3, 4]], 2.0), [[2, 4, 6, 8]])
    with pytest.raises(ValueError, match="`scale`"):
        next(pyramid(image, 1.0))
    with pytest.raises(ValueError, match="`factor`"):
        to_original([[1, 2, 3, 4]], 0)
