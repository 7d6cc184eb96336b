"""The constants numba's convolution kernels were compiled with, as the dispatch modules and
the tests read them (imported on first use, never by ``import ventanal``).

The kernels live in :mod:`._numba_convolve` (direct kernels and the BLAS path's ``im2col``)
and :mod:`._numba_conv_tiles` (register tiles, and their shape: :data:`PLANE_ROWS`,
:data:`PLANE_VECTORS`) and :mod:`._numba_winograd` (3x3 by Winograd's F(2x2, 3x3)); the
conventions they share are in :mod:`._numba_rows`; :mod:`._backend` calls them as
:data:`.kernel_table.KERNELS` says.
"""

from __future__ import annotations

import numba  # noqa: F401  (the kernels are compiled: this module loads numba)

from ._numba_conv_tiles import PLANE_ROWS, PLANE_VECTORS

__all__ = ["PLANE_ROWS", "PLANE_VECTORS"]
