"""A kernel as a heat map with its weights written in the cells (the course's ``show_kernel``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .common import as_kernel, format_shape, format_value
from .drawing import (
    DIVERGING,
    KERNEL_SEQUENTIAL,
    TITLE_SIZE,
    bare_axes,
    is_signed,
    new_figure,
    signed_limits,
    text_colour,
)
from .i18n import check_lang, text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["show_kernel"]

#: Inches per kernel cell in a new figure: a two-digit weight in 0.45 of it stays legible.
CELL_INCHES = 0.85
#: Smallest new figure (inches): room for the title above a 1×1 or 2×2 kernel.
MIN_FIGSIZE = (2.6, 2.4)
#: Inches added around the cells: the title above (height), the side margins (width).
FRAME_INCHES = (0.5, 0.8)
#: Bounds of the automatic font size of the weights (points): readable, never clipped.
VALUE_SIZE_RANGE = (6, 28)

def show_kernel(kernel: Any, label: bool = True, digits: int | None = None,
                text_size: float | None = None, *, cmap: str | None = None,
                lang: str = "en", ax: Axes | None = None,
                figsize: Sequence[float] | None = None) -> Figure:
    """Heat map of a kernel with its values written in the cells.

    Parameters
    ----------
    kernel : array_like or str
        A 1-D or 2-D kernel, or a name of :func:`ventanal.data.kernel`
        (``"bottom_sobel"``, ``"edge"``, ...).
    label : bool, optional
        Write each value in its cell (default True).
    digits : int, optional
        Round values to this many decimals (as the course's ``show_kernel``);
        by default integers print as integers and others with 3 significant
        digits.
    text_size : float, optional
        Font size of the values; by default it scales with the cell size.
    cmap : str, optional
        Colour map. Default: diverging ``"RdBu_r"`` centred on 0 when the
        kernel has negative weights (so 0 is white and the sign is the hue),
        sequential ``"Blues"`` otherwise.
    lang : {"en", "es"}, optional
        Language of the title.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    figsize : (float, float), optional
        Size of a new figure; by default about 0.9 inch per cell.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the plot; its axes' image holds the kernel.

    Examples
    --------
    >>> from ventanal.viz import show_kernel
    >>> fig = show_kernel([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    >>> ax = fig.axes[0]
    >>> ax.get_title()
    'Kernel 3×3'
    >>> [t.get_text() for t in ax.texts][:3]
    ['-1', '-2', '-1']
    >>> show_kernel("blur", lang="es").axes[0].get_title()
    'Kernel 3×3'
    """
    check_lang(lang)
    values = as_kernel(kernel).astype(np.float64)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError(f"`kernel` must be 1-D or 2-D, got shape {values.shape}")
    if digits is not None:
        values = values.round(digits)
    shape = np.shape(as_kernel(kernel))
    rows, cols = values.shape

    from matplotlib.colors import Normalize

    if ax is None:
        if figsize is None:
            figsize = (max(MIN_FIGSIZE[0], CELL_INCHES * cols + FRAME_INCHES[0]),
                       max(MIN_FIGSIZE[1], CELL_INCHES * rows + FRAME_INCHES[1]))
        fig = new_figure(figsize)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    if is_signed(values):
        lo, hi = signed_limits(values)
        cmap = cmap or DIVERGING
    else:
        finite = values[np.isfinite(values)]
        lo, hi = 0.0, float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        cmap = cmap or KERNEL_SEQUENTIAL
    norm = Normalize(vmin=lo, vmax=hi)
    image = ax.imshow(values, cmap=cmap, norm=norm, interpolation="nearest")
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="both", length=0)
    bare_axes(ax)
    ax.set_title(text("title.kernel", lang, shape=format_shape(shape)),
                 fontsize=TITLE_SIZE, fontweight="bold")
    if label:
        if text_size is None:
            width_in = fig.get_size_inches()[0] * ax.get_position().width
            cell_points = 72 * width_in / max(cols, 1)
            longest = max(len(format_value(v, digits)) for v in values.ravel())
            # A digit is about 0.6 em wide: fill 80% of the cell's width, 45% of its height.
            text_size = float(np.clip(min(cell_points * 0.8 / (0.6 * max(longest, 2)),
                                          cell_points * 0.45), *VALUE_SIZE_RANGE))
        colormap = image.get_cmap()
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, format_value(v, digits), ha="center", va="center",
                    fontsize=text_size, color=text_colour(colormap(norm(v))))
    return fig

