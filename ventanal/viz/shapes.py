"""Output sizes under each framework's rules: the numbers (:func:`shape_table`) and the figure.

* :func:`shape_table`: the output size and padding of one window under
  TensorFlow/Keras, PyTorch (floor and ``ceil_mode``) and NumPy's
  ``sliding_window_view``, with the arithmetic that explains each number
  (no matplotlib).
* :func:`show_shapes`: those rows for every axis of a shape, each with a
  drawing of the end of the axis, its last windows and the one that does
  not fit.

Every size, padding and window position comes from :mod:`ventanal.geometry`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import geometry
from .common import format_shape, format_tuple
from .drawing import LABEL_SIZE, POINTS, TITLE_SIZE, fit_text, new_figure, text_width
from .i18n import check_lang, text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ShapeRow", "shape_table", "show_shapes"]


@dataclass(frozen=True)
class ShapeRow:
    """One framework's answer for one axis.

    Attributes
    ----------
    key : str
        ``"tf_same"``, ``"tf_valid"``, ``"vt"``, ``"torch_floor"``,
        ``"torch_ceil"`` or ``"numpy"``.
    framework : str
        Display name (translated).
    call : str
        The call that gives this answer.
    axis : ventanal.geometry.AxisWindow or None
        The window geometry (None when the call is impossible).
    reason : str
        The arithmetic behind the size, with the numbers filled in.
    chosen : bool
        Whether this row follows the ``padding`` that was asked for.
    """

    key: str
    framework: str
    call: str
    axis: geometry.AxisWindow | None
    reason: str
    chosen: bool = False

    @property
    def output(self) -> int | None:
        return None if self.axis is None else self.axis.output

    @property
    def padding(self) -> tuple[int, int] | None:
        return None if self.axis is None else (self.axis.pad_before, self.axis.pad_after)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def _not_more(axis: geometry.AxisWindow, lang: str, padded: bool = True) -> str:
    """Why there is no window number ``output + 1`` (and whether the last one sticks out)."""
    start, end = axis.next_start, int(axis.tap(axis.output, axis.window - 1))
    last = axis.size - 1 + (axis.pad_after if padded else 0)
    key = "shapes.not_more" if padded and axis.pad_after else "shapes.not_more_plain"
    # Windows are numbered from 0, as the cells: the one that does not fit is number `output`.
    message = text(key, lang, next=axis.output + 1, index=axis.output, start=start, end=end,
                   last=last)
    outside = axis.read_after - axis.pad_after
    if padded and outside > 0:
        message += "; " + text("shapes.sticks_out", lang, count=outside)
    return message


def _symmetric(padding: Any) -> int | None:
    """PyTorch's symmetric ``padding`` from an int or a (p, p) pair, else None."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return int(padding)
    if isinstance(padding, Sequence) and not isinstance(padding, str) and len(padding) == 2 \
            and padding[0] == padding[1] and isinstance(padding[0], numbers.Integral):
        return int(padding[0])
    return None


def shape_table(n: int, window: int, stride: int = 1, padding: Any = "SAME",
                dilation: int = 1, lang: str = "en", *, rank: int = 1) -> list[ShapeRow]:
    """How each framework sizes one axis of a sliding window, and why.

    Parameters
    ----------
    n : int
        Input size along the axis.
    window, stride, dilation : int
        The window along this axis.
    padding : str, int or (int, int)
        The padding asked for: ``"SAME"``, ``"VALID"``, ``"FULL"``,
        ``"CAUSAL"``, an int ``p`` or a ``(before, after)`` pair. Its row
        is marked ``chosen``; PyTorch's rows use it when it is symmetric
        (an int), and ``padding=0`` (PyTorch's default) otherwise.
    lang : {"en", "es"}
    rank : int, optional
        Number of spatial axes of the input this axis belongs to (1 to 3): the
        calls name the layers of that rank (``MaxPool2D``, ``nn.MaxPool2d``
        for an image). Default 1.

    Returns
    -------
    list of ShapeRow
        TensorFlow/Keras ``"same"`` and ``"valid"`` (and ventanal's own row
        for other paddings), PyTorch with ``ceil_mode=False`` and ``True``,
        and NumPy's ``sliding_window_view(x, k)[::s]``.

    Examples
    --------
    The lesson's 397 pixels pooled by 2 with stride 2:

    >>> rows = shape_table(397, 2, 2, "SAME")
    >>> [(row.key, row.output, row.padding) for row in rows]  # doctest: +NORMALIZE_WHITESPACE
    [('tf_same', 199, (0, 1)), ('tf_valid', 198, (0, 0)), ('torch_floor', 198, (0, 0)),
     ('torch_ceil', 199, (0, 0)), ('numpy', 198, (0, 0))]
    >>> print(rows[0].reason.split("; ")[0])
    ceil(397 / 2) = ceil(198.5) = 199
    >>> print(rows[1].reason)
    floor((397 + 0 + 0 − 2) / 2) + 1 = floor(197.5) + 1 = 198; not 199: window 198 would cover cells 396…397, past the last cell (396)

    An axis of an image names the 2-D layers:

    >>> print(shape_table(397, 2, 2, "SAME", rank=2)[0].call)
    MaxPool2D(2, strides=2, padding='same')
    """  # noqa: E501
    check_lang(lang)
    n, k, s, d = (geometry.normalize_tuple(v, 1, name)[0] for v, name in
                  ((n, "input_shape"), (window, "window_shape"), (stride, "strides"),
                   (dilation, "dilations")))
    if isinstance(rank, bool) or not isinstance(rank, numbers.Integral) or not 1 <= rank <= 3:
        raise ValueError(f"`rank` must be 1, 2 or 3 (spatial axes), got {rank!r}")
    chosen = geometry.normalize_padding(padding, 1)
    e = geometry.effective_window(k, d)
    rows: list[ShapeRow] = []
    dil = f", dilation_rate={d}" if d > 1 else ""
    tdil = f", dilation={d}" if d > 1 else ""

    def plan(pad: Any, step: int = s, ceil: bool = False) -> geometry.AxisWindow:
        if not isinstance(pad, str):
            pad = [pad]
        return geometry.plan((n,), k, step, pad, d, ceil_mode=ceil).axes[0]

    def attempt(key: str, framework: str, call: str, build, explain, is_chosen: bool) -> None:
        try:
            axis = build()
        except ValueError as error:
            rows.append(ShapeRow(key, framework, call, None,
                                 text("shapes.error", lang, reason=error), is_chosen))
            return
        rows.append(ShapeRow(key, framework, call, axis, explain(axis), is_chosen))

    tf = text("shapes.tf", lang)

    def why_same(a: geometry.AxisWindow) -> str:
        total = a.pad_before + a.pad_after
        return text("shapes.why_same", lang, n=n, s=s, ratio=_number(n / s), o=a.output, e=e,
                    total=total, lo=a.pad_before, hi=a.pad_after) + "; " + _not_more(a, lang)

    def why_floor(a: geometry.AxisWindow) -> str:
        lo, hi = a.pad_before, a.pad_after
        pads = f"{lo} + {hi}"
        ratio = _number(a.room / a.stride)
        return text("shapes.why_floor", lang, n=n, pads=pads, e=e, s=s, ratio=ratio,
                    o=a.output) + "; " + _not_more(a, lang)

    attempt("tf_same", tf, f"MaxPool{rank}D({k}, strides={s}, padding='same'{dil})",
            lambda: plan("SAME"), why_same, chosen == "SAME")
    attempt("tf_valid", tf, f"MaxPool{rank}D({k}, strides={s}, padding='valid'{dil})",
            lambda: plan("VALID"), why_floor, chosen == "VALID")
    if chosen not in ("SAME", "VALID"):
        shown = chosen if isinstance(chosen, str) else chosen[0]
        if isinstance(shown, str):
            label = repr(shown)
        elif shown[0] == shown[1]:
            label = str(shown[0])
        else:
            label = f"[{tuple(shown)}]"
        attempt("vt", "ventanal",
                f"vt.pool(x, {[k] * rank}, strides={[s] * rank}, padding={label})",
                lambda: plan(chosen if isinstance(chosen, str) else chosen[0]), why_floor, True)
    p = _symmetric(padding)
    torch_p = p if p is not None else 0

    def why_ceil(a: geometry.AxisWindow) -> str:
        lo, hi = a.pad_before, a.pad_after
        ratio = a.room / a.stride
        raw = a.ceil_count
        if raw != a.output:
            message = text("shapes.why_ceil_dropped", lang, ratio=_number(ratio), o_raw=raw,
                           o=a.output)
        else:
            message = text("shapes.why_ceil", lang, n=n, pads=f"{lo} + {hi}", e=e, s=s,
                           ratio=_number(ratio), o=a.output)
        return message + "; " + _not_more(a, lang)

    attempt("torch_floor", text("shapes.torch_floor", lang),
            f"nn.MaxPool{rank}d({k}, stride={s}, padding={torch_p}{tdil})",
            lambda: plan(torch_p), why_floor, False)
    attempt("torch_ceil", text("shapes.torch_ceil", lang),
            f"nn.MaxPool{rank}d({k}, stride={s}, padding={torch_p}{tdil}, ceil_mode=True)",
            lambda: plan(torch_p, ceil=True), why_ceil, False)

    def why_numpy(a: geometry.AxisWindow) -> str:
        windows = plan("VALID", step=1).output
        return text("shapes.why_numpy", lang, n=n, e=e, windows=windows, s=s,
                    o=a.output) + "; " + _not_more(a, lang, padded=False)

    view = f"sliding_window_view(x, {e})[::{s}" + (f", ::{d}]" if d > 1 else "]")
    attempt("numpy", text("shapes.numpy", lang), view, lambda: plan("VALID"), why_numpy, False)
    return rows


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

