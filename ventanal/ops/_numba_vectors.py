"""numba's building blocks written in LLVM IR: the maximum of a pair, explicit vector loops,
ordered keys of floats (imported on first use, never by ``import ventanal``).

The kernels (:mod:`._numba_pooling`, :mod:`._numba_doubling`, :mod:`._numba_convolve`,
:mod:`._numba_conv_tiles`) call these as functions; each is an ``@intrinsic`` whose code is
LLVM IR, because the instruction sequence is the point:

* :func:`maximum` is the maximum of one pair: a NaN on either side wins (see its docstring for
  why it is an LLVM intrinsic rather than Python).
* Explicit LLVM vector loops (:func:`max_vectors`, :func:`mean_vectors`,
  :func:`key_vectors`), whole registers of the CPU numba compiles for (:func:`vector_bytes`:
  32 or 64 bytes), serve the direct kernels (one call per output column of many channels) and
  window doubling (one per row). They skip the overlap checks and remainder loops numba's own
  vectorised loop pays at every call, can stream large results past the cache with
  non-temporal stores, and a float max of several taps costs one ``maxps`` per pair plus one
  NaN test per two taps.
* Ordered keys (:func:`ordered_key`): floats as signed integers of their width that sort as
  the floats do, so that a maximum is one integer instruction with NaN and -0 handled by the
  order itself (window doubling works on them).
"""

from __future__ import annotations

import functools

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# Options of every compiled kernel: no GIL (threads share an op), cached on disk, NumPy's
# rules for division by zero (no exception, inf or NaN).
KERNEL_OPTIONS = dict(nogil=True, cache=True, error_model="numpy")


def _freeze(builder, value):
    """LLVM's ``freeze`` of ``value`` (llvmlite's builder has no method for it)."""
    instruction = ir.Instruction(builder.block, value.type, "freeze", [value])
    builder._insert(instruction)
    return instruction


@intrinsic
def maximum(typingctx, a, b):
    """The larger of two numbers of one type; for floats, a NaN on either side wins.

    Floats: ``a if a > b or a != a else b``, four vector instructions (compare, NaN test,
    or, blend). Between +0 and -0 the second wins, as in NumPy's ``np.maximum``.
    Two details, each measured on the benchmark machines (the numbers are in
    ``benchmarks/README.md``):

    * Both operands are *frozen* first. Without that, LLVM's x86 back end turns
      ``target[q] = max(target[q], x)`` into a conditional store of ``x``, ``vmaskmovps`` on
      AVX2, which AMD's Zen cores microcode: far slower than the whole loop.
    * Not ``llvm.maximum`` (IEEE 754-2019 *maximum*, -0 < +0): x86 has no instruction for it
      and LLVM expands it to six, which slows the pooling kernels (they are bound by vector
      instructions, not by memory).

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
def cast(typingctx, value, like):
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
    vectors halve the instructions of a window on AVX-512, and are faster even on AMD's Zen 4,
    which executes them in two halves. numba's
    on-disk cache is keyed by the CPU's features, so a cache compiled for one width is never
    loaded on a CPU of the other.

    >>> vector_bytes() in (32, 64)
    True
    """
    from numba.core.registry import cpu_target

    features = getattr(cpu_target.target_context.codegen(), "_tm_features", "")
    return 64 if "+avx512f" in features.split(",") else 32


def vector_lanes(dtype) -> int:
    """Elements of ``dtype`` per vector of :func:`max_vectors` and :func:`mean_vectors`."""
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
                                               i32(_PREFETCH_READ), i32(_PREFETCH_KEEP),
                                               i32(_PREFETCH_DATA)])
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


# llvm.prefetch's arguments: a read (not a write), to be kept in every cache level (the row
# is read soon, once per level of window doubling), into the data cache.
_PREFETCH_READ, _PREFETCH_KEEP, _PREFETCH_DATA = 0, 3, 1


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
def ordered_key(typingctx, value, key_zero):
    """The ordered key of ``value`` in the type of ``key_zero``; an integer of that type is its
    own key."""
    return _scalar_conversion(value, key_zero, True)


@intrinsic
def from_ordered_key(typingctx, key, like):
    """The value of the type of ``like`` whose ordered key is ``key`` (the inverse of
    :func:`ordered_key`)."""
    return _scalar_conversion(key, like, False)


@intrinsic
def key_vectors(typingctx, out, o_start, x, taps, shift, n, stream):
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
def max_vectors(typingctx, out, o_start, x, taps, shift, n, stream):
    """``out[o_start + k] = max over t of x[taps[t] + shift + k]`` for ``k < n``, vector by vector
    (``n`` a positive multiple of :func:`vector_lanes`); a NaN wins, as in :func:`maximum`.

    Floats: a tree of ``a if a > b else b`` (x86's one-instruction ``maxps``; between +0 and -0
    the second wins, as in :func:`maximum`), and beside it one unordered test per pair of taps;
    a window holding a NaN gives NaN (the standard quiet NaN, not the input's payload). Half
    the vector instructions of a tree of :func:`maximum`: a 3x3 window went from 32 to 17.

    With ordered keys in ``x`` (:func:`ordered_key`) and floats in ``out``: the max of the keys (one
    integer instruction per pair), stored as the float it is the key of.

    An explicit loop rather than a numba one over the channels: numba's vectorised loop
    checks its arrays for overlap and peels a remainder at every call, which for 64 channels
    cost as much as the loop.
    """
    if not _max_types_ok(out, x, taps):
        return None
    return (types.none(out, o_start, x, taps, shift, n, stream),
            _max_codegen(out, x, None))


@intrinsic
def max_vectors_ahead(typingctx, out, o_start, x, taps, shift, n, stream, ahead, a_start):
    """:func:`max_vectors`, asking at every step for ``ahead[a_start + k]`` in cache (the
    next input row, which then arrives while this loop computes)."""
    if not (_max_types_ok(out, x, taps) and isinstance(ahead, types.Array)
            and isinstance(a_start, types.Integer)):
        return None
    return (types.none(out, o_start, x, taps, shift, n, stream, ahead, a_start),
            _max_codegen(out, x, (7, 8)))


@intrinsic
def max_chain(typingctx, out, o_start, x, taps, shift, n, stream, mid, m_start):
    """Two levels of window doubling in one pass: ``mid[m_start + k]`` = the max of
    ``x[taps[0..3] + shift + k]``, and ``out[o_start + k]`` = the max of that and of
    ``x[taps[4..6] + shift + k]`` (stored as :func:`max_vectors` stores), for ``k < n``.
    ``mid`` has ``x``'s integer type (ordered keys, or the integers themselves); no tap of
    the second level may read the row being written.

    The new row of the level below the output stays in its register, where two passes stored
    and reloaded it.
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
def mean_vectors(typingctx, out, o_start, x, taps, shift, n, stream, scale):
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
def store_fence(typingctx):
    """Order this thread's non-temporal stores before anything it does next (``mfence``)."""
    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.none(), codegen

