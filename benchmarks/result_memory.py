"""What recycling result memory saves: the default pool against VENTANAL_RESULT_CACHE_MB=0.

With the default, a dead result's memory goes to ventanal's pool and the next result of its
size takes it, already paged in; with 0, every result gets fresh memory from the operating
system, which zeroes each page the op then writes. Either way results own their memory.

One process, the two settings interleaved call by call (the variable is read at every call),
so that a busy neighbour on a shared machine slows both alike. As ``run.py``: 50 ms of idle
time and one untimed call before each timed one; the result of each call dies before the
next, as in a loop over batches.

    python benchmarks/result_memory.py --rounds 15
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

import numpy as np

import ventanal as vt


def workloads(rng) -> dict:
    nhwc = rng.random((8, 256, 256, 64), dtype=np.float32)
    image = rng.random((4096, 4096), dtype=np.float32)
    kernel = rng.standard_normal((3, 3)).astype(np.float32) / 3
    rgb = rng.random((8, 224, 224, 3), dtype=np.float32)
    filters = (rng.standard_normal((3, 3, 3, 64)) / 5).astype(np.float32)
    return {
        "max 2x2/2 SAME, 4096^2 (16 MiB out)": lambda: vt.pool(image, 2, "MAX", 2, "SAME"),
        "max 2x2/2 SAME, NHWC (32 MiB out)": lambda: vt.pool(nhwc, 2, "MAX", 2, "SAME"),
        "max 3x3/2 SAME, NHWC (32 MiB out)": lambda: vt.pool(nhwc, 3, "MAX", 2, "SAME"),
        "avg 2x2/2 SAME, NHWC (32 MiB out)": lambda: vt.pool(nhwc, 2, "AVG", 2, "SAME"),
        "conv 3x3 SAME 1->1, 4096^2 (64 MiB out)": lambda: vt.conv(image, kernel, padding="SAME"),
        "conv 3x3 SAME 3->64 (98 MiB out)": lambda: vt.conv(rgb, filters, padding="SAME"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed calls per setting")
    parser.add_argument("--cache", default="", help="MiB of the pooled setting (default: "
                        "the variable unset, i.e. ventanal's default)")
    args = parser.parse_args()
    settings = ("0", args.cache)
    from ventanal.ops import _backend

    for name, call in workloads(np.random.default_rng(0)).items():
        for _ in range(3):   # the steady state: the kernels loaded in the background
            call()
            _backend.wait_for_background()
        times: dict[str, list[float]] = {s: [] for s in settings}
        for r in range(args.rounds):
            for setting in settings if r % 2 else settings[::-1]:
                if setting:
                    os.environ["VENTANAL_RESULT_CACHE_MB"] = setting
                else:
                    os.environ.pop("VENTANAL_RESULT_CACHE_MB", None)
                gc.collect()
                time.sleep(0.05)
                call()   # the untimed call, whose result dies at once
                start = time.perf_counter()
                result = call()
                times[setting].append(time.perf_counter() - start)
                del result
        fresh, pooled = (statistics.median(times[s]) * 1e3 for s in settings)
        print(f"{name:42s} pool {pooled:7.2f} ms   fresh {fresh:7.2f} ms   "
              f"fresh / pool {fresh / pooled:5.2f}", flush=True)


if __name__ == "__main__":
    main()
