"""How much of a pooled map survives a shift: the numbers behind :func:`show_invariance`.

:func:`shared_activity` compares two non-negative maps; :func:`invariance_experiment`
shifts an image on a zero canvas, pools it ``r`` times and compares each stage with
the unshifted image's; :func:`format_invariance_table` prints the result for the
command line. Nothing here imports matplotlib.

Why not count identical cells? After a ReLU most cells of a feature map are 0, and
two zeros are equal: a map that lost every active unit in the shift would still
score high, and an unpooled map (more zeros) higher than a pooled one. The shared
activity gives nothing to the cells that are zero in both maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import geometry
from ..ops import conv, max_pool, relu
from .common import as_image, as_kernel, to_gray
from .i18n import check_lang, text

__all__ = ["shared_activity", "InvarianceResult", "invariance_experiment",
           "format_invariance_table"]


def shared_activity(a: Any, b: Any) -> float:
    """Activity two non-negative maps have in common: ``Σ min(a, b) / Σ max(a, b)``.

    This is the weighted Jaccard index (Ruzicka similarity) of the two maps.
    It is 1 for identical maps, 0 when no cell is active in both, and in
    between the share of the total activity that the two maps agree on. A
    cell that is zero in both maps adds nothing to either sum, so the zeros a
    ReLU leaves everywhere cannot count as agreement.

    Parameters
    ----------
    a, b : array_like
        Maps of the same shape, with finite non-negative values (e.g. feature
        maps after a ReLU, pooled or not, or an image in [0, 1]).

    Returns
    -------
    float
        In [0, 1]; NaN (undefined) when both maps are all zero: there is no
        activity to share, which says nothing about invariance.

    Raises
    ------
    ValueError
        For maps of different shapes, or with a negative or non-finite value.

    Examples
    --------
    >>> shared_activity([0, 2, 1, 0], [0, 2, 1, 0])    # identical
    1.0
    >>> shared_activity([0, 2, 0, 0], [0, 0, 2, 0])    # the active cell moved
    0.0
    >>> shared_activity([0, 2, 1, 0], [0, 1, 1, 0])    # (1 + 1) / (2 + 1)
    0.6666666666666666
    >>> shared_activity([0, 0], [0, 0])
    nan
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"`a` and `b` must have the same shape, got {x.shape} and {y.shape}")
    for name, array in (("a", x), ("b", y)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"`{name}` must hold finite values, got a NaN or an infinity")
        if array.size and float(array.min()) < 0:
            raise ValueError(f"`{name}` must be non-negative (the shared activity compares "
                             f"activations, e.g. after a ReLU), got a minimum of "
                             f"{float(array.min())}")
    total = float(np.maximum(x, y).sum())
    if total == 0:
        return float("nan")
    return float(np.minimum(x, y).sum()) / total


@dataclass(frozen=True)
class InvarianceResult:
    """Shared activity between the pooled maps of an image and of its shifted copies.

    Attributes
    ----------
    shifts : numpy.ndarray
        0, 1, ..., max_shift (pixels, to the right).
    shared : numpy.ndarray
        ``shared[r, k]``: after ``r`` poolings (row 0: the map itself, not
        pooled), :func:`shared_activity` of the unshifted image's map and of
        the map of the image shifted by ``k`` pixels. NaN where both maps
        are all zero (undefined).
    shapes : list of tuple
        Shape of the compared maps after ``r`` poolings (before alignment).
    jumps : list of int
        Distance in input pixels between neighbouring cells of the map after
        ``r`` poolings, along the shift (the product of the strides).
    align : bool
        Whether the shifted map was moved back by ``k // jumps[r]`` cells
        before the comparison.
    """

    shifts: np.ndarray
    shared: np.ndarray
    shapes: list[tuple[int, ...]]
    jumps: list[int]
    align: bool = False

    @property
    def mean_shared(self) -> np.ndarray:
        """Mean of ``shared[r]`` over the shifts 1..max_shift, for each ``r``.

        Undefined shifts (NaN) are left out; NaN if every shift is undefined
        or ``max_shift`` is 0.
        """
        values = self.shared[:, 1:]
        defined = np.isfinite(values)
        count = defined.sum(axis=1)
        sums = np.where(defined, values, 0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, sums / np.maximum(count, 1), np.nan)


def invariance_experiment(image: Any, kernel: Any = None, max_shift: int = 8,
                          repeats: int = 3, pool_size: Any = 2, pool_stride: Any = 2,
                          pool_padding: Any = "same", *, align: bool = False
                          ) -> InvarianceResult:
    """Shift an image by 0..max_shift pixels and measure how much of its pooled maps survives.

    The image is drawn on a canvas of zeros wide enough for every shift (no
    wrap-around, nothing falls off), at column ``k`` for a shift of ``k``
    pixels to the right; the canvas is optionally turned into a feature map
    ``relu(conv(canvas, kernel))`` (VALID; the canvas has ``kernel width - 1``
    zero columns on each side, so the map of a shifted image is the shifted
    map), then max-pooled ``r`` times for ``r = 0 .. repeats``. Each stage
    is compared with the unshifted image's by :func:`shared_activity`
    ``Σ min(a, b) / Σ max(a, b)``.

    By default the maps are compared cell by cell, where they are: pooling
    is invariant to a shift when the same cells stay active. With
    ``align=True`` the shifted map is first moved back by ``k // jump``
    cells (``jump``: the pixels between two cells of the pooled map), which
    asks instead whether pooling kept the pattern up to its own grid: a
    shift by a multiple of ``jump`` then scores 1.

    Parameters
    ----------
    image : array_like
        2-D image with non-negative values when ``kernel`` is None (an RGB
        image is turned to gray).
    kernel : array_like or str, optional
        Filter of a feature map to pool instead of the image (e.g.
        ``"bottom_sobel"``); default None pools the image itself.
    max_shift : int, optional
        Largest shift in pixels (default 8).
    repeats : int, optional
        Number of poolings (default 3).
    pool_size, pool_stride, pool_padding : optional
        The pooling window (default the lesson's 2, 2, ``"same"``).
    align : bool, optional
        Compare the maps aligned on the pooled grid (default False).

    Returns
    -------
    InvarianceResult

    Raises
    ------
    ValueError
        For a negative ``max_shift`` or ``repeats``, a ``max_shift`` not
        smaller than the image width, a kernel that is not 2-D, or an image
        with negative values and no kernel.

    Examples
    --------
    A dot moved by one pixel stays in its 2×2 pooling window: the pooled map
    does not change, while the image itself shares nothing with the original.

    >>> import numpy as np
    >>> image = np.zeros((8, 8)); image[4, 4] = 1
    >>> result = invariance_experiment(image, max_shift=2, repeats=1)
    >>> result.shared.tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    >>> invariance_experiment(image, max_shift=2, repeats=1, align=True).shared.tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    x = to_gray(as_image(image)).astype(np.float64)
    k_max = geometry.normalize_tuple(max_shift, 1, "max_shift", minimum=0)[0]
    r_max = geometry.normalize_tuple(repeats, 1, "repeats", minimum=0)[0]
    if k_max >= x.shape[1]:
        # Beyond, the shifted image no longer overlaps the original: nothing left to measure.
        raise ValueError(f"`max_shift` ({k_max}) must be smaller than the image width "
                         f"({x.shape[1]})")
    if not isinstance(align, (bool, np.bool_)):
        raise TypeError(f"`align` must be True or False, got {align!r}")
    w = None if kernel is None else as_kernel(kernel).astype(np.float64)
    if w is not None and w.ndim != 2:
        raise ValueError(f"`kernel` must be 2-D, got shape {w.shape}")
    if w is None and float(x.min()) < 0:
        raise ValueError(f"`image` must be non-negative when `kernel` is None (the shared "
                         f"activity compares activations), got a minimum of {float(x.min())}; "
                         f"pass a kernel to pool relu(conv(image, kernel)) instead")
    margin = 0 if w is None else w.shape[1] - 1
    rows, cols = x.shape
    canvas = np.zeros((rows, cols + k_max + 2 * margin))

    def pooled_stack(k: int) -> list[np.ndarray]:
        canvas[:] = 0
        canvas[:, margin + k:margin + k + cols] = x
        feature = canvas.copy() if w is None else np.asarray(relu(conv(canvas, w)))
        stack = [feature]
        for _ in range(r_max):
            stack.append(np.asarray(max_pool(stack[-1], pool_size, strides=pool_stride,
                                             padding=pool_padding)))
        return stack

    reference = pooled_stack(0)
    jumps = _column_jumps([a.shape for a in reference], pool_size, pool_stride, pool_padding)
    shared = np.empty((r_max + 1, k_max + 1))
    for k in range(k_max + 1):
        for r, (a, b) in enumerate(zip(reference, pooled_stack(k), strict=True)):
            cells = k // jumps[r] if align else 0
            shared[r, k] = shared_activity(a[:, :a.shape[1] - cells], b[:, cells:])
    return InvarianceResult(np.arange(k_max + 1), shared, [a.shape for a in reference],
                            jumps, bool(align))


def _column_jumps(shapes: list[tuple[int, ...]], pool_size: Any, pool_stride: Any,
                  pool_padding: Any) -> list[int]:
    """Pixels between neighbouring columns of each stage's map (its receptive-field jump)."""
    field = geometry.Field()
    jumps = [field.jump]
    for shape in shapes[:-1]:
        axis = geometry.plan(shape, pool_size, strides=pool_stride, padding=pool_padding).axes[1]
        field = geometry.receptive_field_step(field, axis)
        jumps.append(field.jump)
    return jumps


def format_invariance_table(result: InvarianceResult, lang: str = "en") -> str:
    """The experiment as a text table: a header saying what the numbers are, one row a shift.

    Parameters
    ----------
    result : InvarianceResult
    lang : {"en", "es"}, optional

    Returns
    -------
    str
        Two lines of header, the column titles ``k  r=0  r=1 ...``, a row per
        shift, and the mean over the shifts 1..max_shift.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((8, 8)); image[4, 4] = 1
    >>> print(format_invariance_table(invariance_experiment(image, max_shift=2, repeats=1)))
    Shared activity Σ min(a, b) / Σ max(a, b) of the map a of the unshifted image and b of the image shifted by k pixels, after r poolings
    (1 = identical, 0 = no activity in common, nan = undefined: both maps all zero)
         k     r=0     r=1
         0   1.000   1.000
         1   0.000   1.000
         2   0.000   0.000
    mean 1..2   0.000   0.500
    """  # noqa: E501
    check_lang(lang)
    lines = [text("inv.table_header", lang),
             text("inv.table_legend_aligned" if result.align else "inv.table_legend", lang)]
    mean = text("inv.table_mean", lang, max_shift=int(result.shifts[-1]))
    width = max(6, len(mean)) if len(result.shifts) > 1 else 6
    columns = [f"r={r}".rjust(7) for r in range(result.shared.shape[0])]
    lines.append("k".rjust(width) + " " + " ".join(columns))
    for k in result.shifts:
        lines.append(f"{int(k):>{width}} " + " ".join(f"{v:7.3f}" for v in result.shared[:, k]))
    if len(result.shifts) > 1:
        lines.append(mean.rjust(width) + " " + " ".join(f"{v:7.3f}" for v in result.mean_shared))
    return "\n".join(lines)
