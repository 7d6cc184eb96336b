"""The layer-spec language and the receptive-field table, without matplotlib.

* :func:`parse_layers` and :func:`build_model`: a stack of windows written
  as text (``"conv3,conv3,pool2"``), and the model it describes.
* :func:`receptive_fields` and :func:`format_field_table`: the input region
  each layer's units see, as records and as a text table.

Every size and padding comes from :mod:`ventanal.geometry`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import geometry
from .common import format_shape
from .i18n import check_lang, text

__all__ = [
    "LAYER_GRAMMAR",
    "LayerSpec",
    "parse_layers",
    "build_model",
    "FieldRecord",
    "receptive_fields",
    "format_field_table",
]


# ---------------------------------------------------------------------------
# receptive fields
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerSpec:
    """A sliding-window layer written as text (``conv3s2``, ``pool2``, ``relu``).

    ``kind`` is ``"conv"``, ``"max"``, ``"avg"`` or ``"relu"`` (no window).
    :func:`build_model` turns a list of them into a :class:`ventanal.Sequential`.
    """

    kind: str
    window: int = 1
    stride: int = 1
    dilation: int = 1
    padding: str = "valid"
    name: str = ""

    def __str__(self) -> str:
        return self.name or self.kind


_LAYER = re.compile(r"^(?P<kind>conv|pool|maxpool|max|avgpool|avg|relu)"
                    r"(?P<size>\d+)?(?:s(?P<stride>\d+))?(?:d(?P<dilation>\d+))?"
                    r"(?::(?P<padding>valid|same))?$")

#: The grammar of :func:`parse_layers`, for help texts.
LAYER_GRAMMAR = (
    "comma-separated layers: conv<k>[s<stride>][d<dilation>][:same] (stride 1 by default), "
    "pool<k>[s<stride>][:same] (max pooling, stride k by default, as Keras), "
    "avgpool<k>[s<stride>][:same], relu; padding is 'valid' unless ':same'; "
    "e.g. conv3,conv3,conv3,pool2 or conv7s2:same,pool3s2:same,conv5d2"
)


def parse_layers(spec: str) -> list[LayerSpec]:
    """Parse ``"conv3,conv3s2,pool2,conv5d2:same"`` into layers.

    Grammar: comma-separated items ``KIND<k>[s<stride>][d<dilation>][:same]``,
    case and spaces ignored. KIND is ``conv`` (stride 1 by default),
    ``pool`` or ``maxpool`` (max pooling, stride ``k`` by default, as
    Keras), ``avgpool``, or ``relu`` (no window). ``d`` (dilation) is for
    convolutions only. Padding is ``valid`` unless ``:same``.

    Examples
    --------
    >>> [str(layer) for layer in parse_layers("conv3, conv3s2, pool2, conv5d2:same")]
    ['conv3', 'conv3s2', 'pool2', 'conv5d2:same']
    >>> parse_layers("pool3s2")[0]
    LayerSpec(kind='max', window=3, stride=2, dilation=1, padding='valid', name='pool3s2')
    >>> parse_layers("conv")
    Traceback (most recent call last):
    ...
    ValueError: layer 'conv' needs a window size, e.g. 'conv3'
    """
    if not isinstance(spec, str):
        raise TypeError(f"`layers` must be a string like 'conv3,pool2', got {spec!r}")
    layers = []
    for raw in spec.split(","):
        item = raw.strip().lower().replace(" ", "")
        if not item:
            raise ValueError(f"empty layer in {spec!r}; expected {LAYER_GRAMMAR}")
        match = _LAYER.match(item)
        if not match:
            raise ValueError(f"cannot read layer {raw.strip()!r}; expected {LAYER_GRAMMAR}")
        kind = {"pool": "max", "maxpool": "max", "max": "max", "avgpool": "avg",
                "avg": "avg"}.get(match["kind"], match["kind"])
        if kind == "relu":
            if any(match[g] for g in ("size", "stride", "dilation", "padding")):
                raise ValueError(f"layer {item!r}: relu takes no window, stride or padding")
            layers.append(LayerSpec("relu", name="relu"))
            continue
        if match["size"] is None:
            raise ValueError(f"layer {item!r} needs a window size, e.g. '{match['kind']}3'")
        if match["dilation"] and kind != "conv":
            raise ValueError(f"layer {item!r}: dilation is for convolutions only (as Keras)")
        size = int(match["size"])
        stride = int(match["stride"]) if match["stride"] else (1 if kind == "conv" else size)
        dilation = int(match["dilation"]) if match["dilation"] else 1
        for label, value in (("window", size), ("stride", stride), ("dilation", dilation)):
            if value < 1:
                raise ValueError(f"layer {item!r}: the {label} must be >= 1, got {value}")
        layers.append(LayerSpec(kind, size, stride, dilation, match["padding"] or "valid",
                                name=item))
    return layers


def build_model(model: Any, filters: int = 1, seed: int = 0) -> Any:
    """A :class:`ventanal.Sequential` from a spec string, LayerSpecs, layers or a model.

    Convolutions built from specs have ``filters`` filters, no bias and
    random weights (``seed``); layer names are the specs (``conv3``,
    ``conv3_1`` for a repeat).

    Examples
    --------
    >>> model = build_model("conv3,relu,pool2")
    >>> [layer.name for layer in model.layers]
    ['conv3', 'relu', 'pool2']
    """
    from .. import layers as L
    from ..layers import Sequential

    if isinstance(model, Sequential):
        return model
    if isinstance(model, str):
        model = parse_layers(model)
    try:
        items = list(model)
    except TypeError:
        raise TypeError(f"`model` must be a spec string like 'conv3,pool2', a list of layers "
                        f"or a ventanal.Sequential, got {type(model).__name__}") from None
    if not items:
        raise ValueError("`model` has no layers")
    if not all(isinstance(item, LayerSpec) for item in items):
        return Sequential(items)
    built, used = [], set()
    for index, spec in enumerate(items):
        name, count = spec.name or spec.kind, 1
        while name in used:
            name, count = f"{spec.name or spec.kind}_{count}", count + 1
        used.add(name)
        if spec.kind == "relu":
            built.append(L.ReLU(name=name))
        elif spec.kind == "conv":
            built.append(L.Conv2D(filters, spec.window, strides=spec.stride, padding=spec.padding,
                                  dilation_rate=spec.dilation, use_bias=False, name=name,
                                  seed=seed + index))
        else:
            layer = L.MaxPool2D if spec.kind == "max" else L.AveragePooling2D
            built.append(layer(spec.window, strides=spec.stride, padding=spec.padding,
                               name=name))
    return Sequential(built)


@dataclass(frozen=True)
class FieldRecord:
    """Receptive field of the units of one layer, per spatial axis.

    Unit ``i`` sees the input cells ``start + i*jump`` to
    ``start + i*jump + size - 1``; cells outside the input are padding.
    """

    name: str
    output_shape: tuple[int, ...]
    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[int, ...]
    kind: str = "input"

    def region(self, unit: Sequence[int]) -> tuple[tuple[int, int], ...]:
        """First and last input cell seen by ``unit``, per axis."""
        return tuple((st + i * j, st + i * j + sz - 1)
                     for i, sz, j, st in zip(unit, self.size, self.jump, self.start,
                                             strict=True))


def receptive_fields(model: Any, input_shape: Sequence[int],
                     channels: int = 1) -> list[FieldRecord]:
    """Receptive field (size, jump, start) and output shape after every layer.

    A front-end to :func:`ventanal.receptive_field` that also takes spec
    strings and adds a first record for the input itself.

    Parameters
    ----------
    model : str, sequence of layers, or ventanal.Sequential
        ``"conv3,conv3,pool2"`` (see :func:`parse_layers`), or ventanal
        layers / a model.
    input_shape : sequence of int
        Spatial shape of the input, e.g. ``(64, 64)``.
    channels : int, optional
        Input channels (default 1).

    Returns
    -------
    list of FieldRecord
        The input, then one record per layer; ``output_shape`` is spatial.

    Examples
    --------
    >>> for r in receptive_fields("conv3,conv3,conv3,pool2", (32, 32)):
    ...     print(r.name, r.output_shape, r.size[0], r.jump[0], r.start[0])
    input (32, 32) 1 1 0
    conv3 (30, 30) 3 1 0
    conv3_1 (28, 28) 5 1 0
    conv3_2 (26, 26) 7 1 0
    pool2 (13, 13) 8 2 0
    """
    from ..layers import receptive_field

    shape = geometry.normalize_tuple(tuple(input_shape), len(tuple(input_shape)),
                                     "input_shape")
    n = len(shape)
    built = build_model(model)
    table = receptive_field(built, (*shape, channels))
    records = [FieldRecord("input", shape, (1,) * n, (1,) * n, (0,) * n)]
    for layer, record in zip(built.layers, table, strict=True):
        out = tuple(record.output_shape)
        first = getattr(layer, "data_format", "channels_last") == "channels_first"
        spatial = out[2:2 + n] if first else out[1:1 + n]
        records.append(FieldRecord(record.name, tuple(int(v) for v in spatial), record.size,
                                   record.jump, record.start, record.type))
    return records


def format_field_table(records: Sequence[FieldRecord], lang: str = "en") -> str:
    """The records as an aligned text table (for the command line).

    Examples
    --------
    >>> print(format_field_table(receptive_fields("conv3,pool2", (8, 8))))
    layer  output shape  field size  jump  start
    input  8×8           1×1         1     0
    conv3  6×6           3×3         1     0
    pool2  3×3           4×4         2     0
    """
    check_lang(lang)
    header = [text(f"table.{key}", lang) for key in
              ("layer", "output_shape", "size", "jump", "start")]
    rows = [[str(r.name) if i else text("table.input", lang), format_shape(r.output_shape),
             format_shape(r.size), _compact(r.jump), _compact(r.start)]
            for i, r in enumerate(records)]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    return "\n".join(lines)


def _compact(values: Sequence[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else format_shape(values)
