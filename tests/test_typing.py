"""Type hints on the public API: every public function, class and method is annotated, and a
client written against the exports passes ``mypy --strict``."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ventanal as vt


def public_callables():
    """``(qualified name, callable)`` for every public function, class and method exported."""
    modules = [vt, vt.geometry, vt.layers, vt.data, vt.viz]
    seen = set()
    for module in modules:
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.ismodule(value) or id(value) in seen:
                continue
            seen.add(id(value))
            qualified = f"{module.__name__}.{name}"
            if inspect.isclass(value):
                for attribute, member in vars(value).items():
                    if attribute.startswith("_") and attribute not in ("__init__", "__call__"):
                        continue
                    if inspect.isfunction(member):
                        yield f"{qualified}.{attribute}", member
                    elif isinstance(member, (classmethod, staticmethod)):
                        yield f"{qualified}.{attribute}", member.__func__
                    elif isinstance(member, property) and member.fget is not None:
                        yield f"{qualified}.{attribute}", member.fget
            elif callable(value):
                yield qualified, value


def missing_annotations(function) -> list[str]:
    signature = inspect.signature(function)
    missing = [p.name for p in signature.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_every_public_signature_is_annotated():
    unannotated = []
    for name, function in public_callables():
        try:
            missing = missing_annotations(function)
        except (TypeError, ValueError):   # builtins without a signature
            continue
        if missing:
            unannotated.append(f"{name}: {', '.join(missing)}")
    assert not unannotated, "unannotated public signatures:\n" + "\n".join(unannotated)


CLIENT = '''
import numpy as np
import numpy.typing as npt
import ventanal as vt

x: npt.NDArray[np.float32] = np.ones((1, 8, 8, 3), np.float32)
y: np.ndarray = vt.pool(x, [2, 2], "MAX", [2, 2], "SAME", "NHWC", ceil_mode=False)
z: np.ndarray = vt.conv(x, np.ones((3, 3, 3, 2), np.float32), 1, "SAME", groups=1)
shape: tuple[int, ...] = vt.output_shape((8, 397, 397, 3), 2, 2, "SAME", data_format="NHWC")
pads: tuple[tuple[int, int], ...] = vt.padding_amounts((8, 8), 2, 2, "SAME")
pooled: np.ndarray = vt.max_pool(x, 2) + vt.avg_pool(x, 2, padding="same")
total: np.ndarray = vt.global_pool(x, "MAX", keepdims=True)
active: np.ndarray = vt.relu(x)
stages = vt.extract(np.ones((8, 8)), np.ones((3, 3)))
model = vt.Sequential([vt.layers.Conv2D(4, 3, padding="same"), vt.layers.MaxPool2D()])
model.build((None, 8, 8, 3))
out: np.ndarray = model(x)
table = vt.receptive_field(model)
plan = vt.geometry.plan((8, 8), 3, 2, "SAME")
first, stop = plan.axes[0].interior()
'''


@pytest.mark.skipif(shutil.which("mypy") is None and sys.modules.get("mypy") is None,
                    reason="mypy is not installed (pip install -e '.[test]')")
def test_a_client_of_the_exports_passes_mypy_strict(tmp_path):
    client = tmp_path / "client.py"
    client.write_text(textwrap.dedent(CLIENT))
    root = Path(vt.__file__).resolve().parents[1]    # mypy does not see editable installs
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(client)],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "MYPYPATH": str(root)})
    assert result.returncode == 0, result.stdout + result.stderr
