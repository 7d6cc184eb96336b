"""ventanal.detect against SAHI itself (the library, where installed): slices, NMS and the
keep -> merged groups of greedy NMM and NMM. tests/test_detect_windows.py and
test_detect_nms.py also hold SAHI's rules transcribed, so they run without it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ventanal.detect import merge, nms, tiles
from ventanal.detect.merging import merge_groups

slicing = pytest.importorskip("sahi.slicing", reason="SAHI is not installed (pip install sahi)")
combine = pytest.importorskip("sahi.postprocess.combine")


def random_predictions(seed, n, extent=150.0):
    """Boxes, distinct scores, and SAHI's (n, 6) [x1, y1, x2, y2, score, category]."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, extent, (n, 2))
    half = rng.uniform(4, 60, (n, 2)) / 2
    boxes = np.concatenate([centres - half, centres + half], axis=1)
    scores = rng.permutation(n) / n + rng.uniform(0, 1e-3, n)
    return boxes, scores, np.column_stack([boxes, scores, np.zeros(n)])


@settings(max_examples=200, deadline=None)
@given(h=st.integers(1, 400), w=st.integers(1, 400), th=st.integers(1, 128),
       tw=st.integers(1, 128), oh=st.floats(0, 0.9), ow=st.floats(0, 0.9))
def test_tiles_are_sahis_slices(h, w, th, tw, oh, ow):
    assume(int(oh * th) < th and int(ow * tw) < tw)
    expected = slicing.get_slice_bboxes(h, w, th, tw, auto_slice_resolution=False,
                                        overlap_height_ratio=oh, overlap_width_ratio=ow)
    got = tiles((h, w), (th, tw), (oh, ow)).tolist()
    if th > h or tw > w:
        # SAHI repeats the clipped tile while its loop catches up: the same set of tiles
        assert sorted(map(tuple, got)) == sorted(set(map(tuple, expected)))
    else:
        assert got == [list(map(int, box)) for box in expected]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("metric", ["iou", "ios"])
def test_nms_keeps_what_sahi_keeps(seed, metric):
    boxes, scores, predictions = random_predictions(seed, 120)
    expected = combine.nms(predictions, metric.upper(), 0.4)
    assert sorted(nms(boxes, scores, 0.4, metric=metric).tolist()) == sorted(
        int(i) for i in expected)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("metric", ["iou", "ios"])
@pytest.mark.parametrize("method", ["greedy_nmm", "nmm"])
def test_merge_groups_are_sahis(seed, metric, method):
    boxes, scores, predictions = random_predictions(seed, 80)
    expected = getattr(combine, method)(predictions, metric.upper(), 0.3)
    got, _ = merge_groups(boxes, scores, 0.3, metric=metric, method=method)
    assert {int(m[0]): sorted(m[1:].tolist()) for m in got.members} == {
        int(k): sorted(int(v) for v in merged) for k, merged in expected.items()}
    # every input ends in exactly one group
    assert sorted(np.concatenate(got.members).tolist()) == list(range(len(boxes)))
    assert len(merge(boxes, scores, 0.3, metric=metric, method=method).boxes) == len(expected)
