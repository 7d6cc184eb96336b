"""Issue 17 item 6: the command line never prints a traceback.

Every bad argument exits with status 2 and one line; an unexpected internal error exits
with status 1, one line and a hint to rerun with ``--debug``, which shows the traceback.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ventanal import cli
from ventanal.cli import parser as cli_parser

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))

BAD_ARGUMENTS = [
    ["receptive-field", "conv3", "--size", "0"],
    ["feature-maps", "--size", "0"],
    ["animate", "--duration", "-5"],
    ["kernels", "edge", "--digits", "-1"],
    ["kernels", "edge", "--digits", "100000"],
    ["animate", "--op", "max", "--window", "99999999999999999999"],
    ["animate", "--op", "max", "--window", "3", "--padding", "99999999999"],
    ["extract", "--conv-padding", "1000000"],
    ["extract", "--dpi", "5000"],
    ["shapes", "397", "--dilation", "99999999999999999999"],
    ["invariance", "--repeats", "1000"],
]


@pytest.mark.parametrize("arguments", BAD_ARGUMENTS, ids=" ".join)
def test_bad_arguments_exit_2_with_one_line(arguments, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(arguments) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ventanal: error: "), err
    assert "Traceback" not in err


def test_shapes_of_a_huge_padding_draws_quickly(tmp_path, monkeypatch, capsys):
    # Before: a traceback (an int64 table of 10**11 windows, then a FreeType overflow).
    monkeypatch.chdir(tmp_path)
    assert cli.main(["shapes", "397", "--padding", "99999999999", "--out", "s.png"]) == 0
    assert (tmp_path / "s.png").stat().st_size > 0


def test_an_internal_error_is_one_line_with_a_hint(tmp_path, monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("something\nwent wrong")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli_parser, "cmd_kernels", broken)
    assert cli.main(["kernels"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "RuntimeError: something went wrong" in err and "--debug" in err
    assert cli.main(["kernels", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err
    assert cli.main(["--debug", "kernels", "edge", "--digits", "-1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("got -1")


def test_the_real_command_prints_no_traceback(tmp_path):
    bomb = tmp_path / "bomb.png"
    import hostile_files

    bomb.write_bytes(hostile_files.png_bytes(10000, 10000))
    for arguments in (["extract", str(bomb)], ["receptive-field", "conv3", "--size", "0"]):
        done = subprocess.run([sys.executable, "-m", "ventanal", *arguments], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
