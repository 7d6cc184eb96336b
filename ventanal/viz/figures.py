"""Teaching figures (matplotlib): kernels, feature extraction, invariance, shapes.

Every function returns a :class:`matplotlib.figure.Figure` and takes
``lang="en"`` or ``"es"`` for every title and label. Figures are created
without pyplot's global state (so a script, a server or a test can make
thousands of them without leaking); in a notebook the returned figure
displays itself. To draw into pyplot's current figure instead, pass
``fig=plt.figure()`` (or ``ax=`` where offered) and call ``plt.show()``.

Matplotlib is imported when a function is first called, never by
``import ventanal``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import geometry
from ..ops import max_pool, pool
from ._common import (
    as_image,
    as_kernel,
    format_shape,
    format_tuple,
    format_value,
    op_label,
    to_gray,
)
from .i18n import check_lang, text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["show_kernel", "show_extraction"]

#: Colour map for activations and images (the course's ``magma``).
SEQUENTIAL = "magma"
#: Colour map for signed data (kernels, convolution outputs), centred on 0.
DIVERGING = "RdBu_r"
#: Colour map for kernels without negative weights (blur, box, gaussian).
KERNEL_SEQUENTIAL = "Blues"

TITLE_SIZE = 15
LABEL_SIZE = 11


def new_figure(figsize: Sequence[float], fig: Figure | None = None,
               layout: str = "constrained") -> Figure:
    """A new Figure (``layout`` engine), or ``fig`` (cleared) when given.

    ``"compressed"`` suits grids of fixed-aspect images.
    """
    if fig is not None:
        fig.clear()
        if fig.get_layout_engine() is None:
            fig.set_layout_engine(layout)
        return fig
    if "IPython" in sys.modules:
        # In a notebook, pyplot's import registers the inline display of figures.
        import matplotlib.pyplot  # noqa: F401
    from matplotlib.figure import Figure

    return Figure(figsize=tuple(figsize), layout=layout)


def _signed_limits(array: np.ndarray) -> tuple[float, float]:
    finite = array[np.isfinite(array)]
    bound = float(np.abs(finite).max()) if finite.size else 1.0
    bound = bound or 1.0
    return -bound, bound


def _is_signed(array: np.ndarray) -> bool:
    finite = array[np.isfinite(array)]
    return bool(finite.size) and float(finite.min()) < 0


def _text_colour(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba``."""
    r, g, b = rgba[:3]
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.5 else "white"


def _bare_axes(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


# ---------------------------------------------------------------------------
# show_kernel
# ---------------------------------------------------------------------------

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
            figsize = (max(2.6, 0.85 * cols + 0.5), max(2.4, 0.85 * rows + 0.8))
        fig = new_figure(figsize)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    if _is_signed(values):
        lo, hi = _signed_limits(values)
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
    _bare_axes(ax)
    ax.set_title(text("title.kernel", lang, shape=format_shape(shape)),
                 fontsize=TITLE_SIZE, fontweight="bold")
    if label:
        if text_size is None:
            width_in = fig.get_size_inches()[0] * ax.get_position().width
            cell_points = 72 * width_in / max(cols, 1)
            longest = max(len(format_value(v, digits)) for v in values.ravel())
            # A digit is about 0.6 em wide: fill 80% of the cell's width, 45% of its height.
            text_size = float(np.clip(min(cell_points * 0.8 / (0.6 * max(longest, 2)),
                                          cell_points * 0.45), 6, 28))
        colormap = image.get_cmap()
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, format_value(v, digits), ha="center", va="center",
                    fontsize=text_size, color=_text_colour(colormap(norm(v))))
    return fig


# ---------------------------------------------------------------------------
# show_extraction
# ---------------------------------------------------------------------------

_STAGES = ("input", "filter", "detect", "condense")


def _stage_key(name: str) -> str:
    key = str(name).strip().lower()
    for stage in _STAGES:
        if key in (stage, text(f"stage.{stage}", "es").lower()):
            return stage
    raise ValueError(f"`ops` entries must be among 'Input', 'Filter', 'Detect', 'Condense', "
                     f"got {name!r}")


def show_extraction(image: Any, kernel: Any, conv_stride: int = 1, conv_padding: str = "valid",
                    activation: str | None = "relu", pool_size: int = 2, pool_stride: int = 2,
                    pool_padding: str = "same", subplot_shape: tuple[int, int] = (1, 4),
                    figsize: Sequence[float] = (14, 6),
                    ops: Sequence[str] = ("Input", "Filter", "Detect", "Condense"),
                    gamma: float = 1.0, *, cmap: str = SEQUENTIAL, lang: str = "en",
                    fig: Figure | None = None) -> Figure:
    """The four stages of feature extraction: Input, Filter, Detect, Condense.

    The course's ``show_extraction`` (same arguments and defaults), with
    each panel titled with its shape and captioned with its window.

    Parameters
    ----------
    image : array_like
        ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``; an RGB image is turned
        into grayscale (BT.601 luma) first, as the kernel is 2-D. A 1-D
        sequence is drawn as bars.
    kernel : array_like or str
        2-D kernel (1-D for a sequence), or a kernel name (``"bottom_sobel"``).
    conv_stride, conv_padding, activation, pool_size, pool_stride, pool_padding
        As in :func:`ventanal.extract` (the course's defaults).
    subplot_shape : (int, int), optional
        Grid of panels, default ``(1, 4)``.
    figsize : (float, float), optional
        Default ``(14, 6)``.
    ops : sequence of str, optional
        The panels to draw, among ``"Input"``, ``"Filter"``, ``"Detect"``,
        ``"Condense"``.
    gamma : float, optional
        Display gamma of the Detect and Condense panels (the course's
        ``tf.image.adjust_gamma``); 1 shows the values as computed.
    cmap : str, optional
        Sequential colour map of the input and the (non-negative)
        activations; default ``"magma"`` (the course's). The Filter panel,
        signed, uses the diverging ``"RdBu_r"`` centred on 0.
    lang : {"en", "es"}, optional
    fig : matplotlib.figure.Figure, optional
        Draw into this figure (cleared first).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel; each axes' image holds the stage's array.

    Examples
    --------
    The lesson's circle and the bottom Sobel kernel:

    >>> import ventanal as vt
    >>> from ventanal.viz import show_extraction
    >>> image = vt.data.circle([64, 64], val=1.0, r_shrink=3)
    >>> fig = show_extraction(image, "bottom_sobel")
    >>> panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    >>> [ax.get_title() for ax in panels]
    ['Input 64×64', 'Filter 62×62', 'Detect 62×62', 'Condense 31×31']
    >>> bool((panels[3].images[0].get_array() == vt.extract(image, "bottom_sobel").condense).all())
    True
    >>> fig = show_extraction(image, "bottom_sobel", conv_stride=3, lang="es")
    >>> fig.axes[-2].get_title()
    'Condensar 11×11'
    """
    check_lang(lang)
    from ..extract import extract

    stages_wanted = [_stage_key(name) for name in ops]
    rows, cols = (int(v) for v in subplot_shape)
    if rows * cols < len(stages_wanted):
        raise ValueError(f"`subplot_shape` {tuple(subplot_shape)} has room for {rows * cols} "
                         f"panels, but `ops` asks for {len(stages_wanted)}")
    w = as_kernel(kernel)
    sequence = w.ndim == 1
    if sequence:
        x = np.asarray(image, dtype=np.float64)
        if x.ndim != 1:
            raise ValueError(f"a 1-D kernel needs a 1-D sequence, got `image` of shape "
                             f"{x.shape}")
    else:
        x = to_gray(as_image(image))
        if w.ndim != 2:
            raise ValueError(f"`kernel` must be 2-D for an image, got shape {w.shape}")
    stages = extract(x, w, conv_stride=conv_stride, conv_padding=conv_padding,
                     activation=activation, pool_size=pool_size, pool_stride=pool_stride,
                     pool_padding=pool_padding)
    settings = stages.settings
    n = 1 if sequence else 2
    captions = {
        "input": "",
        "filter": op_label("conv", w.shape, settings["conv_stride"], conv_padding, lang),
        "detect": text("op.activation", lang,
                       name=activation if activation is not None else text("op.none", lang)),
        "condense": op_label("max", settings["pool_size"][:n], settings["pool_stride"][:n],
                             pool_padding, lang),
    }

    fig = new_figure(figsize, fig, layout="constrained" if sequence else "compressed")
    from matplotlib.colors import Normalize

    for index, stage in enumerate(stages_wanted):
        ax = fig.add_subplot(rows, cols, index + 1)
        values = np.asarray(stages[stage], dtype=np.float64)
        if stage in ("detect", "condense") and gamma != 1.0:
            values = np.power(np.clip(values, 0, None), gamma)
        signed = _is_signed(values)
        colour_map = DIVERGING if signed else cmap
        norm = Normalize(*_signed_limits(values)) if signed else None
        title = text("title.stage", lang, stage=text(f"stage.{stage}", lang),
                     shape=format_shape(values.shape))
        if sequence:
            _draw_sequence(ax, values, signed)
            ax.set_xlabel(captions[stage], fontsize=LABEL_SIZE)
        else:
            artist = ax.imshow(values, cmap=colour_map, norm=norm, interpolation="nearest")
            _bare_axes(ax)
            colorbar = fig.colorbar(artist, ax=ax, location="bottom", shrink=0.8, aspect=25,
                                    pad=0.02)
            colorbar.ax.tick_params(labelsize=9)
            colorbar.set_label(captions[stage], fontsize=LABEL_SIZE)
        ax.set_title(title, fontsize=TITLE_SIZE, fontweight="bold")
    fig.suptitle(text("title.extraction", lang), fontsize=TITLE_SIZE + 2)
    fig.ventanal_data = stages  # type: ignore[attr-defined]
    return fig


def _draw_sequence(ax: Axes, values: np.ndarray, signed: bool) -> None:
    positions = np.arange(values.size)
    colours = np.where(values < 0, "#2166ac", "#b2182b") if signed else "#b2182b"
    ax.bar(positions, values, color=colours, width=0.8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(positions)
    for position, value in zip(positions, values, strict=True):
        ax.annotate(format_value(value), (position, value), ha="center",
                    va="bottom" if value >= 0 else "top", fontsize=9,
                    xytext=(0, 2 if value >= 0 else -2), textcoords="offset points")
    ax.margins(y=0.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)




# ---------------------------------------------------------------------------
# show_shapes
# ---------------------------------------------------------------------------

_WINDOW_COLOURS = ("#3182bd", "#31a354", "#756bb1")
_GHOST = "#d62728"
_UNREAD = "#fcbba1"
_PAD_FACE = "#e0e0e0"


def show_shapes(input_shape: Any = (397, 397), window: Any = 2, strides: Any = 2,
                padding: Any = "same", dilations: Any = 1, *, lang: str = "en",
                fig: Figure | None = None, figsize: Sequence[float] | None = None) -> Figure:
    """Output size and padding under TensorFlow/Keras, PyTorch and NumPy, with the reasons.

    For every distinct spatial axis, one row per convention: TensorFlow /
    Keras ``padding="same"`` and ``"valid"`` (plus ventanal's row for any
    other ``padding``), PyTorch with ``ceil_mode=False`` and ``True``, and
    NumPy's ``sliding_window_view(x, k)[::s]``. Each row gives the output
    size, the padding per side, the arithmetic behind them ("why 199 and
    not 200"), and a drawing of the end of the axis with its last windows
    and the window that does not fit.

    Parameters
    ----------
    input_shape : int or sequence of int, optional
        Spatial shape, default the lesson's ``(397, 397)``.
    window, strides, dilations : int or sequence of int, optional
        The window; default the lesson's 2×2 pooling with stride 2.
    padding : str, int or sequence, optional
        The padding asked for (its row is marked), default ``"same"``.
        PyTorch's rows use it when it is an int (symmetric), else 0.
    lang : {"en", "es"}, optional
    fig : matplotlib.figure.Figure, optional
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    NumPy's ``sliding_window_view`` never pads: it gives every VALID
    window at stride 1, and slicing with ``[::s]`` keeps one in ``s``, so
    it always matches ``padding="valid"``; for "same" you must ``np.pad``
    first, with :func:`ventanal.padding_amounts`. Convolutions follow the
    same rules (PyTorch's ``ceil_mode`` exists for pooling only).

    Examples
    --------
    >>> from ventanal.viz import show_shapes
    >>> fig = show_shapes((397, 397), 2, 2, "same")
    >>> fig.texts[0].get_text()
    'Output size of a 2×2 window, stride 2, on 397×397'
    >>> "199" in [t.get_text() for ax in fig.axes for t in ax.texts]
    True
    """
    from .tables import shape_table

    check_lang(lang)
    shape = geometry.normalize_tuple(input_shape, len(np.atleast_1d(input_shape)),
                                     "input_shape")
    n_axes = len(shape)
    windows = geometry.normalize_tuple(window, n_axes, "window")
    steps = geometry.normalize_tuple(strides, n_axes, "strides")
    dilation = geometry.normalize_tuple(dilations, n_axes, "dilations")
    pads = geometry.normalize_padding(padding, n_axes)
    per_axis = []
    for axis in range(n_axes):
        pad = pads if isinstance(pads, str) else pads[axis]
        params = (shape[axis], windows[axis], steps[axis], pad, dilation[axis])
        if params not in [p for p, _ in per_axis]:
            per_axis.append((params, axis))
    tables = [(axis, params, shape_table(params[0], params[1], params[2],
                                         params[3] if isinstance(params[3], str)
                                         else tuple(params[3]), params[4], lang))
              for params, axis in per_axis]
    n_rows = sum(len(rows) for _, _, rows in tables) + 0.45 * len(tables)
    if figsize is None:
        figsize = (15, 1.3 * n_rows + 1.2)
    fig = new_figure(figsize, fig)
    fig.set_layout_engine("none")
    title = text("shapes.title", lang, window=format_shape(windows), stride=format_tuple(steps),
                 shape=format_shape(shape))
    fig.text(0.5, 0.985, title, ha="center", va="top", fontsize=TITLE_SIZE + 1,
             fontweight="bold")
    top, bottom = 1 - 0.6 / figsize[1], 0.5 / figsize[1]
    height = (top - bottom) / n_rows
    y = top
    for axis, (n, k, s, _pad, d), rows in tables:
        e = d * (k - 1) + 1
        dil = text("shapes.dilation", lang, d=d, e=e) if d > 1 else ""
        header = text("shapes.axis", lang, axis=axis if len(tables) > 1 or n_axes == 1
                      else ", ".join(map(str, range(n_axes))), n=n, k=k, s=s, dil=dil)
        fig.text(0.01, y - height * 0.22, header, fontsize=LABEL_SIZE + 1, style="italic",
                 va="center")
        y -= 0.45 * height
        for row in rows:
            text_ax = fig.add_axes((0.01, y - height, 0.56, height * 0.98))
            strip_ax = fig.add_axes((0.58, y - height + height * 0.08, 0.41, height * 0.86))
            _shape_row_text(text_ax, row, lang)
            _shape_row_strip(strip_ax, row, n, e, lang)
            y -= height
    _shape_legend(fig, lang)
    fig.ventanal_data = tables  # type: ignore[attr-defined]
    return fig


def _wrap(message: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(message, width))


def _shape_row_text(ax: Axes, row: Any, lang: str) -> None:
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    weight = "bold"
    ax.text(0.0, 0.86, row.framework, fontsize=LABEL_SIZE + 1, fontweight=weight, va="center")
    ax.text(0.25, 0.86, row.call, fontsize=LABEL_SIZE - 0.5, family="monospace", va="center")
    if row.output is not None:
        ax.text(0.0, 0.42, str(row.output), fontsize=22, fontweight="bold", va="center",
                color="#08519c" if row.chosen else "black")
        ax.text(0.0, 0.08, text("shapes.pads_value", lang, pads=row.padding),
                fontsize=LABEL_SIZE - 1, va="center", color="#555555")
    if row.chosen:
        ax.text(0.0, 1.08, text("shapes.chosen", lang).replace("◀ ", ""), fontsize=9,
                color="#08519c", va="center", fontweight="bold")
    ax.text(0.1, 0.42, _wrap(row.reason, 108), fontsize=LABEL_SIZE - 1.5, va="center",
            color="#333333", linespacing=1.25)


def _shape_row_strip(ax: Axes, row: Any, n: int, e: int, lang: str) -> None:
    from matplotlib.patches import FancyBboxPatch, Rectangle

    ax.set_axis_off()
    axis = row.axis
    if axis is None:
        return
    lo, hi = axis.pad_before, axis.pad_after
    right = max(n - 1 + hi, n - 1 + max(axis.read_after, 0))
    ghost_start = axis.output * axis.stride - lo
    ghost_end = ghost_start + e - 1
    shown_cells = 9
    if n + lo + 6 <= 16:
        first = -lo
    else:
        first = max(-lo, min(n - shown_cells, right - shown_cells - 3))
    last = max(right, ghost_end)
    taps = axis.taps()
    read = np.zeros(n, dtype=bool)
    inside = taps[(taps >= 0) & (taps < n)]
    read[inside] = True
    for cell in range(first, last + 1):
        if 0 <= cell < n:
            face = "white" if read[cell] else _UNREAD
            ax.add_patch(Rectangle((cell, 0), 1, 1, facecolor=face, edgecolor="#777777"))
            ax.text(cell + 0.5, -0.35, str(cell), ha="center", va="center", fontsize=7.5,
                    color="#555555")
        elif -lo <= cell <= n - 1 + hi:
            ax.add_patch(Rectangle((cell, 0), 1, 1, facecolor=_PAD_FACE, edgecolor="#999999",
                                   hatch="///", linewidth=0.8))
        else:
            ax.add_patch(Rectangle((cell, 0), 1, 1, facecolor="none", edgecolor="#bbbbbb",
                                   linestyle=":", linewidth=0.8))
    if first > -lo:
        ax.text(first - 0.6, 0.5, "…", ha="center", va="center", fontsize=14)
    # The last windows (up to three), then the one that does not fit.
    shown = range(max(0, axis.output - 3), axis.output)
    for level, index in enumerate(shown):
        start = int(taps[index][0])
        if start + e - 1 < first:
            continue
        colour = _WINDOW_COLOURS[index % len(_WINDOW_COLOURS)]
        y = 1.25 + 0.55 * (level % 3)
        ax.add_patch(FancyBboxPatch((max(start, first - 0.4) + 0.08, y), e - 0.16, 0.38,
                                    boxstyle="round,pad=0,rounding_size=0.15",
                                    facecolor=colour, alpha=0.85, edgecolor="none"))
        for tap in taps[index]:
            ax.plot(tap + 0.5, y + 0.19, "o", color="white", markersize=3)
        ax.text(start + e - 0.05, y + 0.19, f" {index + 1}", ha="left", va="center",
                fontsize=8.5, color=colour, fontweight="bold")
    y = 1.25 + 0.55 * 3
    ax.add_patch(FancyBboxPatch((ghost_start + 0.08, y), e - 0.16, 0.38,
                                boxstyle="round,pad=0,rounding_size=0.15", facecolor="none",
                                edgecolor=_GHOST, linestyle="--", linewidth=1.3))
    ax.text(ghost_start + e - 0.05, y + 0.19, f" {axis.output + 1} ✗", ha="left",
            va="center", fontsize=8.5, color=_GHOST, fontweight="bold")
    ax.set_xlim(first - 1.2, max(last + 2.5, first + 13))
    ax.set_ylim(-0.7, 3.3)
    ax.set_aspect("equal", anchor="W")


def _shape_legend(fig: Figure, lang: str) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor="white", edgecolor="#777777", label=text("shapes.legend_cell", lang)),
        Patch(facecolor=_PAD_FACE, edgecolor="#999999", hatch="///",
              label=text("shapes.legend_pad", lang)),
        Patch(facecolor=_UNREAD, edgecolor="#777777", label=text("shapes.legend_unread", lang)),
        Patch(facecolor=_WINDOW_COLOURS[0], label=text("shapes.legend_window", lang)),
        Patch(facecolor="none", edgecolor=_GHOST, linestyle="--",
              label=text("shapes.legend_ghost", lang)),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               fontsize=LABEL_SIZE - 1)


# ---------------------------------------------------------------------------
# show_invariance
# ---------------------------------------------------------------------------

def _pixel_grid(ax: Axes, shape: Sequence[int], colour: str = "#444444") -> None:
    """Thin lines between the pixels of a small image, so they can be counted."""
    rows, cols = shape[:2]
    if max(rows, cols) > 32:
        return
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color=colour, linewidth=0.5)
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
    (see :func:`ventanal.viz.tables.invariance_experiment`).

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
    from .tables import invariance_experiment

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
    grid = fig.add_gridspec(2, max(repeats + 1, 2), height_ratios=(1, 1.15))
    for r, values in enumerate(pooled):
        ax = fig.add_subplot(grid[0, r])
        ax.imshow(values, cmap=SEQUENTIAL, vmin=0, vmax=max(float(feature.max()), 1e-12),
                  interpolation="nearest")
        _bare_axes(ax)
        _pixel_grid(ax, values.shape)
        shape = format_shape(values.shape)
        if r == 0:
            title = text("inv.original", lang, shape=shape)
        else:
            title = text("inv.after" if r == 1 else "inv.after_plural", lang, count=r,
                         shape=shape)
        ax.set_title(title, fontsize=TITLE_SIZE - 2, fontweight="bold")
    n_window = (pool_size,) * 2 if isinstance(pool_size, int) else tuple(pool_size)
    n_stride = (pool_stride,) * 2 if isinstance(pool_stride, int) else tuple(pool_stride)
    op = op_label("max", n_window, n_stride, pool_padding, lang)

    ax = fig.add_subplot(grid[1, :])
    colours = ["#fdae6b", "#e6550d", "#a63603", "#7f2704", "#4d1802"]
    ax.plot(result.shifts, result.fractions[0] * 100, linestyle="--", color="#888888",
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
    ax.set_title(text("inv.experiment_title", lang, image=image_label,
                      max_shift=int(result.shifts[-1]), op=op, what=pooled_what),
                 fontsize=TITLE_SIZE - 1, fontweight="bold")
    fig.suptitle(text("inv.dots_title", lang), fontsize=TITLE_SIZE + 1)
    fig.ventanal_data = (pooled, result)  # type: ignore[attr-defined]
    return fig


# ---------------------------------------------------------------------------
# show_receptive_field
# ---------------------------------------------------------------------------

_FIELD_COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#17becf")


def _unit_per_layer(records: Sequence[Any], unit: Sequence[int]) -> list[tuple[int, ...]]:
    """For every layer, the unit whose field is centred nearest the chosen output unit's."""
    final = records[-1]
    centre = [st + u * j + (sz - 1) / 2 for u, sz, j, st in
              zip(unit, final.size, final.jump, final.start, strict=True)]
    chosen = []
    for record in records:
        index = []
        for c, sz, j, st, out in zip(centre, record.size, record.jump, record.start,
                                     record.output_shape, strict=True):
            i = int(np.floor((c - st - (sz - 1) / 2) / j + 0.5))
            index.append(int(np.clip(i, 0, out - 1)))
        chosen.append(tuple(index))
    return chosen


def show_receptive_field(model: Any, image: Any = None, unit: Sequence[int] | None = None, *,
                         lang: str = "en", fig: Figure | None = None,
                         figsize: Sequence[float] | None = None) -> Figure:
    """The input region seen by an output unit, drawn on the image, layer by layer.

    One panel per layer with a window: the image and the receptive field of
    the unit of that layer that lies at the centre of the chosen output
    unit's field, with the smaller fields of the earlier layers inside it.
    Parts of a field in the padding (outside the image) are dashed.

    Parameters
    ----------
    model : str, sequence of layers, or ventanal.Sequential
        ``"conv3,conv3,conv3,pool2"`` (see
        :func:`ventanal.viz.tables.parse_layers`) or ventanal layers.
    image : array_like, optional
        2-D image (RGB is shown in colour); default the lesson's 64×64 circle.
    unit : (int, int), optional
        Output unit of the last layer; default its centre.
    lang : {"en", "es"}, optional
    fig : matplotlib.figure.Figure, optional
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.ventanal_data`` holds the records (:class:`FieldRecord`) and
        the unit of each layer.

    Examples
    --------
    >>> from ventanal.viz import show_receptive_field
    >>> fig = show_receptive_field("conv3,conv3,conv3,pool2", unit=(5, 5))
    >>> fig.axes[-1].get_title()
    'pool2 → 29×29'
    >>> records, units = fig.ventanal_data
    >>> records[-1].region(units[-1])
    ((10, 17), (10, 17))
    """
    from matplotlib.patches import Rectangle

    from .. import data
    from .tables import receptive_fields

    check_lang(lang)
    picture = data.circle([64, 64], val=1.0, r_shrink=3) if image is None else as_image(image)
    records = receptive_fields(model, picture.shape[:2])
    final = records[-1]
    if unit is None:
        unit = tuple(o // 2 for o in final.output_shape)
    unit = geometry.normalize_tuple(unit, 2, "unit", minimum=0)
    for u, o in zip(unit, final.output_shape, strict=True):
        if u >= o:
            raise ValueError(f"`unit` {unit} is outside the last layer's output "
                             f"{final.output_shape}")
    units = _unit_per_layer(records, unit)
    shown = [i for i, r in enumerate(records) if i > 0 and r.kind not in ("ReLU", "Activation")]
    if not shown:
        shown = [len(records) - 1]
    cols = min(len(shown), 4)
    rows = -(-len(shown) // cols)
    if figsize is None:
        figsize = (3.6 * cols + 0.4, 3.9 * rows + 0.8)
    fig = new_figure(figsize, fig, layout="compressed")
    height, width = picture.shape[:2]
    for panel, index in enumerate(shown):
        ax = fig.add_subplot(rows, cols, panel + 1)
        ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, interpolation="nearest")
        for level in range(1, index + 1):
            if level not in shown and level != index:
                continue
            record = records[level]
            (r0, r1), (c0, c1) = record.region(units[level])
            colour = _FIELD_COLOURS[shown.index(level) % len(_FIELD_COLOURS)] \
                if level in shown else "#cccccc"
            current = level == index
            lw = 2.6 if current else 1.4
            edge = (*_rgb(colour), 1.0 if current else 0.85)
            # Whole field dashed (it may reach into the padding), the part on the image solid.
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0 + 1, r1 - r0 + 1, fill=False,
                                   edgecolor=edge, linewidth=lw * 0.7, linestyle="--"))
            cr0, cr1 = max(r0, 0), min(r1, height - 1)
            cc0, cc1 = max(c0, 0), min(c1, width - 1)
            if cr0 <= cr1 and cc0 <= cc1:
                face = (*_rgb(colour), 0.22 if current else 0.0)
                ax.add_patch(Rectangle((cc0 - 0.5, cr0 - 0.5), cc1 - cc0 + 1, cr1 - cr0 + 1,
                                       facecolor=face, edgecolor=edge, linewidth=lw))
        record = records[index]
        (r0, r1), (c0, c1) = record.region(units[index])
        margin = max(2, int(0.06 * max(height, width)))
        ax.set_xlim(min(-0.5, c0 - 0.5) - margin * (c0 < 0), max(width - 0.5, c1 + 0.5)
                    + margin * (c1 >= width))
        ax.set_ylim(max(height - 0.5, r1 + 0.5) + margin * (r1 >= height),
                    min(-0.5, r0 - 0.5) - margin * (r0 < 0))
        _bare_axes(ax)
        ax.set_title(text("rf.panel", lang, layer=record.name,
                          shape=format_shape(record.output_shape)),
                     fontsize=TITLE_SIZE - 2, fontweight="bold")
        ax.set_xlabel(text("rf.field", lang, size=format_shape(record.size),
                           jump=format_tuple(record.jump))
                      + f"\n{text('rf.unit', lang, unit=units[index])}", fontsize=LABEL_SIZE)
    last = records[shown[-1]]
    fig.suptitle(text("rf.title", lang, unit=tuple(int(u) for u in unit), layer=last.name)
                 + f" — {text('rf.input', lang, shape=format_shape(picture.shape[:2]))}",
                 fontsize=TITLE_SIZE)
    fig.ventanal_data = (records, units)  # type: ignore[attr-defined]
    return fig


def _rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(colour)


# ---------------------------------------------------------------------------
# show_feature_maps
# ---------------------------------------------------------------------------

#: Filters of the first convolution when :func:`show_feature_maps` builds the
#: network from a spec: the classic 3×3 kernels.
BANK = ("edge", "bottom_sobel", "top_sobel", "left_sobel", "right_sobel", "emboss", "sharpen",
        "laplacian")


def show_feature_maps(model: Any, image: Any = None, layer: int | str = -1, *,
                      kernels: Sequence[Any] | None = None, max_maps: int = 16,
                      cmap: str = SEQUENTIAL, lang: str = "en", fig: Figure | None = None,
                      figsize: Sequence[float] | None = None) -> Figure:
    """A grid of the feature maps (channels) of one layer of a model.

    Parameters
    ----------
    model : str, sequence of layers, or ventanal.Sequential
        A model with weights, or a spec like ``"conv3,relu,pool2"``; built
        from a spec, the first convolution's filters are ``kernels`` (by
        default the classic 3×3 kernels: edge, the four Sobels, emboss,
        sharpen, laplacian) and later convolutions get seeded random weights.
    image : array_like, optional
        2-D image (RGB is turned to gray unless the model takes 3 channels);
        default the ``camera`` photo shrunk to 128×128.
    layer : int or str, optional
        Layer index (``-1``: the last) or name. Default -1.
    kernels : sequence of array_like or str, optional
        Filters of a spec's first convolution (names or 2-D arrays of the
        spec's window size).
    max_maps : int, optional
        At most this many maps are drawn (default 16).
    cmap : str, optional
        Colour map of non-negative maps (default ``"magma"``); maps with
        negative values use the diverging ``"RdBu_r"``, centred on 0.
    lang : {"en", "es"}, optional
    fig : matplotlib.figure.Figure, optional
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.ventanal_data`` holds the layer's maps, ``(H, W, C)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ventanal.viz import show_feature_maps
    >>> image = np.random.default_rng(0).random((32, 32))
    >>> fig = show_feature_maps("conv3,relu,pool2", image, layer="relu")
    >>> fig.ventanal_data.shape
    (30, 30, 8)
    >>> fig.axes[1].get_title()
    'bottom_sobel'
    """
    from .. import data
    from ..layers import Sequential
    from .tables import build_model, parse_layers

    check_lang(lang)
    if isinstance(max_maps, bool) or not isinstance(max_maps, int) or max_maps < 1:
        raise ValueError(f"`max_maps` must be a positive integer, got {max_maps!r}")
    if image is None:
        photo = data.sample("camera", channels=1)
        picture = np.asarray(pool(photo, (4, 4), "AVG", strides=4))
    else:
        picture = as_image(image)
    names: list[str] | None = None
    if isinstance(model, str) or (not isinstance(model, Sequential) and model is not None
                                  and all(hasattr(m, "kind") for m in model)):
        specs = parse_layers(model) if isinstance(model, str) else list(model)
        first_conv = next((s for s in specs if s.kind == "conv"), None)
        bank = list(kernels) if kernels is not None else None
        if first_conv is not None and bank is None:
            bank = [name for name in BANK if data.kernel(name).shape ==
                    (first_conv.window, first_conv.window)]
        filters = len(bank) if bank else 8
        net = build_model(specs, filters=filters)
        picture = to_gray(picture)
        net.build((None, *picture.shape[:2], 1))
        if first_conv is not None and bank:
            arrays = [as_kernel(k).astype(np.float32) for k in bank]
            for k, array in zip(bank, arrays, strict=True):
                if array.shape != (first_conv.window, first_conv.window):
                    raise ValueError(f"kernel {k if isinstance(k, str) else array.shape} does "
                                     f"not fit the layer {first_conv} (window "
                                     f"{first_conv.window}×{first_conv.window})")
            conv_layer = next(lyr for lyr in net.layers if lyr.name == str(first_conv))
            conv_layer.set_weights([np.stack(arrays, axis=-1)[:, :, None, :]])
            names = [k if isinstance(k, str) else f"{i}" for i, k in enumerate(bank)]
        inputs = picture[..., None]
    else:
        net = build_model(model)
        inputs = picture if picture.ndim == 3 else picture[..., None]
    maps_by_layer = net.feature_maps(inputs.astype(np.float32))
    layer_names = list(maps_by_layer)
    if isinstance(layer, str):
        if layer not in maps_by_layer:
            raise ValueError(f"`layer` must be a layer index or one of "
                             f"{', '.join(layer_names)}, got {layer!r}")
        key = layer
    else:
        if isinstance(layer, bool) or not isinstance(layer, int) or \
                not -len(layer_names) <= layer < len(layer_names):
            raise ValueError(f"`layer` must be an index in -{len(layer_names)}.."
                             f"{len(layer_names) - 1} or a layer name, got {layer!r}")
        key = layer_names[layer]
    maps = np.asarray(maps_by_layer[key])
    if maps.ndim != 3:
        raise ValueError(f"layer {key!r} has output shape {maps.shape}, not spatial maps")
    count = min(maps.shape[-1], max_maps)
    cols = min(count, 4)
    rows = -(-count // cols)
    if figsize is None:
        figsize = (3.3 * cols + 0.4, 3.3 * rows + 0.9)
    fig = new_figure(figsize, fig, layout="compressed")
    from matplotlib.colors import Normalize

    for index in range(count):
        ax = fig.add_subplot(rows, cols, index + 1)
        values = maps[..., index].astype(np.float64)
        signed = _is_signed(values)
        ax.imshow(values, cmap=DIVERGING if signed else cmap, interpolation="nearest",
                  norm=Normalize(*_signed_limits(values)) if signed else None)
        _bare_axes(ax)
        label = names[index] if names and index < len(names) else \
            text("fm.map", lang, index=index)
        ax.set_title(label, fontsize=LABEL_SIZE + 1)
    title = text("fm.title", lang, layer=key, shape=format_shape(maps.shape))
    if count < maps.shape[-1]:
        title += f" ({text('fm.more', lang, shown=count, total=maps.shape[-1])})"
    fig.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold")
    fig.ventanal_data = maps  # type: ignore[attr-defined]
    return fig
