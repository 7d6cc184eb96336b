"""Winograd's minimal filtering F(2x2, 3x3): a 3x3 convolution with 2.25 times fewer
multiplications.

A 3x3 convolution with stride 1 computes each output as 9 products per input channel. Winograd
(Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) computes a tile of
2x2 outputs from the 4x4 input cells they read with 16 products per channel instead of 36:

``Y = A^T [ (G g G^T) * (B^T d B) ] A``

where ``d`` is the 4x4 input tile, ``g`` the 3x3 filter, ``*`` the elementwise product, and
``B^T`` (4x4), ``G`` (4x3) and ``A^T`` (2x4) hold only 0, 1, -1 and 1/2. Summed over the input
channels, the 16 elementwise products of a tile become 16 matrix products, one per position of
the 4x4 transformed tile: ``M[k] = V[k] @ U[k]`` with ``V[k]`` (tiles, channels in) and
``U[k]`` (channels in, channels out). The numba kernel (:mod:`._numba_winograd`) computes those
by blocks of tiles that stay in the core's cache; :func:`winograd_reference` here is the same
algorithm in NumPy, short enough to read.

Rounding: output ``(0, 0)`` of a tile uses input rows and columns 0-2, output ``(1, 1)`` rows
and columns 1-3, each exactly its own window, so its error is of the size of its own terms,
as with a direct sum, times a small factor (the transforms add up to 4 values before the
products); it is not the same bits. A non-finite input can turn a direct ``inf`` into NaN
here (``inf - inf`` in ``B^T d B``): :func:`ventanal.conv` then computes the convolution
directly.
"""

from __future__ import annotations

import numpy as np

from .. import geometry

__all__ = ["A_T", "B_T", "G", "tiles", "transform_filters", "winograd_reference"]

#: Input transform ``B^T`` (4x4): ``V = B^T d B``.
B_T = np.array([[1, 0, -1, 0],
                [0, 1, 1, 0],
                [0, -1, 1, 0],
                [0, 1, 0, -1]], np.float64)
#: Filter transform ``G`` (4x3): ``U = G g G^T``.
G = np.array([[1, 0, 0],
              [0.5, 0.5, 0.5],
              [0.5, -0.5, 0.5],
              [0, 0, 1]], np.float64)
#: Output transform ``A^T`` (2x4): ``Y = A^T M A``.
A_T = np.array([[1, 1, 1, 0],
                [0, 1, -1, -1]], np.float64)


def transform_filters(w: np.ndarray, dtype) -> np.ndarray:
    """The filters (3, 3, in, out) transformed, ``U = G g G^T`` for every (in, out) pair, as
    (16, in, out) in ``dtype``: row ``4a + b`` is position ``(a, b)`` of the 4x4 tile.

    Computed in float64 and rounded once.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.zeros((3, 3, 1, 1)); w[1, 1] = 1.0        # the identity filter
    >>> transform_filters(w, np.float32)[:, 0, 0].reshape(4, 4)
    array([[ 0.  ,  0.  ,  0.  ,  0.  ],
           [ 0.  ,  0.25, -0.25,  0.  ],
           [ 0.  , -0.25,  0.25,  0.  ],
           [ 0.  ,  0.  ,  0.  ,  0.  ]], dtype=float32)
    """
    if w.ndim != 4 or w.shape[:2] != (3, 3):
        raise ValueError(f"filters must have shape (3, 3, in, out), got {w.shape}")
    U = np.einsum("ai,ijcn,bj->abcn", G, w.astype(np.float64), G)
    return np.ascontiguousarray(U.reshape(16, w.shape[2], w.shape[3]), dtype)


def tiles(outputs: int) -> int:
    """Tiles along an axis of ``outputs`` outputs, two outputs each (the last may have one).

    >>> tiles(56), tiles(7)
    (28, 4)
    """
    return -(-outputs // 2)


def _tile_cells(axis: geometry.AxisWindow) -> np.ndarray:
    """(tiles, 4): the input positions tile ``t`` reads along ``axis``, the three taps of
    window ``2t`` and the last tap of window ``2t + 1``."""
    first = 2 * np.arange(tiles(axis.output))
    return np.concatenate([axis.tap(first[:, None], np.arange(3)),
                           axis.tap(first[:, None] + 1, np.array([2]))], axis=1)


def winograd_reference(x: np.ndarray, w: np.ndarray, plan: geometry.WindowPlan) -> np.ndarray:
    """The convolution of channels-last ``x`` (batch, H, W, in) with ``w`` (3, 3, in, out),
    stride 1 and no dilation, by F(2x2, 3x3) in NumPy (float64).

    Examples
    --------
    >>> import numpy as np
    >>> import ventanal
    >>> from ventanal import geometry
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((1, 5, 6, 2)); w = rng.random((3, 3, 2, 4))
    >>> plan = geometry.plan((5, 6), 3, 1, "same")
    >>> direct = ventanal.conv(x, w, padding="same")
    >>> bool(np.allclose(winograd_reference(x, w, plan), direct))
    True
    """
    axis_h, axis_w = plan.axes
    if (axis_h.window, axis_w.window, axis_h.stride, axis_w.stride, axis_h.dilation,
            axis_w.dilation) != (3, 3, 1, 1, 1, 1):
        raise ValueError(f"F(2x2, 3x3) needs a 3x3 window, stride 1, no dilation; got {plan}")
    rows, cols = _tile_cells(axis_h), _tile_cells(axis_w)
    inside = (((rows >= 0) & (rows < axis_h.size))[:, None, :, None]
              & ((cols >= 0) & (cols < axis_w.size))[None, :, None, :])
    d = x.astype(np.float64)[:, np.clip(rows, 0, axis_h.size - 1)[:, None, :, None],
                             np.clip(cols, 0, axis_w.size - 1)[None, :, None, :], :]
    d = np.where(inside[None, ..., None], d, 0.0)                  # (b, th, tw, 4, 4, in)
    V = np.einsum("ia,ztsabc,jb->ztsijc", B_T, d, B_T)
    U = transform_filters(w, np.float64).reshape(4, 4, w.shape[2], w.shape[3])
    M = np.einsum("ztsijc,ijco->ztsijo", V, U)
    Y = np.einsum("pi,ztsijo,qj->ztspqo", A_T, M, A_T)             # (b, th, tw, 2, 2, out)
    b, th, tw, _, _, n = Y.shape
    y = Y.transpose(0, 1, 3, 2, 4, 5).reshape(b, 2 * th, 2 * tw, n)
    return y[:, :axis_h.output, :axis_w.output]
