"""Render the README gallery (docs/gallery/) from ventanal's own figures and animations.

Run from the repository root:

    python scripts/make_gallery.py            # writes docs/gallery/*.png, *.gif, README.md
    python scripts/make_gallery.py --check    # fails if the gallery exceeds its size budget

Every image is produced here, by the public API, never by hand; each
entry of ``docs/gallery/README.md`` also gives the ``ventanal`` command that
draws the same picture. PNGs are reduced to a 256-colour palette (the
figures are flat colours; this divides their size by about three) so the
whole gallery stays under 2 MB.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import ventanal as vt  # noqa: E402
from ventanal import data  # noqa: E402
from ventanal.viz import (  # noqa: E402
    animate_case,
    show_extraction,
    show_feature_maps,
    show_invariance,
    show_kernel,
    show_receptive_field,
    show_shapes,
)
from ventanal.viz.output import atomic_write  # noqa: E402

BUDGET = 2_000_000  # bytes, for the whole gallery
DPI = 100

CIRCLE = data.circle([64, 64], val=1.0, r_shrink=3)


def _camera(side: int) -> Any:
    photo = data.sample("camera", channels=1)
    factor = photo.shape[0] // side
    return vt.pool(photo, (factor, factor), "AVG", strides=factor)


# name -> (what it shows, the command that draws it, a function returning a Figure or Animation)
FIGURES: dict[str, tuple[str, str, Callable[[], Any]]] = {
    "extraction.png": (
        "The lesson's circle, filtered by the bottom Sobel kernel, detected by ReLU and "
        "condensed by 2×2 max pooling.",
        "ventanal extract",
        lambda: show_extraction(CIRCLE, "bottom_sobel")),
    "extraction_stride3_es.png": (
        "The same with a convolution stride of 3 (the lesson's second example), in Spanish.",
        "ventanal extract --conv-stride 3 --lang es",
        lambda: show_extraction(CIRCLE, "bottom_sobel", conv_stride=3, lang="es")),
    "kernel.png": (
        "The bottom Sobel kernel: a diverging map centred on 0, values in the cells.",
        "ventanal kernels bottom_sobel",
        lambda: show_kernel("bottom_sobel")),
    "shapes.png": (
        "Why 397 pixels pooled by 2×2 with stride 2 give 199 and not 200, in TensorFlow, "
        "PyTorch and NumPy.",
        "ventanal shapes 397x397 --window 2 --strides 2 --padding same",
        lambda: show_shapes((397, 397), 2, 2, "same")),
    "invariance.png": (
        "Translation invariance: two dots merge under repeated pooling; measured on a photo.",
        "ventanal invariance",
        lambda: show_invariance()),
    "receptive_field.png": (
        "Receptive fields of conv3, conv3, conv3, pool2, drawn on the image layer by layer.",
        "ventanal receptive-field conv3,conv3,conv3,pool2",
        lambda: show_receptive_field("conv3,conv3,conv3,pool2", _camera(64))),
    "feature_maps.png": (
        "Feature maps after conv3 (the classic kernels as filters), ReLU and 2×2 pooling.",
        "ventanal feature-maps --layers conv3,relu,pool2",
        lambda: show_feature_maps("conv3,relu,pool2", _camera(128))),
}

ANIMATIONS: dict[str, tuple[str, str, Callable[[], Any]]] = {
    "conv_same.gif": (
        "3×3 convolution with 'same' padding: the window, the kernel and the output filling "
        "in, with each sum written out.",
        "ventanal animate same",
        lambda: animate_case("same")),
    "conv_dilation.gif": (
        "Dilation 2: a 3×3 kernel reading every other cell.",
        "ventanal animate dilation",
        lambda: animate_case("dilation")),
    "pool_stride_gt_window.gif": (
        "Max pooling with stride 3 > window 2: some cells are never read.",
        "ventanal animate stride-gt-window",
        lambda: animate_case("stride-gt-window")),
    "sequence.gif": (
        "The lesson's sequence 1 9 -1 -2 7 3 -1 2, max-pooled by 2 with stride 2.",
        "ventanal animate sequence --lang es",
        lambda: animate_case("sequence", lang="es")),
    "photo.gif": (
        "The bottom Sobel kernel sliding over a photo.",
        "ventanal animate photo --max-frames 32",
        lambda: animate_case("photo", max_frames=32)),
}


def _png_bytes(fig: Any) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    buffer.seek(0)
    with Image.open(buffer) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                                dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _index(entries: list[tuple[str, str, str]]) -> str:
    lines = ["# Gallery", "",
             "Produced by `python scripts/make_gallery.py` from ventanal's public API; "
             "each image also comes from the `ventanal` command shown under it. "
             "Do not edit these files by hand.", ""]
    for name, what, command in entries:
        lines += [f"## {name}", "", what, "", f"```bash\n{command}\n```", "",
                  f"![{name}]({name})", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/gallery", help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="only check the size of an existing gallery")
    args = parser.parse_args(argv)
    folder = Path(args.out)
    if not args.check:
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for name, (what, command, make) in {**FIGURES, **ANIMATIONS}.items():
            start = time.perf_counter()
            result = make()
            target = folder / name
            if name.endswith(".png"):
                payload = _png_bytes(result)
                atomic_write(target, lambda path, payload=payload: path.write_bytes(payload))
            else:
                result.save(target)
            entries.append((name, what, command))
            print(f"{name:<30} {target.stat().st_size / 1024:7.1f} KB "
                  f"{time.perf_counter() - start:5.2f} s")
        index = _index(entries)
        atomic_write(folder / "README.md", lambda path: path.write_text(index, encoding="utf-8"))
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    print(f"total {total / 1024:.1f} KB (budget {BUDGET / 1024:.0f} KB)")
    if total > BUDGET:
        print("gallery too large", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
