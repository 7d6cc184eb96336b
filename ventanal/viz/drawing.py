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

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["SEQUENTIAL", "DIVERGING", "KERNEL_SEQUENTIAL", "TITLE_SIZE", "LABEL_SIZE",
           "new_figure", "signed_limits", "is_signed", "text_colour", "bare_axes"]

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
