"""numba kernel for max pooling with large windows: window doubling by fours (imported on
first use, never by ``import ventanal``).

Conventions (rows, tasks, ``geo``) in :mod:`._numba_rows`. The readable NumPy version of the
same algorithm, step by step, is :mod:`.doubling_reference`; the tests compare the two bit
for bit.

Why the code looks the way it does (measured on the benchmark machines; the numbers are in
``benchmarks/README.md``):

* Window doubling by fours (windows of 1, 4, 16 taps, then one step of up to four overlapping
  ones: two passes for 15 taps) along W and then H makes the cost hardly depend on the window.
* It runs on ordered integer keys of the floats (:func:`._numba_vectors.ordered_key`), so that
  every maximum is one integer instruction with NaN and -0 handled by the order itself.
* The passes are explicit vector loops (:mod:`._numba_vectors`), one per row, over rows padded
  to whole vectors and aligned to cache lines; the next input row is prefetched during the W
  passes of the current one, and the last two H levels share one pass
  (:func:`._numba_vectors.max_chain`) where the arriving row completes an output row.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._numba_rows import (
    DEPTH,
    EFFECTIVE_WINDOW,
    HEIGHT,
    WIDTH,
    axis_taps,
    fill,
    row_buffer_layout,
)
from ._numba_vectors import (
    KERNEL_OPTIONS,
    from_ordered_key,
    key_vectors,
    max_chain,
    max_vectors,
    max_vectors_ahead,
    ordered_key,
    store_fence,
)

_OPTIONS = KERNEL_OPTIONS
# Levels a plan may need: a window of 4**v taps takes v levels, so 32 cover any int64 window.
MOST_LEVELS = 32
# Buffers start at a cache line: a whole-register load never straddles two lines (numba's own
# arrays start 16 or 32 bytes into one).
CACHE_LINE_BYTES = 64


# ---------------------------------------------------------------------------------------------
# Large windows, max: window doubling by fours along W, then along H, on bands of output rows
# ---------------------------------------------------------------------------------------------

@njit(inline="always", cache=True)
def quad_levels(window, dilation, taps):
    """Window doubling by fours: level ``v`` combines four windows of the level below, at the
    offsets ``taps[v, 0..3]`` (cells times ``dilation``), into one up to four times as long:
    windows of 1, 4, 16, ... taps, then one step of two to four overlapping ones that makes
    ``window`` (15 = four windows of 4 at 0, 4, 8, 11). Returns the number of levels."""
    count = 0
    w = 1
    while w < window:
        for t in range(4):
            taps[count, t] = (t * w if 4 * w <= window else min(t * w, window - w)) * dilation
        w = 4 * w if 4 * w <= window else window
        count += 1
    return count


@njit(inline="always", cache=True)
def _ring_row(base, size, slot, tap):
    """Ring row (counted from the ring's start) of the row ``tap`` rows after the one in
    ``slot`` of the level whose ``size`` rows start at ring row ``base``: ``tap <= size``, so
    one comparison replaces a division. The slot after a level's newest row holds its oldest,
    and is where its next row goes."""
    t = slot + tap
    return base + (t - size if t >= size else t)


@njit(inline="always", cache=True)
def _aligned_full(n, value):
    """``np.full(n, value)`` starting at a cache line (:data:`CACHE_LINE_BYTES`). The spare
    cells cover the largest shift, a line less one one-byte cell."""
    a = np.full(n + CACHE_LINE_BYTES, value)
    offset = (-a.ctypes.data % CACHE_LINE_BYTES) // a.itemsize
    return a[offset:offset + n]


@njit(**_OPTIONS)
def _keys_of_row(target, start, source, s_start, n, lanes):
    """``target[start + k] = key(source[s_start + k])`` for ``k < n``."""
    bulk = n - n % lanes
    if bulk > 0:
        key_vectors(target, start, source, (s_start,), 0, bulk, False)
    for k in range(bulk, n):
        target[start + k] = ordered_key(source[s_start + k], target[0])


@njit(**_OPTIONS)
def _take_columns(target, t_start, source, s_start, n_columns, C, step):
    """``target[t_start + j*C + c] = source[s_start + j*step*C + c]``: every ``step``-th
    column."""
    for j in range(n_columns):
        for c in range(C):
            target[t_start + j * C + c] = source[s_start + j * step * C + c]


@njit(**_OPTIONS)
def max_doubling(x2, out2, geo, lowest, key_zero, lanes, band, stream, first_task, last_task):
    """Max pooling with large windows (a D window of one tap), by bands of ``band`` output rows.

    ``x2`` (rows, W*C); ``out2`` (B*Do*Ho, Wo*C). Task ``t`` is band ``t % bands`` of the
    output plane ``t // bands``. The work is on ordered keys (:func:`ordered_key`, the type of
    ``key_zero``): floats as integers that sort as they do, so that every maximum is one
    integer instruction (NaN is the largest key; -0 sorts below +0). Each input row of the
    band goes once into a padded row of keys, is pooled along W by doubling by fours
    (:func:`quad_levels`: two passes for 15 taps) and then streams through the H levels:
    level ``v`` keeps its last ``taps[v, 3] + 1`` rows in a ring, and every arriving row
    completes one row of each level, the last level's being an output row, stored as floats
    (non-temporal stores if ``stream``). The last two levels share one pass
    (:func:`max_chain`) whenever the arriving row completes an output row. The passes are
    explicit vector loops of ``lanes`` keys over rows padded to whole vectors (the cells past
    a row's end hold leftovers no valid cell reads); all buffers are flat, addressed by
    offsets. For 15 taps the rings hold 16 rows.
    """
    D, _, sd, _, first_d, Do = axis_taps(geo, DEPTH)
    H, kh, sh, dh, first_h, Ho = axis_taps(geo, HEIGHT)
    W, kw, sw, dw, _, Wo = axis_taps(geo, WIDTH)
    eh = geo[HEIGHT, EFFECTIVE_WINDOW]
    C = x2.shape[1] // W
    start, n, length = row_buffer_layout(geo, C)
    width = Wo * C
    bands = (Ho + band - 1) // band
    lowest_key = ordered_key(lowest, key_zero)
    # rows of whole vectors, each at a 64-byte boundary; padding cells hold the lowest key
    stride = (length + 2 * lanes + lanes - 1) // lanes * lanes
    padded = _aligned_full(stride, lowest_key)
    work = _aligned_full(2 * stride, lowest_key)
    wtaps = np.empty((MOST_LEVELS, 4), np.int64)
    wlevels = quad_levels(kw, dw * C, wtaps)
    htaps = np.zeros((MOST_LEVELS, 4), np.int64)
    # one tap along H: one level of four copies of the row itself, the output row
    levels = max(1, quad_levels(kh, dh, htaps))
    offsets = np.zeros(levels + 1, np.int64)   # level v's ring: rows offsets[v] .. offsets[v+1]
    for v in range(levels):
        offsets[v + 1] = offsets[v] + htaps[v, 3] + 1
    slots = np.zeros(levels, np.int64)   # the ring slot of each level's next row
    row_length = (width + lanes - 1) // lanes * lanes + lanes
    ring = _aligned_full(max(1, offsets[levels]) * row_length, lowest_key)
    x1 = x2.reshape(x2.size)
    o1 = out2.reshape(out2.size)
    rounded = (width + lanes - 1) // lanes * lanes
    bulk = width - width % lanes
    # the last two levels in one pass: whole vectors only, taps other than the new row's
    chain = levels >= 2 and bulk == rounded and bulk > 0
    for task in range(first_task, last_task):
        plane = task // bands
        i0 = (task % bands) * band
        i1 = min(Ho, i0 + band)
        b = plane // Do
        z = (plane % Do) * sd + first_d  # the D window is one tap
        first_row = i0 * sh + first_h   # the first tap of the band's first window
        nrows = (i1 - 1) * sh + first_h + eh - first_row   # to its last window's last tap
        slots[:] = 0
        for r in range(nrows):
            if kh == 1 and r % sh != 0:   # one tap along H: only output rows are needed
                continue
            h = (offsets[0] + slots[0]) * row_length
            # the input row's keys, pooled along W and subsampled by the W stride, into h
            y = first_row + r
            if z < 0 or z >= D or y < 0 or y >= H:
                fill(ring[h:], row_length, lowest_key)
            else:
                row = ((b * D + z) * H + y) * x2.shape[1]
                _keys_of_row(padded, start, x1, row, n, lanes)
                # the next input row is asked for during this one's W passes
                following = row + (x2.shape[1] if y + 1 < H else 0)
                source, s_start = padded, 0
                count = length
                for v in range(wlevels):
                    count -= wtaps[v, 3]
                    target, t_start = work, (v % 2) * stride
                    if v == wlevels - 1 and sw == 1:
                        target, t_start = ring, h
                    max_vectors_ahead(target, t_start, source,
                                       (s_start + wtaps[v, 0], s_start + wtaps[v, 1],
                                        s_start + wtaps[v, 2], s_start + wtaps[v, 3]), 0,
                                       (count + lanes - 1) // lanes * lanes, False,
                                       x1, following + v * (n // wlevels))
                    source, s_start = target, t_start
                if sw > 1:
                    _take_columns(ring, h, source, s_start, Wo, C, sw)
                elif wlevels == 0:   # one tap along W: the padded row's first Wo columns
                    max_vectors(ring, h, source, (0, 0, 0, 0), 0, rounded, False)
            # row q of level v + 1 is the max of rows q + taps[v, t] of level v; q is level
            # v's oldest row, one slot after its newest, q + taps[v, 3]
            q = r
            for v in range(levels):
                q -= htaps[v, 3]
                if q < 0:
                    break
                base, size = offsets[v], offsets[v + 1] - offsets[v]
                rows4 = (_ring_row(base, size, slots[v], htaps[v, 0] + 1) * row_length,
                         _ring_row(base, size, slots[v], htaps[v, 1] + 1) * row_length,
                         _ring_row(base, size, slots[v], htaps[v, 2] + 1) * row_length,
                         _ring_row(base, size, slots[v], htaps[v, 3] + 1) * row_length)
                if v == levels - 1:
                    if q % sh == 0:
                        o = (plane * Ho + i0 + q // sh) * width
                        if bulk > 0:
                            max_vectors(o1, o, ring, rows4, 0, bulk, stream)
                        for k in range(bulk, width):
                            largest = max(max(ring[rows4[0] + k], ring[rows4[1] + k]),
                                          max(ring[rows4[2] + k], ring[rows4[3] + k]))
                            o1[o + k] = from_ordered_key(largest, lowest)
                    break
                u = v + 1
                new_row = (offsets[u] + slots[u]) * row_length
                q_out = q - htaps[u, 3]
                if chain and u == levels - 1 and q_out >= 0 and q_out % sh == 0:
                    # a tap at the new row's offset repeats it: the oldest row's instead
                    base_u, size_u = offsets[u], offsets[u + 1] - offsets[u]
                    last = htaps[u, 3]
                    t1 = htaps[u, 1] if htaps[u, 1] < last else 0
                    t2 = htaps[u, 2] if htaps[u, 2] < last else 0
                    max_chain(o1, (plane * Ho + i0 + q_out // sh) * width, ring,
                               (rows4[0], rows4[1], rows4[2], rows4[3],
                                _ring_row(base_u, size_u, slots[u], 1) * row_length,
                                _ring_row(base_u, size_u, slots[u], t1 + 1) * row_length,
                                _ring_row(base_u, size_u, slots[u], t2 + 1) * row_length),
                               0, bulk, stream, ring, new_row)
                    break
                max_vectors(ring, new_row, ring, rows4, 0, rounded, False)
            # every level that received a row moves to its next slot
            q = r
            for v in range(levels):
                if q < 0:
                    break
                slots[v] = _ring_row(0, offsets[v + 1] - offsets[v], slots[v], 1)
                q -= htaps[v, 3]
    if stream:
        store_fence()
