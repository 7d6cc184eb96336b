"""Synthetic images of the lessons: :func:`circle` and :func:`two_dots`.

:func:`circle` reproduces the Kaggle "Computer Vision" course's
``visiontools.circle`` pixel for pixel without scikit-image or SciPy, so the
few lines of those libraries it relies on (a Bresenham circle, a Gaussian
smoothing and a nearest-neighbour resize) are written out here with their
exact rounding. :func:`two_dots` is the feature map of the lesson on
translation invariance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._common import as_int, as_size

__all__ = ["circle", "two_dots"]

# scipy.ndimage.gaussian_filter1d's default `truncate`: its kernel reaches 4 standard
# deviations on each side.
_SCIPY_TRUNCATE = 4.0
# scipy.ndimage.gaussian_filter leaves an axis untouched when its sigma is at most this.
_SCIPY_NEGLIGIBLE_SIGMA = 1e-15


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
    radius = int(_SCIPY_TRUNCATE * sigma + 0.5)
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
            if sigma > _SCIPY_NEGLIGIBLE_SIGMA:
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
    height, width = as_size(size)
    shrink = as_int(r_shrink, "r_shrink")
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
    """Two single-pixel dots on a black image, where the course draws them.

    The lesson's feature map whose two dots become indistinguishable after
    repeated max pooling (translation invariance). As the course's
    ``two_dots(size, x=3, y=5)``, the dots are at row `x`, column `y` and
    at row `y`, column `x`: two points mirrored across the main diagonal.

    Parameters
    ----------
    size : int or (int, int)
        Image shape ``(h, w)``; an int gives a square image.
    x, y : int, optional
        The two coordinates. Both dots must lie inside the image:
        ``0 <= x, y < min(h, w)`` on a square image, and on a rectangular
        one ``x, y < h`` and ``x, y < w``. ``x == y`` gives a single dot.

    Returns
    -------
    image : (h, w) ndarray of float32
        Zeros, with 1 at ``(x, y)`` and ``(y, x)``. (The course returns
        float64; ventanal works in float32 throughout.)

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.two_dots((7, 7)).astype(int)
    array([[0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 1, 0],
           [0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 1, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0]])
    """
    height, width = as_size(size)
    coordinates = {"x": as_int(x, "x"), "y": as_int(y, "y")}
    limit = min(height, width)
    for name, value in coordinates.items():
        if not 0 <= value < limit:
            raise ValueError(
                f"`{name}` must put both dots inside the {height}x{width} image "
                f"(row and column), 0 <= {name} < {limit}, got {value}"
            )
    image = np.zeros((height, width), dtype=np.float32)
    row, col = coordinates["x"], coordinates["y"]
    image[row, col] = 1.0
    image[col, row] = 1.0
    return image
