"""Writing figures and GIFs to files, and a progress bar, for the library and the command line.

Files are written atomically (a temporary sibling, then a rename), so a
crash never leaves a half-written figure behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["atomic_write", "save_figure", "progress"]

T = TypeVar("T")

#: Width of the fallback progress bar, in characters.
BAR_WIDTH = 30

# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------

def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Write a file through a temporary sibling and ``os.replace``: never half-written.

    ``write`` receives the temporary path (same directory, same suffix) and
    must create the file there. On any error the temporary file is removed
    and the target is left untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = pathlib.Path(folder) / "hello.txt"
    ...     atomic_write(target, lambda p: p.write_text("hola")).read_text()
    'hola'
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write '{target}': directory '{directory}' does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write '{target}': it is a directory")
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix,
                                     dir=directory)
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


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int | None = None) -> Path:
    """Save a matplotlib figure atomically; the format comes from the file's suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ventanal.viz import show_kernel
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_figure(show_kernel("edge"), pathlib.Path(folder) / "edge.svg")
    ...     path.name, path.read_text().startswith("<?xml")
    ('edge.svg', True)
    """
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".") or "png"
    return atomic_write(target, lambda tmp: fig.savefig(tmp, format=suffix, dpi=dpi))


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
