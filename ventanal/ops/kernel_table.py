"""The kernels the dispatch modules call: where each lives and how it is called.

The one table :mod:`._backend` builds its namespaces from, numba's (the kernels behind their
guards) and the native store's (:mod:`._native`), so both have the same names and call forms.
This module imports no numba.
"""

from __future__ import annotations

from ..geometry import TABLE_COLUMNS, AxisWindow, WindowPlan

__all__ = ["KERNELS", "taking_table"]

# name: (module of ventanal.ops that defines it, position of the plan's table among its
# arguments or None, whether it is a prelude: a cheap kernel an op calls before its main one)
KERNELS: dict[str, tuple[str, int | None, bool]] = {
    "max_rows": ("_numba_pooling", 2, False),
    "max_channels": ("_numba_pooling", 2, False),
    "avg_rows": ("_numba_pooling", 2, False),
    "avg_channels": ("_numba_pooling", 2, False),
    "max_doubling": ("_numba_doubling", 2, False),
    "conv_channels": ("_numba_convolve", 3, False),
    "conv_planes": ("_numba_convolve", 3, False),
    "im2col": ("_numba_convolve", 2, False),
    "conv_plane_tiles": ("_numba_conv_tiles", 3, False),
    "conv_tiles": ("_numba_conv_tiles", 5, False),
    "conv_winograd": ("_numba_winograd", 1, False),
    "transform_filters": ("_numba_winograd", None, True),
}


def taking_table(kernel, position: int | None):
    """``kernel`` taking as its argument ``position`` either the plan's table or the seven
    columns ``size .. span`` of each of its rows, which it then widens to the table (the
    form :mod:`._fast` passed before the table had more columns). ``kernel`` itself when
    ``position`` is None.

    >>> import numpy as np
    >>> seen = taking_table(lambda x, geo: geo.shape, 1)
    >>> seen(None, np.array([[8, 2, 2, 1, 0, 4, 2]]))[1] == len(TABLE_COLUMNS)
    True
    """
    if position is None:
        return kernel

    def run(*args):
        geo = args[position]
        if geo.shape[1] != len(TABLE_COLUMNS):
            # pad_after enters no column of the table: 0 stands for it
            axes = tuple(AxisWindow(size, window, stride, dilation, pad_before, 0, output)
                         for size, window, stride, dilation, pad_before, output, _
                         in geo.tolist())
            args = args[:position] + (WindowPlan(axes).table(),) + args[position + 1:]
        return kernel(*args)

    run.__name__ = run.__qualname__ = getattr(kernel, "__name__", "kernel")
    run.__doc__ = kernel.__doc__
    return run
