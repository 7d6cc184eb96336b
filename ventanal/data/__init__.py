"""Built-in images, classic kernels and image loading.

Everything here returns ``float32`` NumPy arrays, so that an image, a kernel
and the output of an op can be compared and plotted side by side. One module
an idea:

* :mod:`~ventanal.data.synthetic`: the lessons' synthetic images,
  :func:`circle` (the Kaggle "Computer Vision" course's
  ``visiontools.circle``, pixel for pixel) and :func:`two_dots` (the lesson
  on translation invariance).
* :mod:`~ventanal.data.kernels`: the classic kernels as one table,
  :data:`KERNEL_TABLE`, looked up by name with :func:`kernel`; each is also a
  function of its own name (:func:`edge`, :func:`bottom_sobel`,
  :func:`emboss`, :func:`sharpen`, :func:`blur`, ...), and :func:`gaussian`
  and :func:`box` take a size.
* :mod:`~ventanal.data.loader`: image files, :func:`load_image`.
* :mod:`~ventanal.data.bundled`: the bundled sample photos
  (:func:`sample_names`, :func:`sample`, :func:`sample_path`).

Importing this package loads only NumPy; Pillow is imported the first time an
image file is read.

Examples
--------
>>> import ventanal.data as vd
>>> float(vd.kernel("edge").sum()), vd.circle(8, val=1.0).shape
(0.0, (8, 8))
"""

from __future__ import annotations

from .bundled import SAMPLES, SAMPLES_DIR, sample, sample_names, sample_path
from .kernels import (
    KERNEL_TABLE,
    KERNELS,
    KernelEntry,
    blur,
    bottom_sobel,
    box,
    edge,
    emboss,
    gaussian,
    identity,
    kernel,
    kernel_names,
    laplacian,
    left_sobel,
    right_sobel,
    sharpen,
    top_sobel,
)
from .loader import DEFAULT_MAX_PIXELS, LUMA_WEIGHTS, load_image
from .synthetic import circle, two_dots

__all__ = [
    # synthetic images
    "circle",
    "two_dots",
    # kernels, in the order of the table
    "KERNEL_TABLE",
    "KERNELS",
    "KernelEntry",
    "kernel",
    "kernel_names",
    "edge",
    "bottom_sobel",
    "top_sobel",
    "left_sobel",
    "right_sobel",
    "emboss",
    "sharpen",
    "blur",
    "gaussian",
    "box",
    "identity",
    "laplacian",
    # image files
    "DEFAULT_MAX_PIXELS",
    "LUMA_WEIGHTS",
    "load_image",
    # bundled samples
    "SAMPLES",
    "SAMPLES_DIR",
    "sample",
    "sample_names",
    "sample_path",
]
