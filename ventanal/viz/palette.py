"""Colours, the GIF palette and the fonts of the animations (Pillow, no matplotlib).

Every frame is quantized to one fixed palette of at most 256 colours, so a
GIF's frames share it and a value always gets the same colour. Fonts are
DejaVu Sans from matplotlib's data when it is installed (it has the accents,
×, − and Σ the captions use), else Pillow's own font with ASCII captions.
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["WHITE", "BLACK", "INK", "MUTED", "FAINT", "GRID", "PADDING", "EMPTY", "HIGHLIGHT",
           "HIGHLIGHT_FILL", "KERNEL_EDGE", "ColourMap", "palette_image", "font", "plain"]

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
# Gray levels of a photo: 64 steps of 4 (the palette's grey ramp), finer than the eye
# tells apart in a GIF, leaving room in the palette's 256 colours for the ramps above.
_GREYS = 64
_GREY_STEP = 256 // _GREYS


def _ramp(end: np.ndarray) -> list[tuple[int, int, int]]:
    """``_LEVELS`` colours from just above white to ``end``."""
    steps = np.linspace(0, 1, _LEVELS + 1)[1:, None]
    colours = np.rint(255 + (end[None, :] - 255) * steps).astype(int)
    return [tuple(int(c) for c in row) for row in colours]


def _palette_colours() -> list[tuple[int, int, int]]:
    colours = [WHITE, BLACK, INK, MUTED, FAINT, GRID, PADDING, EMPTY, HIGHLIGHT, HIGHLIGHT_FILL,
               KERNEL_EDGE]
    for end in (_LIGHT_NEGATIVE, _LIGHT_POSITIVE, _LIGHT_SEQUENTIAL, _DARK_NEGATIVE,
                _DARK_POSITIVE):
        colours += _ramp(end)
    colours += [(g, g, g) for g in range(0, 256, _GREY_STEP)]  # photos and antialiased text
    colours += [(g, g, g) for g in (255, 253, 251, 249, 247, 245)]
    # Antialiased text over the highlight colours and the kernel's edge.
    for a in np.linspace(0.2, 0.8, 4):
        for base in (HIGHLIGHT, KERNEL_EDGE):
            colours.append(tuple(int(round(c * (1 - a) + 255 * a)) for c in base))
    unique = list(dict.fromkeys(colours))
    assert len(unique) <= 256
    return unique


@functools.lru_cache(maxsize=1)
def palette_image() -> Any:
    """A 1×1 palette image holding the GIF palette, for ``Image.quantize(palette=...)``."""
    from PIL import Image

    colours = _palette_colours()
    flat = [c for colour in colours for c in colour]
    flat += list(colours[0]) * (256 - len(colours))
    image = Image.new("P", (1, 1))
    image.putpalette(flat)
    return image


class ColourMap:
    """Values to ramp colours: light tints for numbers, strong ones or grey for photos.

    ``style`` is ``"light"`` (cells with numbers), ``"dark"`` (a photo's
    output) or ``"gray"`` (a photo). Signed values get a diverging ramp
    centred on 0 (white); a value outside the data's range gets the end colour.

    Examples
    --------
    >>> colours = ColourMap(np.array([-2.0, 0.0, 2.0]), "light")
    >>> colours(0.0), colours(2.0) == colours(5.0), colours(-2.0) != colours(2.0)
    ((255, 255, 255), True, True)
    """

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
            return [self.low + span * k / (_GREYS - 1) for k in range(_GREYS)]
        steps = np.arange(-_LEVELS, _LEVELS + 1) / _LEVELS * self.bound
        return [float(v) for v in steps]

    def _level_index(self, values: np.ndarray) -> np.ndarray:
        values = np.nan_to_num(np.asarray(values, dtype=np.float64))
        if self.style == "gray" or (self.style == "dark" and not self.signed):
            span = (self.high - self.low) or 1.0
            return np.rint(np.clip((values - self.low) / span, 0, 1) * (_GREYS - 1)).astype(np.intp)
        return (np.clip(np.rint(values / self.bound * _LEVELS), -_LEVELS, _LEVELS)
                + _LEVELS).astype(np.intp)

    def __call__(self, value: float) -> tuple[int, int, int]:
        if not np.isfinite(value):
            return PADDING
        if self.style == "gray" or (self.style == "dark" and not self.signed):
            span = (self.high - self.low) or 1.0
            g = int(np.clip((value - self.low) / span, 0, 1) * (_GREYS - 1) + 0.5) * _GREY_STEP
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
def font(size: int, bold: bool = False) -> Any:
    """DejaVu Sans from matplotlib's data (accents, ×, −, Σ), else Pillow's own font.

    Examples
    --------
    >>> font(14).size
    14
    """
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


def plain(message: str) -> str:
    """``message``, or its ASCII fallback when only Pillow's built-in font is at hand.

    Examples
    --------
    >>> plain("5×5 → 3×3") in ("5×5 → 3×3", "5x5 -> 3x3")
    True
    """
    if _has_full_font():
        return message
    for a, b in (("×", "x"), ("−", "-"), ("→", "->"), ("Σ", "sum"), ("·", "*"), ("…", "...")):
        message = message.replace(a, b)
    return unicodedata.normalize("NFKD", message).encode("ascii", "ignore").decode()

