"""Which implementation runs the ops: numba kernels, the fast NumPy path, or the reference.

The environment variable ``VENTANAL_BACKEND`` is read at every call (a dictionary look-up), so
a test or a user can switch without reimporting:

* ``auto`` (default): numba kernels when numba imports and the op is not small, otherwise the
  fast NumPy path. Small ops (under ``AUTO_NUMBA_MIN_WORK`` element-operations, e.g. the CLI's
  64x64 image) never pay numba's import and first compile;
* ``numba``: numba kernels, an ``ImportError`` when numba is missing;
* ``numpy``: the fast NumPy path, never numba (what runs where numba has no wheels);
* ``reference``: the readable reference implementations (``*_reference`` in ``pool.py`` and
  ``conv.py``), the oracle of the tests.

``VENTANAL_NUM_THREADS`` caps the threads of one op (default: the CPUs this process may use).

numba is imported here, lazily, on the first call that needs a kernel; ``import ventanal``
stays NumPy-only. Its kernels are compiled once per dtype and cached on disk (next to the
modules, or in numba's user cache when the package directory is read-only, or in a temporary
directory when neither is writable).

Importing numba and compiling a kernel cost seconds the very first time, a fraction of that to
load from the cache in any later process (``benchmarks/README.md`` has the numbers), hence the
``auto`` threshold.
"""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

BACKENDS = ("auto", "numba", "numpy", "reference")
BACKEND_VARIABLE = "VENTANAL_BACKEND"
THREADS_VARIABLE = "VENTANAL_NUM_THREADS"

_lock = threading.Lock()
_numba_modules: SimpleNamespace | None = None
_numba_error: BaseException | None = None


def requested() -> str:
    """The backend asked for by ``VENTANAL_BACKEND`` (default ``"auto"``)."""
    value = os.environ.get(BACKEND_VARIABLE, "auto").strip().lower() or "auto"
    if value not in BACKENDS:
        raise ValueError(f"environment variable {BACKEND_VARIABLE} must be one of "
                         f"{', '.join(map(repr, BACKENDS))}, got {value!r}")
    return value


# Element-operations (output cells x window taps) from which ``auto`` uses numba: below, the
# fast NumPy path takes a few milliseconds, less than importing numba and loading its cache.
AUTO_NUMBA_MIN_WORK = 1 << 22


def active(work: int | None = None) -> str:
    """The backend that runs an op of ``work`` element-operations: ``"numba"``, ``"numpy"``
    or ``"reference"``."""
    value = requested()
    if value == "auto":
        if work is not None and work < AUTO_NUMBA_MIN_WORK:
            return "numpy"
        return "numba" if numba_kernels(required=False) is not None else "numpy"
    if value == "numba":
        numba_kernels(required=True)
    return value


def num_threads() -> int:
    """Threads one op may use: ``VENTANAL_NUM_THREADS`` or the CPUs available to the process."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        available = os.cpu_count() or 1
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if value:
        try:
            wanted = int(value)
        except ValueError:
            raise ValueError(f"environment variable {THREADS_VARIABLE} must be a positive "
                             f"integer, got {value!r}") from None
        if wanted < 1:
            raise ValueError(f"environment variable {THREADS_VARIABLE} must be a positive "
                             f"integer, got {value!r}")
        return wanted
    return max(1, available)


def numba_kernels(required: bool = False) -> SimpleNamespace | None:
    """The numba kernels, by name (``max_rows``, ``conv_tiles``, ``vector_bytes``...), imported
    on first use.

    Returns None when numba cannot be imported (unless ``required``: then ImportError).
    """
    global _numba_modules, _numba_error
    if _numba_modules is None and _numba_error is None:
        with _lock:
            if _numba_modules is None and _numba_error is None:
                try:
                    _numba_modules = _import_kernels()
                except ImportError as error:
                    _numba_error = error
    if _numba_modules is None and required:
        raise ImportError(f"{BACKEND_VARIABLE}=numba needs numba, which could not be "
                          f"imported: {_numba_error}") from _numba_error
    return _numba_modules


def _kernels() -> SimpleNamespace:
    """Every kernel entry point the dispatch modules call: the one place that knows which
    module holds which kernel."""
    from . import _numba_conv, _numba_pool

    return SimpleNamespace(
        max_rows=_numba_pool.max_rows, max_channels=_numba_pool.max_channels,
        max_doubling=_numba_pool.max_doubling, avg_rows=_numba_pool.avg_rows,
        avg_channels=_numba_pool.avg_channels, vector_bytes=_numba_pool.vector_bytes,
        vector_lanes=_numba_pool.vector_lanes,
        conv_channels=_numba_conv.conv_channels, conv_planes=_numba_conv.conv_planes,
        conv_plane_tiles=_numba_conv.conv_plane_tiles, conv_tiles=_numba_conv.conv_tiles,
        im2col=_numba_conv.im2col,
        PLANE_ROWS=_numba_conv.PLANE_ROWS, PLANE_VECTORS=_numba_conv.PLANE_VECTORS)


def _import_kernels() -> SimpleNamespace:
    import numba  # noqa: F401  (an ImportError here means: use the NumPy path)

    try:
        return _kernels()
    except RuntimeError as error:
        # numba raises RuntimeError("cannot cache function ...") at decoration time when
        # neither the package directory nor its user cache directory is writable.
        if "cannot cache" not in str(error):
            raise
        import tempfile

        from numba.core import config

        config.CACHE_DIR = os.path.join(tempfile.gettempdir(), "ventanal-numba-cache")
        return _kernels()
