"""numba helpers on rows: elementwise loops over 1-D rows, and which input rows and taps an
output row reads (imported on first use, never by ``import ventanal``).

Every kernel works on C-contiguous channels-last data lifted to three spatial axes
``(batch, D, H, W, channels)`` and seen as rows: ``x`` has one row per ``(batch, d, h)``,
``out`` one row per output ``(batch, od, oh)`` (a *task*). ``geo`` is the plan's table
(:meth:`ventanal.geometry.WindowPlan.table` of the plan lifted to D, H, W): one row per axis,
the columns named by :data:`ventanal.geometry.TABLE_COLUMNS`, read here through the
constants below (numba freezes module globals into the compiled code). The kernels take
every size, position and range from it and never derive one themselves: window ``i``'s tap
``m`` reads input position ``i * stride + first_tap + m * dilation``.

numba's on-disk cache of a kernel is keyed by the kernel's own source file: after a change to
a helper here (or to the table's columns), the kernels of the other modules need their cache
cleared (their ``__pycache__/*.nbi``/``*.nbc`` files) or a change to their file.

Why the helpers look the way they do (measured on the benchmark machines; the numbers are
in ``benchmarks/README.md``):

* Inner loops live in small helper functions whose arrays are separate arguments: LLVM then
  vectorises them after a cheap overlap check, where the same loop written inline (two rows
  of one array, say) stays scalar. Slice assignment (``a[:] = b``) is slow in numba;
  :func:`fill` and :func:`copy_cells` replace it.
* Innermost loops run over an axis that starts at 0 with a step of 1 (or a constant 2).
* Up to four window taps are combined per pass (a missing tap repeats one: max is
  idempotent), so a 2x2 window reads each input cell once and writes each output cell once.
"""

from __future__ import annotations

from numba import njit

from ..geometry import TABLE_COLUMNS
from ._numba_vectors import KERNEL_OPTIONS, cast, maximum

_OPTIONS = KERNEL_OPTIONS

# Rows of ``geo``: the spatial axes, lifted to three.
DEPTH, HEIGHT, WIDTH = 0, 1, 2
# Columns of ``geo``.
SIZE = TABLE_COLUMNS.index("size")
WINDOW = TABLE_COLUMNS.index("window")
STRIDE = TABLE_COLUMNS.index("stride")
DILATION = TABLE_COLUMNS.index("dilation")
OUTPUT = TABLE_COLUMNS.index("output")
SPAN = TABLE_COLUMNS.index("span")
INTERIOR_FIRST = TABLE_COLUMNS.index("interior_first")
INTERIOR_STOP = TABLE_COLUMNS.index("interior_stop")
READ_OFFSET = TABLE_COLUMNS.index("read_offset")
READ_COUNT = TABLE_COLUMNS.index("read_count")
EFFECTIVE_WINDOW = TABLE_COLUMNS.index("effective_window")
FIRST_TAP = TABLE_COLUMNS.index("first_tap")


# ---------------------------------------------------------------------------------------------
# Elementwise helpers on 1-D rows
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def fill(a, n, value):
    for q in range(n):
        a[q] = value


@njit(**_OPTIONS)
def copy_cells(target, source, n):
    for q in range(n):
        target[q] = source[q]


@njit(**_OPTIONS)
def max4(target, a, b, c, d, n, first):
    """``target = max(a, b, c, d)``, or ``max(target, a, b, c, d)`` unless ``first``."""
    if first:
        for q in range(n):
            target[q] = maximum(maximum(a[q], b[q]), maximum(c[q], d[q]))
    else:
        for q in range(n):
            target[q] = maximum(target[q], maximum(maximum(a[q], b[q]), maximum(c[q], d[q])))


@njit(**_OPTIONS)
def max2(target, a, b, n):
    """``target = max(a, b)`` (``target`` may be ``a``)."""
    for q in range(n):
        target[q] = maximum(a[q], b[q])


@njit(inline="always", cache=True)
def max_of_rows(target, x2, rows, count, n):
    """``target = max over the rows x2[rows[t]]``, four per pass, then a pair or one."""
    t = 0
    while count - t >= 3 or (t == 0 and count >= 3):
        a, b, c, d = t, t + 1, t + 2, min(t + 3, count - 1)
        max4(target, x2[rows[a]], x2[rows[b]], x2[rows[c]], x2[rows[d]], n, t == 0)
        t = d + 1
    if count - t == 2:
        if t == 0:
            max2(target, x2[rows[0]], x2[rows[1]], n)
        else:
            max4(target, x2[rows[t]], x2[rows[t + 1]], x2[rows[t]], x2[rows[t + 1]], n, False)
    elif count - t == 1:
        if t == 0:
            copy_cells(target, x2[rows[0]], n)
        else:
            max2(target, target, x2[rows[t]], n)


@njit(**_OPTIONS)
def sum_rows(target, a, b, n, zero, count, first):
    """``target (=|+=) a (+ b if count == 2)``, each value converted to the type of ``zero``."""
    if count == 1:
        if first:
            for q in range(n):
                target[q] = cast(a[q], zero)
        else:
            for q in range(n):
                target[q] += cast(a[q], zero)
    elif first:
        for q in range(n):
            target[q] = cast(a[q], zero) + cast(b[q], zero)
    else:
        for q in range(n):
            target[q] += cast(a[q], zero) + cast(b[q], zero)


@njit(**_OPTIONS)
def max_2x2_stride2(target, r0, r1, n):
    """``target[j] = max of r0[2j], r0[2j+1], r1[2j], r1[2j+1]``: one pass, no buffer."""
    for j in range(n):
        target[j] = maximum(maximum(r0[2 * j], r0[2 * j + 1]), maximum(r1[2 * j], r1[2 * j + 1]))


@njit(**_OPTIONS)
def max_stride2(target, source, n, offset, first):
    """``target[j] (max)= source[2*j + offset]``: the constant step lets LLVM vectorise."""
    ahead = source[offset:]
    if first:
        for j in range(n):
            target[j] = ahead[2 * j]
    else:
        for j in range(n):
            target[j] = maximum(target[j], ahead[2 * j])


@njit(**_OPTIONS)
def max_pairs_stride2(target, source, n):
    """``target[j] = max(source[2j], source[2j+1])``, the 2x2 stride-2 case."""
    for j in range(n):
        target[j] = maximum(source[2 * j], source[2 * j + 1])


@njit(**_OPTIONS)
def max_strided(target, source, n, stride, offset, first):
    ahead = source[offset:]
    if first:
        for j in range(n):
            target[j] = ahead[stride * j]
    else:
        for j in range(n):
            target[j] = maximum(target[j], ahead[stride * j])


@njit(**_OPTIONS)
def sum_strided(target, source, n, stride, offset, first):
    ahead = source[offset:]
    if first:
        for j in range(n):
            target[j] = ahead[stride * j]
    else:
        for j in range(n):
            target[j] += ahead[stride * j]


@njit(**_OPTIONS)
def max_columns4(target, source, n, stride, o_a, o_b, o_c, o_d, first):
    """Rows of C channels: ``target[j, :] (max)= max of source[stride*j + o_t, :]``."""
    C = target.shape[1]
    if first:
        for j in range(n):
            p = stride * j
            for c in range(C):
                target[j, c] = maximum(maximum(source[p + o_a, c], source[p + o_b, c]),
                                       maximum(source[p + o_c, c], source[p + o_d, c]))
    else:
        for j in range(n):
            p = stride * j
            for c in range(C):
                target[j, c] = maximum(target[j, c],
                                       maximum(maximum(source[p + o_a, c], source[p + o_b, c]),
                                               maximum(source[p + o_c, c], source[p + o_d, c])))


@njit(**_OPTIONS)
def sum_columns(target, source, n, stride, offset, first):
    C = target.shape[1]
    if first:
        for j in range(n):
            p = stride * j + offset
            for c in range(C):
                target[j, c] = source[p, c]
    else:
        for j in range(n):
            p = stride * j + offset
            for c in range(C):
                target[j, c] += source[p, c]


@njit(**_OPTIONS)
def scale_columns(target, inverse, n_columns):
    """``target[j, :] *= inverse[j]``."""
    C = target.shape[1]
    for j in range(n_columns):
        scale = inverse[j]
        for c in range(C):
            target[j, c] = target[j, c] * scale


# ---------------------------------------------------------------------------------------------
# Rows and taps of one output row
# ---------------------------------------------------------------------------------------------

@njit(inline="always", cache=True)
def axis_taps(geo, axis):
    """``(size, window, stride, dilation, first_tap, output)`` of ``axis``: window ``i``'s tap
    ``m`` reads input position ``i * stride + first_tap + m * dilation``."""
    row = geo[axis]
    return row[SIZE], row[WINDOW], row[STRIDE], row[DILATION], row[FIRST_TAP], row[OUTPUT]


@njit(inline="always", cache=True)
def interior(geo):
    """Output columns ``[ja, jb)`` whose every tap lies inside the input."""
    return geo[WIDTH, INTERIOR_FIRST], geo[WIDTH, INTERIOR_STOP]


@njit(inline="always", cache=True)
def task_rows(task, geo, rows):
    """Input rows (indices into the row view of x) under output row ``task``; their count."""
    D, kd, sd, dd, first_d, Do = axis_taps(geo, DEPTH)
    H, kh, sh, dh, first_h, Ho = axis_taps(geo, HEIGHT)
    i = task % Ho
    q = task // Ho
    od = q % Do
    b = q // Do
    count = 0
    for a in range(kd):
        z = od * sd + first_d + a * dd
        if 0 <= z < D:
            for e in range(kh):
                y = i * sh + first_h + e * dh
                if 0 <= y < H:
                    rows[count] = (b * D + z) * H + y
                    count += 1
    return count


@njit(inline="always", cache=True)
def task_kernel_rows(task, geo, numbers):
    """Kernel row ``a*kh + e`` of each valid input row, in the order of :func:`task_rows`."""
    D, kd, sd, dd, first_d, Do = axis_taps(geo, DEPTH)
    H, kh, sh, dh, first_h, Ho = axis_taps(geo, HEIGHT)
    i = task % Ho
    od = (task // Ho) % Do
    count = 0
    for a in range(kd):
        z = od * sd + first_d + a * dd
        if 0 <= z < D:
            for e in range(kh):
                y = i * sh + first_h + e * dh
                if 0 <= y < H:
                    numbers[count] = a * kh + e
                    count += 1
    return count


@njit(inline="always", cache=True)
def column_taps(j, geo, rows, nrows, tap_rows, tap_cols, inside):
    """Taps ``(row, column - j*stride)`` of output column ``j`` (all of them if ``inside``,
    an interior column)."""
    W, kw, sw, dw, first_w, _ = axis_taps(geo, WIDTH)
    taps = 0
    for r in range(nrows):
        for m in range(kw):
            offset = first_w + m * dw
            if inside or 0 <= j * sw + offset < W:
                tap_rows[taps] = rows[r]
                tap_cols[taps] = offset
                taps += 1
    return taps


@njit(inline="always", cache=True)
def row_buffer_layout(geo, C):
    """(buffer cell of input column 0, input cells copied, buffer length), in cells of a row:
    the buffer starts at the first tap of window 0 and ends at the last tap of the last.

    The windows read input columns ``0 .. read_count-1``
    (:meth:`ventanal.geometry.AxisWindow.read_cells`): a stride larger than the window skips
    a tail, and with padding larger than the span (dilation) they may read none at all.
    """
    return geo[WIDTH, READ_OFFSET] * C, geo[WIDTH, READ_COUNT] * C, geo[WIDTH, SPAN] * C
