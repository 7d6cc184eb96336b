"""A dry run before any model call: how many windows or tiles, what they cover, what it costs.

Window scans and tilings are grids: the windows of one row all start at the same ``y``, those
of one column at the same ``x``. So the number of windows covering pixel ``(y, x)`` is the
product of a per-row and a per-column count, and the planner computes coverage on two
vectors, never on an image-sized array: a 100,000² plan costs nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..geometry import IntOrSequence, normalize_tuple
from .pyramid import level_shapes
from .tiles import tile_step, tiles
from .windows import axis_starts, planned_axes

__all__ = ["plan", "Plan", "LevelPlan", "TilePlan", "axis_coverage", "SLIVER_FRACTION"]

#: A tile that brings fewer new pixels than this fraction of its size, along an axis, is a
#: sliver: the snapped last tile, nearly all overlap (work spent on pixels already seen).
SLIVER_FRACTION = 0.25


def axis_coverage(n: int, starts: np.ndarray, size: int) -> np.ndarray:
    """How many windows of ``size`` starting at ``starts`` cover each of ``n`` cells.

    Examples
    --------
    >>> axis_coverage(7, np.array([0, 2, 4]), 3).tolist()
    [1, 1, 2, 1, 2, 1, 1]
    """
    change = np.zeros(n + 1, dtype=np.int64)
    np.add.at(change, np.clip(starts, 0, n), 1)
    np.add.at(change, np.clip(starts + size, 0, n), -1)
    return np.cumsum(change)[:n]


@dataclass
class LevelPlan:
    """One pyramid level of a window scan."""

    level: int
    shape: tuple[int, int]
    factor: float
    windows: int
    never_visited: int
    most_visits: int


@dataclass
class TilePlan:
    """A tiling for sliced inference."""

    tile: tuple[int, int]
    step: tuple[int, int]
    tiles: int
    calls: int
    never_visited: int
    most_visits: int
    slivers: list[list[int]] = field(default_factory=list)
    batch_bytes: int = 0


@dataclass
class Plan:
    """What :func:`plan` found; ``str(plan)`` is the printable report, :meth:`as_dict` JSON."""

    shape: tuple[int, ...]
    levels: list[LevelPlan]
    tiling: TilePlan | None
    total_calls: int
    window_batch_bytes: int

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers and lists."""
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"image {self.shape[0]}×{self.shape[1]}"
                 + (f"×{self.shape[2]}" if len(self.shape) > 2 else "")]
        if self.levels:
            lines.append("window scan: level  size        factor  windows  never visited  "
                         "most visits")
            for lv in self.levels:
                lines.append(f"             {lv.level:5d}  {lv.shape[0]:>5}×{lv.shape[1]:<5} "
                             f"{lv.factor:7.3f}  {lv.windows:7d}  {lv.never_visited:13d}  "
                             f"{lv.most_visits:11d}")
            lines.append(f"windows in all: {sum(lv.windows for lv in self.levels)}; one "
                         f"window's pixels: {self.window_batch_bytes} bytes")
        if self.tiling is not None:
            t = self.tiling
            lines.append(f"tiles: {t.tiles} of {t.tile[0]}×{t.tile[1]}, step {t.step[0]}×"
                         f"{t.step[1]}; never visited {t.never_visited}, most visits "
                         f"{t.most_visits}; slivers {len(t.slivers)}; one batch "
                         f"{t.batch_bytes} bytes")
        lines.append(f"model calls: {self.total_calls}")
        return "\n".join(lines)


def _coverage(shape, rows, cols, size) -> tuple[int, int]:
    row_count = axis_coverage(shape[0], rows, size[0])
    col_count = axis_coverage(shape[1], cols, size[1])
    visited = int((row_count > 0).sum()) * int((col_count > 0).sum())
    return shape[0] * shape[1] - visited, int(row_count.max()) * int(col_count.max())


def plan(shape: tuple[int, ...], *, size: IntOrSequence | None = None,
         step: IntOrSequence | None = None, edge: str = "drop", scale: float | None = None,
         min_size: tuple[int, int] = (30, 30), tile: IntOrSequence | None = None,
         overlap: float | int = 0.2, batch_size: int = 8, dtype: Any = "float32") -> Plan:
    """Count the work of a window scan (over a pyramid) and/or a tiling, without an image.

    Parameters
    ----------
    shape : (H, W) or (H, W, C)
    size, step, edge : the window scan (:func:`ventanal.detect.windows`); omit for none.
    scale, min_size : the pyramid (:func:`ventanal.detect.pyramid`); ``scale=None``: one level.
    tile, overlap, batch_size : the tiling of :func:`ventanal.detect.sliced_predict`.
    dtype : the pixels' type, for the memory estimate.

    Returns
    -------
    Plan
        Per level: windows, pixels never visited, most visits of one pixel; for the tiling:
        tiles, the same coverage numbers, slivers and the bytes of one batch; model calls
        (windows, or batches of tiles).

    Examples
    --------
    >>> p = plan((100, 150), size=32, step=16, scale=1.5)
    >>> [(lv.shape, lv.windows) for lv in p.levels]
    [((100, 150), 40), ((66, 100), 15), ((43, 66), 3)]
    >>> p.levels[0].never_visited, p.levels[0].most_visits
    (1176, 4)
    >>> p = plan((1000, 1000), tile=512, overlap=0.2)
    >>> p.tiling.tiles, p.total_calls, p.tiling.most_visits
    (9, 2, 9)
    """
    shape = tuple(int(v) for v in shape)
    if len(shape) not in (2, 3):
        raise ValueError(f"`shape` must be (H, W) or (H, W, C), got {shape}")
    height, width = shape[:2]
    channels = shape[2] if len(shape) == 3 else 1
    itemsize = np.dtype(dtype).itemsize
    levels: list[LevelPlan] = []
    window_bytes = 0
    calls = 0
    if size is not None:
        step = size if step is None else step
        window = normalize_tuple(size, 2, "size")
        window_bytes = window[0] * window[1] * channels * itemsize
        shapes = [(height, width)] if scale is None else level_shapes((height, width), scale,
                                                                      min_size)
        for index, level_shape in enumerate(shapes):
            if edge != "pad" and (window[0] > level_shape[0] or window[1] > level_shape[1]):
                break
            axes = planned_axes(level_shape, window, step, edge)
            rows, cols = axis_starts(axes[0], edge), axis_starts(axes[1], edge)
            never, most = _coverage(level_shape, rows, cols, window)
            levels.append(LevelPlan(index, level_shape, width / level_shape[1],
                                    len(rows) * len(cols), never, most))
        calls += sum(lv.windows for lv in levels)
    tiling = None
    if tile is not None:
        tile_size = normalize_tuple(tile, 2, "tile")
        overlaps = overlap if isinstance(overlap, (tuple, list)) else (overlap, overlap)
        steps = (tile_step(tile_size[0], overlaps[0]), tile_step(tile_size[1], overlaps[1]))
        boxes = tiles((height, width), tile_size, overlap)
        clipped = (min(tile_size[0], height), min(tile_size[1], width))
        rows = np.unique(boxes[:, 1])
        cols = np.unique(boxes[:, 0])
        never, most = _coverage((height, width), rows, cols, clipped)
        slivers = []
        for axis_starts_, n_size, axis_step in ((rows, clipped[0], steps[0]),
                                                (cols, clipped[1], steps[1])):
            new = np.diff(axis_starts_)
            slivers.append(len(new) > 0 and new[-1] < SLIVER_FRACTION * n_size
                           and new[-1] < axis_step)
        sliver_boxes = [b for b in boxes.tolist()
                        if (slivers[0] and b[1] == rows[-1]) or (slivers[1] and b[0] == cols[-1])]
        batches = -(-len(boxes) // batch_size)
        tiling = TilePlan(tile_size, steps, len(boxes), batches, never, most, sliver_boxes,
                          batch_size * clipped[0] * clipped[1] * channels * itemsize)
        calls += batches
    return Plan(shape, levels, tiling, calls, window_bytes)

