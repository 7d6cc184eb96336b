"""Small helpers shared by the tests."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Mapping

import numpy as np


def _set_environment(values: Mapping[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set environment variables (None removes one) for the duration of a block."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        _set_environment(values)
        yield
    finally:
        _set_environment(saved)


def window_coverage(shape, origins, size) -> np.ndarray:
    """How many windows of ``size`` (height, width) at ``origins`` (x, y) cover each pixel of an
    image of ``shape``, by brute force (windows clipped to the image)."""
    count = np.zeros(shape, dtype=int)
    for x, y in origins:
        count[y:y + size[0], x:x + size[1]] += 1
    return count


def keras_weights_h5(groups: dict[str, list[np.ndarray]]) -> bytes:
    """A Keras 3 ``model.weights.h5`` file: ``layers/<name>/vars/<i>`` datasets (needs h5py)."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as store:
        layers = store.create_group("layers")
        for key, arrays in groups.items():
            variables = layers.create_group(key).create_group("vars")
            for i, array in enumerate(arrays):
                variables.create_dataset(str(i), data=array)
    return buffer.getvalue()
