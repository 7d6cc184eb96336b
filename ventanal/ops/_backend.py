"""Which implementation runs the ops: numba kernels, the fast NumPy path, or the reference.

The environment variable ``VENTANAL_BACKEND`` is read at every call (a dictionary look-up), so
a test or a user can switch without reimporting:

* ``auto`` (default): numba kernels when numba imports and the op is not small, otherwise the
  fast NumPy path. Small ops (under ``AUTO_NUMBA_MIN_WORK`` element-operations, e.g. the CLI's
  64x64 image) never pay numba's import and first compile. A call never waits for numba
  either: until the kernels it needs are loaded, it runs on the NumPy path while a background
  thread imports numba, loads the kernels and compiles (or loads from the cache) the
  signatures the calls asked for; later calls switch to them (see "Background loading");
* ``numba``: numba kernels, an ``ImportError`` when numba is missing; a call waits for the
  import and the compilation (benchmarks and tests ask for it);
* ``numpy``: the fast NumPy path, never numba (what runs where numba has no wheels);
* ``reference``: the readable reference implementations (``*_reference`` in ``pool.py`` and
  ``conv.py``), the oracle of the tests.

``VENTANAL_NUM_THREADS`` caps the threads of one op (default: the CPUs this process may use).

numba is imported here, lazily, on the first call that needs a kernel; ``import ventanal``
stays NumPy-only. Its kernels are compiled once per dtype and cached on disk (numba's cache),
and their machine code also goes to ventanal's *native store* (:mod:`._native`), from which a
later process under ``auto`` runs them without importing numba at all (a tenth of the time).
Compiling costs seconds the very first time (``benchmarks/README.md`` has the numbers), hence
the ``auto`` threshold and the background loading.

Background loading
------------------
Under ``auto`` the op functions of the dispatch modules (decorated with
:func:`starts_background`) ask :func:`active` for a backend: ``"numpy"`` until the kernels are
loaded, and the load queued: the native store's kernels (:class:`._native.NativeKernel`, which
hand the arguments the store lacks to numba's) when it has some for this process, else numba's.
Each of numba's is a :class:`Guarded` dispatcher: called during an op for argument types numba
has not compiled yet, it queues their compilation and raises :class:`KernelsNotReady`, on which
the op takes the NumPy path. An op that found the kernels not loaded is also *rehearsed* once
they are: the background thread runs it again, on one thread, up to its kernel call, which then
loads (or compiles) the kernel for the call's types and ends the rehearsal; so the next call of
the same op is at numba speed without a call in between to ask for its kernel. (The rehearsal
keeps the op's arguments alive until then.) The queued jobs run one after another on one daemon
thread, started when the op that queued them returns (the first call costs what the NumPy path
costs). Results are the same either way (the tests check it while the switch happens).
:func:`wait_for_background` waits for the queue (tests, benchmarks). A process forked while a
job runs never starts another one (its thread is not in the child, and numba's locks may be
held): the child stays on the NumPy path for what was not loaded. Jobs still queued at
interpreter exit are dropped; a job under way dies with the interpreter, unless it is writing
a compiled kernel to numba's cache, which the exit lets finish (numba makes a kernel callable
before it saves it).
"""

from __future__ import annotations

import _thread
import atexit
import functools
import os
import sys
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import TypeVar

from . import _native, _numba_cache, call_types
from ._numba_cache import cache_loads
from .kernel_table import KERNELS, taking_table

BACKENDS = ("auto", "numba", "numpy", "reference")
BACKEND_VARIABLE = "VENTANAL_BACKEND"
THREADS_VARIABLE = "VENTANAL_NUM_THREADS"

_lock = threading.Lock()
_numba_modules: SimpleNamespace | None = None
_numba_error: BaseException | None = None
_native_modules: SimpleNamespace | None = None   # the native store's kernels (auto only)


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
    if getattr(_ops, "rehearsing", False) and (value not in ("auto", "numba") or (
            value == "auto" and work is not None and work < AUTO_NUMBA_MIN_WORK)):
        raise Rehearsed   # a rehearsal that would not reach a kernel: nothing to compute
    if value == "auto":
        if work is not None and work < AUTO_NUMBA_MIN_WORK:
            return "numpy"
        if _numba_modules is not None or _native_modules is not None:
            return "numba"   # always so in a rehearsal (see _rehearse)
        if _numba_error is None:
            _ops.missing = True   # the op is rehearsed once they are loaded
            _queue("kernels", _load_kernels)
        return "numpy"
    if value == "numba":
        numba_kernels(required=True)
    return value


def num_threads() -> int:
    """Threads one op may use: ``VENTANAL_NUM_THREADS`` or the CPUs available to the process
    (one in a background rehearsal)."""
    if getattr(_ops, "rehearsing", False):
        return 1
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
    """The kernels, by name (``max_rows``, ``conv_tiles``, ``vector_bytes``...): under ``auto``
    the native store's once loaded (:mod:`._native`), else numba's, imported on first use.

    Returns None when numba cannot be imported (unless ``required``: then ImportError).
    """
    if _native_modules is not None and requested() == "auto":
        return _native_modules
    return numba_namespace(load=True, required=required)


def numba_namespace(load: bool = False, required: bool = False) -> SimpleNamespace | None:
    """numba's kernels, imported now if ``load`` (else None until they are)."""
    global _numba_modules, _numba_error
    if not load:
        return _numba_modules
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


def loaded_kernels() -> SimpleNamespace | None:
    """The kernels' namespace (:func:`numba_kernels`) if it is loaded already, else None
    (never imports anything)."""
    if _native_modules is not None and requested() == "auto":
        return _native_modules
    return _numba_modules


def _kernels() -> SimpleNamespace:
    """numba's namespace of the kernels of :data:`.kernel_table.KERNELS`, each
    :class:`Guarded` by its dispatcher, and the constants the dispatch modules read."""
    import importlib

    from . import _numba_conv_tiles, _numba_memory, _numba_vectors

    def guarded(name: str, module: str, position: int | None, prelude: bool) -> Guarded:
        dispatcher = getattr(importlib.import_module(f"{__package__}.{module}"), name)
        return Guarded(taking_table(dispatcher, position), dispatcher, prelude, name)

    return SimpleNamespace(
        **{name: guarded(name, *entry) for name, entry in KERNELS.items()},
        vector_bytes=_numba_vectors.vector_bytes, vector_lanes=_numba_vectors.vector_lanes,
        PLANE_ROWS=_numba_conv_tiles.PLANE_ROWS, PLANE_VECTORS=_numba_conv_tiles.PLANE_VECTORS,
        result_memory=_numba_memory.result_memory)


def _import_kernels() -> SimpleNamespace:
    import numba  # noqa: F401  (an ImportError here means: use the NumPy path)

    try:
        with cache_loads():
            return _kernels()
    except RuntimeError as error:
        # numba raises RuntimeError("cannot cache function ...") at decoration time when
        # neither the package directory nor its user cache directory is writable.
        if "cannot cache" not in str(error):
            raise
        import tempfile

        from numba.core import config

        config.CACHE_DIR = os.path.join(tempfile.gettempdir(), "ventanal-numba-cache")
        with cache_loads():
            return _kernels()


# ---------------------------------------------------------------------------------------------
# Background loading (see the module's docstring)
# ---------------------------------------------------------------------------------------------

class KernelsNotReady(RuntimeError):
    """Under ``auto``: the numba kernel an op asked for is still loading or compiling (in the
    background); the op runs on the NumPy path instead."""


_Op = TypeVar("_Op", bound=Callable)

_background = threading.Condition()   # guards the five names below
_jobs: dict[object, Callable[[], object]] = {}   # queued, in order, by key
_running: object | None = None        # the key of the job the worker runs
_worker: int | None = None   # the background thread's identifier while it runs
_frozen = False     # forked while a job ran: no more jobs in this process
_exiting = False    # interpreter exit: no more jobs
_failed: set = set()   # keys of the jobs that raised: not queued again
_ops = threading.local()   # .depth: op functions of this thread under way
# run_tasks's workers (ops.threads names them so): their kernel calls belong to an op
_OP_WORKER_PREFIX = "ventanal_"


# Seconds the background thread waits before its first job (see _work).
_START_DELAY = 0.01


def starts_background(op: _Op) -> _Op:
    """Decorate an op function of a dispatch module: the kernels it uses are :class:`Guarded`
    during the call, and the background jobs the call queued start when it returns (so the
    call's own time is the NumPy path's, not shared with a compiling thread)."""
    @functools.wraps(op)
    def run(*args, **kwargs):
        depth = getattr(_ops, "depth", 0)
        if depth == 0:
            _ops.missing = False
        _ops.depth = depth + 1
        try:
            return op(*args, **kwargs)
        finally:
            _ops.depth = depth
            if depth == 0 and _ops.missing and call_types.numba_dtypes_only(args, kwargs):
                # the kernels were not loaded: once they are, the background thread runs
                # this op again up to its kernel call, to compile (or load) that kernel;
                # once per kind of call (the arrays' dtypes and shapes decide the kernel)
                key = ("rehearsal", op, call_types.call_kind(args, kwargs))
                with _background:
                    queued = sum(1 for job in _jobs
                                 if isinstance(job, tuple) and job[:2] == key[:2])
                if queued < _MAX_REHEARSALS:
                    _queue(key, functools.partial(_rehearse, op, args, kwargs))
            if depth == 0 and _jobs:
                _start_worker()
    return run  # type: ignore[return-value]


# Rehearsals queued at most per op function: each keeps its call's arguments alive until the
# kernels are loaded (a loop over many shapes before then needs no more).
_MAX_REHEARSALS = 4


class Rehearsed(BaseException):
    """Ends a rehearsal at its kernel call (a BaseException: no ``except`` of the ops'
    code, which catches :class:`KernelsNotReady`, takes it for a reason to run NumPy)."""


def rehearsing() -> bool:
    """Whether this thread runs a rehearsal (see :func:`_rehearse`)."""
    return getattr(_ops, "rehearsing", False)


def mark_missing() -> None:
    """Rehearse the op under way on this thread once the kernels are loaded."""
    _ops.missing = True


def _rehearse(op: Callable, args: tuple, kwargs: dict) -> None:
    """Run ``op`` on the background thread, on one thread, up to its first kernel call, which
    compiles (or loads from the cache) the kernel for the call's types instead of running."""
    if _numba_modules is None and _native_modules is None:   # numba could not be imported
        return
    _ops.rehearsing, _ops.depth = True, getattr(_ops, "depth", 0) + 1
    try:
        op(*args, **kwargs)
    except Rehearsed:
        pass
    finally:
        _ops.rehearsing, _ops.depth = False, _ops.depth - 1


def _in_op() -> bool:
    return (getattr(_ops, "depth", 0) > 0
            or threading.current_thread().name.startswith(_OP_WORKER_PREFIX))


class Guarded:
    """A numba kernel behind a check: called by an op under ``auto`` with argument types the
    ``dispatcher`` has not compiled, it queues their compilation on the background thread and
    raises :class:`KernelsNotReady` instead of compiling in the caller's time. Otherwise (the
    types compiled, another backend, a call outside an op) it calls ``kernel``, the entry
    point the dispatch modules call (the dispatcher itself or a facade around it that passes
    the same arguments).

    A ``prelude`` is a cheap kernel that an op calls before its main one (the filter
    transform of Winograd's convolution): a rehearsal compiles it, runs it and goes on to the
    main kernel, so that one rehearsal readies both."""

    def __init__(self, kernel: Callable, dispatcher, prelude: bool = False,
                 name: str | None = None) -> None:
        self.kernel = kernel
        self.dispatcher = dispatcher
        self.prelude = prelude
        self.ready: set[tuple] = set()   # fingerprints of argument types found compiled
        self.__name__ = name or getattr(kernel, "__name__", "kernel")
        self.__doc__ = kernel.__doc__

    def __repr__(self) -> str:
        return f"Guarded({self.__name__})"

    def __call__(self, *args):
        if getattr(_ops, "rehearsing", False):
            signature = tuple(self.dispatcher.typeof_pyval(value) for value in args)
            if signature not in self.dispatcher.overloads:
                self.compile(signature, call_types.fingerprint(args))
            if not self.prelude:
                raise Rehearsed
            return self.kernel(*args)
        backend = requested()
        if _in_op() and backend == "auto":
            self.require(args)
        elif backend == "numba":
            self.load(args)
        return self.kernel(*args)

    def compile(self, signature: tuple, fingerprint: tuple | None = None) -> None:
        """Compile the kernel for the numba types ``signature``, or load it from numba's
        disk cache (see :func:`cache_loads`); then write it to the native store (under the
        ``fingerprint`` of its arguments) for the next process."""
        def store(compiled) -> bool:
            function = getattr(self.dispatcher, "py_func", None)
            if function is None or (compiled.fndesc.qualname, compiled.fndesc.modname) != (
                    function.__qualname__, function.__module__):
                return False   # a function the kernel calls, compiled on the way
            if fingerprint is not None and _numba_modules is not None:
                _native.save_compiled(self.__name__, fingerprint, compiled, _numba_modules)
            return True

        with cache_loads(), _numba_cache.after_save(store) as pending:
            self.dispatcher.compile(signature)
            if pending() and signature in self.dispatcher.overloads:   # loaded, not saved
                store(self.dispatcher.overloads[signature])

    def load(self, args: tuple) -> None:
        """Compile the kernel for the types of ``args`` unless it is compiled (a call that
        waits for numba, ``VENTANAL_BACKEND=numba``, loads it as fast as a background job)."""
        signature = self._missing(args)
        if signature is not None:
            self.compile(signature, call_types.fingerprint(args))

    def require(self, args: tuple) -> None:
        """Return if the kernel is compiled for the types of ``args``; else queue the
        compilation (unless it failed before) and raise :class:`KernelsNotReady`."""
        signature = self._missing(args)
        if signature is None:
            return
        key = (self.__name__, signature)
        if key not in _failed:
            _queue(key, functools.partial(self.compile, signature,
                                          call_types.fingerprint(args)))
            if self.prelude:   # the op's main kernel is missing too: rehearse the op after
                _ops.missing = True
        raise KernelsNotReady(f"numba kernel {self.__name__} not compiled yet for {signature}")

    def _missing(self, args: tuple) -> tuple | None:
        """The numba types of ``args`` if the kernel is not compiled for them, else None
        (None too when numba cannot type them: the call itself will say what is wrong)."""
        fingerprint = call_types.fingerprint(args)
        if fingerprint in self.ready:
            return None
        try:
            signature = tuple(self.dispatcher.typeof_pyval(value) for value in args)
        except Exception:  # noqa: BLE001
            return None
        if signature in self.dispatcher.overloads:
            if fingerprint is not None:
                self.ready.add(fingerprint)
            return None
        return signature


def _load_kernels() -> None:
    global _native_modules
    if _native_modules is None and _numba_modules is None:
        # the native store's kernels, when it has some for this process: no numba import
        _native_modules = _native.kernels(sys.modules[__name__])
        if _native_modules is not None:
            return
    # (The result memory pool loads with the kernels: loaded after the op's kernel, it held
    # the GIL while the first calls on the kernels ran, 2-3x slower, on fresh memory.)
    kernels = numba_namespace(load=True)
    if kernels is not None:
        with cache_loads():
            kernels.vector_bytes()   # initialises numba's LLVM target, on this thread too


def _queue(key: object, job: Callable[[], object]) -> None:
    """Queue ``job`` under ``key`` (once) for the background thread; start the thread now
    unless an op of this thread is under way (it starts when that returns)."""
    with _background:
        if _frozen or _exiting or key in _jobs or key == _running:
            return
        _jobs[key] = job
    if getattr(_ops, "depth", 0) == 0:
        _start_worker()


def _start_worker() -> None:
    global _worker
    with _background:
        if _worker is not None or not _jobs or _frozen or _exiting:
            return
        # not threading.Thread.start, which waits (0.25-0.45 ms on a 2-vCPU VM, in the op's time)
        # until the new thread runs; as a daemon thread, it is not joined at exit
        _worker = _thread.start_new_thread(_work, ())


def _work() -> None:
    global _running, _worker
    # Let the call that started this thread return first: the jobs (numba's import above all,
    # whose loading of LLVM's shared library never releases the GIL) would otherwise hold the
    # GIL while that call waits for it to return to its caller (5 ms and more).
    time.sleep(_START_DELAY)
    while True:
        with _background:
            if not _jobs or _exiting:
                _worker = None
                _background.notify_all()
                return
            _running = next(iter(_jobs))
            job = _jobs.pop(_running)
        try:
            job()
        except BaseException:  # noqa: BLE001  (the NumPy path stays; a failure is not retried)
            _failed.add(_running)
        with _background:
            _running = None
            _background.notify_all()


def wait_for_background(timeout: float | None = None) -> bool:
    """Wait until the background jobs queued so far are done (or ``timeout`` seconds have
    passed); True when none is left. For tests and benchmarks: an op never needs it.

    >>> wait_for_background(timeout=60)
    True
    """
    if getattr(_ops, "depth", 0) == 0:   # inside an op, its jobs start when it returns
        _start_worker()
    with _background:
        return _background.wait_for(lambda: _worker is None and not _jobs, timeout)


def _after_fork_in_child() -> None:
    # Only a hook after the fork: one before it (to take the locks) deadlocked against
    # logging's own fork hooks. The worker thread does not exist in the child, and the locks
    # it may have held (numba's compiler lock, an import lock, ours) stay held: with a job
    # under way at the fork, the child never starts one.
    global _background, _lock, _worker, _running, _frozen
    busy = _worker is not None or _running is not None
    _background = threading.Condition()
    _lock = threading.Lock()
    _jobs.clear()
    _worker = _running = None
    _frozen = _frozen or busy
    _numba_cache.reset_after_fork()


# Seconds the interpreter's exit waits for a kernel being written to numba's cache.
_SAVE_AT_EXIT = 5.0


def _stop_at_exit() -> None:
    global _exiting
    _exiting = True   # no new job; one under way dies with the interpreter...
    _numba_cache.wait_for_saves(_SAVE_AT_EXIT)   # ...unless it is writing numba's cache


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_stop_at_exit)
