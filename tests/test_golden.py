"""ventanal against golden outputs recorded from TensorFlow 2.21, Keras 3.15 and PyTorch 2.13.

The files are written by ``tests/golden/generate.py`` (see its docstring for the format); this
test needs neither framework. MAX pooling and integer results must be bit-identical; averages and
convolutions agree within a tolerance fitted to the dtype.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ventanal as vt

GOLDEN = Path(__file__).resolve().parent / "golden"
FILES = sorted(GOLDEN.glob("*.npz"))

#: relative tolerance per dtype, also applied (times max(1, |expected|)) as an absolute one
TOLERANCE = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-12}


def as_tuples(value):
    """JSON has lists only; ventanal's explicit padding is a sequence of (before, after) pairs."""
    if isinstance(value, list):
        return tuple(as_tuples(v) for v in value)
    return value


def load_cases():
    cases = []
    for path in FILES:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        ids = sorted({key.split("/")[0] for key in arrays})
        for case_id in ids:
            call = json.loads(str(arrays[f"{case_id}/call"]))
            cases.append(
                pytest.param(
                    call,
                    arrays[f"{case_id}/input"],
                    arrays.get(f"{case_id}/filters"),
                    arrays[f"{case_id}/expected"],
                    id=case_id,
                )
            )
    return cases


CASES = load_cases()


def test_golden_files_present():
    names = {path.stem for path in FILES}
    assert {"tf_pool", "tf_conv", "keras", "torch_pool", "torch_conv"} <= names
    assert len(CASES) > 500


def run(call, x, filters):
    kwargs = {key: as_tuples(value) for key, value in call["kwargs"].items()}
    op = getattr(vt, call["op"])
    if call["op"] == "conv":
        return op(x, filters, **kwargs)
    return op(x, **kwargs)


def assert_matches(got, expected, pooling_type=None, context=""):
    got = np.asarray(got)
    assert got.shape == expected.shape, f"shape {got.shape} != {expected.shape}; {context}"
    assert got.dtype == expected.dtype, f"dtype {got.dtype} != {expected.dtype}; {context}"
    if expected.dtype.kind != "f" or pooling_type == "MAX":
        # a max is one of the inputs: no rounding anywhere, so bit-identical
        np.testing.assert_array_equal(got, expected, err_msg=context)
        return
    rtol = TOLERANCE[expected.dtype.name]
    atol = rtol * max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=context)


@pytest.mark.parametrize(("call", "x", "filters", "expected"), CASES)
def test_golden(call, x, filters, expected):
    x_before = x.copy()
    got = run(call, x, filters)
    kind = call["kwargs"].get("pooling_type")
    if call["op"] == "max_pool":
        kind = "MAX"
    context = f"{call['source']}  ->  vt.{call['op']}(x, **{call['kwargs']})"
    assert_matches(got, expected, kind.upper() if kind else None, context)
    np.testing.assert_array_equal(x, x_before, err_msg="the input was modified")
