"""Filter -> detect -> condense: the feature extraction of the course's ``show_extraction``.

A convnet's first block slides two windows over the image: a kernel
(*filter*, a convolution), an activation applied cell by cell (*detect*,
ReLU by default) and a pooling window (*condense*, max pooling).
:func:`extract` runs the three steps and returns every stage, so a figure,
a test or a student can look at each one.

The defaults are those of the Kaggle course's ``visiontools.show_extraction``,
which builds ``Conv2D(filters=1, kernel_size=kernel.shape, strides=conv_stride,
padding=conv_padding, use_bias=False)``, ``Activation(activation)`` and
``MaxPool2D(pool_size, strides=pool_stride, padding=pool_padding)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import geometry
from .geometry import IntOrSequence, PaddingLike
from .ops import activations
from .ops.conv import conv
from .ops.inputs import as_array
from .ops.pool import pool

__all__ = ["Extraction", "extract"]


@dataclass(frozen=True, repr=False, eq=False)
class Extraction:
    """The four stages of one feature extraction.

    Behaves like the 4-tuple ``(input, filter, detect, condense)``: it can be
    unpacked, iterated, measured with ``len`` and indexed by position or by
    stage name.

    Attributes
    ----------
    input : numpy.ndarray
        The image or sequence, as a float array (see :func:`extract`).
    filter : numpy.ndarray
        The convolution of ``input`` with the kernel.
    detect : numpy.ndarray
        The activation of ``filter``.
    condense : numpy.ndarray
        The max pooling of ``detect``.
    kernel : numpy.ndarray
        The kernel as given (a float array of the input's dtype).
    settings : dict
        The window parameters used: ``conv_stride``, ``conv_padding``,
        ``activation``, ``pool_size``, ``pool_stride``, ``pool_padding``
        (sizes and strides as one int per spatial axis), handy for titles.

    Examples
    --------
    >>> import ventanal as vt
    >>> stages = vt.extract([1, 9, -1, -2, 7, 3, -1, 2], [1, 2, 3])
    >>> stages.names
    ('input', 'filter', 'detect', 'condense')
    >>> x, filtered, detected, condensed = stages
    >>> condensed.tolist()
    [16.0, 21.0, 10.0]
    >>> stages["filter"].tolist() == stages[1].tolist() == filtered.tolist()
    True
    >>> stages.shapes
    {'input': (8,), 'filter': (6,), 'detect': (6,), 'condense': (3,)}
    """

    input: np.ndarray
    filter: np.ndarray
    detect: np.ndarray
    condense: np.ndarray
    kernel: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    names: ClassVar[tuple[str, ...]] = ("input", "filter", "detect", "condense")

    @property
    def stages(self) -> dict[str, np.ndarray]:
        """The four stages by name, in order."""
        return {name: getattr(self, name) for name in self.names}

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of each stage, by name."""
        return {name: getattr(self, name).shape for name in self.names}

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(getattr(self, name) for name in self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.names:
                raise KeyError(f"stage names are {', '.join(map(repr, self.names))}, got {key!r}")
            return getattr(self, key)
        return tuple(self)[key]

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}={shape}" for name, shape in self.shapes.items())
        return f"Extraction({shapes})"


def _kernel_array(kernel) -> np.ndarray:
    if isinstance(kernel, str):
        try:
            import importlib

            data = importlib.import_module(f"{__package__}.data")
        except ImportError:  # pragma: no cover - data.py is part of the package
            raise ValueError(f"`kernel` {kernel!r} is a name, but ventanal.data (the kernel "
                             f"registry) is not available; pass the kernel as an array") from None
        return np.asarray(data.kernel(kernel))
    return as_array(kernel, "kernel")


def _float_image(image) -> np.ndarray:
    array = as_array(image, "image")
    if array.dtype == np.uint8:
        # As the course's tf.image.convert_image_dtype: 8-bit pixels become [0, 1].
        return array.astype(np.float32) / np.float32(255)
    if array.dtype.kind != "f":
        return array.astype(np.float64)
    return array


def extract(image: ArrayLike, kernel: ArrayLike | str, conv_stride: IntOrSequence = 1,
            conv_padding: PaddingLike = "valid",
            activation: str | Callable[[np.ndarray], np.ndarray] | None = "relu",
            pool_size: IntOrSequence = 2, pool_stride: IntOrSequence | None = 2,
            pool_padding: PaddingLike = "same") -> Extraction:
    """Filter, detect and condense an image (or a sequence) and keep every stage.

    Parameters
    ----------
    image : array_like
        The number of spatial axes N comes from ``kernel``; ``image`` then has
        rank N (one single-channel sequence or image, e.g. ``(H, W)``),
        N + 1 (channels last, e.g. ``(H, W, 3)`` or the course's
        ``(H, W, 1)``), or N + 2 (a batch, ``(B, H, W, C)``). 8-bit images
        (``uint8``) are scaled to ``[0, 1]`` in float32, as the course's
        ``tf.image.convert_image_dtype``; other integers become float64;
        floats keep their dtype.
    kernel : array_like or str
        A bare kernel of rank 1 (a sequence) or 2 (an image), applied to each
        channel separately (depthwise: the output keeps the input's
        channels); or a full kernel in Keras's layout, spatial +
        ``(in_channels, out_channels)`` (rank 3, 4 or 5, e.g. ``(3, 3, 3, 8)``
        HWIO for an RGB image and 8 filters). A name (``"bottom_sobel"``,
        ``"edge"``...) is looked up with :func:`ventanal.data.kernel`.
    conv_stride : int or tuple of int, optional
        Stride of the convolution. Default 1.
    conv_padding : str, optional
        ``"valid"`` (default) or ``"same"``; every form :func:`ventanal.conv`
        accepts works.
    activation : str, callable or None, optional
        ``"relu"`` (default), ``"linear"``, ``"sigmoid"``, ``"tanh"``,
        ``"leaky_relu"``, ``"elu"``, ``"softmax"``, a function, or ``None``
        (linear).
    pool_size : int or tuple of int, optional
        Max-pooling window. Default 2.
    pool_stride : int, tuple of int or None, optional
        Default 2; ``None`` means ``pool_size`` (Keras).
    pool_padding : str, optional
        ``"same"`` (default, as the course) or ``"valid"``.

    Returns
    -------
    Extraction
        Unpacks as ``input, filter, detect, condense``; ``.stages`` and
        ``.shapes`` give them by name. Each stage has the layout of
        ``image``: a rank-N image gives rank-N stages (nothing to squeeze
        before plotting), an ``(H, W, C)`` image gives ``(H', W', C')``
        stages.

    Raises
    ------
    ValueError
        A kernel of rank 0 or above 5, an image whose rank does not fit the
        kernel, channels that do not match a full kernel, a window larger
        than its (padded) input, an unknown kernel name, activation or
        padding.
    TypeError
        Non-numeric arrays or non-integer sizes.

    See Also
    --------
    ventanal.conv, ventanal.pool : the two windows.
    ventanal.viz.show_extraction : the figure of these four stages.

    Notes
    -----
    The convolution has no bias (``use_bias=False`` in the course). Each
    stage is what TensorFlow computes for the same settings, up to float
    rounding (TensorFlow computes in float32; ventanal keeps float64 input
    in float64). One known difference: NaN propagates through the max
    pooling here, while TensorFlow's CPU kernel skips it.

    Examples
    --------
    The lesson's time series and a kernel that detects a rise:

    >>> import numpy as np, ventanal as vt
    >>> x = [1, 9, -1, -2, 7, 3, -1, 2]
    >>> stages = vt.extract(x, [-1, 1])
    >>> stages.filter.tolist()
    [8.0, -10.0, -1.0, 9.0, -4.0, -4.0, 3.0]
    >>> stages.detect.tolist()
    [8.0, 0.0, 0.0, 9.0, 0.0, 0.0, 3.0]
    >>> stages.condense.tolist()
    [8.0, 9.0, 0.0, 3.0]

    A grayscale image with the bottom Sobel kernel, the course's defaults
    (VALID convolution, ReLU, 2x2 max pool with stride 2 and SAME padding):

    >>> image = np.zeros((8, 8)); image[4:] = 1
    >>> sobel = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    >>> vt.extract(image, sobel).shapes
    {'input': (8, 8), 'filter': (6, 6), 'detect': (6, 6), 'condense': (3, 3)}

    The course's ``(H, W, 1)`` image and a named kernel; an RGB image with a
    kernel applied to each channel, or with a full HWIO kernel of 4 filters:

    >>> vt.extract(image[..., None], "bottom_sobel", conv_stride=3).shapes["condense"]
    (1, 1, 1)
    >>> rgb = np.ones((8, 8, 3))
    >>> vt.extract(rgb, sobel).condense.shape
    (3, 3, 3)
    >>> vt.extract(rgb, np.ones((3, 3, 3, 4)), conv_padding="same").condense.shape
    (4, 4, 4)
    """
    w = _kernel_array(kernel)
    x = _float_image(image)
    w = w.astype(x.dtype)
    if w.ndim in (1, 2):
        n, bare_kernel = w.ndim, True
    elif 3 <= w.ndim <= 5:
        n, bare_kernel = w.ndim - 2, False
    else:
        raise ValueError(f"`kernel` must have rank 1 or 2 (a bare kernel, applied to each "
                         f"channel) or rank 3, 4 or 5 (spatial axes + (in_channels, "
                         f"out_channels)), got rank {w.ndim} with shape {w.shape}")
    if x.ndim == n:
        batch = x[None, ..., None]
    elif x.ndim == n + 1:
        batch = x[None]
    elif x.ndim == n + 2:
        batch = x
    else:
        axes = "one spatial axis" if n == 1 else f"{n} spatial axes"
        raise ValueError(f"`image` must have rank {n} (single channel), {n + 1} (channels last) "
                         f"or {n + 2} (a batch) for a kernel of shape {w.shape} ({axes}), "
                         f"got rank {x.ndim} with shape {x.shape}")
    channels = batch.shape[-1]
    if bare_kernel:
        # Depthwise: the same kernel on every channel, one output per channel.
        filters = np.broadcast_to(w[..., None, None], w.shape + (1, channels))
        groups = channels
    else:
        if w.shape[-2] == 0 or channels % w.shape[-2]:
            raise ValueError(f"`image` has {channels} channels but the full `kernel` of shape "
                             f"{w.shape} expects {w.shape[-2]} input channels (or a divisor "
                             f"of the image's channels, for a grouped convolution)")
        filters, groups = w, channels // w.shape[-2]
    detect_fn = activations.get(activation)
    stride = geometry.normalize_tuple(conv_stride, n, "conv_stride")
    window = geometry.normalize_tuple(pool_size, n, "pool_size")
    pool_step = window if pool_stride is None else geometry.normalize_tuple(
        pool_stride, n, "pool_stride")

    filtered = conv(batch, filters, strides=stride, padding=_upper(conv_padding), groups=groups)
    detected = np.asarray(detect_fn(filtered))
    condensed = pool(detected, window, "MAX", strides=pool_step, padding=_upper(pool_padding))

    def restore(stage: np.ndarray) -> np.ndarray:
        if x.ndim == n:
            return stage[0, ..., 0]
        if x.ndim == n + 1:
            return stage[0]
        return stage

    settings = {"conv_stride": stride, "conv_padding": conv_padding,
                "activation": activation if isinstance(activation, str) or activation is None
                else getattr(activation, "__name__", repr(activation)),
                "pool_size": window, "pool_stride": pool_step, "pool_padding": pool_padding}
    return Extraction(x, restore(filtered), restore(detected), restore(condensed), w, settings)


def _upper(padding):
    return padding.upper() if isinstance(padding, str) else padding
