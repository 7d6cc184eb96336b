"""Writing figures and GIFs to files, and a progress bar, for the library and the command line.

Files are written atomically (a temporary sibling, then a rename), so a
crash never leaves a half-written figure behind, and only to regular files or
new paths whose suffix names the format written.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["atomic_write", "writable_target", "output_format", "save_figure", "progress"]

T = TypeVar("T")

#: Width of the fallback progress bar, in characters.
BAR_WIDTH = 30

# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------

class _Terminated(SystemExit):
    """Raised by the signal handler :func:`atomic_write` installs while it writes."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


# Signals whose default action kills the process without running ``finally`` blocks: while a
# file is written they are turned into an exception (so the temporary file is removed), then
# delivered again to whatever handled them before.
_TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


@contextlib.contextmanager
def _cleanup_on_termination() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield   # only the main thread can handle signals; it will not run this block's cleanup
        return
    caught: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        caught.append(signum)
        raise _Terminated(signum)

    previous = {}
    for signum in _TERMINATING:
        old = signal.getsignal(signum)
        if old is signal.SIG_IGN or old is None:   # ignored (nohup) or set outside Python
            continue
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        if caught:
            signal.raise_signal(caught[0])   # the default action ends the process here


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def writable_target(path: str | os.PathLike[str]) -> Path:
    """The regular file that writing ``path`` will replace (or create), symlinks resolved.

    Only regular files and new paths are written: a directory, a FIFO, a device or a socket
    is refused (replacing ``/dev/null`` by a figure is never what was meant).

    Raises
    ------
    ValueError
        If ``path`` names something other than a regular file, or is empty.
    FileNotFoundError
        If its directory does not exist.

    Examples
    --------
    >>> writable_target("/dev/null")
    Traceback (most recent call last):
    ValueError: cannot write '/dev/null': it is a character device; ventanal writes only ...
    """
    if not os.fspath(path):
        raise ValueError("the output path is empty; give a file name such as 'figure.png'")
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise ValueError(f"cannot write '{path}': it is {_file_kind(mode)}; ventanal writes only "
                         "regular files or new paths")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write '{path}': directory '{directory}' does not exist")
    return target


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Write a file through a temporary sibling and ``os.replace``: never half-written.

    ``write`` receives the temporary path (same directory, same suffix) and
    must create the file there. On any error, and on SIGTERM or SIGHUP during the
    write (which are then delivered as before), the temporary file is removed and
    the target is left untouched. Only regular files and new paths are written
    (see :func:`writable_target`); a symlink to a file replaces the file it points to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = pathlib.Path(folder) / "hello.txt"
    ...     atomic_write(target, lambda p: p.write_text("hola")).read_text()
    'hola'
    """
    target = writable_target(path)
    with _cleanup_on_termination():
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix,
                                         dir=target.parent)
        os.close(fd)
        tmp = Path(temporary)
        try:
            write(tmp)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    return target


def output_format(path: str | os.PathLike[str], formats: Mapping[str, str],
                  default: str) -> tuple[Path, str]:
    """The path to write and its format, from the path's suffix.

    ``formats`` maps suffixes (lower case, no dot) to format names. A path without a
    suffix gets ``default``'s (``figure`` becomes ``figure.png``, as matplotlib does); any
    other suffix is refused, so that a file never holds bytes its name does not announce.

    Examples
    --------
    >>> output_format("fig", {"png": "png", "svg": "svg"}, "png")
    (PosixPath('fig.png'), 'png')
    >>> output_format("fig.gif", {"png": "png"}, "png")
    Traceback (most recent call last):
    ValueError: cannot write 'fig.gif': the suffix '.gif' is not one of .png (the format ...
    """
    writable_target(path)   # `/dev/null` is refused, not turned into `/dev/null.png`
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if not suffix:
        return target.with_name(target.name + "." + default), formats[default]
    if suffix not in formats:
        allowed = ", ".join("." + name for name in formats)
        raise ValueError(f"cannot write '{path}': the suffix '.{suffix}' is not one of "
                         f"{allowed} (the format follows the file's suffix)")
    return target, formats[suffix]


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int | None = None) -> Path:
    """Save a matplotlib figure atomically; the format comes from the file's suffix.

    A name without a suffix gets ``.png``; a suffix matplotlib cannot write is a
    ``ValueError`` raised before anything is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ventanal.viz import show_kernel
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_figure(show_kernel("edge"), pathlib.Path(folder) / "edge.svg")
    ...     path.name, path.read_text().startswith("<?xml")
    ('edge.svg', True)
    """
    formats = {name: name for name in fig.canvas.get_supported_filetypes()}
    target, fmt = output_format(path, formats, "png")
    return atomic_write(target, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi))


# ---------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------

def progress(items: Iterable[T], total: int | None = None, label: str = "",
             enabled: bool | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr: tqdm if installed, else a one-line counter.

    ``enabled=None`` shows the bar only when stderr is a terminal.

    Examples
    --------
    >>> list(progress(range(3), label="rendering", enabled=False))
    [0, 1, 2]
    """
    if enabled is None:
        enabled = bool(getattr(sys.stderr, "isatty", lambda: False)())
    if not enabled:
        yield from items
        return
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(items, total=total, desc=label, leave=False)
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    count = 0
    width = BAR_WIDTH
    try:
        for count, item in enumerate(items, 1):
            yield item
            if total:
                done = int(width * count / total)
                bar = "#" * done + "." * (width - done)
                sys.stderr.write(f"\r{label} [{bar}] {count}/{total}")
            else:
                sys.stderr.write(f"\r{label} {count}")
            sys.stderr.flush()
    finally:
        if count:
            # Blank the whole line: label, bar, brackets and a "count/total" of up to 20 digits.
            sys.stderr.write("\r" + " " * (len(label) + width + 24) + "\r")
            sys.stderr.flush()
