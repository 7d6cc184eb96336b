"""The thread pool of the fast paths: an op's rows, split among the CPUs.

Outputs are split into contiguous row ranges, a few per thread, which the threads take in turn
(:func:`run_tasks`); numba kernels and NumPy's loops release the GIL. Small problems run on the
calling thread. A worker woken onto a CPU that the call already runs on moves to a free one at
once (:func:`_spread`), instead of sharing it for a scheduler tick. ``benchmarks/README.md``
has the measurements behind these choices.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _backend

__all__ = ["run_tasks"]

# Below this many element-operations per thread, a thread costs more than it saves.
_MIN_WORK_PER_THREAD = 1 << 16
# Chunks of tasks per thread (see run_tasks): enough that a thread which loses its core for
# a while leaves its share to the others, few enough that taking a chunk costs nothing.
_CHUNKS_PER_THREAD = 8

_executor: ThreadPoolExecutor | None = None
_executor_threads = 0


def _pool(threads: int) -> ThreadPoolExecutor:
    global _executor, _executor_threads
    if _executor is None or _executor_threads < threads:
        if _executor is not None:
            _executor.shutdown(wait=False)
        _executor = ThreadPoolExecutor(threads, thread_name_prefix="ventanal")
        _executor_threads = threads
    return _executor


def _forget_pool_after_fork():
    global _executor, _executor_threads
    _executor, _executor_threads = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _cpu_reader():
    """``sched_getcpu`` of the C library (Linux), or None where there is none."""
    try:
        import ctypes

        function = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError, TypeError):
        return None
    function.restype = ctypes.c_int
    function.argtypes = []
    return function


_sched_getcpu = _cpu_reader() if hasattr(os, "sched_setaffinity") else None


def _current_cpu() -> int:
    """The CPU the calling thread runs on, or -1 where that cannot be known."""
    return _sched_getcpu() if _sched_getcpu is not None else -1


def _spread(busy: set[int]) -> None:
    """Move the calling worker off a CPU that another thread of the same call runs on.

    Linux places a thread it wakes on the waker's CPU when it does not see another one idle,
    and on a virtual machine a vCPU that has been idle for a while is not seen as idle (it may
    have been handed back to the host): the woken worker then shares the caller's CPU for a
    scheduler tick (4 ms) before the load balancer moves it. Narrowing the worker's affinity
    to the CPUs not in ``busy`` migrates it at once; the affinity is restored right after, so
    nothing stays pinned. Races between workers only cost a less even placement.
    """
    cpu = _current_cpu()
    if cpu < 0:
        return
    if cpu in busy:
        try:
            allowed = os.sched_getaffinity(0)
            free = allowed - busy
            if free:
                os.sched_setaffinity(0, free)
                os.sched_setaffinity(0, allowed)
                cpu = _current_cpu()
        except OSError:   # a sandbox that forbids it: the balancer will do it later
            return
    busy.add(cpu)


def run_tasks(kernel, args: tuple, tasks: int, work: int, offset: int = 0) -> None:
    """Call ``kernel(*args, first, last)`` on contiguous ranges covering ``offset + range(tasks)``.

    ``work`` (element-operations) decides how many threads are worth starting. The ranges are
    chunks, ``_CHUNKS_PER_THREAD`` per thread, that the threads take in turn as they finish
    the last: on a shared machine one thread can lose its core for milliseconds, and with one
    fixed half each the whole op would wait for it. Every output is computed the same way
    whoever computes it, under the caller's ``np.errstate``.
    """
    threads = min(_backend.num_threads(), tasks, max(1, work // _MIN_WORK_PER_THREAD))
    if threads <= 1:
        kernel(*args, offset, offset + tasks)
        return
    chunks = min(tasks, threads * _CHUNKS_PER_THREAD)
    bounds = [offset + tasks * t // chunks for t in range(chunks + 1)]
    turns = itertools.count()   # next() on a count is atomic under the GIL
    busy = {_current_cpu()}     # CPUs that a thread of this call runs on
    errors = np.geterr()        # the caller's floating-point state: NumPy keeps one per thread

    def work_through():
        while (t := next(turns)) < chunks:
            kernel(*args, bounds[t], bounds[t + 1])

    def worker():
        _spread(busy)
        with np.errstate(**errors):
            work_through()

    pool = _pool(threads - 1)
    futures = [pool.submit(worker) for _ in range(1, threads)]
    try:
        work_through()
    finally:
        for future in futures:
            future.result()
