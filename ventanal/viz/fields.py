"""Receptive fields drawn on the image: the input region an output unit sees, layer by layer.

The numbers: :func:`receptive_fields` (size, jump, start per layer, from a spec
such as ``"conv3,conv3,pool2"`` or a model, through
:func:`ventanal.receptive_field`) and :func:`format_field_table` (the same,
translated, for the command line). The figure: for each layer, the unit at the
centre of the chosen output unit's field (:func:`unit_per_layer`), and the
nested fields drawn on the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import geometry, layers
from ..layers import LayerField, build_model, receptive_field
from .common import as_image, format_shape, format_tuple
from .drawing import LABEL_SIZE, TITLE_SIZE, bare_axes, fit_text, new_figure, panel_width
from .i18n import check_lang, text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["receptive_fields", "format_field_table", "unit_per_layer", "show_receptive_field"]

# One colour per layer (matplotlib's qualitative tab10, without its grey and olive, which
# vanish on a gray photo), so a field keeps its colour in the later panels.
_FIELD_COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#17becf")
#: Size of one panel (inches): a square image, a title above, a two-line caption below.
PANEL_INCHES = (3.6, 4.3)
#: Panels per row of the figure.
MAX_COLUMNS = 4


def receptive_fields(model: Any, input_shape: Sequence[int],
                     channels: int = 1) -> list[LayerField]:
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
    list of ventanal.layers.LayerField
        The input (kind ``"InputLayer"``), then one record per layer;
        ``output_shape`` is spatial.

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
    shape = geometry.normalize_tuple(tuple(input_shape), len(tuple(input_shape)),
                                     "input_shape")
    n = len(shape)
    built = build_model(model)
    table = receptive_field(built, (*shape, channels))
    records = [LayerField("input", "InputLayer", shape, (1,) * n, (1,) * n, (0,) * n)]
    for layer, record in zip(built.layers, table, strict=True):
        out = tuple(record.output_shape)
        spatial = out[2:2 + n] if layer.data_format == "channels_first" else out[1:1 + n]
        records.append(replace(record, output_shape=tuple(int(v) for v in spatial)))
    return records


def format_field_table(records: Sequence[LayerField], lang: str = "en") -> str:
    """The records of :func:`receptive_fields` as a table, translated (for the command line).

    Examples
    --------
    >>> print(format_field_table(receptive_fields("conv3,pool2", (8, 8)), "es"))
    capa                  forma de salida  tamaño del campo  salto  inicio
    ----------------------------------------------------------------------
    entrada (InputLayer)  (8, 8)           1x1               1x1    0, 0
    conv3 (Conv2D)        (6, 6)           3x3               1x1    0, 0
    pool2 (MaxPooling2D)  (3, 3)           4x4               2x2    0, 0
    """
    check_lang(lang)
    header = [text(f"table.{key}", lang) for key in
              ("layer", "output_shape", "size", "jump", "start")]
    records = list(records)
    if records and records[0].kind == "InputLayer":
        records[0] = replace(records[0], name=text("table.input", lang))
    return layers.format_field_table(records, header=header)


def unit_per_layer(records: Sequence[Any], unit: Sequence[int]) -> list[tuple[int, ...]]:
    """For every layer, the unit whose field is centred nearest the chosen output unit's.

    Examples
    --------
    >>> records = receptive_fields("conv3,pool2", (8, 8))
    >>> unit_per_layer(records, (1, 2))
    [(4, 6), (3, 5), (1, 2)]
    """
    final = records[-1]
    centre = [st + u * j + (sz - 1) / 2 for u, sz, j, st in
              zip(unit, final.size, final.jump, final.start, strict=True)]
    chosen = []
    for record in records:
        index = []
        for c, sz, j, st, out in zip(centre, record.size, record.jump, record.start,
                                     record.output_shape, strict=True):
            i = int(np.floor((c - st - (sz - 1) / 2) / j + 0.5))
            index.append(int(np.clip(i, 0, out - 1)))
        chosen.append(tuple(index))
    return chosen


def show_receptive_field(model: Any, image: Any = None, unit: Sequence[int] | None = None, *,
                         lang: str = "en", fig: Figure | None = None,
                         figsize: Sequence[float] | None = None) -> Figure:
    """The input region seen by an output unit, drawn on the image, layer by layer.

    One panel per layer with a window: the image and the receptive field of
    the unit of that layer that lies at the centre of the chosen output
    unit's field, with the smaller fields of the earlier layers inside it.
    Parts of a field in the padding (outside the image) are dashed.

    Parameters
    ----------
    model : str, sequence of layers, or ventanal.Sequential
        ``"conv3,conv3,conv3,pool2"`` (see
        :func:`ventanal.layers.parse_layers`) or ventanal layers.
    image : array_like, optional
        2-D image (RGB is shown in colour); default the lesson's 64×64 circle.
    unit : (int, int), optional
        Output unit of the last layer; default its centre.
    lang : {"en", "es"}, optional
    fig : matplotlib.figure.Figure, optional
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.ventanal_data`` holds the records (:class:`FieldRecord`) and
        the unit of each layer.

    Examples
    --------
    >>> from ventanal.viz import show_receptive_field
    >>> fig = show_receptive_field("conv3,conv3,conv3,pool2", unit=(5, 5))
    >>> fig.axes[-1].get_title()
    'pool2 → 29×29'
    >>> records, units = fig.ventanal_data
    >>> records[-1].region(units[-1])
    ((10, 17), (10, 17))
    """
    from matplotlib.patches import Rectangle

    from .. import data

    check_lang(lang)
    picture = data.circle([64, 64], val=1.0, r_shrink=3) if image is None else as_image(image)
    records = receptive_fields(model, picture.shape[:2])
    final = records[-1]
    if unit is None:
        unit = tuple(o // 2 for o in final.output_shape)
    unit = geometry.normalize_tuple(unit, 2, "unit", minimum=0)
    for u, o in zip(unit, final.output_shape, strict=True):
        if u >= o:
            raise ValueError(f"`unit` {unit} is outside the last layer's output "
                             f"{final.output_shape}")
    units = unit_per_layer(records, unit)
    shown = [i for i, r in enumerate(records) if i > 0 and r.kind not in ("ReLU", "Activation")]
    if not shown:
        shown = [len(records) - 1]
    cols = min(len(shown), MAX_COLUMNS)
    rows = -(-len(shown) // cols)
    if figsize is None:
        figsize = (PANEL_INCHES[0] * cols + 0.4, PANEL_INCHES[1] * rows + 0.8)  # + suptitle
    fig = new_figure(figsize, fig, layout="compressed")
    room = panel_width(fig, cols)
    height, width = picture.shape[:2]
    for panel, index in enumerate(shown):
        ax = fig.add_subplot(rows, cols, panel + 1)
        ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, interpolation="nearest")
        for level in range(1, index + 1):
            if level not in shown and level != index:
                continue
            record = records[level]
            (r0, r1), (c0, c1) = record.region(units[level])
            colour = _FIELD_COLOURS[shown.index(level) % len(_FIELD_COLOURS)]
            current = level == index
            lw = 2.6 if current else 1.4
            edge = (*_rgb(colour), 1.0 if current else 0.85)
            # Whole field dashed (it may reach into the padding), the part on the image solid.
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0 + 1, r1 - r0 + 1, fill=False,
                                   edgecolor=edge, linewidth=lw * 0.7, linestyle="--"))
            cr0, cr1 = max(r0, 0), min(r1, height - 1)
            cc0, cc1 = max(c0, 0), min(c1, width - 1)
            if cr0 <= cr1 and cc0 <= cc1:
                face = (*_rgb(colour), 0.22 if current else 0.0)
                ax.add_patch(Rectangle((cc0 - 0.5, cr0 - 0.5), cc1 - cc0 + 1, cr1 - cr0 + 1,
                                       facecolor=face, edgecolor=edge, linewidth=lw))
        record = records[index]
        (r0, r1), (c0, c1) = record.region(units[index])
        margin = max(2, int(0.06 * max(height, width)))
        ax.set_xlim(min(-0.5, c0 - 0.5) - margin * (c0 < 0), max(width - 0.5, c1 + 0.5)
                    + margin * (c1 >= width))
        ax.set_ylim(max(height - 0.5, r1 + 0.5) + margin * (r1 >= height),
                    min(-0.5, r0 - 0.5) - margin * (r0 < 0))
        bare_axes(ax)
        title = fit_text(text("rf.panel", lang, layer=record.name,
                              shape=format_shape(record.output_shape)), room, TITLE_SIZE - 2,
                         weight="bold")
        ax.set_title(title.text, fontsize=title.size, fontweight="bold")
        caption = fit_text(text("rf.field", lang, size=format_shape(record.size),
                                jump=format_tuple(record.jump))
                           + f"\n{text('rf.unit', lang, unit=units[index])}", room, LABEL_SIZE)
        ax.set_xlabel(caption.text, fontsize=caption.size)
    last = records[shown[-1]]
    heading = fit_text(text("rf.title", lang, unit=tuple(int(u) for u in unit), layer=last.name)
                       + f" — {text('rf.input', lang, shape=format_shape(picture.shape[:2]))}",
                       panel_width(fig, 1), TITLE_SIZE)
    fig.suptitle(heading.text, fontsize=heading.size)
    fig.ventanal_data = (records, units)  # type: ignore[attr-defined]
    return fig


def _rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(colour)

