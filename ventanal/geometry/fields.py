"""Receptive fields: what a unit sees, one sliding-window layer after another."""

from __future__ import annotations

from dataclasses import dataclass

from .windows import AxisWindow

__all__ = ["Field", "receptive_field_step"]

@dataclass(frozen=True)
class Field:
    """Receptive field of the units of one layer, along one axis.

    Output unit ``i`` sees the input positions
    ``start + i*jump .. start + i*jump + size - 1`` (positions outside the
    input are padding).
    """

    size: int = 1
    jump: int = 1
    start: int = 0

    def covers(self, i: int) -> tuple[int, int]:
        """First and last input position seen by unit ``i``."""
        first = self.start + i * self.jump
        return first, first + self.size - 1


def receptive_field_step(field: Field, axis: AxisWindow) -> Field:
    """Receptive field after one more sliding-window layer.

    ``jump *= s``; ``size += (e - 1) * jump_before``;
    ``start -= lo * jump_before``.

    Examples
    --------
    Three 3x3 convolutions (stride 1, VALID) and a 2x2/2 pool see 8 pixels,
    two pixels apart:

    >>> from ventanal.geometry import plan
    >>> f, n = Field(), 32
    >>> for k, s in [(3, 1), (3, 1), (3, 1), (2, 2)]:
    ...     ax = plan((n,), k, strides=s).axes[0]
    ...     f, n = receptive_field_step(f, ax), ax.output
    >>> f
    Field(size=8, jump=2, start=0)
    """
    return Field(size=field.size + (axis.effective_window - 1) * field.jump,
                 jump=field.jump * axis.stride,
                 start=field.start - axis.pad_before * field.jump)
