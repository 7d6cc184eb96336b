"""The ``ventanal`` command: the lesson's figures and animations from a terminal.

Subcommands (``ventanal SUBCOMMAND --help`` for each):

* ``extract [IMAGE]``: the four-panel figure Input / Filter / Detect /
  Condense (default: the lesson's circle and the bottom Sobel kernel),
  written to ``extraction.png``; prints each stage's shape. With
  ``--sequence "1 9 -1 -2 7 3 -1 2" --kernel "[1,2,3]"``, the lesson's 1-D
  sequence.
* ``animate [CASE]``: a GIF of a window sliding over numbers or a photo.
* ``shapes [SHAPE]``: output size and padding under TensorFlow/Keras,
  PyTorch and NumPy, and why.
* ``invariance [IMAGE]``: repeated pooling of two dots, and the measured
  shared activity of the pooled maps of an image and of its shifted copies.
* ``receptive-field LAYERS``: e.g. ``conv3,conv3,conv3,pool2``: table and
  figure of the input region each layer's units see.
* ``feature-maps [IMAGE]``: the maps of one layer of a small network whose
  filters are the built-in kernels.
* ``kernels [NAME]``: list the built-in kernels, or draw one.
* ``detect [IMAGE]``: the sliding-window detector: ``--template PATCH`` or
  ``--planted``; draws the boxes, writes the trace (JSON); ``--plan`` prints
  what a scan would cost; ``--animate out.gif`` is the lesson's Figure 1.

Every figure command takes ``--out`` and ``--lang en|es``; without ``--out``
the file is named after the language (``extraction.png``,
``extraction_es.png``), so the two runs do not overwrite each other. Files
are written atomically (a temporary file renamed into place). Bad arguments
print one line, ``ventanal: error: ...``, and exit with status 2. A reader
that closes the output early (``ventanal shapes | head -2``) is not an
error: the figure is still written and the status is 0. An internal error
prints one line and exits with status 1. No traceback is printed unless
``--debug`` (anywhere on the command line) asks for it.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from .arguments import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError, check_ranges
from .parser import build_parser

__all__ = ["main", "build_parser", "UsageError", "EXIT_OK", "EXIT_USAGE", "EXIT_INTERNAL",
           "DEBUG_FLAG"]

#: Shows the traceback of an error instead of one line; accepted anywhere on the command line.
DEBUG_FLAG = "--debug"


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
    >>> main(["kernels", "edge", "--digits", "-1"])
    2
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in arguments
    arguments = [a for a in arguments if a != DEBUG_FLAG]
    parser = build_parser()
    parser.add_argument(DEBUG_FLAG, action="store_true",
                        help="show the traceback of an error (accepted anywhere)")
    if not arguments or (arguments[0].startswith("-") and
                         arguments[0] not in ("-h", "--help", "--version")):
        arguments = ["extract", *arguments]  # `ventanal [--lang es ...]`: the main job
    args = parser.parse_args(arguments)
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        # The command writes files: no GUI backend (a desktop's default) for its figures.
        if "matplotlib" in sys.modules:
            sys.modules["matplotlib"].use("Agg")
        else:
            os.environ["MPLBACKEND"] = "Agg"
    try:
        check_ranges(args)
        return args.func(args)
    except (ValueError, TypeError, OSError) as error:
        if debug:
            traceback.print_exc()
        if isinstance(error, BrokenPipeError):  # e.g. `ventanal kernels | head -1`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        print(f"ventanal: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ventanal: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        if debug:
            traceback.print_exc()
        print("ventanal: error: out of memory; use smaller sizes, or lower or raise the "
              "VENTANAL_MAX_MB limit (MiB) that ventanal checks before allocating",
              file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as error:  # a bug: one line, and the way to the traceback
        if debug:
            traceback.print_exc()
        print(f"ventanal: internal error: {type(error).__name__}: {_one_line(error)[:300]} "
              f"(rerun with {DEBUG_FLAG} for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
