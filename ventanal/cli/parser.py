"""The ``ventanal`` command's argument parser: one subparser per subcommand."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..layers import LAYER_GRAMMAR
from .arguments import EXIT_USAGE, IMAGE_HELP, KERNEL_HELP
from .commands import (
    cmd_animate,
    cmd_extract,
    cmd_feature_maps,
    cmd_invariance,
    cmd_kernels,
    cmd_receptive_field,
    cmd_shapes,
)
from .detect import add_detect_parser

__all__ = ["Parser", "CommandParser", "common_options", "pooling_options", "build_parser",
           "version"]


class Parser(argparse.ArgumentParser):
    """argparse, with errors on one line after the usage (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class CommandParser(Parser):
    """A command's parser: it reports arguments it does not know itself, with its own usage
    (argparse leaves them to the top-level parser, whose usage does not list them)."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        namespace, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return namespace, unknown


def common_options(parser: argparse.ArgumentParser, out: str | None) -> None:
    """``--lang``, and for a command that writes a figure ``--out`` and ``--dpi``.

    ``--out`` defaults to None: the command names the file after the language
    (``extraction.png``, ``extraction_es.png``)."""
    parser.add_argument("--lang", choices=("en", "es"), default="en",
                        help="language of titles and labels (default: en)")
    if out is not None:
        stem, dot, suffix = out.rpartition(".")
        parser.add_argument("-o", "--out", default=None,
                            help=f"output file (default: {out}; {stem}_es{dot}{suffix} "
                                 "with --lang es)")
        parser.add_argument("--dpi", type=int, default=100,
                            help="resolution of the figure (default: 100)")


def pooling_options(parser: argparse.ArgumentParser) -> None:
    """The max pooling of the lesson's ``show_extraction``: 2x2, stride 2, SAME by default."""
    parser.add_argument("--pool-size", default="2", help="max-pooling window (default: 2)")
    parser.add_argument("--pool-stride", default="2", help="max-pooling stride (default: 2)")
    parser.add_argument("--pool-padding", default="same", help="same (default) or valid")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``ventanal`` and its subcommands."""
    parser = Parser(prog="ventanal", description="Sliding windows of convnets, exact and "
                     "visible: the lesson's figures and animations.",
                     epilog="Run `ventanal extract` for the lesson's four-panel figure.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)

    p = sub.add_parser("extract", help="Input / Filter / Detect / Condense figure",
                       description="Filter, detect and condense an image; write the figure and "
                       "print each stage's shape. Default: the lesson's 64×64 circle and the "
                       "bottom Sobel kernel.")
    p.add_argument("image", nargs="?", metavar="IMAGE", help=IMAGE_HELP)
    p.add_argument("--sequence", metavar="NUMBERS",
                   help="a 1-D sequence instead of an image, e.g. '1 9 -1 -2 7 3 -1 2' "
                   "(the lesson's); its kernel is 1-D (default: '[1,2,3]')")
    p.add_argument("--kernel", default=None,
                   help=KERNEL_HELP + " (default: bottom_sobel; [1,2,3] with --sequence)")
    p.add_argument("--conv-stride", default="1", help="convolution stride (default: 1)")
    p.add_argument("--conv-padding", default="valid", help="valid (default), same, full or int")
    p.add_argument("--activation", default="relu", help="relu (default), linear, sigmoid, ...")
    pooling_options(p)
    common_options(p, "extraction.png")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("animate", help="GIF of a window sliding over a grid or a photo",
                       description="Animate a convolution or pooling window. CASE is a named "
                       "example (see --list); --input and the options override it.")
    p.add_argument("case", nargs="?", metavar="CASE", help="named case (default: same)")
    p.add_argument("--list", action="store_true", help="list the named cases and exit")
    p.add_argument("--input", help="numbers like '1 9 -1 -2 7 3 -1 2', a nested list, or "
                   + IMAGE_HELP)
    p.add_argument("--op", choices=("conv", "max", "avg"), help="operation (default: conv)")
    p.add_argument("--kernel", help=KERNEL_HELP)
    p.add_argument("--window", help="pooling window, e.g. 2 or 2,3")
    p.add_argument("--strides", help="stride, e.g. 2 or 2,1")
    p.add_argument("--padding", help="valid, same, full, causal or an int")
    p.add_argument("--dilation", help="dilation, e.g. 2")
    p.add_argument("--ceil-mode", action="store_true", help="PyTorch's ceil_mode (pooling)")
    p.add_argument("--max-frames", type=int, help="most frames of sliding (default: 60)")
    p.add_argument("--duration", type=int, help="milliseconds per frame")
    common_options(p, "animation.gif")
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
    common_options(p, "shapes.png")
    p.set_defaults(func=cmd_shapes)

    p = sub.add_parser("invariance", help="translation invariance of max pooling",
                       description="The lesson's two dots under repeated max pooling, and a "
                       "measured experiment: shift an image by 0..K pixels on a zero canvas, "
                       "pool r times, and print the shared activity sum(min(a, b)) / "
                       "sum(max(a, b)) of the unshifted (a) and shifted (b) maps: 1 identical, "
                       "0 nothing in common, nan undefined (both maps all zero).")
    p.add_argument("image", nargs="?", metavar="IMAGE", help=IMAGE_HELP + " (default: camera)")
    p.add_argument("--kernel", default="none",
                   help="pool a feature map relu(conv(image, KERNEL)) instead of the image "
                   "itself (default: none); " + KERNEL_HELP)
    p.add_argument("--max-shift", type=int, default=8, help="largest shift (default: 8)")
    p.add_argument("--repeats", type=int, default=3, help="number of poolings (default: 3)")
    p.add_argument("--align", action="store_true",
                   help="compare the maps aligned on the pooled grid: the shifted map moved "
                   "back by k // jump cells (a shift by a multiple of the jump then scores 1)")
    pooling_options(p)
    common_options(p, "invariance.png")
    p.set_defaults(func=cmd_invariance)

    p = sub.add_parser("receptive-field", help="receptive fields of a stack of windows",
                       description="Print the receptive field of every layer and draw the input "
                       "region seen by one output unit. LAYERS: " + LAYER_GRAMMAR + ".")
    p.add_argument("layers", metavar="LAYERS", help="e.g. conv3,conv3,conv3,pool2")
    p.add_argument("--image", help=IMAGE_HELP + " (default: camera)")
    p.add_argument("--size", type=int, default=64,
                   help="shrink the image to at most this many pixels a side (default: 64)")
    p.add_argument("--unit", help="output unit, e.g. 3,4 (default: the centre)")
    common_options(p, "receptive_field.png")
    p.set_defaults(func=cmd_receptive_field)

    p = sub.add_parser("feature-maps", help="the feature maps of one layer",
                       description="Run a small network on an image and draw one layer's "
                       "maps. Its convolutions use the built-in kernels as filters (or "
                       "--kernels). LAYERS: " + LAYER_GRAMMAR + ".")
    p.add_argument("image", nargs="?", metavar="IMAGE", help=IMAGE_HELP + " (default: camera)")
    p.add_argument("--layers", default="conv3,relu,pool2",
                   help="the network (default: conv3,relu,pool2)")
    p.add_argument("--layer", default="-1",
                   help="layer to show: index (0 = first, -1 = last) or name (default: -1)")
    p.add_argument("--kernels", help="filters of the convolutions, separated by ';' "
                   "(default: the built-in 3×3 kernels)")
    p.add_argument("--size", type=int, default=256,
                   help="shrink the image to at most this many pixels a side (default: 256)")
    common_options(p, "feature_maps.png")
    p.set_defaults(func=cmd_feature_maps)

    p = sub.add_parser("kernels", help="list the built-in kernels, or draw one",
                       description="List the built-in kernels; with NAME (or a nested list), "
                       "print it and draw it to --out (default: kernel.png).")
    p.add_argument("name", nargs="?", metavar="NAME", help=KERNEL_HELP)
    p.add_argument("--digits", type=int, help="decimals shown in the cells")
    p.add_argument("--lang", choices=("en", "es"), default="en", help="language (default: en)")
    p.add_argument("-o", "--out", default=None,
                   help="output file (default: kernel.png; kernel_es.png with --lang es)")
    p.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
    p.set_defaults(func=cmd_kernels)

    add_detect_parser(sub)
    return parser


def version() -> str:
    """The installed ventanal's version, for ``--version``."""
    return __version__
