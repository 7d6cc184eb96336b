"""Tests of ventanal.data: synthetic images, kernels, image loading, samples."""

from __future__ import annotations

import importlib.util
import inspect
import io
import os
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ventanal.data as vd

Image = pytest.importorskip("PIL.Image")

_ORACLE_MISSING = "no {} (live oracle): pip install -e '.[oracles]'"


# ---------------------------------------------------------------------------
# import hygiene
# ---------------------------------------------------------------------------


# The public names of ventanal.data when it was one module; they must all stay.
PUBLIC_NAMES_BEFORE_THE_PACKAGE = {
    "DEFAULT_MAX_PIXELS", "KERNELS", "SAMPLES", "blur", "bottom_sobel", "box", "circle", "edge",
    "emboss", "gaussian", "identity", "kernel", "kernel_names", "laplacian", "left_sobel",
    "load_image", "right_sobel", "sample", "sample_names", "sample_path", "sharpen", "top_sobel",
    "two_dots",
}


def test_package_reexports_every_public_name_of_its_modules():
    modules = (vd.synthetic, vd.kernels, vd.loader, vd.bundled)
    exported = {name: module for module in modules for name in module.__all__}
    assert sorted(vd.__all__) == sorted(exported)
    for name, module in exported.items():
        assert getattr(vd, name) is getattr(module, name), name
    assert PUBLIC_NAMES_BEFORE_THE_PACKAGE <= set(vd.__all__)


def test_import_loads_only_numpy():
    code = (
        "import sys, ventanal.data; "
        "heavy = [m for m in ('PIL', 'matplotlib', 'scipy', 'skimage') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# circle
# ---------------------------------------------------------------------------


def _course_circle(size, val, r_shrink):
    """The Kaggle course's visiontools.circle, verbatim, on scikit-image."""
    draw = pytest.importorskip("skimage.draw", reason=_ORACLE_MISSING.format("scikit-image"))
    transform = pytest.importorskip(
        "skimage.transform", reason=_ORACLE_MISSING.format("scikit-image")
    )
    circle = np.zeros([size[0] + 1, size[1] + 1])
    rr, cc = draw.circle_perimeter(
        size[0] // 2,
        size[1] // 2,
        radius=size[0] // 2 - r_shrink,
        shape=[size[0] + 1, size[1] + 1],
    )
    if val is None:
        circle[rr, cc] = np.random.uniform(size=circle.shape)[rr, cc]  # noqa: NPY002
    else:
        circle[rr, cc] = val
    return transform.resize(circle, size, order=0)


def test_circle_matches_course_lesson_example():
    expected = _course_circle([64, 64], 1.0, 3)
    got = vd.circle([64, 64], val=1.0, r_shrink=3)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected.astype(np.float32))
    assert set(np.unique(got)) == {0.0, 1.0}


@settings(max_examples=300)
@given(
    height=st.integers(1, 90),
    width=st.integers(1, 90),
    r_shrink=st.integers(-4, 12),
)
def test_circle_pixel_exact_against_scikit_image(height, width, r_shrink):
    expected = _course_circle([height, width], 1.0, r_shrink)
    got = vd.circle((height, width), val=1.0, r_shrink=r_shrink)
    assert got.shape == (height, width)
    # Pixel for pixel, including scikit-image's tiny anti-aliasing blur of side <= 4.
    np.testing.assert_array_equal(got, expected.astype(np.float32))


@settings(max_examples=60)
@given(size=st.integers(1, 70), val=st.floats(-5, 5, allow_nan=False), r_shrink=st.integers(0, 5))
def test_circle_other_values_match_scikit_image(size, val, r_shrink):
    expected = _course_circle([size, size], val, r_shrink)
    np.testing.assert_array_equal(vd.circle(size, val, r_shrink), expected.astype(np.float32))


@pytest.mark.parametrize("size", [7, 16, 33, (20, 45), (45, 20)])
def test_circle_random_values_lit_the_same_pixels(size):
    pair = (size, size) if isinstance(size, int) else size
    mask = _course_circle(list(pair), 1.0, 1) > 0
    image = vd.circle(size, r_shrink=1, seed=7)
    np.testing.assert_array_equal(image > 0, mask)
    assert image.dtype == np.float32
    assert np.all((image >= 0) & (image < 1))
    assert len(np.unique(image[mask])) > 1  # really random, not a constant


def test_circle_seed_reproducible():
    a = vd.circle(32, seed=123)
    b = vd.circle(32, seed=123)
    c = vd.circle(32, seed=124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(
        vd.circle(32, seed=np.random.default_rng(5)), vd.circle(32, seed=5)
    )


def test_circle_int_size_is_square_and_fresh():
    a = vd.circle(12, val=1.0)
    np.testing.assert_array_equal(a, vd.circle((12, 12), val=1.0))
    a[:] = 5
    assert vd.circle(12, val=1.0).max() == 1.0


def test_circle_radius_below_zero_draws_nothing():
    assert not vd.circle(10, val=1.0, r_shrink=6).any()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"size": 0}, ValueError, r"`size` must be positive, got 0"),
        ({"size": (3, -1)}, ValueError, r"`size` must be positive"),
        ({"size": (3, 4, 5)}, ValueError, r"`size` must be an int or a pair"),
        ({"size": "64"}, TypeError, r"`size`"),
        ({"size": 2.5}, TypeError, r"`size` must be an integer, got 2.5"),
        ({"size": True}, TypeError, r"`size` must be an integer"),
        ({"size": 8, "r_shrink": 1.5}, TypeError, r"`r_shrink` must be an integer"),
        ({"size": 8, "val": "one"}, TypeError, r"`val` must be a number or None"),
    ],
)
def test_circle_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        vd.circle(**kwargs)


# ---------------------------------------------------------------------------
# two_dots
# ---------------------------------------------------------------------------


def test_two_dots_where_the_course_draws_them():
    # The course's helper, written down from its source (visiontools.two_dots):
    #     two_dots = np.zeros(size); two_dots[x, y] = 1; two_dots[y, x] = 1
    # with x=3, y=5 by default: dots at (row 3, col 5) and (row 5, col 3).
    image = vd.two_dots(8)
    assert image.shape == (8, 8)
    assert image.dtype == np.float32
    np.testing.assert_array_equal(np.argwhere(image), [[3, 5], [5, 3]])
    assert image.sum() == 2
    assert vd.two_dots([16, 16])[3, 5] == vd.two_dots([16, 16])[5, 3] == 1


def test_two_dots_rectangular_and_custom_coordinates():
    image = vd.two_dots((5, 20), x=0, y=4)
    np.testing.assert_array_equal(np.argwhere(image == 1), [[0, 4], [4, 0]])
    assert image.sum() == 2


def test_two_dots_same_coordinates_is_one_dot():
    image = vd.two_dots(6, x=2, y=2)
    assert image.sum() == 1
    assert image[2, 2] == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": 5, "x": 5}, r"`x` must put both dots inside the 5x5 image .* 0 <= x < 5, got 5"),
        ({"size": (4, 9), "y": 5}, r"`y` must put both dots .* 0 <= y < 4, got 5"),
        ({"size": 8, "x": -1}, r"`x` .* got -1"),
    ],
)
def test_two_dots_outside_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vd.two_dots(**kwargs)


def test_two_dots_non_integer_column():
    with pytest.raises(TypeError, match=r"`x` must be an integer, got 1.5"):
        vd.two_dots(8, x=1.5)


# ---------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------

EXPECTED_KERNELS = {
    "edge": ([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], 0.0),
    "bottom_sobel": ([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], 0.0),
    "top_sobel": ([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], 0.0),
    "left_sobel": ([[1, 0, -1], [2, 0, -2], [1, 0, -1]], 0.0),
    "right_sobel": ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], 0.0),
    "emboss": ([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], 1.0),
    "sharpen": ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], 1.0),
    "blur": (np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16, 1.0),
    "identity": ([[0, 0, 0], [0, 1, 0], [0, 0, 0]], 1.0),
    "laplacian": ([[0, 1, 0], [1, -4, 1], [0, 1, 0]], 0.0),
    "box": (np.full((3, 3), 1 / 9), 1.0),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_KERNELS))
def test_kernel_values_and_sums(name):
    values, total = EXPECTED_KERNELS[name]
    from_function = getattr(vd, name)()
    from_registry = vd.kernel(name)
    for k in (from_function, from_registry):
        assert k.dtype == np.float32
        assert k.shape == (3, 3)
        np.testing.assert_array_equal(k, np.asarray(values, dtype=np.float32))
        assert float(k.sum(dtype=np.float64)) == pytest.approx(total, abs=1e-6)


@pytest.mark.parametrize("name", sorted(EXPECTED_KERNELS) + ["gaussian"])
def test_kernels_are_fresh_copies(name):
    first = vd.kernel(name)
    first[...] = 99
    assert not np.any(vd.kernel(name) == 99)
    second = getattr(vd, name)()
    second[...] = 99
    assert not np.any(getattr(vd, name)() == 99)


def test_sobels_are_rotations_of_each_other():
    np.testing.assert_array_equal(vd.top_sobel(), -vd.bottom_sobel())
    np.testing.assert_array_equal(vd.left_sobel(), -vd.right_sobel())
    np.testing.assert_array_equal(np.rot90(vd.bottom_sobel()), vd.right_sobel())


def test_registry_lists_every_kernel():
    names = vd.kernel_names()
    assert isinstance(names, tuple)
    assert names == tuple(vd.KERNELS)
    assert set(EXPECTED_KERNELS) | {"gaussian"} == set(names)
    assert names[:2] == ("edge", "bottom_sobel")
    for name in names:
        assert isinstance(vd.KERNELS[name], str) and vd.KERNELS[name]
        assert vd.kernel(name).ndim == 2


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        vd.KERNELS["mine"] = "no"  # type: ignore[index]
    with pytest.raises(TypeError):
        vd.KERNEL_TABLE["mine"] = vd.KERNEL_TABLE["edge"]  # type: ignore[index]
    with pytest.raises(ValueError, match="read-only"):
        vd.KERNEL_TABLE["edge"].values[0, 0] = 99
    with pytest.raises(TypeError):
        vd.KERNEL_TABLE["edge"].description["en"] = "no"  # type: ignore[index]


@pytest.mark.parametrize("name", list(vd.KERNEL_TABLE))
def test_kernel_table_and_public_functions_agree(name):
    values = vd.KERNEL_TABLE[name].values
    assert values.dtype == np.float32 and values.ndim == 2
    from_function = getattr(vd, name)()  # gaussian and box with their default sizes
    from_lookup = vd.kernel(name)
    for k in (from_function, from_lookup):
        assert k.dtype == np.float32
        np.testing.assert_array_equal(k, values)
        assert k.flags.writeable
        assert not np.shares_memory(k, values)
    assert getattr(vd, name).__name__ == name
    assert vd.KERNELS[name] == vd.KERNEL_TABLE[name].description["en"]


def test_every_kernel_function_has_a_table_row():
    functions = {
        name for name in vd.kernels.__all__ if inspect.isfunction(getattr(vd.kernels, name))
    }
    assert functions - {"kernel", "kernel_names"} == set(vd.KERNEL_TABLE)


def test_kernel_descriptions_in_english_and_spanish():
    for name, entry in vd.KERNEL_TABLE.items():
        assert set(entry.description) == {"en", "es"}, name
        for text in entry.description.values():
            assert text and "\n" not in text and text.endswith(".")
        assert entry.description["en"] != entry.description["es"]


def test_fixed_kernel_docstrings_show_their_values():
    for name in ("edge", "blur", "laplacian"):
        doc = getattr(vd, name).__doc__
        assert vd.KERNELS[name] in doc
        assert f">>> vd.{name}()" in doc
        assert repr(vd.kernel(name)) in doc


@pytest.mark.parametrize("spelling", ["Bottom Sobel", "bottom-sobel", " BOTTOM_SOBEL "])
def test_kernel_name_spellings(spelling):
    np.testing.assert_array_equal(vd.kernel(spelling), vd.bottom_sobel())


def test_kernel_default_gaussian():
    np.testing.assert_array_equal(vd.kernel("gaussian"), vd.gaussian(5, 1.0))


def test_unknown_kernel_lists_valid_names():
    with pytest.raises(ValueError, match="sobel_x") as info:
        vd.kernel("sobel_x")
    message = str(info.value)
    assert "`name`" in message
    for name in vd.kernel_names():
        assert name in message


def test_kernel_name_must_be_string():
    with pytest.raises(TypeError, match=r"`name` must be a string, got 3"):
        vd.kernel(3)  # type: ignore[arg-type]


def _gaussian_formula(height, width, std):
    rows = np.arange(height)[:, None] - (height - 1) / 2
    cols = np.arange(width)[None, :] - (width - 1) / 2
    g = np.exp(-(rows**2 + cols**2) / (2 * std**2))
    return g / g.sum()


@settings(max_examples=80)
@given(size=st.integers(1, 15), std=st.floats(0.2, 6.0))
def test_gaussian_properties(size, std):
    k = vd.gaussian(size, std)
    assert k.dtype == np.float32
    assert k.shape == (size, size)
    assert float(k.sum(dtype=np.float64)) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(k, _gaussian_formula(size, size, std), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(k, k[::-1, :], rtol=1e-6)
    np.testing.assert_allclose(k, k[:, ::-1], rtol=1e-6)
    np.testing.assert_allclose(k, k.T, rtol=1e-6)
    # Peak at the centre: one pixel for odd sizes, the central 2x2 block for even ones.
    centre = k[(size - 1) // 2 : size // 2 + 1, (size - 1) // 2 : size // 2 + 1]
    assert np.isclose(centre.max(), k.max(), rtol=1e-6)
    assert np.allclose(centre, centre.flat[0], rtol=1e-6)


def test_gaussian_rectangular_and_even():
    k = vd.gaussian((4, 7), std=1.5)
    assert k.shape == (4, 7)
    np.testing.assert_allclose(k, _gaussian_formula(4, 7, 1.5), rtol=1e-6)
    assert k[1, 3] == k[2, 3] == k.max()


def test_gaussian_wider_std_is_flatter():
    assert vd.gaussian(7, 3.0).max() < vd.gaussian(7, 1.0).max()


@pytest.mark.parametrize("std", [0, -1.0, float("nan"), float("inf")])
def test_gaussian_bad_std(std):
    with pytest.raises(ValueError, match=r"`std` must be a positive finite number"):
        vd.gaussian(5, std)


def test_gaussian_bad_size():
    with pytest.raises(ValueError, match=r"`size` must be positive, got 0"):
        vd.gaussian(0, 1.0)


def test_box_sizes():
    np.testing.assert_allclose(vd.box(4), np.full((4, 4), 1 / 16))
    assert vd.box((2, 5)).shape == (2, 5)
    assert vd.box((2, 5)).sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# load_image: files made here
# ---------------------------------------------------------------------------


def _save(tmp_path: Path, name: str, image, **params) -> Path:
    path = tmp_path / name
    image.save(path, **params)
    return path


def test_load_gray_png_exact(tmp_path):
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    path = _save(tmp_path, "gray.png", Image.fromarray(pixels))
    image = vd.load_image(path)
    assert image.shape == (16, 16)
    assert image.dtype == np.float32
    assert image.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(image, pixels.astype(np.float32) * np.float32(1 / 255))
    rgb = vd.load_image(str(path), channels=3)  # str paths too
    assert rgb.shape == (16, 16, 3)
    for c in range(3):
        np.testing.assert_array_equal(rgb[..., c], image)


# float32 bit patterns written down from TensorFlow 2.21:
#   tf.image.convert_image_dtype(tf.constant([...], tf.uint8), tf.float32)
# (it multiplies by float32(1/255); dividing by 255 gives the pattern one below on
# 3, 7, 100 and 254, e.g. 0x3c40c0c1 for 3).
_TF_UINT8_TO_FLOAT32 = {
    0: 0x00000000,
    1: 0x3B808081,
    3: 0x3C40C0C2,
    5: 0x3CA0A0A1,
    7: 0x3CE0E0E2,
    100: 0x3EC8C8CA,
    128: 0x3F008081,
    254: 0x3F7EFF00,
    255: 0x3F800000,
}
# The same for uint16 (it multiplies by float32(1/65535)).
_TF_UINT16_TO_FLOAT32 = {
    0: 0x00000000,
    1: 0x37800080,
    3: 0x384000C0,
    257: 0x3B808080,
    1000: 0x3C7A00FA,
    32768: 0x3F000080,
    65534: 0x3F7FFF00,
    65535: 0x3F800000,
}


def test_load_8_bit_as_tensorflow_converts(tmp_path):
    values = np.array(sorted(_TF_UINT8_TO_FLOAT32), dtype=np.uint8)
    expected = np.array([_TF_UINT8_TO_FLOAT32[v] for v in values], dtype=np.uint32)
    path = _save(tmp_path, "bytes.png", Image.fromarray(values[None, :]))
    image = vd.load_image(path)
    assert image.dtype == np.float32
    np.testing.assert_array_equal(image[0].view(np.uint32), expected)
    rgb = vd.load_image(path, channels=3)
    np.testing.assert_array_equal(rgb[0, :, 1].view(np.uint32), expected)


def test_load_16_bit_as_tensorflow_converts(tmp_path):
    values = np.array(sorted(_TF_UINT16_TO_FLOAT32), dtype=np.uint16)
    expected = np.array([_TF_UINT16_TO_FLOAT32[v] for v in values], dtype=np.uint32)
    path = _save(tmp_path, "words.png", Image.fromarray(values[None, :]))
    image = vd.load_image(path)
    np.testing.assert_array_equal(image[0].view(np.uint32), expected)


def test_load_rgb_png(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(9, 13, 3), dtype=np.uint8)
    path = _save(tmp_path, "rgb.png", Image.fromarray(pixels))
    rgb = vd.load_image(path, channels=3)
    assert rgb.shape == (9, 13, 3)
    np.testing.assert_array_equal(rgb, pixels.astype(np.float32) * np.float32(1 / 255))
    gray = vd.load_image(path, channels=1)
    assert gray.shape == (9, 13)
    luma = (pixels / 255) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(gray, luma, atol=1e-6)
    # Within rounding of Pillow's own 8-bit conversion.
    pillow_gray = np.asarray(Image.fromarray(pixels).convert("L")) / 255
    np.testing.assert_allclose(gray, pillow_gray, atol=1 / 255 + 1e-6)


def test_load_rgba_composites_on_white(tmp_path):
    pixels = np.zeros((2, 3, 4), dtype=np.uint8)
    pixels[0, 0] = (255, 0, 0, 255)  # opaque red
    pixels[0, 1] = (255, 0, 0, 0)  # fully transparent: white
    pixels[0, 2] = (0, 0, 0, 51)  # black at alpha 0.2: 0.8 gray
    pixels[1, :] = (0, 0, 255, 255)
    path = _save(tmp_path, "rgba.png", Image.fromarray(pixels, mode="RGBA"))
    rgb = vd.load_image(path, channels=3)
    assert rgb.shape == (2, 3, 3)
    np.testing.assert_allclose(rgb[0, 0], [1, 0, 0])
    np.testing.assert_allclose(rgb[0, 1], [1, 1, 1])
    np.testing.assert_allclose(rgb[0, 2], [0.8, 0.8, 0.8], atol=1e-6)
    np.testing.assert_allclose(rgb[1, 0], [0, 0, 1])
    gray = vd.load_image(path)
    assert gray.shape == (2, 3)
    assert gray[0, 1] == pytest.approx(1.0)
    assert gray[0, 0] == pytest.approx(0.299, abs=1e-6)


def test_luma_weights_are_bt601_and_used_by_the_loader(tmp_path):
    assert vd.LUMA_WEIGHTS == (0.299, 0.587, 0.114)
    assert sum(vd.LUMA_WEIGHTS) == pytest.approx(1.0)
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    path = _save(tmp_path, "luma.png", Image.fromarray(pixels))
    rgb = vd.load_image(path, channels=3)
    expected = rgb @ np.array(vd.LUMA_WEIGHTS, dtype=np.float32)
    np.testing.assert_array_equal(vd.load_image(path), np.clip(expected, 0, 1))


def test_load_la(tmp_path):
    pixels = np.array([[[0, 255], [0, 0], [100, 255]]], dtype=np.uint8)
    path = _save(tmp_path, "la.png", Image.fromarray(pixels, mode="LA"))
    gray = vd.load_image(path)
    np.testing.assert_allclose(gray, [[0.0, 1.0, 100 / 255]], atol=1e-6)
    assert vd.load_image(path, channels=3).shape == (1, 3, 3)


def test_load_palette_with_transparency(tmp_path):
    image = Image.new("P", (4, 2))
    image.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 0] + [0] * (256 * 3 - 9))
    image.putdata([0, 1, 2, 2, 0, 0, 1, 1])
    path = _save(tmp_path, "palette.png", image, transparency=2)
    rgb = vd.load_image(path, channels=3)
    assert rgb.shape == (2, 4, 3)
    np.testing.assert_allclose(rgb[0, 0], [1, 0, 0])
    np.testing.assert_allclose(rgb[0, 1], [0, 1, 0])
    np.testing.assert_allclose(rgb[0, 2], [1, 1, 1])  # transparent index on white
    plain = _save(tmp_path, "palette_opaque.png", image)
    np.testing.assert_allclose(vd.load_image(plain, channels=3)[0, 2], [0, 0, 0])


def test_load_16_bit_png(tmp_path):
    pixels = np.array([[0, 1, 32768, 65535]], dtype=np.uint16)
    path = _save(tmp_path, "deep.png", Image.fromarray(pixels))
    with Image.open(path) as check:
        assert check.mode.startswith("I")
    image = vd.load_image(path)
    assert image.dtype == np.float32
    np.testing.assert_allclose(image, pixels / 65535, rtol=1e-6)
    assert 0 < image[0, 1] < 1 / 255  # 16-bit precision kept


def test_load_bilevel(tmp_path):
    pixels = np.array([[0, 255, 0]], dtype=np.uint8)
    path = _save(tmp_path, "bw.png", Image.fromarray(pixels).convert("1"))
    np.testing.assert_array_equal(vd.load_image(path), [[0, 1, 0]])


def test_load_float_tiff_rescaled(tmp_path):
    pixels = np.array([[-2.0, 0.0], [2.0, 6.0]], dtype=np.float32)
    path = _save(tmp_path, "float.tif", Image.fromarray(pixels, mode="F"))
    np.testing.assert_allclose(vd.load_image(path), [[0, 0.25], [0.5, 1]])
    inside = np.array([[0.1, 0.9]], dtype=np.float32)
    path = _save(tmp_path, "float01.tif", Image.fromarray(inside, mode="F"))
    np.testing.assert_allclose(vd.load_image(path), inside)


def test_load_cmyk_jpeg(tmp_path):
    rgb = np.zeros((16, 16, 3), dtype=np.uint8)
    rgb[:, :8] = (200, 30, 30)
    rgb[:, 8:] = (30, 30, 200)
    path = _save(tmp_path, "cmyk.jpg", Image.fromarray(rgb).convert("CMYK"), quality=95)
    image = vd.load_image(path, channels=3)
    assert image.shape == (16, 16, 3)
    np.testing.assert_allclose(image[8, 2], np.array([200, 30, 30]) / 255, atol=0.06)
    np.testing.assert_allclose(image[8, 13], np.array([30, 30, 200]) / 255, atol=0.06)


def test_load_gif_first_frame(tmp_path):
    frames = [Image.fromarray(np.full((4, 5), v, dtype=np.uint8)) for v in (10, 200)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    image = vd.load_image(path)
    assert image.shape == (4, 5)
    np.testing.assert_allclose(image, 10 / 255, atol=1e-6)


def test_load_jpeg_exif_orientation(tmp_path):
    # Stored landscape 40 wide x 20 high; orientation 6 = rotate 90 degrees clockwise.
    stored = np.zeros((20, 40, 3), dtype=np.uint8)
    stored[:10, :10] = (255, 0, 0)  # top-left red block
    stored[10:, 30:] = (0, 0, 255)  # bottom-right blue block
    exif = Image.Exif()
    exif[0x0112] = 6
    path = _save(
        tmp_path, "rotated.jpg", Image.fromarray(stored), exif=exif, quality=95, subsampling=0
    )
    image = vd.load_image(path, channels=3)
    assert image.shape == (40, 20, 3)  # upright: portrait
    expected = np.rot90(stored, k=-1) / 255  # clockwise
    assert np.abs(image - expected).mean() < 0.02  # JPEG rings a little at the block edges
    assert np.abs(image - np.rot90(stored, k=1) / 255).mean() > 0.1  # not anticlockwise
    # The red block moved from the top-left to the top-right corner.
    np.testing.assert_allclose(image[4, 15], [1, 0, 0], atol=0.08)
    np.testing.assert_allclose(image[4, 4], [0, 0, 0], atol=0.08)
    np.testing.assert_allclose(image[35, 4], [0, 0, 1], atol=0.08)  # blue: bottom-left
    assert vd.load_image(path).shape == (40, 20)


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "missing.png"
    with pytest.raises(FileNotFoundError, match="missing.png") as info:
        vd.load_image(path)
    assert info.value.filename == str(path)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not an image\n")
    with pytest.raises(ValueError, match=r"notes\.png.*not an image format"):
        vd.load_image(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.jpg"):
        vd.load_image(path)


def test_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a regular file"):
        vd.load_image(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"pipe\.png.*not a regular file"):
        vd.load_image(fifo)


def _noise_image(height=64, width=64):
    rng = np.random.default_rng(1)
    return Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8))


@pytest.mark.parametrize(("suffix", "fmt"), [(".png", "PNG"), (".jpg", "JPEG")])
def test_truncated_file(tmp_path, suffix, fmt):
    buffer = io.BytesIO()
    _noise_image().save(buffer, format=fmt)
    data = buffer.getvalue()
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=rf"cut\{suffix}") as info:
        vd.load_image(path)
    assert "truncated" in str(info.value) or "broken" in str(info.value).lower()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a size in its IHDR and holds no pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + chunk + end


def test_decompression_bomb_refused_by_pillow(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(60_000, 60_000))  # 3.6 gigapixels
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"bomb\.png.*too large"):
            vd.load_image(path)


def test_decompression_bomb_refused_by_max_pixels(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(_png_header_only(12_000, 12_000))  # 144 MP: above the default 100 MP
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's warning must not leak
        with pytest.raises(ValueError, match=r"big\.png.*144000000 pixels.*`max_pixels`"):
            vd.load_image(path)


def test_max_pixels_argument(tmp_path):
    path = _save(tmp_path, "small.png", _noise_image(50, 40))
    with pytest.raises(ValueError, match=r"50x40 = 2000 pixels is more than `max_pixels` = 1999"):
        vd.load_image(path, max_pixels=1999)
    assert vd.load_image(path, max_pixels=2000).shape == (50, 40)
    with pytest.raises(ValueError, match=r"`max_pixels` must be a positive integer, got 0"):
        vd.load_image(path, max_pixels=0)


@pytest.mark.parametrize("channels", [0, 2, 4, True, "3", None])
def test_bad_channels(tmp_path, channels):
    path = _save(tmp_path, "ok.png", _noise_image(4, 4))
    with pytest.raises(ValueError, match=rf"`channels` must be 1 or 3, got {channels!r}"):
        vd.load_image(path, channels=channels)


def test_bad_channels_checked_before_the_file():
    with pytest.raises(ValueError, match=r"`channels` must be 1 or 3, got 2"):
        vd.load_image("does-not-matter.png", channels=2)


def test_path_type_checked():
    with pytest.raises(TypeError, match=r"`path` must be a str or os.PathLike"):
        vd.load_image(123)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# bundled samples
# ---------------------------------------------------------------------------

SAMPLES_DIR = Path(vd.__file__).with_name("samples")


def test_samples_dir_is_the_package_folder():
    assert vd.SAMPLES_DIR == SAMPLES_DIR
    assert SAMPLES_DIR.is_dir()
    for name in vd.sample_names():
        assert vd.sample_path(name).parent == SAMPLES_DIR


def test_at_least_four_samples_including_a_street():
    names = vd.sample_names()
    assert len(names) >= 4
    assert "street" in names
    assert names == tuple(vd.SAMPLES)


@pytest.mark.parametrize("name", vd.sample_names())
def test_every_sample_loads(name):
    path = vd.sample_path(name)
    assert path.is_file()
    rgb = vd.sample(name)
    assert rgb.dtype == np.float32
    assert rgb.ndim == 3 and rgb.shape[2] == 3
    assert max(rgb.shape[:2]) <= 512
    assert min(rgb.shape[:2]) >= 64
    assert rgb.min() >= 0 and rgb.max() <= 1
    assert rgb.std() > 0.05  # a real picture, not a flat field
    gray = vd.sample(name, channels=1)
    assert gray.shape == rgb.shape[:2]
    np.testing.assert_array_equal(gray, vd.load_image(path))


def test_sample_licences_recorded():
    licences = (SAMPLES_DIR / "LICENSES.md").read_text(encoding="utf-8")
    for name in vd.sample_names():
        file_name = vd.sample_path(name).name
        assert f"`{file_name}`" in licences
    assert "CC0" in licences and "public domain" in licences.lower()


def test_samples_total_size_about_one_megabyte():
    total = sum(p.stat().st_size for p in SAMPLES_DIR.iterdir() if p.is_file())
    assert total < 1_500_000


def test_street_sample_is_what_its_script_draws():
    spec = importlib.util.spec_from_file_location("_make_street", SAMPLES_DIR / "_make_street.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    drawn = module.render().astype(np.float32) / 255
    stored = vd.sample("street")
    assert drawn.shape == stored.shape
    # Same picture up to JPEG loss (and any drift of Pillow's drawing across versions).
    assert np.abs(drawn - stored).mean() < 0.03


def test_unknown_sample_lists_valid_names():
    with pytest.raises(ValueError, match="lena") as info:
        vd.sample("lena")
    for name in vd.sample_names():
        assert name in str(info.value)
    with pytest.raises(ValueError, match="`name`"):
        vd.sample_path("nope")


@pytest.mark.parametrize("std", [1e-300, 1e-170, 5e-324])
def test_gaussian_of_a_vanishing_std_is_its_limit(std):
    # exp(-d**2 / (2 std**2)) underflows everywhere but the centre: the kernel is all there
    # (a delta for odd sizes, shared by the 2 or 4 central cells for even ones), not NaN.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        odd, even = vd.gaussian(5, std), vd.gaussian((4, 5), std)
    expected_odd = np.zeros((5, 5), np.float32)
    expected_odd[2, 2] = 1
    expected_even = np.zeros((4, 5), np.float32)
    expected_even[1:3, 2] = 0.5
    np.testing.assert_array_equal(odd, expected_odd)
    np.testing.assert_array_equal(even, expected_even)
