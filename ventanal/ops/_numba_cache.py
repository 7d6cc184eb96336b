"""numba's disk cache, loaded fast.

numba's ``Cache.load_overload`` refreshes its CPU target before it reads a cached kernel: the
first time in a process, that imports and installs every typing and lowering registry numba
has (its NumPy functions; linear algebra, which imports SciPy when SciPy is installed; random
generators; typed containers...), 0.4-0.7 s on a 2-core VM, the largest part of the time a
process takes to reach numba speed. A *compilation* needs those registries (and numba's
compiler refreshes the target itself), but loading native code from the cache needs only
numba's runtime (NRT). :func:`cache_loads` skips the rest.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def cache_loads() -> Iterator[None]:
    """Within: numba loads compiled kernels from its disk cache without refreshing its CPU
    target's registries (it initialises numba's runtime instead); a cache miss compiles as
    usual.

    Holds numba's compiler lock, which numba takes around every cache load and compilation, so
    that no other thread's numba sees the change. With a numba whose internals differ, a plain
    block: numba's own path, slower.
    """
    try:
        from numba.core.caching import Cache
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.runtime import rtsys

        original = (Cache.load_overload if all(
            hasattr(Cache, name) for name in ("_load_overload",
                                              "_guard_against_spurious_io_errors")) else None)
    except ImportError:
        original = None
    if original is None:
        yield
        return

    def load_overload(cache, signature, target_context):
        rtsys.initialize(target_context)
        with cache._guard_against_spurious_io_errors():
            return cache._load_overload(signature, target_context)

    with global_compiler_lock:
        Cache.load_overload = load_overload
        try:
            yield
        finally:
            Cache.load_overload = original
