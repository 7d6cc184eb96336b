"""The frames of an animation, drawn with Pillow: a base image, then the window on top.

:class:`Painter` lays out the input (with its padding), the kernel and the
output, draws what does not change once, and then, frame by frame, the
window, the output cell it writes and the computation of that cell.
Every cell drawn and every tap comes from the window's
:class:`ventanal.geometry.AxisWindow`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import geometry
from .common import format_shape, format_value
from .i18n import text
from .palette import (
    BLACK,
    EMPTY,
    FAINT,
    GRID,
    HIGHLIGHT,
    INK,
    KERNEL_EDGE,
    MUTED,
    PADDING,
    WHITE,
    ColourMap,
    palette_image,
    plain,
)
from .palette import font as load_font

__all__ = ["Painter"]

#: Frames aim at about this width (pixels) with numbers: a slide's width at 100%.
FRAME_WIDTH = 900
#: Cells with numbers: below 28 px two digits blur, above 60 px a small grid looks bloated.
CELL_RANGE = (28, 60)
#: A photo's longer side, in pixels, when drawn as an image (no numbers).
PHOTO_SIDE = 360
#: A kernel beside a photo still shows its numbers, in cells this large (pixels).
KERNEL_CELL = 34
#: A digit is about 0.6 em wide; numbers fill at most 85% of a cell's width.
DIGIT_EM, CELL_FILL = 0.6, 0.85
#: Numbers in cells: at most this fraction of the cell's side, never below 9 px.
NUMBER_SCALE, NUMBER_MIN = 0.36, 9
#: Text around the grids, per role: (smallest, largest size in px, fraction of a cell's side).
#: Text grows with the cells, but stays readable on small cells and modest on large ones.
TEXT_SIZES = {"small": (11, 16, 0.3), "label": (13, 18, 0.38), "title": (14, 20, 0.42),
              "caption": (13, 19, 0.4)}


class Painter:
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
        (first_row, last_row), (first_col, last_col) = (a.drawn_cells for a in axes)
        self.first, self.last = (first_row, first_col), (last_row, last_col)
        shown = (self.last[0] - self.first[0] + 1, self.last[1] - self.first[1] + 1)
        out_h, out_w = out_grid.shape
        k_h, k_w = kernel.shape if kernel is not None else (0, 0)

        if cell_size is None:
            if numbers:
                total_cells = shown[1] + out_w + (k_w + 1 if kernel is not None else 0) + 2
                if sequence:
                    total_cells = shown[1] + 1
                cell_size = int(np.clip(FRAME_WIDTH // max(total_cells, 1), *CELL_RANGE))
            else:
                cell_size = max(1, PHOTO_SIDE // max(shown))
        cs = self.cs = int(cell_size)
        if numbers:
            self.out_cs = cs
        else:
            self.out_cs = max(1, int(round(cs * max(shown) / max(out_h, out_w))))
        # The kernel always shows its numbers, in cells large enough to read.
        self.kernel_cs = cs if numbers else KERNEL_CELL
        self.digits = digits
        # Grids with numbers are small (NUMBERS_MAX_SIDE); a photo's first cells suffice.
        longest = max([len(self.number(v)) for values in (grid, out_grid)
                       for v in np.ravel(values)[:4096]] +
                      [len(format_value(v)) for v in np.ravel(kernel if kernel is not None
                                                               else [])])
        fit = CELL_FILL / (DIGIT_EM * max(longest, 2))
        self.font = load_font(max(NUMBER_MIN, int(cs * min(NUMBER_SCALE, fit))))
        self.kernel_font = load_font(max(NUMBER_MIN, int(self.kernel_cs * min(NUMBER_SCALE, fit))))

        def sized(role: str) -> int:
            smallest, largest, fraction = TEXT_SIZES[role]
            return max(smallest, min(largest, int(cs * fraction)))

        self.small = load_font(sized("small"))
        self.label_font = load_font(sized("label"))
        self.title_font = load_font(sized("title"), bold=True)
        self.caption_font = load_font(sized("caption"))
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
        title_w = self.title_font.getlength(plain(caption)) + 2 * margin
        caption_w = self.caption_font.getlength("M" * 30) + 2 * margin
        # The bottom line: the legend on the left, "step n/n" on the right, a margin between.
        legend = self._legend()
        cells = out_h * out_w
        step_w = self.small.getlength(plain(text("anim.step", lang, step=cells, total=cells)))
        legend_w = self.small.getlength(plain(legend)) + step_w + 3 * margin
        width = int(max(width, title_w, caption_w, legend_w))
        self.size = (width, int(height))

        style = "light" if numbers else "dark"
        self.in_colours = ColourMap(grid, style if numbers else "gray")
        self.out_colours = ColourMap(out_grid, style)
        self.kernel_colours = ColourMap(kernel, "light") if kernel is not None else None
        # Boxes (left, top, right, bottom) of the texts drawn: on the base image, then on the
        # first and on the latest frame (for tests: nothing clipped, nothing overlapping).
        self.base_boxes: list[tuple[str, tuple[float, float, float, float]]] = []
        self.first_boxes: list[tuple[str, tuple[float, float, float, float]]] = []
        self.last_boxes: list[tuple[str, tuple[float, float, float, float]]] = []
        self._boxes = self.base_boxes
        self.base = Image.new("RGB", self.size, WHITE)
        self.out_image = None if numbers else self._out_image()
        self.title = caption
        self.captions: list[str] = []
        self.legend = legend
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
        shown = plain(message)
        draw.text(xy, shown, font=font, fill=fill, anchor=anchor)
        self._boxes.append((shown, tuple(draw.textbbox(xy, shown, font=font, anchor=anchor))))

    def _start_frame(self) -> None:
        """Texts drawn from now on belong to a new frame (over the base's texts)."""
        self._boxes = list(self.base_boxes)
        if not self.first_boxes:
            self.first_boxes = self._boxes
        self.last_boxes = self._boxes

    def text_boxes(self) -> dict[str, list[tuple[str, tuple[float, float, float, float]]]]:
        """The texts of the first and of the last frame drawn, with their boxes (pixels)."""
        return {"first": list(self.first_boxes), "last": list(self.last_boxes)}

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
        self._boxes = self.base_boxes
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
        self._start_frame()
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
        self._start_frame()
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
        fits = self.caption_font.getlength(plain(full)) <= room
        return full if fits else short

    def _quantize(self, image: Any) -> Any:
        return image.quantize(palette=palette_image(), dither=self.Image.Dither.NONE)


def _paren(label: str) -> str:
    return f"({label})" if label.startswith("-") else label

