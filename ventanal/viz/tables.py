"""The numbers behind the figures, without matplotlib: shapes, receptive fields, invariance.

* :func:`shape_table`: the output size and padding of one window under
  TensorFlow/Keras, PyTorch (floor and ``ceil_mode``) and NumPy's
  ``sliding_window_view``, with the arithmetic that explains each number.
* :func:`parse_layers` and :func:`receptive_fields`: a stack of windows
  (``"conv3,conv3,pool2"`` or a model's layers) and the input region each
  layer's units see.
* :func:`invariance_experiment`: how many pooled outputs stay identical when
  the image shifts by a few pixels.

Every size and padding comes from :mod:`ventanal.geometry`.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import geometry
from ..ops import conv, max_pool, pool, relu
from ._common import as_kernel, format_shape
from .i18n import check_lang, text

__all__ = [
    "ShapeRow",
    "shape_table",
    "LayerSpec",
    "parse_layers",
    "FieldRecord",
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
        return geometry.plan((n,), k, step, pad, d, ceil).axes[0]

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
        label = repr(shown) if isinstance(shown, str) else str(tuple(shown))
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

@dataclass(frozen=True)
class LayerSpec:
    """A sliding-window layer described by its window alone.

    ``kind`` is ``"conv"``, ``"max"``, ``"avg"`` or ``"relu"`` (no window).
    """

    kind: str
    window: int = 1
    stride: int = 1
    dilation: int = 1
    padding: str = "VALID"
    name: str = ""

    def __str__(self) -> str:
        return self.name or self.kind

    def apply(self, x: np.ndarray, filters: np.ndarray | None = None) -> np.ndarray:
        """Run the layer on a 2-D image (conv needs ``filters``: a 2-D kernel)."""
        if self.kind == "relu":
            return relu(x)
        if self.kind == "conv":
            if filters is None:
                raise ValueError(f"layer {self}: a convolution needs filters")
            return conv(x, filters, strides=self.stride, padding=self.padding,
                        dilations=self.dilation)
        return pool(x, (self.window,) * x.ndim, self.kind.upper(), strides=self.stride,
                    padding=self.padding, dilations=self.dilation)


_LAYER = re.compile(r"^(?P<kind>conv|pool|maxpool|max|avgpool|avg|relu)"
                    r"(?P<size>\d+)?(?:s(?P<stride>\d+))?(?:d(?P<dilation>\d+))?"
                    r"(?::(?P<padding>valid|same|full|causal))?$")

#: The grammar of :func:`parse_layers`, for help texts.
LAYER_GRAMMAR = (
    "comma-separated layers: conv<k>[s<stride>][d<dilation>][:same|:valid] "
    "(stride 1 by default), pool<k>[s<stride>][d<dilation>][:same|:valid] "
    "(max pooling, stride k by default, as Keras; avgpool<k> for the average), relu; "
    "e.g. conv3,conv3,conv3,pool2 or conv7s2:same,pool3s2:same,conv5d2"
)


def parse_layers(spec: str) -> list[LayerSpec]:
    """Parse ``"conv3,conv3s2,pool2,conv5d2:same"`` into layers.

    Grammar: comma-separated items ``KIND[K][sS][dD][:PADDING]``, case and
    spaces ignored, where KIND is ``conv`` (stride 1 by default), ``pool``
    or ``maxpool`` (max pooling, stride K by default as in Keras),
    ``avgpool``, or ``relu`` (no window); K is the window, S the stride, D
    the dilation and PADDING ``valid`` (default), ``same``, ``full`` or
    ``causal``.

    Examples
    --------
    >>> [str(layer) for layer in parse_layers("conv3, conv3s2, pool2, conv5d2:same")]
    ['conv3', 'conv3s2', 'pool2', 'conv5d2:same']
    >>> parse_layers("pool3s2")[0]
    LayerSpec(kind='max', window=3, stride=2, dilation=1, padding='VALID', name='pool3s2')
    >>> parse_layers("conv")
    Traceback (most recent call last):
    ...
    ValueError: layer 'conv' needs a window size, e.g. 'conv3'
    """
    if not isinstance(spec, str):
        raise TypeError(f"`spec` must be a string like 'conv3,pool2', got {spec!r}")
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
        size = int(match["size"])
        default_stride = 1 if kind == "conv" else size
        stride = int(match["stride"]) if match["stride"] else default_stride
        dilation = int(match["dilation"]) if match["dilation"] else 1
        for label, value in (("window", size), ("stride", stride), ("dilation", dilation)):
            if value < 1:
                raise ValueError(f"layer {item!r}: the {label} must be >= 1, got {value}")
        padding = (match["padding"] or "valid").upper()
        layers.append(LayerSpec(kind, size, stride, dilation, padding, name=item))
    return layers


@dataclass(frozen=True)
class FieldRecord:
    """Receptive field of the units of one layer.

    Unit ``i`` (per axis) sees the input cells ``start + i*jump`` to
    ``start + i*jump + size - 1``; cells outside the input are padding.
    """

    name: str
    output_shape: tuple[int, ...]
    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[int, ...]
    layer: Any = field(default=None, compare=False, repr=False)

    def region(self, unit: Sequence[int]) -> tuple[tuple[int, int], ...]:
        """First and last input cell seen by ``unit``, per axis."""
        return tuple((st + i * j, st + i * j + sz - 1)
                     for i, sz, j, st in zip(unit, self.size, self.jump, self.start,
                                             strict=True))


def _attr_tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    return geometry.normalize_tuple(value, n, name)


def _layer_window(layer: Any, n: int) -> LayerSpec | None:
    """A LayerSpec from a Keras-style layer (duck typing), or None for no window."""
    if isinstance(layer, LayerSpec):
        return layer
    name = getattr(layer, "name", None) or type(layer).__name__
    cls = type(layer).__name__.lower()
    if "global" in cls:
        return LayerSpec("global", name=str(name))
    window = getattr(layer, "kernel_size", None)
    kind = "conv"
    if window is None:
        window = getattr(layer, "pool_size", None)
        kind = "avg" if "average" in cls or "avg" in cls else "max"
    if window is None:
        if any(word in cls for word in ("flatten", "dense")):
            raise ValueError(f"layer {name!r} ({type(layer).__name__}) has no spatial window; "
                             f"receptive fields end before it")
        return LayerSpec("relu", name=str(name))  # activations and other cell-wise layers
    size = _attr_tuple(window, n, "window")
    strides = getattr(layer, "strides", None)
    stride = _attr_tuple(strides if strides is not None else (1 if kind == "conv" else size),
                         n, "strides")
    dilation = _attr_tuple(getattr(layer, "dilation_rate", 1) or 1, n, "dilation_rate")
    padding = getattr(layer, "padding", "valid")
    if len(set(size)) > 1 or len(set(stride)) > 1 or len(set(dilation)) > 1:
        return _AnisotropicSpec(kind, size, stride, dilation, str(padding).upper(), str(name))
    return LayerSpec(kind, size[0], stride[0], dilation[0], str(padding).upper(), str(name))


@dataclass(frozen=True)
class _AnisotropicSpec:
    kind: str
    window: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: str
    name: str

    def __str__(self) -> str:
        return self.name


def as_layers(model: Any, n: int = 2) -> list[Any]:
    """Window layers from a spec string, a sequence of layers, or a model with ``.layers``."""
    if isinstance(model, str):
        return parse_layers(model)
    layers = getattr(model, "layers", model)
    try:
        items = list(layers)
    except TypeError:
        raise TypeError(f"`model` must be a spec string like 'conv3,pool2', a list of layers "
                        f"or a model with .layers, got {type(model).__name__}") from None
    if not items:
        raise ValueError("`model` has no layers")
    return [_layer_window(layer, n) for layer in items]


def receptive_fields(model: Any, input_shape: Sequence[int]) -> list[FieldRecord]:
    """Receptive field (size, jump, start) and output shape after every layer.

    Parameters
    ----------
    model : str, sequence of layers, or model
        ``"conv3,conv3,pool2"`` (see :func:`parse_layers`), a list of
        :class:`LayerSpec`, or a Keras-style model or layer list whose
        layers have ``kernel_size`` / ``pool_size``, ``strides``,
        ``padding`` and ``dilation_rate``.
    input_shape : sequence of int
        Spatial shape of the input, e.g. ``(64, 64)``.

    Returns
    -------
    list of FieldRecord
        One per layer, after a first record for the input itself.

    Examples
    --------
    >>> for r in receptive_fields("conv3,conv3,conv3,pool2", (32, 32)):
    ...     print(r.name, r.output_shape, r.size[0], r.jump[0], r.start[0])
    input (32, 32) 1 1 0
    conv3 (30, 30) 3 1 0
    conv3 (28, 28) 5 1 0
    conv3 (26, 26) 7 1 0
    pool2 (13, 13) 8 2 0
    """
    shape = tuple(geometry.normalize_tuple(input_shape, len(tuple(input_shape)), "input_shape"))
    n = len(shape)
    fields = [geometry.Field() for _ in range(n)]
    records = [FieldRecord(text("table.input", "en"), shape, (1,) * n, (1,) * n, (0,) * n)]
    for layer in as_layers(model, n):
        if layer.kind == "relu":
            records.append(FieldRecord(str(layer), shape, records[-1].size, records[-1].jump,
                                       records[-1].start, layer))
            continue
        if layer.kind == "global":
            plan = geometry.plan(shape, shape)
        else:
            plan = geometry.plan(shape, layer.window, layer.stride, layer.padding, layer.dilation)
        fields = [geometry.receptive_field_step(f, a) for f, a in zip(fields, plan.axes,
                                                                       strict=True)]
        shape = plan.output_shape
        records.append(FieldRecord(str(layer), shape, tuple(f.size for f in fields),
                                   tuple(f.jump for f in fields),
                                   tuple(f.start for f in fields), layer))
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


def invariance_experiment(image: Any, kernel: Any = "bottom_sobel", max_shift: int = 8,
                          repeats: int = 3, pool_size: int = 2, pool_stride: int = 2,
                          pool_padding: str = "same") -> InvarianceResult:
    """Shift an image by 0..max_shift pixels and count the pooled outputs that do not change.

    The image is cropped at column ``k`` (a shift of its content by ``k``
    pixels to the left, with no wrap-around and equal widths), turned into a
    feature map (``relu(conv(image, kernel))``, VALID), then max-pooled
    ``r`` times for ``r = 0 .. repeats``. Each result is compared, cell by
    cell and exactly, with that of the unshifted crop.

    Parameters
    ----------
    image : array_like
        2-D image (an RGB image is turned to gray).
    kernel : array_like or str, optional
        Filter of the feature map (default ``"bottom_sobel"``); ``None``
        uses the image itself as the feature map.
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
