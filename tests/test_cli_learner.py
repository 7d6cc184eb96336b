"""The command line as a learner of the lesson uses it (issue 16, point 5).

The lesson's sequence on `extract`, the 2-D layer names of `shapes` on an image, windows
and cells numbered from 0, files named after the language, natural Spanish, `| head`,
`python -m ventanal`, and the error of `vt.conv` given a kernel name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("PIL")

import ventanal as vt  # noqa: E402
from ventanal import cli  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
SEQUENCE = "1 9 -1 -2 7 3 -1 2"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_extract_takes_the_lessons_sequence(in_tmp, capsys):
    assert cli.main(["extract", "--sequence", SEQUENCE, "--kernel", "[1,2,3]"]) == 0
    out = capsys.readouterr().out.splitlines()
    # np.correlate([1, 9, -1, -2, 7, 3, -1, 2], [1, 2, 3]) = [16, 1, 16, 21, 10, 7]
    assert out == ["Input      8", "Filter     6", "Detect     6", "Condense   3",
                   "saved to extraction.png"]
    assert (in_tmp / "extraction.png").read_bytes()[:8] == PNG


def test_extract_sequence_bad_combinations(in_tmp, capsys):
    cases = [
        (["extract", "--sequence", SEQUENCE, "--kernel", "bottom_sobel"], "1-D for a --sequence"),
        (["extract", "circle", "--sequence", SEQUENCE], "not both"),
        (["extract", "--sequence", "1 nine 3"], "--sequence '1 nine 3' must be numbers"),
        (["extract", "--kernel", "[1,2,3]"], "a 1-D kernel goes with --sequence"),
    ]
    for argv, message in cases:
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("ventanal: error: ") and message in err, err
    assert not list(in_tmp.iterdir())


def test_shapes_names_the_2d_layers_and_numbers_from_0(in_tmp, capsys):
    assert cli.main(["shapes", "397x397"]) == 0
    out = capsys.readouterr().out
    assert "MaxPool2D(2, strides=2, padding='same')" in out
    assert "nn.MaxPool2d(2, stride=2, padding=0, ceil_mode=True)" in out
    assert "MaxPool1D" not in out and "MaxPool1d" not in out
    # 199 windows, numbered 0..198 as the cells are numbered 0..396 (+ 1 padded: 397):
    # the one that does not fit is window 199, over cells 398 and 399.
    assert "not 200: window 199 would cover cells 398…399" in out
    assert cli.main(["shapes", "10", "--window", "3", "--strides", "3", "--padding",
                     "valid"]) == 0
    out = capsys.readouterr().out
    assert "MaxPool1D(3, strides=3, padding='valid')" in out
    assert "not 4: window 3 would cover cells 9…11" in out
    assert cli.main(["shapes", "8x8x8", "--padding", "1", "--out", "v.png"]) == 0
    out = capsys.readouterr().out
    assert "nn.MaxPool3d(2, stride=2, padding=1)" in out
    assert "vt.pool(x, [2, 2, 2], strides=[2, 2, 2], padding=1)" in out


def test_show_shapes_labels_windows_from_0():
    from ventanal.viz import show_shapes

    fig = show_shapes((10,), 3, 3, "valid")
    ((_, _, rows),) = fig.ventanal_data
    labels = {t.get_text().strip() for ax in fig.axes for t in ax.texts}
    # Each row's ghost, the window that does not fit, is window number `output` (from 0).
    ghosts = {label for label in labels if label.endswith("✗")}
    assert ghosts == {f"{row.output} ✗" for row in rows if row.output is not None}
    assert {row.output for row in rows} == {3, 4}
    assert {"0", "1", "2"} <= labels


def test_output_names_carry_the_language(in_tmp, capsys):
    assert cli.main(["extract"]) == 0
    assert cli.main(["extract", "--lang", "es"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[4] == "saved to extraction.png"
    assert out[-1] == "guardado en extraction_es.png"
    assert sorted(p.name for p in in_tmp.iterdir()) == ["extraction.png", "extraction_es.png"]
    assert cli.main(["shapes", "--lang", "es"]) == 0
    assert cli.main(["kernels", "edge", "--lang", "es"]) == 0
    assert cli.main(["extract", "--lang", "es", "--out", "mine.png"]) == 0  # --out wins
    names = {p.name for p in in_tmp.iterdir()}
    assert {"shapes_es.png", "kernel_es.png", "mine.png"} <= names
    assert "shapes.png" not in names and "kernel.png" not in names


def test_animate_list_in_spanish(capsys):
    assert cli.main(["animate", "--list", "--lang", "es"]) == 0
    spanish = capsys.readouterr().out.splitlines()
    assert cli.main(["animate", "--list"]) == 0
    english = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in spanish] == [line.split()[0] for line in english]
    listed = dict(line.split(None, 1) for line in spanish)
    assert listed["no-padding"] == "kernel 3×3, sin relleno, paso 1: 5×5 → 3×3"
    assert listed["sequence"] == "la secuencia de la lección, max pooling 2, paso 2: 8 → 4"
    assert all(es != en for es, en in zip(spanish, english, strict=True))
    for line in spanish:
        assert not any(word in line.split() for word in ("the", "stride", "no", "over")), line


def _command() -> list[str]:
    installed = shutil.which("ventanal")
    return [installed] if installed else [sys.executable, "-m", "ventanal"]


def test_a_closed_pipe_still_writes_the_figure_and_exits_0(tmp_path):
    # `ventanal shapes 397x397 | head -2`: the reader leaves after two lines.
    env = {**os.environ, "MPLBACKEND": "Agg"}
    process = subprocess.Popen([*_command(), "shapes", "397x397"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # as `head` does, before the command has printed its report
    _, err = process.communicate(timeout=120)
    assert first.startswith(b"axis 0")
    assert process.returncode == 0, err
    assert b"Traceback" not in err and b"BrokenPipe" not in err
    assert (tmp_path / "shapes.png").read_bytes()[:8] == PNG


def test_python_dash_m_ventanal_runs_a_figure_command(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-m", "ventanal", "extract", "--sequence", SEQUENCE,
                             "--lang", "es"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "guardado en extraction_es.png"
    assert Path(tmp_path / "extraction_es.png").read_bytes()[:8] == PNG


def test_conv_with_a_kernel_name_says_to_use_vt_data_kernel():
    image = np.zeros((5, 5))
    with pytest.raises(TypeError, match=r"""use vt\.data\.kernel\('bottom_sobel'\)"""):
        vt.conv(image, "bottom_sobel")
    expected = vt.conv(np.eye(5), vt.data.kernel("bottom_sobel"))
    assert expected.shape == (3, 3)


def test_the_command_draws_with_agg_whatever_the_default_backend(tmp_path):
    # A desktop's matplotlibrc may name a GUI backend; the command only writes files.
    (tmp_path / "matplotlibrc").write_text("backend: svg\n")
    environment = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for first in ("", "import matplotlib; "):   # matplotlib imported before the command, or not
        script = (first + "from ventanal.cli import main; import sys; "
                  "code = main(['kernels', 'edge', '--out', 'k.png']); "
                  "print(code, sys.modules['matplotlib'].get_backend().lower())")
        done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, env=environment)
        assert done.stdout.split()[-2:] == ["0", "agg"], done.stdout + done.stderr
        assert (tmp_path / "k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        (tmp_path / "k.png").unlink()
