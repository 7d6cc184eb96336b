"""Memory of results: every result owns its memory; dead large results are recycled.

The pool is native code that NumPy calls when an array dies, so these tests check what a user
could see go wrong: a result sharing memory with a live one, wrong values in a recycled
block, memory kept beyond the limit, a crash when results die at interpreter exit, in a
forked child or on several threads.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading

import numpy as np
import pytest
from support import environment

import ventanal as vt
from ventanal import geometry
from ventanal.ops import _backend, memory, pool_dispatch

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="the pool is numba code")
BACKENDS = [pytest.param("numba", marks=needs_numba), "numpy"]
MIB = 1 << 20


def handler_name(y: np.ndarray) -> str:
    try:
        from numpy._core.multiarray import get_handler_name
    except ImportError:   # NumPy 1.x
        from numpy.core.multiarray import get_handler_name
    return get_handler_name(y)


def memory_of(y: np.ndarray) -> np.ndarray:
    """The array that owns ``y``'s memory (NumPy points a view's base at the owner): ops
    return views of the canonical (batch, depth, rows, columns, channels) array they fill."""
    return y if y.base is None else y.base


def pooled(x: np.ndarray) -> np.ndarray:
    """Max pooling of ``x`` (1, H, W, C) with a 1x1 window: a result as large as ``x``."""
    return pool_dispatch.max_pool(x, geometry.plan(x.shape[1:3], 1, 1))


@pytest.fixture
def numba_pool():
    """The numba backend with its pool loaded and empty, and emptied again afterwards."""
    with environment(VENTANAL_BACKEND="numba", VENTANAL_RESULT_CACHE_MB=None):
        kernels = _backend.numba_kernels(required=True)
        if kernels.result_memory is None:
            pytest.skip("this NumPy has no memory handler API")
        memory.release_idle()
        yield kernels.result_memory
        memory.release_idle()


@pytest.mark.parametrize("name", BACKENDS)
def test_results_own_their_memory(name):
    """Small and large results, pooling and convolution: each is an array that owns its
    memory, or a view of one that holds nothing else; no two share memory; values are right."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 1024, 1024, 8)).astype(np.float32)   # 32 MiB results
    with environment(VENTANAL_BACKEND=name, VENTANAL_RESULT_CACHE_MB=None):
        results = [vt.pool(np.ones((8, 8)), 2, strides=2),
                   vt.conv(np.ones((9, 9)), np.ones((3, 3))),
                   pooled(x), pooled(x * 2), vt.pool(x, 2, "AVG", data_format="NHWC")]
    for y in results:
        owner = memory_of(y)
        assert isinstance(owner, np.ndarray) and owner.flags.owndata and y.flags.writeable
        assert owner.nbytes == y.nbytes
    assert not np.shares_memory(results[2], results[3])
    np.testing.assert_array_equal(results[2], x)
    np.testing.assert_array_equal(results[3], x * 2)


@needs_numba
def test_dead_results_are_recycled_aligned_and_owned(numba_pool):
    x = np.random.default_rng(2).standard_normal((1, 1024, 1024, 8)).astype(np.float32)
    first = pooled(x)
    assert handler_name(memory_of(first)) == "ventanal_result_memory"
    assert first.ctypes.data % memory.ALIGNMENT == 0
    address = first.ctypes.data
    del first
    assert memory.idle_bytes() == x.nbytes
    again = pooled(x * 3)
    assert again.ctypes.data == address          # the dead result's memory, paged in already
    assert memory_of(again).flags.owndata and memory.idle_bytes() == 0
    np.testing.assert_array_equal(again, x * 3)


@needs_numba
def test_recycled_memory_is_never_shared_while_a_view_lives(numba_pool):
    x = np.random.default_rng(3).standard_normal((1, 1024, 1024, 8)).astype(np.float32)
    first = pooled(x)
    view = first[0, ::2]            # keeps the memory alive after `first` is gone
    kept = view.copy()
    del first
    assert memory.idle_bytes() == 0
    second, third = pooled(x * 2), pooled(x * 3)
    np.testing.assert_array_equal(view, kept)
    np.testing.assert_array_equal(second, x * 2)
    np.testing.assert_array_equal(third, x * 3)
    assert not np.shares_memory(second, third) and not np.shares_memory(view, second)


@needs_numba
def test_the_limit_bounds_the_idle_memory(numba_pool):
    shape = (8 * MIB // 4,)        # 8 MiB of float32
    with environment(VENTANAL_RESULT_CACHE_MB="20"):
        blocks = [memory.empty(shape, np.float32) for _ in range(4)]
        del blocks
        assert memory.idle_bytes() == 16 * MIB     # two of the four fit in 20 MiB
        big = memory.empty((32 * MIB,), np.uint8)  # larger than the limit: never kept
        del big
        assert memory.idle_bytes() == 16 * MIB
    with environment(VENTANAL_RESULT_CACHE_MB="8"):
        memory.empty((4,), np.uint8)               # a call with a lower limit trims
        assert memory.idle_bytes() == 8 * MIB
    with environment(VENTANAL_RESULT_CACHE_MB="0"):
        y = memory.empty(shape, np.float32)
        assert memory.idle_bytes() == 0
        del y
        assert memory.idle_bytes() == 0            # 0 keeps nothing
    memory.empty(shape, np.float32)
    memory.release_idle()
    assert memory.idle_bytes() == 0


@needs_numba
def test_a_result_can_be_resized_and_pickled(numba_pool):
    import pickle

    y = memory.empty((4 * MIB,), np.uint8)
    y[:10] = np.arange(10)
    y.resize((10,), refcheck=False)      # NumPy reallocates through the pool's handler
    np.testing.assert_array_equal(y, np.arange(10))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(y)), np.arange(10))
    del y
    assert memory.idle_bytes() == 0      # a block shrunk under a MiB goes back to libc


@needs_numba
def test_threads_allocating_and_freeing_at_once_get_their_own_memory(numba_pool):
    failures = []

    def work(seed):
        x = np.full((1, 512, 512, 16), float(seed), np.float32)   # 16 MiB
        for _ in range(20):
            y = pooled(x)
            if not (y == seed).all():
                failures.append(seed)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


@pytest.mark.parametrize("name", BACKENDS)
def test_a_bad_result_cache_size_is_one_clear_error_at_the_call(name):
    for value in ["nan", "inf", "-inf", "-1", "lots", "1e400"]:
        with environment(VENTANAL_BACKEND=name, VENTANAL_RESULT_CACHE_MB=value), pytest.raises(
                ValueError, match=r"VENTANAL_RESULT_CACHE_MB must be a number of MiB >= 0.*got"):
            vt.pool(np.ones((4, 4)), 2)
        with environment(VENTANAL_RESULT_CACHE_MB=value), pytest.raises(ValueError, match="MiB"):
            memory.empty((1 << 21,), np.float32)


@needs_numba
def test_results_alive_at_exit_or_in_a_forked_child_die_cleanly():
    """Results still alive when the interpreter exits (in globals, in a cycle, in a thread's
    frame) and results freed in a forked child call the pool's native code as they die: the
    processes must end with status 0 and print nothing."""
    code = """
import os, sys, threading, numpy as np
os.environ["VENTANAL_BACKEND"] = "numba"
import ventanal as vt
from ventanal import geometry
from ventanal.ops import pool_dispatch
x = np.ones((1, 1024, 1024, 4), np.float32)
plan = geometry.plan((1024, 1024), 1, 1)
kept = [pool_dispatch.max_pool(x, plan) for _ in range(3)]
cycle = [pool_dispatch.max_pool(x, plan)]
cycle.append(cycle)
del kept[0]                                   # one idle block in the pool at the fork
if hasattr(os, "fork"):
    pid = os.fork()
    if pid == 0:
        del kept[:]
        y = pool_dispatch.max_pool(x * 2, plan)
        os._exit(0 if (y == 2).all() else 3)
    assert os.waitpid(pid, 0)[1] == 0
alive = threading.Event()
def hold():
    y = pool_dispatch.max_pool(x, plan)
    alive.set()
    threading.Event().wait()
threading.Thread(target=hold, daemon=True).start()
alive.wait()
print("done")
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "done\n" and run.stderr == ""
