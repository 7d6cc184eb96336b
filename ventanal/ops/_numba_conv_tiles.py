"""numba kernels for convolution by register tiles, written in LLVM IR (imported on first use,
never by ``import ventanal``).

Conventions (rows, tasks, ``geo``) in :mod:`._numba_rows`. Both kernels multiply padded cells
(zeros) like the reference, so that ``0 * inf`` is NaN.

* :func:`conv_plane_tiles`: single-channel planes with stride 1 and no row dilation, by tiles
  of four output rows by 2-4 vectors of columns in registers (:func:`_plane_tile`): each input
  row loaded once per tap column feeds the four output rows. For large kernels it is several
  times faster than :func:`._numba_convolve.conv_planes`, and faster than an FFT up to a few
  thousand taps (``benchmarks/README.md``).
* :func:`conv_tiles`: float convolutions with few terms (taps x input channels) per output and
  output channels in strips of two vectors (16 float32 with AVX2, 32 with AVX-512;
  :func:`._numba_vectors.vector_bytes`): each call pads the input rows a band of its output
  rows reads into a buffer of its own, small enough to stay in the core's cache; tiles of six
  pixels (fewer at the end of a row) by one strip, or two strips with AVX-512's 32 registers,
  accumulate in vector registers (:func:`_tile_typing`) and go to memory with non-temporal
  stores when aligned.

numba cannot keep such a tile in registers by itself: written in Python, the accumulators live
in memory and the weights are reloaded for every pixel.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._numba_convolve import CONV_OPTIONS
from ._numba_rows import (
    DEPTH,
    EFFECTIVE_WINDOW,
    HEIGHT,
    OUTPUT,
    READ_COUNT,
    READ_OFFSET,
    SPAN,
    STRIDE,
    WIDTH,
    axis_taps,
    copy_cells,
    fill,
    row_buffer_layout,
)
from ._numba_vectors import store_fence, vector_bytes

_OPTIONS = CONV_OPTIONS
VECTOR_BYTES = vector_bytes()   # a tile's vectors: whole registers (AVX2's or AVX-512's)
WIDE = VECTOR_BYTES == 64      # AVX-512: 32 vector registers (AVX2 has 16)


# ---------------------------------------------------------------------------------------------
# Planes, stride 1: register tiles of output rows x columns
# ---------------------------------------------------------------------------------------------

def _fma_vectors(builder, scalar):
    """For the register tiles: the vector type of whole registers of float ``scalar``, the
    scalar's size in bytes, LLVM's fused multiply-add on it, and ``broadcast(value)``, a
    scalar splat across a vector."""
    size = 4 if scalar == ir.FloatType() else 8
    lanes = vector_bytes() // size
    vec = ir.VectorType(scalar, lanes)
    fma = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(vec, [vec, vec, vec]), f"llvm.fma.v{lanes}f{8 * size}")
    undef = ir.Constant(vec, ir.Undefined)
    splat = ir.Constant(ir.VectorType(ir.IntType(32), lanes), [0] * lanes)

    def broadcast(value):
        return builder.shuffle_vector(
            builder.insert_element(undef, value, ir.IntType(32)(0)), undef, splat)

    return vec, size, fma, broadcast


PLANE_ROWS = 4   # output rows per plane tile
# Vectors of output columns per plane tile: 4 x 4 accumulators, 4 input vectors and 4 weights
# in AVX-512's 32 registers; 4 x 2 + 2 + 4 of AVX2's 16.
PLANE_VECTORS = 4 if VECTOR_BYTES == 64 else 2


@intrinsic
def _plane_tile(typingctx, ring, offsets, column, w, kh, kw, dw, out, o_start, o_row, stream):
    """``out[o_start + t*o_row + c] = sum over (a, b) of w[a*kw + b] *
    ring[offsets[t + a] + column + c + b*dw]`` for the tile's ``PLANE_ROWS`` output rows
    ``t`` and ``PLANE_VECTORS`` vectors of columns ``c``, in registers.

    ``offsets[r]`` is where the tile's ``r``-th (zero-padded) input row starts in ``ring``.
    Each input row is loaded once per tap column ``b`` and feeds every output row of the tile
    whose window holds it (``t = r - a``): one load of input per ``PLANE_ROWS`` FMAs. The
    rows for which that set of output rows is the same take one loop over ``b``; a switch
    picks it. Each output sums its terms in the order of ``(a, b)`` whatever the tile, so
    overlapping tiles write the same bits.
    """
    dtype = getattr(ring, "dtype", None)
    if not (isinstance(dtype, types.Float) and w.dtype == dtype and out.dtype == dtype):
        return None
    T, V = PLANE_ROWS, PLANE_VECTORS

    def codegen(context, builder, signature, args):
        (ring_a, offsets_a, column_, w_a, kh_, kw_, dw_, out_a, o_start_, o_row_,
         stream_) = args
        tys = signature.args
        rp = context.make_array(tys[0])(context, builder, ring_a).data
        offp = context.make_array(tys[1])(context, builder, offsets_a).data
        wp = context.make_array(tys[3])(context, builder, w_a).data
        op = context.make_array(tys[7])(context, builder, out_a).data
        i64, i32 = ir.IntType(64), ir.IntType(32)
        vec, size, fma, broadcast = _fma_vectors(builder, rp.type.pointee)
        lanes = vec.count
        accs = [cgutils.alloca_once_value(builder, ir.Constant(vec, None))
                for _ in range(T * V)]      # promoted to registers by LLVM (mem2reg)
        rows_total = builder.add(kh_, i64(T - 1))
        # r: the tile's input rows
        with cgutils.for_range(builder, rows_total) as r_loop:
            r = r_loop.index
            lo = builder.select(builder.icmp_signed(">", builder.sub(r, builder.sub(kh_, i64(1))),
                                                    i64(0)),
                                builder.sub(r, builder.sub(kh_, i64(1))), i64(0))
            hi = builder.select(builder.icmp_signed("<", r, i64(T - 1)), r, i64(T - 1))
            base = builder.gep(rp, [builder.add(builder.load(builder.gep(offp, [r])),
                                                column_)])
            after = builder.append_basic_block("plane.row_done")
            switch = builder.switch(builder.add(builder.mul(lo, i64(T)), hi), after)
            for first in range(T):
                for last in range(first, T):
                    case = builder.append_basic_block(f"plane.rows{first}_{last}")
                    switch.add_case(i64(first * T + last), case)
                    builder.position_at_end(case)
                    with cgutils.for_range(builder, kw_) as b_loop:
                        b = b_loop.index
                        at = builder.gep(base, [builder.mul(b, dw_)])
                        xs = [builder.load(builder.bitcast(builder.gep(at, [i64(v * lanes)]),
                                                           vec.as_pointer()), align=size)
                              for v in range(V)]
                        for t in range(first, last + 1):
                            # weight (a, b) with a = r - t
                            tap = builder.add(builder.mul(builder.sub(r, i64(t)), kw_), b)
                            value = builder.load(builder.gep(wp, [tap]))
                            wt = broadcast(value)
                            for v in range(V):
                                slot = accs[t * V + v]
                                builder.store(builder.call(fma, [wt, xs[v], builder.load(slot)]),
                                              slot)
                    builder.branch(after)
            builder.position_at_end(after)
        streaming = builder.icmp_unsigned("!=", stream_, ir.Constant(stream_.type, 0))
        nontemporal = builder.module.add_metadata([i32(1)])
        with builder.if_else(streaming) as (then, otherwise):
            for branch, stream in ((then, True), (otherwise, False)):
                with branch:
                    for t in range(T):
                        row = builder.gep(op, [builder.add(o_start_, builder.mul(o_row_,
                                                                                 i64(t)))])
                        for v in range(V):
                            store = builder.store(
                                builder.load(accs[t * V + v]),
                                builder.bitcast(builder.gep(row, [i64(v * lanes)]),
                                                vec.as_pointer()),
                                align=lanes * size if stream else size)
                            if stream:
                                store.set_metadata("nontemporal", nontemporal)
        return context.get_dummy_value()

    sig = types.none(ring, offsets, column, w, kh, kw, dw, out, o_start, o_row, stream)
    return sig, codegen


@njit(**_OPTIONS)
def conv_plane_tiles(x2, weights, out2, geo, stream, first_task, last_task):
    """Convolution of single-channel planes with stride 1 and no row dilation, by register
    tiles (:func:`_plane_tile`) of ``PLANE_ROWS`` output rows by ``PLANE_VECTORS`` vectors
    of columns; for float accumulators and planes of at least one tile. Padded cells are
    zeros that take part in the sums as in the reference (``0 * inf`` is NaN).

    ``x2`` (rows, W) and ``out2`` (planes * Ho, Wo) as in :func:`conv_planes`, ``weights``
    (kinds, kh*kw) in the dtype of ``out2``. One task per tile row ``(plane, q)``: output rows
    ``q*T ..`` (the last tile of a plane moved up to end at its last row, overlapping the one
    above, which it rewrites with the same values), likewise for the last tile of columns.
    The input rows go, once each, into a ring of zero-padded rows as in :func:`conv_planes`.
    ``stream``: non-temporal stores for the tiles whose first column is aligned (the caller
    checked the rows are).
    """
    H, kh, _, _, first_h, Ho = axis_taps(geo, HEIGHT)
    W, kw, _, dw, _, Wo = axis_taps(geo, WIDTH)
    span = geo[WIDTH, SPAN]
    start, read = geo[WIDTH, READ_OFFSET], geo[WIDTH, READ_COUNT]
    T = PLANE_ROWS
    lanes = VECTOR_BYTES // out2.itemsize
    columns = PLANE_VECTORS * lanes
    kinds = weights.shape[0]
    depth = geo[HEIGHT, EFFECTIVE_WINDOW] + T - 1      # rows of one tile
    ring = np.zeros((depth + 1) * span, out2.dtype)   # the last row stays zero: padding
    held = np.full(depth, -1, np.int64)        # the input row (index into x2) in each slot
    offsets = np.empty(depth, np.int64)
    flat = out2.reshape(-1)
    tiles = -(-Ho // T)
    for task in range(first_task, last_task):
        plane = task // tiles
        i0 = min((task % tiles) * T, Ho - T)
        for r in range(depth):
            y = i0 + first_h + r     # stride 1: window i0 starts at row i0 + first_h
            if y < 0 or y >= H:
                offsets[r] = depth * span
                continue
            slot = y % depth
            row = plane * H + y
            if held[slot] != row:
                copy_cells(ring[slot * span + start:], x2[row], read)
                held[slot] = row
            offsets[r] = slot * span
        w_plane = weights[plane % kinds]
        o_first = (plane * Ho + i0) * Wo
        for j0 in range(0, Wo, columns):
            j = min(j0, Wo - columns)
            _plane_tile(ring, offsets, j, w_plane, kh, kw, dw, flat, o_first + j, Wo,
                        stream and j % lanes == 0)
    if stream:
        store_fence()

# ---------------------------------------------------------------------------------------------
# Few input terms, output channels in strips of 16 (float32) or 8 (float64): register tiles
# ---------------------------------------------------------------------------------------------

TILE_ROWS = 6   # output pixels per tile: 6 x 2 vector accumulators leave 4 of 16 registers


def _make_tile(vectors: int):
    """The intrinsic of tiles ``vectors`` registers wide (see :func:`_tile_typing`)."""

    def tile(typingctx, x, origin, step, offsets, w, co, out, row, rows, stream):
        return _tile_typing(vectors, x, origin, step, offsets, w, co, out, row, rows, stream)

    tile.__name__ = tile.__qualname__ = f"tile{vectors}"
    return intrinsic(tile)


def _tile_typing(vectors, x, origin, step, offsets, w, co, out, row, rows, stream):
    """``out[row + r, co:co + vectors*lanes] = sum_k x[origin + r*step + offsets[k]] *
    w[k, co:...]`` for the tile's ``rows`` pixels ``r`` (1 to ``TILE_ROWS``): one LLVM loop
    over ``k`` with the ``rows * vectors`` accumulators in vector registers (whole registers:
    ``lanes`` = 8 float32 or 4 float64 with AVX2, twice that with AVX-512), and one FMA per
    term, in the order of ``k`` whatever the tile's shape. numba cannot keep such a tile in
    registers by itself: written in Python, the accumulators live in memory and the weights
    are reloaded for every pixel. One loop per number of rows, chosen by a switch.
    """
    dtype = getattr(x, "dtype", None)
    if not (isinstance(dtype, types.Float) and w.dtype == dtype and out.dtype == dtype):
        return None

    def codegen(context, builder, signature, args):
        xa, origin_, step_, offsets_a, wa, co_, out_a, row_, rows_, stream_ = args
        tys = signature.args
        xp = context.make_array(tys[0])(context, builder, xa).data
        offp = context.make_array(tys[3])(context, builder, offsets_a).data
        w_ary = context.make_array(tys[4])(context, builder, wa)
        out_ary = context.make_array(tys[6])(context, builder, out_a)
        i64, i32 = ir.IntType(64), ir.IntType(32)
        vec, size, fma, broadcast = _fma_vectors(builder, xp.type.pointee)
        lanes = vec.count
        n = builder.extract_value(w_ary.shape, 1)          # output channels, row length of w
        terms = builder.extract_value(w_ary.shape, 0)
        zero = ir.Constant(vec, None)
        wbase = builder.gep(w_ary.data, [co_])
        streaming = builder.icmp_unsigned("!=", stream_, ir.Constant(stream_.type, 0))
        nontemporal = builder.module.add_metadata([i32(1)])
        end = builder.append_basic_block("tile.end")
        switch = builder.switch(builder.sext(rows_, i64) if rows_.type.width < 64 else rows_,
                                end)

        for count in range(1, TILE_ROWS + 1):
            case = builder.append_basic_block(f"tile.rows{count}")
            switch.add_case(i64(count), case)
            builder.position_at_end(case)
            bases = [builder.gep(xp, [builder.add(origin_, builder.mul(step_, i64(r)))])
                     for r in range(count)]
            entry = builder.block
            loop = builder.append_basic_block(f"tile.loop{count}")
            done = builder.append_basic_block(f"tile.done{count}")
            builder.cbranch(builder.icmp_signed(">", terms, i64(0)), loop, done)

            builder.position_at_end(loop)
            k = builder.phi(i64)
            accs = [builder.phi(vec) for _ in range(vectors * count)]
            offset = builder.load(builder.gep(offp, [k]))
            wrow = builder.gep(wbase, [builder.mul(k, n)])
            ws = [builder.load(builder.bitcast(builder.gep(wrow, [i64(v * lanes)]),
                                               vec.as_pointer()), align=4)
                  for v in range(vectors)]
            updated = []
            for r in range(count):
                value = builder.load(builder.gep(bases[r], [offset]))
                a = broadcast(value)
                updated.extend(builder.call(fma, [a, wv, accs[vectors * r + v]])
                               for v, wv in enumerate(ws))
            k_next = builder.add(k, i64(1))
            tail = builder.block
            k.add_incoming(i64(0), entry)
            k.add_incoming(k_next, tail)
            for acc, new in zip(accs, updated, strict=True):
                acc.add_incoming(zero, entry)
                acc.add_incoming(new, tail)
            builder.cbranch(builder.icmp_signed("<", k_next, terms), loop, done)

            builder.position_at_end(done)
            results = []
            for new in updated:
                result = builder.phi(vec)
                result.add_incoming(zero, entry)
                result.add_incoming(new, tail)
                results.append(result)
            with builder.if_else(streaming) as (then, otherwise):
                for branch, stream in ((then, True), (otherwise, False)):
                    with branch:
                        for r in range(count):
                            target = builder.gep(out_ary.data, [builder.add(
                                builder.mul(builder.add(row_, i64(r)), n), co_)])
                            for v in range(vectors):
                                store = builder.store(
                                    results[vectors * r + v],
                                    builder.bitcast(builder.gep(target, [i64(v * lanes)]),
                                                    vec.as_pointer()),
                                    align=lanes * size if stream else size)
                                if stream:
                                    store.set_metadata("nontemporal", nontemporal)
            builder.branch(end)
        builder.position_at_end(end)
        return context.get_dummy_value()

    return types.none(x, origin, step, offsets, w, co, out, row, rows, stream), codegen


# Tiles two vectors wide (12 accumulators of 16 registers with AVX2) and, with AVX-512's 32
# registers, four (24 accumulators: each loaded input value feeds four FMAs instead of two).
tile = _make_tile(2)
tile_wide = _make_tile(4)


@njit(**_OPTIONS)
def conv_tiles(x2, taps_d, taps_h, taps_w, band_reads, geo, w2, out2, stream, first_task,
               last_task):
    """Convolution by tiles of six output pixels and ``strip`` output channels (``2 * strip``
    with AVX-512 when they divide the channels) held in registers (:func:`_tile_typing`).

    ``x2`` is the input's rows (one per ``(batch, d, h)``, ``W * channels`` long), ``taps_*``
    the offsets of each axis's taps from a window's first cell, ``w2`` the (terms, out
    channels) weights with terms in (tap d, tap h, tap w, channel) order and ``out2`` (pixels,
    out channels); one task per output row. The call works by bands of at most
    ``band_reads.size`` output rows of one plane, ``band_reads[n - 1]`` being the input rows
    that ``n`` of them read (the caller sizes the bands so that those rows stay in the core's
    cache): it copies them into a zero-padded buffer of its own, laid out as
    :func:`._numba_rows.row_buffer_layout` says, and the tiles read it through the element
    offset of each term. The pixels left over at the end of a row (fewer than six) make one
    smaller tile (summed term by term, as they were before, they took a large share of the
    time).
    """
    D, _, sd, _, first_d, Do = axis_taps(geo, DEPTH)
    H, _, sh, _, first_h, Ho = axis_taps(geo, HEIGHT)
    sw, Wo = geo[WIDTH, STRIDE], geo[WIDTH, OUTPUT]
    depth = geo[DEPTH, EFFECTIVE_WINDOW]
    terms, N = w2.shape
    C = terms // (taps_d.size * taps_h.size * taps_w.size)
    start, read, row_cells = row_buffer_layout(geo, C)
    band = band_reads.size
    band_rows = band_reads[band - 1]
    buffer = np.empty(depth * band_rows * row_cells, x2.dtype)
    offsets = np.empty(terms, np.int64)
    k = 0
    for td in taps_d:
        for th in taps_h:
            for tw in taps_w:
                for c in range(C):
                    offsets[k] = (td * band_rows + th) * row_cells + tw * C + c
                    k += 1
    strip = 2 * (VECTOR_BYTES // w2.itemsize)
    step = sw * C
    wide = WIDE and N % (2 * strip) == 0
    task = first_task
    while task < last_task:
        i = task % Ho
        q = task // Ho
        rows = min(last_task - task, Ho - i, band)    # output rows of this band, one plane
        b, od = q // Do, q % Do
        # the input rows the band reads, from the first tap of window (od, i) on
        for dz in range(depth):
            z = od * sd + first_d + dz
            for r in range(band_reads[rows - 1]):
                y = i * sh + first_h + r
                line = buffer[(dz * band_rows + r) * row_cells:]
                if 0 <= z < D and 0 <= y < H:
                    fill(line, start, 0)
                    copy_cells(line[start:], x2[(b * D + z) * H + y], read)
                    fill(line[start + read:], row_cells - start - read, 0)
                else:
                    fill(line, row_cells, 0)
        for t in range(rows):
            origin = t * sh * row_cells
            row = (task + t) * Wo
            for j in range(0, Wo, TILE_ROWS):
                count = min(TILE_ROWS, Wo - j)
                if wide:
                    for co in range(0, N, 2 * strip):
                        tile_wide(buffer, origin + j * step, step, offsets, w2, co, out2,
                                   row + j, count, stream)
                else:
                    for co in range(0, N, strip):
                        tile(buffer, origin + j * step, step, offsets, w2, co, out2, row + j,
                              count, stream)
        task += rows
    if stream:
        store_fence()
