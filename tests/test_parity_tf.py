"""Live parity with TensorFlow 2.21 (and Keras 3): random configurations, ventanal vs the real ops.

Skipped when TensorFlow is not installed. Hypothesis draws ranks 1-3, sizes, windows, strides
(also larger than the window), dilations, padding forms (VALID, SAME, TF's explicit pairs),
layouts (channels last and first), dtypes (float16/32/64 and integers for max), batch, channels
and conv groups; 2,710 examples per run (about 20 s). MAX is compared exactly, AVG and conv within a
tolerance scaled to the size of the terms summed.

Configurations TF cannot run on CPU, or where ventanal's decisions differ from TF, are not
drawn (see the comments at each strategy):

* no NaN / -inf in the data: TF's CPU max pool skips NaN and seeds with the lowest finite value
  (docs/semantics.md §7); ventanal propagates NaN and returns -inf (decided, tested in
  test_semantics_vectors.py Q1/Q3);
* no VALID output of size 0: TF returns an empty array or crashes, ventanal raises ValueError;
* 3-D pools only in float32 (MaxPool3D rejects float64 and ints, no float16 CPU kernels,
  AvgPool3D has no float64 CPU kernel); Conv3D in float32, or float64 VALID undilated only
  (float64 Conv3D is the Eigen kernel with the SAME shift of docs/semantics.md §1.5, and has no
  dilation on CPU); Conv3D has no groups on CPU;
* channels-first only where this TF build has a CPU kernel for it, probed once per op, rank
  and dtype (:func:`tf_runs_channels_first`): the Eigen kernels are NHWC-only on CPU and the
  oneDNN ones take float32 everywhere but float16 only on some CPUs (seen: Intel with
  AVX512 yes, AMD EPYC with AVX2 no). ``conftest.py`` turns oneDNN on, whose default
  depends on the CPU;
* explicit pool padding only through ``tf.nn.max_pool1d/2d`` channels-last, with pads < window
  (TF's limit; ventanal accepts any pad, checked against the reference elsewhere);
* dilated pooling through ``tf.nn.pool`` (VALID, stride 1: its limits); dilation with stride
  through the raw conv ops, which allow it;
* float32 Conv2D/Conv3D with one input channel and a single, strided output column: the
  oneDNN kernel returns uninitialised values there (a TF bug, see ``conv_cases``).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from support import environment

import ventanal as vt

tf = pytest.importorskip(
    "tensorflow", reason="no TensorFlow (live oracle): pip install -e '.[oracles]'"
)

CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
INTS = ("int8", "uint8", "int32", "int64")
#: relative tolerance per dtype, applied to the magnitude of the terms summed
TOLERANCE = {"float16": 1e-3, "float32": 1e-5, "float64": 1e-12}

MAX_POOL = {1: tf.nn.max_pool1d, 2: tf.nn.max_pool2d, 3: tf.nn.max_pool3d}
AVG_POOL = {1: tf.nn.avg_pool1d, 2: tf.nn.avg_pool2d, 3: tf.nn.avg_pool3d}


def make_array(draw, shape, dtype):
    """Tiny arrays from a drawn seed. float16 holds small integers (exact sums in any order)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return rng.integers(-4, 5, size=shape).astype(dtype)
    if dtype.kind == "f":
        x = rng.standard_normal(shape)
        if draw(st.booleans()):
            x = np.round(x * 2)  # ties
        return x.astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)


@functools.cache
def tf_runs_channels_first(op: str, rank: int, dtype: str) -> bool:
    """Whether TF runs ``op`` ("MAX", "AVG" or "CONV") channels-first in ``dtype`` on this CPU.

    Probed on a one-cell input: the answer depends on the build and the CPU (oneDNN's
    float16 kernels need AVX512), so it is asked, not assumed.
    """
    x = tf.constant(np.zeros((1, 1) + (1,) * rank, dtype))
    ones = [1] * rank
    try:
        if op == "CONV":
            filters = tf.constant(np.ones((1,) * rank + (1, 1), dtype))
            conv = {1: tf.nn.conv1d, 2: tf.nn.conv2d, 3: tf.nn.conv3d}[rank]
            strides = 1 if rank < 3 else [1] * 5
            conv(x, filters, strides, "VALID", data_format=CHANNELS_FIRST[rank])
        else:
            pool = (MAX_POOL if op == "MAX" else AVG_POOL)[rank]
            pool(x, ones, ones, "VALID", data_format=CHANNELS_FIRST[rank])
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError,
            tf.errors.NotFoundError):
        return False
    return True


def tf_run(fn, x, *args, **kwargs):
    """Call a TF op on a tensor that keeps ``x``'s dtype (TF's Python wrappers convert NumPy
    integer and float16 arrays to float32 otherwise)."""
    return fn(tf.constant(x), *args, **kwargs).numpy()


def assert_pool_equal(got, expected, kind, x):
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    if kind == "MAX":
        np.testing.assert_array_equal(got, expected)
    else:
        scale = max(1.0, float(np.max(np.abs(x.astype(np.float64)), initial=0.0)))
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[x.dtype.name] * scale)


def vt_padding(draw, padding):
    """TF's padding names, in the spellings ventanal accepts."""
    return draw(st.sampled_from([padding, padding.lower(), padding.capitalize()]))


# ---------------------------------------------------------------------------------------------
# Pooling: tf.nn.max_poolNd / avg_poolNd with VALID or SAME
# ---------------------------------------------------------------------------------------------


@st.composite
def raw_pool_cases(draw):
    rank = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["MAX", "AVG"]))
    if rank == 3:
        dtype = "float32"
    elif kind == "MAX":
        dtype = draw(st.sampled_from(("float16", "float32", "float64") + INTS))
    else:
        dtype = draw(st.sampled_from(("float16", "float32", "float64")))
    channels_first = tf_runs_channels_first(kind, rank, dtype) and draw(st.booleans())
    window = tuple(draw(st.integers(1, 4 if rank < 3 else 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, k + 2)) for k in window)
    padding = draw(st.sampled_from(["VALID", "SAME"]))
    spatial = tuple(
        draw(st.integers(k if padding == "VALID" else 1, 8 if rank < 3 else 5)) for k in window
    )
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    shape = (batch, channels, *spatial) if channels_first else (batch, *spatial, channels)
    x = make_array(draw, shape, dtype)
    data_format = CHANNELS_FIRST[rank] if channels_first else CHANNELS_LAST[rank]
    return rank, kind, x, window, strides, padding, data_format, vt_padding(draw, padding)


@pytest.mark.slow
@settings(max_examples=1000)
@given(raw_pool_cases(), st.booleans())
def test_pool_vs_tf_raw_ops(case, spell_data_format):
    rank, kind, x, window, strides, padding, data_format, padding_spelling = case
    fn = (MAX_POOL if kind == "MAX" else AVG_POOL)[rank]
    expected = tf_run(fn, x, list(window), list(strides), padding, data_format=data_format)
    kwargs = dict(strides=strides, padding=padding_spelling)
    if data_format.startswith("NC") or spell_data_format:
        kwargs["data_format"] = data_format
    before = x.copy()
    got = vt.pool(x, window, kind, **kwargs)
    np.testing.assert_array_equal(x, before)
    assert_pool_equal(got, expected, kind, x)


# ---------------------------------------------------------------------------------------------
# Pooling: explicit (before, after) pads through tf.nn.max_pool1d / max_pool2d
# ---------------------------------------------------------------------------------------------


@st.composite
def explicit_pool_cases(draw):
    rank = draw(st.integers(1, 2))
    dtype = draw(st.sampled_from(("float16", "float32", "float64") + INTS))
    window = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, k + 2)) for k in window)
    pads = tuple((draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1))) for k in window)
    spatial = tuple(
        draw(st.integers(max(1, k - lo - hi), 8)) for k, (lo, hi) in zip(window, pads, strict=True)
    )
    x = make_array(draw, (draw(st.integers(1, 2)), *spatial, draw(st.integers(1, 2))), dtype)
    return rank, x, window, strides, pads


@pytest.mark.slow
@settings(max_examples=250)
@given(explicit_pool_cases(), st.booleans())
def test_max_pool_explicit_padding_vs_tf(case, bare_pair):
    rank, x, window, strides, pads = case
    fn = MAX_POOL[rank]
    tf_pads = [[0, 0], *[list(p) for p in pads], [0, 0]]
    expected = tf_run(fn, x, list(window), list(strides), tf_pads)
    padding = pads[0] if rank == 1 and bare_pair else pads
    got = vt.pool(x, window, "MAX", strides, padding)
    assert_pool_equal(got, expected, "MAX", x)


# ---------------------------------------------------------------------------------------------
# Pooling: dilation through tf.nn.pool (VALID, stride 1)
# ---------------------------------------------------------------------------------------------


@st.composite
def dilated_pool_cases(draw):
    rank = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["MAX", "AVG"]))
    if rank == 3:
        dtype = "float32"
    else:
        dtype = draw(st.sampled_from(("float16", "float32", "float64")
                                     + (("int32", "uint8") if kind == "MAX" else ())))
    channels_first = (kind == "MAX" and tf_runs_channels_first(kind, rank, dtype)
                      and draw(st.booleans()))
    window = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilations = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
    spatial = tuple(draw(st.integers(e, e + (5 if rank < 3 else 2))) for e in effective)
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    shape = (batch, channels, *spatial) if channels_first else (batch, *spatial, channels)
    x = make_array(draw, shape, dtype)
    data_format = CHANNELS_FIRST[rank] if channels_first else CHANNELS_LAST[rank]
    return kind, x, window, dilations, data_format


@pytest.mark.slow
@settings(max_examples=250)
@given(dilated_pool_cases())
def test_dilated_pool_vs_tf_nn_pool(case):
    kind, x, window, dilations, data_format = case
    expected = tf_run(
        tf.nn.pool, x, list(window), kind, padding="VALID", dilations=list(dilations),
        data_format=data_format,
    )
    got = vt.pool(x, window, kind, padding="VALID", dilations=dilations, data_format=data_format)
    assert_pool_equal(got, expected, kind, x)


# ---------------------------------------------------------------------------------------------
# Convolution: tf.nn.conv1d / conv2d / conv3d
# ---------------------------------------------------------------------------------------------


@st.composite
def conv_cases(draw):
    rank = draw(st.integers(1, 3))
    if rank == 3:
        dtype = draw(st.sampled_from(["float32", "float32", "float64"]))
    else:
        dtype = draw(st.sampled_from(["float16", "float32", "float64"]))
    window = tuple(draw(st.integers(1, 3 if rank == 3 else 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, k + 2)) for k in window)
    eigen_3d = rank == 3 and dtype == "float64"
    if eigen_3d or draw(st.booleans()):
        dilations = (1,) * rank
    else:
        dilations = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
    forms = ["VALID"] if eigen_3d else ["VALID", "SAME"] + (["EXPLICIT"] if rank == 2 else [])
    form = draw(st.sampled_from(forms))
    if form == "EXPLICIT":  # only tf.nn.conv2d takes a list; any non-negative pad
        pads = tuple((draw(st.integers(0, e)), draw(st.integers(0, e))) for e in effective)
    else:
        pads = ((0, 0),) * rank
    spatial = []
    for e, (lo, hi) in zip(effective, pads, strict=True):
        least = 1 if form == "SAME" else max(1, e - lo - hi)
        spatial.append(draw(st.integers(least, max(least + 2, 7 if rank < 3 else 5))))
    groups = 1 if rank == 3 else draw(st.sampled_from([1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    channels_first = tf_runs_channels_first("CONV", rank, dtype) and draw(st.booleans())
    batch = draw(st.integers(1, 2))
    # TF bug: the oneDNN float32 Conv2D/Conv3D with ONE input channel returns uninitialised
    # values (2.6e36, 0, ...) when the last spatial axis has a single output column reached
    # with stride > 1 (and more than one row/image), e.g. tf.nn.conv2d of a (2,2,2,1) float32
    # input with a (1,2,1,1) filter, strides [1,3], VALID. float16/float64 are right.
    n, e, step = spatial[-1], effective[-1], strides[-1]
    lo, hi = pads[-1]
    last_size = -(-n // step) if form == "SAME" else (n + lo + hi - e) // step + 1
    assume(not (dtype == "float32" and rank >= 2 and cin == 1 and step > 1 and last_size == 1))
    shape = (batch, cin, *spatial) if channels_first else (batch, *spatial, cin)
    x = make_array(draw, shape, dtype)
    filters = make_array(draw, (*window, cin // groups, cout), dtype)
    if dtype == "float16":
        filters = np.clip(filters, -2, 2)
    data_format = CHANNELS_FIRST[rank] if channels_first else CHANNELS_LAST[rank]
    return rank, x, filters, strides, form, pads, dilations, groups, data_format


def tf_conv(rank, x, filters, strides, padding, dilations, data_format):
    first = data_format.startswith("NC")
    if rank == 1:
        return tf_run(tf.nn.conv1d, x, tf.constant(filters), list(strides), padding,
                      data_format=data_format, dilations=list(dilations))
    if rank == 2:
        if isinstance(padding, list) and first:
            padding = [padding[0], padding[3], padding[1], padding[2]]
        return tf_run(tf.nn.conv2d, x, tf.constant(filters), list(strides), padding,
                      data_format=data_format, dilations=list(dilations))
    full = [1, 1, *strides] if first else [1, *strides, 1]
    full_dilations = [1, 1, *dilations] if first else [1, *dilations, 1]
    return tf_run(tf.nn.conv3d, x, tf.constant(filters), full, padding,
                  data_format=data_format, dilations=full_dilations)


def conv_magnitude(x, filters):
    """max|x| times the largest sum of |w| feeding one output: a bound on the summed terms."""
    per_output = np.abs(filters.astype(np.float64)).sum(axis=tuple(range(filters.ndim - 1)))
    return float(np.max(np.abs(x.astype(np.float64)), initial=0.0)) * float(per_output.max())


@pytest.mark.slow
@settings(max_examples=1000)
@given(conv_cases(), st.booleans())
def test_conv_vs_tf(case, spell_data_format):
    rank, x, filters, strides, form, pads, dilations, groups, data_format = case
    if form == "EXPLICIT":
        tf_padding = [[0, 0], *[list(p) for p in pads], [0, 0]]
        padding = pads
    else:
        tf_padding = padding = form
    expected = tf_conv(rank, x, filters, strides, tf_padding, dilations, data_format)
    kwargs = dict(strides=strides, padding=padding, dilations=dilations)
    if groups != 1:
        kwargs["groups"] = groups
    if data_format.startswith("NC") or spell_data_format:
        kwargs["data_format"] = data_format
    before, filters_before = x.copy(), filters.copy()
    got = vt.conv(x, filters, **kwargs)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(filters, filters_before)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    atol = TOLERANCE[x.dtype.name] * max(1.0, conv_magnitude(x, filters))
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol)


# ---------------------------------------------------------------------------------------------
# Keras front ends: vt.max_pool / avg_pool / global_pool vs the Keras layers
# ---------------------------------------------------------------------------------------------

keras = pytest.importorskip("keras", reason="no Keras (live oracle): pip install -e '.[oracles]'")

KERAS_POOL = {
    ("MAX", 1): "MaxPooling1D", ("MAX", 2): "MaxPooling2D", ("MAX", 3): "MaxPooling3D",
    ("AVG", 1): "AveragePooling1D", ("AVG", 2): "AveragePooling2D",
    ("AVG", 3): "AveragePooling3D",
}
KERAS_GLOBAL = {
    ("MAX", 1): "GlobalMaxPooling1D", ("MAX", 2): "GlobalMaxPooling2D",
    ("MAX", 3): "GlobalMaxPooling3D", ("AVG", 1): "GlobalAveragePooling1D",
    ("AVG", 2): "GlobalAveragePooling2D", ("AVG", 3): "GlobalAveragePooling3D",
}


@st.composite
def keras_pool_cases(draw):
    rank = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["MAX", "AVG"]))
    pool_size = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    strides = None
    if draw(st.booleans()):
        strides = tuple(draw(st.integers(1, k + 2)) for k in pool_size)
    padding = draw(st.sampled_from(["valid", "same"]))
    spatial = tuple(
        draw(st.integers(k if padding == "valid" else 1, 7 if rank < 3 else 5))
        for k in pool_size
    )
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    channels = draw(st.integers(1, 2))
    shape = (1, *spatial, channels) if data_format == "channels_last" else (1, channels, *spatial)
    x = make_array(draw, shape, "float32")
    return rank, kind, x, pool_size, strides, padding, data_format


@settings(max_examples=150)
@given(keras_pool_cases())
def test_keras_pooling_layers(case):
    rank, kind, x, pool_size, strides, padding, data_format = case
    layer = getattr(keras.layers, KERAS_POOL[(kind, rank)])(
        pool_size=pool_size, strides=strides, padding=padding, data_format=data_format
    )
    expected = np.asarray(layer(x))
    front = vt.max_pool if kind == "MAX" else vt.avg_pool
    got = front(x, pool_size=pool_size, strides=strides, padding=padding,
                data_format=data_format)
    assert_pool_equal(got, expected, kind, x)


@settings(max_examples=60)
@given(st.integers(1, 3), st.sampled_from(["MAX", "AVG"]), st.booleans(),
       st.sampled_from(["channels_last", "channels_first"]), st.data())
def test_keras_global_pooling(rank, kind, keepdims, data_format, data):
    spatial = tuple(data.draw(st.integers(1, 5)) for _ in range(rank))
    x = make_array(data.draw, (2, *spatial, data.draw(st.integers(1, 3))), "float32")
    layer = getattr(keras.layers, KERAS_GLOBAL[(kind, rank)])(
        data_format=data_format, keepdims=keepdims
    )
    expected = np.asarray(layer(x))
    got = vt.global_pool(x, kind, keepdims=keepdims, data_format=data_format)
    assert_pool_equal(got, expected, kind, x)


# ---------------------------------------------------------------------------------------------
# TensorFlow's positional order: a call copied from TensorFlow means the same thing
# ---------------------------------------------------------------------------------------------

POSITIONAL_POOLS = [
    # input shape, then tf.nn.pool's positional arguments after the input
    ((2, 9, 7, 3), ([2, 2], "MAX", [2, 2], "SAME", "NHWC")),
    ((2, 9, 7, 3), ([3, 2], "AVG", [2, 1], "SAME", "NHWC")),
    ((2, 9, 7, 3), ([2, 2], "MAX", [1, 1], "VALID", "NHWC", [2, 3])),
    ((1, 11, 2), ([3], "AVG", [1], "VALID", "NWC", [2])),
    ((1, 11, 2), ([3], "MAX", [2], "SAME", None)),
]


@pytest.mark.parametrize("shape, arguments", POSITIONAL_POOLS)
def test_pool_positional_arguments_mean_what_they_mean_in_tf_nn_pool(shape, arguments):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = tf.nn.pool(x, *arguments).numpy()
    got = vt.pool(x, *arguments)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


POSITIONAL_CONVS = [
    # input shape, filter shape, then tf.nn.convolution's positional arguments after both
    ((2, 9, 8, 3), (3, 3, 3, 4), ([2, 2], "SAME", "NHWC", [1, 1])),
    ((2, 9, 8, 3), (2, 3, 3, 4), ([1, 1], "VALID", "NHWC", [2, 2])),
    ((1, 12, 2), (3, 2, 5), ([1], "SAME", "NWC", [3])),
    ((1, 12, 2), (3, 2, 5), ([2], "VALID")),
]


@pytest.mark.parametrize("shape, filter_shape, arguments", POSITIONAL_CONVS)
def test_conv_positional_arguments_mean_what_they_mean_in_tf_nn_convolution(
        shape, filter_shape, arguments):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(filter_shape).astype(np.float32)
    expected = tf.nn.convolution(x, w, *arguments).numpy()
    got = vt.conv(x, w, *arguments)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape, cout, padding", [((2, 56, 56, 64), 64, "SAME"),
                                                   ((1, 13, 30, 32), 96, "VALID"),
                                                   ((2, 9, 7, 40), 32, "SAME")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_winograd_convolutions_vs_tf(shape, cout, padding, dtype):
    # 3x3, stride 1, many channels: the numba path computes these by Winograd's F(2x2, 3x3)
    pytest.importorskip("numba")
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(dtype)
    filters = rng.standard_normal((3, 3, shape[-1], cout)).astype(dtype)
    expected = tf.nn.convolution(x, filters, padding=padding).numpy()
    with environment(VENTANAL_BACKEND="numba"):
        got = vt.conv(x, filters, padding=padding)
    atol = TOLERANCE[dtype] * max(1.0, conv_magnitude(x, filters))
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol)
