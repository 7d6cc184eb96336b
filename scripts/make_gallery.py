"""Render the README gallery (docs/gallery/) from ventanal's own figures and animations.

Run from the repository root:

    python scripts/make_gallery.py            # writes docs/gallery/*.png, *.gif, README.md
    python scripts/make_gallery.py --check    # fails if the gallery exceeds its size budget

Every image is the output of the ``ventanal`` command written under it in
``docs/gallery/README.md``, run exactly as written in an empty folder (never
drawn by hand or by another code path). PNGs are then reduced to a 256-colour
palette (the figures are flat colours; this divides their size by about three)
so the whole gallery stays under 2 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from ventanal import cli  # noqa: E402
from ventanal.viz.output import atomic_write  # noqa: E402

BUDGET = 2_000_000  # bytes, for the whole gallery
ROOT = Path(__file__).resolve().parents[1]

# name in docs/gallery -> (what it shows, the exact command that draws it). The command is
# run as written, in an empty folder; the one file it writes becomes the gallery's image.
FIGURES: dict[str, tuple[str, str]] = {
    "extraction.png": (
        "The lesson's circle, filtered by the bottom Sobel kernel, detected by ReLU and "
        "condensed by 2×2 max pooling.",
        "ventanal extract"),
    "extraction_stride3_es.png": (
        "The same with a convolution stride of 3 (the lesson's second example), in Spanish.",
        "ventanal extract --conv-stride 3 --lang es"),
    "extraction_sequence.png": (
        "The lesson's sequence 1 9 -1 -2 7 3 -1 2 through the kernel [1, 2, 3], ReLU and "
        "max pooling 2 with stride 2.",
        'ventanal extract --sequence "1 9 -1 -2 7 3 -1 2" --kernel "[1,2,3]"'),
    "kernel.png": (
        "The bottom Sobel kernel: a diverging map centred on 0, values in the cells.",
        "ventanal kernels bottom_sobel"),
    "shapes.png": (
        "Why 397 pixels pooled by 2×2 with stride 2 give 199 and not 200, in TensorFlow, "
        "PyTorch and NumPy.",
        "ventanal shapes 397x397 --window 2 --strides 2 --padding same"),
    "invariance.png": (
        "Translation invariance: two dots merge under repeated pooling; the shared activity "
        "of the lesson's circle (bottom Sobel) and its shifted copies after 0 to 3 poolings.",
        "ventanal invariance circle --kernel bottom_sobel --max-shift 16"),
    "detections.png": (
        "The classic detector: a template slid over a pyramid of a synthetic scene, scored by "
        "normalised cross-correlation, overlaps suppressed; every planted object found.",
        "ventanal detect --planted"),
    "receptive_field.png": (
        "Receptive fields of conv3, conv3, conv3, pool2, drawn on the image layer by layer.",
        "ventanal receptive-field conv3,conv3,conv3,pool2"),
    "feature_maps.png": (
        "Feature maps after conv3 (the classic kernels as filters), ReLU and 2×2 pooling.",
        "ventanal feature-maps --layers conv3,relu,pool2"),
}

ANIMATIONS: dict[str, tuple[str, str]] = {
    "conv_same.gif": (
        "3×3 convolution with 'same' padding: the window, the kernel and the output filling "
        "in, with each sum written out.",
        "ventanal animate same"),
    "conv_dilation.gif": (
        "Dilation 2: a 3×3 kernel reading every other cell.",
        "ventanal animate dilation"),
    "pool_stride_gt_window.gif": (
        "Max pooling with stride 3 > window 2: some cells are never read.",
        "ventanal animate stride-gt-window"),
    "sequence.gif": (
        "The lesson's sequence 1 9 -1 -2 7 3 -1 2, max-pooled by 2 with stride 2.",
        "ventanal animate sequence --lang es"),
    "detection.gif": (
        "The lesson's Figure 1: a window sliding left to right, top to bottom, over each "
        "level of a pyramid, its score drawn, the hits kept.",
        "ventanal detect --planted --animate detection.gif"),
    "photo.gif": (
        "The bottom Sobel kernel sliding over a photo.",
        "ventanal animate photo --max-frames 32"),
}

ENTRIES: dict[str, tuple[str, str]] = {**FIGURES, **ANIMATIONS}


def render(command: str, folder: Path, name: str | None = None) -> Path:
    """Run `command` (a ``ventanal ...`` line) in the empty `folder`; the file it wrote.

    A command that writes several files (``ventanal detect`` writes its figure and its
    trace) gives the one called `name`.
    """
    words = shlex.split(command)
    if words[0] != "ventanal":
        raise ValueError(f"a gallery command starts with `ventanal`, got {command!r}")
    if any(folder.iterdir()):
        raise ValueError(f"render needs an empty folder, {folder} is not")
    previous = Path.cwd()
    report = io.StringIO()
    try:
        os.chdir(folder)
        with contextlib.redirect_stdout(report):
            status = cli.main(words[1:])
    finally:
        os.chdir(previous)
    written = sorted(folder.iterdir())
    if name is not None and len(written) > 1:
        written = [path for path in written if path.name == name]
    if status != 0 or len(written) != 1:
        raise RuntimeError(f"`{command}` exited {status} and wrote {[p.name for p in written]}")
    return written[0]


def _png_bytes(png: Path) -> bytes:
    """The command's PNG reduced to a 256-colour palette (same pixels' layout, a third of
    the size: the figures are flat colours)."""
    from PIL import Image

    with Image.open(png) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                                dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def gallery_index() -> str:
    """docs/gallery/README.md: each image under the command that drew it."""
    lines = ["# Gallery", "",
             "Produced by `python scripts/make_gallery.py`, which runs the `ventanal` command "
             "shown under each image, exactly as written, and keeps the file it writes "
             "(PNGs reduced to a 256-colour palette). Do not edit these files by hand.", ""]
    for name, (what, command) in ENTRIES.items():
        lines += [f"## {name}", "", what, "", f"```bash\n{command}\n```", "",
                  f"![{name}]({name})", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "gallery"), help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="only check the size of an existing gallery")
    args = parser.parse_args(argv)
    folder = Path(args.out)
    if not args.check:
        folder.mkdir(parents=True, exist_ok=True)
        for name, (_, command) in ENTRIES.items():
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as scratch:
                made = render(command, Path(scratch), name)
                payload = _png_bytes(made) if name.endswith(".png") else made.read_bytes()
            target = folder / name
            atomic_write(target, lambda path, payload=payload: path.write_bytes(payload))
            print(f"{name:<30} {target.stat().st_size / 1024:7.1f} KB "
                  f"{time.perf_counter() - start:5.2f} s   {command}")
        index = gallery_index()
        atomic_write(folder / "README.md", lambda path: path.write_text(index, encoding="utf-8"))
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    print(f"total {total / 1024:.1f} KB (budget {BUDGET / 1024:.0f} KB)")
    if total > BUDGET:
        print("gallery too large", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
