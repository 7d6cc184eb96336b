"""Receptive fields of a chain of layers: the record of one layer, the table, and its printer.

* :class:`LayerField`: the field of the units of one layer (size, jump and
  start per spatial axis), the one record every receptive-field answer
  uses: :func:`ventanal.receptive_field`, ``Sequential.receptive_field``,
  ``Sequential.summary``, the figures and the command line.
* :class:`ReceptiveFieldTable`: the records of a model, printable.
* :func:`field_table`: the records of a chain of layers, from
  :mod:`ventanal.geometry`'s field step of each layer.
* :func:`format_table`, :func:`field_cells` and :func:`format_field_table`:
  the one table printer (a model's summary adds its parameter column).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, SupportsIndex, overload

import numpy as np

from .. import geometry
from .base import Layer, Shape, format_shape

__all__ = ["LayerField", "ReceptiveFieldTable", "field_table", "FIELD_COLUMNS", "field_cells",
           "format_table", "format_field_table"]


@dataclass(frozen=True)
class LayerField:
    """Receptive field of the units of one layer, one entry per spatial axis of the input.

    Unit ``i`` of an axis sees input positions ``start + i*jump`` to
    ``start + i*jump + size - 1`` (negative positions, and positions past
    the input's end, are padding).

    Attributes
    ----------
    name : str
        Layer name.
    kind : str
        Layer class (``"InputLayer"`` for the input itself).
    output_shape : tuple
        The layer's output shape, as the question was asked: with the batch
        axis (``None``) for a model's input shape (Keras's); spatial only
        when only the spatial shape was given
        (:func:`ventanal.viz.receptive_fields`, the command line).
    size, jump, start : tuple of int
        One entry per spatial axis of the model's input.
    """

    name: str
    kind: str
    output_shape: Shape
    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[int, ...]

    @property
    def center(self) -> tuple[float, ...]:
        """Input position at the centre of unit 0's field, per axis."""
        return tuple(s + (r - 1) / 2 for s, r in zip(self.start, self.size, strict=True))

    def region(self, unit: int | np.integer[Any] | Sequence[int | np.integer[Any]]
               ) -> tuple[tuple[int, int], ...]:
        """First and last input position seen by ``unit`` (one index per axis, or one int).

        Examples
        --------
        >>> field = LayerField("pool", "MaxPooling2D", (None, 15, 15, 8), (8, 8), (2, 2),
        ...                    (0, 0))
        >>> field.region((0, 3))
        ((0, 7), (6, 13))
        """
        units: Sequence[int | np.integer[Any]]
        if isinstance(unit, (int, numbers.Integral, np.integer)):
            units = (unit,) * len(self.size)
        else:
            units = unit
        return tuple(geometry.Field(r, j, s).covers(int(i)) for r, j, s, i in
                     zip(self.size, self.jump, self.start, units, strict=True))


class ReceptiveFieldTable(tuple[LayerField, ...]):
    """The :class:`LayerField` of every layer, printable as a table.

    A tuple of records; it can also be indexed by layer name.
    """

    input_shape: Shape

    def __new__(cls, records: Iterable[LayerField], input_shape: Shape) -> ReceptiveFieldTable:
        table = super().__new__(cls, tuple(records))
        table.input_shape = input_shape
        return table

    @overload
    def __getitem__(self, key: SupportsIndex | str) -> LayerField: ...

    @overload
    def __getitem__(self, key: slice) -> tuple[LayerField, ...]: ...

    def __getitem__(self, key: SupportsIndex | str | slice) -> LayerField | tuple[LayerField, ...]:
        if isinstance(key, str):
            for record in self:
                if record.name == key:
                    return record
            raise KeyError(f"no layer named {key!r}; layers: "
                           f"{', '.join(r.name for r in self)}")
        return super().__getitem__(key)

    def __str__(self) -> str:
        return format_field_table(self, title=f"Receptive fields for inputs of shape "
                                              f"{format_shape(self.input_shape)}")

    __repr__ = __str__


def field_table(layers: Sequence[Layer], input_shape: Shape) -> ReceptiveFieldTable:
    """The receptive fields of a chain of layers, for inputs of ``input_shape`` (batch first).

    Starts from a field of one pixel at the input and applies each layer's
    :meth:`~Layer.field_step`; :func:`ventanal.receptive_field` explains the
    arithmetic.

    Examples
    --------
    >>> import ventanal as vt
    >>> table = field_table([vt.layers.Conv1D(1, 3, name="c"), vt.layers.MaxPool1D(name="p")],
    ...                     (None, 9, 1))
    >>> [(r.name, r.output_shape, r.size, r.jump) for r in table]
    [('c', (None, 7, 1), (3,), (1,)), ('p', (None, 3, 1), (4,), (2,))]
    """
    if not layers:
        return ReceptiveFieldTable((), input_shape)
    spatial = layers[0].spatial_shape(input_shape)
    if any(s is None for s in spatial):
        raise ValueError(f"receptive fields need every spatial size, got input shape "
                         f"{format_shape(input_shape)}")
    fields = tuple(geometry.Field() for _ in spatial)
    records = []
    shape = input_shape
    for layer in layers:
        out = layer.compute_output_shape(shape)
        fields = layer.field_step(fields, shape)
        records.append(LayerField(layer.name, type(layer).__name__, out,
                                  tuple(f.size for f in fields),
                                  tuple(f.jump for f in fields),
                                  tuple(f.start for f in fields)))
        shape = out
    return ReceptiveFieldTable(records, input_shape)


# ---------------------------------------------------------------------------
# the table printer
# ---------------------------------------------------------------------------

#: Column titles of a receptive-field table.
FIELD_COLUMNS = ("Layer (type)", "Output Shape", "Field", "Jump", "Start")


def _join(values: Sequence[int], sep: str = "x") -> str:
    return sep.join(str(v) for v in values)


def field_cells(record: LayerField) -> tuple[str, str, str, str, str]:
    """The cells of one record, under :data:`FIELD_COLUMNS`.

    Examples
    --------
    >>> field_cells(LayerField("conv2d", "Conv2D", (None, 32, 32, 64), (3, 3), (1, 1),
    ...                        (-1, -1)))
    ('conv2d (Conv2D)', '(None, 32, 32, 64)', '3x3', '1x1', '-1, -1')
    """
    return (f"{record.name} ({record.kind})", format_shape(record.output_shape),
            _join(record.size), _join(record.jump), _join(record.start, ", "))


def format_table(header: Sequence[str], rows: Iterable[Sequence[str]], *,
                 title: str | None = None, footer: Sequence[str] = ()) -> str:
    """Cells as left-aligned columns: the title, the header, a rule, the rows, then the footer.

    Parameters
    ----------
    header : sequence of str
        Column titles.
    rows : iterable of sequences of str
        One sequence of cells per row, as many as ``header``.
    title : str, optional
        A first line.
    footer : sequence of str, optional
        Lines after a closing rule (none, and no rule, by default).

    Examples
    --------
    >>> print(format_table(("Layer", "Size"), [("conv", "3x3"), ("pool", "4x4")],
    ...                    footer=["2 layers"]))
    Layer  Size
    -----------
    conv   3x3
    pool   4x4
    -----------
    2 layers
    """
    table = [tuple(row) for row in rows]
    widths = [max(len(cells[i]) for cells in [header, *table]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "-" * len(line(["-" * w for w in widths]))
    lines = [] if title is None else [title]
    lines += [line(header), rule, *map(line, table)]
    if footer:
        lines += [rule, *footer]
    return "\n".join(lines)


def format_field_table(records: Iterable[LayerField], *, header: Sequence[str] = FIELD_COLUMNS,
                       title: str | None = None) -> str:
    """Records as a table: layer (type), output shape, field size, jump and start.

    Parameters
    ----------
    records : iterable of LayerField
    header : sequence of five str, optional
        Column titles (default :data:`FIELD_COLUMNS`; the command line
        passes translated ones).
    title : str, optional
        A first line.

    Examples
    --------
    >>> print(format_field_table([LayerField("pool", "MaxPooling1D", (None, 4, 1), (2,), (2,),
    ...                                      (0,))]))
    Layer (type)         Output Shape  Field  Jump  Start
    -----------------------------------------------------
    pool (MaxPooling1D)  (None, 4, 1)  2      2     0
    """
    return format_table(header, map(field_cells, records), title=title)
