"""The `ventanal` command: files written, outputs printed, exit codes, one-line errors."""

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
from PIL import Image  # noqa: E402

from ventanal import cli  # noqa: E402
from ventanal.viz.output import atomic_write  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """The installed command if present, else ``python -m ventanal.cli``."""
    command = [shutil.which("ventanal")] if shutil.which("ventanal") else \
        [sys.executable, "-m", "ventanal.cli"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------------------
# the main job, as a user runs it
# ---------------------------------------------------------------------------

def test_ventanal_extract_with_no_arguments_writes_the_lessons_figure(tmp_path):
    result = run("extract", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Input      64×64", "Filter     62×62", "Detect     62×62", "Condense   31×31",
        "saved to extraction.png"]
    figure = tmp_path / "extraction.png"
    assert figure.read_bytes()[:8] == PNG
    with Image.open(figure) as image:
        assert image.size == (1400, 600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extraction.png"]


def test_bad_arguments_exit_2_with_one_line_and_no_traceback(tmp_path):
    (tmp_path / "broken.png").write_bytes(PNG + b"not really")
    cases = [
        ("extract", "--kernel", "no_such_kernel"),
        ("extract", "missing.png"),
        ("extract", "broken.png"),
        ("extract", "--conv-stride", "0"),
        ("extract", "--out", "no/such/dir/x.png"),
        ("receptive-field", "conv"),
        ("animate", "no-such-case"),
    ]
    for args in cases:
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ventanal: error: "), (args, lines)
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.png"]


def test_argparse_errors_exit_2(tmp_path):
    result = run("extract", "--lang", "fr", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("ventanal extract: error:")
    assert run("--help", cwd=tmp_path).returncode == 0
    assert run("nonsense", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize("command", ["extract", "animate", "kernels", "shapes"])
def test_an_unknown_option_is_reported_with_its_commands_usage(in_tmp, capsys, command):
    """Not the top-level usage, which does not say what the command takes."""
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--bogus"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: ventanal {command} ")
    assert err.strip().splitlines()[-1] == (f"ventanal {command}: error: unrecognized "
                                            f"arguments: --bogus")
    assert not list(in_tmp.iterdir())


def test_out_has_the_short_form_o(in_tmp, capsys):
    assert cli.main(["extract", "-o", "e.png"]) == 0
    assert cli.main(["kernels", "edge", "-o", "k.png"]) == 0
    assert (in_tmp / "e.png").read_bytes()[:8] == PNG
    assert (in_tmp / "k.png").read_bytes()[:8] == PNG


# ---------------------------------------------------------------------------
# every subcommand, in process (faster), in English and Spanish
# ---------------------------------------------------------------------------

def test_main_without_a_command_is_extract(in_tmp, capsys):
    assert cli.main([]) == 0
    assert "Condense   31×31" in capsys.readouterr().out
    assert (in_tmp / "extraction.png").exists()


def test_extract_options_and_spanish(in_tmp, capsys):
    assert cli.main(["extract", "camera", "--kernel", "edge", "--conv-stride", "3",
                     "--pool-padding", "valid", "--lang", "es", "--out", "e.png"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["Entrada    512×512", "Filtrar    170×170", "Detectar   170×170",
                   "Condensar  85×85", "guardado en e.png"]
    assert (in_tmp / "e.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize("kernel", ["[[-1,-2,-1],[0,0,0],[1,2,1]]", "sobel.npy", "Bottom Sobel"])
def test_kernel_forms(in_tmp, capsys, kernel):
    np.save(in_tmp / "sobel.npy", np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]))
    assert cli.main(["extract", "--kernel", kernel, "--out", "k.png"]) == 0
    assert "Filter     62×62" in capsys.readouterr().out


@pytest.mark.parametrize("kernel, message", [
    ("[[1, 2], [3]]", "rectangular"), ("[[1, 2", "not a valid nested list"),
    ("missing.npy", "no such file"), ("nope", "not a kernel name"),
    ("[[[1]]]", "1-D or 2-D"), ("[1, 2, 3]", "2-D for an image")])
def test_bad_kernels(in_tmp, capsys, kernel, message):
    assert cli.main(["extract", "--kernel", kernel]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ventanal: error: ") and message in err and err.count("\n") == 1
    assert not (in_tmp / "extraction.png").exists()


def test_kernels_list_and_figure(in_tmp, capsys):
    assert cli.main(["kernels"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Built-in kernels") and "bottom_sobel" in out and "emboss" in out
    assert cli.main(["kernels", "bottom_sobel", "--lang", "es"]) == 0
    out = capsys.readouterr().out
    assert "[[-1. -2. -1.]" in out and "guardado en kernel_es.png" in out
    assert (in_tmp / "kernel_es.png").exists() and not (in_tmp / "kernel.png").exists()


def test_animate_cases_inputs_and_options(in_tmp, capsys):
    assert cli.main(["animate", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "dilation" in listed and "sequence" in listed and "photo" in listed
    assert cli.main(["animate", "sequence", "--out", "s.gif", "--lang", "es"]) == 0
    out = capsys.readouterr().out
    assert "5 fotogramas" in out and "guardado en s.gif" in out
    with Image.open(in_tmp / "s.gif") as gif:
        assert gif.n_frames == 5
    assert cli.main(["animate", "--input", "1 9 -1 -2 7 3 -1 2", "--op", "max", "--window",
                     "3", "--strides", "2", "--padding", "same", "--out", "m.gif"]) == 0
    with Image.open(in_tmp / "m.gif") as gif:
        assert gif.n_frames == 5
    assert cli.main(["animate", "--input", "[[1,2,3],[4,5,6],[7,8,9]]", "--kernel",
                     "[[1,0],[0,-1]]", "--out", "g.gif"]) == 0
    with Image.open(in_tmp / "g.gif") as gif:
        assert gif.n_frames == 5
    assert cli.main(["animate", "dilation", "--out", "d.gif"]) == 0
    assert cli.main(["animate", "--input", "camera", "--op", "max", "--window", "8",
                     "--max-frames", "12", "--out", "p.gif"]) == 0
    with Image.open(in_tmp / "p.gif") as gif:
        assert gif.n_frames == 13
    capsys.readouterr()
    assert cli.main(["animate", "--input", "1 2 3", "--kernel", "edge"]) == 2
    assert "1-D --kernel" in capsys.readouterr().err
    assert cli.main(["animate", "--input", "1 two 3"]) == 2
    assert cli.main(["animate", "same", "--strides", "x"]) == 2


def test_shapes_prints_the_lessons_numbers(in_tmp, capsys):
    assert cli.main(["shapes"]) == 0
    out = capsys.readouterr().out
    assert "MaxPool2D(2, strides=2, padding='same')" in out
    assert "→ 199   padding (0, 1)  ◀ your padding" in out
    assert "nn.MaxPool2d(2, stride=2, padding=0, ceil_mode=True)  → 199" in out
    assert "sliding_window_view(x, 2)[::2]" in out and "not 200" in out
    assert (in_tmp / "shapes.png").exists()
    assert cli.main(["shapes", "5x7", "--window", "3", "--strides", "2", "--padding", "1",
                     "--lang", "es", "--out", "s.png"]) == 0
    out = capsys.readouterr().out
    assert "eje 0: n = 5 celdas" in out and "eje 1: n = 7 celdas" in out
    for bad in (["shapes", "0"], ["shapes", "abc"], ["shapes", "--window", "0"],
                ["shapes", "4", "--window", "9", "--padding", "wide"]):
        assert cli.main(bad) == 2, bad


def test_invariance_receptive_field_and_feature_maps(in_tmp, capsys):
    assert cli.main(["invariance", "--max-shift", "3", "--repeats", "2", "--lang", "es"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Actividad compartida") and out[2].split() == ["k", "r=0", "r=1",
                                                                           "r=2"]
    assert out[3].split() == ["0", "1.000", "1.000", "1.000"] and len(out) == 9
    assert (in_tmp / "invariance_es.png").exists()
    assert cli.main(["receptive-field", "conv3,conv3,conv3,pool2", "--unit", "5,5"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-2].split() == ["pool2", "(MaxPooling2D)", "(29,", "29)", "8x8",
                                            "2x2", "0,", "0"]
    assert (in_tmp / "receptive_field.png").exists()
    assert cli.main(["feature-maps", "circle", "--layers", "conv3,relu", "--layer", "relu",
                     "--out", "fm.png"]) == 0
    assert (in_tmp / "fm.png").exists()
    capsys.readouterr()
    assert cli.main(["receptive-field", "conv3,pool2", "--unit", "99,0"]) == 2
    assert cli.main(["feature-maps", "--layer", "nope"]) == 2
    assert cli.main(["invariance", "--max-shift", "9999"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("ventanal: error: ") for line in err)


# ---------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------

def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "figure.png"
    target.write_bytes(b"old")

    def half(path: Path) -> None:
        path.write_bytes(PNG[:4])
        raise RuntimeError("crash while writing")

    with pytest.raises(RuntimeError):
        atomic_write(target, half)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]
    atomic_write(target, lambda path: path.write_bytes(b"new"))
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_interrupted_figure_save_keeps_the_previous_figure(in_tmp, capsys, monkeypatch):
    assert cli.main(["extract"]) == 0
    before = (in_tmp / "extraction.png").read_bytes()
    from matplotlib.figure import Figure

    def crash(self, path, **kwargs):
        Path(path).write_bytes(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(Figure, "savefig", crash)
    assert cli.main(["extract", "--kernel", "edge"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert (in_tmp / "extraction.png").read_bytes() == before
    assert sorted(p.name for p in in_tmp.iterdir()) == ["extraction.png"]


def test_output_into_a_directory_is_an_error(in_tmp, capsys):
    (in_tmp / "folder").mkdir()
    assert cli.main(["kernels", "edge", "--out", "folder"]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_options_alone_run_extract(in_tmp, capsys):
    assert cli.main(["--lang", "es", "--out", "x.png"]) == 0
    assert "Condensar  31×31" in capsys.readouterr().out
    assert (in_tmp / "x.png").exists()


def test_builtin_progress_line(capsys, monkeypatch):
    import builtins

    from ventanal.viz.output import progress

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    assert list(progress(range(3), label="rendering", enabled=True)) == [0, 1, 2]
    err = capsys.readouterr().err
    assert "rendering [" in err and "3/3" in err and err.endswith("\r")
    assert list(progress(range(2), enabled=False)) == [0, 1]
    assert capsys.readouterr().err == ""
