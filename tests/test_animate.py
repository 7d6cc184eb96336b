"""GIF animations of sliding windows: frames, sizes, contents, outputs, files, speed."""

from __future__ import annotations

import time

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

import ventanal as vt  # noqa: E402
from ventanal.viz import CASES, animate, animate_case  # noqa: E402
from ventanal.viz.palette import EMPTY, HIGHLIGHT  # noqa: E402

GRID5 = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
KERNEL3 = [[0, 1, 2], [2, 2, 0], [0, 1, 2]]
SEQUENCE = [1, 9, -1, -2, 7, 3, -1, 2]


def rgb(frame) -> np.ndarray:
    return np.asarray(frame.convert("RGB"))


def highlight_box(frame, region) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1) of the highlight colour inside ``region``."""
    x0, y0, x1, y1 = region
    pixels = rgb(frame)[y0:y1, x0:x1]
    ys, xs = np.nonzero((pixels == HIGHLIGHT).all(axis=-1))
    if not len(xs):
        return None
    return (x0 + xs.min(), y0 + ys.min(), x0 + xs.max(), y0 + ys.max())


# ---------------------------------------------------------------------------
# outputs: the ops' results, for every case of the convolution-arithmetic guide
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, shape", [
    ("no-padding", (3, 3)), ("same", (5, 5)), ("full", (7, 7)), ("strides", (2, 2)),
    ("padded-strides", (3, 3)), ("dilation", (3, 3)), ("max-pool", (3, 3)),
    ("stride-gt-window", (3, 3)), ("sequence", (4,)), ("sequence-conv", (6,))])
def test_cases_output_equals_the_ops(name, shape):
    animation = animate_case(name)
    case = CASES[name]
    source = case["input"]() if callable(case["input"]) else case["input"]
    if case.get("op", "conv") == "conv":
        expected = vt.conv(source, case["kernel"], strides=case.get("strides", 1),
                           padding=case.get("padding", "VALID"),
                           dilations=case.get("dilations", 1))
    else:
        window = (case["window_shape"],) * np.ndim(source)
        expected = vt.pool(source, window, case["op"].upper(), strides=case.get("strides"),
                           padding=case.get("padding", "VALID"))
    assert animation.output.shape == shape
    np.testing.assert_array_equal(animation.output, expected)
    # One frame per output cell, then the finished output.
    assert len(animation) == int(np.prod(shape)) + 1
    assert len(animation.durations) == len(animation)
    assert animation.durations[-1] > animation.durations[0]
    assert len({frame.size for frame in animation.frames}) == 1


def test_known_numbers():
    assert animate_case("no-padding").output.astype(int).tolist() == \
        [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    assert animate_case("sequence").output.tolist() == [9, -1, 7, 2]
    assert animate_case("sequence-conv").output.tolist() == [16, 1, 16, 21, 10, 7]


# ---------------------------------------------------------------------------
# frame contents
# ---------------------------------------------------------------------------

def test_first_frame_highlights_the_first_window_and_last_frame_the_full_output():
    animation = animate(GRID5, KERNEL3, padding="SAME")
    layout = animation.info["layout"]
    cell = layout["cell"]
    (ix, iy), (ox, oy) = layout["input_origin"], layout["output_origin"]
    # The first window covers the padded cells -1..1 on both axes: drawn from the origin.
    box = highlight_box(animation.frames[0], (ix - 4, iy - 4, ix + 8 * cell, iy + 8 * cell))
    assert box is not None
    assert abs(box[0] - ix) <= 1 and abs(box[1] - iy) <= 1
    assert abs(box[2] - (ix + 3 * cell)) <= 1 and abs(box[3] - (iy + 3 * cell)) <= 1
    # Output: only cell (0, 0) is filled in frame 0; all are in the last frame.
    first, last = rgb(animation.frames[0]), rgb(animation.frames[-1])
    for i in range(5):
        for j in range(5):
            corner = (oy + i * cell + 4, ox + j * cell + 4)
            assert (tuple(last[corner]) != EMPTY)
            assert (tuple(first[corner]) == EMPTY) == ((i, j) != (0, 0))
    assert highlight_box(animation.frames[-1], (0, 0, *animation.size)) is None
    # Frame 7 highlights the window of output (1, 2): input cells 0..2 by 1..3.
    box = highlight_box(animation.frames[7], (ix - 4, iy - 4, ix + 8 * cell, iy + 8 * cell))
    assert abs(box[0] - (ix + 2 * cell)) <= 1 and abs(box[1] - (iy + 1 * cell)) <= 1


def test_captions_show_the_computation_in_both_languages():
    animation = animate(SEQUENCE, op="max", window_shape=2, strides=2)
    assert animation.info["captions"] == [
        "output[0] = max(1, 9) = 9", "output[1] = max(-1, -2) = -1",
        "output[2] = max(7, 3) = 7", "output[3] = max(-1, 2) = 2", "done: 4 outputs"]
    assert animation.info["title"] == "max pooling 2, stride 2, padding 'valid': 8 → 4"
    conv = animate(SEQUENCE, [1, 2, 3], lang="es")
    assert conv.info["captions"][0] == "salida[0] = 1·1 + 9·2 + (-1)·3 = 16"
    assert conv.info["title"].startswith("convolución 3, paso 1, relleno 'valid'")
    assert conv.info["captions"][-1] == "listo: 6 salidas"
    padded = animate(GRID5, op="avg", window_shape=2, strides=2, padding="SAME", lang="es")
    assert padded.info["captions"][2] == "salida[0, 2] = media(0, 1) = 0.5"
    assert "no cuenta en la media" in padded.info["legend"]
    unread = animate_case("stride-gt-window")
    assert "never read" in unread.info["legend"]


def test_photo_mode_fills_the_output_progressively():
    photo = np.random.default_rng(0).random((60, 60))
    animation = animate(photo, "bottom_sobel", max_frames=40)
    assert not animation.info["numbers"]
    assert len(animation) == 41
    np.testing.assert_allclose(animation.output, vt.conv(photo, vt.data.bottom_sobel()),
                               rtol=1e-12)
    layout = animation.info["layout"]
    ox, oy = layout["output_origin"]
    out_cell = layout["out_cell"]
    bottom_right = (oy + 57 * out_cell + out_cell // 2, ox + 57 * out_cell + out_cell // 2)
    assert tuple(rgb(animation.frames[0])[bottom_right]) == EMPTY
    assert tuple(rgb(animation.frames[-1])[bottom_right]) != EMPTY
    assert animation.info["captions"][0].startswith("output[")


def test_forty_frames_render_and_save_in_under_three_seconds(tmp_path):
    start = time.perf_counter()
    animation = animate_case("photo", max_frames=40)
    path = animation.save(tmp_path / "photo.gif")
    elapsed = time.perf_counter() - start
    assert len(animation) == 41
    assert elapsed < 3.0, f"{elapsed:.2f} s"
    assert path.stat().st_size < 600_000


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------

def test_saved_gif_has_the_frames_size_and_durations(tmp_path):
    animation = animate_case("max-pool", duration=500)
    path = animation.save(tmp_path / "pool.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(animation) == 10
        assert gif.size == animation.size
        assert gif.info.get("loop") == 0
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
            if index in (0, gif.n_frames - 1):
                np.testing.assert_array_equal(rgb(gif), rgb(animation.frames[index]))
    assert durations[0] == 500 and durations[-1] == 2000
    assert animation.to_bytes()[:6] == b"GIF89a"
    assert animation._repr_html_().startswith('<img src="data:image/gif;base64,R0lG')
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_save_is_atomic(tmp_path, monkeypatch):
    animation = animate_case("sequence")
    target = tmp_path / "a.gif"
    target.write_bytes(b"old")

    def broken(self, destination, fmt="GIF"):
        with open(destination, "wb") as handle:
            handle.write(b"GIF89a half")
        raise OSError("disk full")

    monkeypatch.setattr(type(animation), "_write", broken)
    with pytest.raises(OSError, match="disk full"):
        animation.save(target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.gif"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        animate_case("sequence").save(tmp_path / "missing" / "a.gif")


def test_animate_writes_to_path(tmp_path):
    animate(SEQUENCE, op="max", window_shape=3, strides=1, padding="SAME",
            path=tmp_path / "s.gif")
    with Image.open(tmp_path / "s.gif") as gif:
        assert gif.n_frames == 9


# ---------------------------------------------------------------------------
# options and errors
# ---------------------------------------------------------------------------

def test_ceil_mode_and_dilated_pooling_and_max_frames():
    animation = animate(np.arange(25).reshape(5, 5), op="max", window_shape=2, strides=2,
                        ceil_mode=True)
    expected = vt.pool(np.arange(25).reshape(5, 5), (2, 2), "MAX", strides=2, ceil_mode=True)
    np.testing.assert_array_equal(animation.output, expected)
    assert animation.output.shape == (3, 3)
    few = animate(GRID5, KERNEL3, padding="FULL", max_frames=10)
    assert len(few) == 11  # 49 outputs in 10 frames, plus the final one
    dilated = animate(np.arange(49).reshape(7, 7), op="avg", window_shape=2, dilations=2)
    assert dilated.output.shape == (5, 5)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"op": "sum"}, ValueError, "`op` must be one of"),
    ({}, ValueError, "`kernel` is required"),
    ({"op": "max"}, ValueError, "`window_shape` is required"),
    ({"kernel": [1, 2, 3]}, ValueError, "rank of `input`"),
    ({"kernel": KERNEL3, "ceil_mode": True}, ValueError, "ceil_mode"),
    ({"kernel": KERNEL3, "max_frames": 0}, ValueError, "max_frames"),
    ({"kernel": KERNEL3, "lang": "fr"}, ValueError, "lang"),
    ({"kernel": np.ones((7, 7))}, ValueError, "larger than the padded input"),
    ({"kernel": KERNEL3, "strides": 0}, ValueError, "strides"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        animate(GRID5, **kwargs)


def test_bad_inputs_and_case_names():
    with pytest.raises(ValueError, match="1-D sequence or 2-D image"):
        animate(np.ones((2, 2, 2, 2)), op="max", window_shape=2)
    with pytest.raises(TypeError, match="real numbers"):
        animate([["a"]], op="max", window_shape=1)
    with pytest.raises(ValueError, match="must be one of"):
        animate_case("nope")
