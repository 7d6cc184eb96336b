"""The subcommands: each reads its arguments, computes, prints and writes its figure."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .arguments import (
    EXIT_OK,
    UsageError,
    read_image,
    read_ints,
    read_kernel,
    read_padding,
    read_sequence,
    read_shape,
)

__all__ = ["say", "save", "output_name", "progress_bar", "cmd_extract", "cmd_kernels",
           "cmd_animate", "cmd_shapes", "cmd_invariance", "cmd_receptive_field",
           "cmd_feature_maps"]


def say(message: str) -> None:
    """Print a line of the command's report.

    A reader that stops early (``ventanal shapes | head -2``) is not an error: the rest of
    the report goes to the null device and the command goes on to write its figure.
    """
    try:
        print(message, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def output_name(out: str | None, default: str, lang: str) -> str:
    """The file to write: ``--out`` as given, else `default` with the language in its name
    unless English (``extraction.png``, ``extraction_es.png``), so runs in two languages
    do not overwrite each other."""
    if out is not None:
        return out
    if lang == "en":
        return default
    stem, dot, suffix = default.rpartition(".")
    return f"{stem}_{lang}{dot}{suffix}"


def save(fig: Any, out: str, lang: str, dpi: int) -> None:
    from ..viz.i18n import text
    from ..viz.output import save_figure

    try:
        path = save_figure(fig, out, dpi=dpi)
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)   # figures are pyplot's: a command never leaves one open
    say(text("cli.wrote", lang, path=path))


def progress_bar(label: str) -> Callable[[Any], Any]:
    from ..viz.output import progress

    return lambda items: progress(items, label=label)


def cmd_extract(args: argparse.Namespace) -> int:
    from ..extract import extract
    from ..viz.common import format_shape
    from ..viz.extraction import show_extraction
    from ..viz.i18n import text

    if args.sequence is not None:
        if args.image is not None:
            raise UsageError(f"give an IMAGE or --sequence, not both (got {args.image!r} and "
                             f"--sequence {args.sequence!r})")
        image = read_sequence(args.sequence, "--sequence")
        if image.ndim != 1 or image.size == 0:
            raise UsageError(f"--sequence must be numbers like '1 9 -1 -2 7 3 -1 2', got "
                             f"{args.sequence!r}")
        kernel = read_kernel(args.kernel or "[1, 2, 3]")
        if kernel.ndim != 1:
            raise UsageError(f"--kernel must be 1-D for a --sequence, e.g. '[1,2,3]', got "
                             f"{args.kernel!r} (shape {kernel.shape})")
    else:
        image, _ = read_image(args.image)
        kernel = read_kernel(args.kernel or "bottom_sobel")
        if kernel.ndim != 2:
            raise UsageError(f"--kernel must be 2-D for an image, got {args.kernel!r} (shape "
                             f"{kernel.shape}); a 1-D kernel goes with --sequence")
    settings = dict(conv_stride=read_ints(args.conv_stride, "--conv-stride"),
                    conv_padding=read_padding(args.conv_padding), activation=args.activation,
                    pool_size=read_ints(args.pool_size, "--pool-size"),
                    pool_stride=read_ints(args.pool_stride, "--pool-stride"),
                    pool_padding=read_padding(args.pool_padding))
    stages = extract(image, kernel, **settings)
    for name in stages.names:
        say(text("cli.stage_shape", args.lang, stage=text(f"stage.{name}", args.lang),
                  shape=format_shape(stages[name].shape)))
    fig = show_extraction(image, kernel, **settings, lang=args.lang)
    save(fig, output_name(args.out, "extraction.png", args.lang), args.lang, args.dpi)
    return EXIT_OK


def cmd_kernels(args: argparse.Namespace) -> int:
    from .. import data
    from ..viz.i18n import text

    if args.name is None:
        say(text("cli.kernels_header", args.lang))
        width = max(map(len, data.kernel_names()))
        for name in data.kernel_names():
            say(f"  {name:<{width}}  {data.KERNEL_TABLE[name].description[args.lang]}")
        return EXIT_OK
    kernel = read_kernel(args.name)
    with np.printoptions(precision=4, suppress=True):
        say(str(kernel))
    from ..viz.kernel import show_kernel

    fig = show_kernel(kernel, digits=args.digits, lang=args.lang)
    save(fig, output_name(args.out, "kernel.png", args.lang), args.lang, args.dpi)
    return EXIT_OK


def cmd_animate(args: argparse.Namespace) -> int:
    from ..viz import CASES, animate, animate_case
    from ..viz.i18n import text

    if args.list:
        width = max(map(len, CASES))
        for name, case in CASES.items():
            say(f"  {name:<{width}}  {case['doc'][args.lang]}")
        return EXIT_OK
    overrides: dict[str, Any] = {"lang": args.lang, "progress": progress_bar(
        text("cli.rendering", args.lang))}
    if args.kernel is not None:
        overrides["kernel"] = read_kernel(args.kernel)
    if args.op is not None:
        overrides["op"] = args.op
    if args.window is not None:
        overrides["window_shape"] = read_ints(args.window, "--window")
    if args.strides is not None:
        overrides["strides"] = read_ints(args.strides, "--strides")
    if args.padding is not None:
        overrides["padding"] = read_padding(args.padding)
    if args.dilation is not None:
        overrides["dilations"] = read_ints(args.dilation, "--dilation")
    if args.ceil_mode:
        overrides["ceil_mode"] = True
    if args.max_frames is not None:
        overrides["max_frames"] = args.max_frames
    if args.duration is not None:
        overrides["duration"] = args.duration
    if args.input is not None:
        grid = _animation_input(args.input)
        op = overrides.get("op", "conv" if args.case is None else CASES.get(args.case, {}).get(
            "op", "conv"))
        if op in ("max", "avg"):
            overrides.setdefault("window_shape", 2)
            overrides.setdefault("strides", overrides["window_shape"])
        elif "kernel" not in overrides:
            overrides["kernel"] = [1, 2, 3] if grid.ndim == 1 else "bottom_sobel"
        if args.case is not None and args.case not in CASES:
            raise UsageError(f"CASE must be one of {', '.join(CASES)}; got {args.case!r}")
        base = {k: v for k, v in CASES.get(args.case, {}).items() if k not in ("doc", "input")}
        base.update(overrides)
        if base.get("op", "conv") == "conv" and grid.ndim == 1 and np.ndim(base["kernel"]) == 2:
            raise UsageError("a 1-D --input needs a 1-D --kernel, e.g. '[1, 2, 3]'")
        animation = animate(grid, **base)
    else:
        case = args.case or "same"
        if case not in CASES:
            raise UsageError(f"CASE must be one of {', '.join(CASES)}; got {case!r}")
        animation = animate_case(case, **overrides)
    path = animation.save(output_name(args.out, "animation.gif", args.lang))
    width, height = animation.size
    say(text("cli.frames", args.lang, frames=len(animation), width=width, height=height))
    say(text("cli.wrote", args.lang, path=path))
    return EXIT_OK


def _animation_input(value: str) -> np.ndarray:
    from .. import data

    stripped = value.strip()
    if stripped.startswith(("[", "(")) or stripped.replace(",", " ").replace("-", "").replace(
            ".", "").replace(" ", "").isdigit():
        return read_sequence(value)
    if stripped.lower() == "circle" or stripped in data.sample_names() or Path(stripped).exists():
        image, _ = read_image(stripped, max_side=128)
        return image
    return read_sequence(value)


def cmd_shapes(args: argparse.Namespace) -> int:
    from ..viz.i18n import text
    from ..viz.shapes import shape_table, show_shapes

    shape = read_shape(args.shape)
    window = read_ints(args.window, "--window")
    strides = read_ints(args.strides, "--strides") if args.strides is not None else window
    padding = read_padding(args.padding)
    dilation = read_ints(args.dilation, "--dilation")
    from .. import geometry

    n = len(shape)
    windows = geometry.normalize_tuple(window, n, "--window")
    steps = geometry.normalize_tuple(strides, n, "--strides")
    dilations = geometry.normalize_tuple(dilation, n, "--dilation")
    seen = set()
    for axis in range(n):
        key = (shape[axis], windows[axis], steps[axis], dilations[axis])
        if key in seen:
            continue
        seen.add(key)
        k, d = windows[axis], dilations[axis]
        e = geometry.effective_window(k, d)
        dil = text("shapes.dilation", args.lang, d=d, e=e) if d > 1 else ""
        say(text("shapes.axis", args.lang, axis=axis, n=shape[axis], k=k, s=steps[axis],
                  dil=dil))
        rows = shape_table(shape[axis], k, steps[axis], padding, d, lang=args.lang, rank=n)
        call_width = max(len(row.call) for row in rows)
        name_width = max(len(row.framework) for row in rows)
        for row in rows:
            if row.output is None:
                result = "-"
            else:
                result = f"→ {row.output:<5} " + text("shapes.pads_value", args.lang,
                                                       pads=row.padding)
            mark = "  " + text("shapes.chosen", args.lang) if row.chosen else ""
            say(f"  {row.framework:<{name_width}}  {row.call:<{call_width}}  {result}{mark}")
            say(f"      {row.reason}")
    fig = show_shapes(shape, windows, steps, padding, dilations, lang=args.lang)
    save(fig, output_name(args.out, "shapes.png", args.lang), args.lang, args.dpi)
    return EXIT_OK


def cmd_invariance(args: argparse.Namespace) -> int:
    from ..viz.invariance import format_invariance_table, invariance_experiment, show_invariance

    image, label = read_image(args.image or "camera")
    kernel = None if args.kernel.lower() == "none" else read_kernel(args.kernel)
    pool = dict(pool_size=read_ints(args.pool_size, "--pool-size"),
                pool_stride=read_ints(args.pool_stride, "--pool-stride"),
                pool_padding=read_padding(args.pool_padding))
    result = invariance_experiment(image, kernel, max_shift=args.max_shift,
                                   repeats=args.repeats, align=args.align, **pool)
    say(format_invariance_table(result, args.lang))
    fig = show_invariance(image, kernel=kernel, max_shift=args.max_shift, repeats=args.repeats,
                          image_label=label, kernel_label=None if kernel is None else args.kernel,
                          **pool, lang=args.lang, result=result)
    save(fig, output_name(args.out, "invariance.png", args.lang), args.lang, args.dpi)
    return EXIT_OK


def cmd_receptive_field(args: argparse.Namespace) -> int:
    from ..viz.fields import format_field_table, receptive_fields, show_receptive_field

    image, _ = read_image(args.image or "camera", max_side=args.size)
    records = receptive_fields(args.layers, image.shape)
    say(format_field_table(records, args.lang))
    unit = None if args.unit is None else read_ints(args.unit, "--unit")
    if isinstance(unit, int):
        unit = (unit, unit)
    fig = show_receptive_field(args.layers, image, unit=unit, lang=args.lang)
    save(fig, output_name(args.out, "receptive_field.png", args.lang), args.lang, args.dpi)
    return EXIT_OK


def cmd_feature_maps(args: argparse.Namespace) -> int:
    from ..viz.feature_maps import show_feature_maps

    image, _ = read_image(args.image or "camera", max_side=args.size)
    kernels = [read_kernel(k.strip()) for k in args.kernels.split(";")] if args.kernels \
        else None
    fig = show_feature_maps(args.layers, image, layer=_layer_arg(args.layer), kernels=kernels,
                            lang=args.lang)
    save(fig, output_name(args.out, "feature_maps.png", args.lang), args.lang, args.dpi)
    return EXIT_OK


def _layer_arg(value: str) -> int | str:
    return int(value) if value.lstrip("-").isdigit() else value
