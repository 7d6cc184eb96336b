"""The ``ventanal`` command: the lesson's figures and animations from a terminal.

Subcommands (``ventanal SUBCOMMAND --help`` for each):

* ``extract [IMAGE]``: the four-panel figure Input / Filter / Detect /
  Condense (default: the lesson's circle and the bottom Sobel kernel),
  written to ``extraction.png``; prints each stage's shape.
* ``animate [CASE]``: a GIF of a window sliding over numbers or a photo.
* ``shapes [SHAPE]``: output size and padding under TensorFlow/Keras,
  PyTorch and NumPy, and why.
* ``invariance [IMAGE]``: repeated pooling of two dots, and the measured
  fraction of outputs unchanged by a shift.
* ``receptive-field LAYERS``: e.g. ``conv3,conv3,conv3,pool2``: table and
  figure of the input region each layer's units see.
* ``feature-maps [IMAGE]``: the maps of one layer of a small network whose
  filters are the built-in kernels.
* ``kernels [NAME]``: list the built-in kernels, or draw one.

Every figure command takes ``--out`` and ``--lang en|es``. Files are written
atomically (a temporary file renamed into place). Bad arguments print one
line, ``ventanal: error: ...``, and exit with status 2.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

EXIT_OK = 0
EXIT_USAGE = 2

_IMAGE_HELP = ("an image file (PNG, JPEG, ...), a .npy array, a bundled sample (camera, "
               "astronaut, coffee, chelsea, rocket, hubble, street) or 'circle'")
_KERNEL_HELP = ("a kernel name (see `ventanal kernels`), a nested list such as "
                "'[[-1,-2,-1],[0,0,0],[1,2,1]]', or a .npy file")


class UsageError(ValueError):
    """A bad command-line argument (exit status 2)."""


# ---------------------------------------------------------------------------
# argument readers
# ---------------------------------------------------------------------------

def read_kernel(value: str) -> np.ndarray:
    """A kernel from a name, a nested-list literal or a ``.npy`` file."""
    from . import data

    text_value = value.strip()
    if text_value.startswith(("[", "(")):
        try:
            literal = ast.literal_eval(text_value)
        except (ValueError, SyntaxError) as error:
            raise UsageError(f"--kernel {value!r} is not a valid nested list: {error}") from None
        try:
            kernel = np.array(literal, dtype=np.float64)
        except (ValueError, TypeError):
            raise UsageError(f"--kernel {value!r} must be a rectangular list of numbers") from None
    elif text_value.lower().endswith(".npy"):
        kernel = _load_npy(text_value, "--kernel")
    else:
        try:
            return data.kernel(text_value)
        except ValueError:
            names = ", ".join(data.kernel_names())
            raise UsageError(f"--kernel {value!r} is not a kernel name ({names}), a nested list "
                             f"or a .npy file") from None
    if kernel.ndim not in (1, 2) or kernel.size == 0 or kernel.dtype.kind not in "biuf":
        raise UsageError(f"--kernel must be a non-empty 1-D or 2-D array of numbers, got shape "
                         f"{kernel.shape}")
    return kernel.astype(np.float64)


def _load_npy(path: str, option: str) -> np.ndarray:
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{option}: no such file '{path}'")
    try:
        array = np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise UsageError(f"{option}: cannot read '{path}' as a .npy array: "
                         f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") \
            from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise UsageError(f"{option}: '{path}' must hold a numeric array")
    return array


def read_image(value: str | None, *, max_side: int | None = None) -> tuple[np.ndarray, str]:
    """An image from a path, a ``.npy`` file, a sample name or ``circle``; with its label."""
    from . import data

    if value is None or value.lower() == "circle":
        return data.circle([64, 64], val=1.0, r_shrink=3), "circle"
    if value.lower().endswith(".npy"):
        image = _load_npy(value, "IMAGE").astype(np.float64)
        label = Path(value).stem
    elif value in data.sample_names() and not Path(value).exists():
        image, label = data.sample(value, channels=1), value
    else:
        path = Path(value)
        if not path.exists():
            raise UsageError(f"IMAGE '{value}': no such file, and not a sample name "
                             f"({', '.join(data.sample_names())}) or 'circle'")
        image, label = data.load_image(path, channels=1), path.stem
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = image[..., :3] @ np.array([0.299, 0.587, 0.114])
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim != 2 or min(image.shape) < 1:
        raise UsageError(f"IMAGE must be a 2-D image, got shape {image.shape}")
    if max_side is not None and max(image.shape) > max_side:
        from .ops import pool

        factor = -(-max(image.shape) // max_side)
        image = np.asarray(pool(image, (factor, factor), "AVG", strides=factor))
    return image, label


def read_shape(value: str) -> tuple[int, ...]:
    """``"397"``, ``"397x397"``, ``"397,397"`` or ``"(397, 397)"`` as a tuple of ints."""
    cleaned = value.strip().strip("()[]").replace("×", "x").replace("x", ",")
    try:
        shape = tuple(int(part) for part in cleaned.split(",") if part.strip())
    except ValueError:
        raise UsageError(f"shape {value!r} must be sizes like 397 or 397x397") from None
    if not shape or any(v < 1 for v in shape):
        raise UsageError(f"shape {value!r} must be positive sizes like 397 or 397x397")
    return shape


def read_ints(value: str, name: str) -> int | tuple[int, ...]:
    """``"2"`` -> 2; ``"2,3"`` or ``"2x3"`` -> (2, 3)."""
    parts = value.replace("x", ",").replace("×", ",").split(",")
    try:
        numbers = tuple(int(p) for p in parts if p.strip())
    except ValueError:
        raise UsageError(f"{name} {value!r} must be an integer or integers like 2,3") from None
    if not numbers:
        raise UsageError(f"{name} must not be empty")
    return numbers[0] if len(numbers) == 1 else numbers


def read_padding(value: str) -> Any:
    """``same``, ``valid``, ``full``, ``causal`` or an int (symmetric, PyTorch)."""
    if value.lstrip("-").isdigit():
        return int(value)
    return value


def read_sequence(value: str) -> np.ndarray:
    """``"1 9 -1 -2"``, ``"1,9,-1"`` or a nested list literal."""
    text_value = value.strip()
    if text_value.startswith(("[", "(")):
        try:
            array = np.array(ast.literal_eval(text_value), dtype=np.float64)
        except (ValueError, SyntaxError, TypeError):
            raise UsageError(f"--input {value!r} is not a valid (rectangular) nested list") \
                from None
        return array
    try:
        return np.array([float(p) for p in text_value.replace(",", " ").split()])
    except ValueError:
        raise UsageError(f"--input {value!r} must be numbers like '1 9 -1 -2', a nested "
                         f"list, an image or a .npy file") from None


# ---------------------------------------------------------------------------
# output helpers
# ---------------------------------------------------------------------------

def _say(message: str) -> None:
    print(message, flush=True)


def _save(fig: Any, out: str, lang: str, dpi: int) -> None:
    from .viz.i18n import text
    from .viz.output import save_figure

    path = save_figure(fig, out, dpi=dpi)
    _say(text("cli.wrote", lang, path=path))


def _progress(label: str) -> Callable[[Any], Any]:
    from .viz.output import progress

    return lambda items: progress(items, label=label)


# ---------------------------------------------------------------------------
# subcommands
# ---------------------------------------------------------------------------

def cmd_extract(args: argparse.Namespace) -> int:
    from .extract import extract
    from .viz.common import format_shape
    from .viz.extraction import show_extraction
    from .viz.i18n import text

    image, _ = read_image(args.image)
    kernel = read_kernel(args.kernel)
    if kernel.ndim != 2:
        raise UsageError(f"--kernel must be 2-D for an image, got shape {kernel.shape}")
    settings = dict(conv_stride=read_ints(args.conv_stride, "--conv-stride"),
                    conv_padding=read_padding(args.conv_padding), activation=args.activation,
                    pool_size=read_ints(args.pool_size, "--pool-size"),
                    pool_stride=read_ints(args.pool_stride, "--pool-stride"),
                    pool_padding=read_padding(args.pool_padding))
    stages = extract(image, kernel, **settings)
    for name in stages.names:
        _say(text("cli.stage_shape", args.lang, stage=text(f"stage.{name}", args.lang),
                  shape=format_shape(stages[name].shape)))
    fig = show_extraction(image, kernel, **settings, lang=args.lang)
    _save(fig, args.out, args.lang, args.dpi)
    return EXIT_OK


def cmd_kernels(args: argparse.Namespace) -> int:
    from . import data
    from .viz.i18n import text

    if args.name is None:
        _say(text("cli.kernels_header", args.lang))
        width = max(map(len, data.kernel_names()))
        for name in data.kernel_names():
            _say(f"  {name:<{width}}  {data.KERNELS[name]}")
        return EXIT_OK
    kernel = read_kernel(args.name)
    with np.printoptions(precision=4, suppress=True):
        _say(str(kernel))
    from .viz.kernel import show_kernel

    fig = show_kernel(kernel, digits=args.digits, lang=args.lang)
    _save(fig, args.out or "kernel.png", args.lang, args.dpi)
    return EXIT_OK


def cmd_animate(args: argparse.Namespace) -> int:
    from .viz import CASES, animate, animate_case
    from .viz.i18n import text

    if args.list:
        width = max(map(len, CASES))
        for name, case in CASES.items():
            _say(f"  {name:<{width}}  {case['doc']}")
        return EXIT_OK
    overrides: dict[str, Any] = {"lang": args.lang, "progress": _progress(
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
    path = animation.save(args.out)
    width, height = animation.size
    _say(text("cli.frames", args.lang, frames=len(animation), width=width, height=height))
    _say(text("cli.wrote", args.lang, path=path))
    return EXIT_OK


def _animation_input(value: str) -> np.ndarray:
    from . import data

    stripped = value.strip()
    if stripped.startswith(("[", "(")) or stripped.replace(",", " ").replace("-", "").replace(
            ".", "").replace(" ", "").isdigit():
        return read_sequence(value)
    if stripped.lower() == "circle" or stripped in data.sample_names() or Path(stripped).exists():
        image, _ = read_image(stripped, max_side=128)
        return image
    return read_sequence(value)


def cmd_shapes(args: argparse.Namespace) -> int:
    from .viz.i18n import text
    from .viz.shapes import shape_table, show_shapes

    shape = read_shape(args.shape)
    window = read_ints(args.window, "--window")
    strides = read_ints(args.strides, "--strides") if args.strides is not None else window
    padding = read_padding(args.padding)
    dilation = read_ints(args.dilation, "--dilation")
    from . import geometry

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
        e = geometry.plan((1,), k, 1, "FULL", d).axes[0].effective_window  # FULL fits any window
        dil = text("shapes.dilation", args.lang, d=d, e=e) if d > 1 else ""
        _say(text("shapes.axis", args.lang, axis=axis, n=shape[axis], k=k, s=steps[axis],
                  dil=dil))
        rows = shape_table(shape[axis], k, steps[axis], padding, d, lang=args.lang)
        call_width = max(len(row.call) for row in rows)
        name_width = max(len(row.framework) for row in rows)
        for row in rows:
            if row.output is None:
                result = "-"
            else:
                result = f"→ {row.output:<5} " + text("shapes.pads_value", args.lang,
                                                       pads=row.padding)
            mark = "  " + text("shapes.chosen", args.lang) if row.chosen else ""
            _say(f"  {row.framework:<{name_width}}  {row.call:<{call_width}}  {result}{mark}")
            _say(f"      {row.reason}")
    fig = show_shapes(shape, windows, steps, padding, dilations, lang=args.lang)
    _save(fig, args.out, args.lang, args.dpi)
    return EXIT_OK


def cmd_invariance(args: argparse.Namespace) -> int:
    from .viz.invariance import invariance_experiment, show_invariance

    image, label = read_image(args.image or "camera")
    kernel = None if args.kernel.lower() == "none" else read_kernel(args.kernel)
    pool = dict(pool_size=read_ints(args.pool_size, "--pool-size"),
                pool_stride=read_ints(args.pool_stride, "--pool-stride"),
                pool_padding=read_padding(args.pool_padding))
    result = invariance_experiment(image, kernel, max_shift=args.max_shift,
                                   repeats=args.repeats, **pool)
    header = "        " + "  ".join(f"r={r}" .rjust(6) for r in range(result.fractions.shape[0]))
    _say(header)
    for k in result.shifts:
        values = "  ".join(f"{v:6.3f}" for v in result.fractions[:, k])
        _say(f"{int(k):>6}  {values}")
    fig = show_invariance(image, kernel=kernel, max_shift=args.max_shift, repeats=args.repeats,
                          image_label=label, **pool, lang=args.lang, result=result)
    _save(fig, args.out, args.lang, args.dpi)
    return EXIT_OK


def cmd_receptive_field(args: argparse.Namespace) -> int:
    from .viz.fields import format_field_table, receptive_fields, show_receptive_field

    image, _ = read_image(args.image or "camera", max_side=args.size)
    records = receptive_fields(args.layers, image.shape)
    _say(format_field_table(records, args.lang))
    unit = None if args.unit is None else read_ints(args.unit, "--unit")
    if isinstance(unit, int):
        unit = (unit, unit)
    fig = show_receptive_field(args.layers, image, unit=unit, lang=args.lang)
    _save(fig, args.out, args.lang, args.dpi)
    return EXIT_OK


def cmd_feature_maps(args: argparse.Namespace) -> int:
    from .viz.feature_maps import show_feature_maps

    image, _ = read_image(args.image or "camera", max_side=args.size)
    kernels = [read_kernel(k.strip()) for k in args.kernels.split(";")] if args.kernels \
        else None
    fig = show_feature_maps(args.layers, image, layer=_layer_arg(args.layer), kernels=kernels,
                            lang=args.lang)
    _save(fig, args.out, args.lang, args.dpi)
    return EXIT_OK


def _layer_arg(value: str) -> int | str:
    return int(value) if value.lstrip("-").isdigit() else value


# ---------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line after the usage (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _CommandParser(_Parser):
    """A command's parser: it reports arguments it does not know itself, with its own usage
    (argparse leaves them to the top-level parser, whose usage does not list them)."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        namespace, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return namespace, unknown


def _common(parser: argparse.ArgumentParser, out: str | None) -> None:
    parser.add_argument("--lang", choices=("en", "es"), default="en",
                        help="language of titles and labels (default: en)")
    if out is not None:
        parser.add_argument("-o", "--out", default=out, help=f"output file (default: {out})")
        parser.add_argument("--dpi", type=int, default=100,
                            help="resolution of the figure (default: 100)")


def build_parser() -> argparse.ArgumentParser:
    from .layers import LAYER_GRAMMAR

    parser = _Parser(prog="ventanal", description="Sliding windows of convnets, exact and "
                     "visible: the lesson's figures and animations.",
                     epilog="Run `ventanal extract` for the lesson's four-panel figure.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)

    p = sub.add_parser("extract", help="Input / Filter / Detect / Condense figure",
                       description="Filter, detect and condense an image; write the figure and "
                       "print each stage's shape. Default: the lesson's 64×64 circle and the "
                       "bottom Sobel kernel.")
    p.add_argument("image", nargs="?", metavar="IMAGE", help=_IMAGE_HELP)
    p.add_argument("--kernel", default="bottom_sobel", help=_KERNEL_HELP)
    p.add_argument("--conv-stride", default="1", help="convolution stride (default: 1)")
    p.add_argument("--conv-padding", default="valid", help="valid (default), same, full or int")
    p.add_argument("--activation", default="relu", help="relu (default), linear, sigmoid, ...")
    p.add_argument("--pool-size", default="2", help="max-pooling window (default: 2)")
    p.add_argument("--pool-stride", default="2", help="max-pooling stride (default: 2)")
    p.add_argument("--pool-padding", default="same", help="same (default) or valid")
    _common(p, "extraction.png")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("animate", help="GIF of a window sliding over a grid or a photo",
                       description="Animate a convolution or pooling window. CASE is a named "
                       "example (see --list); --input and the options override it.")
    p.add_argument("case", nargs="?", metavar="CASE", help="named case (default: same)")
    p.add_argument("--list", action="store_true", help="list the named cases and exit")
    p.add_argument("--input", help="numbers like '1 9 -1 -2 7 3 -1 2', a nested list, or "
                   + _IMAGE_HELP)
    p.add_argument("--op", choices=("conv", "max", "avg"), help="operation (default: conv)")
    p.add_argument("--kernel", help=_KERNEL_HELP)
    p.add_argument("--window", help="pooling window, e.g. 2 or 2,3")
    p.add_argument("--strides", help="stride, e.g. 2 or 2,1")
    p.add_argument("--padding", help="valid, same, full, causal or an int")
    p.add_argument("--dilation", help="dilation, e.g. 2")
    p.add_argument("--ceil-mode", action="store_true", help="PyTorch's ceil_mode (pooling)")
    p.add_argument("--max-frames", type=int, help="most frames of sliding (default: 60)")
    p.add_argument("--duration", type=int, help="milliseconds per frame")
    _common(p, "animation.gif")
    p.set_defaults(func=cmd_animate)

    p = sub.add_parser("shapes", help="output size and padding under TF, PyTorch and NumPy",
                       description="Output size and padding per side of a window under "
                       "TensorFlow/Keras, PyTorch (floor and ceil_mode) and NumPy's "
                       "sliding_window_view, with the reason for each number.")
    p.add_argument("shape", nargs="?", default="397x397", metavar="SHAPE",
                   help="input size, e.g. 397 or 397x397 (default: 397x397)")
    p.add_argument("--window", default="2", help="window (default: 2)")
    p.add_argument("--strides", default=None, help="stride (default: the window)")
    p.add_argument("--padding", default="same", help="same (default), valid, full or an int")
    p.add_argument("--dilation", default="1", help="dilation (default: 1)")
    _common(p, "shapes.png")
    p.set_defaults(func=cmd_shapes)

    p = sub.add_parser("invariance", help="translation invariance of max pooling",
                       description="The lesson's two dots under repeated max pooling, and a "
                       "measured experiment: shift an image by 0..K pixels, pool r times, "
                       "count the outputs that stay identical.")
    p.add_argument("image", nargs="?", metavar="IMAGE", help=_IMAGE_HELP + " (default: camera)")
    p.add_argument("--kernel", default="none",
                   help="pool a feature map relu(conv(image, KERNEL)) instead of the image "
                   "itself (default: none); " + _KERNEL_HELP)
    p.add_argument("--max-shift", type=int, default=8, help="largest shift (default: 8)")
    p.add_argument("--repeats", type=int, default=3, help="number of poolings (default: 3)")
    p.add_argument("--pool-size", default="2", help="pooling window (default: 2)")
    p.add_argument("--pool-stride", default="2", help="pooling stride (default: 2)")
    p.add_argument("--pool-padding", default="same", help="same (default) or valid")
    _common(p, "invariance.png")
    p.set_defaults(func=cmd_invariance)

    p = sub.add_parser("receptive-field", help="receptive fields of a stack of windows",
                       description="Print the receptive field of every layer and draw the input "
                       "region seen by one output unit. LAYERS: " + LAYER_GRAMMAR + ".")
    p.add_argument("layers", metavar="LAYERS", help="e.g. conv3,conv3,conv3,pool2")
    p.add_argument("--image", help=_IMAGE_HELP + " (default: camera)")
    p.add_argument("--size", type=int, default=64,
                   help="shrink the image to at most this many pixels a side (default: 64)")
    p.add_argument("--unit", help="output unit, e.g. 3,4 (default: the centre)")
    _common(p, "receptive_field.png")
    p.set_defaults(func=cmd_receptive_field)

    p = sub.add_parser("feature-maps", help="the feature maps of one layer",
                       description="Run a small network on an image and draw one layer's "
                       "maps. Its convolutions use the built-in kernels as filters (or "
                       "--kernels). LAYERS: " + LAYER_GRAMMAR + ".")
    p.add_argument("image", nargs="?", metavar="IMAGE", help=_IMAGE_HELP + " (default: camera)")
    p.add_argument("--layers", default="conv3,relu,pool2",
                   help="the network (default: conv3,relu,pool2)")
    p.add_argument("--layer", default="-1",
                   help="layer to show: index (0 = first, -1 = last) or name (default: -1)")
    p.add_argument("--kernels", help="filters of the convolutions, separated by ';' "
                   "(default: the built-in 3×3 kernels)")
    p.add_argument("--size", type=int, default=256,
                   help="shrink the image to at most this many pixels a side (default: 256)")
    _common(p, "feature_maps.png")
    p.set_defaults(func=cmd_feature_maps)

    p = sub.add_parser("kernels", help="list the built-in kernels, or draw one",
                       description="List the built-in kernels; with NAME (or a nested list), "
                       "print it and draw it to --out (default: kernel.png).")
    p.add_argument("name", nargs="?", metavar="NAME", help=_KERNEL_HELP)
    p.add_argument("--digits", type=int, help="decimals shown in the cells")
    p.add_argument("--lang", choices=("en", "es"), default="en", help="language (default: en)")
    p.add_argument("-o", "--out", default=None, help="output file (default: kernel.png)")
    p.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
    p.set_defaults(func=cmd_kernels)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def _one_line(error: BaseException) -> str:
    message = str(error) or type(error).__name__
    if isinstance(error, OSError) and error.filename and error.strerror:
        message = f"{error.strerror}: '{error.filename}'"
    return " ".join(message.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ventanal`` command; returns the exit status.

    Examples
    --------
    >>> main(["kernels", "nope"])  # bad arguments: one line on stderr, status 2
    2
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not arguments or (arguments[0].startswith("-") and
                         arguments[0] not in ("-h", "--help", "--version")):
        arguments = ["extract", *arguments]  # `ventanal [--lang es ...]`: the main job
    args = parser.parse_args(arguments)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as error:
        if isinstance(error, BrokenPipeError):  # e.g. `ventanal kernels | head -1`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        print(f"ventanal: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ventanal: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
