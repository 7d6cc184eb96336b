"""The hostile file corpus (tests/hostile_files.py) through the library and the command line,
and every subcommand fuzzed through a real process: exit status 0 or 2 for a bad argument,
never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import ventanal as vt

sys.path.insert(0, str(Path(__file__).parent))
import hostile_files  # noqa: E402
from fuzz_strategies import examples  # noqa: E402

SUBCOMMANDS = ["extract", "animate", "shapes", "invariance", "receptive-field",
               "feature-maps", "kernels", "detect"]


def run_cli(arguments, cwd, timeout=120):
    environment = dict(os.environ, MPLBACKEND="Agg", VENTANAL_MAX_MB="256")
    return subprocess.run([sys.executable, "-m", "ventanal", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=environment)


def test_hostile_images_load_or_are_refused(tmp_path):
    for entry in hostile_files.image_corpus(tmp_path):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if entry.expect == "ok":
                assert vt.data.load_image(entry.path).ndim == 2, entry.why
            else:
                with pytest.raises(ValueError, match=entry.path.name):
                    vt.data.load_image(entry.path)


def test_hostile_npy_files_through_the_command_line(tmp_path):
    from ventanal.cli.arguments import UsageError, read_image

    for entry in hostile_files.npy_corpus(tmp_path):
        if entry.expect == "ok":
            assert read_image(str(entry.path))[0].shape == (8, 8)
        else:
            with pytest.raises(UsageError, match=entry.path.name):
                read_image(str(entry.path))


def test_hostile_images_through_a_real_process(tmp_path):
    corpus = hostile_files.image_corpus(tmp_path) + hostile_files.npy_corpus(tmp_path)
    # One process per command, every refused file in it: each is one line and status 2.
    script = "\n".join([
        "import sys",
        "from ventanal.cli import main",
        "codes = [main(['extract', path, '--out', 'x.png']) for path in sys.argv[1:]]",
        "print(' '.join(map(str, codes)))"])
    refused = [str(e.path) for e in corpus if e.expect == "refuse"]
    done = subprocess.run([sys.executable, "-c", script, *refused], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, MPLBACKEND="Agg"))
    assert done.stdout.split() == ["2"] * len(refused), done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == len(refused)


HOSTILE_VALUES = ["0", "-1", "-5", "99999999999999999999", "1e308", "nan", "inf", "",
                  "x", "2,3,4,5", "[[[]]]", "../../etc/passwd", "/dev/null", "\x00"]
OPTIONS = {
    "extract": ["--kernel", "--conv-stride", "--conv-padding", "--pool-size", "--pool-stride",
                "--pool-padding", "--activation", "--dpi"],
    "animate": ["--input", "--kernel", "--window", "--strides", "--padding", "--dilation",
                "--max-frames", "--duration", "--dpi"],
    "shapes": ["--window", "--strides", "--padding", "--dilation", "--dpi"],
    "invariance": ["--kernel", "--max-shift", "--repeats", "--pool-size", "--dpi"],
    "receptive-field": ["--size", "--unit", "--image", "--dpi"],
    "feature-maps": ["--layers", "--layer", "--kernels", "--size", "--dpi"],
    "kernels": ["--digits", "--dpi"],
    "detect": ["--template", "--step", "--scale", "--threshold", "--nms-threshold", "--seed",
               "--dpi"],
}
#: Arguments a subcommand needs before the fuzzed option (detect: a dry run, nothing scored).
POSITIONAL = {"receptive-field": ["conv3"],
              "detect": ["circle", "--plan", "--template", "0,0,8,8"]}


def test_every_subcommand_is_fuzzed():
    from ventanal.cli.parser import build_parser

    parser = build_parser()
    commands = next(action.choices for action in parser._actions if action.choices)
    assert set(commands) == set(SUBCOMMANDS) == set(OPTIONS)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_survives_hostile_values(command, tmp_path):
    # Each hostile value in each option of the command, all in one process (fast), then one
    # real process with the first of them: status 0 or 2, one line, no traceback.
    positional = POSITIONAL.get(command, [])
    script = "\n".join([
        "import sys, contextlib, io",
        "from ventanal.cli import main",
        "command, positional, options, values = sys.argv[1], sys.argv[2], sys.argv[3], "
        "sys.argv[4:]",
        "positional = positional.split() ",
        "for option in options.split():",
        "    for value in values:",
        "        err = io.StringIO()",
        "        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):",
        "            try:",
        "                code = main([command, *positional, option, value, '--out', 'o.png'])",
        "            except SystemExit as stop:",
        "                code = stop.code",
        "        text = err.getvalue()",
        "        last = text.strip().splitlines()[-1] if text.strip() else ''",
        "        bad = code not in (0, 2) or 'Traceback' in text or (",
        "            code == 2 and not last.startswith('ventanal'))",
        "        if bad: print('BAD', option, repr(value), code, text[:300])"])
    values = [v for v in HOSTILE_VALUES if "\x00" not in v]
    done = subprocess.run([sys.executable, "-c", script, command, " ".join(positional),
                           " ".join(OPTIONS[command]), *values], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, MPLBACKEND="Agg", VENTANAL_MAX_MB="256"))
    assert done.returncode == 0 and "BAD" not in done.stdout, done.stdout + done.stderr[-2000:]
    real = run_cli([command, *positional, OPTIONS[command][0], "-1", "--out", "o.png"], tmp_path)
    assert real.returncode in (0, 2) and "Traceback" not in real.stderr, real.stderr
    if real.returncode == 2:   # argparse's usage line may come first; the reason is one line
        assert real.stderr.strip().splitlines()[-1].startswith("ventanal")


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None)
@given(command=st.sampled_from(SUBCOMMANDS), value=st.text(max_size=12),
       option_index=st.integers(0, 8))
def test_subcommands_with_random_text_long_run(command, value, option_index, tmp_path_factory):
    options = OPTIONS[command]
    option = options[option_index % len(options)]
    positional = POSITIONAL.get(command, [])
    assume("\x00" not in value)   # the operating system refuses NUL in arguments
    done = run_cli([command, *positional, option, value, "--out", "o.png"],
                   tmp_path_factory.mktemp("cli"))
    assert done.returncode in (0, 2), done.stderr
    assert "Traceback" not in done.stderr
