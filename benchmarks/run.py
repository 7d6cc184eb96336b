"""ventanal against TensorFlow, PyTorch, scipy.ndimage and scikit-image, in one process.

    python benchmarks/run.py [--rounds 15] [--json results.json] [--only conv]

For every workload: build the input, run ventanal once, run every installed peer once and check
its result equals ventanal's (exactly for max pooling, within float32 rounding otherwise); a peer
that disagrees is reported and left out of the comparison. Then time in rounds: each round calls
every implementation once, in a rotating order, so that a noisy neighbour on a shared machine
hurts everyone alike, with a short idle gap before each turn (thread pools that spin after
their work, OpenBLAS's and OpenMP's, then sleep instead of taking a core from the next
implementation) and then one untimed call of the same implementation (the first call after an
idle spell pays for waking the machine). Reported per implementation: the median (and the
minimum) over rounds.

Per workload also:

* ratio = ventanal's median / the best peer's median (the issue's targets are on this ratio);
* floor = the memory-traffic floor, (input + output bytes) at the copy bandwidth measured in
  the same round (a two-thread ``np.copyto`` of the input into a preallocated array), and
  ventanal's time / floor;
* peak memory of one call: the process's peak resident memory during the call minus before
  (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``), and for ventanal the part above
  its own output, as a fraction of the input;
* convolutions: the rate in GFLOP/s of the direct sum (2 x outputs x taps x input channels,
  whatever the algorithm computes), against this machine's float32 matrix-product rate
  measured in the same run (NumPy's BLAS, 2048x2048 by 2048x2048 on all threads), as a
  fraction of it. An algorithm with fewer multiplications (Winograd's) can exceed 1.

OpenBLAS: when ``OPENBLAS_CORETYPE`` or ``OPENBLAS_L2_SIZE`` are set, the script re-executes
itself without them (for its own process only; ``--keep-env`` keeps them).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor

_OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _reexec_without_openblas_variables(argv) -> None:
    present = [name for name in _OPENBLAS_VARIABLES if name in os.environ]
    if not present or "--keep-env" in argv:
        return
    env = {k: v for k, v in os.environ.items() if k not in _OPENBLAS_VARIABLES}
    env["VENTANAL_BENCH_UNSET"] = ",".join(present)
    os.execve(sys.executable, [sys.executable] + argv, env)


def _memory_status() -> dict[str, int] | None:
    try:
        with open("/proc/self/status") as f:
            text = f.read()
        return {key: int(re.search(key + r":\s+(\d+)", text).group(1)) * 1024
                for key in ("VmRSS", "VmHWM")}
    except (OSError, AttributeError):
        return None


def _peak_memory(thunk) -> float | None:
    """Bytes by which the process's resident memory peaked above its level before the call."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current resident size
    except OSError:
        return None
    before = _memory_status()
    result = thunk()
    after = _memory_status()
    del result
    if before is None or after is None:
        return None
    return float(after["VmHWM"] - before["VmRSS"])


def _agrees(expected, got, exact: bool) -> tuple[bool, str]:
    import numpy as np

    got = np.asarray(got)
    if got.shape != expected.shape:
        return False, f"shape {got.shape} != {expected.shape}"
    if exact:
        ok = np.array_equal(got, expected, equal_nan=True)
        return ok, "" if ok else f"{np.count_nonzero(got != expected)} cells differ"
    scale = float(np.abs(expected).max()) or 1.0
    error = float(np.abs(got.astype(np.float64) - expected).max())
    ok = error <= 1e-4 * scale
    return ok, f"max error {error:.3g} (scale {scale:.3g})"


def _copy_thunk(x):
    """Two-thread copy of ``x`` into a preallocated array: the bandwidth of the floor."""
    import numpy as np

    source = x.reshape(-1)
    target = np.empty_like(source)
    half = source.size // 2
    pool = ThreadPoolExecutor(1)

    def copy():
        future = pool.submit(np.copyto, target[half:], source[half:])
        np.copyto(target[:half], source[:half])
        future.result()
    return copy


def run_workload(workload, fw, rounds: int, rng, log, gap: float = 0.05,
                 warm: int = 1) -> dict:
    import numpy as np

    data = workload.make(rng)
    x = data["x"]
    expected = workload.ventanal(data)   # first call: compiles or loads the numba cache
    # Under VENTANAL_BACKEND=auto the first calls take the NumPy path while the kernels load
    # and compile in the background (benchmarks/first_call.py measures that); the timed calls
    # here are the steady state, once the background is done.
    from ventanal.ops import _backend

    for _ in range(3):
        _backend.wait_for_background()
        workload.ventanal(data)
    implementations = {"ventanal": (lambda: workload.ventanal(data))}
    peers = {}
    for name, factory in workload.peers.items():
        try:
            thunk, to_numpy = factory(data)
            ok, detail = _agrees(expected, to_numpy(thunk()), workload.exact)
        except Exception as error:  # noqa: BLE001  (a peer that fails is reported, not fatal)
            ok, detail = False, f"{type(error).__name__}: {error}"
        peers[name] = {"agrees": ok, "detail": detail}
        if ok:
            implementations[name] = thunk
        else:
            log(f"    {name}: result differs from ventanal's, left out ({detail})")
    copy = _copy_thunk(x)
    times = {name: [] for name in implementations}
    copies = []
    slow = set()
    names = list(implementations)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            if name in slow and len(times[name]) >= 3:
                continue
            # Idle between implementations: thread pools that spin after their work
            # (OpenBLAS, OpenMP) go to sleep instead of taking a core from whoever runs next.
            time.sleep(gap)
            # Then untimed calls of the same implementation: the first call after an idle
            # spell pays for waking the machine (here 2-5 ms per call on 2 vCPUs, for every
            # library alike), which a program calling the op in a loop never sees.
            if name not in slow:
                for _ in range(warm):
                    implementations[name]()
            start = time.perf_counter()
            implementations[name]()
            elapsed = time.perf_counter() - start
            times[name].append(elapsed)
            if elapsed > 1.0 and name != "ventanal":
                slow.add(name)  # seconds per call: three calls are enough
        start = time.perf_counter()
        copy()
        copies.append(time.perf_counter() - start)
    result_bytes = expected.nbytes
    input_bytes = sum(v.nbytes for v in data.values())
    copy_ms = float(np.median(copies)) * 1e3
    floor_ms = copy_ms * (x.nbytes + result_bytes) / (2 * x.nbytes)
    summary = {name: {"median_ms": float(np.median(v)) * 1e3, "min_ms": float(np.min(v)) * 1e3,
                      "calls": len(v)} for name, v in times.items()}
    for name, thunk in implementations.items():
        summary[name]["peak_memory_mib"] = None
        peak = _peak_memory(thunk)
        if peak is not None:
            summary[name]["peak_memory_mib"] = peak / 2**20
    vt_ms = summary["ventanal"]["median_ms"]
    best = min((name for name in summary if name != "ventanal"),
               key=lambda name: summary[name]["median_ms"], default=None)
    record = {
        "workload": workload.name, "kind": workload.kind, "target": workload.target,
        "input_mib": input_bytes / 2**20, "output_mib": result_bytes / 2**20,
        "copy_ms": copy_ms, "floor_ms": floor_ms, "times": summary, "peers": peers,
        "best_peer": best,
        "ratio": vt_ms / summary[best]["median_ms"] if best else None,
        "floor_ratio": vt_ms / floor_ms,
    }
    if workload.kind == "conv":
        record["gflop"] = _conv_flops(data, expected) / 1e9
    vt_peak = summary["ventanal"]["peak_memory_mib"]
    record["extra_memory_fraction"] = (
        None if vt_peak is None else max(0.0, vt_peak - result_bytes / 2**20) /
        (input_bytes / 2**20))
    return record


def _conv_flops(data: dict, result) -> int:
    """Floating-point operations of the direct sum: 2 x outputs x (taps x input channels)."""
    import numpy as np

    w = data["w"]
    terms = int(np.prod(w.shape[:-1])) if w.ndim == 4 else w.size   # a bare kernel: 1 channel
    return 2 * int(result.size) * terms


def _matmul_rate(repeats: int = 5) -> float:
    """GFLOP/s of a float32 2048x2048 matrix product through NumPy's BLAS (median)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = (rng.random((2048, 2048), dtype=np.float32) for _ in range(2))
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * 2048**3 / float(np.median(times)) / 1e9


def _format_rates(records, peak: float) -> str:
    lines = [f"Convolutions in GFLOP/s of the direct sum, and as a fraction of this machine's "
             f"float32 matrix product ({peak:.0f} GFLOP/s, NumPy's BLAS on all threads):",
             "",
             "| workload | GFLOP | ventanal GFLOP/s (fraction) | best peer GFLOP/s (fraction) |",
             "|---|---|---|---|"]
    for r in records:
        if r.get("gflop") is None:
            continue
        t, best = r["times"], r["best_peer"]
        rate = r["gflop"] / t["ventanal"]["median_ms"] * 1e3
        peer = "-"
        if best:
            peer_rate = r["gflop"] / t[best]["median_ms"] * 1e3
            peer = f"{best}: {peer_rate:.0f} ({peer_rate / peak:.2f})"
        lines.append(f"| {r['workload']} | {r['gflop']:.2f} | {rate:.0f} ({rate / peak:.2f}) | "
                     f"{peer} |")
    return "\n".join(lines)


def _format_table(records) -> str:
    lines = ["| workload | ventanal ms | best peer (ms) | ratio | target | floor ratio | "
             "extra memory / input | met |",
             "|---|---|---|---|---|---|---|---|"]
    for r in records:
        t = r["times"]
        best = r["best_peer"]
        met = r["ratio"] is not None and r["ratio"] <= r["target"]
        if r["kind"] == "pool":
            met = met and r["floor_ratio"] <= 1.5 and (
                r["extra_memory_fraction"] is None or r["extra_memory_fraction"] <= 0.2)
        extra = "n/a" if r["extra_memory_fraction"] is None else f"{r['extra_memory_fraction']:.2f}"
        lines.append(
            f"| {r['workload']} | {t['ventanal']['median_ms']:.2f} | "
            f"{best} ({t[best]['median_ms']:.1f}) | {r['ratio']:.3f} | <= {r['target']} | "
            f"{r['floor_ratio']:.2f} | {extra} | {'yes' if met else 'NO'} |"
            if best else f"| {r['workload']} | {t['ventanal']['median_ms']:.2f} | - | - | "
            f"<= {r['target']} | {r['floor_ratio']:.2f} | {extra} | - |")
    return "\n".join(lines)


def _format_details(records) -> str:
    lines = []
    for r in records:
        lines.append(f"{r['workload']}  (input {r['input_mib']:.0f} MiB, output "
                     f"{r['output_mib']:.0f} MiB, copy {r['copy_ms']:.2f} ms, floor "
                     f"{r['floor_ms']:.2f} ms)")
        for name, t in sorted(r["times"].items(), key=lambda kv: kv[1]["median_ms"]):
            memory = t["peak_memory_mib"]
            memory = "n/a" if memory is None else f"{memory:7.1f} MiB"
            lines.append(f"    {name:22s} median {t['median_ms']:9.2f} ms   min "
                         f"{t['min_ms']:9.2f} ms   peak {memory}   ({t['calls']} calls)")
        for name, p in r["peers"].items():
            if not p["agrees"]:
                lines.append(f"    {name:22s} left out: {p['detail']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timing rounds (default 15)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--only", help="run the workloads whose name contains this text")
    parser.add_argument("--gap", type=float, default=0.05,
                        help="idle seconds before each implementation's turn (default 0.05)")
    parser.add_argument("--warm", type=int, default=1,
                        help="untimed calls of the same implementation between the idle gap "
                             "and the timed call (default 1)")
    parser.add_argument("--keep-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE")
    args = parser.parse_args(argv)

    import numpy as np

    import ventanal as vt
    from ventanal.ops import _backend

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from workloads import frameworks, workloads

    def log(message):
        print(message, file=sys.stderr, flush=True)

    fw = frameworks()
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "ventanal": vt.__version__, "backend": _backend.requested(),
                "threads": _backend.num_threads()}
    for key, module in (("tensorflow", fw.get("tf")), ("torch", fw.get("torch"))):
        if module is not None:
            versions[key] = module.__version__
    for key, name in (("numba", "numba"), ("scipy", "scipy"), ("scikit-image", "skimage")):
        try:
            versions[key] = __import__(name).__version__
        except ImportError:
            pass
    unset = os.environ.get("VENTANAL_BENCH_UNSET")
    log("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    if unset:
        log(f"unset for this process: {unset}")
    rng = np.random.default_rng(2024)
    records = []
    for workload in workloads(fw):
        if args.only and args.only not in workload.name:
            continue
        log(f"{workload.name} ...")
        records.append(run_workload(workload, fw, args.rounds, rng, log, args.gap, args.warm))
        gc.collect()
    peak = _matmul_rate() if any(r.get("gflop") for r in records) else None
    print(_format_table(records))
    print()
    if peak is not None:
        print(_format_rates(records, peak))
        print()
    print(_format_details(records))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions, "unset_environment": unset,
                       "matmul_gflops": peak,
                       "rounds": args.rounds, "results": records}, f, indent=2)
    return 0


if __name__ == "__main__":
    _reexec_without_openblas_variables(sys.argv)
    sys.exit(main())
