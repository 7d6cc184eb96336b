"""numba kernel for 3x3 convolutions with stride 1 by Winograd's minimal filtering F(2x2, 3x3)
(imported on first use, never by ``import ventanal``).

Conventions (rows, tasks, ``geo``) in :mod:`._numba_rows`; the algorithm, its matrices and
its readable NumPy version are in :mod:`.winograd`. The input transform ``B^T d B`` runs over
whole vectors of channels in LLVM IR (:func:`_input_vectors`), or, when the channels do not
fill whole vectors, as two passes of numba loops (:func:`_b4`, :func:`_b4_tiles`): the same
operations in the same order, hence the same bits. The output transform (:func:`_output_vectors`)
needs output channels in whole vectors, which the dispatch guarantees (they come in register
tiles of two vectors). The 16 matrix products go through the register tiles of
:mod:`._numba_conv_tiles`, with the tiles' pixels as rows and the input channels as terms.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._numba_conv_tiles import TILE_ROWS, VECTOR_BYTES, WIDE, tile, tile_wide
from ._numba_convolve import CONV_OPTIONS
from ._numba_rows import HEIGHT, OUTPUT, SIZE, WIDTH, axis_taps, copy_cells, fill, row_buffer_layout

_OPTIONS = CONV_OPTIONS
# Tiles transformed together: with 64 -> 64 channels their 16 input and 16 product matrices
# (2 x 120 KiB) and the 16 filter matrices (256 KiB) stay in a core's L2 (512 KiB on Zen 3).
BLOCK_TILES = 30


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


# ---------------------------------------------------------------------------------------------
# The transforms on whole vectors of channels, written in LLVM IR: the loops above keep their
# operands in memory between the two passes and check at every tile that their arrays do not
# overlap (on the 64 -> 64 workload, one thread, Zen 3: 2.1 ms for the input transform
# against 0.7 ms here); these hold a tile's 16 vectors in registers.
# ---------------------------------------------------------------------------------------------

def _vectors(builder, array_type, array, context):
    """The data pointer of ``array``, its row length (2-D arrays) and the vector type of whole
    registers of its dtype."""
    ary = context.make_array(array_type)(context, builder, array)
    scalar = ary.data.type.pointee
    size = 4 if scalar == ir.FloatType() else 8
    return ary, ir.VectorType(scalar, VECTOR_BYTES // size), size


def _at(builder, pointer, index, vec, size):
    """The vector at element ``index`` of ``pointer``: (address, loaded value)."""
    address = builder.bitcast(builder.gep(pointer, [index]), vec.as_pointer())
    return address, builder.load(address, align=size)


@intrinsic
def _input_vectors(typingctx, rows, first, V, count, C):
    """:func:`_b4` then :func:`_b4_tiles` for ``count`` tiles, ``C`` a multiple of the lanes:
    ``V[4i + j, t*C + c] = (B^T d B)[i, j]`` with ``d[a, b] = rows[a, first + (2t + b)*C + c]``.
    """
    if not (isinstance(getattr(rows, "dtype", None), types.Float) and V.dtype == rows.dtype):
        return None

    def codegen(context, builder, signature, args):
        rows_a, first_, V_a, count_, C_ = args
        rows_ary, vec, size = _vectors(builder, signature.args[0], rows_a, context)
        V_ary, _, _ = _vectors(builder, signature.args[2], V_a, context)
        i64 = ir.IntType(64)
        row_len = builder.extract_value(rows_ary.shape, 1)
        V_len = builder.extract_value(V_ary.shape, 1)
        lanes = i64(vec.count)
        with cgutils.for_range(builder, count_) as tile:
            t = tile.index
            source = builder.add(first_, builder.mul(builder.mul(t, i64(2)), C_))
            target = builder.mul(t, C_)
            with cgutils.for_range(builder, builder.sdiv(C_, lanes)) as vector:
                c = builder.mul(vector.index, lanes)
                d = [[_at(builder, rows_ary.data, builder.add(
                    builder.add(builder.mul(i64(a), row_len), source),
                    builder.add(builder.mul(i64(b), C_), c)), vec, size)[1]
                    for b in range(4)] for a in range(4)]
                q = [[builder.fsub(d[0][b], d[2][b]), builder.fadd(d[1][b], d[2][b]),
                      builder.fsub(d[2][b], d[1][b]), builder.fsub(d[1][b], d[3][b])]
                     for b in range(4)]          # q[b][i]: B^T d, column b
                for i in range(4):
                    values = (builder.fsub(q[0][i], q[2][i]), builder.fadd(q[1][i], q[2][i]),
                              builder.fsub(q[2][i], q[1][i]), builder.fsub(q[1][i], q[3][i]))
                    for j, value in enumerate(values):
                        address, _ = _at(builder, V_ary.data, builder.add(
                            builder.mul(i64(4 * i + j), V_len), builder.add(target, c)),
                            vec, size)
                        builder.store(value, address, align=size)
        return context.get_dummy_value()

    return types.none(rows, first, V, count, C), codegen


@intrinsic
def _output_vectors(typingctx, S, count, N, y0, y1, checks):
    """``A^T m A`` for ``count`` tiles, ``N`` a multiple of the lanes: ``m[i, j]`` is
    ``S[4i + j, t*N + n]`` (the 16 products of tile ``t``), and output row ``r`` of the tile
    goes to ``y<r>[2t*N ..]`` (two pixels of ``N``); ``checks += result * 0``, NaN once a
    result is not finite. Rows first, ``(m0 + m1) + m2`` and ``(m1 - m2) - m3``, then
    columns alike."""
    if not (isinstance(getattr(S, "dtype", None), types.Float) and y0.dtype == S.dtype):
        return None

    def codegen(context, builder, signature, args):
        M_a, count_, N_, y0_a, y1_a, checks_a = args
        M_ary, vec, size = _vectors(builder, signature.args[0], M_a, context)
        outs = [_vectors(builder, signature.args[k], a, context)[0].data
                for k, a in ((3, y0_a), (4, y1_a))]
        checks_p = _vectors(builder, signature.args[5], checks_a, context)[0].data
        i64 = ir.IntType(64)
        M_len = builder.extract_value(M_ary.shape, 1)
        lanes = i64(vec.count)
        zero = ir.Constant(vec, None)
        with cgutils.for_range(builder, count_) as tile:
            t = tile.index
            source = builder.mul(t, N_)
            target = builder.mul(builder.mul(t, i64(2)), N_)
            with cgutils.for_range(builder, builder.sdiv(N_, lanes)) as vector:
                n = builder.mul(vector.index, lanes)
                m = [_at(builder, M_ary.data, builder.add(builder.mul(i64(k), M_len),
                                                          builder.add(source, n)), vec, size)[1]
                     for k in range(16)]
                s = [[builder.fadd(builder.fadd(m[j], m[4 + j]), m[8 + j]) for j in range(4)],
                     [builder.fsub(builder.fsub(m[4 + j], m[8 + j]), m[12 + j])
                      for j in range(4)]]         # s[r][j]: A^T M, column j
                total = zero
                for r in range(2):
                    v0 = builder.fadd(builder.fadd(s[r][0], s[r][1]), s[r][2])
                    v1 = builder.fsub(builder.fsub(s[r][1], s[r][2]), s[r][3])
                    for pixel, value in ((0, v0), (1, v1)):
                        address, _ = _at(builder, outs[r], builder.add(
                            target, builder.add(builder.mul(i64(pixel), N_), n)), vec, size)
                        builder.store(value, address, align=size)
                    total = builder.fadd(total, builder.fadd(v0, v1))
                address, old = _at(builder, checks_p, n, vec, size)
                builder.store(builder.fadd(old, builder.fmul(total, zero)), address, align=size)
        return context.get_dummy_value()

    return types.none(S, count, N, y0, y1, checks), codegen


@njit(**_OPTIONS)
def transform_filters(w, U, pairs):
    """``U[4a + b, q] = (G g G^T)[a, b]`` for the filter ``g`` of each (in, out) pair ``q <
    pairs``: ``w`` is (9, >= pairs), the taps of each pair in row-major order, ``U`` (16, >=
    pairs). (Rows a multiple of 4 KiB apart would all fall in the same sets of the L1 cache:
    the caller pads them.) Computed in float64 and rounded
    once (the readable version: :func:`ventanal.ops.winograd.transform_filters`). ``G`` has
    rows ``(1, 0, 0)``, ``(1/2, 1/2, 1/2)``, ``(1/2, -1/2, 1/2)``, ``(0, 0, 1)``: down each
    column of taps first, then along each row, every sum written out so that the loop runs
    over vectors of pairs."""
    for q in range(pairs):
        g0, g1, g2 = np.float64(w[0, q]), np.float64(w[1, q]), np.float64(w[2, q])
        g3, g4, g5 = np.float64(w[3, q]), np.float64(w[4, q]), np.float64(w[5, q])
        g6, g7, g8 = np.float64(w[6, q]), np.float64(w[7, q]), np.float64(w[8, q])
        # G g: row a of the 4x3 result, columns 0-2
        a10, a11, a12 = 0.5 * (g0 + g3 + g6), 0.5 * (g1 + g4 + g7), 0.5 * (g2 + g5 + g8)
        a20, a21, a22 = 0.5 * (g0 - g3 + g6), 0.5 * (g1 - g4 + g7), 0.5 * (g2 - g5 + g8)
        # (G g) G^T, row by row
        U[0, q], U[1, q] = g0, 0.5 * (g0 + g1 + g2)
        U[2, q], U[3, q] = 0.5 * (g0 - g1 + g2), g2
        U[4, q], U[5, q] = a10, 0.5 * (a10 + a11 + a12)
        U[6, q], U[7, q] = 0.5 * (a10 - a11 + a12), a12
        U[8, q], U[9, q] = a20, 0.5 * (a20 + a21 + a22)
        U[10, q], U[11, q] = 0.5 * (a20 - a21 + a22), a22
        U[12, q], U[13, q] = g6, 0.5 * (g6 + g7 + g8)
        U[14, q], U[15, q] = 0.5 * (g6 - g7 + g8), g8


@njit(**_OPTIONS)
def conv_winograd(x2, geo, U, out2, checks, first_task, last_task):
    """3x3 convolution with stride 1 and no dilation by Winograd's F(2x2, 3x3), on a
    float dtype.

    ``x2`` holds the input's rows (one per ``(batch, h)``, ``W * C`` long, channels last),
    ``U`` the transformed filters (:func:`transform_filters`), row ``k`` starting with the
    (C, N) matrix of position ``k``, and ``out2`` the result's pixels (pixels, N). One task
    per pair of output rows ``(batch, pair)``: the four input rows the pair reads go into a
    zero-padded buffer, and its tiles (2x2 outputs, 4x4 inputs) are done by blocks of at most
    ``BLOCK_TILES``, whose 16 transformed matrices stay in the core's cache: ``V = B^T d B``
    for every tile and channel, ``M[k] = V[k] @ U[k]`` for each of the 16 positions ``k`` by
    the register tiles of :mod:`._numba_conv_tiles`, and ``A^T M A`` into the output rows.
    ``checks[task]`` ends NaN when a result of the task is not finite: where the direct sum
    gives inf, the transforms may give NaN (``inf - inf``), so the caller then computes the
    convolution directly.
    """
    H, _, _, _, first_h, Ho = axis_taps(geo, HEIGHT)
    Wo = geo[WIDTH, OUTPUT]
    C = x2.shape[1] // geo[WIDTH, SIZE]
    N = out2.shape[1]
    start, read, row_cells = row_buffer_layout(geo, C)
    tiles_w = (Wo + 1) // 2
    pairs = (Ho + 1) // 2
    # the last tile of an odd row of outputs reads a column past the windows' span
    cells = max(row_cells, (2 * tiles_w + 2) * C)
    rows = np.empty((4, cells), x2.dtype)
    block = min(BLOCK_TILES, tiles_w)
    V = np.empty((16, block * C), x2.dtype)
    M = np.empty((16, block * N), x2.dtype)
    spare = np.empty((2, 2 * block * N), x2.dtype)     # outputs past the result's last
    flags = np.empty(N, x2.dtype)
    flat = out2.reshape(-1)
    terms = np.arange(C)
    strip = 2 * (VECTOR_BYTES // x2.itemsize)
    wide = WIDE and N % (2 * strip) == 0
    lanes = VECTOR_BYTES // x2.itemsize
    vectors_in = C % lanes == 0
    # B^T d by tile columns, for the numba loops only
    T = np.empty((4, 0 if vectors_in else (2 * block + 2) * C), x2.dtype)
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
            if vectors_in:
                _input_vectors(rows, first, V, count, C)
            else:
                _b4(rows[0, first:], rows[1, first:], rows[2, first:], rows[3, first:],
                    T[0], T[1], T[2], T[3], (2 * count + 2) * C)
                for i in range(4):
                    _b4_tiles(T[i], V[4 * i], V[4 * i + 1], V[4 * i + 2], V[4 * i + 3],
                              count, C)
            for k in range(16):
                Vk = V[k]
                Uk = U[k, :C * N].reshape((C, N))
                Mk = M[k].reshape((block, N))
                for r in range(0, count, TILE_ROWS):
                    n = min(TILE_ROWS, count - r)
                    if wide:
                        for co in range(0, N, 2 * strip):
                            tile_wide(Vk, r * C, C, terms, Uk, co, Mk, r, n, False)
                    else:
                        for co in range(0, N, strip):
                            tile(Vk, r * C, C, terms, Uk, co, Mk, r, n, False)
            j = 2 * t0
            whole = j + 2 * count <= Wo
            # each output row of the pair: into the result, or through spare when the
            # block's last column or the row itself is past the result's
            first = ((b * Ho + i0) * Wo + j) * N
            y0 = flat[first:] if whole else spare[0]
            y1 = flat[first + Wo * N:] if whole and i0 + 1 < Ho else spare[1]
            _output_vectors(M, count, N, y0, y1, flags)
            for r in range(2):
                if i0 + r < Ho and not (whole and (r == 0 or i0 + 1 < Ho)):
                    copy_cells(flat[first + r * Wo * N:], spare[r], (Wo - j) * N)
        total = flags[0]
        for n in range(1, N):
            total += flags[n]
        checks[task] = total
