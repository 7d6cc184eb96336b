"""``Sequential``, a stack of layers (Keras's), and :func:`receptive_field` of a model.

A :class:`Sequential` infers every shape, builds and calls its layers,
exchanges weights with Keras (:meth:`Sequential.from_keras`,
:meth:`Sequential.load_weights`, through :mod:`ventanal.layers.keras_io`)
and prints a summary with each layer's receptive field.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import keras_io
from .base import Layer, Shape, ShapeLike, as_shape, format_shape, snake_case
from .core import Activation, InputLayer, ReLU
from .fields import FIELD_COLUMNS, ReceptiveFieldTable, field_cells, field_table, format_table

__all__ = ["Sequential", "receptive_field"]


class Sequential:
    """A stack of layers (Keras's ``keras.Sequential``), for inference.

    Parameters
    ----------
    layers : sequence of Layer, optional
        The first may be an :func:`Input` (or any layer with ``input_shape=``),
        which builds the model at once.
    name : str, optional
        Default ``"sequential"``.

    Notes
    -----
    Layers without a name get Keras's default name, made unique inside the
    model (``conv2d``, ``conv2d_1``...).

    Examples
    --------
    The lesson's two layers, without TensorFlow:

    >>> import numpy as np, ventanal as vt
    >>> model = vt.Sequential([
    ...     vt.layers.Conv2D(filters=64, kernel_size=3, strides=1, padding="same",
    ...                      activation="relu", seed=0),
    ...     vt.layers.MaxPool2D(pool_size=2, strides=1, padding="same"),
    ... ])
    >>> model.build((None, 32, 32, 3))
    >>> model.output_shape
    (None, 32, 32, 64)
    >>> model(np.ones((32, 32, 3))).shape      # one image: no batch axis in, none out
    (32, 32, 64)
    >>> model.summary()
    Model: "sequential"
    Layer (type)                   Output Shape         Param #  Field  Jump  Start
    ------------------------------------------------------------------------------
    conv2d (Conv2D)                (None, 32, 32, 64)   1,792    3x3    1x1   -1, -1
    max_pooling2d (MaxPooling2D)   (None, 32, 32, 64)   0        4x4    1x1   -1, -1
    ------------------------------------------------------------------------------
    Total params: 1,792
    Field, Jump, Start: receptive field of each layer's units in input pixels (per axis)
    """

    def __init__(self, layers: Iterable[Layer] | None = None, name: str | None = None) -> None:
        self.name = "sequential" if name is None else str(name)
        self.layers: list[Layer] = []
        self.input_shape: Shape | None = None
        self._input_layer: InputLayer | None = None
        for layer in layers or ():
            self.add(layer)

    # -- construction --------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer (an :class:`InputLayer` sets the input shape instead)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes ventanal layers (vt.layers.*), got "
                            f"{type(layer).__name__}: {layer!r}")
        if isinstance(layer, InputLayer):
            if self.layers or self._input_layer is not None:
                raise ValueError("an Input/InputLayer can only be the first element of a "
                                 "Sequential")
            self._input_layer = layer
            self.build(layer.batch_shape)
            return
        if layer.has_default_name:
            layer.name = self._unique_name(snake_case(type(layer).__name__))
        elif any(other.name == layer.name for other in self.layers):
            raise ValueError(f"layer names must be unique in a model: {layer.name!r} is "
                             f"already used")
        self.layers.append(layer)
        try:
            if len(self.layers) == 1 and self.input_shape is None and \
                    layer.input_shape_arg is not None:
                self.build(layer.input_shape_arg)
            elif self.input_shape is not None:
                self.build(self.input_shape)
        except (ValueError, TypeError):
            self.layers.pop()  # a layer that does not fit leaves the model as it was
            raise

    def _unique_name(self, base: str) -> str:
        names = {layer.name for layer in self.layers}
        if base not in names:
            return base
        i = 1
        while f"{base}_{i}" in names:
            i += 1
        return f"{base}_{i}"

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self.layers:
            raise ValueError("pop from an empty Sequential: there is no layer to remove")
        return self.layers.pop()

    def get_layer(self, name: str) -> Layer:
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: "
                         f"{', '.join(layer.name for layer in self.layers)}")

    # -- shapes --------------------------------------------------------------
    @property
    def _expected_rank(self) -> int | None:
        if self.input_shape is not None:
            return len(self.input_shape)
        for layer in self.layers:
            if layer.expected_rank is not None:
                return layer.expected_rank
            if not isinstance(layer, (ReLU, Activation)):
                return None
        return None

    def _full_shape(self, input_shape: ShapeLike, *, batch_by_default: bool = True) -> Shape:
        """The shape with its batch axis.

        A shape one shorter than the rank the model expects is one sample. When
        the rank is unknown (a model starting with Flatten or Dense), a leading
        None marks a batch axis, and otherwise ``batch_by_default`` decides.
        """
        shape = as_shape(input_shape)
        expected = self._expected_rank
        if expected is not None:
            missing = len(shape) == expected - 1
        else:
            missing = not batch_by_default and (not shape or shape[0] is not None)
        return (None,) + shape if missing else shape

    def _shapes(self, input_shape: Shape) -> list[Shape]:
        """Output shape of every layer."""
        shapes: list[Shape] = []
        shape = input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
            shapes.append(shape)
        return shapes

    def compute_output_shape(self, input_shape: ShapeLike) -> Shape:
        """Output shape for ``input_shape`` (with or without the batch axis), without data."""
        shape = self._full_shape(input_shape)
        shapes = self._shapes(shape)
        return shapes[-1] if shapes else shape

    def build(self, input_shape: ShapeLike) -> None:
        """Infer every shape and create the weights for ``input_shape``.

        ``input_shape`` is Keras's: batch axis included (``(None, 28, 28, 1)``);
        the shape of one sample (``(28, 28, 1)``) is accepted too when the
        first layer fixes the rank.
        """
        shape = self._full_shape(input_shape)
        for layer in self.layers:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.input_shape = self._full_shape(input_shape)

    @property
    def built(self) -> bool:
        return self.input_shape is not None

    @property
    def output_shape(self) -> Shape:
        """The output shape for the input shape the model was built with."""
        if self.input_shape is None:
            raise ValueError(f"model {self.name!r} has no input shape yet: call "
                             f"build(input_shape), call it on data, or start it with "
                             f"vt.layers.Input(shape)")
        return self.compute_output_shape(self.input_shape)

    # -- computation ---------------------------------------------------------
    def _prepare(self, x: npt.ArrayLike) -> tuple[np.ndarray, bool]:
        try:
            array = np.asarray(x)
        except Exception as error:
            raise TypeError(f"model inputs must be array-like, got {type(x).__name__}: "
                            f"{error}") from None
        expected = self._expected_rank
        single = expected is not None and array.ndim == expected - 1
        if single:
            array = array[None]
        if not self.built and self.layers:
            self.build((None,) + array.shape[1:])
        return array, single

    def feature_maps(self, x: npt.ArrayLike) -> dict[str, np.ndarray]:
        """Every layer's output for ``x``, by layer name, in order.

        ``x`` is a batch, or one sample without its batch axis (then the
        maps have no batch axis either); see :meth:`__call__`.

        Examples
        --------
        >>> import numpy as np, ventanal as vt
        >>> model = vt.Sequential([vt.layers.Conv2D(2, 3, seed=1), vt.layers.ReLU(),
        ...                        vt.layers.MaxPool2D()])
        >>> {name: m.shape for name, m in model.feature_maps(np.ones((8, 8, 1))).items()}
        {'conv2d': (6, 6, 2), 're_lu': (6, 6, 2), 'max_pooling2d': (3, 3, 2)}
        """
        array, single = self._prepare(x)
        maps: dict[str, np.ndarray] = {}
        for layer in self.layers:
            array = layer(array)
            maps[layer.name] = array[0] if single else array
        return maps

    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        """The model's output for ``x``.

        ``x`` is a batch, batch axis first. One sample without its batch
        axis is recognised by its rank: one less than the model's input rank
        (the built input shape, or the first windowed layer's: 3 for 1-D, 4
        for 2-D, 5 for 3-D layers). It gains a batch axis, and the output
        loses it again. Models starting with ``Dense`` or ``Flatten`` and no
        input shape take batches only.
        """
        array, single = self._prepare(x)
        for layer in self.layers:
            array = layer(array)
        return array[0] if single else array

    predict = __call__

    # -- weights -------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Every layer's weights, in order (Keras's ``model.get_weights()``)."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[npt.ArrayLike]) -> None:
        """Set every layer's weights from one flat list, in Keras's order."""
        arrays = list(weights)
        needed = sum(len(layer.weight_names) for layer in self.layers)
        if len(arrays) != needed:
            raise ValueError(f"model {self.name!r} has {needed} weight arrays, got "
                             f"{len(arrays)}")
        i = 0
        for layer in self.layers:
            count = len(layer.weight_names)
            layer.set_weights(arrays[i:i + count])
            i += count

    @property
    def weights(self) -> list[np.ndarray]:
        return [w for layer in self.layers for w in layer.weights]

    def count_params(self) -> int:
        """Number of weights of the built layers."""
        return sum(layer.count_params() for layer in self.layers)

    def load_weights(self, filepath: keras_io.FilePath) -> None:
        """Load weights saved by Keras (``.weights.h5``, ``.keras`` or legacy ``.h5``).

        Needs ``h5py`` (the ``keras`` extra). Layers are matched by order
        (``.weights.h5``, ``.keras``) or by name (legacy ``.h5``).
        """
        keras_io.load_weights(self, filepath)

    @classmethod
    def from_keras(cls, model: keras_io.ModelSource) -> Sequential:
        """A ventanal model from a Keras model file or object, without TensorFlow.

        Parameters
        ----------
        model : str, path or keras.Model
            A ``.keras`` archive or a legacy ``.h5`` file saved by Keras
            (``model.save(...)``), or a live Keras ``Sequential`` (or
            functional model whose layers form a chain).

        Raises
        ------
        ValueError
            A layer that ventanal does not support (the message names it),
            a model that is not a chain of layers, or a weights-only file.

        See Also
        --------
        load_weights : weights only, into a model built with vt.layers.
        """
        keras_model = keras_io.read_model(model)
        try:
            result = cls(keras_model.layers, name=keras_model.name)
            if not result.built and keras_model.input_shape is not None:
                result.build(keras_model.input_shape)
            result.set_weights(keras_model.weights)
        except ValueError as error:
            if not isinstance(model, (str, bytes, os.PathLike)):
                raise
            raise ValueError(f"{os.fsdecode(model)!r}: {error}") from None
        return result

    # -- receptive fields and summary ---------------------------------------
    def receptive_field(self, input_shape: ShapeLike | None = None) -> ReceptiveFieldTable:
        """Receptive fields of every layer; see :func:`ventanal.receptive_field`."""
        if input_shape is None:
            if self.input_shape is None:
                raise ValueError(f"model {self.name!r} has no input shape: pass input_shape "
                                 f"(e.g. (32, 32, 1)), because SAME padding's offsets and the "
                                 f"output shapes depend on the input size")
            shape = self.input_shape
        else:
            shape = self._full_shape(input_shape, batch_by_default=False)
        return field_table(self.layers, shape)

    def summary(self, print_fn: Callable[[str], Any] | None = None) -> None:
        """Print the layers, output shapes, parameter counts and receptive fields.

        Like Keras's summary, with three more columns: the receptive field of
        each layer's units (size), the distance between neighbouring units
        (jump) and the input position where unit 0's field starts (start),
        all in input pixels and per spatial axis. Unknown values print as
        ``?`` (build the model first to see them).

        Parameters
        ----------
        print_fn : callable, optional
            Receives the whole text (default: ``print``).
        """
        header = FIELD_COLUMNS[:2] + ("Param #",) + FIELD_COLUMNS[2:]
        try:
            table = self.receptive_field() if self.built else None
        except ValueError:
            table = None
        rows = []
        for i, layer in enumerate(self.layers):
            params = f"{layer.count_params():,}" if layer.built or not layer.weight_names \
                else "0 (unbuilt)"
            if table is not None:
                label, shape, *field = field_cells(table[i])
            else:
                label, shape, field = f"{layer.name} ({type(layer).__name__})", "?", ["?"] * 3
                if self.input_shape is not None:  # built
                    try:
                        shape = format_shape(self._shapes(self.input_shape)[i])
                    except ValueError:
                        pass
            rows.append((label, shape, params, *field))
        (print_fn or print)(format_table(
            header, rows, title=f'Model: "{self.name}"',
            footer=[f"Total params: {self.count_params():,}",
                    "Field, Jump, Start: receptive field of each layer's units in input pixels "
                    "(per axis)"]))

    def __repr__(self) -> str:
        return f"<Sequential {self.name!r}: {', '.join(map(repr, self.layers))}>"


def receptive_field(model_or_layers: Sequential | Iterable[Layer],
                    input_shape: ShapeLike | None = None) -> ReceptiveFieldTable:
    """Receptive field (size, jump, start) of the units of every layer, per spatial axis.

    Parameters
    ----------
    model_or_layers : Sequential or sequence of layers
    input_shape : tuple of int, optional
        Shape of one input sample, as Keras's ``input_shape`` (e.g.
        ``(32, 32, 1)``); a shape with the batch axis (``(None, 32, 32, 1)``)
        works too. Needed unless the model is built, because SAME padding's
        offsets depend on the input size.

    Returns
    -------
    ReceptiveFieldTable
        One :class:`LayerField` per layer, with ``.name``, ``.kind``, ``.output_shape``
        and per-axis ``.size``, ``.jump`` and ``.start``; prints as a table.

    Raises
    ------
    ValueError
        No input shape, unknown spatial sizes, or layers whose shapes do not
        chain.

    Notes
    -----
    Per spatial axis, from ``size = jump = 1`` and ``start = 0`` at the
    input, a layer with window ``k``, stride ``s``, dilation ``d`` (span
    ``e = d*(k-1) + 1``) and padding before ``lo`` gives::

        size  += (e - 1) * jump     # the window, measured in input pixels
        start -= lo * jump
        jump  *= s

    (computed by :func:`ventanal.geometry.receptive_field_step`).
    Pooling enters exactly like convolution; element-wise layers (ReLU,
    activations, Dense on the channel axis) change nothing; a global pooling
    sees the whole input (a window as large as its input, tiling it, so its
    jump is the previous jump times the input size). ``Flatten`` gets the
    same record, the field of its whole output vector: its features are no
    longer on a grid, and a ``Dense`` after it mixes them all (each feature
    alone still sees what the unit it came from saw).

    **Why the field grows less than "doubling" suggests.** Three 3x3
    convolutions see 7x7 pixels; a 2x2 pooling with stride 2 after them
    adds ``(2 - 1) * 1`` pixel, for a field of 8, not 14. What the pooling
    doubles is the *jump*: neighbouring units now sit 2 pixels apart, so
    every later 3x3 convolution adds ``2 * 2 = 4`` pixels instead of 2 (the
    field grows twice as fast from then on). A field is also not uniform:
    the pixels near its centre feed many more paths than those at its edge.

    Examples
    --------
    The lesson's question:

    >>> import ventanal as vt
    >>> L = vt.layers
    >>> stack = [L.Conv2D(8, 3), L.Conv2D(8, 3), L.Conv2D(8, 3), L.MaxPool2D(2)]
    >>> table = vt.receptive_field(stack, input_shape=(32, 32, 1))
    >>> table[-1].size, table[-1].jump
    ((8, 8), (2, 2))
    >>> print(table)
    Receptive fields for inputs of shape (None, 32, 32, 1)
    Layer (type)                  Output Shape       Field  Jump  Start
    -------------------------------------------------------------------
    conv2d (Conv2D)               (None, 30, 30, 8)  3x3    1x1   0, 0
    conv2d_1 (Conv2D)             (None, 28, 28, 8)  5x5    1x1   0, 0
    conv2d_2 (Conv2D)             (None, 26, 26, 8)  7x7    1x1   0, 0
    max_pooling2d (MaxPooling2D)  (None, 13, 13, 8)  8x8    2x2   0, 0
    >>> table["conv2d_1"].region((2, 0))
    ((2, 6), (0, 4))

    SAME padding moves the start before the image (into the padding):

    >>> model = vt.Sequential([L.Conv2D(8, 7, strides=2, padding="same"),
    ...                        L.MaxPool2D(3, strides=2, padding="same")])
    >>> [(f.size, f.jump, f.start) for f in vt.receptive_field(model, (224, 224, 3))]
    [((7, 7), (2, 2), (-2, -2)), ((11, 11), (4, 4), (-2, -2))]
    """
    model = model_or_layers if isinstance(model_or_layers, Sequential) else \
        Sequential(list(model_or_layers))
    return model.receptive_field(input_shape)

