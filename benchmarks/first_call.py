"""The first call of a fresh process: ventanal under ``auto`` against its NumPy path, numba
forced, TensorFlow and PyTorch (issue 18, point 3).

    python benchmarks/first_call.py [--repeat 3] [--first-repeat 2] [--only conv] [--budget 20]
                                    [--json out.json]

``benchmarks/run.py`` times warm calls. A script, the command line or a notebook cell makes
one call, in a process that has loaded nothing yet. Here every measurement is a fresh Python
process that builds the workload's input (untimed), then times its first call and its second
call of the same op (each measurement ``--repeat`` times, in rounds: each round runs every
measurement once, in a seeded random order of its own, since a first call depends on the
process run before it; the table shows medians). A first call of one fresh process spreads
widely on a shared machine (28-44 ms for the same 30 ms call), so the three columns whose first
calls the targets compare (``numpy``, ``auto cold``, ``auto warm``) have ``--first-repeat``
more processes in each round that stop after their second call: their first-call medians are
over ``repeat * (1 + first_repeat)`` processes (the extra warm-cache ones read a cache that an
untimed ``auto`` process filled first). Imports are timed apart
(``import ventanal``, ``import tensorflow``, ``import torch``), so a first call is the op
alone. The processes run as an installed package does: ventanal's bytecode is compiled
first, and ``PYTHONDONTWRITEBYTECODE`` is not passed on (with it, an editable install
compiles its source again in every process). For each workload of ``benchmarks/workloads.py``:

* ``numpy``: ``VENTANAL_BACKEND=numpy``, the NumPy path;
* ``numba``: ``VENTANAL_BACKEND=numba`` with a warm numba cache (the process waits for the
  kernels to load); the median of its later calls is the *numba speed* of the workload;
* ``auto, cold cache``: the default backend, with an empty numba cache (``NUMBA_CACHE_DIR``
  in a new temporary directory: the first run on a machine, every kernel compiled);
* ``auto, warm cache``: the same, with the cache the cold process left (every later process);
* ``tf`` / ``torch NCHW`` / ``torch channels_last``: the peer in its own native layout
  (converted before timing, as in ``run.py``).

The two ``auto`` processes then call the op again and again, back to back, until five calls
in a row ran the numba kernels (the NumPy path's functions, counted, were not called) and
five calls started 300 ms or more after the first call ended, or the ``--budget`` is spent,
and report when the calls switched: the time from the end of the first call to the start of
the first call on the kernels; the median of the calls that started from 300 ms on (all of
them on the kernels) over the ``numba`` median (the issue's "numba speed" is at most 1.3),
and the median of the calls from the switch on (in parentheses: when the switch comes early,
its first calls include what the forced process's untimed first call did, such as taking
fresh memory for the result). The issue's targets: a
first call at most 1.2 times the NumPy path's with a cold or a warm cache, and a warm-cache
process at numba speed from 300 ms after its first call.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = ("tf", "torch NCHW", "torch channels_last")
# numba speed: a call at most this many times the median of numba's warm calls
NUMBA_SPEED = 1.3
FIRST_CALL_TARGET = 1.2
SWITCH_TARGET_MS = 300.0
# The columns whose first call is compared (each has --first-repeat more processes a round)
FIRST_COLUMNS = ("numpy", "auto cold", "auto warm")
# Seconds between two measured processes (--settle)
SETTLE_SECONDS = 0.0


# ---------------------------------------------------------------------------------------------
# One measurement, in a fresh process (``first_call.py --child MODE INDEX ...``)
# ---------------------------------------------------------------------------------------------

def _child(mode: str, index: int, budget: float) -> dict:
    clock = time.perf_counter
    start = clock()
    if mode in ("numpy", "numba", "auto"):
        import ventanal  # noqa: F401

        fw = {}
    elif mode == "tf":
        import tensorflow as tf

        fw = {"tf": tf}
    else:
        import torch

        fw = {"torch": torch}
    import_ms = (clock() - start) * 1e3
    import numpy as np

    sys.path.insert(0, HERE)
    from workloads import workloads

    workload = workloads(fw)[index]
    data = workload.make(np.random.default_rng(2024))
    numpy_path = []   # calls that took ventanal's NumPy path
    if mode in ("numpy", "numba", "auto"):
        from ventanal.ops import _numpy_conv, _numpy_pool

        def counting(original):
            def counted(*args, **kwargs):
                if not kwargs.get("fft"):   # the numba path's own FFT is not a fallback
                    numpy_path.append(1)
                return original(*args, **kwargs)
            return counted

        for module, name in ((_numpy_pool, "max_pool"), (_numpy_pool, "avg_pool"),
                             (_numpy_conv, "conv")):
            setattr(module, name, counting(getattr(module, name)))

        def thunk():
            return workload.ventanal(data)
    else:
        name = {"tf": "tf", "torch_nchw": "torch NCHW",
                "torch_channels_last": "torch channels_last"}[mode]
        if name not in workload.peers:
            return {"skipped": True}
        thunk, _ = workload.peers[name](data)
    start = clock()
    thunk()
    first_end = clock()
    first_numpy = bool(numpy_path)
    times, starts, on_numba = [], [], []
    # numba's warm calls: a few; auto: until five calls in a row on the numba kernels (the
    # NumPy path's functions not called), or the budget
    while True:
        before = len(numpy_path)
        begin = clock()
        thunk()
        now = clock()
        times.append((now - begin) * 1e3)
        starts.append((begin - first_end) * 1e3)
        on_numba.append(len(numpy_path) == before)
        if mode != "auto":
            if len(times) >= (7 if mode == "numba" else 1):
                break
            continue
        # ... and five calls started SWITCH_TARGET_MS or more after the first call ended
        late = sum(begun >= SWITCH_TARGET_MS for begun in starts)
        if all(on_numba[-5:]) and len(on_numba) >= 5 and late >= 5 or now - first_end > budget:
            break
    switch_ms = numba_calls_ms = target_calls_ms = None
    if mode == "auto" and on_numba[-1]:
        switched = len(on_numba) - on_numba[::-1].index(False) if False in on_numba else 0
        switch_ms = starts[switched]
        numba_calls_ms = float(np.median(times[switched:]))
        late = [t for t, begun in zip(times, starts, strict=True) if begun >= SWITCH_TARGET_MS]
        if late and switch_ms <= SWITCH_TARGET_MS:   # all of them on the kernels
            target_calls_ms = float(np.median(late))
    return {"import_ms": import_ms, "first_ms": (first_end - start) * 1e3,
            "second_ms": times[0], "median_ms": float(np.median(times[1:] or times)),
            "calls": len(times) + 1, "switch_ms": switch_ms, "numba_calls_ms": numba_calls_ms,
            "target_calls_ms": target_calls_ms, "first_on_numpy_path": first_numpy}


def _measure(mode: str, index: int, env: dict, budget: float) -> dict:
    time.sleep(SETTLE_SECONDS)
    child_mode = {"torch NCHW": "torch_nchw", "torch channels_last": "torch_channels_last"}.get(
        mode, mode)
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", child_mode, str(index),
         str(budget)],
        capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["exit code "
                                                                   f"{done.returncode}"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# The whole table
# ---------------------------------------------------------------------------------------------

def _merge(runs: list[dict]) -> dict:
    """The medians of repeated measurements (a time that some run lacks, such as a switch
    to numba speed that did not happen within the budget, is None)."""
    import numpy as np

    good = [run for run in runs if "error" not in run and not run.get("skipped")]
    if not good:
        return runs[0]
    merged = {"runs": runs}
    for field in ("import_ms", "first_ms", "second_ms", "median_ms", "switch_ms",
                  "numba_calls_ms", "target_calls_ms"):
        values = [run.get(field) for run in good]
        merged[field] = (None if any(value is None for value in values)
                         else float(np.median(values)))
    return merged


def measure_workload(index: int, name: str, budget: float, peers: bool, repeat: int,
                     first_repeat: int, log) -> dict:
    # as an installed package runs: ventanal's bytecode compiled once (below), not the source
    # compiled again in every process
    base = {key: value for key, value in os.environ.items()
            if key not in ("VENTANAL_BACKEND", "PYTHONDONTWRITEBYTECODE")}
    base.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    base.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")   # as run.py: TF at its best
    runs: dict[str, list[dict]] = {}
    first_only: dict[str, list[dict]] = {column: [] for column in FIRST_COLUMNS}
    # A process's first call depends on the one before it (after a process that used much
    # memory, the next one's fresh pages cost more on a VM), so each round runs its units in
    # an order of its own, drawn from a seeded generator: every column follows every other
    # alike. A unit is one process, or two that share a cache (cold, then warm).
    shuffle = random.Random(f"{index} {name}").shuffle
    with tempfile.TemporaryDirectory(prefix="ventanal-first-call-") as kept:
        # the cache of the first-call-only warm processes: what an auto process leaves
        warm_env = {**base, "NUMBA_CACHE_DIR": os.path.join(kept, "warm")}
        if first_repeat:
            _measure("auto", index, warm_env, budget)
        for _ in range(repeat):   # interleaved, so that a noisy spell hits every column alike
            with tempfile.TemporaryDirectory(prefix="ventanal-first-call-") as caches:
                numba_env = {**base, "VENTANAL_BACKEND": "numba",
                             "NUMBA_CACHE_DIR": os.path.join(caches, "reference")}
                auto_env = {**base, "NUMBA_CACHE_DIR": os.path.join(caches, "fresh")}
                numpy_env = {**base, "VENTANAL_BACKEND": "numpy"}
                units = [[("numpy", "numpy", numpy_env, budget)],
                         [("numba cold", "numba", numba_env, budget),
                          ("numba", "numba", numba_env, budget)],
                         [("auto cold", "auto", auto_env, budget),
                          ("auto warm", "auto", auto_env, budget)]]
                if peers:
                    units += [[(peer, peer, base, budget)] for peer in PEERS]
                # first call only: None, run with a budget of 0 (the process stops after its
                # second call); not told apart by the budget, which --budget may set to 0 too
                for extra in range(first_repeat):
                    cold_env = {**base, "NUMBA_CACHE_DIR": os.path.join(caches, f"cold{extra}")}
                    units += [[("numpy", "numpy", numpy_env, None)],
                              [("auto cold", "auto", cold_env, None)],
                              [("auto warm", "auto", warm_env, None)]]
                shuffle(units)
                for unit in units:
                    for column, mode, env, seconds in unit:
                        run = _measure(mode, index, env, 0.0 if seconds is None else seconds)
                        (first_only[column] if seconds is None else
                         runs.setdefault(column, [])).append(run)
    record = {"workload": name, **{key: _merge(value) for key, value in runs.items()}}
    for column, extra_runs in first_only.items():
        if extra_runs and "first_ms" in record[column]:
            # the first-call columns: the median over every process of the column
            record[column]["first_only_runs"] = extra_runs
            record[column]["first_ms"] = _merge(record[column]["runs"] + extra_runs)["first_ms"]
    log(f"{name}: " + ", ".join(f"{key} {value.get('first_ms', float('nan')):.1f} ms"
                                for key, value in record.items() if isinstance(value, dict)))
    return record


def _ms(record: dict, key: str, field: str = "first_ms") -> str:
    value = record.get(key, {}).get(field)
    return "-" if value is None else f"{value:,.1f}"


def _ratio(record: dict, key: str) -> tuple[str, bool]:
    numpy_first = record["numpy"].get("first_ms")
    first = record.get(key, {}).get("first_ms")
    if not numpy_first or first is None:
        return "-", False
    ratio = first / numpy_first
    return f"{ratio:.2f}", ratio <= FIRST_CALL_TARGET


def format_table(records: list[dict]) -> str:
    lines = ["| workload | numpy 1st / 2nd | auto cold 1st (÷ numpy) | auto warm 1st (÷ numpy) "
             "| auto 2nd | on numba from (cold / warm) "
             "| auto ÷ numba from 300 ms (from the switch) "
             "| numba warm call (forced 1st) | tf 1st / 2nd | torch 1st / 2nd | met |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        cold, cold_ok = _ratio(r, "auto cold")
        warm, warm_ok = _ratio(r, "auto warm")
        switch_warm = r["auto warm"].get("switch_ms")
        forced = r["numba"].get("median_ms")
        on_numba, late = (r["auto warm"].get(key) for key in ("numba_calls_ms",
                                                               "target_calls_ms"))
        speed = None if on_numba is None or not forced else on_numba / forced
        speed_late = None if late is None or not forced else late / forced
        met = (cold_ok and warm_ok and switch_warm is not None
               and switch_warm <= SWITCH_TARGET_MS and speed_late is not None
               and speed_late <= NUMBA_SPEED)
        torch = min((p for p in ("torch NCHW", "torch channels_last")
                     if "first_ms" in r.get(p, {})),
                    key=lambda p: r[p]["median_ms"], default=None)
        lines.append(
            f"| {r['workload']} | {_ms(r, 'numpy')} / {_ms(r, 'numpy', 'second_ms')} "
            f"| {_ms(r, 'auto cold')} ({cold}) | {_ms(r, 'auto warm')} ({warm}) "
            f"| {_ms(r, 'auto warm', 'second_ms')} "
            f"| {_ms(r, 'auto cold', 'switch_ms')} / {_ms(r, 'auto warm', 'switch_ms')} "
            f"| {'-' if speed_late is None else f'{speed_late:.2f}'} "
            f"({'-' if speed is None else f'{speed:.2f}'}) "
            f"| {_ms(r, 'numba', 'median_ms')} ({_ms(r, 'numba')}) "
            f"| {_ms(r, 'tf')} / {_ms(r, 'tf', 'second_ms')} "
            f"| {(_ms(r, torch) + ' / ' + _ms(r, torch, 'second_ms')) if torch else '-'} "
            f"| {'yes' if met else 'NO'} |")
    imports = {}
    for r in records:
        for key in ("auto cold", "tf", "torch NCHW"):
            value = r.get(key, {}).get("import_ms")
            if value is not None:
                imports.setdefault(key, []).append(value)
    names = {"auto cold": "ventanal", "tf": "tensorflow", "torch NCHW": "torch"}
    lines.append("")
    lines.append("Imports (median over the processes): " + ", ".join(
        f"`import {names[key]}` {sorted(values)[len(values) // 2]:,.0f} ms"
        for key, values in imports.items()))
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        mode, index, budget = argv[1], int(argv[2]), float(argv[3])
        print(json.dumps(_child(mode, index, budget)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="only the workloads whose name contains this")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds an auto process calls the op, waiting for numba speed")
    parser.add_argument("--no-peers", action="store_true", help="ventanal only")
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh processes per measurement, interleaved (default 3); the "
                             "table shows medians")
    parser.add_argument("--first-repeat", type=int, default=2,
                        help="first-call-only processes per round for each of the numpy, auto "
                             "cold and auto warm columns (default 2), on top of --repeat: "
                             "one fresh process's first call spreads widely")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS,
                        help="seconds to wait before each measured process")
    args = parser.parse_args(argv)
    for name, least in (("repeat", 1), ("first_repeat", 0), ("budget", 0), ("settle", 0)):
        if not getattr(args, name) >= least:
            parser.error(f"--{name.replace('_', '-')} must be at least {least}, "
                         f"got {getattr(args, name)!r}")
    globals()["SETTLE_SECONDS"] = args.settle
    sys.path.insert(0, HERE)
    import compileall

    from workloads import workloads

    import ventanal

    compileall.compile_dir(os.path.dirname(ventanal.__file__), quiet=1)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    records = []
    for index, workload in enumerate(workloads({})):
        if args.only and args.only not in workload.name:
            continue
        records.append(measure_workload(index, workload.name, args.budget,
                                        not args.no_peers, args.repeat,
                                        args.first_repeat, log))
    print(format_table(records))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
