"""numba kernels for convolution (imported on first use, never by ``import ventanal``).

Conventions as in :mod:`._numba_pool`: C-contiguous channels-last data lifted to three spatial
axes and seen as rows, one task per output row ``(batch, od, oh)``, ``geo`` with the plan's
numbers per axis (D, H, W): ``size, window, stride, dilation, pad_before, output, span``.
Padded cells are zeros: :func:`conv_planes` skips a tap outside the input (so the caller
sends it finite weights only: ``0 * inf`` is NaN), the tiles multiply the zeros.

* :func:`conv_planes`: one input and one output channel per plane (a bare image, ``NCHW``
  data with one channel, or a depthwise convolution of channels-first data): the inner loop
  runs along the output row, four taps per pass.
* :func:`conv_plane_tiles`: the same with stride 1 and no row dilation, by tiles of four
  output rows by 2-4 vectors of columns in registers (:func:`_plane_tile`): each input row
  loaded once per tap column feeds the four output rows; 31x31 on 2048^2 in 30 ms against
  95 by :func:`conv_planes` and 100-125 by FFT (Intel Xeon, AVX-512).
* :func:`conv_channels`: few input channels, many output channels (an RGB image into 64
  feature maps): the inner loop runs over the output channels, four (tap, input channel)
  terms per pass.
* :func:`conv_tiles`: float convolutions with few terms (taps x input channels) per output and
  output channels in strips of two vectors (16 float32 with AVX2, 32 with AVX-512;
  :func:`._numba_pool.vector_bytes`), on the zero-padded input: tiles of six pixels (fewer at
  the end of a row) by one strip, or two strips with AVX-512's 32 registers, accumulate in
  vector registers (:func:`_tile_typing`, written in LLVM IR) and go to memory with
  non-temporal stores when aligned.
* :func:`im2col`: one band of the input matrix for the BLAS path (many channels): row ``p``
  of ``cols`` holds, for output pixel ``p`` of the band, every tap's input channels (zeros for
  padding), grouped as ``(group, tap, channel in group)``.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._numba_pool import _fill, _store_fence, _task_rows, vector_bytes

# "contract" lets LLVM fuse a*b + c into one FMA (one rounding instead of two): the only
# fast-math freedom taken; NaN and infinities keep their meaning.
_OPTIONS = dict(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
_VECTOR_BYTES = vector_bytes()   # a tile's vectors: whole registers (AVX2's or AVX-512's)
_WIDE = _VECTOR_BYTES == 64


# ---------------------------------------------------------------------------------------------
# Planes
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def _taps_contiguous(o, r_a, r_b, r_c, r_d, w_a, w_b, w_c, w_d, count, n, first, zero):
    """``o[j] (=|+=) sum of w_t * r_t[j]`` over the first ``count`` of four taps (stride 1);
    ``first`` assigns (starting from ``zero``, the accumulator's 0) instead of adding."""
    if count == 4:
        for j in range(n):
            o[j] = (zero if first else o[j]) + (
                (w_a * r_a[j] + w_b * r_b[j]) + (w_c * r_c[j] + w_d * r_d[j]))
    elif count == 3:
        for j in range(n):
            o[j] = (zero if first else o[j]) + ((w_a * r_a[j] + w_b * r_b[j]) + w_c * r_c[j])
    elif count == 2:
        for j in range(n):
            o[j] = (zero if first else o[j]) + (w_a * r_a[j] + w_b * r_b[j])
    else:
        for j in range(n):
            o[j] = (zero if first else o[j]) + w_a * r_a[j]


@njit(**_OPTIONS)
def _taps_stride2(o, r_a, r_b, r_c, r_d, w_a, w_b, w_c, w_d, count, n, first, zero):
    """As :func:`_taps_contiguous`, reading every second cell (a constant step vectorises)."""
    if count == 4:
        for j in range(n):
            o[j] = (zero if first else o[j]) + (
                (w_a * r_a[2 * j] + w_b * r_b[2 * j]) + (w_c * r_c[2 * j] + w_d * r_d[2 * j]))
    elif count == 3:
        for j in range(n):
            o[j] = (zero if first else o[j]) + (
                (w_a * r_a[2 * j] + w_b * r_b[2 * j]) + w_c * r_c[2 * j])
    elif count == 2:
        for j in range(n):
            o[j] = (zero if first else o[j]) + (w_a * r_a[2 * j] + w_b * r_b[2 * j])
    else:
        for j in range(n):
            o[j] = (zero if first else o[j]) + w_a * r_a[2 * j]


@njit(**_OPTIONS)
def _taps_contiguous8(o, r_0, r_1, r_2, r_3, r_4, r_5, r_6, r_7, w_0, w_1, w_2, w_3, w_4, w_5,
                      w_6, w_7, n, first, zero):
    """Eight taps per pass, stride 1: half the loads and stores of the output row."""
    for j in range(n):
        o[j] = (zero if first else o[j]) + (
            ((w_0 * r_0[j] + w_1 * r_1[j]) + (w_2 * r_2[j] + w_3 * r_3[j]))
            + ((w_4 * r_4[j] + w_5 * r_5[j]) + (w_6 * r_6[j] + w_7 * r_7[j])))


@njit(**_OPTIONS)
def _tap_strided(o, r, weight, n, stride, first, zero):
    """``o[j] (=|+=) weight * r[stride*j]``, any stride."""
    for j in range(n):
        o[j] = (zero if first else o[j]) + weight * r[stride * j]


@njit(**_OPTIONS)
def conv_planes(x2, weights, out2, geo, zero, first_task, last_task):
    """Convolution of single-channel planes: ``x2`` (rows, W), ``out2`` (tasks, Wo).

    ``weights`` (kinds, kd*kh*kw) in the accumulator dtype (that of ``out2`` and ``zero``):
    plane ``p`` uses ``weights[p % kinds]`` (one kind for an ordinary convolution, one per
    channel for a depthwise one).

    The input rows are copied, once each, into a ring of zero-padded rows (one ring per tap
    of the D window), so that every output column reads its taps without a border case;
    then eight (or four) taps per pass along the output row.
    """
    D, kd, sd, dd, lod, Do = geo[0, 0], geo[0, 1], geo[0, 2], geo[0, 3], geo[0, 4], geo[0, 5]
    H, kh, sh, dh, loh, Ho = geo[1, 0], geo[1, 1], geo[1, 2], geo[1, 3], geo[1, 4], geo[1, 5]
    W, kw, sw, dw, low, Wo, span = (geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4],
                                    geo[2, 5], geo[2, 6])
    read = max(0, min(W, span - low))   # none when the padding exceeds the span
    kinds = weights.shape[0]
    depth = dh * (kh - 1) + 1 + sh          # rows of a ring: one window and one step
    ring = np.zeros((kd, depth, span), out2.dtype)
    held = np.full((kd, depth), -1, np.int64)   # the input row (index into x2) in each slot
    most = kd * kh * kw
    term_rows = np.empty((most, 2), np.int64)   # (D tap, ring slot)
    term_columns = np.empty(most, np.int64)
    term_weights = np.empty(most, weights.dtype)
    for task in range(first_task, last_task):
        i = task % Ho
        od = (task // Ho) % Do
        plane = task // (Ho * Do)
        w_all = weights[plane % kinds]
        terms = 0
        for a in range(kd):
            z = od * sd - lod + a * dd
            if z < 0 or z >= D:
                continue
            for e in range(kh):
                y = i * sh - loh + e * dh
                if y < 0 or y >= H:
                    continue
                row = (plane * D + z) * H + y
                slot = y % depth
                if held[a, slot] != row:
                    _copy_cast(ring[a, slot, min(low, span):], x2[row], read)
                    held[a, slot] = row
                for m in range(kw):
                    term_rows[terms, 0] = a
                    term_rows[terms, 1] = slot
                    term_columns[terms] = m * dw
                    term_weights[terms] = w_all[(a * kh + e) * kw + m]
                    terms += 1
        o = out2[task]
        if terms == 0:
            _fill(o, Wo, zero)
            continue
        t = 0
        while t < terms:
            if sw == 1 and terms - t >= 8:
                _taps_contiguous8(
                    o, ring[term_rows[t, 0], term_rows[t, 1], term_columns[t]:],
                    ring[term_rows[t + 1, 0], term_rows[t + 1, 1], term_columns[t + 1]:],
                    ring[term_rows[t + 2, 0], term_rows[t + 2, 1], term_columns[t + 2]:],
                    ring[term_rows[t + 3, 0], term_rows[t + 3, 1], term_columns[t + 3]:],
                    ring[term_rows[t + 4, 0], term_rows[t + 4, 1], term_columns[t + 4]:],
                    ring[term_rows[t + 5, 0], term_rows[t + 5, 1], term_columns[t + 5]:],
                    ring[term_rows[t + 6, 0], term_rows[t + 6, 1], term_columns[t + 6]:],
                    ring[term_rows[t + 7, 0], term_rows[t + 7, 1], term_columns[t + 7]:],
                    term_weights[t], term_weights[t + 1], term_weights[t + 2],
                    term_weights[t + 3], term_weights[t + 4], term_weights[t + 5],
                    term_weights[t + 6], term_weights[t + 7], Wo, t == 0, zero)
                t += 8
                continue
            count = min(4, terms - t)
            if sw > 2:
                for u in range(t, t + count):
                    _tap_strided(o, ring[term_rows[u, 0], term_rows[u, 1], term_columns[u]:],
                                 term_weights[u], Wo, sw, u == 0, zero)
                t += count
                continue
            b, c, d = min(t + 1, terms - 1), min(t + 2, terms - 1), min(t + 3, terms - 1)
            r_a = ring[term_rows[t, 0], term_rows[t, 1], term_columns[t]:]
            r_b = ring[term_rows[b, 0], term_rows[b, 1], term_columns[b]:]
            r_c = ring[term_rows[c, 0], term_rows[c, 1], term_columns[c]:]
            r_d = ring[term_rows[d, 0], term_rows[d, 1], term_columns[d]:]
            if sw == 1:
                _taps_contiguous(o, r_a, r_b, r_c, r_d, term_weights[t], term_weights[b],
                                 term_weights[c], term_weights[d], count, Wo, t == 0, zero)
            else:
                _taps_stride2(o, r_a, r_b, r_c, r_d, term_weights[t], term_weights[b],
                              term_weights[c], term_weights[d], count, Wo, t == 0, zero)
            t += count


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


_PLANE_ROWS = 4   # output rows per plane tile
# Vectors of output columns per plane tile: 4 x 4 accumulators, 4 input vectors and 4 weights
# in AVX-512's 32 registers; 4 x 2 + 2 + 4 of AVX2's 16.
_PLANE_VECTORS = 4 if _VECTOR_BYTES == 64 else 2


@intrinsic
def _plane_tile(typingctx, ring, offsets, column, w, kh, kw, dw, out, o_start, o_row, stream):
    """``out[o_start + t*o_row + c] = sum over (a, b) of w[a*kw + b] *
    ring[offsets[t + a] + column + c + b*dw]`` for the tile's ``_PLANE_ROWS`` output rows
    ``t`` and ``_PLANE_VECTORS`` vectors of columns ``c``, in registers.

    ``offsets[r]`` is where the tile's ``r``-th (zero-padded) input row starts in ``ring``.
    Each input row is loaded once per tap column ``b`` and feeds every output row of the tile
    whose window holds it (``t = r - a``): one load of input per ``_PLANE_ROWS`` FMAs. The
    rows for which that set of output rows is the same take one loop over ``b``; a switch
    picks it. Each output sums its terms in the order of ``(a, b)`` whatever the tile, so
    overlapping tiles write the same bits.
    """
    dtype = getattr(ring, "dtype", None)
    if not (isinstance(dtype, types.Float) and w.dtype == dtype and out.dtype == dtype):
        return None
    T, V = _PLANE_ROWS, _PLANE_VECTORS

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
    tiles (:func:`_plane_tile`) of ``_PLANE_ROWS`` output rows by ``_PLANE_VECTORS`` vectors
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
    H, kh, loh, Ho = geo[1, 0], geo[1, 1], geo[1, 4], geo[1, 5]
    W, kw, dw, low, Wo, span = geo[2, 0], geo[2, 1], geo[2, 3], geo[2, 4], geo[2, 5], geo[2, 6]
    T = _PLANE_ROWS
    lanes = _VECTOR_BYTES // out2.itemsize
    columns = _PLANE_VECTORS * lanes
    read = max(0, min(W, span - low))
    kinds = weights.shape[0]
    depth = kh + T - 1                          # rows of one tile
    ring = np.zeros((depth + 1) * span, out2.dtype)   # the last row stays zero: padding
    held = np.full(depth, -1, np.int64)        # the input row (index into x2) in each slot
    offsets = np.empty(depth, np.int64)
    flat = out2.reshape(-1)
    tiles = -(-Ho // T)
    for task in range(first_task, last_task):
        plane = task // tiles
        i0 = min((task % tiles) * T, Ho - T)
        for r in range(depth):
            y = i0 + r - loh
            if y < 0 or y >= H:
                offsets[r] = depth * span
                continue
            slot = y % depth
            row = plane * H + y
            if held[slot] != row:
                _copy_cast(ring[slot * span + min(low, span):], x2[row], read)
                held[slot] = row
            offsets[r] = slot * span
        w_plane = weights[plane % kinds]
        o_first = (plane * Ho + i0) * Wo
        for j0 in range(0, Wo, columns):
            j = min(j0, Wo - columns)
            _plane_tile(ring, offsets, j, w_plane, kh, kw, dw, flat, o_first + j, Wo,
                        stream and j % lanes == 0)
    if stream:
        _store_fence()


@njit(inline="always", cache=True)
def _kernel_rows(task, geo, kernel_rows):
    """Kernel row ``a*kh + e`` of each valid input row, in the order of ``_task_rows``."""
    D, kd, sd, dd, lod, Do = geo[0, 0], geo[0, 1], geo[0, 2], geo[0, 3], geo[0, 4], geo[0, 5]
    H, kh, sh, dh, loh, Ho = geo[1, 0], geo[1, 1], geo[1, 2], geo[1, 3], geo[1, 4], geo[1, 5]
    i = task % Ho
    od = (task // Ho) % Do
    count = 0
    for a in range(kd):
        z = od * sd - lod + a * dd
        if 0 <= z < D:
            for e in range(kh):
                y = i * sh - loh + e * dh
                if 0 <= y < H:
                    kernel_rows[count] = a * kh + e
                    count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Few input channels, many output channels
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def _terms(o, x_a, x_b, x_c, x_d, c_a, c_b, c_c, c_d, i_a, i_b, i_c, i_d,
           w_a, w_b, w_c, w_d, count, j0, j1, stride):
    """``o[j, :] += sum of x_t[j*stride + c_t, i_t] * w_t[:]`` over the first ``count`` of
    four terms (input rows ``x_t``, column offsets ``c_t``, input channels ``i_t``)."""
    C = o.shape[1]
    for j in range(j0, j1):
        p = j * stride
        a = x_a[p + c_a, i_a]
        if count == 4:
            b = x_b[p + c_b, i_b]
            c_ = x_c[p + c_c, i_c]
            d = x_d[p + c_d, i_d]
            for c in range(C):
                o[j, c] += (a * w_a[c] + b * w_b[c]) + (c_ * w_c[c] + d * w_d[c])
        elif count == 3:
            b = x_b[p + c_b, i_b]
            c_ = x_c[p + c_c, i_c]
            for c in range(C):
                o[j, c] += (a * w_a[c] + b * w_b[c]) + c_ * w_c[c]
        elif count == 2:
            b = x_b[p + c_b, i_b]
            for c in range(C):
                o[j, c] += a * w_a[c] + b * w_b[c]
        else:
            for c in range(C):
                o[j, c] += a * w_a[c]


@njit(inline="always", cache=True)
def _apply_terms(x3, w3, o, j0, j1, stride, term_rows, term_cols, term_taps, term_channels,
                 terms):
    t = 0
    while t < terms:
        count = min(4, terms - t)
        b, c, d = min(t + 1, terms - 1), min(t + 2, terms - 1), min(t + 3, terms - 1)
        _terms(o, x3[term_rows[t]], x3[term_rows[b]], x3[term_rows[c]], x3[term_rows[d]],
               term_cols[t], term_cols[b], term_cols[c], term_cols[d],
               term_channels[t], term_channels[b], term_channels[c], term_channels[d],
               w3[term_taps[t], term_channels[t]], w3[term_taps[b], term_channels[b]],
               w3[term_taps[c], term_channels[c]], w3[term_taps[d], term_channels[d]],
               count, j0, j1, stride)
        t += count


@njit(**_OPTIONS)
def conv_channels(x3, w3, out3, geo, zero, first_task, last_task):
    """Convolution, channels last, one group: ``x3`` (rows, W, Cin), ``w3`` (kd*kh*kw, Cin,
    Cout) in the accumulator dtype (that of ``out3`` and ``zero``), ``out3`` (tasks, Wo, Cout).
    """
    kd, kh = geo[0, 1], geo[1, 1]
    W, kw, sw, dw, low, Wo = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4], geo[2, 5]
    Cin, Cout = x3.shape[2], out3.shape[2]
    rows = np.empty(kd * kh, np.int64)
    kernel_rows = np.empty(kd * kh, np.int64)
    most = kd * kh * kw * Cin
    term_rows = np.empty(most, np.int64)
    term_cols = np.empty(most, np.int64)
    term_taps = np.empty(most, np.int64)
    term_channels = np.empty(most, np.int64)
    ja = min(Wo, (low + sw - 1) // sw)
    last = W - 1 - (kw - 1) * dw + low
    jb = ja if last < 0 else max(ja, min(Wo, last // sw + 1))
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        _kernel_rows(task, geo, kernel_rows)
        o = out3[task]
        _fill(o.reshape(Wo * Cout), Wo * Cout, zero)
        if ja < jb:
            terms = _column_terms(ja, True, geo, rows, kernel_rows, nrows, Cin, term_rows,
                                  term_cols, term_taps, term_channels)
            _apply_terms(x3, w3, o, ja, jb, sw, term_rows, term_cols, term_taps, term_channels,
                         terms)
        for border in range(Wo - (jb - ja)):  # the columns outside [ja, jb)
            j = border if border < ja else border + (jb - ja)
            terms = _column_terms(j, False, geo, rows, kernel_rows, nrows, Cin, term_rows,
                                  term_cols, term_taps, term_channels)
            if terms:
                _apply_terms(x3, w3, o, j, j + 1, sw, term_rows, term_cols, term_taps,
                             term_channels, terms)


@njit(inline="always", cache=True)
def _column_terms(j, interior, geo, rows, kernel_rows, nrows, Cin, term_rows, term_cols,
                  term_taps, term_channels):
    """The (input row, column offset, tap, channel) terms of output column ``j``."""
    W, kw, sw, dw, low = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4]
    terms = 0
    for t in range(nrows):
        for m in range(kw):
            p = j * sw - low + m * dw
            if interior or 0 <= p < W:
                for ci in range(Cin):
                    term_rows[terms] = rows[t]
                    term_cols[terms] = m * dw - low
                    term_taps[terms] = kernel_rows[t] * kw + m
                    term_channels[terms] = ci
                    terms += 1
    return terms


# ---------------------------------------------------------------------------------------------
# BLAS path: bands of the input matrix
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def im2col(x2, cols, geo, groups, zero, first_row, first_task, last_task):
    """Rows of ``cols`` for the output rows (tasks) ``first_task .. last_task - 1``.

    ``x2`` (rows, W*Cin); ``cols`` (pixels, groups * taps * Cin/groups), of the dtype of
    ``zero``; output pixel ``(task, j)`` goes to row ``(task - first_row) * Wo + j``. With one
    group and no dilation along W, an interior pixel copies each kernel row's ``kw * Cin``
    cells in one piece.
    """
    kd, kh = geo[0, 1], geo[1, 1]
    W, kw, sw, dw, low, Wo = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4], geo[2, 5]
    Cin = x2.shape[1] // W
    per_group = Cin // groups
    taps = kd * kh * kw
    depth = cols.shape[1]
    rows = np.empty(kd * kh, np.int64)
    kernel_rows = np.empty(kd * kh, np.int64)
    ja = min(Wo, (low + sw - 1) // sw)
    last = W - 1 - (kw - 1) * dw + low
    jb = ja if last < 0 else max(ja, min(Wo, last // sw + 1))
    whole_rows = groups == 1 and dw == 1
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        _kernel_rows(task, geo, kernel_rows)
        for j in range(Wo):
            target = cols[(task - first_row) * Wo + j]
            if whole_rows and ja <= j < jb:
                if nrows < kd * kh:
                    _fill(target, depth, zero)
                start = (j * sw - low) * Cin
                for t in range(nrows):
                    _copy_cast(target[kernel_rows[t] * kw * Cin:], x2[rows[t]][start:], kw * Cin)
                continue
            _fill(target, depth, zero)
            for t in range(nrows):
                r = x2[rows[t]]
                for m in range(kw):
                    p = j * sw - low + m * dw
                    if 0 <= p < W:
                        tap = kernel_rows[t] * kw + m
                        for g in range(groups):
                            _copy_cast(target[(g * taps + tap) * per_group:],
                                       r[p * Cin + g * per_group:], per_group)


@njit(**_OPTIONS)
def _copy_cast(target, source, n):
    for q in range(n):
        target[q] = source[q]


# ---------------------------------------------------------------------------------------------
# Few input terms, output channels in strips of 16 (float32) or 8 (float64): register tiles
# ---------------------------------------------------------------------------------------------

_TILE_ROWS = 6   # output pixels per tile: 6 x 2 vector accumulators leave 4 of 16 registers


def _make_tile(vectors: int):
    """The intrinsic of tiles ``vectors`` registers wide (see :func:`_tile_typing`)."""

    def tile(typingctx, x, origin, step, offsets, w, co, out, row, rows, stream):
        return _tile_typing(vectors, x, origin, step, offsets, w, co, out, row, rows, stream)

    tile.__name__ = tile.__qualname__ = f"_tile{vectors}"
    return intrinsic(tile)


def _tile_typing(vectors, x, origin, step, offsets, w, co, out, row, rows, stream):
    """``out[row + r, co:co + vectors*lanes] = sum_k x[origin + r*step + offsets[k]] *
    w[k, co:...]`` for the tile's ``rows`` pixels ``r`` (1 to ``_TILE_ROWS``): one LLVM loop
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

        for count in range(1, _TILE_ROWS + 1):
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
# registers, four (24 accumulators: each loaded input value feeds four FMAs instead of two,
# 3x3x64 -> 64 on 8x56x56: 9.5 -> 7.9 ms on an Intel Xeon with AVX-512).
_tile = _make_tile(2)
_tile_wide = _make_tile(4)


@njit(**_OPTIONS)
def conv_tiles(xp, offsets, w2, out2, geo, canvas, stream, first_task, last_task):
    """Convolution of a padded canvas (``pad_to_plan``) by tiles of six output pixels and
    ``strip`` output channels (``2 * strip`` with AVX-512 when they divide the channels) held
    in registers (:func:`_tile_typing`).

    ``xp`` is the canvas flattened, ``canvas`` its (batch, D, H, W, channels) shape,
    ``offsets[k]`` the element offset of term ``k`` (tap, input channel) from a window's first
    cell, ``w2`` the (terms, out channels) weights and ``out2`` (pixels, out channels); one task
    per output row. The pixels left over at the end of a row (fewer than six) make one smaller
    tile (summed term by term, as they were before, the last 2 of 56 pixels per row took 14%
    of the time).
    """
    Do, Ho, Wo = geo[0, 5], geo[1, 5], geo[2, 5]
    sd, sh, sw = geo[0, 2], geo[1, 2], geo[2, 2]
    Dp, Hp, Wp, C = canvas[1], canvas[2], canvas[3], canvas[4]
    terms, N = w2.shape
    strip = 2 * (_VECTOR_BYTES // w2.itemsize)
    step = sw * C
    wide = _WIDE and N % (2 * strip) == 0
    for task in range(first_task, last_task):
        i = task % Ho
        q = task // Ho
        origin = (((q // Do) * Dp + (q % Do) * sd) * Hp + i * sh) * Wp * C
        row = task * Wo
        for j in range(0, Wo, _TILE_ROWS):
            rows = min(_TILE_ROWS, Wo - j)
            if wide:
                for co in range(0, N, 2 * strip):
                    _tile_wide(xp, origin + j * step, step, offsets, w2, co, out2, row + j,
                               rows, stream)
            else:
                for co in range(0, N, strip):
                    _tile(xp, origin + j * step, step, offsets, w2, co, out2, row + j, rows,
                          stream)
    if stream:
        _store_fence()
