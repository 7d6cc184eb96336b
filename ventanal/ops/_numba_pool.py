"""The constants numba's pooling kernels were compiled with, as the dispatch modules and the
tests read them (imported on first use, never by ``import ventanal``).

The kernels live in :mod:`._numba_pooling` (direct and row-buffer kernels),
:mod:`._numba_doubling` (large max windows) and :mod:`._numba_vectors` (vector widths); the
conventions they share (rows, tasks, the plan's table ``geo``) are in :mod:`._numba_rows`;
:mod:`._backend` calls them as :data:`.kernel_table.KERNELS` says.
"""

from __future__ import annotations

import numba  # noqa: F401  (the kernels are compiled: this module loads numba)

from ._numba_vectors import vector_bytes, vector_lanes

__all__ = ["vector_bytes", "vector_lanes"]
