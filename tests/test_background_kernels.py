"""Under ``VENTANAL_BACKEND=auto`` no call waits for numba (issue 18, point 1).

The first large call of a process runs on the NumPy path while a background thread imports
numba and loads (or compiles) the kernels; later calls switch to them. These tests run each
scenario in a fresh interpreter with an empty numba cache (``NUMBA_CACHE_DIR`` in a temporary
directory, so every kernel is compiled, the slowest case) and check *which path* each call
took (the NumPy path's functions are counted) and that every result is the one that path
gives when forced (``VENTANAL_BACKEND=numpy`` or ``numba``), bit for bit. Nothing is timed.

Also: interpreter exit and ``fork`` with a job under way, numba absent, and the guard itself
on a stand-in dispatcher (in this process).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from ventanal.ops import _backend, call_types

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")

# Shared by the child scripts: inputs large enough for auto to want numba, each op's result
# under a forced backend, and a count of the calls that took the NumPy path.
PRELUDE = textwrap.dedent("""
    import os, sys
    import numpy as np
    import ventanal as vt
    from ventanal.ops import _backend, _numpy_conv, _numpy_pool

    numpy_calls = []

    def counting(module, name):
        original = getattr(module, name)
        def counted(*args, **kwargs):
            numpy_calls.append(name)
            return original(*args, **kwargs)
        setattr(module, name, counted)

    for module, name in ((_numpy_pool, "max_pool"), (_numpy_pool, "avg_pool"),
                         (_numpy_conv, "conv")):
        counting(module, name)

    rng = np.random.default_rng(5)
    image = rng.random((2048, 2048), dtype=np.float32)
    image[7, 9] = np.nan
    batch = rng.random((8, 256, 256, 16), dtype=np.float32)
    kernel = rng.standard_normal((3, 3)).astype(np.float32)
    # many channels: Winograd, whose op calls two kernels (the filter transform first)
    channels = rng.random((2, 28, 30, 32), dtype=np.float32)
    filters = rng.standard_normal((3, 3, 32, 64)).astype(np.float32)
    OPS = {
        "max": lambda: vt.max_pool(image, 2, padding="same"),
        "avg": lambda: vt.avg_pool(batch, 2, padding="same"),
        "conv": lambda: vt.conv(image[:1024, :1024], kernel, padding="SAME"),
        "winograd": lambda: vt.conv(channels, filters, padding="SAME"),
    }

    def forced(backend, op):
        os.environ["VENTANAL_BACKEND"] = backend
        try:
            return OPS[op]()
        finally:
            os.environ.pop("VENTANAL_BACKEND")

    def same_bits(a, b):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()

    def call(op):
        \"\"\"(result, took the NumPy path) of one call under auto.\"\"\"
        before = len(numpy_calls)
        result = OPS[op]()
        return result, len(numpy_calls) > before
""")


def run_child(tmp_path, body: str, timeout: float = 600,
              **env_changes) -> subprocess.CompletedProcess:
    """Run PRELUDE + ``body`` in a fresh interpreter with an empty numba cache under auto."""
    env = {key: value for key, value in os.environ.items() if key != "VENTANAL_BACKEND"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")
    env.update(env_changes)
    script = tmp_path / "child.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done


@needs_numba
def test_first_call_takes_the_numpy_path_and_later_calls_numba(tmp_path):
    done = run_child(tmp_path, """
        want = forced("numpy", "max")
        assert "numba" not in sys.modules, "the NumPy backend imported numba"
        first, took_numpy = call("max")
        assert took_numpy, "the first call under auto did not take the NumPy path"
        assert same_bits(first, want)
        # the kernels load after the call returned, on a daemon thread, and the call is
        # rehearsed there up to its kernel, which compiles
        assert _backend.wait_for_background(timeout=300)
        assert "numba" in sys.modules and _backend.numba_kernels() is not None
        second, took_numpy = call("max")
        assert not took_numpy, "the kernels are loaded, yet the call took the NumPy path"
        assert same_bits(second, want)
        # a call with other types (float64) asks for its own kernel: compiled in the
        # background while that call and the next take the NumPy path
        image64 = image.astype(np.float64)
        os.environ["VENTANAL_BACKEND"] = "numpy"
        want64 = vt.max_pool(image64, 2, padding="same")
        del os.environ["VENTANAL_BACKEND"]
        before = len(numpy_calls)
        assert same_bits(vt.max_pool(image64, 2, padding="same"), want64)
        assert len(numpy_calls) == before + 1
        assert _backend.wait_for_background(timeout=300)
        assert same_bits(vt.max_pool(image64, 2, padding="same"), want64)
        assert len(numpy_calls) == before + 1, "float64 did not switch to numba"
        assert same_bits(forced("numba", "max"), want)
        print("ok")
    """)
    assert done.stdout.strip() == "ok"
    assert "Traceback" not in done.stderr


@needs_numba
def test_a_warm_cache_loads_without_numba_registries(tmp_path):
    """With numba's cache warm, the background loads the kernels without importing numba's
    typing and lowering registries (its NumPy and linear algebra implementations: what a
    compilation needs, not a cache load); a kernel missing from the cache still compiles,
    and numba's own cache loading is back as it was afterwards."""
    run_child(tmp_path, """
        forced("numba", "max")   # fills the cache (the same directory for both children)
    """)
    # numba's cache only: without the native store's copy (test_native_store.py)
    shutil.rmtree(tmp_path / "numba-cache" / "ventanal-native")
    done = run_child(tmp_path, """
        from numba.core import caching
        want = forced("numpy", "max")
        first, took_numpy = call("max")
        assert took_numpy and same_bits(first, want)
        assert _backend.wait_for_background(timeout=300)
        second, took_numpy = call("max")
        assert not took_numpy and same_bits(second, want)
        assert "numba.np.linalg" not in sys.modules, "a cache load imported the registries"
        # the result memory pool loaded with the kernels
        from ventanal.ops import memory
        try:
            from numpy._core.multiarray import get_handler_name
        except ImportError:   # NumPy 1.x
            from numpy.core.multiarray import get_handler_name
        assert _backend.loaded_kernels().result_memory is not None
        assert get_handler_name(memory.empty((1 << 21,), np.float32)) == "ventanal_result_memory"
        assert caching.Cache.load_overload.__module__ == "numba.core.caching"
        image64 = image.astype(np.float64)        # not in the cache: compiled
        want64 = vt.max_pool(image64, 2, padding="same")
        assert _backend.wait_for_background(timeout=300)
        before = len(numpy_calls)
        assert same_bits(vt.max_pool(image64, 2, padding="same"), want64)
        assert len(numpy_calls) == before, "float64 did not compile"
        assert "numba.np.linalg" in sys.modules
        print("ok")
    """)
    assert done.stdout.strip() == "ok"


@needs_numba
def test_every_result_is_right_while_the_switch_happens_mid_sequence(tmp_path):
    """A sequence of max, average and convolution calls in which the background jobs are
    let finish half way: every result is bit for bit the one of the path it took, the max
    pools are the same on both paths, and both paths did run."""
    done = run_child(tmp_path, """
        numpy_want = {op: forced("numpy", op) for op in OPS}
        paths = []
        for step in range(8):
            if step == 3:
                # the switch, forced here: the kernels load and the calls of step 0 are
                # rehearsed up to their kernels, which compile (a cold cache: seconds)
                assert _backend.wait_for_background(timeout=300)
            for op in OPS:
                result, took_numpy = call(op)
                paths.append((step, op, took_numpy, result))
        # forcing numba compiles in the foreground: only now, after the sequence
        numba_want = {op: forced("numba", op) for op in OPS}
        assert same_bits(numpy_want["max"], numba_want["max"])
        for step, op, took_numpy, result in paths:
            want = (numpy_want if took_numpy else numba_want)[op]
            assert same_bits(result, want), (step, op, took_numpy)
        took = [(step, op, took_numpy) for step, op, took_numpy, _ in paths]
        assert all(numpy for step, _, numpy in took if step == 0), took
        assert not any(numpy for step, _, numpy in took if step >= 3), took
        print("ok")
    """)
    assert done.stdout.strip() == "ok"


@needs_numba
def test_the_switch_in_a_fresh_process_under_auto_only(tmp_path):
    """Without any forced call first, the process reaches numba by itself: each call runs on
    one of the two paths, gives that path's result, and after the background is done the
    calls take numba."""
    done = run_child(tmp_path, """
        results = []
        for step in range(3):
            for op in OPS:
                results.append((op, *call(op)))
            _backend.wait_for_background(timeout=300)
        assert all(took for op, _, took in results[:3]), "first calls: NumPy path"
        assert not any(took for op, _, took in results[-3:]), "last calls: numba"
        numpy_want = {op: forced("numpy", op) for op in OPS}
        numba_want = {op: forced("numba", op) for op in OPS}
        for op, result, took_numpy in results:
            assert same_bits(result, (numpy_want if took_numpy else numba_want)[op]), op
        print("ok")
    """)
    assert done.stdout.strip() == "ok"


@needs_numba
def test_interpreter_exit_with_a_job_under_way_is_clean(tmp_path):
    done = run_child(tmp_path, """
        call("max")
        assert _backend.wait_for_background(timeout=300)
        call("conv")          # queues the compilation of a conv kernel (a cold cache: seconds)
        call("max")           # and one of max pooling, behind it
        assert not _backend.wait_for_background(timeout=0.01), "nothing was under way"
        print("leaving")
    """)
    assert done.stdout.strip() == "leaving"
    assert done.stderr == "", done.stderr


@needs_numba
def test_exit_right_after_the_switch_lets_the_cache_be_written(tmp_path):
    """numba makes a kernel callable before it writes it to its cache: a process that exits
    as soon as its calls switched (writes made slow here) still leaves the kernel cached, and
    the next process loads it instead of compiling."""
    run_child(tmp_path, """
        import time
        from numba.core import caching
        save = caching.IndexDataCacheFile.save
        def slow_save(self, key, data):
            time.sleep(1.0)
            save(self, key, data)
        caching.IndexDataCacheFile.save = slow_save
        while call("max")[1]:    # until the call takes numba
            time.sleep(0.01)
    """)
    done = run_child(tmp_path, """
        from ventanal.ops import _numba_pooling
        forced("numba", "max")
        stats = _numba_pooling.max_rows.stats
        print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
    """)
    assert done.stdout.split() == ["1", "0"], done.stdout


@needs_numba
def test_fork_while_compiling_leaves_children_on_the_numpy_path(tmp_path):
    """A 'fork' pool started while the background thread compiles: the children (which have
    no such thread, and may have inherited numba's compiler lock held) compute every op
    right, with the kernel compiled before the fork (max) and on the NumPy path for the
    others; the parent goes on to numba."""
    done = run_child(tmp_path, """
        import multiprocessing

        def child_op(op):
            result, took_numpy = call(op)
            return op, result, took_numpy

        numpy_want = {op: forced("numpy", op) for op in OPS}
        call("max")
        assert _backend.wait_for_background(timeout=300)
        call("conv")                                   # a cold compile, under way...
        assert not _backend.wait_for_background(timeout=0.01)
        with multiprocessing.get_context("fork").Pool(2) as pool:   # ... during the fork
            answers = pool.map_async(child_op, ["max", "avg", "conv"] * 2).get(timeout=300)
        for op, result, took_numpy in answers:
            assert took_numpy or op == "max", op
            assert same_bits(result, numpy_want[op]), op
        assert _backend.wait_for_background(timeout=300)
        for op in OPS:
            call(op)
        assert _backend.wait_for_background(timeout=300)
        for op in OPS:
            result, took_numpy = call(op)
            assert not took_numpy, op
        print("ok")
    """)
    assert done.stdout.strip() == "ok"


def test_numba_absent_means_the_numpy_path_without_error(tmp_path):
    """numba that cannot be imported (``sys.modules['numba'] = None``, as in a sitecustomize):
    auto takes the NumPy path, silently; ``VENTANAL_BACKEND=numba`` names the problem."""
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['numba'] = None\n")
    done = run_child(tmp_path, """
        want = {op: forced("numpy", op) for op in OPS}
        for step in range(2):
            for op in OPS:
                result, took_numpy = call(op)
                assert took_numpy and same_bits(result, want[op]), op
            assert _backend.wait_for_background(timeout=60)
        assert _backend.active(1 << 40) == "numpy"
        os.environ["VENTANAL_BACKEND"] = "numba"
        try:
            OPS["max"]()
        except ImportError as error:
            assert "numba" in str(error)
        else:
            raise AssertionError("VENTANAL_BACKEND=numba without numba did not raise")
        print("ok")
    """, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    assert done.stdout.strip() == "ok"
    assert done.stderr == "", done.stderr


# ---------------------------------------------------------------------------------------------
# The guard, on a stand-in for a numba dispatcher (in this process)
# ---------------------------------------------------------------------------------------------

class StandInDispatcher:
    """What Guarded uses of a numba dispatcher: ``typeof_pyval``, ``overloads``, ``compile``."""

    def __init__(self, fail: bool = False):
        self.overloads: dict = {}
        self.compiled: list = []
        self.fail = fail

    def typeof_pyval(self, value):
        return type(value).__name__

    def compile(self, signature):
        self.compiled.append(signature)
        if self.fail:
            raise RuntimeError("this signature does not compile")
        self.overloads[signature] = "machine code"


def op_running(kernel):
    """An op that runs ``kernel`` and takes "the NumPy path" while it is not compiled."""
    @_backend.starts_background
    def op(*args):
        try:
            return kernel(*args)
        except _backend.KernelsNotReady:
            return "numpy path"
    return op


def test_guard_queues_a_compilation_and_raises_until_it_is_done(monkeypatch):
    monkeypatch.delenv("VENTANAL_BACKEND", raising=False)
    dispatcher = StandInDispatcher()
    kernel = _backend.Guarded(lambda *args: ("ran", args), dispatcher)

    op = op_running(kernel)
    assert op(1, 2.0) == "numpy path"
    assert _backend.wait_for_background(timeout=60)
    assert dispatcher.compiled == [("int", "float")]
    assert op(1, 2.0) == ("ran", (1, 2.0))
    assert op(1, "other types") == "numpy path"          # a new signature: compiled next
    assert _backend.wait_for_background(timeout=60)
    assert op(1, "other types") == ("ran", (1, "other types"))
    # outside an op the kernel runs (numba compiles there)
    assert kernel(1.5) == ("ran", (1.5,))
    assert dispatcher.compiled == [("int", "float"), ("int", "str")]
    # under VENTANAL_BACKEND=numba the guard compiles (or loads) the kernel, then runs it
    monkeypatch.setenv("VENTANAL_BACKEND", "numba")
    assert op(b"bytes") == ("ran", (b"bytes",))
    assert dispatcher.compiled == [("int", "float"), ("int", "str"), ("bytes",)]
    assert op(b"bytes") == ("ran", (b"bytes",))            # once
    assert dispatcher.compiled == [("int", "float"), ("int", "str"), ("bytes",)]


def test_guard_does_not_retry_a_failed_compilation(monkeypatch):
    monkeypatch.delenv("VENTANAL_BACKEND", raising=False)
    dispatcher = StandInDispatcher(fail=True)
    kernel = _backend.Guarded(lambda *args: "ran", dispatcher)

    op = op_running(kernel)
    for _ in range(3):
        assert op(frozenset()) == "numpy path"
        assert _backend.wait_for_background(timeout=60)
    assert dispatcher.compiled == [("frozenset",)]


def test_background_jobs_start_only_when_the_op_returns(monkeypatch):
    """A job queued during an op waits for the op to return (the op's time is the NumPy
    path's alone); queued outside an op, it starts at once."""
    monkeypatch.delenv("VENTANAL_BACKEND", raising=False)
    dispatcher = StandInDispatcher()
    kernel = _backend.Guarded(lambda *args: "ran", dispatcher)
    seen = []

    @_backend.starts_background
    def op():
        with pytest.raises(_backend.KernelsNotReady):
            kernel(3j)
        # the job cannot run before this op returns
        seen.append(_backend.wait_for_background(timeout=0.2))
        seen.append(list(dispatcher.compiled))

    op()
    assert seen == [False, []]
    assert _backend.wait_for_background(timeout=60)
    assert dispatcher.compiled == [("complex",)]


def test_fingerprint_tells_apart_what_numba_types_tell_apart():
    """The guard's cheap key for "these argument types were found compiled" differs wherever
    numba's types differ (dtype, rank, layout, writeability) and not for mere sizes."""
    import numpy as np

    def key(*args):
        return call_types.fingerprint(args)

    a = np.zeros((4, 6), np.float32)
    readonly = a.copy()
    readonly.flags.writeable = False
    kinds = [a, a.astype(np.float64), a[None], np.asfortranarray(a), a[:, ::2], readonly]
    assert len({key(kind) for kind in kinds}) == len(kinds)
    assert key(np.ones((9, 2), np.float32)) == key(a)
    assert len({key(value) for value in (True, 1, 1.0, np.float32(1), np.int64(1))}) == 5
    assert key(1 << 70) != key(1)
    assert key("text") is None
