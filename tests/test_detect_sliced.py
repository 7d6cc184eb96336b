"""Sliced inference, the planner, score_map and the demo detector."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import window_coverage

import ventanal as vt
from ventanal.detect import (
    detect_template,
    iou,
    plan,
    planted_scene,
    score_map,
    sliced_predict,
    tiles,
    window_origins,
    windows,
)
from ventanal.detect.planner import axis_coverage

ndimage = pytest.importorskip("scipy.ndimage")


def scene(seed, shape=(150, 210), count=6):
    """Bright rectangles of distinct brightness on black, none touching another."""
    rng = np.random.default_rng(seed)
    image = np.zeros(shape)
    for value in np.linspace(0.5, 1.0, count):
        h, w = rng.integers(3, 6, 2)       # at most the smallest overlap below (6)
        y, x = rng.integers(0, shape[0] - h), rng.integers(0, shape[1] - w)
        if image[max(0, y - 2):y + h + 2, max(0, x - 2):x + w + 2].any():
            continue
        image[y:y + h, x:x + w] = value
    return image


def blob_boxes(patch):
    labels, _ = ndimage.label(patch > 0)
    found = ndimage.find_objects(labels)
    boxes = [[s[1].start, s[0].start, s[1].stop, s[0].stop] for s in found]
    # a whole object scores above the parts of it a tile border cuts (as a real detector's)
    scores = [float(patch[s].max()) + 1e-4 * patch[s].size for s in found]
    return {"boxes": np.array(boxes, dtype=float).reshape(-1, 4), "scores": scores}


def predict_boxes(batch):
    return [blob_boxes(t) for t in batch]


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000), tile=st.integers(24, 80), overlap=st.sampled_from(
    [0.25, 0.3, 0.5]), merge=st.sampled_from(["greedy_nmm", "nmm"]))
def test_sliced_boxes_equal_whole_image_boxes(seed, tile, overlap, merge):
    # Objects are smaller than the overlap, so each lies whole in some tile; the cut parts
    # other tiles see lie inside it (IoS 1) and merge into it, the whole box winning.
    image = scene(seed)
    whole = blob_boxes(image)
    found = sliced_predict(image, predict_boxes, tile=tile, overlap=overlap, merge=merge,
                           batch_size=3)
    order = np.lexsort(whole["boxes"].T[::-1])
    got = np.lexsort(found.boxes.T[::-1])
    np.testing.assert_array_equal(found.boxes[got], whole["boxes"][order])
    np.testing.assert_array_equal(found.scores[got], np.asarray(whole["scores"])[order])
    trace = found.trace
    assert (trace.fate == "kept").sum() == len(found)
    assert set(trace.fate.tolist()) <= {"kept", "merged", "suppressed"}
    assert ((trace.into >= 0) & (trace.into < len(found))).all()
    assert np.array_equal(trace.tiles, tiles(image.shape, tile, overlap))


@pytest.mark.parametrize("blend", ["constant", "gaussian"])
@pytest.mark.parametrize("channels", [0, 2])
def test_dense_maps_stitch_to_the_whole_image_result(blend, channels):
    rng = np.random.default_rng(4)
    image = rng.random((97, 131, channels) if channels else (97, 131))
    weights = np.array([0.7, -0.2])[:channels] if channels else None

    def pointwise(x):   # a 1x1 convolution and a nonlinearity: translation-equivariant
        return np.tanh(3 * (x @ weights if channels else x) - 1)

    found = sliced_predict(image, lambda batch: [pointwise(t) for t in batch], tile=40,
                           overlap=0.3, blend=blend)
    np.testing.assert_allclose(found.dense, pointwise(image), rtol=1e-12, atol=1e-12)
    assert len(found) == 0


def test_memory_is_one_batch_and_lazy_arrays_work(tmp_path):
    data = scene(6, shape=(300, 400))
    path = tmp_path / "big.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=data.shape)
    mm[:] = data
    mm.flush()

    class Recorder:
        """A lazily read image that records every read."""

        def __init__(self, array):
            self.array, self.shape, self.reads = array, array.shape, []

        def __getitem__(self, key):
            out = np.asarray(self.array[key])
            self.reads.append(out.size)
            return out

    lazy = Recorder(np.memmap(path, dtype=np.float64, mode="r", shape=data.shape))
    seen = []

    def predict(batch):
        seen.append(sum(t.size for t in batch))
        return predict_boxes(batch)

    found = sliced_predict(lazy, predict, tile=64, overlap=0.25, batch_size=4)
    assert max(lazy.reads) <= 64 * 64 and max(seen) <= 4 * 64 * 64
    whole = sliced_predict(data, predict_boxes, tile=64, overlap=0.25)
    np.testing.assert_array_equal(found.boxes, whole.boxes)


def test_tiff_read_lazily(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    data = (scene(7, shape=(120, 160)) * 255).astype(np.uint8)
    path = tmp_path / "scene.tif"
    tifffile.imwrite(path, data)
    lazy = tifffile.memmap(path)
    found = sliced_predict(lazy, predict_boxes, tile=48, overlap=0.3)
    np.testing.assert_array_equal(found.boxes,
                                  sliced_predict(data, predict_boxes, tile=48,
                                                 overlap=0.3).boxes)


def test_zarr_arrays_and_tiled_tiff_through_zarr(tmp_path):
    zarr = pytest.importorskip("zarr")
    tifffile = pytest.importorskip("tifffile")
    data = (scene(9, shape=(150, 170)) * 255).astype(np.uint8)
    expected = sliced_predict(data, predict_boxes, tile=48, overlap=0.3).boxes
    assert len(expected)
    stored = zarr.open_array(str(tmp_path / "scene.zarr"), mode="w", shape=data.shape,
                             chunks=(32, 32), dtype=data.dtype)
    stored[:] = data
    np.testing.assert_array_equal(
        sliced_predict(stored, predict_boxes, tile=48, overlap=0.3).boxes, expected)
    path = tmp_path / "tiled.tif"
    tifffile.imwrite(path, data, tile=(32, 32))   # tiled: read tile by tile through zarr
    with tifffile.imread(path, aszarr=True) as store:
        lazy = zarr.open_array(store, mode="r")
        np.testing.assert_array_equal(
            sliced_predict(lazy, predict_boxes, tile=48, overlap=0.3).boxes, expected)


def test_full_image_pass_trace_and_json():
    image = scene(8)
    found = sliced_predict(image, predict_boxes, tile=64, overlap=0.25, full_image=True,
                           merge="nms", metric="ios")
    n_tiles = len(found.trace.tiles)
    assert n_tiles in found.trace.tile        # the full-image pass has the last index
    record = json.loads(found.to_json())
    assert len(record["detections"]) == len(found)
    assert {b["fate"] for b in record["trace"]["boxes"]} <= {"kept", "suppressed"}
    assert "nms" in record["trace"]["rule"]


def test_progress_callback_and_errors():
    image = scene(9, shape=(64, 64))
    done = []
    sliced_predict(image, predict_boxes, tile=32, overlap=0, progress=done.append,
                   batch_size=3)
    assert done == [3, 1]
    with pytest.raises(ValueError, match="one result per tile"):
        sliced_predict(image, lambda batch: [], tile=32)
    with pytest.raises(ValueError, match="dense map of shape"):
        sliced_predict(image, lambda batch: [np.zeros((3, 3)) for _ in batch], tile=32)
    with pytest.raises(ValueError, match="`merge`"):
        sliced_predict(image, predict_boxes, tile=32, merge="mean")
    with pytest.raises(ValueError, match="`blend`"):
        sliced_predict(image, predict_boxes, tile=32, blend="cosine")
    with pytest.raises(ValueError, match="`batch_size`"):
        sliced_predict(image, predict_boxes, tile=32, batch_size=0)
    with pytest.raises(ValueError, match="x2 >= x1"):
        sliced_predict(image, lambda b: [{"boxes": [[5, 0, 1, 1]], "scores": [1]}] * len(b),
                       tile=32)


@settings(max_examples=100)
@given(h=st.integers(8, 60), w=st.integers(8, 60), k=st.integers(2, 8), s=st.integers(1, 10),
       edge=st.sampled_from(["drop", "snap", "pad"]), scale=st.sampled_from([None, 1.3, 2.0]))
def test_plan_counts_and_coverage(h, w, k, s, edge, scale):
    report = plan((h, w), size=k, step=s, edge=edge, scale=scale, min_size=(k, k))
    first = report.levels[0]
    origins = window_origins((h, w), k, s, edge=edge)
    assert first.windows == len(origins)
    if edge == "drop":
        assert first.windows == int(np.prod(vt.output_shape((h, w), k, s, "VALID")))
    count = window_coverage((h, w), origins, (k, k))
    assert first.never_visited == int((count == 0).sum())
    assert first.most_visits == int(count.max())
    for lv in report.levels:
        assert lv.windows == len(window_origins(lv.shape, k, s, edge=edge))
    assert report.total_calls == sum(lv.windows for lv in report.levels)
    assert "model calls" in str(report) and report.as_dict()["total_calls"] == report.total_calls


@settings(max_examples=100)
@given(h=st.integers(10, 300), w=st.integers(10, 300), t=st.integers(8, 64),
       overlap=st.sampled_from([0.0, 0.2, 0.5]))
def test_plan_tiling(h, w, t, overlap):
    report = plan((h, w, 3), tile=t, overlap=overlap, batch_size=4, dtype="uint8")
    boxes = tiles((h, w), t, overlap)
    assert report.tiling.tiles == len(boxes)
    assert report.total_calls == -(-len(boxes) // 4)
    count = np.zeros((h, w), dtype=int)
    for x1, y1, x2, y2 in boxes:
        count[y1:y2, x1:x2] += 1
    assert report.tiling.never_visited == 0
    assert report.tiling.most_visits == count.max()
    assert report.tiling.batch_bytes == 4 * min(t, h) * min(t, w) * 3
    for box in report.tiling.slivers:
        assert box in boxes.tolist()


def test_axis_coverage_by_hand():
    assert axis_coverage(5, np.array([0, 3]), 3).tolist() == [1, 1, 1, 1, 1]
    assert axis_coverage(5, np.array([0]), 2).tolist() == [1, 1, 0, 0, 0]


@settings(max_examples=60)
@given(h=st.integers(4, 20), w=st.integers(4, 20), k=st.integers(1, 4), s=st.integers(1, 4),
       channels=st.sampled_from([0, 1, 3]), seed=st.integers(0, 1000))
def test_score_map_is_the_loop_over_windows(h, w, k, s, channels, seed):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(h, w, channels) if channels else (h, w))
    weights = rng.normal(size=(k, k, channels) if channels else (k, k))
    scores = score_map(image, weights, step=s, bias=0.5)
    loop = [float((patch * weights).sum()) + 0.5 for _, _, patch in windows(image, k, s)]
    assert scores.shape == vt.output_shape((h, w), k, s, "VALID")
    np.testing.assert_allclose(scores.ravel(), loop, rtol=1e-10, atol=1e-10)


def test_score_map_errors():
    with pytest.raises(ValueError, match="`weights`"):
        score_map(np.zeros((5, 5, 3)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="`step`"):
        score_map(np.zeros((5, 5)), np.zeros((2, 2)), step=0)


@pytest.mark.parametrize("seed", range(5))
def test_demo_finds_every_planted_object(seed):
    image, template, truth = planted_scene(seed=seed)
    found = detect_template(image, template)
    assert len(found) == len(truth)
    assert (iou(truth, found.boxes).max(axis=1) > 0.7).all()
    assert set(found.trace.level.tolist()) == {0, 1, 2}    # each scale from its level


def test_nothing_found_and_image_smaller_than_a_tile():
    image = np.zeros((30, 20))
    found = sliced_predict(image, predict_boxes, tile=64)
    assert len(found) == 0 and found.trace.tiles.tolist() == [[0, 0, 20, 30]]
    assert json.loads(found.to_json()) == {"detections": [], "trace": {
        "rule": found.trace.reason, "tiles": [[0, 0, 20, 30]], "boxes": []}}


@settings(max_examples=15)
@given(seed=st.integers(0, 1000), tile=st.integers(40, 90))
def test_sliced_convolution_detector_equals_whole_image(seed, tile):
    # A convolution (NCC of a template) is translation-equivariant: with tiles overlapping by
    # the template's size less one, every window of the image lies whole in some tile, so the
    # tiles score exactly the windows the whole image does, and NMS leaves the same boxes.
    from ventanal.detect import nms
    from ventanal.detect.scoring import normalized_cross_correlation

    image, template, _ = planted_scene((120, 170), scales=(1.0, 1.0, 1.0), seed=seed)
    h, w = template.shape

    def predict(batch):
        out = []
        for t in batch:
            ncc = normalized_cross_correlation(t, template)
            rows, cols = np.nonzero(ncc > 0.5)
            out.append({"boxes": np.stack([cols, rows, cols + w, rows + h], 1),
                        "scores": ncc[rows, cols]})
        return out

    whole = predict([image])[0]
    keep = nms(whole["boxes"], whole["scores"], 0.3)
    found = sliced_predict(image, predict, tile=tile, overlap=h - 1, merge="nms",
                           metric="iou", threshold=0.3)
    np.testing.assert_array_equal(found.boxes, whole["boxes"][keep])
    np.testing.assert_allclose(found.scores, whole["scores"][keep], rtol=1e-9)
