"""Regression tests of issue 17, items 3, 4, 5 and 7: memory follows the output, corrupt
input is an error, only ValueError/TypeError leave the public API, Flatten owns its result.

Each test failed before the fix (a MemoryError, an OverflowError, a silently loaded
truncated file, a view into the caller's input...). docs/reliability.md lists them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

import ventanal as vt
from ventanal import geometry
from ventanal.ops import canvas

sys.path.insert(0, str(Path(__file__).parent))
import hostile_files  # noqa: E402
import reference  # noqa: E402
from support import environment  # noqa: E402

MIB = 1 << 20




def peak_bytes(function):
    """(result, peak bytes traced while ``function`` ran)."""
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------------
# item 3: memory follows the output, not the arguments
# ---------------------------------------------------------------------------

def test_huge_dilation_pools_a_tiny_input_in_tiny_memory():
    # Before: MemoryError, 7.45 GiB for a padded canvas of 10**9 cells.
    x = np.arange(16.0).reshape(4, 4)
    y, peak = peak_bytes(lambda: vt.pool(x, 2, padding="SAME", dilations=10 ** 9))
    assert y.shape == (4, 4) and np.all(y == -np.inf)   # every tap lands in padding
    assert peak < 4 * MIB
    # Windows that do reach the input: values equal the readable reference.
    z, peak = peak_bytes(lambda: vt.pool(x, 2, "AVG", padding=[(0, 10 ** 9), (1, 1)],
                                         dilations=(10 ** 9, 1)))
    expected = reference.pool_reference(x[None, ..., None], (2, 2), "AVG", 1,
                                        [(0, 10 ** 9), (1, 1)], (10 ** 9, 1))[0, ..., 0]
    np.testing.assert_allclose(z, expected)
    assert peak < 4 * MIB


@pytest.mark.parametrize("dilation", [5, 10 ** 7])
def test_gathering_keeps_zero_times_inf_nan(dilation):
    # Tap 1 reads only padding; its weight is inf: 0 * inf = NaN in every output, whether the
    # padded canvas is built (small dilation) or the cells read are gathered (huge one).
    w = np.array([1.0, np.inf]).reshape(2, 1, 1)
    y = vt.conv(np.ones((1, 4, 1)), w, padding=[(0, dilation)], dilations=dilation)
    assert y.shape == (1, 4, 1) and np.isnan(y).all()
    assert canvas.gathers(geometry.plan((4,), 2, 1, [(0, dilation)], dilation),
                          (1, 4, 1)) == (dilation > 10 ** 6)


def test_gathered_results_equal_the_reference(monkeypatch):
    # Force the gathering path on ordinary problems: it must give the reference's numbers.
    monkeypatch.setattr(canvas, "_CANVAS_FACTOR", -1)
    monkeypatch.setattr(canvas, "_CANVAS_SLACK", 0)
    rng = np.random.default_rng(17)
    for _ in range(40):
        shape = tuple(int(v) for v in rng.integers(1, 6, 2))
        k, s, d = (tuple(int(v) for v in rng.integers(1, 4, 2)) for _ in range(3))
        pad = [tuple(int(v) for v in rng.integers(0, 4, 2)) for _ in range(2)]
        x = rng.normal(size=(2, *shape, 3))
        try:
            got = vt.pool(x, k, "MAX", s, pad, dilations=d)
        except ValueError:
            continue
        np.testing.assert_array_equal(got, reference.pool_reference(x, k, "MAX", s, pad, d))
        np.testing.assert_allclose(vt.pool(x, k, "AVG", s, pad, dilations=d),
                                   reference.pool_reference(x, k, "AVG", s, pad, d))
        w = rng.normal(size=(*k, 3, 2))
        np.testing.assert_allclose(vt.conv(x, w, s, pad, dilations=d),
                                   reference.conv_reference(x, w, s, pad, d), atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda: vt.pool(np.ones((4, 4)), 2, padding=10 ** 9),
    lambda: vt.conv(np.ones((4, 4)), np.ones((3, 3)), padding=10 ** 5),
    lambda: vt.max_pool(np.ones((1, 4, 4, 1)), 1, strides=1, padding=10 ** 6),
])
def test_huge_outputs_are_refused_before_allocating(call):
    # Before: MemoryError asking for 298 GiB, or NumPy's "Maximum allowed dimension exceeded".
    with pytest.raises(ValueError, match=r"needs about \d+ MiB.*VENTANAL_MAX_MB") as info:
        _, peak = peak_bytes(call)
    assert "\n" not in str(info.value)


def test_the_memory_budget_is_the_environment_variable():
    x = np.ones((1, 64, 64, 1))
    with environment(VENTANAL_MAX_MB="0.01"):
        with pytest.raises(ValueError, match="limit of 0 MiB"):
            vt.pool(x, 2)
    with environment(VENTANAL_MAX_MB="1"):
        assert vt.pool(x, 2).shape == (1, 63, 63, 1)
    for bad in ("nan", "inf", "-1", "0", "lots"):
        with environment(VENTANAL_MAX_MB=bad), pytest.raises(ValueError,
                                                              match="VENTANAL_MAX_MB must be"):
            vt.pool(x, 2)


def test_sizes_past_2_to_the_40_are_refused_not_wrapped():
    with pytest.raises(ValueError, match=r"`strides` must be at most 2\*\*40"):
        vt.pool(np.ones((4, 4)), 2, strides=2 ** 63)          # before: OverflowError
    with pytest.raises(ValueError, match="`input_shape`"):
        vt.output_shape((2 ** 70,), 3)                         # before: a 2**70 answer
    with pytest.raises(ValueError, match="`padding`"):
        vt.padding_amounts((5,), 3, padding=-(2 ** 64))
    assert vt.output_shape((2 ** 40,), 3, strides=2 ** 40) == (1,)


def test_cells_read_needs_no_table_of_every_window():
    axis = geometry.plan((397,), 2, 2, 99_999_999_999).axes[0]     # 10**11 windows
    read, peak = peak_bytes(lambda: geometry.cells_read(axis))
    assert read.all() and peak < MIB
    assert axis.window_taps(axis.output - 1, 390, 500).tolist() == []


def test_show_shapes_of_a_huge_dilation_is_quick_and_small():
    # Before: minutes and 2.8 GB (a patch per padded cell), or a FreeType raster overflow.
    import matplotlib.pyplot as plt

    for kwargs in ({"dilations": 10 ** 6}, {"padding": 99_999_999_999},
                   {"window": 10 ** 6}):
        fig, peak = peak_bytes(lambda kw=kwargs: vt.viz.show_shapes((397,), **kw))
        fig.canvas.draw()
        assert peak < 64 * MIB
        assert sum(len(ax.patches) for ax in fig.axes) < 2000
        plt.close(fig)


def test_npy_headers_are_checked_before_loading(tmp_path):
    from ventanal.cli.arguments import UsageError, load_npy

    files = {h.path.name: h.path for h in hostile_files.npy_corpus(tmp_path)}
    with pytest.raises(UsageError, match="100000, 100000.*VENTANAL_MAX_MB"):
        load_npy(str(files["huge_header.npy"]), "IMAGE")
    assert load_npy(str(files["valid.npy"]), "IMAGE").shape == (8, 8)


def test_keras_weights_are_refused_from_the_archive_sizes(tmp_path):
    pytest.importorskip("h5py")
    files = {h.path.name: h.path for h in hostile_files.keras_corpus(tmp_path)}
    with environment(VENTANAL_MAX_MB="1"):
        with pytest.raises(ValueError, match="would inflate to 4.* VENTANAL_MAX_MB"):
            vt.Sequential.from_keras(files["oversized_weights.keras"])
        with pytest.raises(ValueError, match=r"huge_filters.*\(3, 3, 1, 20000000\)"):
            vt.Sequential.from_keras(files["huge_filters.keras"])
    assert vt.Sequential.from_keras(files["oversized_weights.keras"]).output_shape == \
        (None, 4, 4, 2)


def test_load_image_default_limit_is_pillows_and_bombs_are_refused_first(tmp_path):
    assert vt.data.DEFAULT_MAX_PIXELS == 89_478_485
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(hostile_files.png_bytes(9500, 9500))     # 90.25 Mpx in ~100 bytes
    with pytest.raises(ValueError, match="9500x9500 = 90250000 pixels"):
        _, peak = peak_bytes(lambda: vt.data.load_image(bomb))


def test_load_image_peak_memory(tmp_path):
    # Before: about 29 bytes per pixel for a gray result of an RGB PNG (float copies of the
    # whole image); now the decoded samples, the result and one band of rows.
    from PIL import Image

    path = tmp_path / "rgb.png"
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((1500, 2000, 3)) * 255).astype(np.uint8)).save(path)
    script = textwrap.dedent(f"""
        import resource, ventanal.data as vd
        from PIL import Image
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        image = vd.load_image({str(path)!r})
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024 / image.size)
    """)
    per_pixel = float(subprocess.run([sys.executable, "-c", script], capture_output=True,
                                     text=True, check=True).stdout)
    assert per_pixel < 20


# ---------------------------------------------------------------------------
# item 4: corrupt input is an error, not data
# ---------------------------------------------------------------------------

def test_truncated_and_non_finite_images_are_refused_without_warnings(tmp_path):
    files = {h.path.name: h for h in hostile_files.image_corpus(tmp_path)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("truncated_idat_crc.png", "no_iend.png", "inf.tif", "minus_inf.tif"):
            with pytest.raises(ValueError, match=name):
                vt.data.load_image(files[name].path)
        nan = vt.data.load_image(files["nan.tif"].path)
    assert nan[5, 5] == 0 and np.isfinite(nan).all()


@pytest.mark.parametrize("call", [
    lambda m: vt.pool(m, 2), lambda m: vt.conv(m, np.ones((2, 2))),
    lambda m: vt.max_pool(m), lambda m: vt.extract(m, "edge"),
])
def test_masked_arrays_are_refused_not_unmasked(call):
    masked = np.ma.masked_array(np.ones((6, 6)), mask=np.eye(6))
    with pytest.raises(TypeError, match="masked array.*filled"):
        call(masked)


# ---------------------------------------------------------------------------
# item 5: only ValueError / TypeError leave the public API
# ---------------------------------------------------------------------------

def test_the_exceptions_of_the_issue_are_value_errors():
    k = vt.data.gaussian(5, std=1e300)                    # before: OverflowError
    np.testing.assert_allclose(k, np.full((5, 5), 1 / 25))
    with pytest.raises(ValueError, match="`input_shape`"):
        vt.viz.show_shapes(input_shape=())                 # before: ZeroDivisionError
    with pytest.raises(ValueError, match="empty Sequential"):
        vt.Sequential().pop()                              # before: IndexError


def test_every_hostile_keras_file_is_one_value_error_naming_it(tmp_path):
    pytest.importorskip("h5py")
    with environment(VENTANAL_MAX_MB="1"):
        for entry in hostile_files.keras_corpus(tmp_path):
            if entry.expect == "ok":
                assert vt.Sequential.from_keras(entry.path).layers
                continue
            with pytest.raises(ValueError) as info:
                vt.Sequential.from_keras(entry.path)
            assert entry.path.name in str(info.value), (entry.why, str(info.value))
            assert "\n" not in str(info.value)


def test_a_bad_result_cache_size_is_reported_by_the_op_that_meets_it():
    x = np.ones((1, 8, 8, 1))
    for bad in ("nan", "inf", "-1", "text"):
        with environment(VENTANAL_RESULT_CACHE_MB=bad), pytest.raises(
                ValueError, match="VENTANAL_RESULT_CACHE_MB"):
            vt.pool(x, 2, "AVG")


# ---------------------------------------------------------------------------
# item 7: Flatten returns a new array
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten_does_not_return_a_view_of_its_input(data_format):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    before = x.copy()
    for y in (vt.layers.Flatten(data_format)(x),
              vt.Sequential([vt.layers.Flatten(data_format)])(x)):
        assert not np.shares_memory(x, y)
        y[...] = -1
        np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
def test_empty_input_with_a_huge_padding_is_an_empty_result(kind):
    # Found by the long fuzz run: AVG built its divisor over the whole output grid
    # (2**41 windows) although the batch is empty.
    x = np.zeros((0, 1, 0))
    y = vt.pool(x, [2], kind, [2], 2 ** 40)
    assert y.shape == (0, 2 ** 40, 0)   # (1 + 2 * 2**40 - 2) // 2 + 1 windows
    assert y.dtype == vt.pool(np.zeros((1, 4, 1)), [2], kind, [2]).dtype
