"""numba's disk cache, loaded fast.

numba's ``Cache.load_overload`` refreshes its CPU target before it reads a cached kernel: the
first time in a process, that imports and installs every typing and lowering registry numba
has (its NumPy functions; linear algebra, which imports SciPy when SciPy is installed; random
generators; typed containers...), 0.4-0.7 s on a 2-core VM, the largest part of the time a
process takes to reach numba speed. A *compilation* needs those registries (and numba's
compiler refreshes the target itself), but loading native code from the cache needs only
numba's runtime (NRT). :func:`cache_loads` skips the rest.

It also counts the kernels being written to the cache: numba makes a compiled kernel callable
*before* it saves it, so a process that switches to the kernel and exits at once could kill
the background thread half way through the save, and the next process would compile again
(seconds). :func:`wait_for_saves` (called at interpreter exit) lets a save under way finish.

And it keeps the object code of the kernels it loads (numba drops it once the code is
loaded), for :mod:`._native`'s store: :func:`object_code`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

_saves = threading.Condition()
_saving = 0   # saves under way
# object code of the kernels loaded from the cache, by their functions' mangled names
_objects: dict[str, bytes] = {}
_MAX_OBJECTS = 64


_local = threading.local()


@contextlib.contextmanager
def after_save(then: Callable[[object], bool]) -> Iterator[Callable[[], bool]]:
    """Within: each function that numba compiles and writes to its cache on this thread (the
    kernel asked for, and the functions it calls, each with its own cache entry) is passed to
    ``then`` (its compile result) right after the write, as part of it (so the exit's
    :func:`wait_for_saves` waits for ``then`` too), until ``then`` returns True (it took the
    one it wanted). Yields a function that tells whether ``then`` is still pending."""
    _local.after_save = then
    try:
        yield lambda: getattr(_local, "after_save", None) is not None
    finally:
        _local.after_save = None


def object_code(mangled_name: str) -> bytes | None:
    """The object code of the function ``mangled_name`` (numba's ``fndesc.mangled_name``) if
    :func:`cache_loads` read it from numba's cache (once: it is forgotten here), else None."""
    return _objects.pop(mangled_name, None)


def _keep_object(data) -> None:
    """Keep the object code of a kernel's cache entry (numba's reduced compile result:
    library data ``(name, "object", (object code, bitcode))``, then the function's
    descriptor), if it is one."""
    try:
        (_, kind, (code, _)), fndesc = data[0], data[1]
        if kind == "object" and isinstance(code, bytes):
            while len(_objects) >= _MAX_OBJECTS:
                _objects.pop(next(iter(_objects)))
            _objects[fndesc.mangled_name] = code
    except (TypeError, ValueError, AttributeError, IndexError):
        pass


def wait_for_saves(timeout: float) -> bool:
    """Wait until no kernel is being written to numba's cache (at most ``timeout`` seconds);
    True if none is."""
    with _saves:
        return _saves.wait_for(lambda: _saving == 0, timeout)


def reset_after_fork() -> None:
    """In a forked child: the thread that was saving is not there."""
    global _saves, _saving
    _saves, _saving = threading.Condition(), 0


@contextlib.contextmanager
def cache_loads() -> Iterator[None]:
    """Within: numba loads compiled kernels from its disk cache without refreshing its CPU
    target's registries (it initialises numba's runtime instead); a cache miss compiles as
    usual, and its save is counted (see :func:`wait_for_saves`).

    Holds numba's compiler lock, which numba takes around every cache load and compilation, so
    that no other thread's numba sees the change. With a numba whose internals differ, a plain
    block: numba's own path, slower.
    """
    try:
        from numba.core.caching import Cache
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.runtime import rtsys

        original = (Cache.load_overload, Cache.save_overload) if all(
            hasattr(Cache, name) for name in ("_load_overload", "_index_key",
                                              "_guard_against_spurious_io_errors")) else None
    except ImportError:
        original = None
    if original is None:
        yield
        return
    original_load, original_save = original

    def load_overload(cache, signature, target_context):
        rtsys.initialize(target_context)
        with cache._guard_against_spurious_io_errors():
            # numba's Cache._load_overload, keeping the object code on the way
            try:
                enabled, cache_file, impl = cache._enabled, cache._cache_file, cache._impl
            except AttributeError:
                return cache._load_overload(signature, target_context)
            if not enabled:
                return None
            data = cache_file.load(cache._index_key(signature, target_context.codegen()))
            if data is None:
                return None
            _keep_object(data)
            return impl.rebuild(target_context, data)

    def save_overload(cache, signature, data):
        global _saving
        with _saves:
            _saving += 1
        try:
            original_save(cache, signature, data)
            then = getattr(_local, "after_save", None)
            if then is not None and then(data):   # within the count: the exit waits for it
                _local.after_save = None
        finally:
            with _saves:
                _saving -= 1
                _saves.notify_all()

    with global_compiler_lock:
        Cache.load_overload, Cache.save_overload = load_overload, save_overload
        try:
            yield
        finally:
            Cache.load_overload, Cache.save_overload = original_load, original_save
