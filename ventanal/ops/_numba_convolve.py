"""numba kernels for convolution, direct and for the BLAS path (imported on first use, never
by ``import ventanal``).

Conventions (rows, tasks, ``geo``) in :mod:`._numba_rows`; padded cells are zeros. The
register-tile kernels are in :mod:`._numba_conv_tiles`.

* :func:`conv_planes`: one input and one output channel per plane (a bare image, ``NCHW``
  data with one channel, or a depthwise convolution of channels-first data): the inner loop
  runs along the output row, four or eight taps per pass. It skips a tap outside the input,
  so the caller sends it finite weights only (``0 * inf`` is NaN).
* :func:`conv_channels`: few input channels, many output channels (an RGB image into 64
  feature maps): the inner loop runs over the output channels, four (tap, input channel)
  terms per pass. It skips the padding too, then adds ``0 * w`` for the padded cells read
  with a non-finite weight ``w``, so that those give NaN as in the reference.
* :func:`im2col`: one band of the input matrix for the BLAS path (many channels): row ``p``
  of ``cols`` holds, for output pixel ``p`` of the band, every tap's input channels (zeros for
  padding), grouped as ``(group, tap, channel in group)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

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
    WINDOW,
    axis_taps,
    copy_cells,
    fill,
    interior,
    task_kernel_rows,
    task_rows,
)
from ._numba_vectors import KERNEL_OPTIONS

# "contract" lets LLVM fuse a*b + c into one FMA (one rounding instead of two): the only
# fast-math freedom taken; NaN and infinities keep their meaning.
CONV_OPTIONS = dict(KERNEL_OPTIONS, fastmath={"contract"})
_OPTIONS = CONV_OPTIONS


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
    D, kd, sd, dd, first_d, Do = axis_taps(geo, DEPTH)
    H, kh, sh, dh, first_h, Ho = axis_taps(geo, HEIGHT)
    W, kw, sw, dw, _, Wo = axis_taps(geo, WIDTH)
    span = geo[WIDTH, SPAN]
    # where input column 0 goes in a ring row, and how many columns the windows read (none
    # when the padding exceeds the span)
    start, read = geo[WIDTH, READ_OFFSET], geo[WIDTH, READ_COUNT]
    kinds = weights.shape[0]
    depth = geo[HEIGHT, EFFECTIVE_WINDOW] + sh     # rows of a ring: one window and one step
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
            z = od * sd + first_d + a * dd
            if z < 0 or z >= D:
                continue
            for e in range(kh):
                y = i * sh + first_h + e * dh
                if y < 0 or y >= H:
                    continue
                row = (plane * D + z) * H + y
                slot = y % depth
                if held[a, slot] != row:
                    copy_cells(ring[a, slot, start:], x2[row], read)
                    held[a, slot] = row
                for m in range(kw):
                    term_rows[terms, 0] = a
                    term_rows[terms, 1] = slot
                    term_columns[terms] = m * dw
                    term_weights[terms] = w_all[(a * kh + e) * kw + m]
                    terms += 1
        o = out2[task]
        if terms == 0:
            fill(o, Wo, zero)
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
    kd = geo[DEPTH, WINDOW]
    kh = geo[HEIGHT, WINDOW]
    kw, sw, Wo = geo[WIDTH, WINDOW], geo[WIDTH, STRIDE], geo[WIDTH, OUTPUT]
    Cin, Cout = x3.shape[2], out3.shape[2]
    rows = np.empty(kd * kh, np.int64)
    window_rows = np.empty(kd * kh, np.int64)
    most = kd * kh * kw * Cin
    term_rows = np.empty(most, np.int64)
    term_cols = np.empty(most, np.int64)
    term_taps = np.empty(most, np.int64)
    term_channels = np.empty(most, np.int64)
    ja, jb = interior(geo)
    non_finite = _non_finite_taps(w3)
    for task in range(first_task, last_task):
        nrows = task_rows(task, geo, rows)
        task_kernel_rows(task, geo, window_rows)
        o = out3[task]
        fill(o.reshape(Wo * Cout), Wo * Cout, zero)
        if non_finite.any():
            _padded_terms(o, w3, non_finite, task, geo, zero)
        if ja < jb:
            terms = _column_terms(ja, True, geo, rows, window_rows, nrows, Cin, term_rows,
                                  term_cols, term_taps, term_channels)
            _apply_terms(x3, w3, o, ja, jb, sw, term_rows, term_cols, term_taps, term_channels,
                         terms)
        for border in range(Wo - (jb - ja)):  # the columns outside [ja, jb)
            j = border if border < ja else border + (jb - ja)
            terms = _column_terms(j, False, geo, rows, window_rows, nrows, Cin, term_rows,
                                  term_cols, term_taps, term_channels)
            if terms:
                _apply_terms(x3, w3, o, j, j + 1, sw, term_rows, term_cols, term_taps,
                             term_channels, terms)


@njit(inline="always", cache=True)
def _column_terms(j, inside, geo, rows, window_rows, nrows, Cin, term_rows, term_cols,
                  term_taps, term_channels):
    """The (input row, column offset, tap, channel) terms of output column ``j`` (all of
    them if ``inside``, an interior column)."""
    W, kw, sw, dw, first_w, _ = axis_taps(geo, WIDTH)
    terms = 0
    for t in range(nrows):
        for m in range(kw):
            offset = first_w + m * dw
            if inside or 0 <= j * sw + offset < W:
                for ci in range(Cin):
                    term_rows[terms] = rows[t]
                    term_cols[terms] = offset
                    term_taps[terms] = window_rows[t] * kw + m
                    term_channels[terms] = ci
                    terms += 1
    return terms


@njit(**_OPTIONS)
def _non_finite_taps(w3):
    """Per tap of ``w3`` (taps, Cin, Cout): whether one of its weights is inf or NaN."""
    taps = np.zeros(w3.shape[0], np.bool_)
    for t in range(w3.shape[0]):
        for ci in range(w3.shape[1]):
            for c in range(w3.shape[2]):
                weight = w3[t, ci, c]
                if weight - weight != 0:   # inf - inf and NaN - NaN are NaN; never for integers
                    taps[t] = True
    return taps


@njit(**_OPTIONS)
def _padded_terms(o, w3, non_finite, task, geo, zero):
    """``o[j, :] += zero * w3[tap, ci, :]`` for every padded cell that output column ``j``
    reads with tap ``tap``, over the taps with a non-finite weight: ``0 * inf`` is NaN, as in
    the reference, where the terms of :func:`conv_channels` skip the padding."""
    D, kd, sd, dd, first_d, Do = axis_taps(geo, DEPTH)
    H, kh, sh, dh, first_h, Ho = axis_taps(geo, HEIGHT)
    W, kw, sw, dw, first_w, Wo = axis_taps(geo, WIDTH)
    i = task % Ho
    od = (task // Ho) % Do
    for a in range(kd):
        z = od * sd + first_d + a * dd
        for e in range(kh):
            y = i * sh + first_h + e * dh
            row_padded = z < 0 or z >= D or y < 0 or y >= H
            for m in range(kw):
                tap = (a * kh + e) * kw + m
                if not non_finite[tap]:
                    continue
                for j in range(Wo):
                    p = j * sw + first_w + m * dw
                    if row_padded or p < 0 or p >= W:
                        for ci in range(w3.shape[1]):
                            for c in range(w3.shape[2]):
                                o[j, c] += zero * w3[tap, ci, c]


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
    kd = geo[DEPTH, WINDOW]
    kh = geo[HEIGHT, WINDOW]
    W, kw, sw, dw, first_w, Wo = axis_taps(geo, WIDTH)
    Cin = x2.shape[1] // W
    per_group = Cin // groups
    taps = kd * kh * kw
    depth = cols.shape[1]
    rows = np.empty(kd * kh, np.int64)
    window_rows = np.empty(kd * kh, np.int64)
    ja, jb = interior(geo)
    whole_rows = groups == 1 and dw == 1
    for task in range(first_task, last_task):
        nrows = task_rows(task, geo, rows)
        task_kernel_rows(task, geo, window_rows)
        for j in range(Wo):
            target = cols[(task - first_row) * Wo + j]
            if whole_rows and ja <= j < jb:
                if nrows < kd * kh:
                    fill(target, depth, zero)
                start = (j * sw + first_w) * Cin
                for t in range(nrows):
                    copy_cells(target[window_rows[t] * kw * Cin:], x2[rows[t]][start:], kw * Cin)
                continue
            fill(target, depth, zero)
            for t in range(nrows):
                r = x2[rows[t]]
                for m in range(kw):
                    p = j * sw + first_w + m * dw
                    if 0 <= p < W:
                        tap = window_rows[t] * kw + m
                        for g in range(groups):
                            copy_cells(target[(g * taps + tap) * per_group:],
                                       r[p * Cin + g * per_group:], per_group)
