"""Built-in images, classic kernels and image loading.

Everything here returns ``float32`` NumPy arrays, so that an image, a kernel
and the output of an op can be compared and plotted side by side.

* Synthetic images: :func:`circle` (the Kaggle "Computer Vision" course's
  ``visiontools.circle``, reproduced pixel for pixel) and :func:`two_dots`
  (the lesson on translation invariance).
* Kernels: :func:`edge`, :func:`bottom_sobel`, :func:`emboss`,
  :func:`sharpen`, :func:`blur`, :func:`gaussian` and a few more, also
  reachable by name through :func:`kernel` and :data:`KERNELS`.
* Images from disk: :func:`load_image`, and the bundled sample photos
  (:func:`sample_names`, :func:`sample`, :func:`sample_path`).

Importing this module loads only NumPy; Pillow is imported the first time an
image file is read.
"""

from __future__ import annotations

import errno
import math
import operator
import os
import types
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "KERNELS",
    "SAMPLES",
    "blur",
    "bottom_sobel",
    "box",
    "circle",
    "edge",
    "emboss",
    "gaussian",
    "identity",
    "kernel",
    "kernel_names",
    "laplacian",
    "left_sobel",
    "load_image",
    "right_sobel",
    "sample",
    "sample_names",
    "sample_path",
    "sharpen",
    "top_sobel",
    "two_dots",
]

#: Largest image, in pixels (height x width), that :func:`load_image` decodes
#: by default. Larger files are refused before their pixels are decoded.
DEFAULT_MAX_PIXELS = 100_000_000


# ---------------------------------------------------------------------------
# argument normalisation
# ---------------------------------------------------------------------------


def _as_int(value: Any, name: str) -> int:
    """Return ``value`` as a Python int, refusing bools, floats and strings."""
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}` must be an integer, got {value!r}") from None


def _as_size(size: int | Sequence[int], name: str = "size") -> tuple[int, int]:
    """Normalise an int or an ``(h, w)`` pair to a pair of positive ints."""
    if isinstance(size, str | bytes):
        raise TypeError(f"`{name}` must be an int or a pair (h, w) of ints, got {size!r}")
    if isinstance(size, Sequence | np.ndarray):
        if len(size) != 2:
            raise ValueError(f"`{name}` must be an int or a pair (h, w) of ints, got {size!r}")
        pair = (_as_int(size[0], name), _as_int(size[1], name))
    else:
        n = _as_int(size, name)
        pair = (n, n)
    if pair[0] < 1 or pair[1] < 1:
        raise ValueError(f"`{name}` must be positive, got {size!r}")
    return pair


# ---------------------------------------------------------------------------
# synthetic images
# ---------------------------------------------------------------------------


def _circle_perimeter(
    row: int, col: int, radius: int, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Bresenham (midpoint) circle, as ``skimage.draw.circle_perimeter``.

    Pixels are produced in the same order as scikit-image's (eight octants per
    step) and those outside ``shape`` are dropped. A negative radius draws
    nothing; a zero radius draws the centre.
    """
    rows: list[int] = []
    cols: list[int] = []
    x, y = 0, radius
    decision = 3 - 2 * radius
    while y >= x:
        rows.extend((y, -y, y, -y, x, -x, x, -x))
        cols.extend((x, x, -x, -x, y, y, -y, -y))
        if decision < 0:
            decision += 4 * x + 6
        else:
            decision += 4 * (x - y) + 10
            y -= 1
        x += 1
    rr = np.array(rows, dtype=np.intp) + row
    cc = np.array(cols, dtype=np.intp) + col
    inside = (rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])
    return rr[inside], cc[inside]


def _mirror_index(index: np.ndarray, length: int) -> np.ndarray:
    """Fold indices into ``range(length)`` by mirroring (``d c b | a b c d | c b a``)."""
    if length == 1:
        return np.zeros_like(index)
    period = 2 * (length - 1)
    index = np.abs(index) % period
    return np.where(index >= length, period - index, index)


def _gaussian_smooth_axis(image: np.ndarray, sigma: float, axis: int) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter1d(mode="mirror")`` with its exact rounding.

    The weights and the order of the additions follow SciPy's symmetric
    correlation loop, so the float64 results agree to the last bit.
    """
    radius = int(4.0 * sigma + 0.5)
    if radius == 0:
        return image.copy()  # the kernel is [1.0]: a plain copy
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / (sigma * sigma) * offsets**2)
    weights = weights / weights.sum()
    lines = np.moveaxis(image, axis, -1)
    length = lines.shape[-1]
    base = np.arange(length)
    smoothed = lines[..., base] * weights[radius]
    for step in range(radius, 0, -1):  # outermost pair first, as SciPy does
        pair = (
            lines[..., _mirror_index(base + step, length)]
            + lines[..., _mirror_index(base - step, length)]
        )
        smoothed = smoothed + pair * weights[radius + step]
    return np.moveaxis(smoothed, -1, axis)


def _resize_nearest(image: np.ndarray, output_shape: tuple[int, int]) -> np.ndarray:
    """``skimage.transform.resize(image, output_shape, order=0)`` for a float image.

    scikit-image first smooths a float image it shrinks (``anti_aliasing`` is
    on by default, sigma ``(factor - 1) / 2`` per axis, mirror boundary), then
    samples the nearest input pixel: output pixel ``k`` reads input
    ``floor((k + 0.5) * in / out)``, pixel centres being aligned
    (``scipy.ndimage.zoom(grid_mode=True)``). For the shrink by one pixel that
    :func:`circle` does, the smoothing only changes images of side 4 or less.
    """
    resized = np.asarray(image, dtype=np.float64)
    in_shape = resized.shape
    factors = np.divide(in_shape, output_shape)
    if any(i > o for i, o in zip(in_shape, output_shape, strict=True)):
        sigmas = np.maximum(0, (factors - 1) / 2)
        for axis, sigma in enumerate(sigmas):
            if sigma > 1e-15:
                resized = _gaussian_smooth_axis(resized, float(sigma), axis)
    for axis, (n_in, n_out) in enumerate(zip(in_shape, output_shape, strict=True)):
        # Same float64 operations, in the same order, as SciPy's zoom.
        coordinate = np.arange(n_out, dtype=np.float64)
        coordinate += 0.5
        coordinate *= n_in / n_out
        coordinate -= 0.5
        index = np.floor(coordinate + 0.5).astype(np.intp)
        resized = np.take(resized, _mirror_index(index, n_in), axis=axis)
    return np.clip(resized, image.min(), image.max())


def circle(
    size: int | Sequence[int],
    val: float | None = None,
    r_shrink: int = 0,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """A one-pixel-wide circle, as in the Kaggle "Computer Vision" course.

    Reproduces ``visiontools.circle`` from the course exactly, without
    scikit-image: a Bresenham circle of radius ``size[0] // 2 - r_shrink`` is
    drawn around ``(size[0] // 2, size[1] // 2)`` on a canvas one pixel larger
    than `size`, which is then shrunk to `size` the way
    ``skimage.transform.resize(..., order=0)`` does.

    Parameters
    ----------
    size : int or (int, int)
        Image shape ``(h, w)``; an int gives a square image. The radius comes
        from ``h`` alone, as in the course.
    val : float, optional
        Value of the circle's pixels. If None (the default), each pixel gets
        its own uniform random value in [0, 1).
    r_shrink : int, optional
        Pixels taken off the radius (0 draws a circle touching the border).
        A radius below 0 draws nothing.
    seed : int or numpy.random.Generator, optional
        Seed for the random values used when `val` is None, passed to
        :func:`numpy.random.default_rng`; the same seed gives the same image.

    Returns
    -------
    image : (h, w) ndarray of float32
        Zeros with the circle. (The course returns float64; ventanal works in
        float32 throughout.)

    See Also
    --------
    two_dots : the other synthetic image of the course.

    Notes
    -----
    With ``val=1.0`` the result equals, pixel for pixel, the course's
    ``circle(size, val=1.0, r_shrink=r_shrink)`` run with the scikit-image
    installed today. For images of side 4 or less scikit-image's anti-aliasing
    blurs the values slightly, and that is reproduced too. With ``val=None``
    the random values cannot match the course's (it used NumPy's global
    random state), only the set of lit pixels does.

    Shrinking the canvas by one pixel skips one row and one column near the
    middle, which is why the course's circles have flat, doubled sides (see
    the example below); small circles can even lose pixels. That is the
    course's look, kept on purpose.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> image = vd.circle(10, val=1.0, r_shrink=1)
    >>> image.shape, image.dtype
    ((10, 10), dtype('float32'))
    >>> image.astype(int)
    array([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 1, 1, 0, 0, 0, 0],
           [0, 0, 1, 1, 0, 0, 1, 1, 0, 0],
           [0, 0, 1, 0, 0, 0, 0, 1, 0, 0],
           [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
           [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
           [0, 0, 1, 0, 0, 0, 0, 1, 0, 0],
           [0, 0, 1, 1, 0, 0, 1, 1, 0, 0],
           [0, 0, 0, 0, 1, 1, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])

    Random values are reproducible with a seed:

    >>> bool(np.array_equal(vd.circle(16, seed=0), vd.circle(16, seed=0)))
    True
    """
    height, width = _as_size(size)
    shrink = _as_int(r_shrink, "r_shrink")
    if val is not None:
        try:
            value = float(val)
        except (TypeError, ValueError):
            raise TypeError(f"`val` must be a number or None, got {val!r}") from None
    canvas_shape = (height + 1, width + 1)
    canvas = np.zeros(canvas_shape)
    rr, cc = _circle_perimeter(height // 2, width // 2, height // 2 - shrink, canvas_shape)
    if val is None:
        canvas[rr, cc] = np.random.default_rng(seed).uniform(size=canvas_shape)[rr, cc]
    else:
        canvas[rr, cc] = value
    return _resize_nearest(canvas, (height, width)).astype(np.float32)


def two_dots(size: int | Sequence[int], x: int = 3, y: int = 5) -> np.ndarray:
    """Two single-pixel dots on the middle row of a black image.

    The lesson's feature map whose two dots become indistinguishable after
    repeated max pooling (translation invariance).

    Parameters
    ----------
    size : int or (int, int)
        Image shape ``(h, w)``; an int gives a square image.
    x, y : int, optional
        Columns of the two dots, both on row ``h // 2``. Negative values
        are not allowed; ``x == y`` gives a single dot.

    Returns
    -------
    image : (h, w) ndarray of float32
        Zeros, with 1 at ``(h // 2, x)`` and ``(h // 2, y)``.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.two_dots((3, 8)).astype(int)
    array([[0, 0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 1, 0, 1, 0, 0],
           [0, 0, 0, 0, 0, 0, 0, 0]])
    """
    height, width = _as_size(size)
    columns = {"x": _as_int(x, "x"), "y": _as_int(y, "y")}
    for name, column in columns.items():
        if not 0 <= column < width:
            raise ValueError(
                f"`{name}` must be a column inside the image, 0 <= {name} < {width}, got {column}"
            )
    image = np.zeros((height, width), dtype=np.float32)
    image[height // 2, [columns["x"], columns["y"]]] = 1.0
    return image


# ---------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------


def _kernel(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


def edge() -> np.ndarray:
    """Edge (outline) detector: 8 at the centre, -1 around, summing to 0.

    Returns
    -------
    kernel : (3, 3) ndarray of float32
        A new array on every call.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.edge()
    array([[-1., -1., -1.],
           [-1.,  8., -1.],
           [-1., -1., -1.]], dtype=float32)
    """
    return _kernel([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])


def bottom_sobel() -> np.ndarray:
    """Sobel kernel that responds to edges brighter below than above.

    Used in the course to detect horizontal lines. With cross-correlation (no
    flip, as in every convnet) the output is positive where the image gets
    brighter going down.

    Returns
    -------
    kernel : (3, 3) ndarray of float32

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.bottom_sobel()
    array([[-1., -2., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  2.,  1.]], dtype=float32)
    """
    return _kernel([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])


def top_sobel() -> np.ndarray:
    """Sobel kernel that responds to edges brighter above than below.

    Returns
    -------
    kernel : (3, 3) ndarray of float32

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.top_sobel()
    array([[ 1.,  2.,  1.],
           [ 0.,  0.,  0.],
           [-1., -2., -1.]], dtype=float32)
    """
    return _kernel([[1, 2, 1], [0, 0, 0], [-1, -2, -1]])


def left_sobel() -> np.ndarray:
    """Sobel kernel that responds to edges brighter on the left.

    Returns
    -------
    kernel : (3, 3) ndarray of float32

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.left_sobel()
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.],
           [ 1.,  0., -1.]], dtype=float32)
    """
    return _kernel([[1, 0, -1], [2, 0, -2], [1, 0, -1]])


def right_sobel() -> np.ndarray:
    """Sobel kernel that responds to edges brighter on the right.

    Returns
    -------
    kernel : (3, 3) ndarray of float32

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.right_sobel()
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]], dtype=float32)
    """
    return _kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])


def emboss() -> np.ndarray:
    """Emboss kernel: a diagonal gradient plus the pixel itself (sums to 1).

    Returns
    -------
    kernel : (3, 3) ndarray of float32

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.emboss()
    array([[-2., -1.,  0.],
           [-1.,  1.,  1.],
           [ 0.,  1.,  2.]], dtype=float32)
    """
    return _kernel([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])


def sharpen() -> np.ndarray:
    """Sharpen kernel: the pixel plus its difference from its 4 neighbours.

    Returns
    -------
    kernel : (3, 3) ndarray of float32
        Sums to 1, so flat regions keep their value.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.sharpen()
    array([[ 0., -1.,  0.],
           [-1.,  5., -1.],
           [ 0., -1.,  0.]], dtype=float32)
    """
    return _kernel([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])


def blur() -> np.ndarray:
    """3x3 binomial blur, ``[[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16``.

    Returns
    -------
    kernel : (3, 3) ndarray of float32
        Sums to 1.

    See Also
    --------
    gaussian : a blur of any size and width.
    box : the plain average.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.blur() * 16
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    """
    return _kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / np.float32(16)


def identity() -> np.ndarray:
    """Identity kernel: a 1 in the centre, so the image passes unchanged.

    Returns
    -------
    kernel : (3, 3) ndarray of float32

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.identity()
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    return _kernel([[0, 0, 0], [0, 1, 0], [0, 0, 0]])


def laplacian() -> np.ndarray:
    """4-neighbour Laplacian: the discrete second derivative, summing to 0.

    Returns
    -------
    kernel : (3, 3) ndarray of float32

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.laplacian()
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]], dtype=float32)
    """
    return _kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]])


def box(size: int | Sequence[int] = 3) -> np.ndarray:
    """Box (mean) kernel: every weight ``1 / (h * w)``.

    Parameters
    ----------
    size : int or (int, int), optional
        Kernel shape; an int gives a square kernel. Default 3.

    Returns
    -------
    kernel : (h, w) ndarray of float32
        Sums to 1.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.box(2)
    array([[0.25, 0.25],
           [0.25, 0.25]], dtype=float32)
    """
    height, width = _as_size(size)
    return np.full((height, width), 1.0 / (height * width), dtype=np.float32)


def gaussian(size: int | Sequence[int] = 5, std: float = 1.0) -> np.ndarray:
    """Gaussian blur kernel, normalised to sum to 1.

    Weight at row ``i``, column ``j`` is proportional to
    ``exp(-((i - ci)**2 + (j - cj)**2) / (2 * std**2))`` with the centre
    ``(ci, cj) = ((h - 1) / 2, (w - 1) / 2)``, so an even size puts the centre
    between pixels and the kernel stays symmetric.

    Parameters
    ----------
    size : int or (int, int), optional
        Kernel shape; an int gives a square kernel. Default 5.
    std : float, optional
        Standard deviation in pixels, positive. Default 1.0.

    Returns
    -------
    kernel : (h, w) ndarray of float32
        Symmetric, peaked at the centre, sums to 1 (up to float32 rounding).

    See Also
    --------
    blur : the 3x3 binomial approximation.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> k = vd.gaussian(3, std=1.0)
    >>> k.round(4)
    array([[0.0751, 0.1238, 0.0751],
           [0.1238, 0.2042, 0.1238],
           [0.0751, 0.1238, 0.0751]], dtype=float32)
    >>> float(k.sum())
    1.0
    """
    height, width = _as_size(size)
    try:
        sigma = float(std)
    except (TypeError, ValueError):
        raise TypeError(f"`std` must be a positive number, got {std!r}") from None
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"`std` must be a positive finite number, got {std!r}")
    rows = np.arange(height) - (height - 1) / 2
    cols = np.arange(width) - (width - 1) / 2
    # Separable: the outer product of two 1-D Gaussians is the 2-D Gaussian.
    weights = np.outer(np.exp(-(rows**2) / (2 * sigma**2)), np.exp(-(cols**2) / (2 * sigma**2)))
    return (weights / weights.sum()).astype(np.float32)


_KERNEL_FUNCTIONS: dict[str, tuple[Callable[[], np.ndarray], str]] = {
    "edge": (edge, "Edge (outline) detector: 8 in the centre, -1 around; sums to 0."),
    "bottom_sobel": (bottom_sobel, "Sobel, responds to edges brighter below (horizontal lines)."),
    "top_sobel": (top_sobel, "Sobel, responds to edges brighter above."),
    "left_sobel": (left_sobel, "Sobel, responds to edges brighter on the left."),
    "right_sobel": (right_sobel, "Sobel, responds to edges brighter on the right."),
    "emboss": (emboss, "Emboss: diagonal gradient plus the pixel itself."),
    "sharpen": (sharpen, "Sharpen: the pixel plus its difference from 4 neighbours."),
    "blur": (blur, "3x3 binomial blur [[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16."),
    "gaussian": (gaussian, "5x5 Gaussian blur, std 1, sums to 1 (see gaussian(size, std))."),
    "box": (box, "3x3 mean (box) blur, all weights 1/9 (see box(size))."),
    "identity": (identity, "Identity: 1 in the centre, leaves the image unchanged."),
    "laplacian": (laplacian, "4-neighbour Laplacian, second derivative; sums to 0."),
}

#: Read-only mapping from kernel name to a one-line description, in the order
#: the course introduces them. Use :func:`kernel` to get the array.
KERNELS: types.MappingProxyType[str, str] = types.MappingProxyType(
    {name: description for name, (_, description) in _KERNEL_FUNCTIONS.items()}
)


def kernel_names() -> tuple[str, ...]:
    """Names accepted by :func:`kernel`.

    Returns
    -------
    names : tuple of str

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.kernel_names()[:3]
    ('edge', 'bottom_sobel', 'top_sobel')
    """
    return tuple(_KERNEL_FUNCTIONS)


def kernel(name: str) -> np.ndarray:
    """A kernel by name, as a new float32 array the caller may modify.

    Parameters
    ----------
    name : str
        One of :func:`kernel_names`. Case, spaces and hyphens are forgiven
        (``"Bottom Sobel"`` and ``"bottom-sobel"`` mean ``"bottom_sobel"``).

    Returns
    -------
    kernel : 2-D ndarray of float32
        ``gaussian`` and ``box`` come with their default sizes.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.kernel("Bottom Sobel")
    array([[-1., -2., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  2.,  1.]], dtype=float32)
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, got {name!r}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in _KERNEL_FUNCTIONS:
        raise ValueError(f"`name` must be one of {', '.join(_KERNEL_FUNCTIONS)}; got {name!r}")
    return _KERNEL_FUNCTIONS[key][0]()


# ---------------------------------------------------------------------------
# image files
# ---------------------------------------------------------------------------

# ITU-R BT.601 luma, the weights of Pillow's convert("L"), libjpeg and
# tf.image.rgb_to_grayscale, so a grayscale load matches the course's.
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _pixels_in_unit_range(image: Any) -> np.ndarray:
    """Pixels of a loaded Pillow image as float32 in [0, 1], (H, W) or (H, W, 3|4)."""
    mode = image.mode
    if mode == "1":
        return np.asarray(image.convert("L"), dtype=np.float32) / np.float32(255)
    if mode.startswith("I;16"):
        return np.asarray(image, dtype=np.float32) / np.float32(65535)
    if mode == "I":
        # Pillow's 32-bit integer mode; in practice it holds 16-bit samples.
        return np.clip(np.asarray(image, dtype=np.float32) / np.float32(65535), 0, 1)
    if mode == "F":
        pixels = np.asarray(image, dtype=np.float32)
        low, high = float(np.nanmin(pixels)), float(np.nanmax(pixels))
        if low < 0 or high > 1:
            span = high - low
            pixels = (pixels - low) / np.float32(span) if span > 0 else np.zeros_like(pixels)
        return np.nan_to_num(pixels, nan=0.0)
    if mode in ("L", "RGB", "RGBA", "LA"):
        return np.asarray(image, dtype=np.float32) / np.float32(255)
    if mode in ("P", "PA", "RGBa", "La"):
        # Palette (maybe with a transparent colour) and premultiplied alpha.
        return np.asarray(image.convert("RGBA"), dtype=np.float32) / np.float32(255)
    # CMYK, YCbCr, LAB, HSV, RGBX, ...: Pillow knows how to make RGB of them.
    return np.asarray(image.convert("RGB"), dtype=np.float32) / np.float32(255)


def _to_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    """Composite any alpha on white, then give 1 (luma) or 3 channels."""
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4):
        alpha = pixels[..., -1:]
        pixels = pixels[..., :-1] * alpha + (np.float32(1) - alpha)
        if pixels.shape[2] == 1:
            pixels = pixels[..., 0]
    if channels == 1:
        if pixels.ndim == 3:
            pixels = pixels @ _LUMA_WEIGHTS
    elif pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return np.ascontiguousarray(np.clip(pixels, 0, 1), dtype=np.float32)


class _TooLarge(Exception):
    """Internal signal: the header announces more pixels than allowed."""


def load_image(
    path: str | os.PathLike[str],
    channels: int = 1,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Read an image file into a float32 array in [0, 1].

    Parameters
    ----------
    path : str or os.PathLike
        A PNG, JPEG, GIF, BMP, TIFF, WebP... file (anything Pillow reads).
        Multi-frame files give their first frame.
    channels : {1, 3}, optional
        1 (default) gives a grayscale ``(H, W)`` image, 3 an RGB
        ``(H, W, 3)`` image.
    max_pixels : int, optional
        Refuse images with more than this many pixels (``H * W``), before
        decoding them. Default :data:`DEFAULT_MAX_PIXELS` (100 megapixels).

    Returns
    -------
    image : ndarray of float32
        Shape ``(H, W)`` or ``(H, W, 3)``, values in [0, 1], C-contiguous.

    Raises
    ------
    FileNotFoundError
        If nothing exists at `path` (the message names it).
    ValueError
        If `channels` is not 1 or 3, if the file is not a regular file, is
        not an image Pillow can read, is truncated or corrupt, or is larger
        than `max_pixels` (or than Pillow's own decompression-bomb limit);
        the message names the path and the reason.

    Notes
    -----
    * The EXIF orientation tag is applied, so a portrait photo taken with
      a rotated camera comes out upright (and with its shape swapped).
    * 8-bit samples are divided by 255, 16-bit ones (``I;16`` and ``I``
      modes) by 65535. Float (``F``) images already in [0, 1] are kept,
      others are rescaled from their minimum and maximum to [0, 1].
    * Transparency (RGBA, LA, palette with a transparent colour) is
      composited on a **white** background, the way a viewer shows it, and
      the alpha channel is dropped.
    * Palette, CMYK, YCbCr and other modes are converted to RGB by Pillow.
    * Grayscale from colour uses the ITU-R BT.601 luma
      ``0.299 R + 0.587 G + 0.114 B`` (as Pillow, libjpeg and
      ``tf.image.rgb_to_grayscale`` do), computed in float.
    * Pillow refuses files beyond twice ``PIL.Image.MAX_IMAGE_PIXELS``
      (about 179 megapixels by default) whatever `max_pixels` says; its
      warning below that limit is silenced, `max_pixels` decides.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> image = vd.load_image(vd.sample_path("camera"))
    >>> image.shape, image.dtype
    ((512, 512), dtype('float32'))
    >>> vd.load_image(vd.sample_path("camera"), channels=3).shape
    (512, 512, 3)
    """
    if isinstance(channels, bool) or channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3, got {channels!r}")
    limit = _as_int(max_pixels, "max_pixels")
    if limit < 1:
        raise ValueError(f"`max_pixels` must be a positive integer, got {max_pixels!r}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a str or os.PathLike, got {type(path).__name__}")
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(errno.ENOENT, "no image file at this path", str(file))
    # A FIFO or a device would block or never end: read regular files only.
    if not file.is_file():
        raise ValueError(f"cannot read image '{file}': not a regular file")

    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as opened:
                width, height = opened.size
                if width * height > limit:
                    raise _TooLarge(
                        f"cannot read image '{file}': {height}x{width} = {width * height} "
                        f"pixels is more than `max_pixels` = {limit}"
                    )
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                pixels = _pixels_in_unit_range(upright)
    except _TooLarge as exc:
        raise ValueError(str(exc)) from None
    except FileNotFoundError:  # removed between the check above and the read
        raise FileNotFoundError(errno.ENOENT, "no image file at this path", str(file)) from None
    except Image.DecompressionBombError as exc:
        raise ValueError(f"cannot read image '{file}': too large, {exc}") from None
    except Image.UnidentifiedImageError:
        raise ValueError(
            f"cannot read image '{file}': not an image format Pillow recognises"
        ) from None
    except MemoryError:
        raise
    except Exception as exc:  # decoders raise OSError, SyntaxError, struct.error...
        reason = str(exc) or type(exc).__name__
        raise ValueError(f"cannot read image '{file}': {reason}") from exc
    return _to_channels(pixels, channels)


# ---------------------------------------------------------------------------
# bundled sample photos
# ---------------------------------------------------------------------------

#: Read-only mapping from sample name to ``(file name, description)``.
#: Sources and licences are in ``ventanal/samples/LICENSES.md``.
SAMPLES: types.MappingProxyType[str, tuple[str, str]] = types.MappingProxyType(
    {
        "camera": ("camera.jpg", "Man with a camera on a tripod, grayscale, 512x512."),
        "astronaut": ("astronaut.jpg", "Astronaut Eileen Collins, NASA portrait, 512x512."),
        "coffee": ("coffee.jpg", "A cup of coffee on a wooden table, 341x512."),
        "chelsea": ("chelsea.jpg", "Chelsea the cat, 300x451."),
        "rocket": ("rocket.jpg", "Falcon 9 launch on its pad, 342x512."),
        "hubble": ("hubble.jpg", "Hubble eXtreme Deep Field, galaxies at many scales, 446x512."),
        "street": (
            "street.jpg",
            "Synthetic street scene with cars at two scales and a bus (drawn, not a photo), "
            "320x512.",
        ),
    }
)


def sample_names() -> tuple[str, ...]:
    """Names of the bundled sample photos, for :func:`sample`.

    Returns
    -------
    names : tuple of str

    Examples
    --------
    >>> import ventanal.data as vd
    >>> "camera" in vd.sample_names()
    True
    """
    return tuple(SAMPLES)


def sample_path(name: str) -> Path:
    """Path of a bundled sample photo's file.

    Parameters
    ----------
    name : str
        One of :func:`sample_names`.

    Returns
    -------
    path : pathlib.Path
        The file inside the installed package (``ventanal/samples/``). This
        assumes the package is installed as files on disk (the usual case,
        wheels and editable installs alike), not imported from a zip archive.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.sample_path("camera").name
    'camera.jpg'
    """
    if not isinstance(name, str) or name not in SAMPLES:
        raise ValueError(f"`name` must be one of {', '.join(SAMPLES)}; got {name!r}")
    from importlib.resources import files

    return Path(str(files("ventanal").joinpath("samples", SAMPLES[name][0])))


def sample(name: str, channels: int = 3) -> np.ndarray:
    """A bundled sample photo as a float32 array in [0, 1].

    Parameters
    ----------
    name : str
        One of :func:`sample_names`.
    channels : {3, 1}, optional
        3 (default) for RGB ``(H, W, 3)``, 1 for grayscale ``(H, W)``.

    Returns
    -------
    image : ndarray of float32

    See Also
    --------
    load_image : the loader used, with its conventions.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.sample("camera", channels=1).shape
    (512, 512)
    """
    return load_image(sample_path(name), channels=channels)
