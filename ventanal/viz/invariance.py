"""Translation invariance of max pooling: the lesson's two dots, then a measured experiment.

:func:`show_invariance` draws the lesson's two dots merging under repeated
pooling above the curves of :func:`invariance_experiment` (in
``invariance_measure``, with :func:`shared_activity` and
:func:`format_invariance_table`, re-exported here): how much activity the
pooled maps of an image and of its shifted copies have in common.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ops import max_pool
from .common import as_image, format_shape, op_label, to_gray
from .drawing import LABEL_SIZE, SEQUENTIAL, TITLE_SIZE, bare_axes, fit_text, new_figure
from .i18n import check_lang, text
from .invariance_measure import (
    InvarianceResult,
    format_invariance_table,
    invariance_experiment,
    shared_activity,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["InvarianceResult", "invariance_experiment", "shared_activity",
           "format_invariance_table", "show_invariance"]

#: One curve per number of poolings, darker as the pooling repeats (the oranges of
#: the sequential map): the eye reads the order without the legend.
POOLING_COLOURS = ("#fdae6b", "#e6550d", "#a63603", "#7f2704", "#4d1802")
#: The curve without pooling is the reference: grey and dashed, behind the others.
REFERENCE_COLOUR = "#888888"
#: Lines between pixels are drawn only on images this small (beyond, they hide the pixels).
PIXEL_GRID_MAX = 32
#: Dark grey lines: visible on the bright pixels and on the dark ones of ``magma``.
PIXEL_GRID_COLOUR = "#444444"
#: Inches beside the measured plot taken by the legend and the y axis.
LEGEND_INCHES = 3.4
#: Inches kept free between neighbouring titles, and at the figure's edges.
PANEL_GAP = 0.25

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
                    repeats: int = 3, pool_size: Any = 2, pool_stride: Any = 2,
                    pool_padding: Any = "same", align: bool = False, dots: Any = None,
                    image_label: str | None = None, kernel_label: str | None = None,
                    result: InvarianceResult | None = None, lang: str = "en",
                    fig: Figure | None = None,
                    figsize: Sequence[float] = (14, 9.5)) -> Figure:
    """Translation invariance of max pooling: the lesson's two dots, then a measurement.

    Top row: the lesson's feature map with two dots (``vt.data.two_dots``),
    max-pooled again and again until the dots become one. Bottom: an image
    shifted by 0..``max_shift`` pixels on a canvas of zeros and max-pooled
    ``r`` times (or first turned into a feature map
    ``relu(conv(image, kernel))``). Each curve gives, for one ``r``, the
    *shared activity* of the maps of the unshifted image (``a``) and of the
    shifted one (``b``)::

        Σ min(a, b) / Σ max(a, b)

    100% for identical maps, 0% when no cell is active in both; cells that
    are zero in both maps count for nothing, so the zeros of a ReLU are not
    taken for agreement; a gap in a curve means both maps are all zero
    (undefined). The figure's caption says the same (see
    :func:`shared_activity` and :func:`invariance_experiment`).

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
    align : bool, optional
        Compare the maps aligned on the pooled grid (default False; see
        :func:`invariance_experiment`).
    dots : array_like, optional
        The top row's feature map; default ``two_dots((16, 16))``.
    image_label, kernel_label : str, optional
        Names of the image and of the kernel in the title (default: the
        sample's or kernel's name when given by name).
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
    >>> from ventanal import data
    >>> from ventanal.viz import show_invariance
    >>> circle = data.circle([64, 64], val=1.0, r_shrink=3)
    >>> fig = show_invariance(circle, kernel="bottom_sobel", max_shift=4, repeats=2)
    >>> fig.axes[0].get_title(), fig.axes[2].get_title()
    ('Feature map 16×16', 'After 2 poolings 4×4')
    >>> dots, result = fig.ventanal_data
    >>> result.shared.shape
    (3, 5)
    >>> bool(result.mean_shared[2] > result.mean_shared[0])  # pooling keeps more
    True
    """
    from .. import data

    check_lang(lang)
    if image is None:
        image = data.sample("camera", channels=1)
        image_label = image_label or "camera"
    image_label = image_label or ("image" if lang == "en" else "imagen")
    if kernel_label is None and kernel is not None:
        kernel_label = kernel if isinstance(kernel, str) else "kernel"
    feature = data.two_dots((16, 16)) if dots is None else as_image(dots, "dots")
    feature = to_gray(feature)
    if result is None:
        result = invariance_experiment(image, kernel, max_shift=max_shift, repeats=repeats,
                                       pool_size=pool_size, pool_stride=pool_stride,
                                       pool_padding=pool_padding, align=align)
    repeats = result.shared.shape[0] - 1
    pooled = [feature]
    for _ in range(repeats):
        pooled.append(np.asarray(max_pool(pooled[-1], pool_size, strides=pool_stride,
                                          padding=pool_padding)))

    fig = new_figure(figsize, fig)
    grid = fig.add_gridspec(2, max(repeats + 1, 2), height_ratios=(1, 1.15))
    # The legend beside the measured plot narrows every column, the top row's too.
    plot_inches = max(fig.get_figwidth() - LEGEND_INCHES, 0.4 * fig.get_figwidth())
    panel = max(0.5, plot_inches / grid.ncols - PANEL_GAP)
    for r, values in enumerate(pooled):
        ax = fig.add_subplot(grid[0, r])
        ax.imshow(values, cmap=SEQUENTIAL, vmin=0, vmax=max(float(feature.max()), 1e-12),
                  interpolation="nearest")
        bare_axes(ax)
        _pixel_grid(ax, values.shape)
        fitted = fit_text(_dots_title(r, format_shape(values.shape), lang), panel,
                          TITLE_SIZE - 2, weight="bold")
        ax.set_title(fitted.text, fontsize=fitted.size, fontweight="bold")
    n_window = (pool_size,) * 2 if isinstance(pool_size, int) else tuple(pool_size)
    n_stride = (pool_stride,) * 2 if isinstance(pool_stride, int) else tuple(pool_stride)
    op = op_label("max", n_window, n_stride, pool_padding, lang)

    ax = fig.add_subplot(grid[1, :])
    _plot_curves(ax, result, lang)
    pooled_what = format_shape(result.shapes[0])
    if kernel_label is not None:
        pooled_what = text("inv.feature_map", lang, kernel=kernel_label) + " " + pooled_what
    width = fig.get_figwidth()
    fitted = fit_text(text("inv.experiment_title", lang, image=image_label,
                           max_shift=int(result.shifts[-1]), op=op, what=pooled_what),
                      plot_inches, TITLE_SIZE - 1, weight="bold")
    ax.set_title(fitted.text, fontsize=fitted.size, fontweight="bold")
    caption = text("inv.caption", lang)
    if result.align:
        caption += "\n" + text("inv.caption_aligned", lang)
    fitted = fit_text(caption, width - 2 * PANEL_GAP, LABEL_SIZE - 1,
                      max_lines=caption.count("\n") + 4)
    fig.supxlabel(fitted.text, fontsize=fitted.size, linespacing=1.4)
    fitted = fit_text(text("inv.dots_title", lang), width - 2 * PANEL_GAP, TITLE_SIZE + 1)
    fig.suptitle(fitted.text, fontsize=fitted.size)
    fig.ventanal_data = (pooled, result)  # type: ignore[attr-defined]
    return fig


def _dots_title(r: int, shape: str, lang: str) -> str:
    """Title of the top row's panel after ``r`` poolings."""
    if r == 0:
        return text("inv.original", lang, shape=shape)
    return text("inv.after" if r == 1 else "inv.after_plural", lang, count=r, shape=shape)


def _plot_curves(ax: Axes, result: InvarianceResult, lang: str) -> None:
    """One curve of shared activity (%) against the shift per number of poolings."""
    ax.plot(result.shifts, result.shared[0] * 100, linestyle="--", color=REFERENCE_COLOUR,
            marker="o", markersize=4, label=text("inv.legend_zero", lang))
    for r in range(1, result.shared.shape[0]):
        ax.plot(result.shifts, result.shared[r] * 100, marker="o", linewidth=2.2,
                color=POOLING_COLOURS[(r - 1) % len(POOLING_COLOURS)],
                label=text("inv.legend", lang, count=r, shape=format_shape(result.shapes[r]),
                           jump=result.jumps[r]))
    ax.set_xlabel(text("inv.xlabel", lang), fontsize=LABEL_SIZE + 1)
    ax.set_ylabel(text("inv.ylabel", lang), fontsize=LABEL_SIZE + 1)
    ax.set_xticks(result.shifts)
    ax.set_ylim(0, 102)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # Beside the plot, not on it: aligned curves come back to 100% at every jump.
    ax.legend(fontsize=LABEL_SIZE - 1, loc="upper left", bbox_to_anchor=(1.01, 1),
              frameon=False)
