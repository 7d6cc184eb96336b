"""Keras-style layers and ``Sequential``, with shape inference and receptive fields.

The layers take Keras 3's argument names and defaults, so porting a model
is a matter of renaming ``keras.layers`` to ``vt.layers``::

    import ventanal as vt

    model = vt.Sequential([
        vt.layers.Conv2D(filters=64, kernel_size=3, strides=1, padding="same",
                         activation="relu"),
        vt.layers.MaxPool2D(pool_size=2, strides=1, padding="same"),
    ])

Each layer runs one op of :mod:`ventanal.ops` and asks :mod:`ventanal.geometry`
for its shapes and receptive fields; nothing here slides a window itself.

Conventions, as in Keras:

* Inputs are batch first: ``(batch, steps, channels)`` for the 1-D layers,
  ``(batch, height, width, channels)`` for 2-D and
  ``(batch, depth, height, width, channels)`` for 3-D (channels first with
  ``data_format="channels_first"``). :class:`Sequential` also accepts one
  sample without its batch axis (see :meth:`Sequential.__call__`).
* Layers compute in their ``dtype`` (``"float32"`` by default, Keras's
  policy): inputs and weights are cast to it.
* Kernels are stored in Keras's layout (spatial + ``(in_channels // groups,
  filters)``, HWIO in 2-D; ``(in_features, units)`` for ``Dense``), so
  ``get_weights``/``set_weights`` exchange arrays with Keras unchanged.
* A window that does not fit in its input (``padding="valid"``) is a
  ``ValueError`` when the shape is inferred, as in Keras.

The modules, from the bottom up:

``base``
    :class:`Layer`, weighted layers and the argument checks they share;
    ``initializers``: Keras's weight initialisers.
``windowed``
    Channel layouts, sliding windows and whole-input windows.
``convolutional``, ``pooling``, ``core``
    The layers.
``fields``
    :class:`LayerField`, the receptive-field record, its table and printer.
``keras_io``
    Keras files and models read as layers (no TensorFlow).
``sequential``
    :class:`Sequential` and :func:`receptive_field`.
``spec``
    The command line's layer specs (``"conv3,pool2"``).
"""

from .base import Layer
from .convolutional import Conv1D, Conv2D, Conv3D
from .core import Activation, Dense, Flatten, Input, InputLayer, ReLU
from .fields import LayerField, ReceptiveFieldTable, format_field_table
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from .sequential import Sequential, receptive_field
from .spec import LAYER_GRAMMAR, LayerSpec, build_model, parse_layers

__all__ = [
    "Layer",
    "InputLayer",
    "Input",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "ReLU",
    "Activation",
    "Flatten",
    "Dense",
    "Sequential",
    "LayerField",
    "ReceptiveFieldTable",
    "receptive_field",
    "format_field_table",
    "LayerSpec",
    "LAYER_GRAMMAR",
    "parse_layers",
    "build_model",
]
