"""Translation invariance of max pooling: measured (:func:`invariance_experiment`), then drawn.

:func:`invariance_experiment` shifts an image by a few pixels and counts the
pooled outputs that do not change (no matplotlib); :func:`show_invariance`
draws the lesson's two dots merging under repeated pooling above the
measured curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import geometry
from ..ops import conv, max_pool, relu
from .common import as_image, as_kernel, format_shape, op_label, to_gray
from .drawing import (
    LABEL_SIZE,
    SEQUENTIAL,
    TITLE_SIZE,
    bare_axes,
    fit_text,
    new_figure,
    panel_width,
)
from .i18n import check_lang, text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["InvarianceResult", "invariance_experiment", "show_invariance"]

#: One curve per number of poolings, darker as the pooling repeats (the oranges of
#: the sequential map): the eye reads the order without the legend.
POOLING_COLOURS = ("#fdae6b", "#e6550d", "#a63603", "#7f2704", "#4d1802")
#: The curve without pooling is the reference: grey and dashed, behind the others.
REFERENCE_COLOUR = "#888888"
#: Lines between pixels are drawn only on images this small (beyond, they hide the pixels).
PIXEL_GRID_MAX = 32
#: Dark grey lines: visible on the bright pixels and on the dark ones of ``magma``.
PIXEL_GRID_COLOUR = "#444444"
#: Inches the curves' y label and ticks take: their title, centred on the curves, has
#: the figure's width less twice this.
AXIS_INCHES = 0.8

@dataclass(frozen=True)
class InvarianceResult:
    """Fractions of pooled outputs unchanged by a shift.

    Attributes
    ----------
    shifts : numpy.ndarray
        0, 1, ..., max_shift (pixels).
    fractions : numpy.ndarray
        ``fractions[r, k]``: after ``r`` poolings (row 0: the feature map
        itself), the fraction of outputs of the image shifted by ``k``
        identical to those of the unshifted image.
    shapes : list of tuple
        Shape of the compared arrays after ``r`` poolings.
    """

    shifts: np.ndarray
    fractions: np.ndarray
    shapes: list[tuple[int, ...]]


def invariance_experiment(image: Any, kernel: Any = None, max_shift: int = 8,
                          repeats: int = 3, pool_size: int = 2, pool_stride: int = 2,
                          pool_padding: str = "same") -> InvarianceResult:
    """Shift an image by 0..max_shift pixels and count the pooled outputs that do not change.

    The image is cropped at column ``k`` (a shift of its content by ``k``
    pixels to the left, with no wrap-around and equal widths), optionally
    turned into a feature map (``relu(conv(image, kernel))``, VALID), then
    max-pooled ``r`` times for ``r = 0 .. repeats``. Each result is
    compared, cell by cell and exactly, with that of the unshifted crop.

    Parameters
    ----------
    image : array_like
        2-D image (an RGB image is turned to gray).
    kernel : array_like or str, optional
        Filter of a feature map to pool instead of the image (e.g.
        ``"bottom_sobel"``); default None pools the image itself.
    max_shift : int, optional
        Largest shift in pixels (default 8).
    repeats : int, optional
        Number of poolings (default 3).
    pool_size, pool_stride, pool_padding : optional
        The pooling window (default the lesson's 2, 2, ``"same"``).

    Returns
    -------
    InvarianceResult

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((16, 24)); image[8, 5] = 1
    >>> result = invariance_experiment(image, kernel=None, max_shift=2, repeats=2)
    >>> result.fractions.round(3).tolist()
    [[1.0, 0.994, 0.994], [1.0, 1.0, 0.977], [1.0, 1.0, 0.917]]

    Shifting the dot by one pixel changes two cells of the image, but keeps
    it in the same 2×2 pooling window: the pooled map does not change.
    """
    x = to_gray(as_image(image)).astype(np.float64)
    k_max = geometry.normalize_tuple(max_shift, 1, "max_shift", minimum=0)[0]
    r_max = geometry.normalize_tuple(repeats, 1, "repeats", minimum=0)[0]
    width = x.shape[1] - k_max
    if width < 1:
        raise ValueError(f"`max_shift` ({k_max}) must be smaller than the image width "
                         f"({x.shape[1]})")
    w = None if kernel is None else as_kernel(kernel).astype(np.float64)
    if w is not None and w.ndim != 2:
        raise ValueError(f"`kernel` must be 2-D, got shape {w.shape}")

    def pooled_stack(crop: np.ndarray) -> list[np.ndarray]:
        feature = crop if w is None else relu(conv(crop, w))
        stack = [feature]
        for _ in range(r_max):
            stack.append(max_pool(stack[-1], pool_size, strides=pool_stride,
                                  padding=pool_padding))
        return stack

    reference = pooled_stack(x[:, :width])
    fractions = np.empty((r_max + 1, k_max + 1))
    for k in range(k_max + 1):
        shifted = pooled_stack(x[:, k:k + width])
        for r, (a, b) in enumerate(zip(reference, shifted, strict=True)):
            fractions[r, k] = float(np.mean(a == b))
    return InvarianceResult(np.arange(k_max + 1), fractions, [a.shape for a in reference])

# ---------------------------------------------------------------------------
# show_invariance
# ---------------------------------------------------------------------------

def _pixel_grid(ax: Axes, shape: Sequence[int]) -> None:
    """Thin lines between the pixels of a small image, so they can be counted."""
    rows, cols = shape[:2]
    if max(rows, cols) > PIXEL_GRID_MAX:
        return
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color=PIXEL_GRID_COLOUR, linewidth=0.5)
    ax.tick_params(which="both", length=0)


def show_invariance(image: Any = None, *, kernel: Any = None, max_shift: int = 8,
                    repeats: int = 3, pool_size: int = 2, pool_stride: int = 2,
                    pool_padding: str = "same", dots: Any = None, image_label: str | None = None,
                    result: Any = None, lang: str = "en", fig: Figure | None = None,
                    figsize: Sequence[float] = (14, 8.5)) -> Figure:
    """Translation invariance of max pooling: the lesson's two dots, then a measurement.

    Top row: the lesson's feature map with two dots (``vt.data.two_dots``),
    max-pooled again and again until the dots become one. Bottom: an image
    shifted by 0..``max_shift`` pixels and max-pooled ``r`` times (or first
    turned into a feature map ``relu(conv(image, kernel))``); the curves
    give the fraction of outputs identical to those of the unshifted image
    (see :func:`invariance_experiment`).

    Parameters
    ----------
    image : array_like, optional
        Image of the experiment; default the ``camera`` sample photo.
    kernel : array_like, str or None, optional
        If given (e.g. ``"bottom_sobel"``), pool the feature map
        ``relu(conv(image, kernel))`` instead of the image itself (default).
    max_shift, repeats : int, optional
        Shifts 0..max_shift pixels; 1..repeats poolings (defaults 8 and 3).
    pool_size, pool_stride, pool_padding : optional
        The pooling (default the lesson's 2, 2, ``"same"``).
    dots : array_like, optional
        The top row's feature map; default ``two_dots((16, 16))``.
    image_label : str, optional
        Name of the image in the title.
    result : InvarianceResult, optional
        A precomputed experiment (skips the computation).
    lang : {"en", "es"}, optional
    fig : matplotlib.figure.Figure, optional
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.ventanal_data`` holds the pooled dots and the experiment.

    Examples
    --------
    >>> import numpy as np
    >>> from ventanal.viz import show_invariance
    >>> image = np.random.default_rng(0).random((40, 48))
    >>> fig = show_invariance(image, max_shift=3, repeats=2)
    >>> fig.axes[0].get_title(), fig.axes[2].get_title()
    ('Feature map 16×16', 'After 2 poolings 4×4')
    >>> dots, result = fig.ventanal_data
    >>> result.fractions.shape
    (3, 4)
    """
    from .. import data

    check_lang(lang)
    if image is None:
        image = data.sample("camera", channels=1)
        image_label = image_label or "camera"
    image_label = image_label or ("image" if lang == "en" else "imagen")
    feature = data.two_dots((16, 16)) if dots is None else as_image(dots, "dots")
    feature = to_gray(feature)
    if result is None:
        result = invariance_experiment(image, kernel, max_shift=max_shift, repeats=repeats,
                                       pool_size=pool_size, pool_stride=pool_stride,
                                       pool_padding=pool_padding)
    repeats = result.fractions.shape[0] - 1
    pooled = [feature]
    for _ in range(repeats):
        pooled.append(np.asarray(max_pool(pooled[-1], pool_size, strides=pool_stride,
                                          padding=pool_padding)))

    fig = new_figure(figsize, fig)
    columns = max(repeats + 1, 2)
    grid = fig.add_gridspec(2, columns, height_ratios=(1, 1.15))
    for r, values in enumerate(pooled):
        ax = fig.add_subplot(grid[0, r])
        ax.imshow(values, cmap=SEQUENTIAL, vmin=0, vmax=max(float(feature.max()), 1e-12),
                  interpolation="nearest")
        bare_axes(ax)
        _pixel_grid(ax, values.shape)
        shape = format_shape(values.shape)
        if r == 0:
            title = text("inv.original", lang, shape=shape)
        else:
            title = text("inv.after" if r == 1 else "inv.after_plural", lang, count=r,
                         shape=shape)
        fitted = fit_text(title, panel_width(fig, columns), TITLE_SIZE - 2, weight="bold")
        ax.set_title(fitted.text, fontsize=fitted.size, fontweight="bold")
    n_window = (pool_size,) * 2 if isinstance(pool_size, int) else tuple(pool_size)
    n_stride = (pool_stride,) * 2 if isinstance(pool_stride, int) else tuple(pool_stride)
    op = op_label("max", n_window, n_stride, pool_padding, lang)

    ax = fig.add_subplot(grid[1, :])
    colours = POOLING_COLOURS
    ax.plot(result.shifts, result.fractions[0] * 100, linestyle="--", color=REFERENCE_COLOUR,
            marker="o", markersize=4, label=text("inv.legend_zero", lang))
    for r in range(1, repeats + 1):
        ax.plot(result.shifts, result.fractions[r] * 100, marker="o", linewidth=2.2,
                color=colours[(r - 1) % len(colours)],
                label=text("inv.legend", lang, count=r, shape=format_shape(result.shapes[r])))
    ax.set_xlabel(text("inv.xlabel", lang), fontsize=LABEL_SIZE + 1)
    ax.set_ylabel(text("inv.ylabel", lang), fontsize=LABEL_SIZE + 1)
    ax.set_xticks(result.shifts)
    ax.set_ylim(0, 102)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=LABEL_SIZE - 1, loc="upper right", frameon=False)
    pooled_what = format_shape(result.shapes[0])
    if kernel is not None:
        pooled_what = text("inv.feature_map", lang, kernel=kernel if isinstance(kernel, str)
                           else "kernel") + " " + pooled_what
    fitted = fit_text(text("inv.experiment_title", lang, image=image_label,
                           max_shift=int(result.shifts[-1]), op=op, what=pooled_what),
                      panel_width(fig, 1) - 2 * AXIS_INCHES, TITLE_SIZE - 1, weight="bold")
    ax.set_title(fitted.text, fontsize=fitted.size, fontweight="bold")
    fitted = fit_text(text("inv.dots_title", lang), panel_width(fig, 1), TITLE_SIZE + 1)
    fig.suptitle(fitted.text, fontsize=fitted.size)
    fig.ventanal_data = (pooled, result)  # type: ignore[attr-defined]
    return fig

