"""The geometry of a window sliding along one axis (:class:`AxisWindow`), and every answer
derived from it. :mod:`ventanal.geometry.plans` builds one per axis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

__all__ = ["AxisWindow", "ceil_windows", "effective_window"]

def effective_window(window: int, dilation: int = 1) -> int:
    """Cells one window of ``window`` taps spans with ``dilation``: ``d*(k-1) + 1``.

    Examples
    --------
    >>> effective_window(3), effective_window(3, dilation=2)
    (3, 5)
    """
    return dilation * (window - 1) + 1


def ceil_windows(room: int, stride: int) -> int:
    """Windows in ``room`` positions rounded up: ``ceil(room / stride) + 1``, in integers.

    >>> ceil_windows(5, 2)
    4
    """
    return -(-room // stride) + 1


@dataclass(frozen=True)
class AxisWindow:
    """The geometry of a window sliding along one axis.

    Attributes
    ----------
    size : int
        Input size ``n`` (without padding).
    window : int
        Number of taps ``k``.
    stride : int
        Step ``s`` between consecutive windows.
    dilation : int
        Step ``d`` between the taps of one window.
    pad_before, pad_after : int
        Padding the framework adds (``lo``, ``hi``).
    output : int
        Number of windows ``o``.

    Examples
    --------
    >>> from ventanal.geometry import plan
    >>> ax = plan((5,), 3, strides=2, padding="SAME").axes[0]
    >>> ax.output, ax.pad_before, ax.pad_after
    (3, 1, 1)
    >>> ax.taps().tolist()
    [[-1, 0, 1], [1, 2, 3], [3, 4, 5]]
    """

    size: int
    window: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    output: int

    @property
    def effective_window(self) -> int:
        """Span of one dilated window, ``d*(k-1) + 1``."""
        return effective_window(self.window, self.dilation)

    @property
    def span(self) -> int:
        """Input positions from the first tap of window 0 to the last tap of the last window."""
        return max(0, (self.output - 1) * self.stride + self.effective_window)

    @property
    def read_after(self) -> int:
        """How far the windows reach past the input's end (negative: cells never read).

        Equals ``pad_after`` except with ``ceil_mode`` (the last window may
        stick out past the padding) and when stride > window leaves the tail
        of the input unread.
        """
        return self.span - self.pad_before - self.size

    @property
    def room(self) -> int:
        """Positions the first tap can move through: ``size + pad_before + pad_after - e``.

        The output size is ``room // stride + 1`` (floor) or, with ``ceil_mode``,
        :attr:`ceil_count` before PyTorch drops a window starting in the right padding.
        """
        return self.size + self.pad_before + self.pad_after - self.effective_window

    @property
    def ceil_count(self) -> int:
        """Windows counted by rounding ``room / stride`` up (PyTorch's ``ceil_mode``).

        PyTorch then drops the last of them if it would start in the right
        padding; :attr:`output` is the count after that rule.

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> ax = plan((6,), 3, strides=2, ceil_mode=True).axes[0]
        >>> ax.room, ax.ceil_count, ax.output     # floor would give 2
        (3, 3, 3)
        >>> ax = plan((5,), 2, strides=2, padding=1, ceil_mode=True).axes[0]
        >>> ax.ceil_count, ax.output      # the fourth window would start at 5, in the padding
        (4, 3)
        """
        return ceil_windows(self.room, self.stride)

    @overload
    def start(self, index: int) -> int: ...
    @overload
    def start(self, index: npt.NDArray[np.integer]) -> npt.NDArray[np.integer]: ...

    def start(self, index: int | npt.NDArray[np.integer]) -> int | npt.NDArray[np.integer]:
        """Input position of the first tap of window ``index`` (an int or an array).

        ``index`` may be :attr:`output` (the first window that is not taken) or
        negative; positions outside ``[0, size)`` are padding.

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> ax = plan((7,), 3, strides=2, padding="SAME").axes[0]
        >>> ax.start(0), ax.start(2), ax.next_start
        (-1, 3, 7)
        """
        return index * self.stride - self.pad_before

    @overload
    def tap(self, index: int, tap: int) -> int: ...
    @overload
    def tap(self, index: int | npt.NDArray[np.integer],
            tap: npt.NDArray[np.integer]) -> npt.NDArray[np.integer]: ...
    @overload
    def tap(self, index: npt.NDArray[np.integer],
            tap: int | npt.NDArray[np.integer]) -> npt.NDArray[np.integer]: ...

    def tap(self, index: int | npt.NDArray[np.integer],
            tap: int | npt.NDArray[np.integer]) -> int | npt.NDArray[np.integer]:
        """Input position of tap ``tap`` of window ``index`` (ints or broadcasting arrays)."""
        return self.start(index) + tap * self.dilation

    @property
    def next_start(self) -> int:
        """Where the first window that does not fit would start (window number ``output``)."""
        return int(self.start(self.output))

    @property
    def border_start(self) -> int:
        """Where a window ending on the input's last cell starts (a detector's window snapped
        back to the border).

        >>> from ventanal.geometry import plan
        >>> plan((11,), 4, strides=3).axes[0].border_start
        7
        """
        return self.size - self.effective_window

    @property
    def drawn_cells(self) -> tuple[int, int]:
        """First and last position a picture of this axis shows: input, padding, overhang.

        From ``-pad_before`` to the last padded cell or the last cell a window
        reads (past the padding with ``ceil_mode``), whichever is further.
        """
        return -self.pad_before, self.size - 1 + max(self.pad_after, self.read_after, 0)

    def outputs_reading(self, tap: int, first: int = 0, stop: int | None = None) -> tuple[int, int]:
        """Windows ``[i0, i1)`` within ``[first, stop)`` whose tap ``tap`` lies on the input.

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> ax = plan((6,), 3, padding="SAME").axes[0]    # taps start(i) - 1 + m, i = 0..5
        >>> ax.outputs_reading(0), ax.outputs_reading(1), ax.outputs_reading(2)
        ((1, 6), (0, 6), (0, 5))
        """
        stop = self.output if stop is None else stop
        offset = self.tap(0, tap)
        lowest = min(stop, max(first, -(offset // self.stride)))    # ceil(-offset / stride)
        highest = min(stop, (self.size - 1 - offset) // self.stride + 1)
        if self.size - 1 - offset < 0:
            highest = lowest
        return lowest, max(lowest, highest)

    def interior(self) -> tuple[int, int]:
        """Windows ``[i0, i1)`` whose every tap lies on the input (no padding read).

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> plan((10,), 3, strides=2, padding="SAME").axes[0].interior()
        (0, 4)
        >>> plan((10,), 3, padding=2).axes[0].interior()
        (2, 10)
        """
        i0, _ = self.outputs_reading(0)
        _, i1 = self.outputs_reading(self.window - 1, first=i0)
        return i0, max(i0, i1)

    def read_range(self, first: int, stop: int) -> tuple[int, int]:
        """``(start, count)``: the positions read by windows ``first .. stop - 1``.

        From the first tap of window ``first`` to the last tap of window
        ``stop - 1``, padding included; a band of output rows reads these rows.

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> plan((9,), 3, strides=2).axes[0].read_range(1, 3)
        (2, 5)
        """
        return int(self.start(first)), (stop - 1 - first) * self.stride + self.effective_window

    def read_cells(self) -> tuple[int, int]:
        """``(offset, count)`` of the input cells within the windows' span, in a padded buffer.

        ``offset`` is where input cell 0 sits in a buffer that starts at the
        first tap of window 0 and holds :attr:`span` cells; ``count`` is how
        many input cells, from cell 0, lie inside that buffer (cells past it
        are never read: stride > window leaves the input's tail unread).

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> plan((8,), 1, strides=3, padding="SAME").axes[0].read_cells()   # cell 7 unread
        (0, 7)
        """
        return (min(self.pad_before, self.span),
                max(0, min(self.size, self.span - self.pad_before)))

    def starts(self) -> np.ndarray:
        """Input position of the first tap of every window."""
        return self.start(np.arange(self.output))

    def taps(self) -> np.ndarray:
        """Input positions read by every window, shape ``(output, window)``."""
        return self.tap(np.arange(self.output)[:, None], np.arange(self.window)[None, :])

    def taps_within(self, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        """First and last tap of each window at positions in ``[low, high)`` (first > last: none).

        Positions grow with the tap, so the taps inside any interval are one run; this needs
        no ``(output, window)`` table, which a window of 10**9 taps would make huge.

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> ax = plan((4,), 3, padding=1).axes[0]      # windows at -1..1, 0..2, 1..3, 2..4
        >>> [r.tolist() for r in ax.taps_within(0, 4)]
        [[1, 0, 0, 0], [2, 2, 2, 1]]
        """
        return self._tap_range(self.starts(), low, high)

    def _tap_range(self, start, low: int, high: int):
        """First and last tap in ``[low, high)`` of windows whose first tap is at ``start``."""
        first = np.maximum(0, -((start - low) // self.dilation))
        last = np.minimum(self.window - 1, (high - 1 - start) // self.dilation)
        return first, last

    def window_taps(self, index: int, low: int, high: int) -> np.ndarray:
        """Positions of the taps of window ``index`` that lie in ``[low, high)``.

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> ax = plan((5,), 2, padding=(0, 10 ** 9), dilations=10 ** 9).axes[0]
        >>> ax.window_taps(4, -3, 10).tolist(), ax.window_taps(4, 0, 2 * 10 ** 9).tolist()
        ([4], [4, 1000000004])
        """
        start = int(self.start(index))
        first, last = (int(v) for v in self._tap_range(start, low, high))
        return start + np.arange(first, max(first, last + 1), dtype=np.int64) * self.dilation

    def _count_within(self, low: int, high: int) -> np.ndarray:
        first, last = self.taps_within(low, high)
        return np.maximum(0, last - first + 1)

    def real_counts(self) -> np.ndarray:
        """Taps of each window that fall on the input (not on padding)."""
        return self._count_within(0, self.size)

    def padded_counts(self) -> np.ndarray:
        """Taps of each window inside the input plus its padding.

        Cells that ``ceil_mode`` pushes past the right padding are excluded,
        as in PyTorch's ``count_include_pad``.
        """
        return self._count_within(-self.pad_before, self.size + self.pad_after)

    def tap_slice(self, tap: int, first: int = 0, stop: int | None = None, *,
                  origin: int | None = None) -> slice:
        """Where tap ``tap`` of windows ``first .. stop - 1`` lies, as one strided slice.

        Positions are counted from ``origin``: by default the first tap of
        window ``first``, so the slice indexes the buffer that
        :meth:`read_range` describes (or, for ``first=0``, an input padded by
        ``pad_before``); ``origin=0`` gives input positions.

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> ax = plan((9,), 3, strides=2).axes[0]    # windows start at 0, 2, 4, 6
        >>> ax.tap_slice(1), ax.tap_slice(2, 1, 3), ax.tap_slice(0, 2, origin=0)
        (slice(1, 8, 2), slice(2, 5, 2), slice(4, 7, 2))
        """
        stop = self.output if stop is None else stop
        origin = self.start(first) if origin is None else origin
        begin = int(self.tap(first, tap)) - origin
        return slice(begin, begin + (stop - 1 - first) * self.stride + 1, self.stride)

    def windows_within(self, cells: int) -> int:
        """How many consecutive windows read no more than ``cells`` consecutive positions.

        The inverse of :meth:`read_range`'s count (0 when not even one window fits).

        Examples
        --------
        >>> from ventanal.geometry import plan
        >>> ax = plan((9,), 3, strides=2).axes[0]
        >>> ax.windows_within(7), ax.read_range(0, 3)[1], ax.windows_within(2)
        (3, 7, 0)
        """
        return max(0, (cells - self.effective_window) // self.stride + 1)
