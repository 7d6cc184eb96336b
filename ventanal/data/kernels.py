"""Classic convolution kernels: one table of them, and the lookup by name.

:data:`KERNEL_TABLE` holds every named kernel: its values and a one-line
description in English and Spanish (``ventanal kernels`` lists them).
:func:`kernel` looks one up by name. Each fixed 3x3 kernel is also a function
of its own name (:func:`edge`, :func:`bottom_sobel`, ...), made from its row
of the table, so that ``vt.data.edge()`` reads as in the course.
:func:`gaussian` and :func:`box` take a size; their rows hold their defaults.

Every kernel is float32, and every call returns a new array the caller may
modify. Kernels are applied by cross-correlation (no flip, as in every
convnet), so :func:`bottom_sobel` gives a positive output where the image
gets brighter going down, which is how the course detects horizontal lines.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._common import as_size, choice_error

__all__ = [
    "KERNELS",
    "KERNEL_TABLE",
    "KernelEntry",
    "blur",
    "bottom_sobel",
    "box",
    "edge",
    "emboss",
    "gaussian",
    "identity",
    "kernel",
    "kernel_names",
    "laplacian",
    "left_sobel",
    "right_sobel",
    "sharpen",
    "top_sobel",
]


def box(size: int | Sequence[int] = 3) -> np.ndarray:
    """Box (mean) kernel: every weight ``1 / (h * w)``.

    Parameters
    ----------
    size : int or (int, int), optional
        Kernel shape; an int gives a square kernel. Default 3.

    Returns
    -------
    kernel : (h, w) ndarray of float32
        Sums to 1.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.box(2)
    array([[0.25, 0.25],
           [0.25, 0.25]], dtype=float32)
    """
    height, width = as_size(size)
    return np.full((height, width), 1.0 / (height * width), dtype=np.float32)


def gaussian(size: int | Sequence[int] = 5, std: float = 1.0) -> np.ndarray:
    """Gaussian blur kernel, normalised to sum to 1.

    Weight at row ``i``, column ``j`` is proportional to
    ``exp(-((i - ci)**2 + (j - cj)**2) / (2 * std**2))`` with the centre
    ``(ci, cj) = ((h - 1) / 2, (w - 1) / 2)``, so an even size puts the centre
    between pixels and the kernel stays symmetric.

    Parameters
    ----------
    size : int or (int, int), optional
        Kernel shape; an int gives a square kernel. Default 5.
    std : float, optional
        Standard deviation in pixels, positive. Default 1.0.

    Returns
    -------
    kernel : (h, w) ndarray of float32
        Symmetric, peaked at the centre, sums to 1 (up to float32 rounding).

    See Also
    --------
    blur : the 3x3 binomial approximation.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> k = vd.gaussian(3, std=1.0)
    >>> k.round(4)
    array([[0.0751, 0.1238, 0.0751],
           [0.1238, 0.2042, 0.1238],
           [0.0751, 0.1238, 0.0751]], dtype=float32)
    >>> float(k.sum())
    1.0
    """
    height, width = as_size(size)
    try:
        sigma = float(std)
    except (TypeError, ValueError):
        raise TypeError(f"`std` must be a positive number, got {std!r}") from None
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"`std` must be a positive finite number, got {std!r}")
    # Separable: the outer product of two 1-D Gaussians is the 2-D Gaussian.
    # sigma * sigma, not sigma**2: a huge std gives inf (a flat kernel), not OverflowError.
    spread = 2 * sigma * sigma
    weights = np.outer(_bell(height, spread), _bell(width, spread))
    return (weights / weights.sum()).astype(np.float32)


def _bell(size: int, spread: float) -> np.ndarray:
    """exp(-d**2 / spread) over ``size`` cells centred on the middle, scaled so that the
    central cell(s) weigh 1: a std so small that ``spread`` underflows to 0 gives the limit
    (all the weight in the centre), not 0 / 0."""
    squared = (np.arange(size) - (size - 1) / 2) ** 2
    excess = squared - squared.min()
    with np.errstate(divide="ignore", invalid="ignore"):   # 0 / 0 only where unused
        exponent = np.where(excess == 0, 0.0, -excess / spread)
    return np.exp(exponent)


@dataclass(frozen=True, eq=False)
class KernelEntry:
    """One row of :data:`KERNEL_TABLE`.

    Attributes
    ----------
    values : 2-D ndarray of float32
        The kernel, read-only (:func:`kernel` hands out copies).
    description : Mapping[str, str]
        One line saying what the kernel does, by language (``"en"``, ``"es"``).

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.KERNEL_TABLE["laplacian"].description["es"]
    'Laplaciano de 4 vecinos, segunda derivada; suma 0.'
    """

    values: np.ndarray
    description: Mapping[str, str]


def _entry(values: Sequence[Sequence[float]] | np.ndarray, en: str, es: str) -> KernelEntry:
    array = np.array(values, dtype=np.float32)
    array.flags.writeable = False
    return KernelEntry(array, types.MappingProxyType({"en": en, "es": es}))


#: Read-only mapping from kernel name to its :class:`KernelEntry`, in the
#: order the course introduces the kernels.
KERNEL_TABLE: types.MappingProxyType[str, KernelEntry] = types.MappingProxyType({
    "edge": _entry(
        [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
        "Edge (outline) detector: 8 in the centre, -1 around; sums to 0.",
        "Detector de bordes (contornos): 8 en el centro, -1 alrededor; suma 0.",
    ),
    "bottom_sobel": _entry(
        [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "Sobel, responds to edges brighter below (horizontal lines).",
        "Sobel, responde a los bordes más claros abajo (líneas horizontales).",
    ),
    "top_sobel": _entry(
        [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
        "Sobel, responds to edges brighter above.",
        "Sobel, responde a los bordes más claros arriba.",
    ),
    "left_sobel": _entry(
        [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
        "Sobel, responds to edges brighter on the left.",
        "Sobel, responde a los bordes más claros a la izquierda.",
    ),
    "right_sobel": _entry(
        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "Sobel, responds to edges brighter on the right.",
        "Sobel, responde a los bordes más claros a la derecha.",
    ),
    "emboss": _entry(
        [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
        "Emboss: diagonal gradient plus the pixel itself.",
        "Relieve: gradiente diagonal más el propio píxel.",
    ),
    "sharpen": _entry(
        [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "Sharpen: the pixel plus its difference from 4 neighbours.",
        "Enfoque: el píxel más su diferencia con sus 4 vecinos.",
    ),
    "blur": _entry(
        np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
        "3x3 binomial blur [[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16.",
        "Desenfoque binomial 3x3 [[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16.",
    ),
    "gaussian": _entry(
        gaussian(),
        "5x5 Gaussian blur, std 1, sums to 1 (see gaussian(size, std)).",
        "Desenfoque gaussiano 5x5, desviación 1, suma 1 (ver gaussian(size, std)).",
    ),
    "box": _entry(
        box(),
        "3x3 mean (box) blur, all weights 1/9 (see box(size)).",
        "Desenfoque de media (caja) 3x3, todos los pesos 1/9 (ver box(size)).",
    ),
    "identity": _entry(
        [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "Identity: 1 in the centre, leaves the image unchanged.",
        "Identidad: 1 en el centro, deja la imagen igual.",
    ),
    "laplacian": _entry(
        [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "4-neighbour Laplacian, second derivative; sums to 0.",
        "Laplaciano de 4 vecinos, segunda derivada; suma 0.",
    ),
})

#: Read-only mapping from kernel name to its English description, in the
#: order of :data:`KERNEL_TABLE`. Use :func:`kernel` to get the array.
KERNELS: types.MappingProxyType[str, str] = types.MappingProxyType(
    {name: entry.description["en"] for name, entry in KERNEL_TABLE.items()}
)


def kernel_names() -> tuple[str, ...]:
    """Names accepted by :func:`kernel`.

    Returns
    -------
    names : tuple of str
        The keys of :data:`KERNEL_TABLE`, in the order the course introduces them.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.kernel_names()[:3]
    ('edge', 'bottom_sobel', 'top_sobel')
    """
    return tuple(KERNEL_TABLE)


def kernel(name: str) -> np.ndarray:
    """A kernel by name, as a new float32 array the caller may modify.

    Parameters
    ----------
    name : str
        One of :func:`kernel_names`. Case, spaces and hyphens are forgiven
        (``"Bottom Sobel"`` and ``"bottom-sobel"`` mean ``"bottom_sobel"``).

    Returns
    -------
    kernel : 2-D ndarray of float32
        ``gaussian`` and ``box`` come with their default sizes.

    Raises
    ------
    TypeError
        If `name` is not a string.
    ValueError
        If `name`, spelling forgiven, is not a key of :data:`KERNEL_TABLE`;
        the message lists them.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.kernel("Bottom Sobel")
    array([[-1., -2., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  2.,  1.]], dtype=float32)
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, got {name!r}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in KERNEL_TABLE:
        raise choice_error(name, KERNEL_TABLE, "name")
    return KERNEL_TABLE[key].values.copy()


_TABLE_FUNCTION_DOC = """{description}

Returns
-------
kernel : {shape} ndarray of float32
    A new array on every call, with the values of ``KERNEL_TABLE["{name}"]``.

See Also
--------
kernel : any kernel of the table by name.

Examples
--------
>>> import ventanal.data as vd
>>> vd.{name}()
{values!r}
"""


def _table_function(name: str) -> Callable[[], np.ndarray]:
    """The function ``name()`` of a fixed kernel: a fresh copy of its table values."""
    entry = KERNEL_TABLE[name]

    def table_kernel() -> np.ndarray:
        return entry.values.copy()

    table_kernel.__name__ = table_kernel.__qualname__ = name
    table_kernel.__doc__ = _TABLE_FUNCTION_DOC.format(
        name=name,
        description=entry.description["en"],
        shape="({}, {})".format(*entry.values.shape),
        values=entry.values,
    )
    return table_kernel


# The fixed kernels by their own names, as the course calls them (vt.data.edge()).
edge = _table_function("edge")
bottom_sobel = _table_function("bottom_sobel")
top_sobel = _table_function("top_sobel")
left_sobel = _table_function("left_sobel")
right_sobel = _table_function("right_sobel")
emboss = _table_function("emboss")
sharpen = _table_function("sharpen")
blur = _table_function("blur")
identity = _table_function("identity")
laplacian = _table_function("laplacian")
