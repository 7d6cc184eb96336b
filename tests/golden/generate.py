"""Write the golden files of ``tests/golden/`` from the real frameworks.

Run from the repository root with TensorFlow 2.21 (tensorflow-cpu, default oneDNN build) and
PyTorch 2.13 (cpu) installed::

    TF_CPP_MIN_LOG_LEVEL=3 python tests/golden/generate.py

The files are deterministic (fixed seeds) and small. ``tests/test_golden.py`` reads them and
needs neither framework.

File format
-----------
Each ``<group>.npz`` (``tf_pool``, ``tf_conv``, ``keras``, ``torch_pool``, ``torch_conv``) holds
any number of cases. A case with id ``ID`` is stored under these keys:

``ID/input``
    The array passed to ventanal, exactly as passed (its layout is the one named in the call's
    ``data_format``; a rank-N array is one single-channel image).
``ID/filters``
    Conv cases only: the filters in ventanal's layout, ``spatial + (in // groups, out)``.
``ID/expected``
    The framework's output, converted to ventanal's layout and dtype conventions.
``ID/call``
    A 0-d unicode array holding a JSON object::

        {"op": "pool" | "conv" | "max_pool" | "avg_pool" | "global_pool",
         "kwargs": {...},          # keyword arguments of the ventanal call
         "source": "tf.nn.max_pool2d(x, ksize=...)"}   # the framework call, for humans

    The ventanal call is ``getattr(ventanal, op)(input, **kwargs)`` for pools and
    ``ventanal.conv(input, filters, **kwargs)`` for conv. JSON has no tuples: a reader converts
    every list in ``kwargs`` to a tuple (recursively), so explicit padding arrives as
    ``((lo, hi), ...)`` and per-axis symmetric padding as ``(p0, p1, ...)``.

Every case is also checked against the pure-Python reference of ``tests/reference.py`` before it
is written (an independent reading of ``docs/semantics.md``); a disagreement stops the script, so a
golden file never records a framework quirk that ventanal decided not to follow (TF's Eigen 3-D
SAME shift, TF's NaN skipping, empty VALID outputs, ...). Those cases are simply not generated.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # as in conftest.py

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from reference import conv_reference, pool_reference  # noqa: E402

CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
TOLERANCE = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-12}


def to_last(a, rank):
    """Channels-first (N, C, spatial...) to channels-last."""
    return np.moveaxis(a, 1, -1) if a.ndim == rank + 2 else a


def to_first(a, rank):
    return np.moveaxis(a, -1, 1) if a.ndim == rank + 2 else a


def sample(rng, shape, dtype):
    """Tiny test data. float16 gets small integers so that sums are exact in every framework;
    integers span their dtype (int64 beyond 2**53, so a float round trip would show)."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return rng.integers(-8, 9, size=shape).astype(dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype == np.int64:
        return rng.integers(-(2**62), 2**62, size=shape, dtype=np.int64)
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)


class Collector:
    """Gathers the cases of one golden file and checks each against the reference."""

    def __init__(self, name):
        self.name = name
        self.arrays = {}
        self.count = 0

    def add(self, op, x, kwargs, expected, source, filters=None):
        case_id = f"{self.name}_{self.count:04d}"
        self.count += 1
        x = np.asarray(x)
        expected = np.asarray(expected)
        self._check(case_id, op, x, kwargs, expected, filters, source)
        self.arrays[f"{case_id}/input"] = x
        if filters is not None:
            self.arrays[f"{case_id}/filters"] = np.asarray(filters)
        self.arrays[f"{case_id}/expected"] = expected
        call = {"op": op, "kwargs": kwargs, "source": source}
        self.arrays[f"{case_id}/call"] = np.array(json.dumps(call))

    def _check(self, case_id, op, x, kwargs, expected, filters, source):
        got = reference_call(op, x, kwargs, filters)
        if got.shape != expected.shape or got.dtype != expected.dtype:
            raise AssertionError(
                f"{case_id} {source}: reference {got.shape} {got.dtype}, "
                f"framework {expected.shape} {expected.dtype}"
            )
        if expected.dtype.kind == "f":
            scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
            tol = TOLERANCE[expected.dtype.name] * scale
            ok = np.allclose(got, expected, rtol=TOLERANCE[expected.dtype.name], atol=tol)
        else:
            ok = np.array_equal(got, expected)
        if not ok:
            raise AssertionError(f"{case_id} {source}: reference\n{got}\nframework\n{expected}")

    def save(self):
        path = HERE / f"{self.name}.npz"
        np.savez_compressed(path, **self.arrays)
        print(f"{path.name}: {self.count} cases, {path.stat().st_size / 1024:.0f} KiB")


def reference_call(op, x, kwargs, filters=None):
    """The reference result of a ventanal call, in the call's layout."""
    kwargs = dict(kwargs)
    if op == "conv":
        data_format = kwargs.pop("data_format", None)
        bare = x.ndim == filters.ndim and x.ndim in (1, 2)  # one image with a bare kernel
        if bare:
            x = x[None, ..., None]
            filters = filters[..., None, None]
        rank = filters.ndim - 2
        first = data_format in CHANNELS_FIRST.values()
        xl = to_last(x, rank) if first else x
        out = conv_reference(xl, filters, **kwargs)
        if bare:
            return out[0, ..., 0]
        return to_first(out, rank) if first else out
    if op == "pool":
        window = kwargs.pop("window_shape")
        rank = len(window)
        data_format = kwargs.pop("data_format", None)
        bare = x.ndim == rank
        xl = x[None, ..., None] if bare else x
        first = data_format in CHANNELS_FIRST.values()
        if first:
            xl = to_last(xl, rank)
        out = pool_reference(xl, window, **kwargs)
        if bare:
            return out[0, ..., 0]
        return to_first(out, rank) if first else out
    if op in ("max_pool", "avg_pool"):
        pool_size = kwargs["pool_size"]
        rank = len(pool_size)
        first = kwargs.get("data_format", "channels_last") == "channels_first"
        strides = kwargs.get("strides") or pool_size
        xl = to_last(x, rank) if first else x
        out = pool_reference(
            xl, pool_size, "MAX" if op == "max_pool" else "AVG", strides, kwargs["padding"].upper()
        )
        return to_first(out, rank) if first else out
    if op == "global_pool":
        first = kwargs.get("data_format", "channels_last") == "channels_first"
        xl = to_last(x, x.ndim - 2) if first else x
        window = xl.shape[1:-1]
        out = pool_reference(xl, window, kwargs["pooling_type"], 1, "VALID")
        if not kwargs.get("keepdims", False):
            return out.reshape(out.shape[0], out.shape[-1])
        return to_first(out, x.ndim - 2) if first else out
    raise ValueError(op)


def valid_sizes(spatial, window, strides, pads, dilations=None):
    """True when every output size is positive (ventanal raises otherwise)."""
    dilations = dilations or (1,) * len(window)
    for n, k, (lo, hi), d in zip(spatial, window, pads, dilations, strict=True):
        if n + lo + hi < d * (k - 1) + 1:
            return False
    return True


# --------------------------------------------------------------------------------------------
# TensorFlow
# --------------------------------------------------------------------------------------------


def tf_pool_cases(tf):
    out = Collector("tf_pool")
    rng = np.random.default_rng(20240601)
    raw = {
        ("MAX", 1): tf.nn.max_pool1d,
        ("MAX", 2): tf.nn.max_pool2d,
        ("MAX", 3): tf.nn.max_pool3d,
        ("AVG", 1): tf.nn.avg_pool1d,
        ("AVG", 2): tf.nn.avg_pool2d,
        ("AVG", 3): tf.nn.avg_pool3d,
    }

    def run_raw(kind, rank, x, window, strides, padding, data_format, dtype, note=""):
        fn = raw[(kind, rank)]
        result = fn(tf.constant(x), list(window), list(strides), padding, data_format=data_format)
        result = result.numpy()
        assert result.dtype == x.dtype, (result.dtype, x.dtype)
        source = (
            f"tf.nn.{fn.__name__}(x, ksize={list(window)}, strides={list(strides)}, "
            f"padding={padding!r}, data_format={data_format!r}){note}"
        )
        return result, source

    # VALID / SAME on every rank, stride up to twice the window, channels-last.
    for _ in range(150):
        rank = int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
        kind = str(rng.choice(["MAX", "AVG"]))
        dtypes = ["float32"] if rank == 3 else ["float16", "float32", "float64"]
        if kind == "MAX" and rank < 3:
            dtypes += ["int32", "uint8"]
        dtype = str(rng.choice(dtypes))
        window = tuple(int(v) for v in rng.integers(1, 5, size=rank))
        strides = tuple(int(v) for v in rng.integers(1, 2 * np.array(window) + 2))
        spatial = tuple(int(v) for v in rng.integers(1, 9 if rank < 3 else 6, size=rank))
        padding = str(rng.choice(["VALID", "SAME"]))
        if padding == "VALID" and not valid_sizes(spatial, window, strides, [(0, 0)] * rank):
            continue
        batch, channels = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        x = sample(rng, (batch, *spatial, channels), dtype)
        expected, source = run_raw(
            kind, rank, x, window, strides, padding, CHANNELS_LAST[rank], dtype
        )
        kwargs = {
            "window_shape": list(window),
            "pooling_type": kind,
            "strides": list(strides),
            "padding": padding if rng.random() < 0.7 else padding.lower(),
        }
        if rng.random() < 0.5:
            kwargs["data_format"] = CHANNELS_LAST[rank]
        out.add("pool", x, kwargs, expected, source)

    # Channels-first (oneDNN path): float32 for both, float16 for MAX.
    for _ in range(30):
        rank = int(rng.choice([1, 2, 3]))
        kind = str(rng.choice(["MAX", "AVG"]))
        dtype = "float32"
        if kind == "MAX" and rank < 3:
            dtype = str(rng.choice(["float16", "float32"]))
        if rank == 1 and kind == "AVG":
            kind = "MAX"  # tf.nn.avg_pool1d NCW goes through the same AvgPool kernel; keep it short
        window = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        strides = tuple(int(v) for v in rng.integers(1, 2 * np.array(window) + 2))
        spatial = tuple(int(v) for v in rng.integers(2, 8 if rank < 3 else 6, size=rank))
        padding = str(rng.choice(["VALID", "SAME"]))
        if padding == "VALID" and not valid_sizes(spatial, window, strides, [(0, 0)] * rank):
            continue
        x = sample(rng, (1, int(rng.integers(1, 4)), *spatial), dtype)
        expected, source = run_raw(
            kind, rank, x, window, strides, padding, CHANNELS_FIRST[rank], dtype
        )
        kwargs = {
            "window_shape": list(window),
            "pooling_type": kind,
            "strides": list(strides),
            "padding": padding,
            "data_format": CHANNELS_FIRST[rank],
        }
        out.add("pool", x, kwargs, expected, source)

    # Explicit (lo, hi) pads: tf.nn.max_pool2d / max_pool1d list form (TF needs lo, hi < window).
    for _ in range(40):
        rank = int(rng.choice([1, 2], p=[0.3, 0.7]))
        dtype = str(rng.choice(["float16", "float32", "float64", "int32", "int8"]))
        window = tuple(int(v) for v in rng.integers(1, 5, size=rank))
        strides = tuple(int(v) for v in rng.integers(1, np.array(window) + 3))
        pads = [(int(rng.integers(0, k)), int(rng.integers(0, k))) for k in window]
        spatial = tuple(int(v) for v in rng.integers(1, 8, size=rank))
        if not valid_sizes(spatial, window, strides, pads):
            continue
        x = sample(rng, (int(rng.integers(1, 3)), *spatial, int(rng.integers(1, 3))), dtype)
        tf_pads = [[0, 0], *[list(p) for p in pads], [0, 0]]
        fn = tf.nn.max_pool2d if rank == 2 else tf.nn.max_pool1d
        expected = fn(tf.constant(x), list(window), list(strides), tf_pads).numpy()
        source = (
            f"tf.nn.{fn.__name__}(x, ksize={list(window)}, strides={list(strides)}, "
            f"padding={tf_pads})"
        )
        kwargs = {
            "window_shape": list(window),
            "pooling_type": "MAX",
            "strides": list(strides),
            "padding": [list(p) for p in pads],
        }
        out.add("pool", x, kwargs, expected, source)

    # Dilation: tf.nn.pool, VALID, stride 1 (what tf.nn.pool allows).
    for _ in range(40):
        rank = int(rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2]))
        kind = str(rng.choice(["MAX", "AVG"]))
        dtypes = ["float32"] if rank == 3 else ["float16", "float32", "float64"]
        if kind == "MAX" and rank < 3:
            dtypes.append("int32")
        dtype = str(rng.choice(dtypes))
        window = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        dilations = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        spatial = tuple(int(v) for v in rng.integers(2, 10 if rank < 3 else 7, size=rank))
        if not valid_sizes(spatial, window, (1,) * rank, [(0, 0)] * rank, dilations):
            continue
        x = sample(rng, (int(rng.integers(1, 3)), *spatial, int(rng.integers(1, 3))), dtype)
        expected = tf.nn.pool(
            tf.constant(x), list(window), kind, padding="VALID", dilations=list(dilations)
        ).numpy()
        source = (
            f"tf.nn.pool(x, window_shape={list(window)}, pooling_type={kind!r}, "
            f"padding='VALID', dilations={list(dilations)})"
        )
        kwargs = {
            "window_shape": list(window),
            "pooling_type": kind,
            "padding": "VALID",
            "dilations": list(dilations),
        }
        out.add("pool", x, kwargs, expected, source)

    # More integer dtypes (int8 needs the dtype's minimum as the padded value, int64 beyond 2**53).
    for dtype in ["int8", "uint8", "int32", "int64"]:
        for padding in ["SAME", "VALID"]:
            rank = 2
            x = sample(rng, (1, 5, 6, 2), dtype)
            expected, source = run_raw("MAX", rank, x, (3, 2), (2, 3), padding, "NHWC", dtype)
            kwargs = {
                "window_shape": [3, 2],
                "pooling_type": "MAX",
                "strides": [2, 3],
                "padding": padding,
            }
            out.add("pool", x, kwargs, expected, source)
        x = sample(rng, (2, 7, 1), dtype)
        expected, source = run_raw("MAX", 1, x, (3,), (2,), "SAME", "NWC", dtype)
        kwargs = {"window_shape": [3], "pooling_type": "MAX", "strides": [2], "padding": "SAME"}
        out.add("pool", x, kwargs, expected, source)

    # Rank-N input: one single-channel image, the result keeps rank N.
    for rank, spatial in [(1, (9,)), (2, (5, 7)), (2, (6, 6)), (3, (4, 5, 3))]:
        for kind, padding in [("MAX", "SAME"), ("AVG", "SAME"), ("AVG", "VALID")]:
            window = (3,) * rank if rank < 3 else (2, 2, 2)
            strides = (2,) * rank
            x = sample(rng, (1, *spatial, 1), "float32")
            expected, source = run_raw(
                kind,
                rank,
                x,
                window,
                strides,
                padding,
                CHANNELS_LAST[rank],
                "float32",
                note=f"[0, ..., 0] on x[None, ..., None] of shape {spatial}",
            )
            kwargs = {
                "window_shape": list(window),
                "pooling_type": kind,
                "strides": list(strides),
                "padding": padding,
            }
            out.add("pool", x[0, ..., 0], kwargs, expected[0, ..., 0], source)
    out.save()


def tf_conv_cases(tf):
    out = Collector("tf_conv")
    rng = np.random.default_rng(20240602)

    def run(x, w, strides, padding, dilations, data_format):
        rank = w.ndim - 2
        first = data_format.startswith("NC")
        if rank == 1:
            result = tf.nn.conv1d(
                tf.constant(x),
                tf.constant(w),
                list(strides),
                padding,
                data_format=data_format,
                dilations=list(dilations),
            )
            name = "tf.nn.conv1d"
        elif rank == 2:
            result = tf.nn.conv2d(
                tf.constant(x),
                tf.constant(w),
                list(strides),
                padding,
                data_format=data_format,
                dilations=list(dilations),
            )
            name = "tf.nn.conv2d"
        else:
            full = [1, *strides, 1] if not first else [1, 1, *strides]
            full_d = [1, *dilations, 1] if not first else [1, 1, *dilations]
            result = tf.nn.conv3d(
                tf.constant(x),
                tf.constant(w),
                full,
                padding,
                data_format=data_format,
                dilations=full_d,
            )
            name = "tf.nn.conv3d"
        source = (
            f"{name}(x, filters, strides={list(strides)}, padding={padding!r}, "
            f"data_format={data_format!r}, dilations={list(dilations)})"
        )
        return result.numpy(), source

    def add(x, w, strides, padding, dilations, data_format, groups=1, vt_padding=None):
        rank = w.ndim - 2
        try:
            expected, source = run(x, w, strides, padding, dilations, data_format)
        except Exception as error:  # a kernel TF lacks on CPU: not a golden case
            print("  skipped:", type(error).__name__, str(error).splitlines()[0][:90])
            return
        # TF bug: oneDNN float32 Conv2D/Conv3D with one input channel returns uninitialised
        # values when the last axis has one output column reached with stride > 1
        last_out = expected.shape[-1] if data_format.startswith("NC") else expected.shape[-2]
        if x.dtype == np.float32 and rank >= 2 and w.shape[-2] == 1 and strides[-1] > 1:
            if last_out == 1:
                print("  skipped: TF oneDNN one-channel strided conv bug:", source)
                return
        kwargs = {
            "strides": list(strides),
            "padding": padding if vt_padding is None else vt_padding,
            "dilations": list(dilations),
        }
        if data_format != CHANNELS_LAST[rank] or rng.random() < 0.3:
            kwargs["data_format"] = data_format
        if groups != 1:
            kwargs["groups"] = groups
        out.add("conv", x, kwargs, expected, source, filters=w)

    # VALID / SAME, strides (also > kernel), dilation (also with stride: raw ops allow it).
    for _ in range(110):
        rank = int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
        dtype = str(rng.choice(["float32"] if rank == 3 else ["float16", "float32", "float64"]))
        window = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        strides = tuple(int(v) for v in rng.integers(1, np.array(window) + 3))
        dilations = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        if rng.random() < 0.4:
            dilations = (1,) * rank
        spatial = tuple(int(v) for v in rng.integers(1, 9 if rank < 3 else 6, size=rank))
        padding = str(rng.choice(["VALID", "SAME"]))
        if padding == "VALID" and not valid_sizes(
            spatial, window, strides, [(0, 0)] * rank, dilations
        ):
            continue
        cin, cout = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        x = sample(rng, (int(rng.integers(1, 3)), *spatial, cin), dtype)
        w = sample(rng, (*window, cin, cout), dtype)
        if dtype == "float16":
            w = rng.integers(-2, 3, size=w.shape).astype(dtype)
        add(x, w, strides, padding, dilations, CHANNELS_LAST[rank])

    # float64 Conv3D, VALID only (TF's f64 Conv3D is the Eigen kernel with the SAME shift,
    # docs/semantics.md §1.5).
    for _ in range(6):
        window = tuple(int(v) for v in rng.integers(1, 4, size=3))
        strides = tuple(int(v) for v in rng.integers(1, 4, size=3))
        spatial = tuple(int(v) for v in rng.integers(3, 6, size=3))
        if not valid_sizes(spatial, window, strides, [(0, 0)] * 3):
            continue
        x = sample(rng, (1, *spatial, 2), "float64")
        w = sample(rng, (*window, 2, 2), "float64")
        add(x, w, strides, "VALID", (1, 1, 1), "NDHWC")

    # Explicit pads through tf.nn.conv2d's list form (any non-negative size).
    for _ in range(25):
        dtype = str(rng.choice(["float32", "float64"]))
        window = tuple(int(v) for v in rng.integers(1, 4, size=2))
        strides = tuple(int(v) for v in rng.integers(1, 4, size=2))
        dilations = tuple(int(v) for v in rng.integers(1, 3, size=2))
        pads = [(int(rng.integers(0, 4)), int(rng.integers(0, 4))) for _ in range(2)]
        spatial = tuple(int(v) for v in rng.integers(1, 7, size=2))
        if not valid_sizes(spatial, window, strides, pads, dilations):
            continue
        x = sample(rng, (1, *spatial, 2), dtype)
        w = sample(rng, (*window, 2, 2), dtype)
        tf_pads = [[0, 0], *[list(p) for p in pads], [0, 0]]
        add(x, w, strides, tf_pads, dilations, "NHWC", vt_padding=[list(p) for p in pads])

    # Groups (TF infers them from the filter depth), 1-D and 2-D.
    for cin, groups, cout in [
        (4, 2, 4),
        (4, 2, 2),
        (6, 3, 3),
        (6, 3, 6),
        (4, 4, 4),
        (4, 4, 8),
        (6, 2, 4),
        (2, 2, 2),
    ]:
        for rank in (1, 2):
            dtype = str(rng.choice(["float32", "float64"]))
            window = tuple(int(v) for v in rng.integers(1, 4, size=rank))
            spatial = tuple(int(v) for v in rng.integers(3, 7, size=rank))
            strides = tuple(int(v) for v in rng.integers(1, 3, size=rank))
            padding = str(rng.choice(["VALID", "SAME"]))
            if padding == "VALID" and not valid_sizes(spatial, window, strides, [(0, 0)] * rank):
                continue
            x = sample(rng, (1, *spatial, cin), dtype)
            w = sample(rng, (*window, cin // groups, cout), dtype)
            add(x, w, strides, padding, (1,) * rank, CHANNELS_LAST[rank], groups=groups)

    # Channels-first (oneDNN): float32 and float16, 2-D and 3-D.
    for _ in range(20):
        rank = int(rng.choice([2, 3]))
        dtype = str(rng.choice(["float16", "float32"]))
        window = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        strides = tuple(int(v) for v in rng.integers(1, np.array(window) + 2))
        spatial = tuple(int(v) for v in rng.integers(2, 7 if rank == 2 else 5, size=rank))
        padding = str(rng.choice(["VALID", "SAME"]))
        if padding == "VALID" and not valid_sizes(spatial, window, strides, [(0, 0)] * rank):
            continue
        cin, cout = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        x = sample(rng, (1, cin, *spatial), dtype)
        w = sample(rng, (*window, cin, cout), dtype)
        if dtype == "float16":
            w = rng.integers(-2, 3, size=w.shape).astype(dtype)
        add(x, w, strides, padding, (1,) * rank, CHANNELS_FIRST[rank])

    # Bare kernels: a rank-1/2 input with a same-rank filter keeps its rank.
    for spatial, window, padding in [
        ((8,), (3,), "VALID"),
        ((7,), (4,), "SAME"),
        ((6, 5), (3, 3), "SAME"),
        ((6, 6), (2, 3), "VALID"),
    ]:
        rank = len(spatial)
        x = sample(rng, (1, *spatial, 1), "float32")
        w = sample(rng, (*window, 1, 1), "float32")
        expected, source = run(x, w, (1,) * rank, padding, (1,) * rank, CHANNELS_LAST[rank])
        out.add(
            "conv",
            x[0, ..., 0],
            {"padding": padding},
            expected[0, ..., 0],
            source + " on x[None, ..., None] and filters[..., None, None]",
            filters=w[..., 0, 0],
        )
    out.save()


def keras_cases(keras):
    out = Collector("keras")
    rng = np.random.default_rng(20240603)
    layers = keras.layers
    classes = {
        ("max_pool", 1): layers.MaxPooling1D,
        ("max_pool", 2): layers.MaxPooling2D,
        ("max_pool", 3): layers.MaxPooling3D,
        ("avg_pool", 1): layers.AveragePooling1D,
        ("avg_pool", 2): layers.AveragePooling2D,
        ("avg_pool", 3): layers.AveragePooling3D,
    }
    for _ in range(36):
        rank = int(rng.choice([1, 2, 3]))
        op = str(rng.choice(["max_pool", "avg_pool"]))
        pool_size = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        strides = None
        if rng.random() < 0.5:
            strides = tuple(int(v) for v in rng.integers(1, np.array(pool_size) + 2))
        padding = str(rng.choice(["valid", "same"]))
        data_format = str(rng.choice(["channels_last", "channels_first"]))
        spatial = tuple(int(v) for v in rng.integers(2, 8 if rank < 3 else 6, size=rank))
        effective = strides or pool_size
        if padding == "valid" and not valid_sizes(spatial, pool_size, effective, [(0, 0)] * rank):
            continue
        channels = int(rng.integers(1, 3))
        last = data_format == "channels_last"
        shape = (1, *spatial, channels) if last else (1, channels, *spatial)
        x = sample(rng, shape, "float32")
        layer = classes[(op, rank)](
            pool_size=pool_size, strides=strides, padding=padding, data_format=data_format
        )
        expected = np.asarray(layer(x))
        source = (
            f"keras.layers.{type(layer).__name__}(pool_size={pool_size}, strides={strides}, "
            f"padding={padding!r}, data_format={data_format!r})(x)"
        )
        kwargs = {"pool_size": list(pool_size), "padding": padding, "data_format": data_format}
        if strides is not None:
            kwargs["strides"] = list(strides)
        out.add(op, x, kwargs, expected, source)

    # Keras defaults: strides = pool_size, channels-last.
    for size in (2, 3):
        x = sample(rng, (2, 7, 5, 3), "float32")
        layer = layers.MaxPooling2D(size, padding="same")
        expected = np.asarray(layer(x))
        kwargs = {"pool_size": [size, size], "padding": "same"}
        source = f"keras.layers.MaxPooling2D({size}, padding='same')(x)"
        out.add("max_pool", x, kwargs, expected, source)

    globals_ = {
        ("AVG", 1): layers.GlobalAveragePooling1D,
        ("AVG", 2): layers.GlobalAveragePooling2D,
        ("AVG", 3): layers.GlobalAveragePooling3D,
        ("MAX", 1): layers.GlobalMaxPooling1D,
        ("MAX", 2): layers.GlobalMaxPooling2D,
        ("MAX", 3): layers.GlobalMaxPooling3D,
    }
    for rank in (1, 2, 3):
        for kind in ("AVG", "MAX"):
            for keepdims in (False, True):
                for data_format in ("channels_last", "channels_first"):
                    spatial = tuple(int(v) for v in rng.integers(1, 5, size=rank))
                    x = sample(rng, (2, *spatial, 3), "float32")
                    layer = globals_[(kind, rank)](data_format=data_format, keepdims=keepdims)
                    expected = np.asarray(layer(x))
                    source = (
                        f"keras.layers.{type(layer).__name__}(data_format={data_format!r}, "
                        f"keepdims={keepdims})(x)"
                    )
                    kwargs = {
                        "pooling_type": kind,
                        "keepdims": keepdims,
                        "data_format": data_format,
                    }
                    out.add("global_pool", x, kwargs, expected, source)

    # Causal Conv1D (pads d*(k-1) before, nothing after).
    for k, s, d in [(3, 1, 1), (2, 1, 2), (3, 2, 1), (4, 1, 1), (2, 3, 1), (3, 1, 3)]:
        x = sample(rng, (2, 9, 2), "float32")
        layer = layers.Conv1D(3, k, strides=s, padding="causal", dilation_rate=d, use_bias=False)
        layer.build(x.shape)
        w = sample(rng, (k, 2, 3), "float32")
        layer.set_weights([w])
        expected = np.asarray(layer(x))
        source = (
            f"keras.layers.Conv1D(3, {k}, strides={s}, padding='causal', dilation_rate={d}, "
            "use_bias=False)(x) with kernel = filters"
        )
        kwargs = {"strides": s, "padding": "CAUSAL", "dilations": d}
        out.add("conv", x, kwargs, expected, source, filters=w)
    out.save()


# --------------------------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------------------------


def torch_pool_cases(torch):
    import torch.nn.functional as F

    out = Collector("torch_pool")
    rng = np.random.default_rng(20240604)
    maxes = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
    avgs = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}

    for _ in range(230):
        rank = int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
        kind = str(rng.choice(["MAX", "AVG"]))
        dtypes = ["float32", "float64", "float16"]
        if kind == "MAX" and rank > 1:  # max_pool1d has no integer kernel
            dtypes += ["int32", "uint8", "int64"]
        if kind == "AVG" and rank == 3:
            dtypes.remove("float16")  # avg_pool3d has no Half kernel
        dtype = str(rng.choice(dtypes))
        window = tuple(int(v) for v in rng.integers(1, 5 if rank < 3 else 4, size=rank))
        strides = tuple(int(v) for v in rng.integers(1, np.array(window) + 3))
        # torch 2.13: 0 <= p <= k // 2, k undilated
        pads = tuple(int(rng.integers(0, k // 2 + 1)) for k in window)
        dilations = (1,) * rank
        if kind == "MAX" and np.dtype(dtype).kind == "f" and rng.random() < 0.45:
            dilations = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        ceil_mode = bool(rng.random() < 0.5)
        count_include_pad = bool(rng.random() < 0.5)
        spatial = tuple(int(v) for v in rng.integers(1, 9 if rank < 3 else 6, size=rank))
        if not valid_sizes(spatial, window, strides, [(p, p) for p in pads], dilations):
            continue
        batch, channels = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        x = sample(rng, (batch, channels, *spatial), dtype)
        padding_arg = pads[0] if rank == 1 or len(set(pads)) == 1 else pads
        if kind == "MAX":
            fn = maxes[rank]
            try:
                result = fn(
                    torch.from_numpy(x),
                    list(window),
                    list(strides),
                    padding_arg,
                    list(dilations),
                    ceil_mode,
                )
            except RuntimeError as error:  # e.g. "input image smaller than kernel size"
                print("  skipped:", str(error).splitlines()[0][:90])
                continue
            source = (
                f"F.{fn.__name__}(x, kernel_size={list(window)}, stride={list(strides)}, "
                f"padding={padding_arg}, dilation={list(dilations)}, ceil_mode={ceil_mode})"
            )
        else:
            fn = avgs[rank]
            try:
                result = fn(
                    torch.from_numpy(x),
                    list(window),
                    list(strides),
                    padding_arg,
                    ceil_mode,
                    count_include_pad,
                )
            except RuntimeError as error:
                print("  skipped:", str(error).splitlines()[0][:90])
                continue
            source = (
                f"F.{fn.__name__}(x, kernel_size={list(window)}, stride={list(strides)}, "
                f"padding={padding_arg}, ceil_mode={ceil_mode}, "
                f"count_include_pad={count_include_pad})"
            )
        expected = result.numpy()
        if 0 in expected.shape:
            continue
        kwargs = {
            "window_shape": list(window),
            "pooling_type": kind,
            "strides": list(strides),
            "padding": padding_arg if isinstance(padding_arg, int) else list(padding_arg),
            "data_format": CHANNELS_FIRST[rank],
            "ceil_mode": ceil_mode,
        }
        if dilations != (1,) * rank:
            kwargs["dilations"] = list(dilations)
        if kind == "AVG":
            kwargs["count_include_pad"] = count_include_pad
        # Half the cases go to ventanal channels-last, to cover both layouts.
        if rng.random() < 0.5:
            x = to_last(x, rank).copy()
            expected = to_last(expected, rank).copy()
            kwargs["data_format"] = CHANNELS_LAST[rank]
        out.add("pool", x, kwargs, expected, source)

    # FULL padding (e - 1 on both sides) is within torch's limit only for k <= 2.
    for rank, spatial in [(1, (5,)), (2, (4, 3)), (3, (3, 2, 3))]:
        for kind in ("MAX", "AVG"):
            x = sample(rng, (1, 2, *spatial), "float32")
            window = (2,) * rank
            fn = maxes[rank] if kind == "MAX" else avgs[rank]
            expected = fn(torch.from_numpy(x), 2, 1, 1).numpy()
            source = f"F.{fn.__name__}(x, kernel_size=2, stride=1, padding=1)"
            kwargs = {
                "window_shape": list(window),
                "pooling_type": kind,
                "padding": "FULL",
                "data_format": CHANNELS_FIRST[rank],
            }
            if kind == "AVG":
                kwargs["count_include_pad"] = True
            out.add("pool", x, kwargs, expected, source)
    out.save()


def torch_conv_cases(torch):
    import torch.nn.functional as F

    out = Collector("torch_conv")
    rng = np.random.default_rng(20240605)
    convs = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
    for _ in range(120):
        rank = int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
        dtype = str(rng.choice(["float32", "float64", "float16"]))
        groups = int(rng.choice([1, 1, 2, 3]))
        cin = groups * int(rng.integers(1, 3))
        cout = groups * int(rng.integers(1, 3))
        window = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        strides = tuple(int(v) for v in rng.integers(1, np.array(window) + 3))
        dilations = tuple(int(v) for v in rng.integers(1, 3, size=rank))
        mode = str(rng.choice(["int", "tuple", "same", "valid", "full"]))
        effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
        if mode == "same":
            strides = (1,) * rank  # torch: padding='same' only at stride 1
            padding_arg, vt_padding = "same", "SAME"
        elif mode == "valid":
            padding_arg, vt_padding = "valid", "VALID"
        elif mode == "full":
            padding_arg = [e - 1 for e in effective]
            vt_padding = "FULL"
        elif mode == "int":
            padding_arg = int(rng.integers(0, 4))
            vt_padding = padding_arg
        else:
            padding_arg = [int(v) for v in rng.integers(0, 4, size=rank)]
            vt_padding = list(padding_arg)
        pads = {
            "same": [(0, 0)] * rank,
            "valid": [(0, 0)] * rank,
            "full": [(e - 1, e - 1) for e in effective],
            "int": [(padding_arg, padding_arg)] * rank if mode == "int" else None,
            "tuple": [(p, p) for p in padding_arg] if mode == "tuple" else None,
        }[mode]
        spatial = tuple(int(v) for v in rng.integers(1, 8 if rank < 3 else 5, size=rank))
        if mode != "same" and not valid_sizes(spatial, window, strides, pads, dilations):
            continue
        x = sample(rng, (int(rng.integers(1, 3)), cin, *spatial), dtype)
        weight = sample(rng, (cout, cin // groups, *window), dtype)
        if dtype == "float16":
            weight = rng.integers(-2, 3, size=weight.shape).astype(dtype)
        fn = convs[rank]
        # torch 2.13's CPU Half conv segfaults on some heavily padded inputs (conv1d of a
        # (2,2,1) input, k2, s2, p3, d2), so float16 runs in float32 and is rounded once: exact,
        # because float16 cases use small integers (every sum is an integer below 2048).
        compute = torch.float32 if dtype == "float16" else None
        expected = (
            fn(
                torch.from_numpy(x).to(compute),
                torch.from_numpy(weight).to(compute),
                None,
                list(strides),
                padding_arg,
                list(dilations),
                groups,
            )
            .numpy()
            .astype(dtype)
        )
        source = (
            f"F.{fn.__name__}(x, weight, stride={list(strides)}, padding={padding_arg!r}, "
            f"dilation={list(dilations)}, groups={groups})"
            + (" in float32, rounded to float16" if compute is not None else "")
        )
        filters = np.moveaxis(weight, [0, 1], [-1, -2]).copy()  # (O, I/g, *k) -> (*k, I/g, O)
        kwargs = {
            "strides": list(strides),
            "padding": vt_padding,
            "dilations": list(dilations),
            "data_format": CHANNELS_FIRST[rank],
        }
        if groups != 1:
            kwargs["groups"] = groups
        if rng.random() < 0.4:
            x = to_last(x, rank).copy()
            expected = to_last(expected, rank).copy()
            kwargs["data_format"] = CHANNELS_LAST[rank]
        out.add("conv", x, kwargs, expected, source, filters=filters)
    out.save()


def main():
    import keras
    import tensorflow as tf
    import torch

    print("tensorflow", tf.__version__, "keras", keras.__version__, "torch", torch.__version__)
    torch.manual_seed(0)
    tf_pool_cases(tf)
    tf_conv_cases(tf)
    keras_cases(keras)
    torch_pool_cases(torch)
    torch_conv_cases(torch)
    total = sum(p.stat().st_size for p in HERE.glob("*.npz"))
    print(f"total {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
