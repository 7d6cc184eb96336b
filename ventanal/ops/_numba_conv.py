"""numba kernels for convolution (imported on first use, never by ``import ventanal``).

Conventions as in :mod:`._numba_pool`: C-contiguous channels-last data lifted to three spatial
axes and seen as rows, one task per output row ``(batch, od, oh)``, ``geo`` with the plan's
numbers per axis (D, H, W): ``size, window, stride, dilation, pad_before, output, span``.
Padded cells are zeros, so a tap outside the input is simply skipped.

* :func:`conv_planes`: one input and one output channel per plane (a bare image, ``NCHW``
  data with one channel, or a depthwise convolution of channels-first data): the inner loop
  runs along the output row, four taps per pass.
* :func:`conv_channels`: few input channels, many output channels (an RGB image into 64
  feature maps): the inner loop runs over the output channels, four (tap, input channel)
  terms per pass.
* :func:`im2col`: one band of the input matrix for the BLAS path (many channels): row ``p``
  of ``cols`` holds, for output pixel ``p`` of the band, every tap's input channels (zeros for
  padding), grouped as ``(group, tap, channel in group)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._numba_pool import _fill, _task_rows

_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")


# ---------------------------------------------------------------------------------------------
# Planes
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def _taps_contiguous(o, r_a, r_b, r_c, r_d, w_a, w_b, w_c, w_d, count, n):
    """``o[j] += sum of w_t * r_t[j]`` over the first ``count`` of four taps (stride 1)."""
    if count == 4:
        for j in range(n):
            o[j] += (w_a * r_a[j] + w_b * r_b[j]) + (w_c * r_c[j] + w_d * r_d[j])
    elif count == 3:
        for j in range(n):
            o[j] += (w_a * r_a[j] + w_b * r_b[j]) + w_c * r_c[j]
    elif count == 2:
        for j in range(n):
            o[j] += w_a * r_a[j] + w_b * r_b[j]
    else:
        for j in range(n):
            o[j] += w_a * r_a[j]


@njit(**_OPTIONS)
def _taps_stride2(o, r_a, r_b, r_c, r_d, w_a, w_b, w_c, w_d, count, n):
    """As :func:`_taps_contiguous`, reading every second cell (a constant step vectorises)."""
    if count == 4:
        for j in range(n):
            o[j] += (w_a * r_a[2 * j] + w_b * r_b[2 * j]) + (w_c * r_c[2 * j] + w_d * r_d[2 * j])
    elif count == 3:
        for j in range(n):
            o[j] += (w_a * r_a[2 * j] + w_b * r_b[2 * j]) + w_c * r_c[2 * j]
    elif count == 2:
        for j in range(n):
            o[j] += w_a * r_a[2 * j] + w_b * r_b[2 * j]
    else:
        for j in range(n):
            o[j] += w_a * r_a[2 * j]


@njit(**_OPTIONS)
def _taps_strided(o, r, offsets, weights, count, n, stride):
    """``o[j] += sum of weights[t] * r[stride*j + offsets[t]]``, any stride."""
    for t in range(count):
        source = r[offsets[t]:]
        weight = weights[t]
        for j in range(n):
            o[j] += weight * source[stride * j]


@njit(inline="always", cache=True)
def _row_taps(o, r, weights, ja, jb, stride, kw, dw, low):
    """Interior columns ``[ja, jb)`` of one kernel row: four taps per pass."""
    n = jb - ja
    target = o[ja:]
    base = ja * stride - low  # input column of tap 0 of column ja (>= 0 in the interior)
    if stride > 2:
        offsets = np.arange(kw) * dw + base
        _taps_strided(target, r, offsets, weights, kw, n, stride)
        return
    m = 0
    while m < kw:
        count = min(4, kw - m)
        b, c, d = min(m + 1, kw - 1), min(m + 2, kw - 1), min(m + 3, kw - 1)
        r_a, r_b = r[base + m * dw:], r[base + b * dw:]
        r_c, r_d = r[base + c * dw:], r[base + d * dw:]
        if stride == 1:
            _taps_contiguous(target, r_a, r_b, r_c, r_d, weights[m], weights[b], weights[c],
                             weights[d], count, n)
        else:
            _taps_stride2(target, r_a, r_b, r_c, r_d, weights[m], weights[b], weights[c],
                          weights[d], count, n)
        m += count


@njit(**_OPTIONS)
def conv_planes(x2, weights, out2, geo, zero, first_task, last_task):
    """Convolution of single-channel planes: ``x2`` (rows, W), ``out2`` (tasks, Wo).

    ``weights`` (kinds, kd*kh*kw) in the accumulator dtype (that of ``out2`` and ``zero``):
    plane ``p`` uses ``weights[p % kinds]`` (one kind for an ordinary convolution, one per
    channel for a depthwise one).
    """
    kd, kh = geo[0, 1], geo[1, 1]
    W, kw, sw, dw, low, Wo = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4], geo[2, 5]
    Do, Ho = geo[0, 5], geo[1, 5]
    kinds = weights.shape[0]
    rows = np.empty(kd * kh, np.int64)
    kernel_rows = np.empty(kd * kh, np.int64)
    ja = min(Wo, (low + sw - 1) // sw)
    last = W - 1 - (kw - 1) * dw + low
    jb = ja if last < 0 else max(ja, min(Wo, last // sw + 1))
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        _kernel_rows(task, geo, kernel_rows)
        w_all = weights[(task // (Ho * Do)) % kinds]
        o = out2[task]
        _fill(o, Wo, zero)
        for t in range(nrows):
            r = x2[rows[t]]
            w_row = w_all[kernel_rows[t] * kw:(kernel_rows[t] + 1) * kw]
            if ja < jb:
                _row_taps(o, r, w_row, ja, jb, sw, kw, dw, low)
            for border in range(Wo - (jb - ja)):  # the columns outside [ja, jb)
                j = border if border < ja else border + (jb - ja)
                total = zero
                for m in range(kw):
                    p = j * sw - low + m * dw
                    if 0 <= p < W:
                        total += w_row[m] * r[p]
                o[j] += total


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
def im2col(x3, cols, geo, groups, zero, first_row, first_task, last_task):
    """Rows of ``cols`` for the output rows (tasks) ``first_task .. last_task - 1``.

    ``x3`` (rows, W, Cin); ``cols`` (pixels, groups * taps * Cin/groups), of the dtype of
    ``zero``; output pixel ``(task, j)`` goes to row ``(task - first_row) * Wo + j``.
    """
    kd, kh = geo[0, 1], geo[1, 1]
    W, kw, sw, dw, low, Wo = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4], geo[2, 5]
    Cin = x3.shape[2]
    per_group = Cin // groups
    taps = kd * kh * kw
    rows = np.empty(kd * kh, np.int64)
    kernel_rows = np.empty(kd * kh, np.int64)
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        _kernel_rows(task, geo, kernel_rows)
        for j in range(Wo):
            target = cols[(task - first_row) * Wo + j]
            _fill(target, target.shape[0], zero)
            for t in range(nrows):
                r = x3[rows[t]]
                for m in range(kw):
                    p = j * sw - low + m * dw
                    if 0 <= p < W:
                        tap = kernel_rows[t] * kw + m
                        source = r[p]
                        for g in range(groups):
                            start = (g * taps + tap) * per_group
                            for ci in range(per_group):
                                target[start + ci] = source[g * per_group + ci]
