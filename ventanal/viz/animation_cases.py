"""Named animations: the convolution-arithmetic guide's cases, the lesson's sequence, a photo.

:data:`CASES` maps a name to :func:`ventanal.viz.animate`'s arguments;
:func:`animate_case` renders one, with any argument overridden.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import pool
from .animate import Animation, animate

__all__ = ["CASES", "animate_case"]

# The 5×5 grid and 3×3 kernel of the convolution-arithmetic guide's numerical
# example (Dumoulin & Visin 2016), whose VALID output is [[12, 12, 17], ...].
_GRID5 = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
_KERNEL3 = [[0, 1, 2], [2, 2, 0], [0, 1, 2]]
_SEQUENCE = [1, 9, -1, -2, 7, 3, -1, 2]


def _grid(n: int, seed: int = 7) -> list[list[int]]:
    return np.random.default_rng(seed).integers(0, 4, size=(n, n)).tolist()


def _photo(size: int = 128) -> np.ndarray:
    from .. import data

    image = data.sample("camera", channels=1)
    factor = max(1, image.shape[0] // size)
    small = np.asarray(pool(image, (factor, factor), "AVG", strides=factor))
    return small[:size, :size]


#: Named animations: the convolution-arithmetic cases, the lesson's sequence
#: and a photo. Each value holds :func:`animate`'s arguments; ``input`` may be
#: a callable (built on demand); ``doc`` describes the case in each language
#: (``{"en": ..., "es": ...}``).
CASES: dict[str, dict[str, Any]] = {
    "no-padding": {"input": _GRID5, "kernel": _KERNEL3, "padding": "VALID",
                   "doc": {"en": "3×3 kernel, no padding, stride 1: 5×5 → 3×3",
                 "es": "kernel 3×3, sin relleno, paso 1: 5×5 → 3×3"}},
    "same": {"input": _GRID5, "kernel": _KERNEL3, "padding": "SAME",
             "doc": {"en": "'same' (half) padding keeps the size: 5×5 → 5×5",
                 "es": "el relleno 'same' (la mitad) conserva el tamaño: 5×5 → 5×5"}},
    "full": {"input": _GRID5, "kernel": _KERNEL3, "padding": "FULL",
             "doc": {"en": "full padding, every overlap: 5×5 → 7×7",
                 "es": "relleno completo ('full'), todo solapamiento: 5×5 → 7×7"}},
    "strides": {"input": _GRID5, "kernel": _KERNEL3, "strides": 2,
                "doc": {"en": "stride 2, no padding: 5×5 → 2×2",
                 "es": "paso 2, sin relleno: 5×5 → 2×2"}},
    "padded-strides": {"input": _GRID5, "kernel": _KERNEL3, "strides": 2, "padding": "SAME",
                       "doc": {"en": "stride 2 and 'same' padding: 5×5 → 3×3",
                 "es": "paso 2 y relleno 'same': 5×5 → 3×3"}},
    "dilation": {"input": lambda: _grid(7), "kernel": _KERNEL3, "dilations": 2,
                 "doc": {"en": "dilation 2 (atrous): a 3×3 kernel spanning 5×5; 7×7 → 3×3",
                 "es": "dilatación 2 (atrous): un kernel 3×3 que abarca 5×5; 7×7 → 3×3"}},
    "max-pool": {"input": _GRID5, "op": "max", "window_shape": 2, "strides": 2,
                 "padding": "SAME",
                 "doc": {"en": "the lesson's 2×2 max pooling, stride 2, 'same': 5×5 → 3×3",
                 "es": "el max pooling 2×2 de la lección, paso 2, 'same': 5×5 → 3×3"}},
    "stride-gt-window": {"input": lambda: _grid(8), "op": "max", "window_shape": 2,
                         "strides": 3,
                         "doc": {"en": "stride 3 > window 2: some cells are never read; 8×8 → 3×3",
                 "es": "paso 3 > ventana 2: algunas celdas nunca se leen; 8×8 → 3×3"}},
    "sequence": {"input": _SEQUENCE, "op": "max", "window_shape": 2, "strides": 2,
                 "doc": {"en": "the lesson's sequence, max pooling 2, stride 2: 8 → 4",
                 "es": "la secuencia de la lección, max pooling 2, paso 2: 8 → 4"}},
    "sequence-conv": {"input": _SEQUENCE, "kernel": [1, 2, 3],
                      "doc": {"en": "the lesson's sequence and kernel [1, 2, 3]: 8 → 6",
                 "es": "la secuencia de la lección y el kernel [1, 2, 3]: 8 → 6"}},
    "photo": {"input": _photo, "kernel": "bottom_sobel", "max_frames": 48,
              "doc": {"en": "bottom Sobel over a photo (camera): 128×128 → 126×126",
                 "es": "Sobel inferior sobre una foto (camera): 128×128 → 126×126"}},
    "photo-pool": {"input": _photo, "op": "max", "window_shape": 4, "strides": 4,
                   "max_frames": 48,
                   "doc": {"en": "4×4 max pooling, stride 4, over the photo: 128×128 → 32×32",
                 "es": "max pooling 4×4, paso 4, sobre la foto: 128×128 → 32×32"}},
}


def animate_case(name: str, **overrides: Any) -> Animation:
    """The animation of a named case of :data:`CASES`; keyword arguments override it.

    Examples
    --------
    >>> from ventanal.viz import animate_case
    >>> animate_case("no-padding").output.astype(int).tolist()
    [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    >>> animate_case("strides", lang="es").output.shape
    (2, 2)
    """
    if name not in CASES:
        raise ValueError(f"`name` must be one of {', '.join(CASES)}; got {name!r}")
    arguments = {k: v for k, v in CASES[name].items() if k != "doc"}
    arguments.update(overrides)
    source = arguments.pop("input")
    if callable(source):
        source = source()
    return animate(source, **arguments)
