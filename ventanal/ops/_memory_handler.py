"""Result memory that NumPy owns and ventanal recycles: the NumPy memory handler.

The handler's four functions (and the pool's trim) are native code with no GIL needed,
compiled by numba (:mod:`._numba_memory`, which has the pool's algorithm and its reasons) or
loaded from the native store (:mod:`._native`); this module, which imports no numba, installs
their addresses as a NumPy ``PyDataMem_Handler`` (:class:`ResultMemory`).
"""

from __future__ import annotations

import ctypes
import sys

import numpy as np

__all__ = ["ALIGNMENT", "CLOCK", "FUNCTIONS", "HEAD", "IDLE", "LIMIT", "MIN_POOLED_BYTES",
           "SLOTS", "WORDS", "ResultMemory", "build", "python_api"]

# Slots of the pool: results of a loop over batches come in a few sizes; 32 idle blocks of a
# size each are more than any pipeline keeps alive at once.
SLOTS = 32
# A cache line and an AVX-512 vector: a 64-byte aligned result never splits a vector store
# (memory.ALIGNMENT, which this module cannot import: memory asks _backend, which loads this).
ALIGNMENT = 64
# Smaller blocks (a result shrunk by ndarray.resize) go back to libc: malloc's own free lists
# recycle them well.
MIN_POOLED_BYTES = 1 << 20
# The pool's words: the limit, the idle bytes, the clock; the slots from HEAD on
LIMIT, IDLE, CLOCK = 0, 1, 2
HEAD = 4
WORDS = HEAD + 3 * SLOTS

# The native functions a ResultMemory takes, by name: cfuncs of ._numba_memory, pool_<name>.
FUNCTIONS = ("malloc", "calloc", "realloc", "free", "trim")


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


def python_api(name: str, restype, *argtypes):
    """A function of Python's C API with its own types (setting them on ``ctypes.pythonapi``'s
    shared function objects would change them for every other user in the process)."""
    return ctypes.PYFUNCTYPE(restype, *argtypes)((name, ctypes.pythonapi))


def _numpy_api_table() -> int:
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:   # NumPy 1.x
        from numpy.core import _multiarray_umath as umath  # type: ignore[no-redef]
    get_name = python_api("PyCapsule_GetName", ctypes.c_char_p, ctypes.py_object)
    get_pointer = python_api("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.py_object,
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

    def __init__(self, functions: dict[str, int]) -> None:
        table = (ctypes.c_void_p * (_GET_HANDLER + 1)).from_address(_numpy_api_table())
        self._set = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(table[_SET_HANDLER])
        self._state_address = _permanent(8 * WORDS)
        self._pool = (ctypes.c_int64 * WORDS).from_address(self._state_address)
        handler = _Handler.from_address(_permanent(ctypes.sizeof(_Handler)))
        handler.name = HANDLER_NAME
        handler.version = 1
        handler.allocator.ctx = self._state_address
        handler.allocator.malloc = functions["malloc"]
        handler.allocator.calloc = functions["calloc"]
        handler.allocator.realloc = functions["realloc"]
        handler.allocator.free = functions["free"]
        name = _permanent(len(b"mem_handler") + 1)
        ctypes.memmove(name, b"mem_handler", len(b"mem_handler"))
        new_capsule = python_api("PyCapsule_New", ctypes.py_object, ctypes.c_void_p,
                                  ctypes.c_void_p, ctypes.c_void_p)
        self._capsule = new_capsule(ctypes.addressof(handler), name, None)
        # called with the GIL held (PYFUNCTYPE), like NumPy's own calls of the handler
        self._trim = ctypes.PYFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(functions["trim"])
        python_api("Py_IncRef", None, ctypes.py_object)(self)   # never released

    def set_limit(self, limit: int) -> None:
        """Keep at most ``limit`` idle bytes from now on (freeing the oldest blocks over it)."""
        if self._pool[LIMIT] != limit:
            self._pool[LIMIT] = limit
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
        return int(self._pool[IDLE])

    def release(self) -> None:
        """Give every idle block back to the operating system."""
        self._trim(self._state_address, 0)


def build(functions: dict[str, int]) -> ResultMemory | None:
    """A :class:`ResultMemory` on the native ``functions`` (addresses, by the names of
    :data:`FUNCTIONS`), or None where it cannot work (a free-threaded Python, whose GIL does
    not serialise the pool; no NumPy C API table to reach)."""
    gil = getattr(sys, "_is_gil_enabled", None)
    if gil is not None and not gil():   # free-threaded Python: nothing serialises the pool
        return None
    try:
        return ResultMemory(functions)
    except (AttributeError, ImportError, OSError, ValueError):   # no C API table to reach
        return None
