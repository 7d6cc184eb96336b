"""ventanal: the sliding-window operations of convolutional networks, exact, fast and visible.

Filter (convolution), detect (ReLU), condense (max pooling): each a window
sliding over an image, with TensorFlow's results and PyTorch's conventions
by argument, in NumPy.

>>> import ventanal as vt
>>> vt.output_shape((397, 397), 2, strides=2, padding="SAME")
(199, 199)
"""

from . import geometry, layers
from .extract import extract
from .geometry import output_shape, padding_amounts
from .layers import Sequential, receptive_field
from .ops import avg_pool, conv, global_pool, max_pool, pool, relu

__version__ = "0.1.0"

__all__ = [
    "geometry",
    "pool",
    "max_pool",
    "avg_pool",
    "global_pool",
    "conv",
    "relu",
    "output_shape",
    "padding_amounts",
    "extract",
    "layers",
    "Sequential",
    "receptive_field",
]

# Modules that import matplotlib, Pillow or other heavy packages load on first use,
# so that ``import ventanal`` pulls in NumPy only.
_LAZY_MODULES = ("data", "viz", "detect")


def __getattr__(name):
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_MODULES))
