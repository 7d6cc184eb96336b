"""Live parity with PyTorch 2.13: random configurations, ventanal vs ``torch.nn.functional``.

Skipped when torch is not installed. Hypothesis draws ranks 1-3, sizes, kernels, strides (also
larger than the kernel), symmetric padding, dilation, ``ceil_mode``, ``count_include_pad``,
dtypes (float16/32/64, integers for max), batch, channels and conv groups; torch's NC* arrays
go to ventanal channels-first, transposed to channels-last, or (one image, one channel) bare,
and torch's padding is passed to ventanal as an int, per-axis ints or (before, after) pairs.
2,400 examples per run (about 15 s on 2 cores). MAX is compared exactly, AVG and conv within
a tolerance scaled to the size of the terms summed.

Configurations torch refuses, or where ventanal's decisions differ, are not drawn:

* pooling padding ``p <= k // 2`` with the undilated kernel (torch 2.13's limit; ventanal
  allows any padding, checked against the reference in test_reference_properties.py);
* where torch finds no output window ("Output size is too small"), ventanal must raise
  ValueError instead (decided: no empty results); other torch RuntimeErrors (max_pool3d's and
  avg_pool3d's "input image smaller than kernel size", stricter than their size formula) are
  rejected examples;
* no integer ``max_pool1d`` (not implemented in torch), no ``avg_pool3d`` in float16 and no
  integer averages (torch: int64 only, with truncating division; ventanal returns float64);
* no float16 convolution: torch 2.13's CPU Half conv segfaults on some padded inputs (the
  golden files hold float16 conv cases from TensorFlow instead);
* conv ``padding="same"`` only with stride 1 (torch's rule).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st
from support import environment

import ventanal as vt

torch = pytest.importorskip("torch", reason="no PyTorch (live oracle): pip install -e '.[oracles]'")
F = torch.nn.functional

CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
TOLERANCE = {"float16": 1e-3, "float32": 1e-5, "float64": 1e-12}
MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def make_array(draw, shape, dtype, specials=False):
    """Tiny arrays from a drawn seed; float16 holds quarter steps (exact sums), optional
    NaN/±inf (torch and ventanal both propagate NaN in max pooling)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        if dtype == np.float16:
            x = rng.integers(-16, 17, size=shape) / 4
        else:
            x = rng.standard_normal(shape)
            if draw(st.booleans()):
                x = np.round(x * 2)  # ties
        if specials and x.size and draw(st.integers(0, 4)) == 0:
            flat = x.reshape(-1)
            for _ in range(draw(st.integers(1, 2))):
                flat[rng.integers(flat.size)] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return x.astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)


@st.composite
def layouts(draw, x_first, rank, allow_bare=True):
    """ventanal's input for torch's NC* array: (x, data_format or None, how)."""
    options = ["first", "last", "last-implicit"]
    if allow_bare and x_first.shape[0] == 1 and x_first.shape[1] == 1:
        options.append("bare")
    how = draw(st.sampled_from(options))
    if how == "first":
        return x_first, CHANNELS_FIRST[rank], how
    if how == "bare":
        return x_first[0, 0].copy(), None, how
    x_last = np.moveaxis(x_first, 1, -1).copy()
    return x_last, (CHANNELS_LAST[rank] if how == "last" else None), how


def from_torch_layout(result_first, how):
    if how == "first":
        return result_first
    if how == "bare":
        return result_first[0, 0]
    return np.moveaxis(result_first, 1, -1)


def vt_padding(draw, pads):
    """torch's symmetric per-axis padding in one of ventanal's forms."""
    rank = len(pads)
    forms = ["ints", "pairs"] + (["int"] if len(set(pads)) == 1 else [])
    form = draw(st.sampled_from(forms))
    if form == "int":
        return pads[0]
    if form == "ints":
        return tuple(pads) if rank > 1 or draw(st.booleans()) else [pads[0]]
    return tuple((p, p) for p in pads)


def torch_padding(pads):
    return pads[0] if len(set(pads)) == 1 else list(pads)


def spatial_sizes(draw, effective, pads, cap, strides=None):
    """Input sizes for which the padded input holds the dilated window; with ``strides``
    (ceil_mode) up to ``s`` shorter: torch's ceil formula may still give a window, or none."""
    sizes = []
    for a, (e, p) in enumerate(zip(effective, pads, strict=True)):
        least = max(1, e - 2 * p)
        if strides is not None:
            least = max(1, least - strides[a])
        sizes.append(draw(st.integers(least, max(least + 2, cap))))
    return tuple(sizes)


# ---------------------------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------------------------


@st.composite
def max_pool_cases(draw):
    rank = draw(st.integers(1, 3))
    floats = ["float16", "float32", "float64"]
    ints = ["int8", "uint8", "int32", "int64"] if rank > 1 else []  # no int max_pool1d
    dtype = draw(st.sampled_from(floats + ints))
    window = tuple(draw(st.integers(1, 4 if rank < 3 else 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, k + 2)) for k in window)
    pads = tuple(draw(st.integers(0, k // 2)) for k in window)
    if draw(st.booleans()):
        dilations = (1,) * rank
    else:
        dilations = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
    ceil_mode = draw(st.booleans())
    spatial = spatial_sizes(draw, effective, pads, 8 if rank < 3 else 5,
                            strides if ceil_mode else None)
    batch = draw(st.integers(1, 2))
    channels = draw(st.integers(1, 2))
    x = make_array(draw, (batch, channels, *spatial), dtype, specials=True)
    return rank, x, window, strides, pads, dilations, ceil_mode


@pytest.mark.slow
@settings(max_examples=900)
@given(max_pool_cases(), st.data())
def test_max_pool_vs_torch(case, data):
    rank, x, window, strides, pads, dilations, ceil_mode = case
    x_vt, data_format, how = data.draw(layouts(x, rank))
    padding = vt_padding(data.draw, pads)
    try:
        expected = MAX_POOL[rank](
            torch.from_numpy(x), list(window), list(strides), torch_padding(pads),
            list(dilations), ceil_mode,
        ).numpy()
    except RuntimeError as error:
        if "Output size is too small" in str(error):
            event("torch: no output window, vt must raise ValueError")
            with pytest.raises(ValueError):
                vt.pool(x_vt, window, "MAX", strides, padding, data_format, dilations,
                        ceil_mode=ceil_mode)
            return
        # max_pool3d's "input image ... smaller than kernel size" check is stricter than its
        # own size formula; nothing to compare
        reject()
    before = x_vt.copy()
    got = vt.pool(x_vt, window, "MAX", strides, padding, data_format, dilations,
                  ceil_mode=ceil_mode)
    np.testing.assert_array_equal(x_vt, before)
    expected = from_torch_layout(expected, how)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)  # NaN == NaN here


# ---------------------------------------------------------------------------------------------
# Average pooling
# ---------------------------------------------------------------------------------------------


@st.composite
def avg_pool_cases(draw):
    rank = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from(["float32", "float64"] + (["float16"] if rank < 3 else [])))
    window = tuple(draw(st.integers(1, 4 if rank < 3 else 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, k + 2)) for k in window)
    pads = tuple(draw(st.integers(0, k // 2)) for k in window)
    ceil_mode = draw(st.booleans())
    count_include_pad = draw(st.booleans())
    # avg_pool3d wants the unpadded input to hold the kernel ("input image smaller than kernel
    # size"); 1-D and 2-D only need the padded input to hold it
    least_pads = (0,) * rank if rank == 3 else pads
    spatial = spatial_sizes(draw, window, least_pads, 8 if rank < 3 else 5)
    x = make_array(draw, (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *spatial), dtype)
    return rank, x, window, strides, pads, ceil_mode, count_include_pad


@pytest.mark.slow
@settings(max_examples=800)
@given(avg_pool_cases(), st.data())
def test_avg_pool_vs_torch(case, data):
    rank, x, window, strides, pads, ceil_mode, count_include_pad = case
    try:
        expected = AVG_POOL[rank](
            torch.from_numpy(x), list(window), list(strides), torch_padding(pads), ceil_mode,
            count_include_pad,
        ).numpy()
    except RuntimeError:
        reject()
    x_vt, data_format, how = data.draw(layouts(x, rank))
    got = vt.pool(x_vt, window, "avg", strides, vt_padding(data.draw, pads),
                  data_format=data_format, ceil_mode=ceil_mode,
                  count_include_pad=count_include_pad)
    expected = from_torch_layout(expected, how)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    scale = max(1.0, float(np.max(np.abs(x.astype(np.float64)), initial=0.0)))
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[x.dtype.name] * scale)


# ---------------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------------


@st.composite
def conv_cases(draw):
    rank = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    window = tuple(draw(st.integers(1, 4 if rank < 3 else 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, k + 2)) for k in window)
    dilations = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    if draw(st.booleans()):
        dilations = (1,) * rank
    effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
    form = draw(st.sampled_from(["int", "ints", "same", "valid", "full"]))
    if form == "same":
        strides = (1,) * rank  # torch: padding='same' only at stride 1
        pads = None
    elif form == "valid":
        pads = (0,) * rank
    elif form == "full":
        pads = tuple(e - 1 for e in effective)
    elif form == "int":
        pads = (draw(st.integers(0, 3)),) * rank
    else:
        pads = tuple(draw(st.integers(0, 3)) for _ in range(rank))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    spatial = spatial_sizes(draw, effective, pads or (0,) * rank, 7 if rank < 3 else 5)
    if form == "same":
        spatial = tuple(draw(st.integers(1, 7 if rank < 3 else 5)) for _ in range(rank))
    x = make_array(draw, (draw(st.integers(1, 2)), cin, *spatial), dtype)
    weight = make_array(draw, (cout, cin // groups, *window), dtype)
    return rank, x, weight, strides, form, pads, dilations, groups


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@settings(max_examples=700)
@given(conv_cases(), st.data())
def test_conv_vs_torch(case, data):
    rank, x, weight, strides, form, pads, dilations, groups = case
    if form in ("same", "valid"):
        padding_torch = form
        padding_vt = data.draw(st.sampled_from([form, form.upper()]))
    else:
        padding_torch = list(pads)
        padding_vt = "FULL" if form == "full" else vt_padding(data.draw, pads)
    expected = CONV[rank](
        torch.from_numpy(x), torch.from_numpy(weight), None, list(strides), padding_torch,
        list(dilations), groups,
    ).numpy()
    filters = np.moveaxis(weight, [0, 1], [-1, -2]).copy()  # (O, I/g, *k) -> (*k, I/g, O)
    x_vt, data_format, how = data.draw(
        layouts(x, rank, allow_bare=rank < 3 and groups == 1 and weight.shape[0] == 1)
    )
    if how == "bare":
        filters = filters[..., 0, 0]  # a bare kernel for one single-channel image
    kwargs = dict(strides=strides, padding=padding_vt, dilations=dilations)
    if groups != 1:
        kwargs["groups"] = groups
    if data_format is not None:
        kwargs["data_format"] = data_format
    before = x_vt.copy()
    got = vt.conv(x_vt, filters, **kwargs)
    np.testing.assert_array_equal(x_vt, before)
    expected = from_torch_layout(expected, how)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    per_output = np.abs(weight).reshape(weight.shape[0], -1).sum(axis=1).max()
    magnitude = max(1.0, float(np.max(np.abs(x), initial=0.0)) * float(per_output))
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[x.dtype.name] * magnitude)


@pytest.mark.parametrize("shape, cout, padding", [((2, 56, 56, 64), 64, "same"),
                                                   ((1, 13, 30, 32), 96, "valid"),
                                                   ((2, 9, 7, 40), 32, "same")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_winograd_convolutions_vs_torch(shape, cout, padding, dtype):
    # 3x3, stride 1, many channels: the numba path computes these by Winograd's F(2x2, 3x3)
    pytest.importorskip("numba")
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(dtype)
    filters = rng.standard_normal((3, 3, shape[-1], cout)).astype(dtype)
    expected = F.conv2d(torch.from_numpy(np.moveaxis(x, -1, 1).copy()),
                        torch.from_numpy(np.transpose(filters, (3, 2, 0, 1)).copy()),
                        padding=padding).numpy()
    with environment(VENTANAL_BACKEND="numba"):
        got = vt.conv(x, filters, padding=padding)
    per_output = np.abs(filters).sum(axis=(0, 1, 2)).max()
    magnitude = float(np.abs(x).max()) * float(per_output)
    np.testing.assert_allclose(got, np.moveaxis(expected, 1, -1), rtol=0,
                               atol=TOLERANCE[dtype] * magnitude)
