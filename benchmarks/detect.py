"""ventanal.detect against its peers, side by side in one process.

    python benchmarks/detect.py [--rounds 7] [--boxes 10000] [--json detect.json]

Each comparison runs every implementation once (checking that they agree where their
semantics are the same), then times them in rounds, each round calling every implementation
once in a rotating order; medians are reported, and the ratio ventanal / the fastest peer.

1. ``nms`` on 10,000 random boxes (centres uniform over 1024², sides 16-128 px, uniform
   scores), each peer on its own semantics:
   * imutils' ``non_max_suppression`` (overlap over the other box, inclusive pixels, > 0.3)
     against ``nms(..., metric="overlap", inclusive=True)``: same picks required;
   * SAHI's NumPy NMS (its dense-matrix loop, ``>=`` threshold; SAHI itself cannot be
     installed here, so its algorithm is transcribed below) and ensemble-boxes' ``nms``
     (normalised coordinates) against ``nms(..., metric="iou")`` at IoU 0.5;
   * torchvision's ``nms`` when installed.
   Target: ventanal <= 0.2x the fastest peer.
2. ``window_view`` of a 4096² image (creation time, for 512² and 4096²: constant, no copy) and
   ``windows`` (64² windows, step 8) against a bare Python loop of the same slicing.
   Target: <= 2x the slicing loop.
3. ``sliced_predict`` on an 8192² uint8 image (a ``np.memmap``) with 512² tiles: its time over
   the predictor's own time (target: overhead <= 5%), and the peak memory allocated during the
   call (``tracemalloc``) against one batch of tiles (target: <= 2 batches + the result).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ventanal.detect import nms, sliced_predict, window_view, windows  # noqa: E402


def random_boxes(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 1024, (n, 2))
    half = rng.uniform(16, 128, (n, 2)) / 2
    return np.concatenate([centres - half, centres + half], axis=1), rng.random(n)


def imutils_nms():
    spec = importlib.util.find_spec("imutils")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "object_detection.py"   # imutils' package needs OpenCV
    module_spec = importlib.util.spec_from_file_location("imutils_object_detection", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.non_max_suppression


def sahi_numpy_nms(boxes, scores, threshold):
    """SAHI's NumPy backend: a dense IoU matrix, then the greedy loop (suppress >= threshold)."""
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    x1 = np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    y1 = np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    x2 = np.minimum(boxes[:, None, 2], boxes[None, :, 2])
    y2 = np.minimum(boxes[:, None, 3], boxes[None, :, 3])
    inter = np.maximum(0, x2 - x1) * np.maximum(0, y2 - y1)
    union = areas[:, None] + areas[None, :] - inter
    matrix = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0).astype(
        np.float32)
    order = np.lexsort((boxes[:, 3], boxes[:, 2], boxes[:, 1], boxes[:, 0], -scores))
    keep, suppressed = [], np.zeros(len(boxes), dtype=bool)
    for idx in order:
        if suppressed[idx]:
            continue
        keep.append(int(idx))
        suppressed |= matrix[idx] >= threshold
    return keep


def timed(functions: dict, rounds: int) -> dict[str, float]:
    names = list(functions)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            functions[name]()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def report(title: str, medians: dict[str, float], ours: str, target: float | None,
           log) -> dict:
    peers = {k: v for k, v in medians.items() if k != ours}
    fastest = min(peers, key=peers.get) if peers else None
    ratio = medians[ours] / peers[fastest] if fastest else None
    log(f"\n{title}")
    for name, value in sorted(medians.items(), key=lambda kv: kv[1]):
        log(f"  {name:<38} {value * 1e3:10.2f} ms")
    if ratio is not None:
        verdict = "" if target is None else (
            f" (target <= {target:.2f}: {'met' if ratio <= target else 'NOT met'})")
        log(f"  ratio {ours} / {fastest}: {ratio:.3f}{verdict}")
    return {"medians_s": medians, "fastest_peer": fastest, "ratio": ratio, "target": target}


def bench_nms(n: int, rounds: int, log) -> dict:
    boxes, scores = random_boxes(n)
    out = {}
    nms(boxes[:600], scores[:600])     # compile or load the numba loop before timing
    non_max_suppression = imutils_nms()
    integer = np.round(boxes).astype(int)
    if non_max_suppression is not None:
        expected = non_max_suppression(integer, scores, 0.3)
        keep = nms(integer, scores, 0.3, metric="overlap", inclusive=True)
        assert np.array_equal(integer[keep], expected), "imutils mode disagrees with imutils"
        out["imutils"] = report(
            f"nms, imutils mode, {n} boxes (same picks: {len(keep)})", timed({
                "ventanal nms(metric='overlap', inclusive=True)":
                    lambda: nms(integer, scores, 0.3, metric="overlap", inclusive=True),
                "imutils non_max_suppression": lambda: non_max_suppression(integer, scores, 0.3),
            }, rounds), "ventanal nms(metric='overlap', inclusive=True)", 0.2, log)
    functions = {"ventanal nms(metric='iou')": lambda: nms(boxes, scores, 0.5)}
    keep = nms(boxes, scores, 0.5)
    sahi = sahi_numpy_nms(boxes, scores, 0.5)
    log(f"\nIoU NMS keeps {len(keep)}; SAHI's rule (>=) keeps {len(sahi)}, "
        f"{'the same' if sahi == keep.tolist() else 'a different'} list")
    functions["SAHI NumPy NMS (transcribed)"] = lambda: sahi_numpy_nms(boxes, scores, 0.5)
    try:
        import ensemble_boxes
    except ImportError:
        log("ensemble-boxes not installed")
    else:
        normal = np.clip(boxes / 1024, 0, 1)     # its coordinates live in [0, 1]
        labels = np.zeros(n)
        eb_boxes, _, _ = ensemble_boxes.nms([normal], [scores], [labels], iou_thr=0.5)
        log(f"ensemble-boxes nms keeps {len(eb_boxes)}")
        functions["ensemble-boxes nms"] = lambda: ensemble_boxes.nms([normal], [scores],
                                                                     [labels], iou_thr=0.5)
    try:
        import torch
        import torchvision
    except ImportError:
        log("torchvision not installed: no torchvision.ops.nms row")
    else:
        tb, ts = torch.tensor(boxes), torch.tensor(scores)
        functions["torchvision.ops.nms"] = lambda: torchvision.ops.nms(tb, ts, 0.5)
    out["iou"] = report(f"nms, IoU 0.5, {n} boxes", timed(functions, rounds),
                        "ventanal nms(metric='iou')", 0.2, log)
    return out


def bench_windows(rounds: int, log) -> dict:
    image = np.random.default_rng(1).random((4096, 4096)).astype(np.float32)
    small = image[:512, :512].copy()
    creation = timed({"window_view 4096²": lambda: window_view(image, 64, 8),
                      "window_view 512²": lambda: window_view(small, 64, 8)}, rounds * 3)
    view, origins = window_view(image, 64, 8)
    log(f"\nwindow_view: 4096² {creation['window_view 4096²'] * 1e6:.0f} µs, 512² "
        f"{creation['window_view 512²'] * 1e6:.0f} µs; shares memory with the image: "
        f"{np.shares_memory(view, image)} (the view is O(1); the (n, 2) origins array it "
        f"also returns is O(windows): {len(origins)} here)")

    def loop_windows():
        for _ in windows(image, 64, 8):
            pass

    def loop_slicing():
        for y in range(0, 4096 - 64 + 1, 8):
            for x in range(0, 4096 - 64 + 1, 8):
                image[y:y + 64, x:x + 64]

    out = report("windows over 4096², 64² windows, step 8", timed({
        "ventanal windows": loop_windows, "bare slicing loop": loop_slicing},
        max(3, rounds // 2)), "ventanal windows", 2.0, log)
    out["window_view_creation_s"] = creation
    return out


def bench_sliced(rounds: int, log) -> dict:
    side, tile, batch = 8192, 512, 8
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.u8")
        image = np.memmap(path, dtype=np.uint8, mode="w+", shape=(side, side))
        rng = np.random.default_rng(2)
        for y in range(0, side, 1024):
            image[y:y + 1024] = rng.integers(0, 200, (1024, side), dtype=np.uint8)
        image.flush()
        image = np.memmap(path, dtype=np.uint8, mode="r", shape=(side, side))
        spent = [0.0]

        def predictor(batch_tiles):
            start = time.perf_counter()
            results = []
            for t in batch_tiles:
                # a stand-in model: a box filter (integral image) and its 8 best windows
                s = t.astype(np.float32).cumsum(0).cumsum(1)
                box = s[16:, 16:] - s[:-16, 16:] - s[16:, :-16] + s[:-16, :-16]
                best = np.argpartition(box.ravel(), -8)[-8:]
                yy, xx = np.unravel_index(best, box.shape)
                results.append({"boxes": np.stack([xx, yy, xx + 16, yy + 16], 1),
                                "scores": box.ravel()[best] / 65536})
            spent[0] += time.perf_counter() - start
            return results

        totals, model = [], []
        for _ in range(max(2, rounds // 3)):
            spent[0] = 0.0
            start = time.perf_counter()
            found = sliced_predict(image, predictor, tile=tile, overlap=0.2, batch_size=batch,
                                   progress=False)
            totals.append(time.perf_counter() - start)
            model.append(spent[0])
        tracemalloc.start()
        found = sliced_predict(image, predictor, tile=tile, overlap=0.2, batch_size=batch,
                               progress=False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # the predictor's own temporaries on one batch (its float32 integral images), which
        # the framework does not control, measured alone
        one_batch = [np.asarray(image[:tile, :tile])] * batch
        tracemalloc.start()
        predictor(one_batch)
        _, model_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    total, own = float(np.median(totals)), float(np.median(model))
    overhead = total / own - 1
    batch_bytes = batch * tile * tile          # uint8 tiles
    result_bytes = found.trace.boxes.nbytes * 3 + found.boxes.nbytes * 3
    log(f"\nsliced_predict, {side}² uint8 memmap, {tile}² tiles, overlap 0.2, batch {batch}: "
        f"{len(found.trace.tiles)} tiles, {len(found.trace.boxes)} raw boxes -> {len(found)}")
    log(f"  total {total:.3f} s, predictor {own:.3f} s: overhead {overhead * 100:.1f}% "
        f"(target <= 5%: {'met' if overhead <= 0.05 else 'NOT met'})")
    framework = peak - model_peak
    log(f"  peak traced memory {peak / 2**20:.1f} MiB, of which the predictor's own "
        f"temporaries {model_peak / 2**20:.1f} MiB; the rest {framework / 2**20:.1f} MiB "
        f"against one batch of tiles {batch_bytes / 2**20:.1f} MiB and the result "
        f"{result_bytes / 2**20:.2f} MiB (target <= 2 batches + result: "
        f"{'met' if framework <= 2 * batch_bytes + result_bytes else 'NOT met'})")
    return {"total_s": total, "predictor_s": own, "overhead": overhead, "peak_bytes": peak,
            "predictor_peak_bytes": model_peak, "batch_bytes": batch_bytes,
            "result_bytes": result_bytes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--boxes", type=int, default=10_000)
    parser.add_argument("--json", help="write the numbers to this file")
    parser.add_argument("--only", choices=("nms", "windows", "sliced"))
    args = parser.parse_args(argv)
    results = {}
    if args.only in (None, "nms"):
        results["nms"] = bench_nms(args.boxes, args.rounds, print)
    if args.only in (None, "windows"):
        results["windows"] = bench_windows(args.rounds, print)
    if args.only in (None, "sliced"):
        results["sliced"] = bench_sliced(args.rounds, print)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
