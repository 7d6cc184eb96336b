"""The base of every layer: :class:`Layer`, weighted layers, and the argument checks they share.

:class:`Layer` holds what every Keras-style layer does the same way: its
name, dtype and weights, shape inference (``compute_output_shape``,
``build``), calling on a batch, and the step of a receptive field through
the layer. :class:`WeightedLayer` adds a kernel, an optional bias and an
activation (``Conv*D`` and ``Dense``).

The helpers below normalise and check arguments for every module of
:mod:`ventanal.layers`: shapes (:func:`as_shape`, :func:`format_shape`),
integers, booleans and Keras's default names (:func:`snake_case`).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import geometry
from ..ops import activations
from .initializers import InitializerLike, get_initializer, initial_value

__all__ = ["Shape", "ShapeLike", "DTypeArg", "ActivationLike", "Layer", "WeightedLayer",
           "snake_case", "positive_int", "check_bool", "as_shape", "format_shape",
           "activation_name"]

#: A shape as the layers return it: ints, None for an unknown size (the batch axis).
Shape = tuple[int | None, ...]
#: A shape as the layers accept it (checked and normalised by :func:`as_shape`).
ShapeLike = Iterable[int | np.integer[Any] | None]
#: A layer's ``dtype``: a float dtype, its name, None (float32) or a Keras DTypePolicy config.
DTypeArg = npt.DTypeLike | dict[str, Any] | None
#: An ``activation``: a name, None (linear) or a function of the layer's output.
ActivationLike = str | Callable[[np.ndarray], npt.ArrayLike] | None

# Keras arguments that change training only; accepted and ignored so that ported
# code runs unchanged.
_TRAINING_ONLY = frozenset({"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                            "kernel_constraint", "bias_constraint", "trainable"})

_AXIS_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------

def snake_case(name: str) -> str:
    """Keras's default layer name for a class name.

    Examples
    --------
    >>> snake_case("MaxPooling2D"), snake_case("ReLU")
    ('max_pooling2d', 're_lu')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def positive_int(value: object, name: str) -> int:
    """``value`` as an int, checked to be an integer >= 1 (``name`` is the argument's).

    Examples
    --------
    >>> positive_int(3, "filters")
    3
    >>> positive_int(0, "filters")
    Traceback (most recent call last):
    ...
    ValueError: `filters` must be an integer >= 1, got 0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer >= 1, got {value!r} "
                        f"({type(value).__name__})")
    if value < 1:
        raise ValueError(f"`{name}` must be an integer >= 1, got {value}")
    return int(value)


def check_bool(value: object, name: str) -> bool:
    """``value``, checked to be True or False (``name`` is the argument's).

    Examples
    --------
    >>> check_bool(1, "keepdims")
    Traceback (most recent call last):
    ...
    TypeError: `keepdims` must be True or False, got 1
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False, got {value!r}")
    return bool(value)


def _float_dtype(dtype: DTypeArg) -> np.dtype[Any]:
    """A layer's dtype: a float NumPy dtype from a name, a dtype or a Keras policy."""
    spec: npt.DTypeLike | None
    if isinstance(dtype, dict):  # a Keras DTypePolicy config
        config: Any = dtype.get("config", {})
        spec = config.get("name", "float32")
    else:
        spec = dtype
    if spec is None:
        return np.dtype(np.float32)
    if isinstance(spec, str) and spec.startswith("mixed_"):
        spec = "float16" if spec == "mixed_float16" else "float32"
    result: np.dtype[Any] | None
    try:
        result = np.dtype(spec)
    except TypeError:
        result = None
    if result is None or result.kind != "f":
        raise ValueError(f"`dtype` must be a float dtype ('float16', 'float32' or 'float64'), "
                         f"got {spec!r}")
    return result


def as_shape(shape: ShapeLike, name: str = "input_shape") -> Shape:
    """A shape as a tuple of ints (None for an unknown size), checked.

    Examples
    --------
    >>> as_shape([None, 28, 28, np.int64(1)])
    (None, 28, 28, 1)
    """
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Iterable):
        raise TypeError(f"`{name}` must be a sequence of integers (None for an unknown size), "
                        f"got {shape!r}")
    result: list[int | None] = []
    for size in shape:
        if size is None:
            result.append(None)
            continue
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral):
            raise TypeError(f"`{name}` must hold integers or None, got {tuple(shape)!r}")
        if size < 0:
            raise ValueError(f"`{name}` must hold sizes >= 0, got {tuple(shape)!r}")
        result.append(int(size))
    return tuple(result)


def format_shape(shape: Shape | None) -> str:
    """A shape as Keras prints it; ``"?"`` for an unknown shape.

    Examples
    --------
    >>> format_shape((None, 30, 30, 8)), format_shape((4,)), format_shape(None)
    ('(None, 30, 30, 8)', '(4,)', '?')
    """
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def activation_name(activation: ActivationLike) -> str:
    """The name a layer's configuration gives its ``activation`` argument.

    Examples
    --------
    >>> activation_name(None), activation_name("ReLU"), activation_name(np.tanh)
    ('linear', 'relu', 'tanh')
    """
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation.lower()
    return getattr(activation, "__name__", repr(activation))


# ---------------------------------------------------------------------------
# the base layers
# ---------------------------------------------------------------------------

class Layer:
    """Base of every ventanal layer (Keras's ``keras.layers.Layer``, inference only).

    Subclasses set ``expected_rank`` (the input rank with the batch axis, or
    ``None`` for any rank of at least ``min_rank``) and implement
    ``_output_shape``, ``call``, :meth:`field_step` when they change receptive
    fields and, when they hold weights, ``_weight_shapes`` and
    ``_weight_shapes_from``.

    Parameters
    ----------
    name : str, optional
        Default: the snake-case class name, made unique inside a
        :class:`Sequential` (``conv2d``, ``conv2d_1``...).
    dtype : str, optional
        Float dtype of the computation and weights. Default ``"float32"``.
    input_shape : tuple of int, optional
        Shape of one sample, without the batch axis (Keras's ``input_shape``
        argument): a :class:`Sequential` starting with this layer is built
        at once.
    """

    expected_rank: int | None = None
    min_rank: int = 1
    weight_names: tuple[str, ...] = ()
    #: Where the channels are; layers that take ``data_format`` set their own.
    data_format: str = "channels_last"

    def __init__(self, *, name: str | None = None, dtype: DTypeArg = None,
                 input_shape: ShapeLike | None = None, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - _TRAINING_ONLY)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument "
                            f"{unknown[0]!r}")
        self._name: str | None = None
        if name is not None:
            self.name = name
        self.dtype = _float_dtype(dtype)
        self.input_shape_arg: Shape | None = (
            None if input_shape is None else (None,) + as_shape(input_shape))
        self.input_shape: Shape | None = None
        self.built = False
        self._weights: list[np.ndarray] = []

    # -- naming and display --------------------------------------------------
    @property
    def name(self) -> str:
        """The layer's name (the snake-case class name unless given or set)."""
        return self._name if self._name is not None else snake_case(type(self).__name__)

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise TypeError(f"`name` must be a non-empty string, got {value!r}")
        self._name = value

    @property
    def has_default_name(self) -> bool:
        """Whether the name is still the default one (neither given nor set)."""
        return self._name is None

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (Keras names); ``type(layer)(**config)`` clones the layer."""
        config: dict[str, Any] = {"name": self.name}
        if self.dtype != np.float32:
            config["dtype"] = self.dtype.name
        return config

    def __repr__(self) -> str:
        config = self.get_config()
        args = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({args})"

    # -- shapes --------------------------------------------------------------
    def _check_rank(self, shape: Shape) -> None:
        rank = len(shape)
        if self.expected_rank is not None and rank != self.expected_rank:
            n = self.expected_rank - 2
            axes = ", ".join(_AXIS_NAMES.get(n, ()))
            hint = ""
            if rank == self.expected_rank - 1:
                hint = "; add a batch axis (x[None]) for one sample"
            elif rank == self.expected_rank - 2:
                hint = ("; add batch and channel axes (x[None, ..., None]) for one "
                        "single-channel input")
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) expects inputs of "
                             f"rank {self.expected_rank} (batch, {axes}, channels), got shape "
                             f"{format_shape(shape)}{hint}")
        if self.expected_rank is None and rank < self.min_rank:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) expects inputs of "
                             f"rank >= {self.min_rank}, got shape {format_shape(shape)}")

    def compute_output_shape(self, input_shape: ShapeLike) -> Shape:
        """Output shape for an input shape (batch axis included; ``None`` for unknown sizes).

        Raises
        ------
        ValueError
            Wrong rank, or a window that does not fit (``padding="valid"``).
        """
        shape = as_shape(input_shape)
        self._check_rank(shape)
        return self._output_shape(shape)

    def _output_shape(self, shape: Shape) -> Shape:
        return shape

    def spatial_shape(self, shape: Shape) -> Shape:
        """The spatial part of a shape (batch first), by the layer's ``data_format``.

        Examples
        --------
        >>> Layer().spatial_shape((None, 28, 28, 3))
        (28, 28)
        """
        return tuple(shape[2:] if self.data_format == "channels_first" else shape[1:-1])

    # -- weights -------------------------------------------------------------
    def _weight_shapes(self, input_shape: Shape) -> list[tuple[int, ...]]:
        return []

    def _create_weights(self, input_shape: Shape) -> None:
        """Fill ``self._weights`` for ``input_shape``; layers with weights override this."""

    def build(self, input_shape: ShapeLike) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included).

        Weights already set (by :meth:`set_weights` or an earlier build) are
        kept when they fit the input.
        """
        shape = as_shape(input_shape)
        self._check_rank(shape)
        expected = self._weight_shapes(shape)
        if self._weights:
            found = [w.shape for w in self._weights]
            if found != expected:
                raise ValueError(f"layer {self.name!r} ({type(self).__name__}) has weights of "
                                 f"shapes {found} but inputs of shape {format_shape(shape)} "
                                 f"need {expected}")
        else:
            self._create_weights(shape)
        self._output_shape(shape)  # refuses windows that do not fit
        self.input_shape = shape
        self.built = True

    @property
    def weights(self) -> list[np.ndarray]:
        """The weight arrays (not copies), in Keras's order (kernel, then bias)."""
        return list(self._weights)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights, in Keras's order and layout."""
        return [w.copy() for w in self._weights]

    def set_weights(self, weights: Sequence[npt.ArrayLike]) -> None:
        """Set the weights from arrays in Keras's order and layout (cast to ``dtype``).

        An unbuilt layer with weights takes their shapes, which fixes its
        number of input channels (or features).

        Raises
        ------
        ValueError
            Wrong number of arrays or wrong shapes.
        """
        arrays = [np.asarray(w) for w in weights]
        if len(arrays) != len(self.weight_names):
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) has "
                             f"{len(self.weight_names)} weights "
                             f"({', '.join(self.weight_names) or 'none'}), "
                             f"got {len(arrays)} arrays")
        if not arrays:
            return
        expected = (self._weight_shapes(self.input_shape) if self.input_shape is not None
                    else self._weight_shapes_from(arrays))
        for array, name, shape in zip(arrays, self.weight_names, expected, strict=True):
            if array.shape != shape:
                raise ValueError(f"layer {self.name!r} ({type(self).__name__}): `{name}` must "
                                 f"have shape {shape}, got {array.shape}")
        self._weights = [array.astype(self.dtype, copy=True) for array in arrays]
        self.built = True

    def _weight_shapes_from(self, arrays: list[np.ndarray]) -> list[tuple[int, ...]]:
        return [a.shape for a in arrays]

    def count_params(self) -> int:
        """Number of weights (0 for an unbuilt layer with weights; see :meth:`build`)."""
        return int(sum(w.size for w in self._weights))

    # -- computation ---------------------------------------------------------
    def __call__(self, inputs: npt.ArrayLike) -> np.ndarray:
        """Apply the layer to a batch (building it from the input's shape if needed)."""
        try:
            x = np.asarray(inputs)
        except Exception as error:
            raise TypeError(f"layer {self.name!r} ({type(self).__name__}): inputs must be "
                            f"array-like, got {type(inputs).__name__}: {error}") from None
        if x.dtype.kind not in "biuf":
            raise TypeError(f"layer {self.name!r} ({type(self).__name__}): inputs must hold "
                            f"real numbers, got dtype {x.dtype}")
        x = x.astype(self.dtype, copy=False)
        self._check_rank(x.shape)
        if not self.built or (self.weight_names and not self._weights):
            self.build((None,) + x.shape[1:])
        else:
            self._check_weights_fit(x.shape)
        return self.call(x)

    def _check_weights_fit(self, shape: tuple[int, ...]) -> None:
        if self._weights:
            expected = self._weight_shapes((None,) + tuple(shape[1:]))
            if [w.shape for w in self._weights] != expected:
                raise ValueError(f"layer {self.name!r} ({type(self).__name__}) was built for "
                                 f"weights {[w.shape for w in self._weights]}, but inputs of "
                                 f"shape {tuple(shape)} need {expected}")

    def call(self, x: np.ndarray) -> np.ndarray:
        """The computation on a batch already cast to ``dtype``."""
        return x

    # -- receptive fields ----------------------------------------------------
    def field_step(self, fields: tuple[geometry.Field, ...],
                   input_shape: Shape) -> tuple[geometry.Field, ...]:
        """Receptive fields of the outputs, given those of the inputs (per model axis).

        An element-wise layer, like this base, changes nothing; windowed and
        global layers override it.
        """
        return fields


class WeightedLayer(Layer):
    """A layer with a kernel and an optional bias, initialised from a seed."""

    def __init__(self, *, activation: ActivationLike = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform",
                 bias_initializer: InitializerLike = "zeros", seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation: Callable[[np.ndarray], npt.ArrayLike] = activations.get(activation)
        self._activation_name = activation_name(activation)
        self.use_bias = check_bool(use_bias, "use_bias")
        self.kernel_initializer = get_initializer(kernel_initializer, "kernel_initializer")
        self.bias_initializer = get_initializer(bias_initializer, "bias_initializer")
        if seed is not None and (isinstance(seed, (bool, np.bool_)) or
                                 not isinstance(seed, numbers.Integral)):
            raise TypeError(f"`seed` must be None or an integer, got {seed!r}")
        self.seed = seed
        self.weight_names = ("kernel", "bias") if self.use_bias else ("kernel",)

    def _create_weights(self, input_shape: Shape) -> None:
        rng = np.random.default_rng(self.seed)
        shapes = self._weight_shapes(input_shape)
        weights = [initial_value(self.kernel_initializer, shapes[0], self.dtype, rng)]
        if self.use_bias:
            weights.append(initial_value(self.bias_initializer, shapes[1], self.dtype, rng))
        self._weights = weights

    @property
    def kernel(self) -> np.ndarray | None:
        """The kernel (Keras layout), or None before the layer is built."""
        return self._weights[0] if self._weights else None

    @property
    def bias(self) -> np.ndarray | None:
        """The bias, or None without ``use_bias`` or before the layer is built."""
        return self._weights[1] if self.use_bias and self._weights else None

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(activation=self._activation_name, use_bias=self.use_bias,
                      kernel_initializer=self.kernel_initializer,
                      bias_initializer=self.bias_initializer)
        if self.seed is not None:
            config["seed"] = self.seed
        return config

