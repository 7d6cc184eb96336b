"""Reading the command line's arguments: kernels, images, shapes, sizes, paddings, sequences.

Each reader turns one option's text into what the library takes, or raises
:class:`UsageError` (exit status 2) naming the option, the value and what is allowed.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["EXIT_OK", "EXIT_INTERNAL", "EXIT_USAGE", "IMAGE_HELP", "KERNEL_HELP", "OPTION_RANGES",
           "UsageError", "check_ranges", "read_kernel", "load_npy", "read_image", "read_shape",
           "read_ints", "read_padding", "read_sequence"]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2

#: Allowed range of each integer option, whichever command has it: outside it a figure or an
#: animation would be empty, unreadable or gigabytes large (``--dpi 5000``), or a loop endless.
OPTION_RANGES: dict[str, tuple[str, int, int]] = {
    "dpi": ("--dpi", 10, 1000),
    "size": ("--size", 1, 4096),
    "duration": ("--duration", 1, 60_000),
    "digits": ("--digits", 0, 15),
    "max_frames": ("--max-frames", 1, 10_000),
    "max_shift": ("--max-shift", 0, 1000),
    "repeats": ("--repeats", 0, 64),
}

IMAGE_HELP = ("an image file (PNG, JPEG, ...), a .npy array, a bundled sample (camera, "
               "astronaut, coffee, chelsea, rocket, hubble, street) or 'circle'")
KERNEL_HELP = ("a kernel name (see `ventanal kernels`), a nested list such as "
                "'[[-1,-2,-1],[0,0,0],[1,2,1]]', or a .npy file")


class UsageError(ValueError):
    """A bad command-line argument (exit status 2)."""


def check_ranges(args: Any) -> None:
    """Refuse an integer option outside :data:`OPTION_RANGES` (exit status 2), before any work.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> check_ranges(SimpleNamespace(dpi=100, size=None))
    >>> check_ranges(SimpleNamespace(dpi=5000))
    Traceback (most recent call last):
    ventanal.cli.arguments.UsageError: --dpi must be an integer from 10 to 1000, got 5000
    """
    for attribute, (option, low, high) in OPTION_RANGES.items():
        value = getattr(args, attribute, None)
        if isinstance(value, int) and not low <= value <= high:
            raise UsageError(f"{option} must be an integer from {low} to {high}, got {value}")


def read_kernel(value: str) -> np.ndarray:
    """A kernel from a name, a nested-list literal or a ``.npy`` file."""
    from .. import data

    text_value = value.strip()
    if text_value.startswith(("[", "(")):
        try:
            literal = ast.literal_eval(text_value)
        except (ValueError, SyntaxError) as error:
            raise UsageError(f"--kernel {value!r} is not a valid nested list: {error}") from None
        try:
            kernel = np.array(literal, dtype=np.float64)
        except (ValueError, TypeError):
            raise UsageError(f"--kernel {value!r} must be a rectangular list of numbers") from None
    elif text_value.lower().endswith(".npy"):
        kernel = load_npy(text_value, "--kernel")
    else:
        try:
            return data.kernel(text_value)
        except ValueError:
            names = ", ".join(data.kernel_names())
            raise UsageError(f"--kernel {value!r} is not a kernel name ({names}), a nested list "
                             f"or a .npy file") from None
    if kernel.ndim not in (1, 2) or kernel.size == 0 or kernel.dtype.kind not in "biuf":
        raise UsageError(f"--kernel must be a non-empty 1-D or 2-D array of numbers, got shape "
                         f"{kernel.shape}")
    return kernel.astype(np.float64)


def load_npy(path: str, option: str) -> np.ndarray:
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{option}: no such file '{path}'")
    try:
        _check_npy_header(file, option)
        array = np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        if isinstance(error, UsageError):
            raise
        raise UsageError(f"{option}: cannot read '{path}' as a .npy array: "
                         f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") \
            from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise UsageError(f"{option}: '{path}' must hold a numeric array")
    return array


def _check_npy_header(file: Path, option: str) -> None:
    """Refuse a ``.npy`` whose header announces more than the memory budget, before reading
    its data (a 100-byte file can claim 100000 x 100000 cells)."""
    from ..ops import memory

    with open(file, "rb") as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    if any(size < 0 for size in shape):
        raise UsageError(f"{option}: '{file}' has a header with negative sizes {shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    try:
        memory.check_budget(nbytes, f"{option}: '{file}' (shape {shape}, {dtype})")
    except ValueError as error:
        raise UsageError(str(error)) from None


def read_image(value: str | None, *, max_side: int | None = None) -> tuple[np.ndarray, str]:
    """An image from a path, a ``.npy`` file, a sample name or ``circle``; with its label."""
    from .. import data

    if value is None or value.lower() == "circle":
        return data.circle([64, 64], val=1.0, r_shrink=3), "circle"
    if value.lower().endswith(".npy"):
        image = load_npy(value, "IMAGE").astype(np.float64)
        label = Path(value).stem
    elif value in data.sample_names() and not Path(value).exists():
        image, label = data.sample(value, channels=1), value
    else:
        path = Path(value)
        if not path.exists():
            raise UsageError(f"IMAGE '{value}': no such file, and not a sample name "
                             f"({', '.join(data.sample_names())}) or 'circle'")
        image, label = data.load_image(path, channels=1), path.stem
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = image[..., :3] @ np.array(data.LUMA_WEIGHTS)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim != 2 or min(image.shape) < 1:
        raise UsageError(f"IMAGE must be a 2-D image, got shape {image.shape}")
    if max_side is not None and max(image.shape) > max_side:
        from ..ops import pool

        factor = -(-max(image.shape) // max_side)
        image = np.asarray(pool(image, (factor, factor), "AVG", strides=factor))
    return image, label


def read_shape(value: str) -> tuple[int, ...]:
    """``"397"``, ``"397x397"``, ``"397,397"`` or ``"(397, 397)"`` as a tuple of ints."""
    cleaned = value.strip().strip("()[]").replace("×", "x").replace("x", ",")
    try:
        shape = tuple(int(part) for part in cleaned.split(",") if part.strip())
    except ValueError:
        raise UsageError(f"shape {value!r} must be sizes like 397 or 397x397") from None
    if not shape or any(v < 1 for v in shape):
        raise UsageError(f"shape {value!r} must be positive sizes like 397 or 397x397")
    return shape


def read_ints(value: str, name: str) -> int | tuple[int, ...]:
    """``"2"`` -> 2; ``"2,3"`` or ``"2x3"`` -> (2, 3)."""
    parts = value.replace("x", ",").replace("×", ",").split(",")
    try:
        numbers = tuple(int(p) for p in parts if p.strip())
    except ValueError:
        raise UsageError(f"{name} {value!r} must be an integer or integers like 2,3") from None
    if not numbers:
        raise UsageError(f"{name} must not be empty")
    return numbers[0] if len(numbers) == 1 else numbers


def read_padding(value: str) -> Any:
    """``same``, ``valid``, ``full``, ``causal`` or an int (symmetric, PyTorch)."""
    if value.lstrip("-").isdigit():
        return int(value)
    return value


def read_sequence(value: str, option: str = "--input") -> np.ndarray:
    """``"1 9 -1 -2"``, ``"1,9,-1"`` or a nested list literal."""
    text_value = value.strip()
    if text_value.startswith(("[", "(")):
        try:
            array = np.array(ast.literal_eval(text_value), dtype=np.float64)
        except (ValueError, SyntaxError, TypeError):
            raise UsageError(f"{option} {value!r} is not a valid (rectangular) nested list") \
                from None
        return array
    try:
        return np.array([float(p) for p in text_value.replace(",", " ").split()])
    except ValueError:
        allowed = "a nested list, an image or a .npy file" if option == "--input" else \
            "or a list such as '[1, 9, -1, -2]'"
        raise UsageError(f"{option} {value!r} must be numbers like '1 9 -1 -2', {allowed}") \
            from None
