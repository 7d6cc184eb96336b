"""Result memory that NumPy owns and ventanal recycles: a NumPy allocator handler in numba.

NumPy (1.22 and later) lets a library allocate an array's data with its own functions: an array
made while a *memory handler* is set keeps that handler and calls its ``free`` when it dies.
:class:`._memory_handler.ResultMemory` sets one around the allocation of each large result, so
that the result is an ordinary array that owns its memory (``flags.owndata``), 64-byte aligned
for the kernels' whole-vector stores; when it dies, its block goes back to a small pool instead
of the operating system, and the next result of the same size takes it without page faults (a
fresh 32 MiB costs the kernel zeroing 8,192 pages, as long as a memory-bound pooling itself).

The four functions NumPy calls are numba ``cfunc`` s: native code, no Python and no GIL needed,
so they are safe wherever NumPy frees an array, interpreter exit included (llvmlite keeps its
code mapped at exit, and the objects here are never released). NumPy allocates and frees
array data with the GIL held (arrays are Python objects), which serialises every access to
the pool; on a free-threaded Python the pool is not used.

The pool is one block of 64-bit integers (never freed): the limit in bytes, the idle bytes,
a clock, then :data:`SLOTS` slots of (size, address, time of return). A block returns to the
pool when it fits within the limit, evicting the oldest idle blocks as needed; it is taken
again only by a request of exactly its size. The readable twin is the plain ``np.empty``
path of :func:`ventanal.ops.memory.empty`, which the tests compare against.
"""

from __future__ import annotations

from numba import carray, cfunc, njit, types

from ._memory_handler import (
    ALIGNMENT,
    CLOCK,
    FUNCTIONS,
    HEAD,
    IDLE,
    LIMIT,
    MIN_POOLED_BYTES,
    SLOTS,
    WORDS,
    build,
)

__all__ = ["result_memory"]

_state = types.CPointer(types.int64)
# libc, named for LLVM to resolve in the process (unlike ctypes functions, cacheable)
_aligned_alloc = types.ExternalFunction("aligned_alloc", types.intp(types.intp, types.intp))
_free = types.ExternalFunction("free", types.void(types.intp))
_calloc = types.ExternalFunction("calloc", types.intp(types.intp, types.intp))
_realloc = types.ExternalFunction("realloc", types.intp(types.intp, types.intp))


# Sizes are declared intp (size_t in NumPy's signatures: the same register, and no mixed
# signed/unsigned arithmetic in numba).
@njit(cache=True)
def _trim(pool, keep):
    """Free the oldest idle blocks until at most ``keep`` bytes are idle."""
    while pool[IDLE] > keep:
        oldest = -1
        for i in range(SLOTS):
            j = HEAD + 3 * i
            if pool[j + 1] != 0 and (oldest < 0 or pool[j + 2] < pool[HEAD + 3 * oldest + 2]):
                oldest = i
        if oldest < 0:
            pool[IDLE] = 0
            return
        j = HEAD + 3 * oldest
        _free(pool[j + 1])
        pool[IDLE] -= pool[j]
        pool[j] = 0
        pool[j + 1] = 0


@cfunc(types.intp(_state, types.intp), cache=True)
def pool_malloc(ctx, size):
    pool = carray(ctx, (WORDS,))
    newest = -1
    for i in range(SLOTS):
        j = HEAD + 3 * i
        if pool[j + 1] != 0 and pool[j] == size and (
                newest < 0 or pool[j + 2] > pool[HEAD + 3 * newest + 2]):
            newest = i
    if newest >= 0:
        j = HEAD + 3 * newest
        address = pool[j + 1]
        pool[j] = 0
        pool[j + 1] = 0
        pool[IDLE] -= size
        return address
    # aligned_alloc wants a multiple of the alignment (and something for a zero size)
    return _aligned_alloc(ALIGNMENT, max(1, (size + ALIGNMENT - 1) // ALIGNMENT) * ALIGNMENT)


@cfunc(types.intp(_state, types.intp, types.intp), cache=True)
def pool_calloc(ctx, count, itemsize):
    return _calloc(count, itemsize)


@cfunc(types.intp(_state, types.intp, types.intp), cache=True)
def pool_realloc(ctx, address, size):
    # ndarray.resize: libc's realloc keeps the contents (and may lose the alignment, so such a
    # block never returns to the pool: see pool_free)
    return _realloc(address, size)


@cfunc(types.void(_state, types.intp), cache=True)
def pool_trim(ctx, keep):
    _trim(carray(ctx, (WORDS,)), keep)


@cfunc(types.void(_state, types.intp, types.intp), cache=True)
def pool_free(ctx, address, size):
    if address == 0:
        return
    pool = carray(ctx, (WORDS,))
    if size < MIN_POOLED_BYTES or size > pool[LIMIT] or address % ALIGNMENT != 0:
        _free(address)
        return
    _trim(pool, pool[LIMIT] - size)
    for i in range(SLOTS):
        j = HEAD + 3 * i
        if pool[j + 1] == 0:
            pool[CLOCK] += 1
            pool[j] = size
            pool[j + 1] = address
            pool[j + 2] = pool[CLOCK]
            pool[IDLE] += size
            return
    _free(address)   # every slot taken


result_memory = build({name: globals()[f"pool_{name}"].address for name in FUNCTIONS})
