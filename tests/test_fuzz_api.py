"""Fuzzing the rest of the public API (data, layers, models, receptive fields, figures):
hostile arguments raise only ValueError/TypeError, with a message."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ventanal as vt

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_strategies import EXPECTED, arrays, examples, hostile_scalars, hostile_sizes  # noqa: E402


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except EXPECTED as error:
        assert str(error)
        return None


@settings(max_examples=examples(200))
@given(size=hostile_sizes, std=hostile_scalars)
def test_kernels_and_synthetic_images(size, std):
    _call(vt.data.gaussian, size, std=std)
    _call(vt.data.circle, size)
    _call(vt.data.two_dots, size)


@settings(max_examples=examples(200))
@given(filters=hostile_scalars, kernel=hostile_sizes, strides=hostile_sizes,
       padding=st.sampled_from(["valid", "same", "causal", "x", 1, None]))
def test_layer_constructors(filters, kernel, strides, padding):
    for layer in (vt.layers.Conv2D, vt.layers.Conv1D):
        _call(layer, filters, kernel, strides, padding)
    _call(vt.layers.MaxPool2D, kernel, strides, padding)


@settings(max_examples=examples(100))
@given(x=arrays(max_rank=4, max_side=5), shape=hostile_sizes)
def test_models_on_hostile_inputs(x, shape):
    model = vt.Sequential([vt.layers.Conv2D(2, 3, padding="same"), vt.layers.ReLU(),
                           vt.layers.MaxPool2D(), vt.layers.Flatten()])
    _call(model, x)
    _call(model.compute_output_shape, shape)
    _call(vt.receptive_field, model, shape)
    _call(vt.Sequential().pop)


@pytest.mark.parametrize("input_shape", [(), (0,), (-1, 5), (2 ** 64,), (1, 2, 3, 4), "397"])
def test_show_shapes_refuses_bad_shapes(input_shape):
    import matplotlib.pyplot as plt

    fig = _call(vt.viz.show_shapes, input_shape)
    if fig is not None:
        plt.close(fig)


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(window=hostile_sizes, strides=hostile_sizes, dilations=hostile_sizes,
       padding=st.one_of(st.sampled_from(["same", "valid", "full"]), hostile_sizes))
def test_show_shapes_long_run(window, strides, dilations, padding):
    import matplotlib.pyplot as plt

    fig = _call(vt.viz.show_shapes, (31,), window, strides, padding, dilations)
    if fig is not None:
        plt.close(fig)
