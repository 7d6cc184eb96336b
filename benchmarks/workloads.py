"""The workloads of the speed issue, and how each peer library computes them.

Every workload builds its input once, knows how ventanal computes it, and for every peer
library that is installed, how that library computes the same result in its own native
layout (the conversion to that layout happens before timing, as a user of that library would
already hold a tensor). ``to_numpy`` turns a peer's result back into ventanal's layout so that
the runner can check it equals ventanal's before timing anything.

Padding: the workloads use TensorFlow's SAME. Where SAME pads only after the input (an even
input with an odd window and stride 2), PyTorch gets the same windows from ``ceil_mode=True``
for max pooling; where it pads symmetrically, from ``padding=k//2``. scipy.ndimage computes
the stride-1 result (with an ``origin`` shift for even windows) and is then subsampled, which
is how it is used for strided pooling. scikit-image's ``block_reduce`` only covers
non-overlapping windows (window = stride).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import ventanal as vt


@dataclass
class Workload:
    name: str
    kind: str                      # "pool" or "conv"
    target: float                  # ventanal / best peer, at most
    make: Callable[[np.random.Generator], dict]
    ventanal: Callable[[dict], np.ndarray]
    peers: dict[str, Callable[[dict], tuple[Callable, Callable]]] = field(default_factory=dict)
    exact: bool = True             # peers must match exactly (max) or within tolerance


def _installed(name: str):
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001  (any import failure means: not available)
        return None


def frameworks() -> dict:
    """The peer libraries importable here: tf, torch, ndimage, skimage_measure."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # TensorFlow's fastest CPU kernels are oneDNN's, on by default only on some CPUs (those
    # with AVX512-VNNI and newer); on an AVX2 AMD EPYC its Eigen pools and convolutions run
    # 1.3-20x slower. The peer is timed at its best unless the caller chose otherwise.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    found = {"tf": _installed("tensorflow"), "torch": _installed("torch"),
             "ndimage": _installed("scipy.ndimage"),
             "skimage_measure": _installed("skimage.measure")}
    return {key: module for key, module in found.items() if module is not None}


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------

def _image(size):
    def make(rng):
        return {"x": rng.random((size, size), dtype=np.float32)}
    return make


def _nhwc(shape):
    def make(rng):
        return {"x": rng.random(shape, dtype=np.float32)}
    return make


def _image_and_kernel(size, k):
    def make(rng):
        return {"x": rng.random((size, size), dtype=np.float32),
                "w": rng.standard_normal((k, k)).astype(np.float32) / k}
    return make


def _nhwc_and_filters(shape, k, out_channels):
    def make(rng):
        c = shape[-1]
        return {"x": rng.random(shape, dtype=np.float32),
                "w": (rng.standard_normal((k, k, c, out_channels)) /
                      np.sqrt(k * k * c)).astype(np.float32)}
    return make


# ---------------------------------------------------------------------------------------------
# Peers. Each factory takes the data and returns (thunk, to_numpy): thunk() runs the op on
# prepared native inputs, to_numpy(result) gives ventanal's layout.
# ---------------------------------------------------------------------------------------------

def _tf_pool(fw, kind, k, s, image):
    tf = fw["tf"]

    def factory(data):
        x = data["x"][None, :, :, None] if image else data["x"]
        tx = tf.constant(x)
        op = tf.nn.max_pool2d if kind == "MAX" else tf.nn.avg_pool2d
        to_numpy = (lambda r: r.numpy()[0, :, :, 0]) if image else (lambda r: r.numpy())
        return (lambda: op(tx, k, s, "SAME")), to_numpy
    return factory


def _torch_pool(fw, kind, k, s, image, channels_last, padding=0, ceil_mode=False):
    torch = fw["torch"]
    functional = torch.nn.functional

    def factory(data):
        if image:
            t = torch.from_numpy(data["x"])[None, None]
        else:
            t = torch.from_numpy(data["x"]).permute(0, 3, 1, 2)  # NHWC memory = channels_last
        t = t.contiguous(memory_format=torch.channels_last if channels_last
                         else torch.contiguous_format)
        if kind == "MAX":
            def run():
                return functional.max_pool2d(t, k, s, padding, ceil_mode=ceil_mode)
        else:
            def run():
                return functional.avg_pool2d(t, k, s, padding, ceil_mode=ceil_mode)
        if image:
            return run, lambda r: r[0, 0].numpy()
        return run, lambda r: r.permute(0, 2, 3, 1).numpy()
    return factory


def _ndimage_pool(fw, kind, k, s, image):
    ndimage = fw["ndimage"]

    def factory(data):
        x = data["x"]
        size = (k, k) if image else (1, k, k, 1)
        # Strided workloads here pad only after the input (or not at all): output i's window
        # starts at i*s, which is ndimage's window shifted by origin -(k//2). Stride 1 (SAME
        # with an odd window) is centred. "nearest" repeats an edge cell: harmless for max.
        origin = 0 if s == 1 else -(k // 2)
        origins = (origin, origin) if image else (0, origin, origin, 0)
        index = (slice(None, None, s),) * 2 if image else (slice(None), slice(None, None, s),
                                                           slice(None, None, s), slice(None))
        if kind == "MAX":
            def run():
                return ndimage.maximum_filter(x, size=size, origin=origins, mode="nearest")[index]
        else:
            def run():
                return ndimage.uniform_filter(x, size=size, origin=origins, mode="nearest")[index]
        return run, lambda r: r
    return factory


def _block_reduce(fw, kind, k, image):
    measure = fw["skimage_measure"]

    def factory(data):
        x = data["x"]
        block = (k, k) if image else (1, k, k, 1)
        func = np.max if kind == "MAX" else np.mean
        return (lambda: measure.block_reduce(x, block, func)), lambda r: r
    return factory


def _tf_conv(fw, image):
    tf = fw["tf"]

    def factory(data):
        x, w = data["x"], data["w"]
        if image:
            x, w = x[None, :, :, None], w[:, :, None, None]
        tx, tw = tf.constant(x), tf.constant(w)
        to_numpy = (lambda r: r.numpy()[0, :, :, 0]) if image else (lambda r: r.numpy())
        return (lambda: tf.nn.conv2d(tx, tw, 1, "SAME")), to_numpy
    return factory


def _torch_conv(fw, image, channels_last):
    torch = fw["torch"]
    functional = torch.nn.functional

    def factory(data):
        x, w = data["x"], data["w"]
        if image:
            t = torch.from_numpy(x)[None, None]
            tw = torch.from_numpy(w)[None, None]
        else:
            t = torch.from_numpy(x).permute(0, 3, 1, 2)
            tw = torch.from_numpy(w).permute(3, 2, 0, 1)  # HWIO -> OIHW
        form = torch.channels_last if channels_last else torch.contiguous_format
        t, tw = t.contiguous(memory_format=form), tw.contiguous(memory_format=form)
        padding = w.shape[0] // 2

        def run():
            with torch.no_grad():
                return functional.conv2d(t, tw, padding=padding)
        if image:
            return run, lambda r: r[0, 0].numpy()
        return run, lambda r: r.permute(0, 2, 3, 1).numpy()
    return factory


def _ndimage_conv(fw):
    ndimage = fw["ndimage"]

    def factory(data):
        x, w = data["x"], data["w"]
        return (lambda: ndimage.correlate(x, w, mode="constant", cval=0.0)), lambda r: r
    return factory


# ---------------------------------------------------------------------------------------------
# The workloads
# ---------------------------------------------------------------------------------------------

def workloads(fw: dict) -> list[Workload]:
    def pool_peers(kind, k, s, image, torch_padding=0, torch_ceil=False, block=False):
        peers = {}
        if "tf" in fw:
            peers["tf"] = _tf_pool(fw, kind, k, s, image)
        if "torch" in fw:
            peers["torch NCHW"] = _torch_pool(fw, kind, k, s, image, False, torch_padding,
                                              torch_ceil)
            if not image:
                peers["torch channels_last"] = _torch_pool(fw, kind, k, s, image, True,
                                                           torch_padding, torch_ceil)
        if "ndimage" in fw:
            peers["scipy.ndimage"] = _ndimage_pool(fw, kind, k, s, image)
        if block and "skimage_measure" in fw:
            peers["skimage block_reduce"] = _block_reduce(fw, kind, k, image)
        return peers

    def conv_peers(image):
        peers = {}
        if "tf" in fw:
            peers["tf"] = _tf_conv(fw, image)
        if "torch" in fw:
            peers["torch NCHW"] = _torch_conv(fw, image, False)
            if not image:
                peers["torch channels_last"] = _torch_conv(fw, image, True)
        if image and "ndimage" in fw:
            peers["scipy.ndimage"] = _ndimage_conv(fw)
        return peers

    nhwc = (8, 256, 256, 64)
    return [
        Workload("max 2x2/2 SAME, 4096^2", "pool", 0.4, _image(4096),
                 lambda d: vt.pool(d["x"], (2, 2), "MAX", (2, 2), "SAME"),
                 pool_peers("MAX", 2, 2, True, block=True)),
        Workload("max 2x2/2 SAME, NHWC (8,256,256,64)", "pool", 0.7, _nhwc(nhwc),
                 lambda d: vt.pool(d["x"], (2, 2), "MAX", (2, 2), "SAME"),
                 pool_peers("MAX", 2, 2, False, block=True)),
        Workload("max 3x3/2 SAME, NHWC (8,256,256,64)", "pool", 0.7, _nhwc(nhwc),
                 lambda d: vt.pool(d["x"], (3, 3), "MAX", (2, 2), "SAME"),
                 pool_peers("MAX", 3, 2, False, torch_ceil=True)),
        Workload("avg 2x2/2 SAME, NHWC (8,256,256,64)", "pool", 0.7, _nhwc(nhwc),
                 lambda d: vt.pool(d["x"], (2, 2), "AVG", (2, 2), "SAME"),
                 pool_peers("AVG", 2, 2, False, block=True), exact=False),
        Workload("max 15x15/1 SAME, 2048^2", "pool", 0.05, _image(2048),
                 lambda d: vt.pool(d["x"], (15, 15), "MAX", (1, 1), "SAME"),
                 pool_peers("MAX", 15, 1, True, torch_padding=7)),
        Workload("conv 3x3 SAME 1->1, 4096^2", "conv", 0.5, _image_and_kernel(4096, 3),
                 lambda d: vt.conv(d["x"], d["w"], padding="SAME"),
                 conv_peers(True), exact=False),
        Workload("conv 3x3 SAME 3->64, (8,224,224,3)", "conv", 1.2,
                 _nhwc_and_filters((8, 224, 224, 3), 3, 64),
                 lambda d: vt.conv(d["x"], d["w"], padding="SAME"),
                 conv_peers(False), exact=False),
        Workload("conv 3x3 SAME 64->64, (8,56,56,64)", "conv", 1.0,
                 _nhwc_and_filters((8, 56, 56, 64), 3, 64),
                 lambda d: vt.conv(d["x"], d["w"], padding="SAME"),
                 conv_peers(False), exact=False),
        Workload("conv 31x31 SAME 1->1, 2048^2", "conv", 0.25, _image_and_kernel(2048, 31),
                 lambda d: vt.conv(d["x"], d["w"], padding="SAME"),
                 conv_peers(True), exact=False),
    ]
