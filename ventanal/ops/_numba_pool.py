"""numba kernels for max and average pooling (imported on first use, never by ``import ventanal``).

Every kernel works on C-contiguous channels-last data lifted to three spatial axes
``(batch, D, H, W, channels)`` and seen as rows: ``x`` has one row per ``(batch, d, h)``,
``out`` one row per output ``(batch, od, oh)`` (the *task*). A call computes the tasks
``first_task .. last_task - 1``, so that threads can share an op (:mod:`._fast` runs the
threads; the kernels release the GIL). ``geo`` holds the plan's numbers, one row per axis
(D, H, W): ``size, window, stride, dilation, pad_before, output, span``; the kernels never
derive a size themselves.

Why the loops look the way they do (each point was measured):

* The innermost loop always runs over a slice or an axis that starts at 0 with a step of 1
  (or a constant step of 2): that is what LLVM vectorises. Padding is handled outside the
  innermost loop, by splitting border columns from interior ones or by a small row buffer
  whose padded cells hold the identity, never by a branch per element.
* Up to four window taps are combined per pass over the output row, so a 2x2 window reads
  each input cell once and writes each output cell once.
* Large windows (max only) use window doubling: windows of 1, 2, 4, 8 taps, then one
  overlapping step, per axis, so the cost hardly depends on the window.
* ``_mx`` is ``np.maximum`` for one pair: NaN wins, whichever side it is on.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")


@njit(inline="always", cache=True)
def _mx(a, b):
    # x86 maxps computes `a > b ? a : b` (a NaN b wins); a NaN a must win too.
    t = a if a > b else b
    return a if a != a else t


# ---------------------------------------------------------------------------------------------
# Channels last, many channels: direct, up to four taps per pass over the output row
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def _max_taps(x3, o, j0, j1, stride, tap_rows, tap_cols, taps):
    """``o[j, :] = max over taps t of x3[tap_rows[t], j*stride + tap_cols[t], :]``, j0 <= j < j1."""
    C = o.shape[1]
    t = 0
    while t < taps:
        g = min(4, taps - t)
        r0 = tap_rows[t]
        c0 = tap_cols[t]
        if g == 1:
            if t == 0:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = x3[r0, p + c0, c]
            else:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = _mx(o[j, c], x3[r0, p + c0, c])
        elif g == 2:
            r1 = tap_rows[t + 1]
            c1 = tap_cols[t + 1]
            if t == 0:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = _mx(x3[r0, p + c0, c], x3[r1, p + c1, c])
            else:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = _mx(o[j, c], _mx(x3[r0, p + c0, c], x3[r1, p + c1, c]))
        elif g == 3:
            r1 = tap_rows[t + 1]
            c1 = tap_cols[t + 1]
            r2 = tap_rows[t + 2]
            c2 = tap_cols[t + 2]
            if t == 0:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = _mx(_mx(x3[r0, p + c0, c], x3[r1, p + c1, c]),
                                      x3[r2, p + c2, c])
            else:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = _mx(o[j, c], _mx(_mx(x3[r0, p + c0, c], x3[r1, p + c1, c]),
                                                   x3[r2, p + c2, c]))
        else:
            r1 = tap_rows[t + 1]
            c1 = tap_cols[t + 1]
            r2 = tap_rows[t + 2]
            c2 = tap_cols[t + 2]
            r3 = tap_rows[t + 3]
            c3 = tap_cols[t + 3]
            if t == 0:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = _mx(_mx(x3[r0, p + c0, c], x3[r1, p + c1, c]),
                                      _mx(x3[r2, p + c2, c], x3[r3, p + c3, c]))
            else:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = _mx(o[j, c], _mx(_mx(x3[r0, p + c0, c], x3[r1, p + c1, c]),
                                                   _mx(x3[r2, p + c2, c], x3[r3, p + c3, c])))
        t += g


@njit(**_OPTIONS)
def _sum_taps(x3, o, j0, j1, stride, tap_rows, tap_cols, taps, zero):
    """``o[j, :] = sum over taps t of x3[tap_rows[t], j*stride + tap_cols[t], :]`` (``zero``
    fixes the accumulator type: each value is converted before it is added)."""
    C = o.shape[1]
    t = 0
    while t < taps:
        g = min(4, taps - t)
        r0 = tap_rows[t]
        c0 = tap_cols[t]
        if g == 1:
            if t == 0:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = x3[r0, p + c0, c] + zero
            else:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] += x3[r0, p + c0, c] + zero
        elif g == 2:
            r1 = tap_rows[t + 1]
            c1 = tap_cols[t + 1]
            if t == 0:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = (x3[r0, p + c0, c] + zero) + (x3[r1, p + c1, c] + zero)
            else:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] += (x3[r0, p + c0, c] + zero) + (x3[r1, p + c1, c] + zero)
        else:
            # three or four taps: the fourth, when absent, repeats the third times zero
            r1 = tap_rows[t + 1]
            c1 = tap_cols[t + 1]
            r2 = tap_rows[t + 2]
            c2 = tap_cols[t + 2]
            if g == 4:
                r3 = tap_rows[t + 3]
                c3 = tap_cols[t + 3]
                if t == 0:
                    for j in range(j0, j1):
                        p = j * stride
                        for c in range(C):
                            o[j, c] = (((x3[r0, p + c0, c] + zero) + (x3[r1, p + c1, c] + zero))
                                       + ((x3[r2, p + c2, c] + zero)
                                          + (x3[r3, p + c3, c] + zero)))
                else:
                    for j in range(j0, j1):
                        p = j * stride
                        for c in range(C):
                            o[j, c] += (((x3[r0, p + c0, c] + zero) + (x3[r1, p + c1, c] + zero))
                                        + ((x3[r2, p + c2, c] + zero)
                                           + (x3[r3, p + c3, c] + zero)))
            elif t == 0:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] = (((x3[r0, p + c0, c] + zero) + (x3[r1, p + c1, c] + zero))
                                   + (x3[r2, p + c2, c] + zero))
            else:
                for j in range(j0, j1):
                    p = j * stride
                    for c in range(C):
                        o[j, c] += (((x3[r0, p + c0, c] + zero) + (x3[r1, p + c1, c] + zero))
                                    + (x3[r2, p + c2, c] + zero))
        t += g


@njit(inline="always", cache=True)
def _task_rows(task, geo, rows):
    """Input rows (indices into the row view of x) under output row ``task``; their count."""
    D, kd, sd, dd, lod, Do = geo[0, 0], geo[0, 1], geo[0, 2], geo[0, 3], geo[0, 4], geo[0, 5]
    H, kh, sh, dh, loh, Ho = geo[1, 0], geo[1, 1], geo[1, 2], geo[1, 3], geo[1, 4], geo[1, 5]
    i = task % Ho
    q = task // Ho
    od = q % Do
    b = q // Do
    count = 0
    for a in range(kd):
        z = od * sd - lod + a * dd
        if 0 <= z < D:
            for e in range(kh):
                y = i * sh - loh + e * dh
                if 0 <= y < H:
                    rows[count] = (b * D + z) * H + y
                    count += 1
    return count


@njit(inline="always", cache=True)
def _interior(geo):
    """Output columns ``[ja, jb)`` whose every tap lies inside the input."""
    W, kw, sw, dw, low, Wo = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4], geo[2, 5]
    ja = min(Wo, (low + sw - 1) // sw)
    last = W - 1 - (kw - 1) * dw + low  # the last tap of column j is j*sw + (kw-1)*dw - low
    jb = ja if last < 0 else max(ja, min(Wo, last // sw + 1))
    return ja, jb


@njit(inline="always", cache=True)
def _border_taps(j, geo, rows, nrows, tap_rows, tap_cols):
    """Taps of a border column ``j``; columns are relative to ``j * stride``."""
    W, kw, sw, dw, low = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4]
    taps = 0
    for r in range(nrows):
        for m in range(kw):
            p = j * sw - low + m * dw
            if 0 <= p < W:
                tap_rows[taps] = rows[r]
                tap_cols[taps] = p - j * sw
                taps += 1
    return taps


@njit(**_OPTIONS)
def max_channels(x3, out3, geo, lowest, first_task, last_task):
    """Max pooling, channels last: ``x3`` (rows, W, C), ``out3`` (tasks, Wo, C)."""
    kd, kh, kw, dw, low, Wo = geo[0, 1], geo[1, 1], geo[2, 1], geo[2, 3], geo[2, 4], geo[2, 5]
    sw = geo[2, 2]
    rows = np.empty(kd * kh, np.int64)
    tap_rows = np.empty(kd * kh * kw, np.int64)
    tap_cols = np.empty(kd * kh * kw, np.int64)
    ja, jb = _interior(geo)
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        o = out3[task]
        if nrows == 0:
            o[:, :] = lowest
            continue
        taps = 0
        for r in range(nrows):
            for m in range(kw):
                tap_rows[taps] = rows[r]
                tap_cols[taps] = m * dw - low
                taps += 1
        _max_taps(x3, o, ja, jb, sw, tap_rows, tap_cols, taps)
        for j in range(Wo):
            if ja <= j < jb:
                continue
            taps = _border_taps(j, geo, rows, nrows, tap_rows, tap_cols)
            if taps == 0:
                o[j, :] = lowest
            else:
                _max_taps(x3, o, j, j + 1, sw, tap_rows, tap_cols, taps)


@njit(**_OPTIONS)
def avg_channels(x3, out3, geo, counts_d, counts_h, counts_w, zero, first_task, last_task):
    """Average pooling, channels last; ``out3`` has the accumulator dtype (that of ``zero``).

    The divisor of output ``(od, oh, ow)`` is ``counts_d[od] * counts_h[oh] * counts_w[ow]``.
    """
    kd, kh, kw, dw, low, Wo = geo[0, 1], geo[1, 1], geo[2, 1], geo[2, 3], geo[2, 4], geo[2, 5]
    sw, Ho, Do = geo[2, 2], geo[1, 5], geo[0, 5]
    C = x3.shape[2]
    rows = np.empty(kd * kh, np.int64)
    tap_rows = np.empty(kd * kh * kw, np.int64)
    tap_cols = np.empty(kd * kh * kw, np.int64)
    ja, jb = _interior(geo)
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        o = out3[task]
        row_count = counts_d[(task // Ho) % Do] * counts_h[task % Ho]
        if nrows == 0:
            o[:, :] = zero
        else:
            taps = 0
            for r in range(nrows):
                for m in range(kw):
                    tap_rows[taps] = rows[r]
                    tap_cols[taps] = m * dw - low
                    taps += 1
            _sum_taps(x3, o, ja, jb, sw, tap_rows, tap_cols, taps, zero)
            for j in range(Wo):
                if ja <= j < jb:
                    continue
                taps = _border_taps(j, geo, rows, nrows, tap_rows, tap_cols)
                if taps == 0:
                    o[j, :] = zero
                else:
                    _sum_taps(x3, o, j, j + 1, sw, tap_rows, tap_cols, taps, zero)
        for j in range(Wo):
            divisor = (row_count * counts_w[j]) + zero
            for c in range(C):
                o[j, c] = o[j, c] / divisor


# ---------------------------------------------------------------------------------------------
# Few channels (planes): the window's rows combined into a padded row buffer, then its columns
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def max_rows(x2, out2, geo, lowest, first_task, last_task):
    """Max pooling of ``x2`` (rows, W*C) into ``out2`` (tasks, Wo*C); C = ``x2.shape[1] // W``."""
    kd, kh = geo[0, 1], geo[1, 1]
    W, kw, sw, dw, low, Wo, span = (geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4],
                                    geo[2, 5], geo[2, 6])
    C = x2.shape[1] // W
    read = min(W, span - low)  # input columns the windows reach (stride > window skips a tail)
    n = read * C
    buf = np.empty(span * C, x2.dtype)
    buf[:low * C] = lowest
    buf[(low + read) * C:] = lowest
    inner = buf[low * C:(low + read) * C]
    rows = np.empty(kd * kh, np.int64)
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        # The window's rows, three per pass.
        if nrows == 0:
            inner[:] = lowest
        elif nrows == 1:
            r0 = x2[rows[0]]
            for p in range(n):
                inner[p] = r0[p]
        elif nrows == 2:
            r0 = x2[rows[0]]
            r1 = x2[rows[1]]
            for p in range(n):
                inner[p] = _mx(r0[p], r1[p])
        else:
            r0 = x2[rows[0]]
            r1 = x2[rows[1]]
            r2 = x2[rows[2]]
            for p in range(n):
                inner[p] = _mx(_mx(r0[p], r1[p]), r2[p])
            g = 3
            while g < nrows:
                r0 = x2[rows[g]]
                if g + 2 < nrows:
                    r1 = x2[rows[g + 1]]
                    r2 = x2[rows[g + 2]]
                    for p in range(n):
                        inner[p] = _mx(inner[p], _mx(_mx(r0[p], r1[p]), r2[p]))
                    g += 3
                elif g + 1 < nrows:
                    r1 = x2[rows[g + 1]]
                    for p in range(n):
                        inner[p] = _mx(inner[p], _mx(r0[p], r1[p]))
                    g += 2
                else:
                    for p in range(n):
                        inner[p] = _mx(inner[p], r0[p])
                    g += 1
        # The window's columns, read from the padded buffer (no border cases left).
        o = out2[task]
        if sw == 1:
            # flat: output cell q reads buffer cells q + m*dw*C, for any C
            step = dw * C
            total = Wo * C
            b1 = buf[step:]
            if kw == 1:
                for q in range(total):
                    o[q] = buf[q]
            else:
                for q in range(total):
                    o[q] = _mx(buf[q], b1[q])
            m = 2
            while m < kw:
                bm = buf[m * step:]
                if m + 1 < kw:
                    bn = buf[(m + 1) * step:]
                    for q in range(total):
                        o[q] = _mx(o[q], _mx(bm[q], bn[q]))
                    m += 2
                else:
                    for q in range(total):
                        o[q] = _mx(o[q], bm[q])
                    m += 1
        elif C == 1 and sw == 2 and dw == 1 and kw == 2:
            for j in range(Wo):
                o[j] = _mx(buf[2 * j], buf[2 * j + 1])
        elif C == 1 and sw == 2 and dw == 1 and kw == 3:
            for j in range(Wo):
                o[j] = _mx(_mx(buf[2 * j], buf[2 * j + 1]), buf[2 * j + 2])
        elif C == 1:
            for j in range(Wo):
                o[j] = buf[sw * j]
            for m in range(1, kw):
                bm = buf[m * dw:]
                for j in range(Wo):
                    o[j] = _mx(o[j], bm[sw * j])
        else:
            o2 = o.reshape(Wo, C)
            b2 = buf.reshape(span, C)
            for j in range(Wo):
                p = j * sw
                for c in range(C):
                    o2[j, c] = b2[p, c]
                for m in range(1, kw):
                    pm = p + m * dw
                    for c in range(C):
                        o2[j, c] = _mx(o2[j, c], b2[pm, c])


@njit(**_OPTIONS)
def avg_rows(x2, out2, geo, counts_d, counts_h, counts_w, zero, first_task, last_task):
    """Average pooling of ``x2`` (rows, W*C) into ``out2`` (tasks, Wo*C) of the accumulator
    dtype (that of ``zero``); divisors as :func:`avg_channels`."""
    kd, kh, Do, Ho = geo[0, 1], geo[1, 1], geo[0, 5], geo[1, 5]
    W, kw, sw, dw, low, Wo, span = (geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4],
                                    geo[2, 5], geo[2, 6])
    C = x2.shape[1] // W
    read = min(W, span - low)
    n = read * C
    buf = np.zeros(span * C, out2.dtype)
    inner = buf[low * C:(low + read) * C]
    rows = np.empty(kd * kh, np.int64)
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        row_count = counts_d[(task // Ho) % Do] * counts_h[task % Ho]
        if nrows == 0:
            inner[:] = zero
        elif nrows == 1:
            r0 = x2[rows[0]]
            for p in range(n):
                inner[p] = r0[p] + zero
        else:
            r0 = x2[rows[0]]
            r1 = x2[rows[1]]
            for p in range(n):
                inner[p] = (r0[p] + zero) + (r1[p] + zero)
            g = 2
            while g < nrows:
                r0 = x2[rows[g]]
                if g + 1 < nrows:
                    r1 = x2[rows[g + 1]]
                    for p in range(n):
                        inner[p] += (r0[p] + zero) + (r1[p] + zero)
                    g += 2
                else:
                    for p in range(n):
                        inner[p] += r0[p] + zero
                    g += 1
        o = out2[task]
        if sw == 1:
            step = dw * C
            total = Wo * C
            for q in range(total):
                o[q] = buf[q]
            m = 1
            while m < kw:
                bm = buf[m * step:]
                if m + 1 < kw:
                    bn = buf[(m + 1) * step:]
                    for q in range(total):
                        o[q] += bm[q] + bn[q]
                    m += 2
                else:
                    for q in range(total):
                        o[q] += bm[q]
                    m += 1
        elif C == 1 and sw == 2 and dw == 1 and kw == 2:
            for j in range(Wo):
                o[j] = buf[2 * j] + buf[2 * j + 1]
        elif C == 1:
            for j in range(Wo):
                o[j] = buf[sw * j]
            for m in range(1, kw):
                bm = buf[m * dw:]
                for j in range(Wo):
                    o[j] += bm[sw * j]
        else:
            o2 = o.reshape(Wo, C)
            b2 = buf.reshape(span, C)
            for j in range(Wo):
                p = j * sw
                for c in range(C):
                    o2[j, c] = b2[p, c]
                for m in range(1, kw):
                    pm = p + m * dw
                    for c in range(C):
                        o2[j, c] += b2[pm, c]
        o2 = o.reshape(Wo, C)
        for j in range(Wo):
            divisor = (row_count * counts_w[j]) + zero
            for c in range(C):
                o2[j, c] = o2[j, c] / divisor


# ---------------------------------------------------------------------------------------------
# Large windows, max: window doubling along W, then along H, on bands of output rows
# ---------------------------------------------------------------------------------------------

@njit(inline="always", cache=True)
def _double(a, b, length, window, step):
    """Running max of ``window`` taps ``step`` apart: a[q] = max(a[q], a[q+step], ...).

    Doubling (1, 2, 4, ... taps) then one overlapping step; ``a`` and ``b`` alternate as
    source and destination (an in-place update would not vectorise). Returns the array that
    holds the result, valid for ``q < length - (window - 1) * step``.
    """
    w = 1
    while 2 * w <= window:
        shift = w * step
        src = a[shift:]
        for q in range(length - shift):
            b[q] = _mx(a[q], src[q])
        a, b = b, a
        w *= 2
    if w < window:
        shift = (window - w) * step
        src = a[shift:]
        for q in range(length - shift):
            b[q] = _mx(a[q], src[q])
        a, b = b, a
    return a


@njit(**_OPTIONS)
def max_doubling(x2, out2, geo, lowest, band, first_task, last_task):
    """Max pooling with large windows (D window of 1), by bands of ``band`` output rows.

    ``x2`` (rows, W*C); ``out2`` (B*Do*Ho, Wo*C). Task ``t`` is band ``t % bands`` of the
    output plane ``t // bands``.
    """
    H, kh, sh, dh, loh, Ho = geo[1, 0], geo[1, 1], geo[1, 2], geo[1, 3], geo[1, 4], geo[1, 5]
    D, sd, lod, Do = geo[0, 0], geo[0, 2], geo[0, 4], geo[0, 5]
    W, kw, sw, dw, low, Wo, span = (geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4],
                                    geo[2, 5], geo[2, 6])
    C = x2.shape[1] // W
    eh = dh * (kh - 1) + 1
    read = min(W, span - low)
    length = span * C
    bands = (Ho + band - 1) // band
    band_rows = (band - 1) * sh + eh
    rowbuf = np.empty(length, x2.dtype)
    swap = np.empty(length, x2.dtype)
    hbuf = np.empty((band_rows, Wo * C), x2.dtype)
    for task in range(first_task, last_task):
        plane = task // bands
        i0 = (task % bands) * band
        i1 = min(Ho, i0 + band)
        b = plane // Do
        z = (plane % Do) * sd - lod  # the D window is one tap
        nrows = (i1 - 1 - i0) * sh + eh
        # Each input row of the band, pooled along W (then subsampled by the W stride).
        for r in range(nrows):
            y = i0 * sh - loh + r
            h = hbuf[r]
            if z < 0 or z >= D or y < 0 or y >= H:
                h[:] = lowest
                continue
            src = x2[(b * D + z) * H + y]
            rowbuf[:low * C] = lowest
            rowbuf[low * C:(low + read) * C] = src[:read * C]
            rowbuf[(low + read) * C:] = lowest
            result = _double(rowbuf, swap, length, kw, dw * C)
            if sw == 1:
                h[:] = result[:Wo * C]
            elif C == 1:
                for j in range(Wo):
                    h[j] = result[j * sw]
            else:
                for j in range(Wo):
                    h[j * C:(j + 1) * C] = result[j * sw * C:j * sw * C + C]
        # Along H: doubling over the band's rows, in place (distinct rows vectorise).
        w = 1
        valid = nrows
        while 2 * w <= kh:
            shift = w * dh
            valid -= shift
            for r in range(valid):
                top = hbuf[r]
                below = hbuf[r + shift]
                for q in range(Wo * C):
                    top[q] = _mx(top[q], below[q])
            w *= 2
        if w < kh:
            shift = (kh - w) * dh
            valid -= shift
            for r in range(valid):
                top = hbuf[r]
                below = hbuf[r + shift]
                for q in range(Wo * C):
                    top[q] = _mx(top[q], below[q])
        for i in range(i0, i1):
            out2[plane * Ho + i, :] = hbuf[(i - i0) * sh]
