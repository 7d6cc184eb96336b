"""An obviously correct, slow, pure-Python reference for N-D pooling and convolution.

Written from ``docs/semantics.md`` (sections 1-3 and 5), *not* from ventanal's code, so
that the tests compare two independent readings of the spec. Nothing here is clever: every output
cell and every window tap is visited by an explicit Python loop, and the output sizes are computed
from the formulas of the spec, independently of ``ventanal.geometry``.

Layout: the input is always channels-last with rank N+2, ``(batch, spatial..., channels)``; conv
filters are ``spatial + (in_channels // groups, out_channels)``. Tests transpose other layouts.

Rules implemented, per spatial axis (``n`` input size, ``k`` window, ``s`` stride, ``d``
dilation, ``e = d*(k-1) + 1`` the effective window):

* padding, normalised to ``(lo, hi)``:
  ``"VALID"`` -> (0, 0); ``"SAME"`` -> TF's clamped rule of docs/semantics.md §1.1
  (``o = ceil(n/s)``, ``total = max(0, (o-1)*s + e - n)``, ``lo = total // 2``, the extra cell
  after);
  ``"FULL"`` -> (e-1, e-1); ``"CAUSAL"`` -> (e-1, 0); an int ``p`` or per-axis ints -> (p, p);
  per-axis ``(lo, hi)`` pairs -> as given (with one axis, a bare ``(lo, hi)`` pair too).
* output size (docs/semantics.md §1.1 and §3): ``o = floor((n + lo + hi - e) / s) + 1``; with
  ``ceil_mode`` (PyTorch) ``o = floor((n + lo + hi - e + s - 1) / s) + 1`` and then, if
  ``(o-1)*s >= n + lo``, one less. A size ``<= 0`` is a ``ValueError`` (ventanal's decision).
* output ``j`` reads the positions ``j*s - lo + m*d`` for ``m = 0..k-1``; positions outside
  ``[0, n)`` are padded cells.
* MAX: padded cells are never candidates; NaN propagates; a window with no real cell (or whose
  real cells are all ``-inf``) gives ``-inf`` (the dtype's minimum for integers).
* AVG: sum of the real cells divided by the number of real cells; with ``count_include_pad``
  (PyTorch, docs/semantics.md §2.1) divided by the number of taps that lie inside the *padded* input
  ``[-lo, n + hi)`` (taps that ``ceil_mode`` pushes past the right padding do not count).
* conv: cross-correlation (no flip), padded cells are 0, groups split the input and output
  channels into contiguous blocks (docs/semantics.md §5).

Sums are accumulated in Python floats (float64) and rounded once to the input dtype.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = [
    "conv_reference",
    "normalize_padding",
    "output_size",
    "pool_reference",
    "to_tuple",
]


def to_tuple(value, rank, name):
    """An int becomes ``(value,) * rank``; a sequence must have ``rank`` entries."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * rank
    values = tuple(int(v) for v in value)
    if len(values) != rank:
        raise ValueError(f"`{name}` needs {rank} entries, got {value!r}")
    return values


def normalize_padding(padding, input_sizes, window, strides, dilations):
    """Return ``(lo, hi)`` per spatial axis, following docs/semantics.md §1.1 and §3."""
    rank = len(input_sizes)
    effective = [d * (k - 1) + 1 for k, d in zip(window, dilations, strict=True)]
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return tuple((0, 0) for _ in range(rank))
        if mode == "SAME":
            pads = []
            for n, e, s in zip(input_sizes, effective, strides, strict=True):
                o = (n + s - 1) // s  # ceil(n / s); the window does not matter
                total = max(0, (o - 1) * s + e - n)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        if mode == "FULL":
            return tuple((e - 1, e - 1) for e in effective)
        if mode == "CAUSAL":
            return tuple((e - 1, 0) for e in effective)
        raise ValueError(f"unknown padding {padding!r}")
    if isinstance(padding, (int, np.integer)):
        return tuple((int(padding), int(padding)) for _ in range(rank))
    entries = list(padding)
    if rank == 1 and len(entries) == 2 and all(isinstance(v, (int, np.integer)) for v in entries):
        entries = [tuple(entries)]  # one axis: a bare (before, after) pair
    if len(entries) != rank:
        raise ValueError(f"padding needs {rank} entries, got {padding!r}")
    pads = []
    for entry in entries:
        if isinstance(entry, (int, np.integer)):
            pads.append((int(entry), int(entry)))
        else:
            lo, hi = entry
            pads.append((int(lo), int(hi)))
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return tuple(pads)


def output_size(n, k, s, d, lo, hi, ceil_mode=False):
    """Output size along one axis (docs/semantics.md §1.1 and §3); ``ValueError`` if <= 0."""
    e = d * (k - 1) + 1
    if ceil_mode:
        o = math.floor((n + lo + hi - e + s - 1) / s) + 1
        if (o - 1) * s >= n + lo:
            o -= 1
    else:
        o = math.floor((n + lo + hi - e) / s) + 1
    if o <= 0:
        raise ValueError(f"output size {o} <= 0 (n={n}, k={k}, s={s}, d={d}, pads=({lo},{hi}))")
    return o


def _geometry(x_shape, window, strides, padding, dilations, ceil_mode):
    rank = len(window)
    spatial = tuple(x_shape[1 : 1 + rank])
    strides = to_tuple(1 if strides is None else strides, rank, "strides")
    dilations = to_tuple(1 if dilations is None else dilations, rank, "dilations")
    pads = normalize_padding(padding, spatial, window, strides, dilations)
    sizes = tuple(
        output_size(n, k, s, d, lo, hi, ceil_mode)
        for n, k, s, d, (lo, hi) in zip(spatial, window, strides, dilations, pads, strict=True)
    )
    return spatial, strides, dilations, pads, sizes


def pool_reference(
    x,
    window_shape,
    pooling_type="MAX",
    strides=None,
    padding="VALID",
    dilations=None,
    *,
    ceil_mode=False,
    count_include_pad=False,
):
    """N-D max or average pooling of a channels-last array ``(batch, spatial..., channels)``."""
    x = np.asarray(x)
    rank = len(window_shape) if not isinstance(window_shape, int) else x.ndim - 2
    window = to_tuple(window_shape, rank, "window_shape")
    if x.ndim != rank + 2:
        raise ValueError(f"input must have rank {rank + 2}, got shape {x.shape}")
    spatial, strides, dilations, pads, sizes = _geometry(
        x.shape, window, strides, padding, dilations, ceil_mode
    )
    kind = pooling_type.upper()
    batch, channels = x.shape[0], x.shape[-1]
    # AVG of integers is float64 (ventanal's documented choice, NumPy's ``mean`` convention)
    out_dtype = np.float64 if kind == "AVG" and x.dtype.kind in "biu" else x.dtype
    out = np.zeros((batch, *sizes, channels), dtype=out_dtype)
    for b in range(batch):
        for c in range(channels):
            for j in itertools.product(*(range(o) for o in sizes)):
                real_values = []
                padded_taps = 0  # taps inside [-lo, n + hi): what count_include_pad counts
                for m in itertools.product(*(range(k) for k in window)):
                    position = tuple(
                        j[a] * strides[a] - pads[a][0] + m[a] * dilations[a] for a in range(rank)
                    )
                    inside_padded = all(
                        -pads[a][0] <= position[a] < spatial[a] + pads[a][1] for a in range(rank)
                    )
                    if inside_padded:
                        padded_taps += 1
                    if all(0 <= position[a] < spatial[a] for a in range(rank)):
                        real_values.append(x[(b, *position, c)].item())
                out[(b, *j, c)] = _reduce(kind, real_values, padded_taps, count_include_pad, x)
    return out


def _reduce(kind, values, padded_taps, count_include_pad, x):
    if kind == "MAX":
        if any(isinstance(v, float) and math.isnan(v) for v in values):
            return math.nan
        if not values:
            # a window with no real cell (dilation, large pads): -inf, or the dtype's minimum
            return np.iinfo(x.dtype).min if x.dtype.kind in "iu" else -math.inf
        best = values[0]
        for v in values[1:]:
            if v > best:
                best = v
        return best
    if kind == "AVG":
        total = 0.0
        for v in values:
            total += float(v)
        divisor = padded_taps if count_include_pad else len(values)
        if divisor == 0:
            return math.nan
        return total / divisor
    raise ValueError(f"unknown pooling type {kind!r}")


def conv_reference(x, filters, strides=1, padding="VALID", dilations=1, groups=1):
    """N-D cross-correlation of ``x`` (batch, spatial..., in) with ``filters``
    (spatial..., in // groups, out); zero padding; the result has ``x``'s dtype."""
    x = np.asarray(x)
    filters = np.asarray(filters)
    rank = filters.ndim - 2
    if x.ndim != rank + 2:
        raise ValueError(f"input must have rank {rank + 2}, got shape {x.shape}")
    window = tuple(filters.shape[:rank])
    in_per_group, out_channels = filters.shape[-2], filters.shape[-1]
    in_channels = x.shape[-1]
    if in_per_group * groups != in_channels or out_channels % groups != 0:
        raise ValueError(
            f"channels do not split into {groups} groups: input {in_channels}, "
            f"filters {filters.shape}"
        )
    out_per_group = out_channels // groups
    spatial, strides, dilations, pads, sizes = _geometry(
        x.shape, window, strides, padding, dilations, False
    )
    batch = x.shape[0]
    out = np.zeros((batch, *sizes, out_channels), dtype=x.dtype)
    for b in range(batch):
        for f in range(out_channels):
            group = f // out_per_group
            for j in itertools.product(*(range(o) for o in sizes)):
                total = 0.0
                for m in itertools.product(*(range(k) for k in window)):
                    position = tuple(
                        j[a] * strides[a] - pads[a][0] + m[a] * dilations[a] for a in range(rank)
                    )
                    if not all(0 <= position[a] < spatial[a] for a in range(rank)):
                        continue  # a padded cell is 0
                    for c in range(in_per_group):
                        value = x[(b, *position, group * in_per_group + c)].item()
                        weight = filters[(*m, c, f)].item()
                        total += float(value) * float(weight)
                out[(b, *j, f)] = total
    return out
