"""Result memory that NumPy owns and ventanal recycles: a NumPy allocator handler in numba.

NumPy (1.22 and later) lets a library allocate an array's data with its own functions: an
array made while a *memory handler* is set keeps that handler and calls its ``free`` when it
dies. :class:`ResultMemory` sets one around the allocation of each large result, so that the
result is an ordinary array that owns its memory (``flags.owndata``), 64-byte aligned for the
kernels' whole-vector stores; when it dies, its block goes back to a small pool instead of the
operating system, and the next result of the same size takes it without page faults (a fresh
32 MiB costs the kernel zeroing 8,192 pages, as long as a memory-bound pooling itself).

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

import ctypes
import sys

import numpy as np
from numba import carray, cfunc, njit, types

__all__ = ["SLOTS", "ALIGNMENT", "MIN_POOLED_BYTES", "ResultMemory", "result_memory"]

# Slots of the pool: results of a loop over batches come in a few sizes; 32 idle blocks of a
# size each are more than any pipeline keeps alive at once.
SLOTS = 32
# A cache line and an AVX-512 vector: a 64-byte aligned result never splits a vector store
# (memory.ALIGNMENT, which this module cannot import: memory asks _backend, which loads this).
ALIGNMENT = 64
# Smaller blocks (a result shrunk by ndarray.resize) go back to libc: malloc's own free lists
# recycle them well.
MIN_POOLED_BYTES = 1 << 20
_LIMIT, _IDLE, _CLOCK = 0, 1, 2
_HEAD = 4
_WORDS = _HEAD + 3 * SLOTS

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
    while pool[_IDLE] > keep:
        oldest = -1
        for i in range(SLOTS):
            j = _HEAD + 3 * i
            if pool[j + 1] != 0 and (oldest < 0 or pool[j + 2] < pool[_HEAD + 3 * oldest + 2]):
                oldest = i
        if oldest < 0:
            pool[_IDLE] = 0
            return
        j = _HEAD + 3 * oldest
        _free(pool[j + 1])
        pool[_IDLE] -= pool[j]
        pool[j] = 0
        pool[j + 1] = 0


@cfunc(types.intp(_state, types.intp), cache=True)
def pool_malloc(ctx, size):
    pool = carray(ctx, (_WORDS,))
    newest = -1
    for i in range(SLOTS):
        j = _HEAD + 3 * i
        if pool[j + 1] != 0 and pool[j] == size and (
                newest < 0 or pool[j + 2] > pool[_HEAD + 3 * newest + 2]):
            newest = i
    if newest >= 0:
        j = _HEAD + 3 * newest
        address = pool[j + 1]
        pool[j] = 0
        pool[j + 1] = 0
        pool[_IDLE] -= size
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
    _trim(carray(ctx, (_WORDS,)), keep)


@cfunc(types.void(_state, types.intp, types.intp), cache=True)
def pool_free(ctx, address, size):
    if address == 0:
        return
    pool = carray(ctx, (_WORDS,))
    if size < MIN_POOLED_BYTES or size > pool[_LIMIT] or address % ALIGNMENT != 0:
        _free(address)
        return
    _trim(pool, pool[_LIMIT] - size)
    for i in range(SLOTS):
        j = _HEAD + 3 * i
        if pool[j + 1] == 0:
            pool[_CLOCK] += 1
            pool[j] = size
            pool[j + 1] = address
            pool[j + 2] = pool[_CLOCK]
            pool[_IDLE] += size
            return
    _free(address)   # every slot taken


class _Allocator(ctypes.Structure):
    _fields_ = [("ctx", ctypes.c_void_p), ("malloc", ctypes.c_void_p),
                ("calloc", ctypes.c_void_p), ("realloc", ctypes.c_void_p),
                ("free", ctypes.c_void_p)]


class _Handler(ctypes.Structure):   # NumPy's PyDataMem_Handler
    _fields_ = [("name", ctypes.c_char * 127), ("version", ctypes.c_uint8),
                ("allocator", _Allocator)]


# Slots of NumPy's C API table (numpy/__multiarray_api.h, stable since NumPy 1.22)
_SET_HANDLER, _GET_HANDLER = 304, 305
HANDLER_NAME = b"ventanal_result_memory"


def _python_api(name: str, restype, *argtypes):
    """A function of Python's C API with its own types (setting them on ``ctypes.pythonapi``'s
    shared function objects would change them for every other user in the process)."""
    return ctypes.PYFUNCTYPE(restype, *argtypes)((name, ctypes.pythonapi))


def _numpy_api_table() -> int:
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:   # NumPy 1.x
        from numpy.core import _multiarray_umath as umath  # type: ignore[no-redef]
    get_name = _python_api("PyCapsule_GetName", ctypes.c_char_p, ctypes.py_object)
    get_pointer = _python_api("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.py_object,
                              ctypes.c_char_p)
    capsule = umath._ARRAY_API
    return get_pointer(capsule, get_name(capsule))


def _permanent(nbytes: int) -> int:
    """``nbytes`` zeroed bytes from libc that are never freed (NumPy may call the handler
    until the process ends)."""
    calloc = ctypes.CDLL(None).calloc
    calloc.restype, calloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t, ctypes.c_size_t]
    address = calloc(1, nbytes)
    if not address:
        raise MemoryError("no memory for ventanal's result pool")
    return address


class ResultMemory:
    """Allocates results under ventanal's NumPy memory handler (see the module docstring)."""

    def __init__(self) -> None:
        table = (ctypes.c_void_p * (_GET_HANDLER + 1)).from_address(_numpy_api_table())
        self._set = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(table[_SET_HANDLER])
        self._state_address = _permanent(8 * _WORDS)
        self._pool = (ctypes.c_int64 * _WORDS).from_address(self._state_address)
        handler = _Handler.from_address(_permanent(ctypes.sizeof(_Handler)))
        handler.name = HANDLER_NAME
        handler.version = 1
        handler.allocator.ctx = self._state_address
        handler.allocator.malloc = pool_malloc.address
        handler.allocator.calloc = pool_calloc.address
        handler.allocator.realloc = pool_realloc.address
        handler.allocator.free = pool_free.address
        name = _permanent(len(b"mem_handler") + 1)
        ctypes.memmove(name, b"mem_handler", len(b"mem_handler"))
        new_capsule = _python_api("PyCapsule_New", ctypes.py_object, ctypes.c_void_p,
                                  ctypes.c_void_p, ctypes.c_void_p)
        self._capsule = new_capsule(ctypes.addressof(handler), name, None)
        # called with the GIL held (PYFUNCTYPE), like NumPy's own calls of the handler
        self._trim = ctypes.PYFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(pool_trim.address)
        incref = _python_api("Py_IncRef", None, ctypes.py_object)
        for keep in (pool_malloc, pool_calloc, pool_realloc, pool_free, pool_trim, self):
            incref(keep)   # never released

    def set_limit(self, limit: int) -> None:
        """Keep at most ``limit`` idle bytes from now on (freeing the oldest blocks over it)."""
        if self._pool[_LIMIT] != limit:
            self._pool[_LIMIT] = limit
            self._trim(self._state_address, limit)

    def empty(self, shape, dtype) -> np.ndarray:
        """``np.empty(shape, dtype)`` with memory from the pool."""
        previous = self._set(self._capsule)
        try:
            return np.empty(shape, dtype)
        finally:
            self._set(previous)

    def idle_bytes(self) -> int:
        """Bytes of dead results kept for the next ones."""
        return int(self._pool[_IDLE])

    def release(self) -> None:
        """Give every idle block back to the operating system."""
        self._trim(self._state_address, 0)


def _build() -> ResultMemory | None:
    gil = getattr(sys, "_is_gil_enabled", None)
    if gil is not None and not gil():   # free-threaded Python: nothing serialises the pool
        return None
    try:
        return ResultMemory()
    except (AttributeError, ImportError, OSError, ValueError):   # no C API table to reach
        return None


result_memory = _build()
