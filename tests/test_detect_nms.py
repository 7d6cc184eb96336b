"""Box metrics, NMS, soft-NMS and merging: invariants, the NumPy/numba agreement, and peers
(imutils, ensemble-boxes, SAHI transcribed, torch) as oracles."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ventanal.detect import ios, iou, merge, nms, soft_nms
from ventanal.detect.boxes import pair_metric
from ventanal.detect.merging import merge_groups
from ventanal.detect.suppression import nms_reference


def random_boxes(seed, n, extent=200.0, sides=(4, 60), integer=False):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, extent, (n, 2))
    half = rng.uniform(*sides, (n, 2)) / 2
    boxes = np.concatenate([centres - half, centres + half], axis=1)
    if integer:
        boxes = np.round(boxes)
    return boxes, rng.permutation(n) / n + rng.uniform(0, 1e-3, n)   # distinct scores


box_sets = st.integers(0, 10_000).flatmap(
    lambda seed: st.tuples(st.just(seed), st.integers(0, 60)))


def test_metrics_by_hand():
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 5]])      # the second is empty
    b = np.array([[5, 0, 15, 10], [2, 2, 4, 4]])
    np.testing.assert_allclose(iou(a, b), [[50 / 150, 4 / 100], [0, 0]])
    np.testing.assert_allclose(ios(a, b), [[0.5, 1.0], [0, 0]])
    np.testing.assert_allclose(pair_metric(a, b, "overlap"), [[0.5, 1.0], [0, 0]])
    np.testing.assert_allclose(pair_metric([[0, 0, 1, 1]], [[1, 1, 2, 2]], "overlap",
                                           inclusive=True), [[0.25]])
    assert iou(np.zeros((0, 4)), b).shape == (0, 2)


def test_bad_boxes_and_scores_are_refused():
    with pytest.raises(ValueError, match=r"x2 >= x1.*row 1"):
        nms([[0, 0, 1, 1], [5, 0, 4, 1]], [1, 2])
    with pytest.raises(ValueError, match="`scores` must be finite"):
        nms([[0, 0, 1, 1]], [np.nan])
    with pytest.raises(ValueError, match="shape"):
        nms([[0, 0, 1]], [1])
    with pytest.raises(ValueError, match="one score per box"):
        nms([[0, 0, 1, 1]], [1, 2])
    with pytest.raises(ValueError, match="`threshold`"):
        nms([[0, 0, 1, 1]], [1], -0.1)
    with pytest.raises(ValueError, match="`metric`"):
        nms([[0, 0, 1, 1]], [1], metric="giou")
    with pytest.raises(ValueError, match="`boxes` must be finite"):
        nms([[0, 0, np.inf, 1]], [1])
    with pytest.raises(ValueError, match="`method`"):
        merge([[0, 0, 1, 1]], [1], method="mean")


def test_hand_cases():
    assert nms(np.zeros((0, 4)), []).tolist() == []
    assert nms([[1, 1, 3, 3]], [0.2]).tolist() == [0]
    # ties: the lower index first; identical boxes suppress each other
    assert nms([[0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2]], [1, 1, 1]).tolist() == [0]
    # zero-area boxes overlap nothing: all kept
    assert nms([[1, 1, 1, 1], [1, 1, 1, 1]], [0.5, 0.6]).tolist() == [1, 0]
    # boxes outside the image are boxes like any other
    assert nms([[-50, -50, -40, -40], [-49, -50, -39, -40]], [0.1, 0.2]).tolist() == [1]
    # overlap exactly at the threshold is kept (strictly greater suppresses)
    assert nms([[0, 0, 2, 1], [1, 0, 3, 1]], [1, 0.5], threshold=1 / 3).tolist() == [0, 1]
    assert nms([[0, 0, 2, 1], [1, 0, 3, 1]], [1, 0.5], threshold=0.33).tolist() == [0]
    assert nms([[0, 0, 2, 2], [0, 0, 2, 2]], [1, 2], max_output=0).tolist() == []


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@settings(max_examples=60)
@given(case=box_sets, threshold=st.floats(0, 1),
       metric=st.sampled_from(["iou", "ios", "overlap"]), classes=st.booleans())
def test_nms_invariants(backend, case, threshold, metric, classes):
    if backend == "numba":
        pytest.importorskip("numba")
    seed, n = case
    boxes, scores = random_boxes(seed, n)
    labels = np.random.default_rng(seed).integers(0, 3, n) if classes else None
    with mock.patch.dict(os.environ, {"VENTANAL_BACKEND": backend}):
        keep = nms(boxes, scores, threshold, metric=metric, classes=labels)
    np.testing.assert_array_equal(keep, nms_reference(boxes, scores, threshold, metric=metric,
                                                      classes=labels))
    assert len(set(keep.tolist())) == len(keep)
    assert (np.diff(scores[keep]) <= 0).all()                  # highest score first
    kept = boxes[keep]
    m = pair_metric(kept, kept, metric)
    same = np.ones_like(m, dtype=bool) if labels is None else labels[keep][:, None] == labels[
        keep][None, :]
    later_vs_earlier = np.tril(m.T, -1)    # [i, j]: the metric of kept j over later-kept i
    assert (later_vs_earlier[np.tril(same, -1)] <= threshold).all()
    # idempotent: the kept boxes survive a second pass whole
    again = nms(kept, scores[keep], threshold, metric=metric,
                classes=None if labels is None else labels[keep])
    assert again.tolist() == list(range(len(keep)))
    # every dropped box is suppressed by a kept box of higher score
    dropped = np.setdiff1d(np.arange(n), keep)
    for d in dropped:
        over = pair_metric(boxes[keep], boxes[d:d + 1], metric)[:, 0] > threshold
        higher = scores[keep] > scores[d]
        if labels is not None:
            over &= labels[keep] == labels[d]
        assert (over & higher).any()


def test_numba_and_numpy_agree_on_many_boxes(monkeypatch):
    pytest.importorskip("numba")
    boxes, scores = random_boxes(7, 3000, extent=1024, sides=(16, 128))
    for metric, inclusive in (("iou", False), ("ios", False), ("overlap", True)):
        monkeypatch.setenv("VENTANAL_BACKEND", "numba")
        fast = nms(boxes, scores, 0.3, metric=metric, inclusive=inclusive, max_output=200)
        monkeypatch.setenv("VENTANAL_BACKEND", "numpy")
        slow = nms(boxes, scores, 0.3, metric=metric, inclusive=inclusive, max_output=200)
        np.testing.assert_array_equal(fast, slow)
        assert len(fast) == 200


def imutils_object_detection():
    """imutils.object_detection, loaded from its file: imutils' package needs OpenCV, its NMS
    only NumPy."""
    spec = importlib.util.find_spec("imutils")
    if spec is None or spec.origin is None:
        pytest.skip("imutils is not installed")
    path = Path(spec.origin).parent / "object_detection.py"
    module_spec = importlib.util.spec_from_file_location("imutils_object_detection", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.65])
def test_imutils_mode_gives_imutils_picks(seed, threshold):
    imutils = imutils_object_detection()
    boxes, scores = random_boxes(seed, 300, integer=True)
    expected = imutils.non_max_suppression(boxes.astype(int), scores, threshold)
    keep = nms(boxes, scores, threshold, metric="overlap", inclusive=True)
    np.testing.assert_array_equal(boxes[keep].astype(int), expected)


@pytest.mark.parametrize("seed", range(6))
def test_iou_nms_matches_torch_rule(seed):
    torch = pytest.importorskip("torch")
    boxes, scores = random_boxes(seed, 400)
    # torchvision's nms rule, written with torch ops: suppress IoU > threshold
    b, s = torch.tensor(boxes), torch.tensor(scores)
    order = torch.argsort(s, descending=True)
    keep, alive = [], torch.ones(len(b), dtype=torch.bool)
    x1, y1, x2, y2 = b.unbind(1)
    area = (x2 - x1) * (y2 - y1)
    for i in order.tolist():
        if not alive[i]:
            continue
        keep.append(i)
        w = (torch.minimum(x2[i], x2) - torch.maximum(x1[i], x1)).clamp(min=0)
        h = (torch.minimum(y2[i], y2) - torch.maximum(y1[i], y1)).clamp(min=0)
        inter = w * h
        alive &= ~(inter / (area[i] + area - inter) > 0.5)
    assert nms(boxes, scores, 0.5).tolist() == keep


def sahi_greedy_nmm(boxes, scores, metric, threshold):
    """SAHI's greedy_nmm + GreedyNMMPostprocess (sahi/postprocess), transcribed for one class."""
    def measure(a, b):
        inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1],
                                                                                      b[1]))
        area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
        return inter / (area_a + area_b - inter) if metric == "iou" else inter / min(area_a,
                                                                                       area_b)
    order = list(np.argsort(scores))
    keep_to_merge = {}
    while order:
        idx = order.pop()
        matched = [j for j in order if measure(boxes[idx], boxes[j]) >= threshold]
        unmatched = [j for j in order if measure(boxes[idx], boxes[j]) < threshold]
        order = sorted(unmatched, key=lambda j: scores[j])
        keep_to_merge[idx] = matched[::-1]
    out = []
    for keep, merged in keep_to_merge.items():
        box, score = list(boxes[keep]), scores[keep]
        for m in merged:
            if measure(box, boxes[m]) > threshold:
                box = [min(box[0], boxes[m][0]), min(box[1], boxes[m][1]),
                       max(box[2], boxes[m][2]), max(box[3], boxes[m][3])]
                score = max(score, scores[m])
        out.append((box, score))
    return out


def sahi_nmm_groups(boxes, scores, metric, threshold):
    """SAHI's nmm (non-greedy) keep -> merge lists, transcribed."""
    m = pair_metric(boxes, boxes, metric)
    order = list(np.argsort(-scores, kind="stable"))
    keep_to_merge, merge_to_keep = {}, {}
    for pred in order:
        others = [o for o in order if o != pred]
        matched = [o for o in others if m[pred, o] >= threshold][::-1]
        if pred not in merge_to_keep:
            keep_to_merge[pred] = []
            for o in matched:
                if o not in merge_to_keep:
                    keep_to_merge[pred].append(o)
                    merge_to_keep[o] = pred
        else:
            keep = merge_to_keep[pred]
            for o in matched:
                if o not in keep_to_merge and o not in merge_to_keep:
                    keep_to_merge[keep].append(o)
                    merge_to_keep[o] = keep
    return keep_to_merge


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("metric", ["ios", "iou"])
def test_greedy_nmm_is_sahis(seed, metric):
    boxes, scores = random_boxes(seed, 80, extent=150)
    expected = sahi_greedy_nmm(boxes, scores, metric, 0.3)
    got = merge(boxes, scores, 0.3, metric=metric)
    # SAHI lists keepers by score and keeps each keeper's score (the maximum)
    assert len(got.boxes) == len(expected)
    np.testing.assert_allclose(got.boxes, [b for b, _ in expected])
    np.testing.assert_allclose(got.scores, [s for _, s in expected])
    assert sorted(np.concatenate(got.members).tolist()) == list(range(len(boxes)))


@pytest.mark.parametrize("seed", range(10))
def test_nmm_groups_are_sahis(seed):
    boxes, scores = random_boxes(seed, 60, extent=120)
    groups = sahi_nmm_groups(boxes, scores, "ios", 0.4)
    got, fused = merge_groups(boxes, scores, 0.4, metric="ios", method="nmm")
    expected = {k: [k, *v] for k, v in groups.items()}
    assert {int(m[0]): m.tolist() for m in got.members} == expected
    for members, box, group in zip(got.members, got.boxes, fused, strict=True):
        np.testing.assert_allclose(box[:2], boxes[group, :2].min(0))
        np.testing.assert_allclose(box[2:], boxes[group, 2:].max(0))
        assert set(group.tolist()) <= set(members.tolist())


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("classes", [False, True])
def test_wbf_is_ensemble_boxes(seed, classes):
    ensemble = pytest.importorskip("ensemble_boxes")
    boxes, scores = random_boxes(seed, 120, extent=400, sides=(10, 80))
    boxes = np.clip(boxes, 0, 400)
    labels = (np.random.default_rng(seed).integers(0, 3, len(boxes)) if classes
              else np.zeros(len(boxes), dtype=int))
    eb_boxes, eb_scores, eb_labels = ensemble.weighted_boxes_fusion(
        [boxes / 400], [scores], [labels], iou_thr=0.4)
    got = merge(boxes, scores, 0.4, metric="iou", method="wbf",
                classes=labels if classes else None)
    assert len(got.boxes) == len(eb_boxes)
    np.testing.assert_allclose(got.boxes / 400, eb_boxes, atol=1e-5)
    np.testing.assert_allclose(got.scores, eb_scores, atol=1e-6)


def test_soft_nms_rules():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 5], [50, 50, 60, 60]])
    scores = np.array([0.9, 0.8, 0.7])
    idx, sc = soft_nms(boxes, scores, sigma=0.5)
    assert idx.tolist() == [0, 2, 1]
    np.testing.assert_allclose(sc, [0.9, 0.7, 0.8 * np.exp(-0.25 / 0.5)])
    idx, sc = soft_nms(boxes, scores, 0.6, method="linear")
    np.testing.assert_allclose(sc, [0.9, 0.8, 0.7])      # IoU 0.5 is not above 0.6
    idx, sc = soft_nms(boxes, scores, 0.3, method="linear", score_threshold=0.5)
    assert idx.tolist() == [0, 2]                        # 0.8 * 0.5 = 0.4 dropped
    with pytest.raises(ValueError, match="`sigma`"):
        soft_nms(boxes, scores, sigma=0)
    with pytest.raises(ValueError, match="`method`"):
        soft_nms(boxes, scores, method="step")


@settings(max_examples=50)
@given(case=box_sets, threshold=st.floats(0.05, 0.95))
def test_soft_nms_linear_with_zero_floor_is_hard_nms_on_disjoint_clusters(case, threshold):
    # soft-NMS never drops a box with no overlap: with sigma huge the scores barely move
    seed, n = case
    boxes, scores = random_boxes(seed, n)
    idx, sc = soft_nms(boxes, scores, threshold, sigma=1e12, score_threshold=0)
    assert sorted(idx.tolist()) == list(range(n))
    np.testing.assert_allclose(np.sort(sc), np.sort(scores), rtol=1e-9)


def test_merge_hand_cases():
    for method in ("greedy_nmm", "nmm", "wbf"):
        empty = merge(np.zeros((0, 4)), [], method=method)
        assert empty.boxes.shape == (0, 4) and empty.members == []
        one = merge([[1, 2, 3, 4]], [0.5], method=method)
        assert one.boxes.tolist() == [[1, 2, 3, 4]] and one.scores.tolist() == [0.5]
    # class-aware: two identical boxes of different classes stay apart
    apart = merge([[0, 0, 4, 4], [0, 0, 4, 4]], [0.9, 0.8], classes=[0, 1])
    assert len(apart.boxes) == 2 and [m.tolist() for m in apart.members] == [[0], [1]]
    together = merge([[0, 0, 4, 4], [0, 0, 4, 4]], [0.9, 0.8])
    assert [m.tolist() for m in together.members] == [[0, 1]]
    # SAHI's rule: taken at >= threshold, fused only at > threshold with the growing box
    half = merge([[0, 0, 2, 1], [1, 0, 3, 1]], [0.9, 0.8], threshold=0.5, metric="ios")
    assert half.boxes.tolist() == [[0, 0, 2, 1]] and [m.tolist() for m in half.members] == [
        [0, 1]]
