"""ventanal against an earlier commit of itself, side by side in one process.

The earlier commit's package is exported with ``git archive`` into a temporary directory as
``ventanal_before`` (the package imports itself relatively, so it runs under that name) and
both are timed on the workloads of ``workloads.py``, interleaved call by call in rotating
order, so that a busy neighbour on a shared machine slows both alike. As ``run.py``: 50 ms of
idle time and one untimed call before each timed one; each result dies before the next call.
Both run the numba kernels (``VENTANAL_BACKEND=numba``); ``--before-env`` and ``--after-env``
set environment variables for one side's calls only.

    python benchmarks/before_after.py --before 54a0c51 \
        --before-env VENTANAL_RESULT_CACHE_MB=256 --rounds 15
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workloads as workload_module  # noqa: E402

import ventanal  # noqa: E402


def export_before(revision: str, where: Path):
    """Import ``revision``'s package as ``ventanal_before`` from a copy under ``where``."""
    archive = subprocess.run(["git", "archive", revision, "ventanal"], cwd=HERE.parent,
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    (where / "ventanal").rename(where / "ventanal_before")
    sys.path.insert(0, str(where))
    return importlib.import_module("ventanal_before")


def settings(pairs: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        out[name] = value or None
    return out


def with_environment(values: dict[str, str | None]):
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the earlier commit (any git revision)")
    parser.add_argument("--before-env", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--after-env", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", default="", help="workloads whose name contains this text")
    args = parser.parse_args()
    os.environ["VENTANAL_BACKEND"] = "numba"
    with tempfile.TemporaryDirectory() as where:
        before = export_before(args.before, Path(where))
        sides = {"before": (before, settings(args.before_env)),
                 "after": (ventanal, settings(args.after_env))}
        print(f"before: {args.before} {args.before_env}   after: working tree {args.after_env}")
        print("| workload | before ms | after ms | after / before |")
        print("|---|---|---|---|")
        rng = np.random.default_rng(0)
        for workload in workload_module.workloads({}):
            if args.only not in workload.name:
                continue
            data = workload.make(rng)

            def call(side: str, workload=workload, data=data):
                module, env = sides[side]
                with_environment(env)
                workload_module.vt = module   # the workloads' calls look `vt` up when called
                try:
                    return workload.ventanal(data)
                finally:
                    workload_module.vt = ventanal

            expected = call("after")
            np.testing.assert_allclose(call("before"), expected, rtol=1e-5, atol=1e-5)
            times: dict[str, list[float]] = {"before": [], "after": []}
            for r in range(args.rounds):
                for side in ("before", "after") if r % 2 else ("after", "before"):
                    gc.collect()
                    time.sleep(0.05)
                    call(side)
                    start = time.perf_counter()
                    result = call(side)
                    times[side].append(time.perf_counter() - start)
                    del result
            b, a = (statistics.median(times[s]) * 1e3 for s in ("before", "after"))
            print(f"| {workload.name} | {b:.2f} | {a:.2f} | {a / b:.2f} |", flush=True)


if __name__ == "__main__":
    main()
