"""The numba pooling kernels :mod:`._fast` calls (imported on first use, never by
``import ventanal``).

The kernels live in :mod:`._numba_pooling` (direct and row-buffer kernels),
:mod:`._numba_doubling` (large max windows) and :mod:`._numba_vectors` (vector widths); the
conventions they share (rows, tasks, the plan's table ``geo``) are in :mod:`._numba_rows`.
"""

from __future__ import annotations

import numba  # noqa: F401  (the kernels below are compiled: this module loads numba)

from ._numba_doubling import max_doubling as _max_doubling
from ._numba_pooling import avg_channels as _avg_channels
from ._numba_pooling import avg_rows as _avg_rows
from ._numba_pooling import max_channels as _max_channels
from ._numba_pooling import max_rows as _max_rows
from ._numba_vectors import vector_bytes, vector_lanes
from .kernel_table import taking_table

__all__ = ["avg_channels", "avg_rows", "max_channels", "max_doubling", "max_rows",
           "vector_bytes", "vector_lanes"]

max_rows = taking_table(_max_rows, 2)
avg_rows = taking_table(_avg_rows, 2)
max_channels = taking_table(_max_channels, 2)
avg_channels = taking_table(_avg_channels, 2)
max_doubling = taking_table(_max_doubling, 2)
