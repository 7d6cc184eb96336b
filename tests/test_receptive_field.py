"""vt.receptive_field: the recurrences of docs/semantics.md §6.1, checked by impulses.

Two independent oracles trace which input pixels a unit depends on:

* NumPy impulses: one one-hot input per pixel, run through a *linearised*
  copy of the stack (all-ones kernels, no bias, average instead of max
  pooling: every path has a positive weight, so a unit is non-zero exactly
  when it depends on the pixel).
* TensorFlow gradients: an impulse at each output unit traced back to the
  input (``GradientTape.jacobian``) through the same linearised stack built
  with Keras.

The predicted field ``[start + i*jump, start + i*jump + size - 1]`` must
contain every pixel the unit depends on, and its ends must be such pixels
whenever they lie inside the input.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import ventanal as vt

L = vt.layers


# ---------------------------------------------------------------------------
# the lesson's question and worked examples
# ---------------------------------------------------------------------------

def test_three_convs_and_a_pool_see_eight_pixels_not_fourteen():
    stack = [L.Conv2D(64, 3), L.Conv2D(64, 3), L.Conv2D(64, 3), L.MaxPool2D(2)]
    table = vt.receptive_field(stack, input_shape=(64, 64, 3))
    assert [r.size for r in table] == [(3, 3), (5, 5), (7, 7), (8, 8)]
    assert [r.jump for r in table] == [(1, 1), (1, 1), (1, 1), (2, 2)]
    assert table[-1].size != (14, 14)
    # the pool doubled the jump: one more 3x3 convolution now adds 4 pixels, not 2
    table = vt.receptive_field(stack + [L.Conv2D(64, 3)], input_shape=(64, 64, 3))
    assert table[-1].size == (12, 12)
    assert "the *jump*" in vt.receptive_field.__doc__


def test_record_fields_and_table():
    model = vt.Sequential([L.Conv1D(4, 3, padding="same"), L.MaxPool1D(3, 2, "same"),
                           L.Conv1D(4, 2, dilation_rate=3, padding="causal"),
                           L.GlobalMaxPool1D()])
    table = vt.receptive_field(model, (20, 1))
    conv, pool, causal, pooled = table
    assert (conv.name, conv.kind, conv.output_shape) == ("conv1d", "Conv1D", (None, 20, 4))
    assert (conv.size, conv.jump, conv.start) == ((3,), (1,), (-1,))
    # n=20, k3 s2 SAME: total (10-1)*2 + 3 - 20 = 1, so lo = 0
    assert (pool.size, pool.jump, pool.start) == ((5,), (2,), (-1,))
    # causal, k2 d3: e=4, lo=3, measured in jumps of 2
    assert (causal.size, causal.jump, causal.start) == ((11,), (2,), (-7,))
    # global: one window over all 10 positions
    assert pooled.output_shape == (None, 4)
    assert (pooled.size, pooled.start) == ((11 + 9 * 2,), (-7,))
    assert causal.region(9) == ((11, 21),)
    assert conv.center == (0.0,)
    assert table["max_pooling1d"] is pool
    assert table.input_shape == (None, 20, 1)
    text = str(table)
    assert text.splitlines()[0] == "Receptive fields for inputs of shape (None, 20, 1)"
    assert "conv1d_1 (Conv1D)" in text and "-7" in text
    assert repr(table) == text
    with pytest.raises(KeyError, match="no layer named 'x'"):
        table["x"]


def test_model_method_uses_the_built_shape_and_flatten_dense_see_everything():
    model = vt.Sequential([L.Input((9, 12, 1)), L.Conv2D(2, 3, strides=2, padding="same"),
                           L.Flatten(), L.Dense(3)])
    conv, flat, dense = model.receptive_field()
    # H: n=9, o=5, total = 4*2 + 3 - 9 = 2, lo = 1; W: n=12, o=6, total = 1, lo = 0
    assert conv.start == (-1, 0)
    assert flat.size == (3 + 4 * 2, 3 + 5 * 2) == dense.size
    assert flat.start == (-1, 0)


def test_channels_first_and_keepdims():
    model = vt.Sequential([L.Conv2D(2, 3, data_format="channels_first"),
                           L.GlobalAveragePooling2D(data_format="channels_first", keepdims=True),
                           L.Conv2D(1, 1, data_format="channels_first")])
    table = vt.receptive_field(model, (3, 10, 8))
    assert table[0].output_shape == (None, 2, 8, 6)
    assert table[1].size == (10, 8) and table[2].size == (10, 8)


def test_3d():
    table = vt.receptive_field([L.Conv3D(1, (3, 1, 5)), L.MaxPool3D()], (8, 8, 8, 1))
    assert table[-1].size == (4, 2, 6) and table[-1].jump == (2, 2, 2)


def test_errors():
    with pytest.raises(ValueError, match="has no input shape: pass input_shape"):
        vt.receptive_field([L.Conv2D(1, 3)])
    with pytest.raises(ValueError, match="need every spatial size"):
        vt.receptive_field([L.Conv2D(1, 3)], (None, None, 8, 1))
    with pytest.raises(ValueError, match="`kernel_size` 3 is larger"):
        vt.receptive_field([L.Conv2D(1, 3)], (2, 2, 1))
    with pytest.raises(ValueError, match="expects inputs of rank 4"):
        vt.receptive_field([L.Conv2D(1, 3)], (8, 1))
    assert len(vt.receptive_field(vt.Sequential(), (8, 1))) == 0


# ---------------------------------------------------------------------------
# random stacks against impulses
# ---------------------------------------------------------------------------

def _random_layer(rng, rank: int, last: bool):
    kind = rng.choice(["conv", "conv", "max", "avg", "relu"] + (["global", "flatten"] if last
                                                                 else []))
    window = tuple(int(v) for v in rng.integers(1, 5, rank))
    strides = tuple(int(v) for v in rng.integers(1, 4, rank))
    if kind == "conv":
        dilated = rng.random() < 0.3
        paddings = ["valid", "same"] + (["causal"] if rank == 1 else [])
        return ("conv", dict(kernel_size=window,
                             strides=(1,) * rank if dilated else strides,
                             dilation_rate=tuple(int(v) for v in rng.integers(1, 4, rank))
                             if dilated else (1,) * rank,
                             padding=str(rng.choice(paddings))))
    if kind in ("max", "avg"):
        return (kind, dict(pool_size=window, strides=None if rng.random() < 0.3 else strides,
                           padding=str(rng.choice(["valid", "same"]))))
    return (str(kind), {})


def _build(spec, rank: int, module, linear: bool):
    """The stack as layers of ``module`` (vt.layers or keras.layers)."""
    conv = getattr(module, f"Conv{rank}D")
    layers = []
    for kind, kwargs in spec:
        if kind == "conv":
            layers.append(conv(1, use_bias=False, kernel_initializer="ones", **kwargs)
                          if linear else conv(3, activation="relu", **kwargs))
        elif kind in ("max", "avg"):
            name = "AveragePooling" if linear or kind == "avg" else "MaxPooling"
            layers.append(getattr(module, f"{name}{rank}D")(**kwargs))
        elif kind == "relu":
            layers.append(module.ReLU())
        elif kind == "global":
            layers.append(getattr(module, f"GlobalAveragePooling{rank}D")())
        else:
            layers.append(module.Flatten())
    return layers


def random_stacks(count: int, seed: int):
    rng = np.random.default_rng(seed)
    stacks = []
    while len(stacks) < count:
        rank = int(rng.choice([1, 2], p=[0.6, 0.4]))
        shape = tuple(int(v) for v in (rng.integers(10, 40, 1) if rank == 1
                                       else rng.integers(6, 13, 2)))
        depth = int(rng.integers(1, 6))
        spec = [_random_layer(rng, rank, i == depth - 1) for i in range(depth)]
        try:
            vt.Sequential(_build(spec, rank, L, linear=True)).compute_output_shape(
                (None,) + shape + (1,))
        except ValueError:
            continue  # a window larger than its input: draw again
        stacks.append((rank, shape, spec))
    return stacks


def _dependencies(outputs: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """outputs[pixel, unit...] of the impulse at every pixel -> deps[unit..., pixel...].

    Without spatial axes (after Flatten or a global pooling) the record is the
    field of the whole output vector: the union over its features.
    """
    if outputs.ndim == 2:
        return (outputs != 0).any(axis=1).reshape(shape)
    spatial_out = outputs.shape[1:-1]
    deps = outputs.reshape((-1,) + spatial_out + (outputs.shape[-1],))[..., 0] != 0
    deps = np.moveaxis(deps, 0, -1)
    return deps.reshape(spatial_out + shape)


def _check(deps: np.ndarray, record, shape: tuple[int, ...], label: str):
    """Every unit's dependencies lie in its predicted field, whose inner ends are dependencies."""
    rank = len(shape)
    out_shape = deps.shape[:deps.ndim - rank]
    for unit in np.ndindex(*out_shape) if out_shape else [()]:
        unit_deps = deps[unit]
        for axis in range(rank):
            # pixels along `axis` that this unit depends on (any position on the other axes)
            other = tuple(a for a in range(rank) if a != axis)
            hits = np.flatnonzero(unit_deps.any(axis=other) if other else unit_deps)
            index = unit[axis] if unit else 0
            first, last = record.region(tuple(unit) if unit else (0,) * rank)[axis]
            n = shape[axis]
            where = f"{label}, layer {record.name}, unit {unit}, axis {axis}"
            assert hits.size == 0 or (hits.min() >= first and hits.max() <= last), \
                f"{where}: depends on {hits.tolist()} outside the field [{first}, {last}]"
            if hits.size:
                if first >= 0:
                    assert hits.min() == first, f"{where}: field starts at {first}, first " \
                        f"dependency {hits.min()} (index {index})"
                if last < n:
                    assert hits.max() == last, f"{where}: field ends at {last}, last " \
                        f"dependency {hits.max()}"


NUMPY_STACKS = random_stacks(60, seed=2024)


@pytest.mark.parametrize("rank,shape,spec", NUMPY_STACKS,
                         ids=[f"{len(s)}d-{len(spec)}layers-{i}" for i, (_, s, spec)
                              in enumerate(NUMPY_STACKS)])
def test_random_stack_against_numpy_impulses(rank, shape, spec):
    real = vt.Sequential(_build(spec, rank, L, linear=False))
    table = vt.receptive_field(real, shape + (1,))
    linear = vt.Sequential(_build(spec, rank, L, linear=True))
    pixels = int(np.prod(shape))
    impulses = np.eye(pixels, dtype=np.float64).reshape((pixels,) + shape + (1,))
    maps = linear.feature_maps(impulses)
    assert [r.output_shape[1:-1] for r in table] == \
        [tuple(np.shape(m)[1:-1]) for m in maps.values()]
    for record, output in zip(table, maps.values(), strict=True):
        _check(_dependencies(output, shape), record, shape, f"stack {spec}")


TF_STACKS = random_stacks(12, seed=7)


@pytest.mark.parametrize("rank,shape,spec", TF_STACKS,
                         ids=[f"{len(s)}d-{len(spec)}layers-{i}" for i, (_, s, spec)
                              in enumerate(TF_STACKS)])
def test_random_stack_against_tensorflow_gradients(rank, shape, spec):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip(
        "tensorflow", reason="no TensorFlow (live oracle): pip install -e '.[oracles]'"
    )
    keras = tf.keras
    layers = _build(spec, rank, keras.layers, linear=True)
    inputs = keras.Input(shape + (1,))
    outputs, tensor = [], inputs
    for layer in layers:
        tensor = layer(tensor)
        outputs.append(tensor)
    probe = keras.Model(inputs, outputs)
    table = vt.receptive_field(_build(spec, rank, L, linear=False), shape + (1,))
    x = tf.ones((1,) + shape + (1,))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        maps = probe(x)
        maps = maps if isinstance(maps, (list, tuple)) else [maps]
        # one target per layer: its units (channel 0), or its whole output vector
        targets = [m[0, ..., 0] if len(m.shape) > 2 else tf.reduce_sum(m[0]) for m in maps]
    for record, output, target in zip(table, maps, targets, strict=True):
        assert tuple(output.shape[1:-1]) == record.output_shape[1:-1]
        unit_axes = tuple(output.shape[1:-1]) if len(output.shape) > 2 else ()
        # d output[unit] / d input: an impulse at every output unit, traced back
        jacobian = np.asarray(tape.jacobian(target, x))
        deps = jacobian.reshape(unit_axes + shape) != 0
        _check(deps, record, shape, f"stack {spec} (TensorFlow)")
