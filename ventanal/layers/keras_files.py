"""Reading a Keras file that may be broken or hostile: sizes checked before inflating or
reading, and every low-level error (zipfile, zlib, json, h5py, a config of the wrong
structure) turned into one ``ValueError`` naming the file.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from typing import Any

import numpy as np

from ..ops import memory

__all__ = ["CONFIG_MAX_BYTES", "FILE_ERRORS", "archive_member", "file_error", "read_array"]

# A .keras archive's config.json is a few KiB; anything past this is not a model config.
CONFIG_MAX_BYTES = 64 << 20
# What a broken or hostile model file can raise from zipfile, zlib, json, h5py (OSError and
# its own errors) or a config of the wrong structure; each becomes one ValueError naming it.
FILE_ERRORS = (AttributeError, KeyError, IndexError, LookupError, TypeError, OSError,
                EOFError, RecursionError, zlib.error, zipfile.BadZipFile, UnicodeDecodeError,
                json.JSONDecodeError, RuntimeError)


def archive_member(archive: zipfile.ZipFile, name: str, source: str, limit: int | None = None
                   ) -> bytes:
    """Member ``name`` of a ``.keras`` archive, refused from its declared size, before
    inflating, when past ``limit`` bytes (default: the ``VENTANAL_MAX_MB`` budget): a small
    file can inflate to gigabytes.

    Examples
    --------
    >>> import io
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    ...     archive.writestr("config.json", b" " * 10_000)
    >>> archive_member(zipfile.ZipFile(buffer), "config.json", "'m.keras'", limit=1000)
    Traceback (most recent call last):
    ValueError: 'm.keras': config.json would inflate to 10000 bytes, more than the limit ...
    """
    size = archive.getinfo(name).file_size
    hint = (f"set the environment variable {memory.BUDGET_VARIABLE} to raise it"
            if limit is None else "this is not a Keras file")
    limit = memory.budget() if limit is None else limit
    if size > limit:
        raise ValueError(f"{source}: {name} would inflate to {size} bytes, more than the "
                         f"limit of {limit} bytes; {hint}")
    return archive.read(name)


def file_error(path: Any, error: BaseException) -> ValueError:
    """The one ``ValueError`` that a low-level ``error`` reading ``path`` becomes.

    Examples
    --------
    >>> file_error("m.keras", KeyError("layers"))
    ValueError("'m.keras' is not a readable Keras model or weights file (KeyError: 'layers')")
    """
    detail = " ".join(str(error).split())[:200] or type(error).__name__
    return ValueError(f"{os.fspath(path)!r} is not a readable Keras model or weights file "
                      f"({type(error).__name__}: {detail})")


def read_array(dataset: Any, source: str) -> np.ndarray:
    """One weight array, its size checked from the file's metadata before it is read."""
    nbytes = getattr(dataset, "nbytes", None)
    if not isinstance(nbytes, int):
        raise ValueError(f"{source}: {getattr(dataset, 'name', dataset)!r} is not an array")
    memory.check_budget(nbytes, f"{source}: weights {dataset.name!r} of shape {dataset.shape}")
    array = np.asarray(dataset)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{source}: weights {dataset.name!r} hold {array.dtype}, not numbers")
    return array
