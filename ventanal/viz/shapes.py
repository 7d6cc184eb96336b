"""Output sizes under each framework's rules: the figure (:func:`show_shapes`).

The rows of :func:`ventanal.viz.shape_rows.shape_table` (re-exported here) for every axis
of a shape, each with a drawing of the end of the axis, its last windows and the one that
does not fit.

Every size, padding and window position comes from :mod:`ventanal.geometry`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import geometry
from .common import format_shape, format_tuple
from .drawing import LABEL_SIZE, POINTS, TITLE_SIZE, fit_text, new_figure, text_width
from .i18n import check_lang, text
from .shape_rows import ShapeRow, shape_table

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ShapeRow", "shape_table", "show_shapes"]   # the numbers live in shape_rows


# ---------------------------------------------------------------------------
# show_shapes
# ---------------------------------------------------------------------------

# Consecutive windows alternate among three hues, so overlapping ones stay apart.
_WINDOW_COLOURS = ("#3182bd", "#31a354", "#756bb1")
_GHOST = "#d62728"      # red: the window that does not fit
_UNREAD = "#fcbba1"     # pale red: input cells no window reads (stride > window)
_PAD_FACE = "#e0e0e0"   # grey, hatched: padding, as in the animations
_CHOSEN = "#08519c"     # dark blue: the row of the padding that was asked for

#: Figure width (inches): a row's reason is one long sentence beside its strip.
FIGURE_WIDTH = 15
#: Height of one row (inches): the size, its reason in two or three lines, the padding.
ROW_INCHES = 1.3
#: The output size, the answer of a row, is the largest number on it.
OUTPUT_SIZE = 22
#: Fractions of the figure's width: a row's text (left) and its strip (right).
TEXT_PART, STRIP_PART = (0.01, 0.56), (0.58, 0.41)
#: Inches between a row's texts side by side (name and call, size and reason).
TEXT_GAP = 0.15
#: Size (points) of the numbers under the strip's cells, and of its windows' numbers.
CELL_NUMBER_SIZE, WINDOW_NUMBER_SIZE = 7.5, 8.5
#: Cells drawn before the end of a long axis; an axis of at most WHOLE_AXIS cells
#: (with its padding and room for the ghost window) is drawn whole.
TAIL_CELLS, WHOLE_AXIS = 9, 16
# Most cells a strip draws after its first one (a dilated window may span millions).
_MOST_CELLS = 60
#: Windows drawn above the strip: the last ones (one per lane) and then the ghost.
WINDOW_LANES = 3


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
    check_lang(lang)
    shape = geometry.normalize_tuple(input_shape, len(np.atleast_1d(input_shape)),
                                     "input_shape")
    n_axes = len(shape)
    if not 1 <= n_axes <= 3:
        raise ValueError(f"`input_shape` must have 1 to 3 sizes, got {input_shape!r}")
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
                                         else tuple(params[3]), params[4], lang,
                                         rank=n_axes))
              for params, axis in per_axis]
    n_rows = sum(len(rows) for _, _, rows in tables) + 0.45 * len(tables)
    if figsize is None:
        figsize = (FIGURE_WIDTH, ROW_INCHES * n_rows + 1.2)  # + title and legend
    fig = new_figure(figsize, fig)
    fig.set_layout_engine("none")
    fig_width, fig_height = (float(v) for v in fig.get_size_inches())
    title = fit_text(text("shapes.title", lang, window=format_shape(windows),
                          stride=format_tuple(steps), shape=format_shape(shape)),
                     fig_width - 2 * TEXT_GAP, TITLE_SIZE + 1, weight="bold")
    fig.text(0.5, 0.985, title.text, ha="center", va="top", fontsize=title.size,
             fontweight="bold")
    legend_rows = _shape_legend(fig, lang)
    top = 1 - (0.3 + title.text.count("\n") * 0.3 + 0.3) / fig_height
    bottom = (0.2 + 0.25 * legend_rows) / fig_height
    height = (top - bottom) / n_rows
    row_inches = (height * fig_height, fig_width)
    outputs = [str(row.output) for _, _, rows in tables for row in rows if row.output is not None]
    number_inches = max([text_width(o, OUTPUT_SIZE, weight="bold") for o in outputs] + [0.3])
    y = top
    for axis, (n, k, s, _, d), rows in tables:
        dil = text("shapes.dilation", lang, d=d, e=geometry.effective_window(k, d)) if d > 1 else ""
        header = fit_text(text("shapes.axis", lang, axis=axis if len(tables) > 1 or n_axes == 1
                               else ", ".join(map(str, range(n_axes))), n=n, k=k, s=s,
                               dil=dil), fig_width - 2 * TEXT_GAP, LABEL_SIZE + 1,
                          max_lines=1)
        fig.text(0.01, y - height * 0.22, header.text, fontsize=header.size, style="italic",
                 va="center")
        y -= 0.45 * height
        for row in rows:
            text_ax = fig.add_axes((TEXT_PART[0], y - height, TEXT_PART[1], height * 0.98))
            strip_ax = fig.add_axes((STRIP_PART[0], y - height + height * 0.08, STRIP_PART[1],
                                     height * 0.86))
            _shape_row_text(text_ax, row, lang, (TEXT_PART[1] * fig_width, row_inches[0]),
                            number_inches)
            _shape_row_strip(strip_ax, row.axis, (STRIP_PART[1] * fig_width,
                                                  0.86 * row_inches[0]))
            y -= height
    fig.ventanal_data = tables  # type: ignore[attr-defined]
    return fig


def _shape_row_text(ax: Axes, row: Any, lang: str, box: tuple[float, float],
                    number_inches: float) -> None:
    """The row's name, call, size, padding and reason, each fitted to its part of ``box``."""
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    width, height = box
    name = fit_text(row.framework, 0.3 * width, LABEL_SIZE + 1, weight="bold", max_lines=1)
    call_x = max(0.25 * width, text_width(name.text, name.size, weight="bold") + TEXT_GAP)
    call = fit_text(row.call, width - call_x, LABEL_SIZE - 0.5, family="monospace",
                    max_lines=2, height=0.3 * height)
    ax.text(0.0, 0.86, name.text, fontsize=name.size, fontweight="bold", va="center")
    ax.text(call_x / width, 0.86, call.text, fontsize=call.size, family="monospace",
            va="center")
    if row.output is not None:
        ax.text(0.0, 0.42, str(row.output), fontsize=OUTPUT_SIZE, fontweight="bold",
                va="center", color=_CHOSEN if row.chosen else "black")
    pads = text("shapes.pads_value", lang, pads=row.padding) if row.output is not None else ""
    if pads:
        ax.text(0.0, 0.08, pads, fontsize=LABEL_SIZE - 1, va="center", color="#555555")
    if row.chosen:   # beside the padding it points at, on the row's own bottom line
        x = text_width(pads, LABEL_SIZE - 1) + TEXT_GAP if pads else 0.0
        ax.text(x / width, 0.08, text("shapes.chosen", lang), fontsize=LABEL_SIZE - 1,
                color=_CHOSEN, va="center", fontweight="bold")
    reason_x = number_inches + TEXT_GAP
    reason = fit_text(row.reason, width - reason_x, LABEL_SIZE - 1.5, max_lines=8,
                      min_size=LABEL_SIZE - 1.5,
                      height=0.5 * height, linespacing=1.25)
    ax.text(reason_x / width, 0.45, reason.text, fontsize=reason.size, va="center",
            color="#333333", linespacing=1.25)


def _shape_row_strip(ax: Axes, axis: geometry.AxisWindow | None,
                     box: tuple[float, float]) -> None:
    """The end of the axis: cells, padding, the last windows and the one that does not fit."""
    from matplotlib.patches import FancyBboxPatch, Rectangle

    ax.set_axis_off()
    if axis is None:
        return
    n, e = axis.size, axis.effective_window
    lo, hi = axis.pad_before, axis.pad_after
    left, right = axis.drawn_cells
    ghost_start = axis.next_start
    ghost_end = int(axis.tap(axis.output, axis.window - 1))
    if n + lo + 6 <= WHOLE_AXIS:   # 6: room for the ghost window past the end
        first = left
    else:
        first = max(left, min(n - TAIL_CELLS, right - TAIL_CELLS - 3))
    # A huge padding or dilation is drawn up to a few dozen cells: what fits in the strip.
    last = min(max(right, ghost_end), first + _MOST_CELLS)
    # Data units per inch (aspect 1: the tighter of width and height), with the right end
    # moved until the next window's number, the rightmost text, fits in the strip.
    x_min, y_range = first - 1.2, 4.0
    x_max = max(last + 2.5, first + 13)
    ghost_label = f" {axis.output} ✗"
    ghost_x = ghost_start + e - 0.05
    label_inches = text_width(ghost_label, WINDOW_NUMBER_SIZE, weight="bold") + 0.05

    def per_inch(right_end: float) -> float:
        return max((right_end - x_min) / box[0], y_range / box[1])

    for _ in range(50 if ghost_x < x_max else 0):   # a ghost far off the strip is not drawn
        needed = ghost_x + label_inches * per_inch(x_max)
        if needed <= x_max:
            break
        x_max = needed
    cell_inches = 1 / per_inch(x_max)
    widest = text_width(str(max(abs(first), abs(last))) + "-", CELL_NUMBER_SIZE)
    number_size = min(CELL_NUMBER_SIZE, CELL_NUMBER_SIZE * 0.9 * cell_inches / widest)
    read = geometry.cells_read(axis)
    for cell in range(first, last + 1):
        if 0 <= cell < n:
            face = "white" if read[cell] else _UNREAD
            ax.add_patch(Rectangle((cell, 0), 1, 1, facecolor=face, edgecolor="#777777"))
            ax.text(cell + 0.5, -0.35, str(cell), ha="center", va="center", fontsize=number_size,
                    color="#555555")
        elif -lo <= cell <= n - 1 + hi:
            ax.add_patch(Rectangle((cell, 0), 1, 1, facecolor=_PAD_FACE, edgecolor="#999999",
                                   hatch="///", linewidth=0.8))
        else:
            ax.add_patch(Rectangle((cell, 0), 1, 1, facecolor="none", edgecolor="#bbbbbb",
                                   linestyle=":", linewidth=0.8))
    if first > left:
        ax.text(first - 0.6, 0.5, "…", ha="center", va="center",
                fontsize=min(14, 0.9 * POINTS * cell_inches))
    # The last windows (up to three), then the one that does not fit.
    shown = range(max(0, axis.output - WINDOW_LANES), axis.output)
    for level, index in enumerate(shown):
        start = int(axis.start(index))
        if int(axis.tap(index, axis.window - 1)) < first:
            continue
        colour = _WINDOW_COLOURS[index % len(_WINDOW_COLOURS)]
        y = 1.25 + 0.55 * (level % WINDOW_LANES)
        ax.add_patch(FancyBboxPatch((max(start, first - 0.4) + 0.08, y), e - 0.16, 0.38,
                                    boxstyle="round,pad=0,rounding_size=0.15",
                                    facecolor=colour, alpha=0.85, edgecolor="none"))
        for tap in axis.window_taps(index, first - 1, last + 2).tolist():
            ax.plot(tap + 0.5, y + 0.19, "o", color="white", markersize=3)
        if start + e < x_max:   # FreeType cannot even clip a label far off the strip
            ax.text(start + e - 0.05, y + 0.19, f" {index}", ha="left", va="center",
                    fontsize=WINDOW_NUMBER_SIZE, color=colour, fontweight="bold", clip_on=True)
    y = 1.25 + 0.55 * WINDOW_LANES
    ax.add_patch(FancyBboxPatch((ghost_start + 0.08, y), e - 0.16, 0.38,
                                boxstyle="round,pad=0,rounding_size=0.15", facecolor="none",
                                edgecolor=_GHOST, linestyle="--", linewidth=1.3))
    if ghost_x < x_max:
        ax.text(ghost_x, y + 0.19, ghost_label, ha="left", va="center",
                fontsize=WINDOW_NUMBER_SIZE, color=_GHOST, fontweight="bold", clip_on=True)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(-0.7, 3.3)
    ax.set_aspect("equal", anchor="W")


def _shape_legend(fig: Figure, lang: str) -> int:
    """The legend under the rows, in as many columns as the width holds; returns its rows."""
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
    size = LABEL_SIZE - 1
    # An entry: its patch (2 em), the gap to its text (0.8 em), the text, the column gap (2 em).
    widths = [text_width(h.get_label(), size) + 4.8 * size / 72 for h in handles]
    room = float(fig.get_size_inches()[0]) - 0.6   # the legend's own padding, both sides

    def total(columns: int) -> float:
        # matplotlib's split: the first (len % columns) columns hold one entry more.
        rows, large = divmod(len(handles), columns)
        counts = [rows + 1] * large + [rows] * (columns - large)
        starts = np.cumsum([0, *counts])
        return sum(max(widths[a:b]) for a, b in zip(starts[:-1], starts[1:], strict=True) if b > a)

    columns = len(handles)
    while columns > 1 and total(columns) > room:
        columns -= 1
    rows = -(-len(handles) // columns)
    fig.legend(handles=handles, loc="lower center", ncol=columns, frameon=False, fontsize=size)
    return rows

