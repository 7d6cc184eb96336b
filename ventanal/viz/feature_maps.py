"""The feature maps (channels) of one layer of a model, as a grid of images."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..layers import build_model, parse_layers
from ..ops import pool
from .common import as_image, as_kernel, format_shape, to_gray
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
    from matplotlib.figure import Figure

__all__ = ["BANK", "show_feature_maps"]

#: The default photo (camera, 512×512) is averaged over 4×4 blocks: 128×128 keeps its
#: edges and lets a small network's maps show as images.
PHOTO_SHRINK = 4
#: Filters of a spec's first convolution when no kernel of the bank fits its window.
DEFAULT_FILTERS = 8
#: Maps per row, and the side of one map (inches) under its one-line title.
MAX_COLUMNS, MAP_INCHES = 4, 3.3

#: Filters of the first convolution when :func:`show_feature_maps` builds the
#: network from a spec: the classic 3×3 kernels.
BANK = ("edge", "bottom_sobel", "top_sobel", "left_sobel", "right_sobel", "emboss", "sharpen",
        "laplacian")


def show_feature_maps(model: Any, image: Any = None, layer: int | str = -1, *,
                      kernels: Sequence[Any] | None = None, max_maps: int = 16,
                      cmap: str = SEQUENTIAL, lang: str = "en", fig: Figure | None = None,
                      figsize: Sequence[float] | None = None) -> Figure:
    """A grid of the feature maps (channels) of one layer of a model.

    Parameters
    ----------
    model : str, sequence of layers, or ventanal.Sequential
        A model with weights, or a spec like ``"conv3,relu,pool2"``; built
        from a spec, the first convolution's filters are ``kernels`` (by
        default the classic 3×3 kernels: edge, the four Sobels, emboss,
        sharpen, laplacian) and later convolutions get seeded random weights.
    image : array_like, optional
        2-D image (RGB is turned to gray unless the model takes 3 channels);
        default the ``camera`` photo shrunk to 128×128.
    layer : int or str, optional
        Layer index (``-1``: the last) or name. Default -1.
    kernels : sequence of array_like or str, optional
        Filters of a spec's first convolution (names or 2-D arrays of the
        spec's window size).
    max_maps : int, optional
        At most this many maps are drawn (default 16).
    cmap : str, optional
        Colour map of non-negative maps (default ``"magma"``); maps with
        negative values use the diverging ``"RdBu_r"``, centred on 0.
    lang : {"en", "es"}, optional
    fig : matplotlib.figure.Figure, optional
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.ventanal_data`` holds the layer's maps, ``(H, W, C)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ventanal.viz import show_feature_maps
    >>> image = np.random.default_rng(0).random((32, 32))
    >>> fig = show_feature_maps("conv3,relu,pool2", image, layer="relu")
    >>> fig.ventanal_data.shape
    (30, 30, 8)
    >>> fig.axes[1].get_title()
    'bottom_sobel'
    """
    from .. import data
    from ..layers import Sequential

    check_lang(lang)
    if isinstance(max_maps, bool) or not isinstance(max_maps, int) or max_maps < 1:
        raise ValueError(f"`max_maps` must be a positive integer, got {max_maps!r}")
    if image is None:
        photo = data.sample("camera", channels=1)
        picture = np.asarray(pool(photo, (PHOTO_SHRINK,) * 2, "AVG", strides=PHOTO_SHRINK))
    else:
        picture = as_image(image)
    names: list[str] | None = None
    if isinstance(model, str) or (not isinstance(model, Sequential) and model is not None
                                  and all(hasattr(m, "kind") for m in model)):
        specs = parse_layers(model) if isinstance(model, str) else list(model)
        first_conv = next((s for s in specs if s.kind == "conv"), None)
        bank = list(kernels) if kernels is not None else None
        if first_conv is not None and bank is None:
            bank = [name for name in BANK if data.kernel(name).shape ==
                    (first_conv.window, first_conv.window)]
        filters = len(bank) if bank else DEFAULT_FILTERS
        net = build_model(specs, filters=filters)
        picture = to_gray(picture)
        net.build((None, *picture.shape[:2], 1))
        if first_conv is not None and bank:
            arrays = [as_kernel(k).astype(np.float32) for k in bank]
            for k, array in zip(bank, arrays, strict=True):
                if array.shape != (first_conv.window, first_conv.window):
                    raise ValueError(f"kernel {k if isinstance(k, str) else array.shape} does "
                                     f"not fit the layer {first_conv} (window "
                                     f"{first_conv.window}×{first_conv.window})")
            conv_layer = next(lyr for lyr in net.layers if lyr.name == str(first_conv))
            conv_layer.set_weights([np.stack(arrays, axis=-1)[:, :, None, :]])
            names = [k if isinstance(k, str) else f"{i}" for i, k in enumerate(bank)]
        inputs = picture[..., None]
    else:
        net = build_model(model)
        inputs = picture if picture.ndim == 3 else picture[..., None]
    maps_by_layer = net.feature_maps(inputs.astype(np.float32))
    layer_names = list(maps_by_layer)
    if isinstance(layer, str):
        if layer not in maps_by_layer:
            raise ValueError(f"`layer` must be a layer index or one of "
                             f"{', '.join(layer_names)}, got {layer!r}")
        key = layer
    else:
        if isinstance(layer, bool) or not isinstance(layer, int) or \
                not -len(layer_names) <= layer < len(layer_names):
            raise ValueError(f"`layer` must be an index in -{len(layer_names)}.."
                             f"{len(layer_names) - 1} or a layer name, got {layer!r}")
        key = layer_names[layer]
    maps = np.asarray(maps_by_layer[key])
    if maps.ndim != 3:
        raise ValueError(f"layer {key!r} has output shape {maps.shape}, not spatial maps")
    count = min(maps.shape[-1], max_maps)
    cols = min(count, MAX_COLUMNS)
    rows = -(-count // cols)
    if figsize is None:
        figsize = (MAP_INCHES * cols + 0.4, MAP_INCHES * rows + 0.9)  # + suptitle
    fig = new_figure(figsize, fig, layout="compressed")
    from matplotlib.colors import Normalize

    for index in range(count):
        ax = fig.add_subplot(rows, cols, index + 1)
        values = maps[..., index].astype(np.float64)
        signed = is_signed(values)
        ax.imshow(values, cmap=DIVERGING if signed else cmap, interpolation="nearest",
                  norm=Normalize(*signed_limits(values)) if signed else None)
        bare_axes(ax)
        label = names[index] if names and index < len(names) else \
            text("fm.map", lang, index=index)
        fitted = fit_text(label, panel_width(fig, cols), LABEL_SIZE + 1)
        ax.set_title(fitted.text, fontsize=fitted.size)
    title = text("fm.title", lang, layer=key, shape=format_shape(maps.shape))
    if count < maps.shape[-1]:
        title += f" ({text('fm.more', lang, shown=count, total=maps.shape[-1])})"
    fitted = fit_text(title, panel_width(fig, 1), TITLE_SIZE, weight="bold")
    fig.suptitle(fitted.text, fontsize=fitted.size, fontweight="bold")
    fig.ventanal_data = maps  # type: ignore[attr-defined]
    return fig
