"""Window arithmetic: the one place where ventanal computes sizes and pads.

Every sliding-window operation (pooling, convolution, layers, receptive
fields, figures, the command line) asks this module for a *plan* and never
re-derives output sizes or padding itself. The rules are TensorFlow's, with
PyTorch's conventions available by argument; ``docs/semantics.md`` holds
the framework evidence behind each formula.

Per spatial axis, with input size ``n``, window ``k``, stride ``s``,
dilation ``d`` and effective window ``e = d*(k-1) + 1``:

==============  ==========================================  =====================
padding         output size                                 padding (before, after)
==============  ==========================================  =====================
``"VALID"``     ``(n - e) // s + 1``                        ``(0, 0)``
``"SAME"``      ``ceil(n / s)``                             ``max(0, (o-1)*s + e - n)`` split
                                                            with the extra cell *after*
``"FULL"``      ``(n + 2(e-1) - e) // s + 1``               ``(e-1, e-1)``
``"CAUSAL"``    ``(n - 1) // s + 1``                        ``(e-1, 0)``
``p`` (int)     ``(n + 2p - e) // s + 1``                   ``(p, p)`` (PyTorch)
``(lo, hi)``    ``(n + lo + hi - e) // s + 1``              as given
==============  ==========================================  =====================

With ``ceil_mode=True`` (PyTorch) the division rounds up, and the last
window is dropped when it would start in the right padding.

Output cell ``j`` reads the input positions ``j*s - lo + m*d`` for
``m = 0 .. k-1``; a position outside ``[0, n)`` is a padded cell.
"""

from .arguments import (
    LARGEST,
    PADDING_NAMES,
    IntOrSequence,
    PaddingLike,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from .fields import Field, receptive_field_step
from .plans import TABLE_COLUMNS, WindowPlan, axis_row, plan
from .reads import canvas_cells, cells_read, read_taps, tap_positions
from .shapes import output_shape, padding_amounts
from .windows import AxisWindow, effective_window

__all__ = [
    "AxisWindow",
    "WindowPlan",
    "Field",
    "PADDING_NAMES",
    "LARGEST",
    "PaddingLike",
    "IntOrSequence",
    "normalize_tuple",
    "normalize_padding",
    "normalize_data_format",
    "TABLE_COLUMNS",
    "axis_row",
    "effective_window",
    "plan",
    "output_shape",
    "padding_amounts",
    "receptive_field_step",
    "canvas_cells",
    "cells_read",
    "read_taps",
    "tap_positions",
]
