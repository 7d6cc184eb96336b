"""Output sizes under each framework's rules, as numbers: :func:`shape_table` (no matplotlib).

The output size and padding of one window under TensorFlow/Keras, PyTorch (floor and
``ceil_mode``) and NumPy's ``sliding_window_view``, with the arithmetic that explains each
number. :mod:`ventanal.viz.shapes` draws them. Every size, padding and window position
comes from :mod:`ventanal.geometry`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import geometry
from .i18n import check_lang, text

__all__ = ["ShapeRow", "shape_table"]


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
    start, end = axis.next_start, int(axis.tap(axis.output, axis.window - 1))
    last = axis.size - 1 + (axis.pad_after if padded else 0)
    key = "shapes.not_more" if padded and axis.pad_after else "shapes.not_more_plain"
    # Windows are numbered from 0, as the cells: the one that does not fit is number `output`.
    message = text(key, lang, next=axis.output + 1, index=axis.output, start=start, end=end,
                   last=last)
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
                dilation: int = 1, lang: str = "en", *, rank: int = 1) -> list[ShapeRow]:
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
    rank : int, optional
        Number of spatial axes of the input this axis belongs to (1 to 3): the
        calls name the layers of that rank (``MaxPool2D``, ``nn.MaxPool2d``
        for an image). Default 1.

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
    floor((397 + 0 + 0 − 2) / 2) + 1 = floor(197.5) + 1 = 198; not 199: window 198 would cover cells 396…397, past the last cell (396)

    An axis of an image names the 2-D layers:

    >>> print(shape_table(397, 2, 2, "SAME", rank=2)[0].call)
    MaxPool2D(2, strides=2, padding='same')
    """  # noqa: E501
    check_lang(lang)
    n, k, s, d = (geometry.normalize_tuple(v, 1, name)[0] for v, name in
                  ((n, "input_shape"), (window, "window_shape"), (stride, "strides"),
                   (dilation, "dilations")))
    if isinstance(rank, bool) or not isinstance(rank, numbers.Integral) or not 1 <= rank <= 3:
        raise ValueError(f"`rank` must be 1, 2 or 3 (spatial axes), got {rank!r}")
    chosen = geometry.normalize_padding(padding, 1)
    e = geometry.effective_window(k, d)
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
        ratio = _number(a.room / a.stride)
        return text("shapes.why_floor", lang, n=n, pads=pads, e=e, s=s, ratio=ratio,
                    o=a.output) + "; " + _not_more(a, lang)

    attempt("tf_same", tf, f"MaxPool{rank}D({k}, strides={s}, padding='same'{dil})",
            lambda: plan("SAME"), why_same, chosen == "SAME")
    attempt("tf_valid", tf, f"MaxPool{rank}D({k}, strides={s}, padding='valid'{dil})",
            lambda: plan("VALID"), why_floor, chosen == "VALID")
    if chosen not in ("SAME", "VALID"):
        shown = chosen if isinstance(chosen, str) else chosen[0]
        if isinstance(shown, str):
            label = repr(shown)
        elif shown[0] == shown[1]:
            label = str(shown[0])
        else:
            label = f"[{tuple(shown)}]"
        attempt("vt", "ventanal",
                f"vt.pool(x, {[k] * rank}, strides={[s] * rank}, padding={label})",
                lambda: plan(chosen if isinstance(chosen, str) else chosen[0]), why_floor, True)
    p = _symmetric(padding)
    torch_p = p if p is not None else 0

    def why_ceil(a: geometry.AxisWindow) -> str:
        lo, hi = a.pad_before, a.pad_after
        ratio = a.room / a.stride
        raw = a.ceil_count
        if raw != a.output:
            message = text("shapes.why_ceil_dropped", lang, ratio=_number(ratio), o_raw=raw,
                           o=a.output)
        else:
            message = text("shapes.why_ceil", lang, n=n, pads=f"{lo} + {hi}", e=e, s=s,
                           ratio=_number(ratio), o=a.output)
        return message + "; " + _not_more(a, lang)

    attempt("torch_floor", text("shapes.torch_floor", lang),
            f"nn.MaxPool{rank}d({k}, stride={s}, padding={torch_p}{tdil})",
            lambda: plan(torch_p), why_floor, False)
    attempt("torch_ceil", text("shapes.torch_ceil", lang),
            f"nn.MaxPool{rank}d({k}, stride={s}, padding={torch_p}{tdil}, ceil_mode=True)",
            lambda: plan(torch_p, ceil=True), why_ceil, False)

    def why_numpy(a: geometry.AxisWindow) -> str:
        windows = plan("VALID", step=1).output
        return text("shapes.why_numpy", lang, n=n, e=e, windows=windows, s=s,
                    o=a.output) + "; " + _not_more(a, lang, padded=False)

    view = f"sliding_window_view(x, {e})[::{s}" + (f", ::{d}]" if d > 1 else "]")
    attempt("numpy", text("shapes.numpy", lang), view, lambda: plan("VALID"), why_numpy, False)
    return rows
