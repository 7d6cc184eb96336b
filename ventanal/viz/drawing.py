"""What every teaching figure shares (matplotlib): colour maps, font sizes, a new figure.

New figures are pyplot figures (:class:`ventanal.viz.figure.TeachingFigure`),
as ``plt.figure()`` makes them: ``plt.show()``, ``plt.savefig()`` and
``plt.gcf()`` work as in the lesson, Jupyter shows each once, and, as with
any pyplot figure, a loop that makes many should ``plt.close(fig)`` each.
A figure passed as ``fig=`` (or ``ax=`` where offered) is drawn into as it
is: one made with ``matplotlib.figure.Figure()`` stays out of pyplot.
Matplotlib is imported when a figure is first made, never by
``import ventanal``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["SEQUENTIAL", "DIVERGING", "KERNEL_SEQUENTIAL", "TITLE_SIZE", "LABEL_SIZE",
           "MIN_TEXT_SIZE", "MIN_TEXT_SCALE", "FittedText", "new_figure", "text_width",
           "fit_text", "panel_width", "POINTS", "signed_limits", "is_signed", "text_colour",
           "bare_axes"]

#: Colour map for activations and images (the course's ``magma``).
SEQUENTIAL = "magma"
#: Colour map for signed data (kernels, convolution outputs), centred on 0.
DIVERGING = "RdBu_r"
#: Colour map for kernels without negative weights (blur, box, gaussian).
KERNEL_SEQUENTIAL = "Blues"

#: Panel titles carry the shapes, the figure's main message: the largest text.
TITLE_SIZE = 15
#: Captions and axis labels: readable at a notebook's default width, smaller than titles.
LABEL_SIZE = 11
#: No text is shrunk below this size (points) to fit: smaller, it is wrapped instead.
MIN_TEXT_SIZE = 7
#: Last resort: a text that fits nowhere else is shrunk down to this size (points).
SMALLEST_TEXT_SIZE = 5
#: Before wrapping, a text is shrunk to no less than this fraction of its size.
MIN_TEXT_SCALE = 0.7
#: Measured widths are padded by 4% (hinting makes drawn text up to 2% wider).
FIT_MARGIN = 1.04
#: Inches between two panels, and at the figure's edges, that texts leave free.
PANEL_GAP = 0.25
#: Points per inch.
POINTS = 72


def new_figure(figsize: Sequence[float], fig: Figure | None = None,
               layout: str = "constrained") -> Figure:
    """A new pyplot figure (``layout`` engine), or ``fig`` (cleared) when given.

    ``"compressed"`` suits grids of fixed-aspect images. The new figure
    becomes pyplot's current figure; ``fig`` is not registered with pyplot.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = new_figure((4, 3))
    >>> plt.gcf() is fig, fig.get_size_inches().tolist()
    (True, [4.0, 3.0])
    >>> plt.close(fig)
    """
    if fig is not None:
        fig.clear()
        if fig.get_layout_engine() is None:
            fig.set_layout_engine(layout)
        return fig
    import matplotlib.pyplot as plt

    from .figure import TeachingFigure

    return plt.figure(figsize=tuple(figsize), layout=layout, FigureClass=TeachingFigure)


class FittedText(NamedTuple):
    """A message with the line breaks and the font size (points) with which it fits."""

    text: str
    size: float


@functools.lru_cache(maxsize=4096)
def _line_width(line: str, size: float, weight: str, family: str) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=family, size=size, weight=weight)
    width, _, _ = TextToPath().get_text_width_height_descent(line, prop, ismath=False)
    return float(width)


def text_width(message: str, size: float, *, weight: str = "normal",
               family: str = "sans-serif") -> float:
    """Width in inches of ``message`` (its longest line) at ``size`` points, as matplotlib draws it.

    Examples
    --------
    >>> round(text_width("Input 64×64", 15, weight="bold"), 1)
    1.4
    >>> text_width("ab\\nabcd", 10) == text_width("abcd", 10)
    True
    """
    return max(_line_width(line, float(size), weight, family)
               for line in message.split("\n")) / POINTS


def _wrap(message: str, width: float, size: float, weight: str, family: str) -> list[str]:
    """Greedy word wrap of each paragraph at ``width`` inches (a long word keeps its line)."""
    lines: list[str] = []
    for paragraph in message.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, weight=weight,
                                   family=family) * FIT_MARGIN > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def fit_text(message: str, width: float, size: float, *, min_size: float | None = None,
             max_lines: int = 3, height: float | None = None, weight: str = "normal",
             family: str = "sans-serif", linespacing: float = 1.2) -> FittedText:
    """Shrink, then wrap, ``message`` so that it fits ``width`` (and ``height``) inches.

    The size goes down from ``size`` to ``min_size`` on one
    line; if that is not enough, the text is wrapped at spaces on 2, then
    3, ... up to ``max_lines`` lines, the largest size first. Line breaks
    already in ``message`` are kept. A message that does not fit in
    ``max_lines`` at ``min_size`` gets smaller still, down to 5 points (then
    it is wrapped on as many lines as it needs).

    Parameters
    ----------
    message : str
    width : float
        Room in inches.
    size : float
        Preferred font size in points.
    min_size : float, optional
        Smallest size to shrink to before wrapping; default 70% of ``size``,
        never below 7 points.
    max_lines : int, optional
        Most lines to wrap into before giving up on ``min_size``.
    height : float, optional
        Room in inches for all the lines (each ``linespacing`` × 1.2 × size).
    weight, family : str, optional
        As matplotlib's ``fontweight`` and ``family`` of the text.

    Returns
    -------
    FittedText
        ``(text, size)``: pass them as the text and ``fontsize``.

    Examples
    --------
    >>> fit_text("Condense 31×31", 3.0, 15, weight="bold")
    FittedText(text='Condense 31×31', size=15.0)
    >>> fit_text("Condense 31×31", 1.5, 15, weight="bold").size < 15
    True
    >>> fit_text("Campo receptivo de la unidad de salida (14, 14) de pool2", 3.5, 15)
    FittedText(text='Campo receptivo de la unidad\\nde salida (14, 14) de pool2', size=15.0)
    """
    size = float(size)
    if min_size is None:
        min_size = max(MIN_TEXT_SIZE, MIN_TEXT_SCALE * size)
    min_size = min(float(min_size), size)
    step = 0.5
    sizes = [size]
    while sizes[-1] - step >= min_size:
        sizes.append(sizes[-1] - step)
    given = message.count("\n") + 1

    def fits(lines: list[str], at: float) -> bool:
        if height is not None and len(lines) * at * linespacing * 1.2 / POINTS > height:
            return False
        return all(text_width(line, at, weight=weight, family=family) * FIT_MARGIN <= width
                   for line in lines)

    for count in range(given, max(max_lines, given) + 1):
        for at in sizes:
            lines = message.split("\n") if count == given else \
                _wrap(message, width, at, weight, family)
            if len(lines) <= count and fits(lines, at):
                return FittedText("\n".join(lines), at)
    # Nothing fits in max_lines at min_size: smaller still, down to SMALLEST_TEXT_SIZE.
    at = min_size
    while at - step >= SMALLEST_TEXT_SIZE:
        at -= step
        lines = _wrap(message, width, at, weight, family) if max_lines > given else \
            message.split("\n")
        if len(lines) <= max(max_lines, given) and fits(lines, at):
            return FittedText("\n".join(lines), at)
    return FittedText("\n".join(_wrap(message, width, at, weight, family)), at)


def panel_width(fig: Figure, columns: int, gap: float = PANEL_GAP) -> float:
    """Inches of width one of ``columns`` equal panels of ``fig`` can give its texts.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> panel_width(Figure(figsize=(14, 6)), 4)
    3.25
    """
    return max(0.5, float(fig.get_size_inches()[0]) / max(int(columns), 1) - gap)


def signed_limits(array: np.ndarray) -> tuple[float, float]:
    """Colour limits symmetric about 0, so that 0 is the diverging map's white.

    Examples
    --------
    >>> signed_limits(np.array([-1.0, 3.0, np.nan]))
    (-3.0, 3.0)
    """
    finite = array[np.isfinite(array)]
    bound = float(np.abs(finite).max()) if finite.size else 1.0
    bound = bound or 1.0
    return -bound, bound


def is_signed(array: np.ndarray) -> bool:
    """Whether ``array`` has a negative value (it then gets the diverging colour map).

    Examples
    --------
    >>> is_signed(np.array([0.0, 2.0])), is_signed(np.array([-0.5, 2.0]))
    (False, True)
    """
    finite = array[np.isfinite(array)]
    return bool(finite.size) and float(finite.min()) < 0


def text_colour(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba``.

    Examples
    --------
    >>> text_colour((1.0, 1.0, 0.8)), text_colour((0.1, 0.2, 0.5))
    ('black', 'white')
    """
    r, g, b = rgba[:3]
    # Relative luminance (ITU-R BT.709 weights, as WCAG): above half, dark text contrasts more.
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.5 else "white"


def bare_axes(ax: Axes) -> None:
    """No ticks and no frame: an image's pixels need no axis."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
