"""The native store: a process under ``auto`` runs the kernels an earlier process compiled,
without importing numba (issue 18, point 2; ``ventanal/ops/_native.py``).

Each scenario runs in fresh interpreters sharing one numba cache directory (a temporary
``NUMBA_CACHE_DIR``, which also holds the store): a first child compiles the kernels (and
stores them), the next one loads them. Results are compared bit for bit with the NumPy path
(max pooling) and with numba's own kernels (the same machine code), and the path each call
took is counted. Nothing is timed.
"""

from __future__ import annotations

import pytest
from test_background_kernels import needs_numba, run_child

from ventanal.ops import _native

FILL = """
    for op in ("max", "avg", "conv", "winograd"):
        call(op)
    assert _backend.wait_for_background(timeout=600)
    print(sorted(os.listdir(os.path.join(os.environ["NUMBA_CACHE_DIR"], "ventanal-native"))))
"""


@needs_numba
def test_a_later_process_runs_the_stored_kernels_without_numba(tmp_path):
    done = run_child(tmp_path, FILL)
    stored = eval(done.stdout.strip().splitlines()[-1])   # noqa: S307  (our own output)
    assert sum(name.startswith("kernel-") for name in stored) >= 5   # transform + 4 ops
    assert sum(name.startswith("constants-") for name in stored) == 1
    done = run_child(tmp_path, """
        want = {op: forced("numpy", op) for op in OPS}
        for op in OPS:
            first, took_numpy = call(op)
            assert took_numpy, op
        assert _backend.wait_for_background(timeout=300)
        got = {}
        for op in OPS:
            got[op], took_numpy = call(op)
            assert not took_numpy, f"{op}: the stored kernel was not used"
        assert "numba" not in sys.modules, "the stored kernels imported numba"
        assert _backend.loaded_kernels().native
        # the result memory's functions came from the store too
        from ventanal.ops import memory
        try:
            from numpy._core.multiarray import get_handler_name
        except ImportError:   # NumPy 1.x
            from numpy.core.multiarray import get_handler_name
        assert get_handler_name(memory.empty((1 << 21,), np.float32)) == "ventanal_result_memory"
        assert same_bits(got["max"], want["max"])
        for op in OPS:
            np.testing.assert_allclose(got[op], want[op], rtol=2e-5, atol=2e-5)
        # numba's own kernels: the same code, the same bits
        for op in OPS:
            assert same_bits(forced("numba", op), got[op]), op
        print("ok")
    """)
    assert done.stdout.strip() == "ok"


@needs_numba
def test_arguments_the_store_lacks_are_compiled_by_numba_and_stored(tmp_path):
    run_child(tmp_path, FILL)
    body = """
        image64 = image.astype(np.float64)
        os.environ["VENTANAL_BACKEND"] = "numpy"
        want64 = vt.max_pool(image64, 2, padding="same")
        del os.environ["VENTANAL_BACKEND"]
        assert same_bits(vt.max_pool(image64, 2, padding="same"), want64)
        assert _backend.wait_for_background(timeout=600)
        before = len(numpy_calls)
        assert same_bits(vt.max_pool(image64, 2, padding="same"), want64)
        assert len(numpy_calls) == before, "the float64 kernel did not switch"
        print("numba" in sys.modules)
    """
    assert run_child(tmp_path, body).stdout.split() == ["True"]   # compiled by numba
    assert run_child(tmp_path, body).stdout.split() == ["False"]   # then from the store


@needs_numba
@pytest.mark.parametrize("damage", ["truncated", "garbage", "other settings"])
def test_a_damaged_or_stale_store_is_ignored(tmp_path, damage):
    run_child(tmp_path, FILL)
    store = tmp_path / "numba-cache" / "ventanal-native"
    settings = {}
    for path in store.iterdir():
        if damage == "truncated":
            path.write_bytes(path.read_bytes()[:200])
        elif damage == "garbage":
            path.write_bytes(b"\x7fELF" + bytes(range(256)) * 4)
    if damage == "other settings":   # entries made with other numba settings do not match
        settings["NUMBA_OPT"] = "2"
    done = run_child(tmp_path, """
        want = {op: forced("numpy", op) for op in OPS}
        for op in OPS:
            call(op)
        assert _backend.wait_for_background(timeout=600)
        for op in OPS:
            got, took_numpy = call(op)
            assert not took_numpy, op
            np.testing.assert_allclose(got, want[op], rtol=2e-5, atol=2e-5)
        kernels = _backend.loaded_kernels()
        assert not any(getattr(kernels, name).__dict__.get("functions") for name in
                       ("max_rows", "max_channels", "avg_channels", "conv_plane_tiles")), \
            "an entry was loaded"
        print("numba" in sys.modules)
    """, **settings)
    assert done.stdout.split() == ["True"]


def test_undefined_symbols_are_read_from_an_object():
    ll = pytest.importorskip("llvmlite.binding")
    ll.initialize_native_target()
    ll.initialize_native_asmprinter()
    module = ll.parse_assembly("""
        declare double @external_one(double)
        @external_two = external global i64
        define double @defined(double %x) {
            %y = call double @external_one(double %x)
            %z = load i64, i64* @external_two
            %w = sitofp i64 %z to double
            %s = fadd double %y, %w
            ret double %s
        }
    """)
    machine = ll.Target.from_default_triple().create_target_machine()
    if not ll.get_default_triple().endswith(("linux-gnu", "linux")):
        pytest.skip("the store reads ELF objects only")
    names = _native.undefined_symbols(machine.emit_object(module))
    assert sorted(names) == ["external_one", "external_two"]
    with pytest.raises(ValueError, match="not an ELF64"):
        _native.undefined_symbols(b"\x7fELF\x01\x01")


@needs_numba
def test_exit_right_after_the_switch_leaves_the_kernel_stored(tmp_path):
    """The store's copy is written as part of numba's cache write, which the interpreter's
    exit waits for: a process that exits as soon as its calls switched (the store's writes
    made slow here) leaves the kernel stored, and the next process runs it without numba."""
    run_child(tmp_path, """
        import time
        from ventanal.ops import _native
        write = _native._write
        def slow_write(path, value):
            time.sleep(0.5)
            write(path, value)
        _native._write = slow_write
        while call("max")[1]:    # until the call takes numba
            time.sleep(0.01)
    """)
    done = run_child(tmp_path, """
        call("max")
        assert _backend.wait_for_background(timeout=300)
        print(call("max")[1], "numba" in sys.modules)
    """)
    assert done.stdout.split() == ["False", "False"], done.stdout
