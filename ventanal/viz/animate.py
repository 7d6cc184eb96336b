"""Animated GIFs of a window sliding over a grid of numbers, drawn directly with Pillow.

:func:`animate` draws the input (with its padding), the kernel for a
convolution, and the output being filled one cell per frame, with the
numbers in the cells and the computation of the current cell written
underneath. Photos (grids too large for numbers) are drawn as images, the
output filling in a few rows per frame. :data:`CASES` holds the classic
cases of Dumoulin & Visin's *convolution arithmetic* guide, the lesson's
1-D sequence and a photo, by name (:func:`animate_case`, in
:mod:`ventanal.viz.animation_cases`).

Frames are drawn with Pillow's ``ImageDraw`` (no matplotlib) into one fixed
palette, so a 40-frame GIF renders in well under a second. Window
positions come from :func:`ventanal.geometry.plan`, output values from
:func:`ventanal.conv` and :func:`ventanal.pool`.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import geometry
from ..data import LUMA_WEIGHTS
from ..ops import conv, pool
from .common import as_kernel, format_shape, op_label
from .i18n import check_lang
from .output import atomic_write, output_format
from .painter import Painter

__all__ = ["Animation", "animate"]

#: Suffixes :meth:`Animation.save` writes, and the Pillow format of each.
ANIMATION_FORMATS = {"gif": "GIF", "png": "PNG", "apng": "PNG", "webp": "WEBP"}

#: Grids up to this many cells a side (padding included) get their numbers written;
#: larger ones are photos, drawn as images.
NUMBERS_MAX_SIDE = 16
#: Milliseconds per frame: time to read a computation, or a smooth sweep over a photo.
NUMBERS_FRAME_MS, PHOTO_FRAME_MS = 900, 120
#: The finished output stays this many frames' time before the GIF loops.
LAST_FRAME_HOLD = 4

# ---------------------------------------------------------------------------
# the animation object
# ---------------------------------------------------------------------------

@dataclass(eq=False)
class Animation:
    """Frames of an animated GIF, with the numbers they show.

    Attributes
    ----------
    frames : list of PIL.Image.Image
        Palette images, all the same size.
    durations : list of int
        Display time of each frame, in milliseconds.
    input, output : numpy.ndarray
        The grid animated and the operation's result (from ventanal's ops).
    kernel : numpy.ndarray or None
        The convolution kernel.
    plan : ventanal.geometry.WindowPlan
        The window geometry used for every frame.
    """

    frames: list[Any]
    durations: list[int]
    input: np.ndarray
    output: np.ndarray
    kernel: np.ndarray | None
    plan: geometry.WindowPlan
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames in pixels."""
        return self.frames[0].size

    def _write(self, target: Any, fmt: str = "GIF") -> None:
        first, *rest = self.frames
        if fmt == "GIF":
            # optimize=True shrinks each frame's palette to the colours it uses: 5x smaller.
            first.save(target, format="GIF", save_all=True, append_images=rest,
                       duration=self.durations, loop=0, optimize=True, disposal=1)
        else:   # animated PNG or WebP: every frame whole, shown for its duration
            first.save(target, format=fmt, save_all=True, append_images=rest,
                       duration=self.durations, loop=0)

    def to_bytes(self) -> bytes:
        """The GIF file's bytes."""
        buffer = io.BytesIO()
        self._write(buffer)
        return buffer.getvalue()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the animation atomically (temporary file, then rename); returns the path.

        The format follows the suffix: ``.gif`` (GIF), ``.png`` or ``.apng`` (animated PNG),
        ``.webp`` (animated WebP); a name without a suffix gets ``.gif``. Any other suffix is
        a ``ValueError``, raised before anything is written.
        """
        target, fmt = output_format(path, ANIMATION_FORMATS, "gif")
        return atomic_write(target, lambda tmp: self._write(tmp, fmt))

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.to_bytes()).decode("ascii")
        return f'<img src="data:image/gif;base64,{data}"/>'

    def __repr__(self) -> str:
        w, h = self.size
        return (f"Animation({len(self)} frames, {w}×{h} px, input {format_shape(self.input.shape)}"
                f" → output {format_shape(self.output.shape)})")


# ---------------------------------------------------------------------------
# animate
# ---------------------------------------------------------------------------

_OPS = ("conv", "max", "avg")


def _as_grid(values: Any) -> np.ndarray:
    try:
        array = np.asarray(values)
    except Exception as error:
        raise TypeError(f"`input` must be array-like, got {type(values).__name__}: "
                        f"{error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`input` must hold real numbers, got dtype {array.dtype}")
    if array.ndim == 3 and array.shape[2] in (1, 3, 4):
        array = array[..., 0] if array.shape[2] == 1 else array[..., :3] @ np.array(LUMA_WEIGHTS)
    if array.ndim not in (1, 2) or array.size == 0:
        raise ValueError(f"`input` must be a non-empty 1-D sequence or 2-D image, got shape "
                         f"{array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float64) / 255
    return array.astype(np.float64)


def _trivial_axis() -> geometry.AxisWindow:
    return geometry.plan((1,), 1).axes[0]


def animate(input: Any, kernel: Any = None, *, op: str = "conv", window_shape: Any = None,
            strides: Any = 1, padding: Any = "VALID", dilations: Any = 1,
            ceil_mode: bool = False, numbers: bool | None = None, digits: int | None = None,
            lang: str = "en",
            cell_size: int | None = None, max_frames: int = 60, duration: int | None = None,
            path: str | os.PathLike[str] | None = None,
            progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None) -> Animation:
    """GIF of a window sliding over a sequence or an image, the output filling in.

    Parameters
    ----------
    input : array_like
        A 1-D sequence or a 2-D image (``(H, W, 3)`` is turned to gray).
    kernel : array_like or str, optional
        The convolution kernel (rank of ``input``), or a kernel name; needed
        for ``op="conv"``.
    op : {"conv", "max", "avg"}, optional
        Convolution (:func:`ventanal.conv`) or max / average pooling
        (:func:`ventanal.pool`). Default ``"conv"``.
    window_shape : int or tuple, optional
        Pooling window (required for ``"max"`` and ``"avg"``).
    strides, padding, dilations, ceil_mode
        As in :func:`ventanal.pool` (``ceil_mode`` for pooling only).
    numbers : bool, optional
        Write the values in the cells. Default: when the padded grid is at
        most 16 cells a side; larger inputs are drawn as images.
    digits : int, optional
        Decimals of the input and output numbers. Default: integers as
        integers, other values with at most 2 decimals.
    lang : {"en", "es"}, optional
        Language of the captions.
    cell_size : int, optional
        Cell side in pixels (default: fit the frame in about 960 px).
    max_frames : int, optional
        Upper bound on the frames of the sliding (one more frame shows the
        finished output). With more output cells than that, each frame
        fills several. Default 60.
    duration : int, optional
        Milliseconds per frame (default 900 with numbers, 120 without); the
        last frame stays 4 times longer.
    path : str or os.PathLike, optional
        Also save the GIF there (atomically).
    progress : callable, optional
        Wraps the iterable of frames (e.g. ``tqdm``), for a progress bar.

    Returns
    -------
    Animation
        ``.frames`` (PIL images), ``.save(path)``, ``.to_bytes()``; shows
        itself in a notebook.

    Examples
    --------
    The lesson's sequence, max-pooled with a window of 2 and stride 2:

    >>> from ventanal.viz import animate
    >>> anim = animate([1, 9, -1, -2, 7, 3, -1, 2], op="max", window_shape=2, strides=2)
    >>> anim.output.tolist(), len(anim)
    ([9.0, -1.0, 7.0, 2.0], 5)

    A 3×3 kernel with SAME padding over a 5×5 grid:

    >>> anim = animate(np.arange(25).reshape(5, 5), [[0, 1, 2], [2, 2, 0], [0, 1, 2]],
    ...                padding="SAME")
    >>> anim.output.shape, len(anim)
    ((5, 5), 26)
    """
    check_lang(lang)
    x = _as_grid(input)
    kind = str(op).lower()
    if kind not in _OPS:
        raise ValueError(f"`op` must be one of {', '.join(map(repr, _OPS))}, got {op!r}")
    if isinstance(max_frames, bool) or not isinstance(max_frames, int | np.integer) \
            or max_frames < 1:
        raise ValueError(f"`max_frames` must be a positive integer, got {max_frames!r}")
    w: np.ndarray | None = None
    if kind == "conv":
        if kernel is None:
            raise ValueError("`kernel` is required for op='conv' (an array or a kernel name)")
        w = as_kernel(kernel).astype(np.float64)
        if w.ndim != x.ndim:
            raise ValueError(f"`kernel` must have the rank of `input` ({x.ndim}-D), got shape "
                             f"{w.shape}")
        if ceil_mode:
            raise ValueError("`ceil_mode` applies to pooling only (op='max' or 'avg')")
        output = np.asarray(conv(x, w, strides=strides, padding=padding, dilations=dilations),
                            dtype=np.float64)
        window = w.shape
    else:
        if window_shape is None:
            raise ValueError(f"`window_shape` is required for op={kind!r}")
        window = geometry.normalize_tuple(window_shape, x.ndim, "window_shape")
        output = np.asarray(pool(x, window, kind.upper(), strides=strides, padding=padding,
                                 dilations=dilations, ceil_mode=ceil_mode), dtype=np.float64)
    plan = geometry.plan(x.shape, window, strides, padding, dilations,
                         ceil_mode=ceil_mode if kind != "conv" else False)
    if plan.output_shape != output.shape:  # pragma: no cover - ops and geometry agree
        raise AssertionError(f"plan {plan.output_shape} != output {output.shape}")

    grid = x[None, :] if x.ndim == 1 else x
    out_grid = output[None, :] if x.ndim == 1 else output
    kernel_grid = None if w is None else (w[None, :] if w.ndim == 1 else w)
    axes = (_trivial_axis(), plan.axes[0]) if x.ndim == 1 else plan.axes
    with_numbers = numbers if numbers is not None else all(
        last - first + 1 <= NUMBERS_MAX_SIDE for first, last in (a.drawn_cells for a in axes))
    painter = Painter(grid, out_grid, kernel_grid, axes, kind, with_numbers, lang, cell_size,
                       sequence=x.ndim == 1, caption=_title(kind, window, plan, padding, lang,
                                                             x.shape, output.shape),
                       digits=digits)
    positions = [(i, j) for i in range(out_grid.shape[0]) for j in range(out_grid.shape[1])]
    chunks = np.array_split(np.arange(len(positions)), min(len(positions), int(max_frames)))
    frames_iter: Iterable[Any] = chunks
    if progress is not None:
        frames_iter = progress(chunks)
    frames = []
    for chunk in frames_iter:
        for index in chunk[:-1]:
            painter.fill_output(*positions[index])
        frames.append(painter.frame(*positions[chunk[-1]], step=int(chunk[-1]) + 1,
                                    total=len(positions)))
    frames.append(painter.final_frame())
    step = duration if duration is not None else (
        NUMBERS_FRAME_MS if with_numbers else PHOTO_FRAME_MS)
    durations = [int(step)] * (len(frames) - 1) + [int(step) * LAST_FRAME_HOLD]
    animation = Animation(frames, durations, x, output, w, plan,
                          info={"op": kind, "numbers": with_numbers, "title": painter.title,
                                "captions": painter.captions, "legend": painter.legend,
                                "layout": painter.layout(),
                                "text_boxes": painter.text_boxes()})
    if path is not None:
        animation.save(path)
    return animation


def _title(kind: str, window: Sequence[int], plan: geometry.WindowPlan, padding: Any,
           lang: str, in_shape: Sequence[int], out_shape: Sequence[int]) -> str:
    label = op_label(kind, window, plan.strides, padding, lang, plan.dilations)
    return f"{label}: {format_shape(in_shape)} → {format_shape(out_shape)}"

