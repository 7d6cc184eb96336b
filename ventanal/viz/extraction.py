"""The four stages of feature extraction, Input, Filter, Detect, Condense, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import geometry
from .common import (
    as_image,
    as_kernel,
    format_shape,
    format_tuple,
    format_value,
    op_label,
    to_gray,
)
from .drawing import (
    DIVERGING,
    LABEL_SIZE,
    SEQUENTIAL,
    TITLE_SIZE,
    bare_axes,
    fit_text,
    is_signed,
    new_figure,
    panel_width,
    signed_limits,
)
from .i18n import check_lang, text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["show_extraction", "one_window_note"]

#: Bars of a 1-D stage: the ends of the diverging map (RdBu), blue below zero, red above.
NEGATIVE_BAR, POSITIVE_BAR = "#2166ac", "#b2182b"
#: Colour-bar tick labels: smaller than the captions they sit under.
TICK_SIZE = 9
#: Width (inches) a colour-bar tick label needs, with the space between two of them.
TICK_INCHES = 0.5

_STAGES = ("input", "filter", "detect", "condense")


def _stage_key(name: str) -> str:
    key = str(name).strip().lower()
    for stage in _STAGES:
        if key in (stage, text(f"stage.{stage}", "es").lower()):
            return stage
    raise ValueError(f"`ops` entries must be among 'Input', 'Filter', 'Detect', 'Condense', "
                     f"got {name!r}")


def show_extraction(image: Any, kernel: Any, conv_stride: int = 1, conv_padding: str = "valid",
                    activation: str | None = "relu", pool_size: int = 2, pool_stride: int = 2,
                    pool_padding: str = "same", subplot_shape: tuple[int, int] = (1, 4),
                    figsize: Sequence[float] = (14, 6),
                    ops: Sequence[str] = ("Input", "Filter", "Detect", "Condense"),
                    gamma: float = 1.0, *, cmap: str = SEQUENTIAL, lang: str = "en",
                    fig: Figure | None = None) -> Figure:
    """The four stages of feature extraction: Input, Filter, Detect, Condense.

    The course's ``show_extraction`` (same arguments and defaults), with
    each panel titled with its shape and captioned with its window.

    Parameters
    ----------
    image : array_like
        ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``; an RGB image is turned
        into grayscale (BT.601 luma) first, as the kernel is 2-D. A 1-D
        sequence is drawn as bars.
    kernel : array_like or str
        2-D kernel (1-D for a sequence), or a kernel name (``"bottom_sobel"``).
    conv_stride, conv_padding, activation, pool_size, pool_stride, pool_padding
        As in :func:`ventanal.extract` (the course's defaults).
    subplot_shape : (int, int), optional
        Grid of panels, default ``(1, 4)``.
    figsize : (float, float), optional
        Default ``(14, 6)``.
    ops : sequence of str, optional
        The panels to draw, among ``"Input"``, ``"Filter"``, ``"Detect"``,
        ``"Condense"``.
    gamma : float, optional
        Display gamma of the Detect and Condense panels (the course's
        ``tf.image.adjust_gamma``); 1 shows the values as computed.
    cmap : str, optional
        Sequential colour map of the input and the (non-negative)
        activations; default ``"magma"`` (the course's). The Filter panel,
        signed, uses the diverging ``"RdBu_r"`` centred on 0.
    lang : {"en", "es"}, optional
    fig : matplotlib.figure.Figure, optional
        Draw into this figure (cleared first).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel; each axes' image holds the stage's array.

    Examples
    --------
    The lesson's circle and the bottom Sobel kernel:

    >>> import ventanal as vt
    >>> from ventanal.viz import show_extraction
    >>> image = vt.data.circle([64, 64], val=1.0, r_shrink=3)
    >>> fig = show_extraction(image, "bottom_sobel")
    >>> panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    >>> [ax.get_title() for ax in panels]
    ['Input 64×64', 'Filter 62×62', 'Detect 62×62', 'Condense 31×31']
    >>> bool((panels[3].images[0].get_array() == vt.extract(image, "bottom_sobel").condense).all())
    True
    >>> fig = show_extraction(image, "bottom_sobel", conv_stride=3, lang="es")
    >>> fig.axes[-2].get_title()
    'Condensar 11×11'
    """
    check_lang(lang)
    from ..extract import extract

    stages_wanted = [_stage_key(name) for name in ops]
    rows, cols = (int(v) for v in subplot_shape)
    if rows * cols < len(stages_wanted):
        raise ValueError(f"`subplot_shape` {tuple(subplot_shape)} has room for {rows * cols} "
                         f"panels, but `ops` asks for {len(stages_wanted)}")
    w = as_kernel(kernel)
    sequence = w.ndim == 1
    if sequence:
        x = np.asarray(image, dtype=np.float64)
        if x.ndim != 1:
            raise ValueError(f"a 1-D kernel needs a 1-D sequence, got `image` of shape "
                             f"{x.shape}")
    else:
        x = to_gray(as_image(image))
        if w.ndim != 2:
            raise ValueError(f"`kernel` must be 2-D for an image, got shape {w.shape}")
    stages = extract(x, w, conv_stride=conv_stride, conv_padding=conv_padding,
                     activation=activation, pool_size=pool_size, pool_stride=pool_stride,
                     pool_padding=pool_padding)
    settings = stages.settings
    n = 1 if sequence else 2
    captions = {
        "input": "",
        "filter": op_label("conv", w.shape, settings["conv_stride"], conv_padding, lang)
        + one_window_note(x.shape, w.shape, settings["conv_stride"], conv_padding, lang),
        "detect": text("op.activation", lang,
                       name=activation if activation is not None else text("op.none", lang)),
        "condense": op_label("max", settings["pool_size"][:n], settings["pool_stride"][:n],
                             pool_padding, lang)
        + one_window_note(stages.detect.shape, settings["pool_size"][:n],
                          settings["pool_stride"][:n], pool_padding, lang),
    }

    fig = new_figure(figsize, fig, layout="constrained" if sequence else "compressed")
    room = panel_width(fig, cols)
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator

    for index, stage in enumerate(stages_wanted):
        ax = fig.add_subplot(rows, cols, index + 1)
        values = np.asarray(stages[stage], dtype=np.float64)
        if stage in ("detect", "condense") and gamma != 1.0:
            values = np.power(np.clip(values, 0, None), gamma)
        signed = is_signed(values)
        colour_map = DIVERGING if signed else cmap
        norm = Normalize(*signed_limits(values)) if signed else None
        title = fit_text(text("title.stage", lang, stage=text(f"stage.{stage}", lang),
                              shape=format_shape(values.shape)), room, TITLE_SIZE,
                         weight="bold")
        caption = fit_text(captions[stage], room, LABEL_SIZE, max_lines=4)
        if sequence:
            _draw_sequence(ax, values, signed)
            ax.set_xlabel(caption.text, fontsize=caption.size)
        else:
            artist = ax.imshow(values, cmap=colour_map, norm=norm, interpolation="nearest")
            bare_axes(ax)
            colorbar = fig.colorbar(artist, ax=ax, location="bottom", shrink=0.8, aspect=25,
                                    pad=0.02)
            colorbar.locator = MaxNLocator(nbins=max(2, int(room / TICK_INCHES)))
            colorbar.ax.tick_params(labelsize=TICK_SIZE)
            colorbar.set_label(caption.text, fontsize=caption.size)
        ax.set_title(title.text, fontsize=title.size, fontweight="bold")
    heading = fit_text(text("title.extraction", lang), panel_width(fig, 1), TITLE_SIZE + 2)
    fig.suptitle(heading.text, fontsize=heading.size)
    fig.ventanal_data = stages  # type: ignore[attr-defined]
    return fig


def one_window_note(shape: Sequence[int], window: Sequence[int], strides: Sequence[int],
                    padding: Any, lang: str) -> str:
    """A caption's second line when the stride leaves room for one window only, else ``""``.

    Examples
    --------
    >>> print(one_window_note((64, 64), (3, 3), (100, 100), "valid", "en"))
    <BLANKLINE>
    one window only: stride 100 is more than the 61 cells it could move
    >>> one_window_note((64, 64), (3, 3), (2, 2), "valid", "en")
    ''
    """
    pads = padding.upper() if isinstance(padding, str) else padding
    plan = geometry.plan(tuple(shape), tuple(window), tuple(strides), pads)
    collapsed = [(axis.stride, axis.room) for axis in plan.axes
                 if axis.output == 1 and axis.room > 0]
    if not collapsed:
        return ""
    steps, rooms = zip(*collapsed, strict=True)
    return "\n" + text("note.one_window", lang, stride=format_tuple(steps),
                       room=format_tuple(rooms))


def _draw_sequence(ax: Axes, values: np.ndarray, signed: bool) -> None:
    positions = np.arange(values.size)
    colours = np.where(values < 0, NEGATIVE_BAR, POSITIVE_BAR) if signed else POSITIVE_BAR
    ax.bar(positions, values, color=colours, width=0.8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(positions)
    for position, value in zip(positions, values, strict=True):
        ax.annotate(format_value(value), (position, value), ha="center",
                    va="bottom" if value >= 0 else "top", fontsize=TICK_SIZE,
                    xytext=(0, 2 if value >= 0 else -2), textcoords="offset points")
    ax.margins(y=0.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
