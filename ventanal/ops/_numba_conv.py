"""The numba convolution kernels :mod:`._fast` calls (imported on first use, never by
``import ventanal``).

The kernels live in :mod:`._numba_convolve` (direct kernels and the BLAS path's ``im2col``)
and :mod:`._numba_conv_tiles` (register tiles, and their shape: :data:`PLANE_ROWS`,
:data:`PLANE_VECTORS`) and :mod:`._numba_winograd` (3x3 by Winograd's F(2x2, 3x3)); the
conventions they share are in :mod:`._numba_rows`.
"""

from __future__ import annotations

import numba  # noqa: F401  (the kernels below are compiled: this module loads numba)

from ._numba_conv_tiles import PLANE_ROWS, PLANE_VECTORS
from ._numba_conv_tiles import conv_plane_tiles as _conv_plane_tiles
from ._numba_conv_tiles import conv_tiles as _conv_tiles
from ._numba_convolve import conv_channels as _conv_channels
from ._numba_convolve import conv_planes as _conv_planes
from ._numba_convolve import im2col as _im2col
from ._numba_winograd import conv_winograd as _conv_winograd
from ._numba_winograd import transform_filters
from .kernel_table import taking_table

__all__ = ["PLANE_ROWS", "PLANE_VECTORS", "conv_channels", "conv_plane_tiles", "conv_planes",
           "conv_tiles", "conv_winograd", "im2col", "transform_filters"]

conv_planes = taking_table(_conv_planes, 3)
conv_plane_tiles = taking_table(_conv_plane_tiles, 3)
conv_channels = taking_table(_conv_channels, 3)
conv_tiles = taking_table(_conv_tiles, 5)
im2col = taking_table(_im2col, 2)
conv_winograd = taking_table(_conv_winograd, 1)
# The names _fast reads today.
_PLANE_ROWS, _PLANE_VECTORS = PLANE_ROWS, PLANE_VECTORS
