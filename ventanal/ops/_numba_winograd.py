"""numba kernel for 3x3 convolutions with stride 1 by Winograd's minimal filtering F(2x2, 3x3)
(imported on first use, never by ``import ventanal``).

Conventions (rows, tasks, ``geo``) in :mod:`._numba_rows`; the readable NumPy version of the
same algorithm, and the transforms' matrices, are in :mod:`._winograd_reference`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._numba_conv_tiles import TILE_ROWS, VECTOR_BYTES, WIDE, tile, tile_wide
from ._numba_convolve import CONV_OPTIONS
from ._numba_rows import HEIGHT, OUTPUT, WIDTH, axis_taps, copy_cells, fill, row_buffer_layout

_OPTIONS = CONV_OPTIONS
BLOCK_TILES = 30    # tiles transformed together: their 16 matrices stay in the core's L2


@njit(**_OPTIONS)
def _b4(p0, p1, p2, p3, q0, q1, q2, q3, n):
    """``q = B^T p`` on rows: ``(p0 - p2, p1 + p2, p2 - p1, p1 - p3)``, ``n`` cells."""
    for c in range(n):
        q0[c] = p0[c] - p2[c]
        q1[c] = p1[c] + p2[c]
        q2[c] = p2[c] - p1[c]
        q3[c] = p1[c] - p3[c]


@njit(**_OPTIONS)
def _b4_tiles(row, q0, q1, q2, q3, count, C):
    """``B^T`` across the columns of ``count`` tiles of ``row``: tile ``t`` reads its cells
    ``2t*C .. (2t+4)*C`` and writes ``q.[t*C .. (t+1)*C]``."""
    for t in range(count):
        s = 2 * t * C
        o = t * C
        for c in range(C):
            p0 = row[s + c]
            p1 = row[s + C + c]
            p2 = row[s + 2 * C + c]
            p3 = row[s + 3 * C + c]
            q0[o + c] = p0 - p2
            q1[o + c] = p1 + p2
            q2[o + c] = p2 - p1
            q3[o + c] = p1 - p3


@njit(**_OPTIONS)
def _a4(p0, p1, p2, p3, q0, q1, n):
    """``q = A^T p`` on rows: ``(p0 + p1 + p2, p1 - p2 - p3)``, ``n`` cells."""
    for c in range(n):
        q0[c] = p0[c] + p1[c] + p2[c]
        q1[c] = p1[c] - p2[c] - p3[c]


@njit(**_OPTIONS)
def _a4_tiles(p0, p1, p2, p3, row, count, N, checks):
    """``A^T`` across the columns of ``count`` tiles: tile ``t`` reads ``p.[t*N ..]`` and
    writes the output pixels ``2t`` and ``2t + 1`` of ``row`` (``N`` cells each);
    ``checks += result * 0``, NaN once a result is not finite."""
    for t in range(count):
        o = t * N
        r = 2 * t * N
        for n in range(N):
            v0 = p0[o + n] + p1[o + n] + p2[o + n]
            v1 = p1[o + n] - p2[o + n] - p3[o + n]
            row[r + n] = v0
            row[r + N + n] = v1
            checks[n] += (v0 + v1) * 0


@njit(**_OPTIONS)
def _g3(p0, p1, p2):
    """``G p`` for one column of three: ``(p0, (p0 + p1 + p2) / 2, (p0 - p1 + p2) / 2, p2)``."""
    return p0, 0.5 * (p0 + p1 + p2), 0.5 * (p0 - p1 + p2), p2


@njit(**_OPTIONS)
def transform_filters(w, U):
    """``U[4a + b] = (G g G^T)[a, b]`` for every filter ``g``: ``w`` is (9, pairs), the taps of
    each (in, out) pair in row-major order, ``U`` (16, pairs); computed in float64 and rounded
    once (the readable version: :func:`ventanal.ops.winograd.transform_filters`)."""
    for q in range(w.shape[1]):
        # G down each of the three columns of taps, in float64
        r0 = _g3(np.float64(w[0, q]), np.float64(w[3, q]), np.float64(w[6, q]))
        r1 = _g3(np.float64(w[1, q]), np.float64(w[4, q]), np.float64(w[7, q]))
        r2 = _g3(np.float64(w[2, q]), np.float64(w[5, q]), np.float64(w[8, q]))
        for a in range(4):
            u = _g3(r0[a], r1[a], r2[a])   # then along each row
            for b in range(4):
                U[4 * a + b, q] = u[b]


@njit(**_OPTIONS)
def conv_winograd(x2, geo, U, out2, checks, first_task, last_task):
    """3x3 convolution with stride 1 and no dilation by Winograd's F(2x2, 3x3), on a
    float dtype.

    ``x2`` holds the input's rows (one per ``(batch, h)``, ``W * C`` long, channels last),
    ``U`` the transformed filters (16, C, N) (:func:`ventanal.ops.winograd.transform_filters`)
    and ``out2`` the result's pixels (pixels, N). One task per pair of output rows
    ``(batch, pair)``: the four input rows the pair reads go into a zero-padded buffer, and
    its tiles (2x2 outputs, 4x4 inputs) are done by blocks of at most ``BLOCK_TILES``, whose
    16 transformed matrices stay in the core's cache: ``V = B^T d B`` for every tile and
    channel, ``M[k] = V[k] @ U[k]`` for each of the 16 positions ``k`` by the register tiles
    of :mod:`._numba_conv_tiles`, and ``A^T M A`` into the output rows. ``checks[task]`` ends
    NaN when a result of the task is not finite: where the direct sum gives inf, the transforms
    may give NaN (``inf - inf``), so the caller then computes the convolution directly.
    """
    H, _, _, _, first_h, Ho = axis_taps(geo, HEIGHT)
    Wo = geo[WIDTH, OUTPUT]
    C = U.shape[1]
    N = U.shape[2]
    start, read, row_cells = row_buffer_layout(geo, C)
    tiles_w = (Wo + 1) // 2
    pairs = (Ho + 1) // 2
    # the last tile of an odd row of outputs reads a column past the windows' span
    cells = max(row_cells, (2 * tiles_w + 2) * C)
    rows = np.empty((4, cells), x2.dtype)
    block = min(BLOCK_TILES, tiles_w)
    T = np.empty((4, (2 * block + 2) * C), x2.dtype)   # B^T d, by tile columns
    V = np.empty((16, block * C), x2.dtype)
    M = np.empty((16, block * N), x2.dtype)
    S = np.empty((8, block * N), x2.dtype)             # A^T M, by tile columns
    spare = np.empty(2 * block * N, x2.dtype)          # outputs past the result's last
    flags = np.empty(N, x2.dtype)
    flat = out2.reshape(-1)
    terms = np.arange(C)
    strip = 2 * (VECTOR_BYTES // x2.itemsize)
    wide = WIDE and N % (2 * strip) == 0
    for task in range(first_task, last_task):
        b = task // pairs
        i0 = 2 * (task % pairs)
        for a in range(4):
            y = i0 + first_h + a     # stride 1: window i0 starts at row i0 + first_h
            line = rows[a]
            if 0 <= y < H:
                fill(line, start, 0)
                copy_cells(line[start:], x2[b * H + y], read)
                fill(line[start + read:], cells - start - read, 0)
            else:
                fill(line, cells, 0)
        fill(flags, N, 0)
        for t0 in range(0, tiles_w, block):
            count = min(block, tiles_w - t0)
            first = 2 * t0 * C
            _b4(rows[0, first:], rows[1, first:], rows[2, first:], rows[3, first:],
                T[0], T[1], T[2], T[3], (2 * count + 2) * C)
            for i in range(4):
                _b4_tiles(T[i], V[4 * i], V[4 * i + 1], V[4 * i + 2], V[4 * i + 3], count, C)
            for k in range(16):
                Vk = V[k]
                Uk = U[k]
                Mk = M[k].reshape((block, N))
                for r in range(0, count, TILE_ROWS):
                    n = min(TILE_ROWS, count - r)
                    if wide:
                        for co in range(0, N, 2 * strip):
                            tile_wide(Vk, r * C, C, terms, Uk, co, Mk, r, n, False)
                    else:
                        for co in range(0, N, strip):
                            tile(Vk, r * C, C, terms, Uk, co, Mk, r, n, False)
            for j in range(4):
                _a4(M[j], M[4 + j], M[8 + j], M[12 + j], S[j], S[4 + j], count * N)
            j = 2 * t0
            whole = j + 2 * count <= Wo
            for r in range(2):
                first = ((b * Ho + i0 + r) * Wo + j) * N
                if whole and i0 + r < Ho:
                    _a4_tiles(S[4 * r], S[4 * r + 1], S[4 * r + 2], S[4 * r + 3],
                              flat[first:], count, N, flags)
                else:   # the block's last column or its row is past the result's
                    _a4_tiles(S[4 * r], S[4 * r + 1], S[4 * r + 2], S[4 * r + 3],
                              spare, count, N, flags)
                    if i0 + r < Ho:
                        copy_cells(flat[first:], spare, (Wo - j) * N)
        total = flags[0]
        for n in range(1, N):
            total += flags[n]
        checks[task] = total
