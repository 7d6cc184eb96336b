"""The class of every figure ventanal makes: a pyplot figure that a notebook shows once.

Figures are made through :func:`matplotlib.pyplot.figure`, so they behave as
matplotlib's own: ``plt.show()``, ``plt.savefig()`` and ``plt.gcf()`` see
them, and ``plt.close(fig)`` frees them. In Jupyter, the inline backend
shows every open pyplot figure at the end of a cell; a plain Figure that is
also the cell's value is then shown a second time (IPython's display of the
returned object). :class:`TeachingFigure` shows itself at most once per cell
instead (a change made after it was shown appears in the next cell that
shows it, e.g. with ``fig`` or ``display(fig)``).

This module imports matplotlib; :mod:`ventanal.viz.drawing` imports it when
the first figure is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matplotlib.figure import Figure

__all__ = ["TeachingFigure", "inline_backend_shows"]


def inline_backend_shows(fig: Figure) -> bool:
    """Whether Jupyter's inline backend will show ``fig`` (pyplot holds it, inline is active).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> inline_backend_shows(Figure())   # not made by pyplot
    False
    """
    manager = getattr(fig.canvas, "manager", None)
    if manager is None:
        return False
    from matplotlib import get_backend
    from matplotlib._pylab_helpers import Gcf

    if Gcf.figs.get(manager.num) is not manager:
        return False
    return "inline" in get_backend().lower()


class TeachingFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that Jupyter's inline backend shows once per cell.

    Everything else is matplotlib's Figure. Outside a notebook, or with
    another backend (``%matplotlib widget``, a window), it displays as any
    Figure does.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure(FigureClass=TeachingFigure)
    >>> plt.gcf() is fig, isinstance(fig, TeachingFigure)
    (True, True)
    >>> plt.close(fig)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ventanal_shown_in: object = None   # the notebook cell that showed it last
        self._ventanal_displaying = False

    @property
    def _ipython_display_(self) -> Callable[[], None] | None:
        # IPython asks for this method before any other display of an object; None makes it
        # fall back to the usual one (the inline backend's PNG of a Figure).
        # getattr: a figure restored by pickle has not run __init__.
        if getattr(self, "_ventanal_displaying", False) or not inline_backend_shows(self):
            return None
        return self._display_once

    def _display_once(self) -> None:
        """Show the figure, unless this cell already showed it.

        Both the cell's value and the inline backend's end-of-cell flush land here,
        in that order: the first shows the figure, the second finds it shown.
        """
        from IPython import get_ipython
        from IPython.display import display

        shell = get_ipython()
        cell = getattr(shell, "execution_count", None)
        if cell is not None and getattr(self, "_ventanal_shown_in", None) == cell:
            return
        self._ventanal_displaying = True
        try:
            display(self)
        finally:
            self._ventanal_displaying = False
        self._ventanal_shown_in = cell
