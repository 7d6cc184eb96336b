"""The layer-spec language of the command line: ``"conv3,conv3s2:same,pool2"`` as layers.

:func:`parse_layers` reads a spec into :class:`LayerSpec` records
(:data:`LAYER_GRAMMAR` is its grammar, for help texts) and
:func:`build_model` turns specs, or layers, into a :class:`Sequential` of
2-D layers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from .base import Layer
from .convolutional import Conv2D
from .core import ReLU
from .pooling import AveragePooling2D, MaxPooling2D
from .sequential import Sequential

__all__ = ["LayerSpec", "LAYER_GRAMMAR", "parse_layers", "build_model"]


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
    layers: list[LayerSpec] = []
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


def build_model(model: str | Sequential | Iterable[LayerSpec] | Iterable[Layer],
                filters: int = 1, seed: int = 0) -> Sequential:
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
    if isinstance(model, Sequential):
        return model
    if isinstance(model, str):
        model = parse_layers(model)
    try:
        items: list[LayerSpec | Layer] = list(model)
    except TypeError:
        raise TypeError(f"`model` must be a spec string like 'conv3,pool2', a list of layers "
                        f"or a ventanal.Sequential, got {type(model).__name__}") from None
    if not items:
        raise ValueError("`model` has no layers")
    specs = [item for item in items if isinstance(item, LayerSpec)]
    if len(specs) != len(items):
        # Layers (Sequential refuses anything else, naming it).
        return Sequential(cast("list[Layer]", items))
    built: list[Layer] = []
    used: set[str] = set()
    for index, spec in enumerate(specs):
        name, count = spec.name or spec.kind, 1
        while name in used:
            name, count = f"{spec.name or spec.kind}_{count}", count + 1
        used.add(name)
        if spec.kind == "relu":
            built.append(ReLU(name=name))
        elif spec.kind == "conv":
            built.append(Conv2D(filters, spec.window, strides=spec.stride, padding=spec.padding,
                                  dilation_rate=spec.dilation, use_bias=False, name=name,
                                  seed=seed + index))
        else:
            layer = MaxPooling2D if spec.kind == "max" else AveragePooling2D
            built.append(layer(spec.window, strides=spec.stride, padding=spec.padding,
                               name=name))
    return Sequential(built)
