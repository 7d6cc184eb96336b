"""numba kernels for max and average pooling: direct kernels for many channels, and row
buffers for few (imported on first use, never by ``import ventanal``).

Conventions (rows, tasks, ``geo``) in :mod:`._numba_rows`. A call computes the tasks
``first_task .. last_task - 1``, so that threads can share an op (:mod:`._fast` runs the
threads; the kernels release the GIL). Large max windows go to :mod:`._numba_doubling`.

* Channels last, many channels (:func:`max_channels`, :func:`avg_channels`): the inner loop
  runs over the channels of one output column, up to four taps per pass (or a 3x3 window in
  one), through explicit vector loops (:mod:`._numba_vectors`) when the channels fill whole
  vectors. Border columns (a tap on the padding) are split from interior ones, so that
  padding never costs a branch per element.
* Few channels (:func:`max_rows`, :func:`avg_rows`): the window's rows are combined into a
  row buffer whose padded cells hold the identity (the lowest value, or zero), then the
  window's columns are combined from it: no border case is left.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._numba_rows import (
    DEPTH,
    HEIGHT,
    OUTPUT,
    SPAN,
    STRIDE,
    WIDTH,
    WINDOW,
    axis_taps,
    column_taps,
    fill,
    interior,
    max4,
    max_2x2_stride2,
    max_columns4,
    max_of_rows,
    max_pairs_stride2,
    max_stride2,
    max_strided,
    row_buffer_layout,
    scale_columns,
    sum_columns,
    sum_rows,
    sum_strided,
    task_rows,
)
from ._numba_vectors import KERNEL_OPTIONS, cast, max_vectors, maximum, mean_vectors, store_fence

_OPTIONS = KERNEL_OPTIONS


# ---------------------------------------------------------------------------------------------
# Channels last, many channels: direct, up to four taps per pass over the output row
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def _max_group(o, x_a, x_b, x_c, x_d, c_a, c_b, c_c, c_d, j0, j1, stride, first):
    """``o[j, :] (max)= max of x_t[j*stride + c_t, :]`` over four taps t, ``j0 <= j < j1``."""
    C = o.shape[1]
    if first:
        for j in range(j0, j1):
            p = j * stride
            for c in range(C):
                o[j, c] = maximum(maximum(x_a[p + c_a, c], x_b[p + c_b, c]),
                                  maximum(x_c[p + c_c, c], x_d[p + c_d, c]))
    else:
        for j in range(j0, j1):
            p = j * stride
            for c in range(C):
                o[j, c] = maximum(o[j, c], maximum(maximum(x_a[p + c_a, c], x_b[p + c_b, c]),
                                                   maximum(x_c[p + c_c, c], x_d[p + c_d, c])))


@njit(**_OPTIONS)
def _max_group9(o, x_a, x_b, x_c, c_a, c_b, c_c, j0, j1, stride):
    """``o[j, :] = max of x_r[j*stride + c, :]`` over three rows r and three column offsets c,
    ``j0 <= j < j1``: a 3x3 window in one pass (three input arrays keep LLVM's overlap checks
    few enough to vectorise; a window with fewer rows or columns repeats one)."""
    C = o.shape[1]
    for j in range(j0, j1):
        p = j * stride
        for c in range(C):
            o[j, c] = maximum(
                maximum(maximum(maximum(x_a[p + c_a, c], x_a[p + c_b, c]),
                                maximum(x_a[p + c_c, c], x_b[p + c_a, c])),
                        maximum(maximum(x_b[p + c_b, c], x_b[p + c_c, c]),
                                maximum(x_c[p + c_a, c], x_c[p + c_b, c]))),
                x_c[p + c_c, c])


@njit(**_OPTIONS)
def _average_group(o, x_a, x_b, x_c, x_d, c_a, c_b, c_c, c_d, count, j0, j1, stride,
                   inverse, zero):
    """``o[j, :] = inverse[j] * sum of x_t[j*stride + c_t, :]`` over the first ``count`` of
    four taps, each converted to the type of ``zero`` before it is added."""
    C = o.shape[1]
    for j in range(j0, j1):
        p = j * stride
        scale = inverse[j]
        if count == 4:
            for c in range(C):
                o[j, c] = scale * ((cast(x_a[p + c_a, c], zero) + cast(x_b[p + c_b, c], zero))
                                   + (cast(x_c[p + c_c, c], zero) + cast(x_d[p + c_d, c], zero)))
        elif count == 3:
            for c in range(C):
                o[j, c] = scale * ((cast(x_a[p + c_a, c], zero) + cast(x_b[p + c_b, c], zero))
                                   + cast(x_c[p + c_c, c], zero))
        elif count == 2:
            for c in range(C):
                o[j, c] = scale * (cast(x_a[p + c_a, c], zero) + cast(x_b[p + c_b, c], zero))
        else:
            for c in range(C):
                o[j, c] = scale * cast(x_a[p + c_a, c], zero)


@njit(inline="always", cache=True)
def _max_taps(x3, o, j0, j1, stride, tap_rows, tap_cols, taps):
    t = 0
    while t < taps:
        # a group of four taps; a short last group repeats its last tap
        a, b = t, min(t + 1, taps - 1)
        c, d = min(t + 2, taps - 1), min(t + 3, taps - 1)
        _max_group(o, x3[tap_rows[a]], x3[tap_rows[b]], x3[tap_rows[c]], x3[tap_rows[d]],
                   tap_cols[a], tap_cols[b], tap_cols[c], tap_cols[d], j0, j1, stride, t == 0)
        t += 4


@njit(inline="always", cache=True)
def _average_taps(x3, o, j0, j1, stride, tap_rows, tap_cols, taps, inverse, zero):
    """At most four taps (the dispatcher's rule for this kernel): one pass."""
    b, c, d = min(1, taps - 1), min(2, taps - 1), min(3, taps - 1)
    _average_group(o, x3[tap_rows[0]], x3[tap_rows[b]], x3[tap_rows[c]], x3[tap_rows[d]],
                   tap_cols[0], tap_cols[b], tap_cols[c], tap_cols[d], taps, j0, j1, stride,
                   inverse, zero)


@njit(**_OPTIONS)
def _inverse_counts(inverse, row_count, counts_w, n):
    """``inverse[j] = 1 / (row_count * counts_w[j])`` (inf for no cell: 0 * inf is NaN)."""
    for j in range(n):
        inverse[j] = 1.0 / (row_count * counts_w[j])


@njit(inline="always", cache=True)
def _tap_start(tap_rows, tap_cols, t, W, C):
    """Flat index of channel 0 of tap ``t`` of output column 0 (column j adds j*stride*C)."""
    return (tap_rows[t] * W + tap_cols[t]) * C


@njit(inline="always", cache=True)
def _max_vector_columns(o1, o_first, x1, starts, j0, j1, step, C, stream):
    """Output columns ``j0 <= j < j1`` of the row at ``o_first``, taps at ``starts + j*step``."""
    for j in range(j0, j1):
        max_vectors(o1, o_first + j * C, x1, starts, j * step, C, stream)


@njit(**_OPTIONS)
def max_channels(x3, out3, geo, lowest, vectors, stream, first_task, last_task):
    """Max pooling, channels last: ``x3`` (rows, W, C), ``out3`` (tasks, Wo, C).

    With ``vectors`` (C a multiple of :func:`vector_lanes`), interior windows of up to 3x3
    taps go through :func:`max_vectors`, with non-temporal stores if ``stream``.
    """
    kd = geo[DEPTH, WINDOW]
    kh = geo[HEIGHT, WINDOW]
    kw, sw, Wo = geo[WIDTH, WINDOW], geo[WIDTH, STRIDE], geo[WIDTH, OUTPUT]
    W, C = x3.shape[1], x3.shape[2]
    x1 = x3.reshape(x3.size)
    o1 = out3.reshape(out3.size)
    rows = np.empty(kd * kh, np.int64)
    tap_rows = np.empty(kd * kh * kw, np.int64)
    tap_cols = np.empty(kd * kh * kw, np.int64)
    ja, jb = interior(geo)
    for task in range(first_task, last_task):
        nrows = task_rows(task, geo, rows)
        o = out3[task]
        if nrows == 0:
            fill(o.reshape(Wo * C), Wo * C, lowest)
            continue
        if ja < jb:
            taps = column_taps(ja, geo, rows, nrows, tap_rows, tap_cols, True)
            small = nrows <= 3 and kw <= 3       # up to 3x3 taps: one pass
            if vectors and taps <= 4:   # a short window repeats its last tap
                b, c, d = min(1, taps - 1), min(2, taps - 1), min(3, taps - 1)
                starts4 = (_tap_start(tap_rows, tap_cols, 0, W, C),
                           _tap_start(tap_rows, tap_cols, b, W, C),
                           _tap_start(tap_rows, tap_cols, c, W, C),
                           _tap_start(tap_rows, tap_cols, d, W, C))
                _max_vector_columns(o1, task * Wo * C, x1, starts4, ja, jb, sw * C, C, stream)
            elif vectors and small:     # three rows of three taps, repeating as above
                r1, r2 = min(1, nrows - 1) * kw, min(2, nrows - 1) * kw
                m1, m2 = min(1, kw - 1), min(2, kw - 1)
                starts9 = (_tap_start(tap_rows, tap_cols, 0, W, C),
                           _tap_start(tap_rows, tap_cols, m1, W, C),
                           _tap_start(tap_rows, tap_cols, m2, W, C),
                           _tap_start(tap_rows, tap_cols, r1, W, C),
                           _tap_start(tap_rows, tap_cols, r1 + m1, W, C),
                           _tap_start(tap_rows, tap_cols, r1 + m2, W, C),
                           _tap_start(tap_rows, tap_cols, r2, W, C),
                           _tap_start(tap_rows, tap_cols, r2 + m1, W, C),
                           _tap_start(tap_rows, tap_cols, r2 + m2, W, C))
                _max_vector_columns(o1, task * Wo * C, x1, starts9, ja, jb, sw * C, C, stream)
            elif taps > 4 and small:
                r_b, r_c = rows[min(1, nrows - 1)], rows[min(2, nrows - 1)]
                _max_group9(o, x3[rows[0]], x3[r_b], x3[r_c], tap_cols[0],
                            tap_cols[min(1, kw - 1)], tap_cols[min(2, kw - 1)], ja, jb, sw)
            else:
                _max_taps(x3, o, ja, jb, sw, tap_rows, tap_cols, taps)
        for border in range(Wo - (jb - ja)):  # the columns outside [ja, jb)
            j = border if border < ja else border + (jb - ja)
            taps = column_taps(j, geo, rows, nrows, tap_rows, tap_cols, False)
            if taps == 0:
                fill(o[j], C, lowest)
            else:
                _max_taps(x3, o, j, j + 1, sw, tap_rows, tap_cols, taps)
    if stream:
        store_fence()


@njit(**_OPTIONS)
def avg_channels(x3, out3, geo, counts_d, counts_h, counts_w, zero, vectors, stream,
                 first_task, last_task):
    """Average pooling, channels last, at most four taps per window; ``out3`` has the
    accumulator dtype (that of ``zero``).

    The divisor of output ``(od, oh, ow)`` is ``counts_d[od] * counts_h[oh] * counts_w[ow]``;
    sums are multiplied by its inverse (within an ulp of dividing). With ``vectors`` (C a
    multiple of :func:`vector_lanes` of the accumulator), interior windows of four taps go
    through :func:`mean_vectors`, with non-temporal stores if ``stream``.
    """
    kd, Do = geo[DEPTH, WINDOW], geo[DEPTH, OUTPUT]
    kh, Ho = geo[HEIGHT, WINDOW], geo[HEIGHT, OUTPUT]
    kw, sw, Wo = geo[WIDTH, WINDOW], geo[WIDTH, STRIDE], geo[WIDTH, OUTPUT]
    W, C = x3.shape[1], x3.shape[2]
    x1 = x3.reshape(x3.size)
    o1 = out3.reshape(out3.size)
    rows = np.empty(kd * kh, np.int64)
    tap_rows = np.empty(kd * kh * kw, np.int64)
    tap_cols = np.empty(kd * kh * kw, np.int64)
    inverse = np.empty(Wo, out3.dtype)
    ja, jb = interior(geo)
    for task in range(first_task, last_task):
        nrows = task_rows(task, geo, rows)
        o = out3[task]
        _inverse_counts(inverse, counts_d[(task // Ho) % Do] * counts_h[task % Ho], counts_w, Wo)
        if nrows == 0:
            fill(o.reshape(Wo * C), Wo * C, zero * inverse[0])
            continue
        if ja < jb:
            taps = column_taps(ja, geo, rows, nrows, tap_rows, tap_cols, True)
            if vectors and taps == 4:
                starts4 = (_tap_start(tap_rows, tap_cols, 0, W, C),
                           _tap_start(tap_rows, tap_cols, 1, W, C),
                           _tap_start(tap_rows, tap_cols, 2, W, C),
                           _tap_start(tap_rows, tap_cols, 3, W, C))
                for j in range(ja, jb):
                    mean_vectors(o1, (task * Wo + j) * C, x1, starts4, j * sw * C, C, stream,
                                  inverse[j])
            else:
                _average_taps(x3, o, ja, jb, sw, tap_rows, tap_cols, taps, inverse, zero)
        for border in range(Wo - (jb - ja)):  # the columns outside [ja, jb)
            j = border if border < ja else border + (jb - ja)
            taps = column_taps(j, geo, rows, nrows, tap_rows, tap_cols, False)
            if taps == 0:
                fill(o[j], C, zero * inverse[j])
            else:
                _average_taps(x3, o, j, j + 1, sw, tap_rows, tap_cols, taps, inverse, zero)
    if stream:
        store_fence()


# ---------------------------------------------------------------------------------------------
# Few channels (planes): the window's rows combined into a padded row buffer, then its columns
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def max_rows(x2, out2, geo, lowest, first_task, last_task):
    """Max pooling of ``x2`` (rows, W*C) into ``out2`` (tasks, Wo*C); C = ``x2.shape[1] // W``."""
    kd = geo[DEPTH, WINDOW]
    kh = geo[HEIGHT, WINDOW]
    W, kw, sw, dw, _, Wo = axis_taps(geo, WIDTH)
    span = geo[WIDTH, SPAN]
    C = x2.shape[1] // W
    start, n, length = row_buffer_layout(geo, C)
    buf = np.empty(length, x2.dtype)
    fill(buf, start, lowest)
    fill(buf[start + n:], length - start - n, lowest)
    inner = buf[start:start + n]
    buf2 = buf.reshape(span, C)
    rows = np.empty(kd * kh, np.int64)
    # 2x2 windows, stride 2, no padding before: straight from two input rows (the common
    # case, faster than through the buffer); a last odd column reads one cell per row.
    pairs = C == 1 and kw == 2 and sw == 2 and dw == 1 and start == 0 and 2 * Wo <= W + 1
    for task in range(first_task, last_task):
        nrows = task_rows(task, geo, rows)
        if pairs and nrows == 2:
            o = out2[task]
            r0, r1 = x2[rows[0]], x2[rows[1]]
            max_2x2_stride2(o, r0, r1, W // 2)
            if Wo > W // 2:
                o[Wo - 1] = maximum(r0[W - 1], r1[W - 1])
            continue
        # The window's rows, up to four per pass.
        if nrows == 0:
            fill(inner, n, lowest)
        else:
            max_of_rows(inner, x2, rows, nrows, n)
        # The window's columns, from the padded buffer: no border case is left.
        o = out2[task]
        if sw == 1:
            # flat: output cell q reads buffer cells q + m*dw*C, for any C
            step = dw * C
            total = Wo * C
            m = 0
            while m < kw:
                a, b = m, min(m + 1, kw - 1)
                c, d = min(m + 2, kw - 1), min(m + 3, kw - 1)
                max4(o, buf[a * step:], buf[b * step:], buf[c * step:], buf[d * step:], total,
                      m == 0)
                m += 4
        elif C == 1 and sw == 2 and dw == 1 and kw == 2:
            max_pairs_stride2(o, buf, Wo)
        elif C == 1 and sw == 2:
            for m in range(kw):
                max_stride2(o, buf, Wo, m * dw, m == 0)
        elif C == 1:
            for m in range(kw):
                max_strided(o, buf, Wo, sw, m * dw, m == 0)
        else:
            o2 = o.reshape(Wo, C)
            m = 0
            while m < kw:
                a, b = m, min(m + 1, kw - 1)
                c, d = min(m + 2, kw - 1), min(m + 3, kw - 1)
                max_columns4(o2, buf2, Wo, sw, a * dw, b * dw, c * dw, d * dw, m == 0)
                m += 4


@njit(**_OPTIONS)
def avg_rows(x2, out2, geo, counts_d, counts_h, counts_w, zero, first_task, last_task):
    """Average pooling of ``x2`` (rows, W*C) into ``out2`` (tasks, Wo*C) of the accumulator
    dtype (that of ``zero``); divisors as :func:`avg_channels`."""
    kd, Do = geo[DEPTH, WINDOW], geo[DEPTH, OUTPUT]
    kh, Ho = geo[HEIGHT, WINDOW], geo[HEIGHT, OUTPUT]
    W, kw, sw, dw, _, Wo = axis_taps(geo, WIDTH)
    span = geo[WIDTH, SPAN]
    C = x2.shape[1] // W
    start, n, length = row_buffer_layout(geo, C)
    buf = np.zeros(length, out2.dtype)
    inner = buf[start:start + n]
    inverse = np.empty(Wo, out2.dtype)
    buf2 = buf.reshape(span, C)
    rows = np.empty(kd * kh, np.int64)
    for task in range(first_task, last_task):
        nrows = task_rows(task, geo, rows)
        if nrows == 0:
            fill(inner, n, zero)
        t = 0
        while t < nrows:
            count = min(2, nrows - t)
            sum_rows(inner, x2[rows[t]], x2[rows[t + count - 1]], n, zero, count, t == 0)
            t += count
        o = out2[task]
        if C == 1:
            for m in range(kw):
                sum_strided(o, buf, Wo, sw, m * dw, m == 0)
        else:
            o2 = o.reshape(Wo, C)
            for m in range(kw):
                sum_columns(o2, buf2, Wo, sw, m * dw, m == 0)
        _inverse_counts(inverse, counts_d[(task // Ho) % Do] * counts_h[task % Ho], counts_w, Wo)
        scale_columns(o.reshape(Wo, C), inverse, Wo)

