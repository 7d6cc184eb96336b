"""The numbers behind the figures, without matplotlib: shapes, receptive fields, invariance.

* :func:`shape_table`: the output size and padding of one window under
  TensorFlow/Keras, PyTorch (floor and ``ceil_mode``) and NumPy's
  ``sliding_window_view``, with the arithmetic that explains each number.
* :func:`receptive_fields`: a stack of windows (a spec like
  ``"conv3,conv3,pool2"``, read by :func:`ventanal.layers.parse_layers`, or a
  model's layers) and the input region each layer's units see.
* :func:`invariance_experiment`: how many pooled outputs stay identical when
  the image shifts by a few pixels.

Every size and padding comes from :mod:`ventanal.geometry`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import geometry, layers
from ..layers import LayerField, LayerSpec, build_model, parse_layers, receptive_field
from ..ops import conv, max_pool, relu
from ._common import as_kernel
from .i18n import check_lang, text

__all__ = [
    "ShapeRow",
    "shape_table",
    "LayerSpec",
    "parse_layers",
    "build_model",
    "receptive_fields",
    "InvarianceResult",
    "invariance_experiment",
]


# ---------------------------------------------------------------------------
# shapes under each framework's rules
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ShapeRow:
    """One framework's answer for one axis.

    Attributes
    ----------
    key : str
        ``"tf_same"``, ``"tf_valid"``, ``"vt"``, ``"torch_floor"``,
        ``"torch_ceil"`` or ``"numpy"``.
    framework : str
        Display name (translated).
    call : str
        The call that gives this answer.
    axis : ventanal.geometry.AxisWindow or None
        The window geometry (None when the call is impossible).
    reason : str
        The arithmetic behind the size, with the numbers filled in.
    chosen : bool
        Whether this row follows the ``padding`` that was asked for.
    """

    key: str
    framework: str
    call: str
    axis: geometry.AxisWindow | None
    reason: str
    chosen: bool = False

    @property
    def output(self) -> int | None:
        return None if self.axis is None else self.axis.output

    @property
    def padding(self) -> tuple[int, int] | None:
        return None if self.axis is None else (self.axis.pad_before, self.axis.pad_after)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def _not_more(axis: geometry.AxisWindow, lang: str, padded: bool = True) -> str:
    """Why there is no window number ``output + 1`` (and whether the last one sticks out)."""
    start = axis.output * axis.stride - axis.pad_before
    end = start + axis.effective_window - 1
    last = axis.size - 1 + (axis.pad_after if padded else 0)
    key = "shapes.not_more" if padded and axis.pad_after else "shapes.not_more_plain"
    message = text(key, lang, next=axis.output + 1, start=start, end=end, last=last)
    outside = axis.read_after - axis.pad_after
    if padded and outside > 0:
        message += "; " + text("shapes.sticks_out", lang, count=outside)
    return message


def _symmetric(padding: Any) -> int | None:
    """PyTorch's symmetric ``padding`` from an int or a (p, p) pair, else None."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return int(padding)
    if isinstance(padding, Sequence) and not isinstance(padding, str) and len(padding) == 2 \
            and padding[0] == padding[1] and isinstance(padding[0], numbers.Integral):
        return int(padding[0])
    return None


def shape_table(n: int, window: int, stride: int = 1, padding: Any = "SAME",
                dilation: int = 1, lang: str = "en") -> list[ShapeRow]:
    """How each framework sizes one axis of a sliding window, and why.

    Parameters
    ----------
    n : int
        Input size along the axis.
    window, stride, dilation : int
        The window along this axis.
    padding : str, int or (int, int)
        The padding asked for: ``"SAME"``, ``"VALID"``, ``"FULL"``,
        ``"CAUSAL"``, an int ``p`` or a ``(before, after)`` pair. Its row
        is marked ``chosen``; PyTorch's rows use it when it is symmetric
        (an int), and ``padding=0`` (PyTorch's default) otherwise.
    lang : {"en", "es"}

    Returns
    -------
    list of ShapeRow
        TensorFlow/Keras ``"same"`` and ``"valid"`` (and ventanal's own row
        for other paddings), PyTorch with ``ceil_mode=False`` and ``True``,
        and NumPy's ``sliding_window_view(x, k)[::s]``.

    Examples
    --------
    The lesson's 397 pixels pooled by 2 with stride 2:

    >>> rows = shape_table(397, 2, 2, "SAME")
    >>> [(row.key, row.output, row.padding) for row in rows]  # doctest: +NORMALIZE_WHITESPACE
    [('tf_same', 199, (0, 1)), ('tf_valid', 198, (0, 0)), ('torch_floor', 198, (0, 0)),
     ('torch_ceil', 199, (0, 0)), ('numpy', 198, (0, 0))]
    >>> print(rows[0].reason.split("; ")[0])
    ceil(397 / 2) = ceil(198.5) = 199
    >>> print(rows[1].reason)
    floor((397 + 0 + 0 − 2) / 2) + 1 = floor(197.5) + 1 = 198; not 199: window 199 would cover cells 396…397, past the last cell (396)
    """  # noqa: E501
    check_lang(lang)
    n, k, s, d = (geometry.normalize_tuple(v, 1, name)[0] for v, name in
                  ((n, "input_shape"), (window, "window_shape"), (stride, "strides"),
                   (dilation, "dilations")))
    chosen = geometry.normalize_padding(padding, 1)
    e = d * (k - 1) + 1
    rows: list[ShapeRow] = []
    dil = f", dilation_rate={d}" if d > 1 else ""
    tdil = f", dilation={d}" if d > 1 else ""

    def plan(pad: Any, step: int = s, ceil: bool = False) -> geometry.AxisWindow:
        if not isinstance(pad, str):
            pad = [pad]
        return geometry.plan((n,), k, step, pad, d, ceil_mode=ceil).axes[0]

    def attempt(key: str, framework: str, call: str, build, explain, is_chosen: bool) -> None:
        try:
            axis = build()
        except ValueError as error:
            rows.append(ShapeRow(key, framework, call, None,
                                 text("shapes.error", lang, reason=error), is_chosen))
            return
        rows.append(ShapeRow(key, framework, call, axis, explain(axis), is_chosen))

    tf = text("shapes.tf", lang)

    def why_same(a: geometry.AxisWindow) -> str:
        total = a.pad_before + a.pad_after
        return text("shapes.why_same", lang, n=n, s=s, ratio=_number(n / s), o=a.output, e=e,
                    total=total, lo=a.pad_before, hi=a.pad_after) + "; " + _not_more(a, lang)

    def why_floor(a: geometry.AxisWindow) -> str:
        lo, hi = a.pad_before, a.pad_after
        pads = f"{lo} + {hi}"
        ratio = _number((n + lo + hi - e) / s)
        return text("shapes.why_floor", lang, n=n, pads=pads, e=e, s=s, ratio=ratio,
                    o=a.output) + "; " + _not_more(a, lang)

    attempt("tf_same", tf, f"MaxPool1D({k}, strides={s}, padding='same'{dil})",
            lambda: plan("SAME"), why_same, chosen == "SAME")
    attempt("tf_valid", tf, f"MaxPool1D({k}, strides={s}, padding='valid'{dil})",
            lambda: plan("VALID"), why_floor, chosen == "VALID")
    if chosen not in ("SAME", "VALID"):
        shown = chosen if isinstance(chosen, str) else chosen[0]
        if isinstance(shown, str):
            label = repr(shown)
        elif shown[0] == shown[1]:
            label = str(shown[0])
        else:
            label = f"[{tuple(shown)}]"
        attempt("vt", "ventanal", f"vt.pool(x, [{k}], strides=[{s}], padding={label})",
                lambda: plan(chosen if isinstance(chosen, str) else chosen[0]), why_floor, True)
    p = _symmetric(padding)
    torch_p = p if p is not None else 0

    def why_ceil(a: geometry.AxisWindow) -> str:
        lo, hi = a.pad_before, a.pad_after
        ratio = (n + lo + hi - e) / s
        raw = math.ceil(ratio) + 1
        if raw != a.output:
            message = text("shapes.why_ceil_dropped", lang, ratio=_number(ratio), o_raw=raw,
                           o=a.output)
        else:
            message = text("shapes.why_ceil", lang, n=n, pads=f"{lo} + {hi}", e=e, s=s,
                           ratio=_number(ratio), o=a.output)
        return message + "; " + _not_more(a, lang)

    attempt("torch_floor", text("shapes.torch_floor", lang),
            f"nn.MaxPool1d({k}, stride={s}, padding={torch_p}{tdil})",
            lambda: plan(torch_p), why_floor, False)
    attempt("torch_ceil", text("shapes.torch_ceil", lang),
            f"nn.MaxPool1d({k}, stride={s}, padding={torch_p}{tdil}, ceil_mode=True)",
            lambda: plan(torch_p, ceil=True), why_ceil, False)

    def why_numpy(a: geometry.AxisWindow) -> str:
        windows = plan("VALID", step=1).output
        return text("shapes.why_numpy", lang, n=n, e=e, windows=windows, s=s,
                    o=a.output) + "; " + _not_more(a, lang, padded=False)

    view = f"sliding_window_view(x, {e})[::{s}" + (f", ::{d}]" if d > 1 else "]")
    attempt("numpy", text("shapes.numpy", lang), view, lambda: plan("VALID"), why_numpy, False)
    return rows


# ---------------------------------------------------------------------------
# receptive fields
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# translation invariance, measured
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class InvarianceResult:
    """Fractions of pooled outputs unchanged by a shift.

    Attributes
    ----------
    shifts : numpy.ndarray
        0, 1, ..., max_shift (pixels).
    fractions : numpy.ndarray
        ``fractions[r, k]``: after ``r`` poolings (row 0: the feature map
        itself), the fraction of outputs of the image shifted by ``k``
        identical to those of the unshifted image.
    shapes : list of tuple
        Shape of the compared arrays after ``r`` poolings.
    """

    shifts: np.ndarray
    fractions: np.ndarray
    shapes: list[tuple[int, ...]]


def invariance_experiment(image: Any, kernel: Any = None, max_shift: int = 8,
                          repeats: int = 3, pool_size: int = 2, pool_stride: int = 2,
                          pool_padding: str = "same") -> InvarianceResult:
    """Shift an image by 0..max_shift pixels and count the pooled outputs that do not change.

    The image is cropped at column ``k`` (a shift of its content by ``k``
    pixels to the left, with no wrap-around and equal widths), optionally
    turned into a feature map (``relu(conv(image, kernel))``, VALID), then
    max-pooled ``r`` times for ``r = 0 .. repeats``. Each result is
    compared, cell by cell and exactly, with that of the unshifted crop.

    Parameters
    ----------
    image : array_like
        2-D image (an RGB image is turned to gray).
    kernel : array_like or str, optional
        Filter of a feature map to pool instead of the image (e.g.
        ``"bottom_sobel"``); default None pools the image itself.
    max_shift : int, optional
        Largest shift in pixels (default 8).
    repeats : int, optional
        Number of poolings (default 3).
    pool_size, pool_stride, pool_padding : optional
        The pooling window (default the lesson's 2, 2, ``"same"``).

    Returns
    -------
    InvarianceResult

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((16, 24)); image[8, 5] = 1
    >>> result = invariance_experiment(image, kernel=None, max_shift=2, repeats=2)
    >>> result.fractions.round(3).tolist()
    [[1.0, 0.994, 0.994], [1.0, 1.0, 0.977], [1.0, 1.0, 0.917]]

    Shifting the dot by one pixel changes two cells of the image, but keeps
    it in the same 2×2 pooling window: the pooled map does not change.
    """
    from ._common import as_image, to_gray

    x = to_gray(as_image(image)).astype(np.float64)
    k_max = geometry.normalize_tuple(max_shift, 1, "max_shift", minimum=0)[0]
    r_max = geometry.normalize_tuple(repeats, 1, "repeats", minimum=0)[0]
    width = x.shape[1] - k_max
    if width < 1:
        raise ValueError(f"`max_shift` ({k_max}) must be smaller than the image width "
                         f"({x.shape[1]})")
    w = None if kernel is None else as_kernel(kernel).astype(np.float64)
    if w is not None and w.ndim != 2:
        raise ValueError(f"`kernel` must be 2-D, got shape {w.shape}")

    def pooled_stack(crop: np.ndarray) -> list[np.ndarray]:
        feature = crop if w is None else relu(conv(crop, w))
        stack = [feature]
        for _ in range(r_max):
            stack.append(max_pool(stack[-1], pool_size, strides=pool_stride,
                                  padding=pool_padding))
        return stack

    reference = pooled_stack(x[:, :width])
    fractions = np.empty((r_max + 1, k_max + 1))
    for k in range(k_max + 1):
        shifted = pooled_stack(x[:, k:k + width])
        for r, (a, b) in enumerate(zip(reference, shifted, strict=True)):
            fractions[r, k] = float(np.mean(a == b))
    return InvarianceResult(np.arange(k_max + 1), fractions, [a.shape for a in reference])
