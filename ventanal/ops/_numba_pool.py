"""numba kernels for max and average pooling (imported on first use, never by ``import ventanal``).

Every kernel works on C-contiguous channels-last data lifted to three spatial axes
``(batch, D, H, W, channels)`` and seen as rows: ``x`` has one row per ``(batch, d, h)``,
``out`` one row per output ``(batch, od, oh)`` (a *task*). A call computes the tasks
``first_task .. last_task - 1``, so that threads can share an op (:mod:`._fast` runs the
threads; the kernels release the GIL). ``geo`` holds the plan's numbers, one row per axis
(D, H, W): ``size, window, stride, dilation, pad_before, output, span``; the kernels never
derive a size themselves.

Why the code looks the way it does (each point was measured on the benchmark machine):

* Inner loops live in small helper functions whose arrays are separate arguments: LLVM then
  vectorises them after a cheap overlap check, where the same loop written inline (two rows
  of one array, say) stays scalar. Slice assignment (``a[:] = b``) is slow in numba; helpers
  ``_fill`` and ``_copy`` replace it.
* Innermost loops run over an axis that starts at 0 with a step of 1 (or a constant 2).
  Padding never costs a branch per element: border columns are split from interior ones, or
  the window's rows go into a row buffer whose padded cells hold the identity.
* Up to four window taps are combined per pass (a missing tap repeats one: max is idempotent),
  so a 2x2 window reads each input cell once and writes each output cell once.
* Large max windows use window doubling by fours (windows of 1, 4, 16 taps, then one step of
  up to four overlapping ones: two passes for 15 taps) along W and then H, so the cost hardly
  depends on the window. It runs on ordered integer keys of the floats (``_key``), so that
  every maximum is one integer instruction with NaN and -0 handled by the order itself.
* ``_mx`` is the maximum of one pair: a NaN on either side wins (see its docstring for why it
  is an LLVM intrinsic rather than Python).
* Explicit LLVM vector loops (``_max_vectors``, ``_mean_vectors``, ``_key_vectors``), whole
  registers of the CPU numba compiles for (``vector_bytes``: 32 or 64 bytes), serve the
  direct kernels (one call per output column of many channels) and window doubling (one per
  row). They skip the overlap checks and remainder loops numba's own vectorised loop pays at
  every call, can stream large results past the cache with non-temporal stores, and a float
  max of several taps costs one ``maxps`` per pair plus one NaN test per two taps.
"""

from __future__ import annotations

import functools

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")


def _freeze(builder, value):
    """LLVM's ``freeze`` of ``value`` (llvmlite's builder has no method for it)."""
    instruction = ir.Instruction(builder.block, value.type, "freeze", [value])
    builder._insert(instruction)
    return instruction


@intrinsic
def _mx(typingctx, a, b):
    """The larger of two numbers of one type; for floats, a NaN on either side wins.

    Floats: ``a if a > b or a != a else b``, four vector instructions (compare, NaN test,
    or, blend). Between +0 and -0 the second wins, as in NumPy's ``np.maximum``.
    Two details, each measured on the benchmark machines:

    * Both operands are *frozen* first. Without that, LLVM's x86 back end turns
      ``target[q] = max(target[q], x)`` into a conditional store of ``x``, ``vmaskmovps`` on
      AVX2, which AMD's Zen cores microcode: 8 times slower than the whole loop.
    * Not ``llvm.maximum`` (IEEE 754-2019 *maximum*, -0 < +0): x86 has no instruction for it
      and LLVM expands it to six, which made the pooling kernels 1.2-1.5x slower on an
      Intel Sapphire Rapids (they are bound by vector instructions, not by memory).

    Integers compare and select, which LLVM makes ``smax``/``umax``.
    """
    if a != b or not isinstance(a, (types.Float, types.Integer, types.Boolean)):
        return None

    def codegen(context, builder, signature, args):
        x, y = args
        if isinstance(a, types.Float):
            x, y = _freeze(builder, x), _freeze(builder, y)
            keep = builder.or_(builder.fcmp_ordered(">", x, y),
                               builder.fcmp_unordered("uno", x, x))
            return builder.select(keep, x, y)
        signed = isinstance(a, types.Integer) and a.signed
        return builder.select(builder.icmp_signed(">", x, y) if signed
                              else builder.icmp_unsigned(">", x, y), x, y)

    return a(a, b), codegen


@intrinsic
def _as(typingctx, value, like):
    """``value`` converted to the type of ``like`` (the accumulator's zero).

    Not ``value + zero``: for floats that is a real addition (it turns -0 into +0), four extra
    instructions per average of four taps.
    """
    if not isinstance(like, (types.Float, types.Integer)) or not isinstance(
            value, (types.Float, types.Integer, types.Boolean)):
        return None

    def codegen(context, builder, signature, args):
        return context.cast(builder, args[0], signature.args[0], signature.args[1])

    return like(value, like), codegen


# ---------------------------------------------------------------------------------------------
# Explicit vector loops: many channels, one window per call
# ---------------------------------------------------------------------------------------------

@functools.cache
def vector_bytes() -> int:
    """Bytes per vector of the explicit loops: 64 where numba compiles for AVX-512, else 32.

    The CPU's own registers (LLVM splits wider vectors on narrower CPUs). Whole-register
    vectors halve the instructions of a window on AVX-512, even on AMD's Zen 4, which executes
    them in two halves: NHWC 3x3/2 max 4.5 ms against 4.9 with 32-byte vectors there. numba's
    on-disk cache is keyed by the CPU's features, so a cache compiled for one width is never
    loaded on a CPU of the other.

    >>> vector_bytes() in (32, 64)
    True
    """
    from numba.core.registry import cpu_target

    features = getattr(cpu_target.target_context.codegen(), "_tm_features", "")
    return 64 if "+avx512f" in features.split(",") else 32


def vector_lanes(dtype) -> int:
    """Elements of ``dtype`` per vector of :func:`_max_vectors` and :func:`_mean_vectors`."""
    return vector_bytes() // np.dtype(dtype).itemsize


def _vector_loop(builder, context, signature, args, combine, prefetch=None, middle=None):
    """``out[o + k : o + k + lanes] = combine(x[tap + shift + k : ...] for tap in taps)`` for
    ``k = 0, lanes, ... < n`` (``n`` a positive multiple of ``lanes``), as one LLVM loop;
    with ``stream`` true the stores are non-temporal (``out`` then aligned to a whole vector,
    :func:`vector_bytes`, at ``o``). ``prefetch``, the indices (into the arguments) of an
    array and a start in it, asks for ``array[start + k]`` in cache at every step: a row the
    caller reads next arrives while this loop computes. ``middle``, the same for an array of
    ``x``'s type, stores there a first value that ``combine`` returns beside the result.
    """
    out_a, o_start, x_a, taps, shift, n, stream = args[:7]
    out_type, x_type, taps_type = signature.args[0], signature.args[2], signature.args[3]
    out_p = context.make_array(out_type)(context, builder, out_a).data
    x_p = context.make_array(x_type)(context, builder, x_a).data
    i64, i32 = ir.IntType(64), ir.IntType(32)
    if prefetch is not None:
        array_index, start_index = prefetch
        ahead_p = context.make_array(signature.args[array_index])(
            context, builder, args[array_index]).data
        ahead = builder.gep(ahead_p, [args[start_index]])
        i8p = ir.IntType(8).as_pointer()
        prefetch_fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0i8")
    if middle is not None:
        mid_p = context.make_array(signature.args[middle[0]])(
            context, builder, args[middle[0]]).data
        mid_target = builder.gep(mid_p, [args[middle[1]]])
    width = vector_bytes()
    lanes = width // context.get_abi_sizeof(out_p.type.pointee)
    out_vec = ir.VectorType(out_p.type.pointee, lanes)
    x_vec = ir.VectorType(x_p.type.pointee, lanes)
    bases = [builder.gep(x_p, [builder.add(builder.extract_value(taps, t), shift)])
             for t in range(taps_type.count)]
    target = builder.gep(out_p, [o_start])
    nontemporal = builder.module.add_metadata([i32(1)])
    x_align = context.get_abi_sizeof(x_p.type.pointee)
    out_align = context.get_abi_sizeof(out_p.type.pointee)
    streaming = builder.icmp_unsigned("!=", stream, ir.Constant(stream.type, 0))
    with builder.if_else(streaming) as (then, otherwise):
        for branch, nt in ((then, True), (otherwise, False)):
            with branch:
                entry = builder.block
                loop = builder.append_basic_block("vectors.loop")
                done = builder.append_basic_block("vectors.done")
                builder.branch(loop)
                builder.position_at_end(loop)
                k = builder.phi(i64)
                if prefetch is not None:
                    builder.call(prefetch_fn, [builder.bitcast(builder.gep(ahead, [k]), i8p),
                                               i32(0), i32(3), i32(1)])
                values = [builder.load(builder.bitcast(builder.gep(base, [k]),
                                                       x_vec.as_pointer()), align=x_align)
                          for base in bases]
                result = combine(builder, values, out_vec)
                if middle is not None:
                    first, result = result
                    builder.store(first, builder.bitcast(builder.gep(mid_target, [k]),
                                                         x_vec.as_pointer()), align=x_align)
                store = builder.store(result, builder.bitcast(builder.gep(target, [k]),
                                                              out_vec.as_pointer()),
                                      align=width if nt else out_align)
                if nt:
                    store.set_metadata("nontemporal", nontemporal)
                k_next = builder.add(k, i64(lanes))
                k.add_incoming(i64(0), entry)
                k.add_incoming(k_next, builder.block)
                builder.cbranch(builder.icmp_signed("<", k_next, n), loop, done)
                builder.position_at_end(done)
    return context.get_dummy_value()


def _tree(builder, values, pair):
    """``values`` combined pairwise, ((a, b), (c, d)), ...: the order of the scalar kernels."""
    while len(values) > 1:
        values = [pair(values[t], values[t + 1]) if t + 1 < len(values) else values[t]
                  for t in range(0, len(values), 2)]
    return values[0]


# ---------------------------------------------------------------------------------------------
# Ordered keys: floats as signed integers of their width that sort as the floats do
# ---------------------------------------------------------------------------------------------

def _is_key_of(key, value) -> bool:
    """Whether numba type ``key`` is the ordered-key type of float type ``value``."""
    return (isinstance(value, types.Float) and isinstance(key, types.Integer) and key.signed
            and key.bitwidth == value.bitwidth)


def _constant(kind, value):
    """``value`` as a constant of LLVM type ``kind``, splat if ``kind`` is a vector."""
    if isinstance(kind, ir.VectorType):
        return ir.Constant(kind, [value] * kind.count)
    return ir.Constant(kind, value)


def _flip(builder, bits):
    """``bits ^ ((bits >> (w - 1)) & (2**(w-1) - 1))``: for a negative float's bit pattern, all
    but the sign bit inverted. Its own inverse."""
    kind = bits.type.element if isinstance(bits.type, ir.VectorType) else bits.type
    top = kind.width - 1
    return builder.xor(bits, builder.and_(builder.ashr(bits, _constant(bits.type, top)),
                                          _constant(bits.type, (1 << top) - 1)))


def _key_ir(builder, value, key_type):
    """The ordered key of float ``value`` (scalar or vector): NaN (any) becomes the largest
    key, ``2**(w-1) - 1``, itself a NaN's bit pattern; -0 sorts below +0."""
    kind = key_type.element if isinstance(key_type, ir.VectorType) else key_type
    key = _flip(builder, builder.bitcast(value, key_type))
    return builder.select(builder.fcmp_unordered("uno", value, value),
                          _constant(key_type, (1 << (kind.width - 1)) - 1), key)


def _from_key_ir(builder, key, float_type):
    """The float whose ordered key is ``key``."""
    return builder.bitcast(_flip(builder, key), float_type)


def _scalar_conversion(source, result, to_key: bool):
    """Typing and code of one scalar conversion from ``source`` to ``result``: float to key
    (``to_key``) or key to float, or a no-op between integers of one type (integers are their
    own keys)."""
    if _is_key_of(result, source) if to_key else _is_key_of(source, result):
        convert = _key_ir if to_key else _from_key_ir

        def codegen(context, builder, signature, args):
            return convert(builder, args[0], context.get_value_type(signature.return_type))
    elif source == result and isinstance(source, types.Integer):
        def codegen(context, builder, signature, args):
            return args[0]
    else:
        return None
    return result(source, result), codegen


@intrinsic
def _key(typingctx, value, key_zero):
    """The ordered key of ``value`` in the type of ``key_zero``; an integer of that type is its
    own key."""
    return _scalar_conversion(value, key_zero, True)


@intrinsic
def _from_key(typingctx, key, like):
    """The value of the type of ``like`` whose ordered key is ``key`` (inverse of :func:`_key`)."""
    return _scalar_conversion(key, like, False)


@intrinsic
def _key_vectors(typingctx, out, o_start, x, taps, shift, n, stream):
    """``out[o_start + k] = key(x[taps[0] + shift + k])`` for ``k < n``, vector by vector (``n`` a
    positive multiple of :func:`vector_lanes`); ``out`` holds the keys of ``x``'s floats, or
    has ``x``'s own integer type (a copy)."""
    if not (isinstance(taps, types.UniTuple) and taps.count == 1 and (
            _is_key_of(out.dtype, x.dtype)
            or (out.dtype == x.dtype and isinstance(x.dtype, types.Integer)))):
        return None
    floats = isinstance(x.dtype, types.Float)

    def codegen(context, builder, signature, args):
        return _vector_loop(builder, context, signature, args,
                            lambda b, values, vec: _key_ir(b, values[0], vec) if floats
                            else values[0])

    return types.none(out, o_start, x, taps, shift, n, stream), codegen


@intrinsic
def _max_vectors(typingctx, out, o_start, x, taps, shift, n, stream):
    """``out[o_start + k] = max over t of x[taps[t] + shift + k]`` for ``k < n``, vector by vector
    (``n`` a positive multiple of :func:`vector_lanes`); a NaN wins, as in :func:`_mx`.

    Floats: a tree of ``a if a > b else b`` (x86's one-instruction ``maxps``; between +0 and -0
    the second wins, as in :func:`_mx`), and beside it one unordered test per pair of taps;
    a window holding a NaN gives NaN (the standard quiet NaN, not the input's payload). Half
    the vector instructions of a tree of :func:`_mx`: a 3x3 window went from 32 to 17.

    With ordered keys in ``x`` (:func:`_key`) and floats in ``out``: the max of the keys (one
    integer instruction per pair), stored as the float it is the key of.

    An explicit loop rather than a numba one over the channels: numba's vectorised loop
    checks its arrays for overlap and peels a remainder at every call, which for 64 channels
    cost as much as the loop (NHWC 2x2/2 max: 5.7 ms against 4-5 here, on Sapphire Rapids).
    """
    if not _max_types_ok(out, x, taps):
        return None
    return (types.none(out, o_start, x, taps, shift, n, stream),
            _max_codegen(out, x, None))


@intrinsic
def _max_vectors_ahead(typingctx, out, o_start, x, taps, shift, n, stream, ahead, a_start):
    """:func:`_max_vectors`, asking at every step for ``ahead[a_start + k]`` in cache (the
    next input row, which then arrives while this loop computes)."""
    if not (_max_types_ok(out, x, taps) and isinstance(ahead, types.Array)
            and isinstance(a_start, types.Integer)):
        return None
    return (types.none(out, o_start, x, taps, shift, n, stream, ahead, a_start),
            _max_codegen(out, x, (7, 8)))


@intrinsic
def _max_chain(typingctx, out, o_start, x, taps, shift, n, stream, mid, m_start):
    """Two levels of window doubling in one pass: ``mid[m_start + k]`` = the max of
    ``x[taps[0..3] + shift + k]``, and ``out[o_start + k]`` = the max of that and of
    ``x[taps[4..6] + shift + k]`` (stored as :func:`_max_vectors` stores), for ``k < n``.
    ``mid`` has ``x``'s integer type (ordered keys, or the integers themselves); no tap of
    the second level may read the row being written.

    The new row of the level below the output stays in its register, where two passes stored
    and reloaded it: 15x15/1 max on 2048^2, 2.5 ms against 2.9 (Zen 3, two threads).
    """
    if not (isinstance(taps, types.UniTuple) and taps.count == 7
            and isinstance(x.dtype, types.Integer) and mid.dtype == x.dtype
            and isinstance(m_start, types.Integer) and _max_types_ok(out, x, taps)):
        return None
    keys = _is_key_of(x.dtype, out.dtype)
    dtype = x.dtype

    def codegen(context, builder, signature, args):
        pair = _pair_max(builder, dtype)

        def combine(b, values, vec):
            first = _tree(b, values[:4], pair)
            largest = _tree(b, [first] + values[4:], pair)
            return first, (_from_key_ir(b, largest, vec) if keys else largest)
        return _vector_loop(builder, context, signature, args, combine, middle=(7, 8))

    return types.none(out, o_start, x, taps, shift, n, stream, mid, m_start), codegen


def _max_types_ok(out, x, taps) -> bool:
    return isinstance(taps, types.UniTuple) and (
        _is_key_of(x.dtype, out.dtype)
        or (out.dtype == x.dtype
            and isinstance(out.dtype, (types.Float, types.Integer, types.Boolean))))


def _pair_max(builder, dtype):
    """The larger of two values (or vectors) of numba type ``dtype``, as one select: floats by
    x86's ``maxps`` rule (the second when unordered), integers signed or not as ``dtype``."""
    def pair(a, b):
        if isinstance(dtype, types.Float):
            keep = builder.fcmp_ordered(">", a, b)
        elif isinstance(dtype, types.Integer) and dtype.signed:
            keep = builder.icmp_signed(">", a, b)
        else:
            keep = builder.icmp_unsigned(">", a, b)
        return builder.select(keep, a, b)
    return pair


def _max_codegen(out, x, prefetch):
    keys = _is_key_of(x.dtype, out.dtype)
    dtype = x.dtype

    def codegen(context, builder, signature, args):
        pair = _pair_max(builder, dtype)

        def combine(b, values, vec):
            largest = _tree(b, values, pair)
            if keys:
                return _from_key_ir(b, largest, vec)
            if not isinstance(dtype, types.Float):
                return largest
            # NaN anywhere: one unordered test covers two taps
            unordered = _tree(b, [b.fcmp_unordered("uno", values[t], values[min(t + 1, len(
                values) - 1)]) for t in range(0, len(values), 2)], b.or_)
            return b.select(unordered, ir.Constant(vec, [float("nan")] * vec.count), largest)
        return _vector_loop(builder, context, signature, args, combine, prefetch)

    return codegen


@intrinsic
def _mean_vectors(typingctx, out, o_start, x, taps, shift, n, stream, scale):
    """``out[o_start + k] = scale * sum over t of x[taps[t] + shift + k]`` for ``k < n``, each tap
    converted to the (float) type of ``out`` first, like :func:`_average_group`."""
    if not (isinstance(taps, types.UniTuple) and isinstance(out.dtype, types.Float)
            and isinstance(x.dtype, (types.Float, types.Integer, types.Boolean))
            and scale == out.dtype):
        return None
    source = x.dtype

    def codegen(context, builder, signature, args):
        factor = args[7]

        def combine(b, values, vec):
            converted = []
            for value in values:
                if isinstance(source, types.Float):
                    if value.type != vec:
                        value = b.fpext(value, vec)
                elif isinstance(source, types.Integer) and source.signed:
                    value = b.sitofp(value, vec)
                else:
                    value = b.uitofp(value, vec)
                converted.append(value)
            total = _tree(b, converted, b.fadd)
            undef = ir.Constant(vec, ir.Undefined)
            lanes = vec.count
            splat = b.shuffle_vector(b.insert_element(undef, factor, ir.IntType(32)(0)), undef,
                                     ir.Constant(ir.VectorType(ir.IntType(32), lanes),
                                                 [0] * lanes))
            return b.fmul(splat, total)
        return _vector_loop(builder, context, signature, args, combine)

    return types.none(out, o_start, x, taps, shift, n, stream, scale), codegen


@intrinsic
def _store_fence(typingctx):
    """Order this thread's non-temporal stores before anything it does next (``mfence``)."""
    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.none(), codegen


# ---------------------------------------------------------------------------------------------
# Elementwise helpers on 1-D rows
# ---------------------------------------------------------------------------------------------

@njit(**_OPTIONS)
def _fill(a, n, value):
    for q in range(n):
        a[q] = value


@njit(**_OPTIONS)
def _copy(target, source, n):
    for q in range(n):
        target[q] = source[q]


@njit(**_OPTIONS)
def _max4(target, a, b, c, d, n, first):
    """``target = max(a, b, c, d)``, or ``max(target, a, b, c, d)`` unless ``first``."""
    if first:
        for q in range(n):
            target[q] = _mx(_mx(a[q], b[q]), _mx(c[q], d[q]))
    else:
        for q in range(n):
            target[q] = _mx(target[q], _mx(_mx(a[q], b[q]), _mx(c[q], d[q])))


@njit(**_OPTIONS)
def _max2(target, a, b, n):
    """``target = max(a, b)`` (``target`` may be ``a``)."""
    for q in range(n):
        target[q] = _mx(a[q], b[q])


@njit(inline="always", cache=True)
def _max_of_rows(target, x2, rows, count, n):
    """``target = max over the rows x2[rows[t]]``, four per pass, then a pair or one."""
    t = 0
    while count - t >= 3 or (t == 0 and count >= 3):
        a, b, c, d = t, t + 1, t + 2, min(t + 3, count - 1)
        _max4(target, x2[rows[a]], x2[rows[b]], x2[rows[c]], x2[rows[d]], n, t == 0)
        t = d + 1
    if count - t == 2:
        if t == 0:
            _max2(target, x2[rows[0]], x2[rows[1]], n)
        else:
            _max4(target, x2[rows[t]], x2[rows[t + 1]], x2[rows[t]], x2[rows[t + 1]], n, False)
    elif count - t == 1:
        if t == 0:
            _copy(target, x2[rows[0]], n)
        else:
            _max2(target, target, x2[rows[t]], n)


@njit(**_OPTIONS)
def _sum_rows(target, a, b, n, zero, count, first):
    """``target (=|+=) a (+ b if count == 2)``, each value converted to the type of ``zero``."""
    if count == 1:
        if first:
            for q in range(n):
                target[q] = _as(a[q], zero)
        else:
            for q in range(n):
                target[q] += _as(a[q], zero)
    elif first:
        for q in range(n):
            target[q] = _as(a[q], zero) + _as(b[q], zero)
    else:
        for q in range(n):
            target[q] += _as(a[q], zero) + _as(b[q], zero)


@njit(**_OPTIONS)
def _max_2x2_stride2(target, r0, r1, n):
    """``target[j] = max of r0[2j], r0[2j+1], r1[2j], r1[2j+1]``: one pass, no buffer."""
    for j in range(n):
        target[j] = _mx(_mx(r0[2 * j], r0[2 * j + 1]), _mx(r1[2 * j], r1[2 * j + 1]))


@njit(**_OPTIONS)
def _max_stride2(target, source, n, offset, first):
    """``target[j] (max)= source[2*j + offset]``: the constant step lets LLVM vectorise."""
    ahead = source[offset:]
    if first:
        for j in range(n):
            target[j] = ahead[2 * j]
    else:
        for j in range(n):
            target[j] = _mx(target[j], ahead[2 * j])


@njit(**_OPTIONS)
def _max_pairs_stride2(target, source, n):
    """``target[j] = max(source[2j], source[2j+1])``, the 2x2 stride-2 case."""
    for j in range(n):
        target[j] = _mx(source[2 * j], source[2 * j + 1])


@njit(**_OPTIONS)
def _max_strided(target, source, n, stride, offset, first):
    ahead = source[offset:]
    if first:
        for j in range(n):
            target[j] = ahead[stride * j]
    else:
        for j in range(n):
            target[j] = _mx(target[j], ahead[stride * j])


@njit(**_OPTIONS)
def _sum_strided(target, source, n, stride, offset, first):
    ahead = source[offset:]
    if first:
        for j in range(n):
            target[j] = ahead[stride * j]
    else:
        for j in range(n):
            target[j] += ahead[stride * j]


@njit(**_OPTIONS)
def _max_columns4(target, source, n, stride, o_a, o_b, o_c, o_d, first):
    """Rows of C channels: ``target[j, :] (max)= max of source[stride*j + o_t, :]``."""
    C = target.shape[1]
    if first:
        for j in range(n):
            p = stride * j
            for c in range(C):
                target[j, c] = _mx(_mx(source[p + o_a, c], source[p + o_b, c]),
                                   _mx(source[p + o_c, c], source[p + o_d, c]))
    else:
        for j in range(n):
            p = stride * j
            for c in range(C):
                target[j, c] = _mx(target[j, c], _mx(_mx(source[p + o_a, c], source[p + o_b, c]),
                                                     _mx(source[p + o_c, c], source[p + o_d, c])))


@njit(**_OPTIONS)
def _sum_columns(target, source, n, stride, offset, first):
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
def _scale_columns(target, inverse, n_columns):
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
def _column_taps(j, geo, rows, nrows, tap_rows, tap_cols, interior):
    """Taps ``(row, column - j*stride)`` of output column ``j`` (all of them if interior)."""
    W, kw, sw, dw, low = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 4]
    taps = 0
    for r in range(nrows):
        for m in range(kw):
            p = j * sw - low + m * dw
            if interior or 0 <= p < W:
                tap_rows[taps] = rows[r]
                tap_cols[taps] = m * dw - low
                taps += 1
    return taps


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
                o[j, c] = _mx(_mx(x_a[p + c_a, c], x_b[p + c_b, c]),
                              _mx(x_c[p + c_c, c], x_d[p + c_d, c]))
    else:
        for j in range(j0, j1):
            p = j * stride
            for c in range(C):
                o[j, c] = _mx(o[j, c], _mx(_mx(x_a[p + c_a, c], x_b[p + c_b, c]),
                                           _mx(x_c[p + c_c, c], x_d[p + c_d, c])))


@njit(**_OPTIONS)
def _max_group9(o, x_a, x_b, x_c, c_a, c_b, c_c, j0, j1, stride):
    """``o[j, :] = max of x_r[j*stride + c, :]`` over three rows r and three column offsets c,
    ``j0 <= j < j1``: a 3x3 window in one pass (three input arrays keep LLVM's overlap checks
    few enough to vectorise; a window with fewer rows or columns repeats one)."""
    C = o.shape[1]
    for j in range(j0, j1):
        p = j * stride
        for c in range(C):
            o[j, c] = _mx(_mx(_mx(_mx(x_a[p + c_a, c], x_a[p + c_b, c]),
                                  _mx(x_a[p + c_c, c], x_b[p + c_a, c])),
                              _mx(_mx(x_b[p + c_b, c], x_b[p + c_c, c]),
                                  _mx(x_c[p + c_a, c], x_c[p + c_b, c]))),
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
                o[j, c] = scale * ((_as(x_a[p + c_a, c], zero) + _as(x_b[p + c_b, c], zero))
                                   + (_as(x_c[p + c_c, c], zero) + _as(x_d[p + c_d, c], zero)))
        elif count == 3:
            for c in range(C):
                o[j, c] = scale * ((_as(x_a[p + c_a, c], zero) + _as(x_b[p + c_b, c], zero))
                                   + _as(x_c[p + c_c, c], zero))
        elif count == 2:
            for c in range(C):
                o[j, c] = scale * (_as(x_a[p + c_a, c], zero) + _as(x_b[p + c_b, c], zero))
        else:
            for c in range(C):
                o[j, c] = scale * _as(x_a[p + c_a, c], zero)


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
        _max_vectors(o1, o_first + j * C, x1, starts, j * step, C, stream)


@njit(**_OPTIONS)
def max_channels(x3, out3, geo, lowest, vectors, stream, first_task, last_task):
    """Max pooling, channels last: ``x3`` (rows, W, C), ``out3`` (tasks, Wo, C).

    With ``vectors`` (C a multiple of :func:`vector_lanes`), interior windows of up to 3x3
    taps go through :func:`_max_vectors`, with non-temporal stores if ``stream``.
    """
    kd, kh, kw, sw, Wo = geo[0, 1], geo[1, 1], geo[2, 1], geo[2, 2], geo[2, 5]
    W, C = x3.shape[1], x3.shape[2]
    x1 = x3.reshape(x3.size)
    o1 = out3.reshape(out3.size)
    rows = np.empty(kd * kh, np.int64)
    tap_rows = np.empty(kd * kh * kw, np.int64)
    tap_cols = np.empty(kd * kh * kw, np.int64)
    ja, jb = _interior(geo)
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        o = out3[task]
        if nrows == 0:
            _fill(o.reshape(Wo * C), Wo * C, lowest)
            continue
        if ja < jb:
            taps = _column_taps(ja, geo, rows, nrows, tap_rows, tap_cols, True)
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
            taps = _column_taps(j, geo, rows, nrows, tap_rows, tap_cols, False)
            if taps == 0:
                _fill(o[j], C, lowest)
            else:
                _max_taps(x3, o, j, j + 1, sw, tap_rows, tap_cols, taps)
    if stream:
        _store_fence()


@njit(**_OPTIONS)
def avg_channels(x3, out3, geo, counts_d, counts_h, counts_w, zero, vectors, stream,
                 first_task, last_task):
    """Average pooling, channels last, at most four taps per window; ``out3`` has the
    accumulator dtype (that of ``zero``).

    The divisor of output ``(od, oh, ow)`` is ``counts_d[od] * counts_h[oh] * counts_w[ow]``;
    sums are multiplied by its inverse (within an ulp of dividing). With ``vectors`` (C a
    multiple of :func:`vector_lanes` of the accumulator), interior windows of four taps go
    through :func:`_mean_vectors`, with non-temporal stores if ``stream``.
    """
    kd, kh, kw, sw, Wo = geo[0, 1], geo[1, 1], geo[2, 1], geo[2, 2], geo[2, 5]
    Do, Ho = geo[0, 5], geo[1, 5]
    W, C = x3.shape[1], x3.shape[2]
    x1 = x3.reshape(x3.size)
    o1 = out3.reshape(out3.size)
    rows = np.empty(kd * kh, np.int64)
    tap_rows = np.empty(kd * kh * kw, np.int64)
    tap_cols = np.empty(kd * kh * kw, np.int64)
    inverse = np.empty(Wo, out3.dtype)
    ja, jb = _interior(geo)
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        o = out3[task]
        _inverse_counts(inverse, counts_d[(task // Ho) % Do] * counts_h[task % Ho], counts_w, Wo)
        if nrows == 0:
            _fill(o.reshape(Wo * C), Wo * C, zero * inverse[0])
            continue
        if ja < jb:
            taps = _column_taps(ja, geo, rows, nrows, tap_rows, tap_cols, True)
            if vectors and taps == 4:
                starts4 = (_tap_start(tap_rows, tap_cols, 0, W, C),
                           _tap_start(tap_rows, tap_cols, 1, W, C),
                           _tap_start(tap_rows, tap_cols, 2, W, C),
                           _tap_start(tap_rows, tap_cols, 3, W, C))
                for j in range(ja, jb):
                    _mean_vectors(o1, (task * Wo + j) * C, x1, starts4, j * sw * C, C, stream,
                                  inverse[j])
            else:
                _average_taps(x3, o, ja, jb, sw, tap_rows, tap_cols, taps, inverse, zero)
        for border in range(Wo - (jb - ja)):  # the columns outside [ja, jb)
            j = border if border < ja else border + (jb - ja)
            taps = _column_taps(j, geo, rows, nrows, tap_rows, tap_cols, False)
            if taps == 0:
                _fill(o[j], C, zero * inverse[j])
            else:
                _average_taps(x3, o, j, j + 1, sw, tap_rows, tap_cols, taps, inverse, zero)
    if stream:
        _store_fence()


# ---------------------------------------------------------------------------------------------
# Few channels (planes): the window's rows combined into a padded row buffer, then its columns
# ---------------------------------------------------------------------------------------------

@njit(inline="always", cache=True)
def _row_buffer_layout(geo, C):
    """(buffer cell of input column 0, input cells copied, buffer length), in cells of a row.

    The windows read input columns ``0 .. read-1``: a stride larger than the window skips a
    tail, and with padding larger than the span (dilation) they may read none at all.
    """
    W, low, span = geo[2, 0], geo[2, 4], geo[2, 6]
    read = max(0, min(W, span - low))
    return min(low, span) * C, read * C, span * C


@njit(**_OPTIONS)
def max_rows(x2, out2, geo, lowest, first_task, last_task):
    """Max pooling of ``x2`` (rows, W*C) into ``out2`` (tasks, Wo*C); C = ``x2.shape[1] // W``."""
    kd, kh = geo[0, 1], geo[1, 1]
    W, kw, sw, dw, Wo, span = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 5], geo[2, 6]
    C = x2.shape[1] // W
    start, n, length = _row_buffer_layout(geo, C)
    buf = np.empty(length, x2.dtype)
    _fill(buf, start, lowest)
    _fill(buf[start + n:], length - start - n, lowest)
    inner = buf[start:start + n]
    buf2 = buf.reshape(span, C)
    rows = np.empty(kd * kh, np.int64)
    # 2x2 windows, stride 2, no padding before: straight from two input rows (the common
    # case, 15% faster than through the buffer); a last odd column reads one cell per row.
    pairs = C == 1 and kw == 2 and sw == 2 and dw == 1 and start == 0 and 2 * Wo <= W + 1
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        if pairs and nrows == 2:
            o = out2[task]
            r0, r1 = x2[rows[0]], x2[rows[1]]
            _max_2x2_stride2(o, r0, r1, W // 2)
            if Wo > W // 2:
                o[Wo - 1] = _mx(r0[W - 1], r1[W - 1])
            continue
        # The window's rows, up to four per pass.
        if nrows == 0:
            _fill(inner, n, lowest)
        else:
            _max_of_rows(inner, x2, rows, nrows, n)
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
                _max4(o, buf[a * step:], buf[b * step:], buf[c * step:], buf[d * step:], total,
                      m == 0)
                m += 4
        elif C == 1 and sw == 2 and dw == 1 and kw == 2:
            _max_pairs_stride2(o, buf, Wo)
        elif C == 1 and sw == 2:
            for m in range(kw):
                _max_stride2(o, buf, Wo, m * dw, m == 0)
        elif C == 1:
            for m in range(kw):
                _max_strided(o, buf, Wo, sw, m * dw, m == 0)
        else:
            o2 = o.reshape(Wo, C)
            m = 0
            while m < kw:
                a, b = m, min(m + 1, kw - 1)
                c, d = min(m + 2, kw - 1), min(m + 3, kw - 1)
                _max_columns4(o2, buf2, Wo, sw, a * dw, b * dw, c * dw, d * dw, m == 0)
                m += 4


@njit(**_OPTIONS)
def avg_rows(x2, out2, geo, counts_d, counts_h, counts_w, zero, first_task, last_task):
    """Average pooling of ``x2`` (rows, W*C) into ``out2`` (tasks, Wo*C) of the accumulator
    dtype (that of ``zero``); divisors as :func:`avg_channels`."""
    kd, kh, Do, Ho = geo[0, 1], geo[1, 1], geo[0, 5], geo[1, 5]
    W, kw, sw, dw, Wo, span = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 5], geo[2, 6]
    C = x2.shape[1] // W
    start, n, length = _row_buffer_layout(geo, C)
    buf = np.zeros(length, out2.dtype)
    inner = buf[start:start + n]
    inverse = np.empty(Wo, out2.dtype)
    buf2 = buf.reshape(span, C)
    rows = np.empty(kd * kh, np.int64)
    for task in range(first_task, last_task):
        nrows = _task_rows(task, geo, rows)
        if nrows == 0:
            _fill(inner, n, zero)
        t = 0
        while t < nrows:
            count = min(2, nrows - t)
            _sum_rows(inner, x2[rows[t]], x2[rows[t + count - 1]], n, zero, count, t == 0)
            t += count
        o = out2[task]
        if C == 1:
            for m in range(kw):
                _sum_strided(o, buf, Wo, sw, m * dw, m == 0)
        else:
            o2 = o.reshape(Wo, C)
            for m in range(kw):
                _sum_columns(o2, buf2, Wo, sw, m * dw, m == 0)
        _inverse_counts(inverse, counts_d[(task // Ho) % Do] * counts_h[task % Ho], counts_w, Wo)
        _scale_columns(o.reshape(Wo, C), inverse, Wo)


# ---------------------------------------------------------------------------------------------
# Large windows, max: window doubling by fours along W, then along H, on bands of output rows
# ---------------------------------------------------------------------------------------------

@njit(inline="always", cache=True)
def _quad_levels(window, dilation, taps):
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
    """``np.full(n, value)`` starting at a 64-byte boundary: a whole-register load never
    straddles two cache lines (numba's own arrays start 16 or 32 bytes into one). The 64
    spare cells cover the largest shift, 63 one-byte cells."""
    a = np.full(n + 64, value)
    offset = (-a.ctypes.data % 64) // a.itemsize
    return a[offset:offset + n]


@njit(**_OPTIONS)
def _keys_of_row(target, start, source, s_start, n, lanes):
    """``target[start + k] = key(source[s_start + k])`` for ``k < n``."""
    bulk = n - n % lanes
    if bulk > 0:
        _key_vectors(target, start, source, (s_start,), 0, bulk, False)
    for k in range(bulk, n):
        target[start + k] = _key(source[s_start + k], target[0])


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
    output plane ``t // bands``. The work is on ordered keys (:func:`_key`, the type of
    ``key_zero``): floats as integers that sort as they do, so that every maximum is one
    integer instruction (NaN is the largest key; -0 sorts below +0). Each input row of the
    band goes once into a padded row of keys, is pooled along W by doubling by fours
    (:func:`_quad_levels`: two passes for 15 taps) and then streams through the H levels:
    level ``v`` keeps its last ``taps[v, 3] + 1`` rows in a ring, and every arriving row
    completes one row of each level, the last level's being an output row, stored as floats
    (non-temporal stores if ``stream``). The last two levels share one pass
    (:func:`_max_chain`) whenever the arriving row completes an output row. The passes are
    explicit vector loops of ``lanes`` keys over rows padded to whole vectors (the cells past
    a row's end hold leftovers no valid cell reads); all buffers are flat, addressed by
    offsets. For 15 taps the rings hold 16 rows.
    """
    H, kh, sh, dh, loh, Ho = geo[1, 0], geo[1, 1], geo[1, 2], geo[1, 3], geo[1, 4], geo[1, 5]
    D, sd, lod, Do = geo[0, 0], geo[0, 2], geo[0, 4], geo[0, 5]
    W, kw, sw, dw, Wo = geo[2, 0], geo[2, 1], geo[2, 2], geo[2, 3], geo[2, 5]
    C = x2.shape[1] // W
    start, n, length = _row_buffer_layout(geo, C)
    eh = dh * (kh - 1) + 1
    width = Wo * C
    bands = (Ho + band - 1) // band
    lowest_key = _key(lowest, key_zero)
    # rows of whole vectors, each at a 64-byte boundary; padding cells hold the lowest key
    stride = (length + 2 * lanes + lanes - 1) // lanes * lanes
    padded = _aligned_full(stride, lowest_key)
    work = _aligned_full(2 * stride, lowest_key)
    wtaps = np.empty((64, 4), np.int64)
    wlevels = _quad_levels(kw, dw * C, wtaps)
    htaps = np.zeros((64, 4), np.int64)
    # one tap along H: one level of four copies of the row itself, the output row
    levels = max(1, _quad_levels(kh, dh, htaps))
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
        z = (plane % Do) * sd - lod  # the D window is one tap
        nrows = (i1 - 1 - i0) * sh + eh
        slots[:] = 0
        for r in range(nrows):
            if kh == 1 and r % sh != 0:   # one tap along H: only output rows are needed
                continue
            h = (offsets[0] + slots[0]) * row_length
            # the input row's keys, pooled along W and subsampled by the W stride, into h
            y = i0 * sh - loh + r
            if z < 0 or z >= D or y < 0 or y >= H:
                _fill(ring[h:], row_length, lowest_key)
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
                    _max_vectors_ahead(target, t_start, source,
                                       (s_start + wtaps[v, 0], s_start + wtaps[v, 1],
                                        s_start + wtaps[v, 2], s_start + wtaps[v, 3]), 0,
                                       (count + lanes - 1) // lanes * lanes, False,
                                       x1, following + v * (n // wlevels))
                    source, s_start = target, t_start
                if sw > 1:
                    _take_columns(ring, h, source, s_start, Wo, C, sw)
                elif wlevels == 0:   # one tap along W: the padded row's first Wo columns
                    _max_vectors(ring, h, source, (0, 0, 0, 0), 0, rounded, False)
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
                            _max_vectors(o1, o, ring, rows4, 0, bulk, stream)
                        for k in range(bulk, width):
                            o1[o + k] = _from_key(max(max(ring[rows4[0] + k], ring[rows4[1] + k]),
                                                      max(ring[rows4[2] + k], ring[rows4[3] + k])),
                                                  lowest)
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
                    _max_chain(o1, (plane * Ho + i0 + q_out // sh) * width, ring,
                               (rows4[0], rows4[1], rows4[2], rows4[3],
                                _ring_row(base_u, size_u, slots[u], 1) * row_length,
                                _ring_row(base_u, size_u, slots[u], t1 + 1) * row_length,
                                _ring_row(base_u, size_u, slots[u], t2 + 1) * row_length),
                               0, bulk, stream, ring, new_row)
                    break
                _max_vectors(ring, new_row, ring, rows4, 0, rounded, False)
            # every level that received a row moves to its next slot
            q = r
            for v in range(levels):
                if q < 0:
                    break
                slots[v] = _ring_row(0, offsets[v + 1] - offsets[v], slots[v], 1)
                q -= htaps[v, 3]
    if stream:
        _store_fence()
