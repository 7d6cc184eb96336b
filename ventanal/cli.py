"""The ``ventanal`` command line (placeholder until the CLI issue lands)."""

from __future__ import annotations

import argparse
import sys

from . import geometry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ventanal", description=__doc__)
    parser.add_argument("command", nargs="?", default="extract")
    parser.parse_args(argv)
    shape = geometry.output_shape((397, 397), 2, strides=2, padding="SAME")
    pads = geometry.padding_amounts((397, 397), 2, strides=2, padding="SAME")
    print(f"max pool 2x2, strides 2, padding SAME: 397x397 -> {shape[0]}x{shape[1]} "
          f"(padding {pads})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
