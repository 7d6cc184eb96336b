"""Where figures and animations may be written: regular files or new paths, in the format
their suffix names, never half-written (issue 17, item 2)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("PIL")

from ventanal import cli  # noqa: E402
from ventanal.viz import animate_case, show_kernel  # noqa: E402
from ventanal.viz.output import atomic_write, save_figure  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    return path


def test_a_fifo_is_refused_and_left_alone(fifo):
    with pytest.raises(ValueError, match=r"pipe\.png'.*named pipe.*regular files or new paths"):
        save_figure(show_kernel("edge"), fifo)
    with pytest.raises(ValueError, match="named pipe"):
        atomic_write(fifo, lambda tmp: tmp.write_bytes(b"x"))
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in fifo.parent.iterdir()) == ["pipe.png"]


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A character device that a broken writer could replace without harm.

    As root (where replacing ``/dev/null`` would succeed) a private node ``null`` in
    ``tmp_path``; as any other user ``/dev/null`` itself, which they cannot replace.
    """
    if os.name != "posix":
        pytest.skip("POSIX device nodes")
    if os.geteuid() != 0:
        return Path(os.devnull)
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError as error:   # pragma: no cover - containers without CAP_MKNOD
        pytest.skip(f"cannot make a device node: {error}")
    return node


def test_a_device_is_refused_before_anything_is_written(device):
    before = os.stat(device)
    assert stat.S_ISCHR(before.st_mode)
    with pytest.raises(ValueError, match="character device"):
        save_figure(show_kernel("edge"), device)
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert sorted(p.name for p in device.parent.iterdir()) == sorted(
        p.name for p in device.parent.iterdir() if not p.name.startswith("."))


def test_a_directory_and_an_empty_name_are_refused(tmp_path):
    with pytest.raises(ValueError, match="a directory"):
        atomic_write(tmp_path, lambda tmp: tmp.write_bytes(b"x"))
    with pytest.raises(ValueError, match="empty"):
        atomic_write("", lambda tmp: tmp.write_bytes(b"x"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write(tmp_path / "missing" / "a.png", lambda tmp: tmp.write_bytes(b"x"))


def test_a_symlink_to_a_file_keeps_the_link_and_replaces_the_file(tmp_path):
    real = tmp_path / "real.png"
    real.write_bytes(b"old")
    link = tmp_path / "link.png"
    link.symlink_to(real)
    atomic_write(link, lambda tmp: tmp.write_bytes(b"new"))
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_a_symlink_to_a_device_is_refused(tmp_path, device):
    link = tmp_path / "null.png"
    link.symlink_to(device)
    with pytest.raises(ValueError, match="character device"):
        atomic_write(link, lambda tmp: tmp.write_bytes(b"x"))
    assert link.is_symlink()


def test_figure_format_follows_the_suffix(tmp_path):
    fig = show_kernel("edge")
    assert save_figure(fig, tmp_path / "k.svg").read_bytes().lstrip().startswith(b"<?xml")
    bare = save_figure(fig, tmp_path / "kernel")          # no suffix: PNG, named so
    assert bare.name == "kernel.png" and bare.read_bytes().startswith(PNG)
    with pytest.raises(ValueError, match=r"suffix '\.txt' is not one of .*\.png"):
        save_figure(fig, tmp_path / "k.txt")              # no format of that name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.svg", "kernel.png"]


@pytest.mark.parametrize("name, magic", [
    ("a.gif", (0, b"GIF89a")), ("a.png", (0, PNG)), ("a.apng", (0, PNG)),
    ("a.webp", (8, b"WEBP")), ("a", (0, b"GIF89a")),
])
def test_animation_bytes_match_the_suffix(tmp_path, name, magic):
    from PIL import Image

    animation = animate_case("strides")
    path = animation.save(tmp_path / name)
    offset, signature = magic
    data = path.read_bytes()
    assert data[offset:offset + len(signature)] == signature
    if path.suffix in (".png", ".apng"):
        assert b"acTL" in data                          # an animated PNG, not one frame
    with Image.open(path) as image:
        assert image.n_frames == len(animation)


def test_animation_refuses_a_suffix_it_cannot_write(tmp_path):
    with pytest.raises(ValueError, match=r"'\.txt' is not one of \.gif, \.png"):
        animate_case("strides").save(tmp_path / "a.txt")
    assert list(tmp_path.iterdir()) == []


def test_writing_from_a_worker_thread(tmp_path):
    errors: list[BaseException] = []

    def work():
        try:
            atomic_write(tmp_path / "t.txt", lambda tmp: tmp.write_text("hola"))
        except BaseException as error:   # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == [] and (tmp_path / "t.txt").read_text() == "hola"


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path):
    script = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from ventanal.viz.output import atomic_write

        def slow(tmp):
            tmp.write_bytes(b"half")
            print("writing", flush=True)
            time.sleep(60)

        atomic_write(Path(sys.argv[1]) / "figure.png", slow)
    """)
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "writing"
    assert len(list(tmp_path.iterdir())) == 1               # the temporary file
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == -signal.SIGTERM      # ended by the signal, as before
    process.stdout.close()
    assert list(tmp_path.iterdir()) == []


def test_a_handler_set_by_the_user_still_runs(tmp_path):
    calls: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
    try:
        def interrupted(tmp):
            tmp.write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGTERM)

        with pytest.raises(SystemExit):
            atomic_write(tmp_path / "f.png", interrupted)
        assert calls == [signal.SIGTERM]
        assert list(tmp_path.iterdir()) == []
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_cli_refuses_devices_and_wrong_suffixes(tmp_path, monkeypatch, capsys, device):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["kernels", "edge", "--out", str(device)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "character device" in err[0]
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert cli.main(["animate", "strides", "--out", "a.txt"]) == 2
    assert "'.txt' is not one of" in capsys.readouterr().err
    assert cli.main(["animate", "strides", "--out", "a.png"]) == 0
    assert (tmp_path / "a.png").read_bytes().startswith(PNG)
    assert sorted(p.name for p in tmp_path.iterdir() if p != device) == ["a.png"]
