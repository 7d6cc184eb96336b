"""Animated GIFs of a window sliding over a grid of numbers, drawn directly with Pillow.

:func:`animate` draws the input (with its padding), the kernel for a
convolution, and the output being filled one cell per frame, with the
numbers in the cells and the computation of the current cell written
underneath. Photos (grids too large for numbers) are drawn as images, the
output filling in a few rows per frame. :data:`CASES` holds the classic
cases of Dumoulin & Visin's *convolution arithmetic* guide, the lesson's
1-D sequence and a photo, by name (:func:`animate_case`).

Frames are drawn with Pillow's ``ImageDraw`` (no matplotlib) into one fixed
palette, so a 40-frame GIF renders in well under a second. Window
positions come from :func:`ventanal.geometry.plan`, output values from
:func:`ventanal.conv` and :func:`ventanal.pool`.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
import os
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import geometry
from ..ops import conv, pool
from ._common import as_kernel, atomic_write, format_shape, format_value, op_label
from .i18n import check_lang, text

__all__ = ["Animation", "CASES", "animate", "animate_case"]

# ---------------------------------------------------------------------------
# colours and palette
# ---------------------------------------------------------------------------

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
INK = (40, 40, 40)
MUTED = (120, 120, 120)
FAINT = (175, 175, 175)
GRID = (150, 150, 150)
PADDING = (222, 222, 222)
EMPTY = (248, 248, 248)
HIGHLIGHT = (230, 85, 13)         # the window and the cell it writes
HIGHLIGHT_FILL = (253, 208, 162)  # the taps of a dilated window
KERNEL_EDGE = (49, 130, 189)

_LEVELS = 16  # colour steps per side of a ramp (values are snapped to them)
# Light ramps for cells with numbers (black text stays readable on them).
_LIGHT_NEGATIVE = np.array([107, 174, 214])
_LIGHT_POSITIVE = np.array([251, 106, 74])
_LIGHT_SEQUENTIAL = np.array([253, 174, 107])
# Full-strength diverging ramp for photos (no numbers).
_DARK_NEGATIVE = np.array([33, 102, 172])
_DARK_POSITIVE = np.array([178, 24, 43])


def _ramp(end: np.ndarray, levels: int = _LEVELS) -> list[tuple[int, int, int]]:
    steps = np.linspace(0, 1, levels + 1)[1:, None]
    colours = np.rint(255 + (end[None, :] - 255) * steps).astype(int)
    return [tuple(int(c) for c in row) for row in colours]


def _palette_colours() -> list[tuple[int, int, int]]:
    colours = [WHITE, BLACK, INK, MUTED, FAINT, GRID, PADDING, EMPTY, HIGHLIGHT, HIGHLIGHT_FILL,
               KERNEL_EDGE]
    for end in (_LIGHT_NEGATIVE, _LIGHT_POSITIVE, _LIGHT_SEQUENTIAL, _DARK_NEGATIVE,
                _DARK_POSITIVE):
        colours += _ramp(end)
    colours += [(g, g, g) for g in range(0, 256, 4)]  # grey ramp: photos and antialiased text
    colours += [(g, g, g) for g in (255, 253, 251, 249, 247, 245)]
    # Antialiased text over the highlight colours and the kernel's edge.
    for a in np.linspace(0.2, 0.8, 4):
        for base in (HIGHLIGHT, KERNEL_EDGE):
            colours.append(tuple(int(round(c * (1 - a) + 255 * a)) for c in base))
    unique = list(dict.fromkeys(colours))
    assert len(unique) <= 256
    return unique


@functools.lru_cache(maxsize=1)
def _palette_image() -> Any:
    from PIL import Image

    colours = _palette_colours()
    flat = [c for colour in colours for c in colour]
    flat += list(colours[0]) * (256 - len(colours))
    image = Image.new("P", (1, 1))
    image.putpalette(flat)
    return image


class _ColourMap:
    """Values to ramp colours: light tints for numbers, strong ones or grey for photos."""

    def __init__(self, values: np.ndarray, style: str) -> None:
        finite = values[np.isfinite(values)]
        self.low = float(finite.min()) if finite.size else 0.0
        self.high = float(finite.max()) if finite.size else 1.0
        self.signed = self.low < 0
        self.style = style
        self.bound = max(abs(self.low), abs(self.high)) or 1.0
        if style == "dark" and finite.size:
            # Photos: a few strong edges would leave every other cell pale.
            self.bound = float(np.percentile(np.abs(finite), 99.5)) or self.bound
        if style == "light":
            self.negative, self.positive = _ramp(_LIGHT_NEGATIVE), _ramp(_LIGHT_POSITIVE)
            if not self.signed:
                self.positive = _ramp(_LIGHT_SEQUENTIAL)
        else:
            self.negative, self.positive = _ramp(_DARK_NEGATIVE), _ramp(_DARK_POSITIVE)

    def array(self, values: np.ndarray) -> np.ndarray:
        """Colours of a whole array, ``(H, W, 3)`` uint8 (for photos)."""
        table = np.array([self(v) for v in self._levels()], dtype=np.uint8)
        return table[self._level_index(values)]

    def _levels(self) -> list[float]:
        if self.style == "gray" or (self.style == "dark" and not self.signed):
            span = (self.high - self.low) or 1.0
            return [self.low + span * k / 63 for k in range(64)]
        steps = np.arange(-_LEVELS, _LEVELS + 1) / _LEVELS * self.bound
        return [float(v) for v in steps]

    def _level_index(self, values: np.ndarray) -> np.ndarray:
        values = np.nan_to_num(np.asarray(values, dtype=np.float64))
        if self.style == "gray" or (self.style == "dark" and not self.signed):
            span = (self.high - self.low) or 1.0
            return np.rint(np.clip((values - self.low) / span, 0, 1) * 63).astype(np.intp)
        return (np.clip(np.rint(values / self.bound * _LEVELS), -_LEVELS, _LEVELS)
                + _LEVELS).astype(np.intp)

    def __call__(self, value: float) -> tuple[int, int, int]:
        if not np.isfinite(value):
            return PADDING
        if self.style == "gray" or (self.style == "dark" and not self.signed):
            span = (self.high - self.low) or 1.0
            g = int(np.clip((value - self.low) / span, 0, 1) * 63 + 0.5) * 4
            return (min(g, 255),) * 3
        level = int(round(abs(value) / self.bound * _LEVELS))
        if level == 0:
            return WHITE
        ramp = self.negative if value < 0 else self.positive
        return ramp[min(level, _LEVELS) - 1]


# ---------------------------------------------------------------------------
# fonts
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> Any:
    """DejaVu Sans from matplotlib's data (accents, ×, −, Σ), else Pillow's own font."""
    from PIL import ImageFont

    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=1)
def _has_full_font() -> bool:
    spec = importlib.util.find_spec("matplotlib")
    return bool(spec and spec.origin and (Path(spec.origin).parent / "mpl-data" / "fonts" /
                                          "ttf" / "DejaVuSans.ttf").is_file())


def _plain(message: str) -> str:
    """ASCII fallback of a message for Pillow's built-in font (no accents or ×)."""
    if _has_full_font():
        return message
    for a, b in (("×", "x"), ("−", "-"), ("→", "->"), ("Σ", "sum"), ("·", "*"), ("…", "...")):
        message = message.replace(a, b)
    return unicodedata.normalize("NFKD", message).encode("ascii", "ignore").decode()


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

    def _write(self, target: Any) -> None:
        first, *rest = self.frames
        # optimize=True shrinks each frame's palette to the colours it uses: 5x smaller files.
        first.save(target, format="GIF", save_all=True, append_images=rest,
                   duration=self.durations, loop=0, optimize=True, disposal=1)

    def to_bytes(self) -> bytes:
        """The GIF file's bytes."""
        buffer = io.BytesIO()
        self._write(buffer)
        return buffer.getvalue()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the GIF atomically (temporary file, then rename); returns the path."""
        return atomic_write(path, lambda tmp: self._write(tmp))

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
        array = array[..., 0] if array.shape[2] == 1 else array[..., :3] @ [0.299, 0.587, 0.114]
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
        a.size + a.pad_before + max(a.pad_after, a.read_after, 0) <= 16 for a in axes)
    painter = _Painter(grid, out_grid, kernel_grid, axes, kind, with_numbers, lang, cell_size,
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
    step = duration if duration is not None else (900 if with_numbers else 120)
    durations = [int(step)] * (len(frames) - 1) + [int(step) * 4]
    animation = Animation(frames, durations, x, output, w, plan,
                          info={"op": kind, "numbers": with_numbers, "title": painter.title,
                                "captions": painter.captions, "legend": painter.legend,
                                "layout": painter.layout()})
    if path is not None:
        animation.save(path)
    return animation


def _title(kind: str, window: Sequence[int], plan: geometry.WindowPlan, padding: Any,
           lang: str, in_shape: Sequence[int], out_shape: Sequence[int]) -> str:
    label = op_label(kind, window, plan.strides, padding, lang, plan.dilations)
    return f"{label}: {format_shape(in_shape)} → {format_shape(out_shape)}"


class _Painter:
    """Draws the frames: a base image, then the window and the output on top."""

    def __init__(self, grid: np.ndarray, out_grid: np.ndarray, kernel: np.ndarray | None,
                 axes: Sequence[geometry.AxisWindow], kind: str, numbers: bool, lang: str,
                 cell_size: int | None, *, sequence: bool, caption: str,
                 digits: int | None = None) -> None:
        from PIL import Image, ImageDraw

        self.Image, self.ImageDraw = Image, ImageDraw
        self.grid, self.out_grid, self.kernel = grid, out_grid, kernel
        self.axes, self.kind, self.numbers, self.lang = axes, kind, numbers, lang
        self.sequence = sequence
        self.taps = (axes[0].taps(), axes[1].taps())
        # Cells drawn: the input, its padding, and any cells the last window
        # reads past the padding (ceil_mode).
        self.first = (-axes[0].pad_before, -axes[1].pad_before)
        self.last = tuple(a.size - 1 + max(a.pad_after, a.read_after, 0) for a in axes)
        shown = (self.last[0] - self.first[0] + 1, self.last[1] - self.first[1] + 1)
        out_h, out_w = out_grid.shape
        k_h, k_w = kernel.shape if kernel is not None else (0, 0)

        if cell_size is None:
            if numbers:
                total_cells = shown[1] + out_w + (k_w + 1 if kernel is not None else 0) + 2
                if sequence:
                    total_cells = shown[1] + 1
                cell_size = int(np.clip(900 // max(total_cells, 1), 28, 60))
            else:
                cell_size = max(1, 360 // max(shown))
        cs = self.cs = int(cell_size)
        if numbers:
            self.out_cs = cs
        else:
            self.out_cs = max(1, int(round(cs * max(shown) / max(out_h, out_w))))
        # The kernel always shows its numbers, in cells large enough to read.
        self.kernel_cs = cs if numbers else 34
        self.digits = digits
        # Numbers fill at most 85% of a cell's width (a digit is about 0.6 em wide).
        longest = max([len(self.number(v)) for values in (grid, out_grid)
                       for v in np.ravel(values)[:4096]] +
                      [len(format_value(v)) for v in np.ravel(kernel if kernel is not None
                                                               else [])])
        fit = 0.85 / (0.6 * max(longest, 2))
        self.font = _font(max(9, int(cs * min(0.36, fit))))
        self.kernel_font = _font(max(9, int(self.kernel_cs * min(0.36, fit))))
        self.small = _font(max(11, min(16, int(cs * 0.3))))
        self.label_font = _font(max(13, min(18, int(cs * 0.38))))
        self.title_font = _font(max(14, min(20, int(cs * 0.42))), bold=True)
        self.caption_font = _font(max(13, min(19, int(cs * 0.4))))
        margin = self.margin = max(14, cs // 2)
        gap = max(cs, 28)
        title_h = self.title_font.size + 12
        label_h = self.label_font.size + 8

        # Layout: input | kernel | output side by side (2-D); rows stacked (1-D).
        top = margin + title_h + label_h
        self.in_origin = (margin, top)
        in_w, in_h = shown[1] * cs, shown[0] * cs
        kcs = self.kernel_cs
        self.kernel_origin: tuple[int, int] | None = None
        if sequence:
            y = top + in_h + cs // 2 + label_h
            if kernel is not None:
                self.kernel_origin = (margin, y)
                y += kcs + cs // 2 + label_h
            self.out_origin = (margin, y)
            width = margin * 2 + max(in_w, out_w * self.out_cs)
            bottom = y + out_h * self.out_cs
        else:
            x = margin + in_w + gap
            if kernel is not None:
                self.kernel_origin = (x, top)
                x += max(k_w * kcs, int(self.label_font.getlength("kernel 3×3"))) + gap
            self.out_origin = (x, top)
            width = x + out_w * self.out_cs + margin
            bottom = top + max(in_h, out_h * self.out_cs, k_h * kcs)
        self.caption_y = bottom + 14
        self.legend_y = self.caption_y + self.caption_font.size + 10
        height = self.legend_y + self.small.size + margin
        title_w = self.title_font.getlength(_plain(caption)) + 2 * margin
        caption_w = self.caption_font.getlength("M" * 30) + 2 * margin
        width = int(max(width, title_w, caption_w))
        self.size = (width, int(height))

        style = "light" if numbers else "dark"
        self.in_colours = _ColourMap(grid, style if numbers else "gray")
        self.out_colours = _ColourMap(out_grid, style)
        self.kernel_colours = _ColourMap(kernel, "light") if kernel is not None else None
        self.base = Image.new("RGB", self.size, WHITE)
        self.out_image = None if numbers else self._out_image()
        self.title = caption
        self.captions: list[str] = []
        self.legend = self._legend()
        self._draw_base(caption)

    def layout(self) -> dict[str, Any]:
        """Where things are drawn (pixels), for tests and overlays."""
        return {"cell": self.cs, "out_cell": self.out_cs, "input_origin": self.in_origin,
                "output_origin": self.out_origin, "kernel_origin": self.kernel_origin,
                "first_cell": self.first, "size": self.size}

    def number(self, value: float) -> str:
        """A value of the input or the output, as written in its cell."""
        if self.digits is None and np.isfinite(value) and value != round(value):
            return format_value(value, 2).rstrip("0").rstrip(".")
        return format_value(value, self.digits)

    # -- geometry of cells -------------------------------------------------------
    def in_box(self, r: int, c: int) -> tuple[int, int, int, int]:
        x0 = self.in_origin[0] + (c - self.first[1]) * self.cs
        y0 = self.in_origin[1] + (r - self.first[0]) * self.cs
        return (x0, y0, x0 + self.cs, y0 + self.cs)

    def out_box(self, i: int, j: int) -> tuple[int, int, int, int]:
        x0 = self.out_origin[0] + j * self.out_cs
        y0 = self.out_origin[1] + i * self.out_cs
        return (x0, y0, x0 + self.out_cs, y0 + self.out_cs)

    def kernel_box(self, r: int, c: int, origin: tuple[int, int]) -> tuple[int, int, int, int]:
        x0, y0 = origin[0] + c * self.kernel_cs, origin[1] + r * self.kernel_cs
        return (x0, y0, x0 + self.kernel_cs, y0 + self.kernel_cs)

    # -- drawing -----------------------------------------------------------------
    def _text(self, draw: Any, xy: tuple[float, float], message: str, font: Any,
              fill: tuple[int, int, int] = INK, anchor: str = "la") -> None:
        draw.text(xy, _plain(message), font=font, fill=fill, anchor=anchor)

    def _cell(self, draw: Any, box: tuple[int, int, int, int], fill: tuple[int, int, int],
              label: str | None, text_fill: tuple[int, int, int] = INK,
              outline: tuple[int, int, int] | None = GRID) -> None:
        draw.rectangle(box, fill=fill, outline=outline)
        if label is not None:
            self._text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), label,
                       self.font, text_fill, "mm")

    def _read_mask(self) -> list[np.ndarray]:
        masks = []
        for a, taps in zip(self.axes, self.taps, strict=True):
            read = np.zeros(a.size, dtype=bool)
            read[taps[(taps >= 0) & (taps < a.size)]] = True
            masks.append(read)
        return masks

    def _scaled(self, colours: np.ndarray, cell: int) -> Any:
        image = self.Image.fromarray(colours, "RGB")
        return image.resize((image.width * cell, image.height * cell), self.Image.NEAREST)

    def _out_image(self) -> Any:
        return self._scaled(self.out_colours.array(self.out_grid), self.out_cs)

    def _draw_base(self, caption: str) -> None:
        draw = self.ImageDraw.Draw(self.base)
        lang = self.lang
        self._text(draw, (self.margin, self.margin), caption, self.title_font, BLACK)
        label_y = self.in_origin[1] - self.label_font.size - 6
        self._text(draw, (self.in_origin[0], label_y),
                   text("anim.input", lang, shape=format_shape(self._input_shape())),
                   self.label_font, MUTED)
        if self.numbers:
            self._draw_input_cells(draw)
        else:
            self._draw_input_image()
        if self.kernel is not None and self.kernel_origin is not None and not self.sequence:
            self._draw_kernel(draw, self.kernel_origin)
        out_label = text("anim.output", lang, shape=format_shape(self._output_shape()))
        self._text(draw, (self.out_origin[0], self.out_origin[1] - self.label_font.size - 6),
                   out_label, self.label_font, MUTED)
        out_h, out_w = self.out_grid.shape
        if self.numbers:
            for i in range(out_h):
                for j in range(out_w):
                    self._cell(draw, self.out_box(i, j), EMPTY, None, outline=FAINT)
        else:
            x0, y0 = self.out_origin
            draw.rectangle((x0 - 1, y0 - 1, x0 + out_w * self.out_cs, y0 + out_h * self.out_cs),
                           fill=EMPTY, outline=FAINT)
        self._text(draw, (self.margin, self.legend_y), self.legend, self.small, MUTED)

    def _draw_input_cells(self, draw: Any) -> None:
        read_rows, read_cols = self._read_mask()
        for r in range(self.first[0], self.last[0] + 1):
            for c in range(self.first[1], self.last[1] + 1):
                box = self.in_box(r, c)
                if 0 <= r < self.grid.shape[0] and 0 <= c < self.grid.shape[1]:
                    value = self.grid[r, c]
                    if read_rows[r] and read_cols[c]:
                        self._cell(draw, box, self.in_colours(value), self.number(value))
                    else:
                        self._cell(draw, box, EMPTY, self.number(value), FAINT)
                else:
                    label = "0" if self.kind == "conv" else None
                    self._cell(draw, box, PADDING, label, MUTED, outline=FAINT)

    def _draw_input_image(self) -> None:
        rows = self.last[0] - self.first[0] + 1
        cols = self.last[1] - self.first[1] + 1
        colours = np.empty((rows, cols, 3), dtype=np.uint8)
        colours[...] = PADDING
        r0, c0 = -self.first[0], -self.first[1]
        h, w = self.grid.shape
        h_shown, w_shown = min(h, rows - r0), min(w, cols - c0)
        colours[r0:r0 + h_shown, c0:c0 + w_shown] = self.in_colours.array(
            self.grid[:h_shown, :w_shown])
        self.base.paste(self._scaled(colours, self.cs), self.in_origin)

    def _draw_kernel(self, draw: Any, origin: tuple[int, int]) -> None:
        assert self.kernel is not None and self.kernel_colours is not None
        shape = self.kernel.shape[1:] if self.sequence else self.kernel.shape
        self._text(draw, (origin[0], origin[1] - self.label_font.size - 6),
                   text("anim.kernel", self.lang, shape=format_shape(shape)),
                   self.label_font, KERNEL_EDGE)
        for (r, c), value in np.ndenumerate(self.kernel):
            box = self.kernel_box(r, c, origin)
            draw.rectangle(box, fill=self.kernel_colours(value), outline=KERNEL_EDGE)
            self._text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
                       format_value(value), self.kernel_font, INK, "mm")

    def _input_shape(self) -> tuple[int, ...]:
        return (self.grid.shape[1],) if self.sequence else self.grid.shape

    def _output_shape(self) -> tuple[int, ...]:
        return (self.out_grid.shape[1],) if self.sequence else self.out_grid.shape

    def _legend(self) -> str:
        notes = []
        if any(a.pad_before or a.pad_after or a.read_after > 0 for a in self.axes):
            notes.append(text({"conv": "anim.padding", "max": "anim.padding_ignored",
                               "avg": "anim.padding_avg"}[self.kind], self.lang))
        if self.numbers and not all(mask.all() for mask in self._read_mask()):
            notes.append(text("anim.unread", self.lang))
        return "   ·   ".join(notes)

    def fill_output(self, i: int, j: int) -> None:
        if not self.numbers:
            return
        draw = self.ImageDraw.Draw(self.base)
        value = self.out_grid[i, j]
        self._cell(draw, self.out_box(i, j), self.out_colours(value), self.number(value),
                   outline=GRID)

    def _reveal_image(self, i: int, j: int) -> None:
        """Paste the output image up to cell (i, j), row by row."""
        assert self.out_image is not None
        oc, (x0, y0) = self.out_cs, self.out_origin
        width = self.out_image.width
        if i:
            self.base.paste(self.out_image.crop((0, 0, width, i * oc)), (x0, y0))
        self.base.paste(self.out_image.crop((0, i * oc, (j + 1) * oc, (i + 1) * oc)),
                        (x0, y0 + i * oc))

    def frame(self, i: int, j: int, step: int, total: int) -> Any:
        if self.numbers:
            self.fill_output(i, j)
        else:
            self._reveal_image(i, j)
        image = self.base.copy()
        draw = self.ImageDraw.Draw(image)
        rows, cols = self.taps[0][i], self.taps[1][j]
        width = max(2, self.cs // 12) if self.numbers else 2
        dilated = any(a.dilation > 1 for a in self.axes)
        if dilated and self.numbers:
            for r in rows:
                for c in cols:
                    x0, y0, x1, y1 = self.in_box(int(r), int(c))
                    draw.rectangle((x0 + 2, y0 + 2, x1 - 2, y1 - 2), outline=HIGHLIGHT,
                                   width=max(2, width - 1))
        top_left = self.in_box(int(rows[0]), int(cols[0]))
        bottom_right = self.in_box(int(rows[-1]), int(cols[-1]))
        pad = 0 if self.numbers else width
        draw.rectangle((top_left[0] - pad, top_left[1] - pad, bottom_right[2] + pad - 1,
                        bottom_right[3] + pad - 1),
                       outline=HIGHLIGHT, width=width if not dilated else max(1, width // 2))
        if self.sequence and self.kernel is not None and self.kernel_origin is not None:
            self._draw_sliding_kernel(draw, top_left[0])
        box = self.out_box(i, j)
        draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad - 1, box[3] + pad - 1),
                       outline=HIGHLIGHT, width=width)
        caption = self._explain(i, j, rows, cols)
        self.captions.append(caption)
        self._text(draw, (self.margin, self.caption_y), caption, self.caption_font, INK)
        self._text(draw, (self.size[0] - self.margin, self.legend_y),
                   text("anim.step", self.lang, step=step, total=total), self.small, MUTED, "ra")
        return self._quantize(image)

    def _draw_sliding_kernel(self, draw: Any, x: int) -> None:
        """1-D: the kernel drawn under the window, moving with it."""
        assert self.kernel is not None and self.kernel_origin is not None
        origin = (x, self.kernel_origin[1])
        for c in range(self.kernel.shape[1]):
            box = self.kernel_box(0, c * self.axes[1].dilation, origin)
            draw.rectangle(box, fill=self.kernel_colours(self.kernel[0, c]),
                           outline=KERNEL_EDGE, width=2)
            self._text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
                       format_value(self.kernel[0, c]), self.kernel_font, INK, "mm")
        self._text(draw, (origin[0], origin[1] - self.label_font.size - 4),
                   text("anim.kernel", self.lang, shape=format_shape(self.kernel.shape[1:])),
                   self.label_font, KERNEL_EDGE)

    def final_frame(self) -> Any:
        if not self.numbers:
            self._reveal_image(self.out_grid.shape[0] - 1, self.out_grid.shape[1] - 1)
        image = self.base.copy()
        draw = self.ImageDraw.Draw(image)
        caption = text("anim.done", self.lang, shape=format_shape(self._output_shape()))
        self.captions.append(caption)
        self._text(draw, (self.margin, self.caption_y), caption, self.caption_font, INK)
        return self._quantize(image)

    def _explain(self, i: int, j: int, rows: np.ndarray, cols: np.ndarray) -> str:
        value = self.number(self.out_grid[i, j])
        where = f"[{j}]" if self.sequence else f"[{i}, {j}]"
        head = text("anim.output", self.lang, shape="").strip() + where
        if not self.numbers:
            return f"{head} = {value}"
        cells = [self.grid[r, c] if 0 <= r < self.grid.shape[0] and 0 <= c < self.grid.shape[1]
                 else None for r in rows for c in cols]
        room = self.size[0] - 2 * self.margin
        if self.kind == "conv":
            assert self.kernel is not None
            terms = " + ".join(
                f"{_paren(self.number(0 if v is None else v))}·{_paren(format_value(k))}"
                for v, k in zip(cells, self.kernel.ravel(), strict=True))
            full = f"{head} = {terms} = {value}"
            short = f"{head} = {text('anim.sum_of', self.lang)} = {value}"
        else:
            real = ", ".join(self.number(v) for v in cells if v is not None)
            name = "max" if self.kind == "max" else text("anim.mean", self.lang)
            full = f"{head} = {name}({real}) = {value}"
            key = "anim.max_of" if self.kind == "max" else "anim.mean_of"
            short = f"{head} = {text(key, self.lang)} = {value}"
        fits = self.caption_font.getlength(_plain(full)) <= room
        return full if fits else short

    def _quantize(self, image: Any) -> Any:
        return image.quantize(palette=_palette_image(), dither=self.Image.Dither.NONE)


def _paren(label: str) -> str:
    return f"({label})" if label.startswith("-") else label


# ---------------------------------------------------------------------------
# named cases
# ---------------------------------------------------------------------------

# The 5×5 grid and 3×3 kernel of the convolution-arithmetic guide's numerical
# example (Dumoulin & Visin 2016), whose VALID output is [[12, 12, 17], ...].
_GRID5 = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
_KERNEL3 = [[0, 1, 2], [2, 2, 0], [0, 1, 2]]
_SEQUENCE = [1, 9, -1, -2, 7, 3, -1, 2]


def _grid(n: int, seed: int = 7) -> list[list[int]]:
    return np.random.default_rng(seed).integers(0, 4, size=(n, n)).tolist()


def _photo(size: int = 128) -> np.ndarray:
    from .. import data

    image = data.sample("camera", channels=1)
    factor = max(1, image.shape[0] // size)
    small = np.asarray(pool(image, (factor, factor), "AVG", strides=factor))
    return small[:size, :size]


#: Named animations: the convolution-arithmetic cases, the lesson's sequence
#: and a photo. Each value holds :func:`animate`'s arguments; ``input`` may be
#: a callable (built on demand).
CASES: dict[str, dict[str, Any]] = {
    "no-padding": {"input": _GRID5, "kernel": _KERNEL3, "padding": "VALID",
                   "doc": "3×3 kernel, no padding, stride 1: 5×5 → 3×3"},
    "same": {"input": _GRID5, "kernel": _KERNEL3, "padding": "SAME",
             "doc": "'same' (half) padding keeps the size: 5×5 → 5×5"},
    "full": {"input": _GRID5, "kernel": _KERNEL3, "padding": "FULL",
             "doc": "full padding, every overlap: 5×5 → 7×7"},
    "strides": {"input": _GRID5, "kernel": _KERNEL3, "strides": 2,
                "doc": "stride 2, no padding: 5×5 → 2×2"},
    "padded-strides": {"input": _GRID5, "kernel": _KERNEL3, "strides": 2, "padding": "SAME",
                       "doc": "stride 2 and 'same' padding: 5×5 → 3×3"},
    "dilation": {"input": lambda: _grid(7), "kernel": _KERNEL3, "dilations": 2,
                 "doc": "dilation 2 (atrous): a 3×3 kernel spanning 5×5; 7×7 → 3×3"},
    "max-pool": {"input": _GRID5, "op": "max", "window_shape": 2, "strides": 2,
                 "padding": "SAME",
                 "doc": "the lesson's 2×2 max pooling, stride 2, 'same': 5×5 → 3×3"},
    "stride-gt-window": {"input": lambda: _grid(8), "op": "max", "window_shape": 2,
                         "strides": 3,
                         "doc": "stride 3 > window 2: some cells are never read; 8×8 → 3×3"},
    "sequence": {"input": _SEQUENCE, "op": "max", "window_shape": 2, "strides": 2,
                 "doc": "the lesson's sequence, max pooling 2, stride 2: 8 → 4"},
    "sequence-conv": {"input": _SEQUENCE, "kernel": [1, 2, 3],
                      "doc": "the lesson's sequence and kernel [1, 2, 3]: 8 → 6"},
    "photo": {"input": _photo, "kernel": "bottom_sobel", "max_frames": 48,
              "doc": "bottom Sobel over a photo (camera): 128×128 → 126×126"},
    "photo-pool": {"input": _photo, "op": "max", "window_shape": 4, "strides": 4,
                   "max_frames": 48,
                   "doc": "4×4 max pooling, stride 4, over the photo: 128×128 → 32×32"},
}


def animate_case(name: str, **overrides: Any) -> Animation:
    """The animation of a named case of :data:`CASES`; keyword arguments override it.

    Examples
    --------
    >>> from ventanal.viz import animate_case
    >>> animate_case("no-padding").output.astype(int).tolist()
    [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    >>> animate_case("strides", lang="es").output.shape
    (2, 2)
    """
    if name not in CASES:
        raise ValueError(f"`name` must be one of {', '.join(CASES)}; got {name!r}")
    arguments = {k: v for k, v in CASES[name].items() if k != "doc"}
    arguments.update(overrides)
    source = arguments.pop("input")
    if callable(source):
        source = source()
    return animate(source, **arguments)
