"""``ventanal detect``: the classic detector (pyramid, sliding NCC, NMS) from a terminal.

``ventanal detect IMAGE --template PATCH`` or ``ventanal detect --planted`` draws the boxes
found (``--out``), writes the trace as JSON (``--trace``), and prints one line per box;
``--plan`` prints the dry-run report and runs nothing; ``--animate out.gif`` writes the
lesson's Figure 1 as an animation.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from .arguments import EXIT_OK, IMAGE_HELP, UsageError, load_npy, read_image

__all__ = ["add_detect_parser", "cmd_detect", "read_template"]

TEMPLATE_HELP = ("the patch to look for: an image file, a .npy array, or a crop of IMAGE "
                 "given as 'x,y,width,height'")


def add_detect_parser(sub: Any) -> None:
    """Register ``detect`` on the subparsers ``sub`` of the ``ventanal`` parser."""
    p = sub.add_parser("detect", help="find a template at every scale: pyramid, windows, NMS",
                       description="Slide a window the size of a template over a pyramid of "
                       "IMAGE, score each by normalised cross-correlation, suppress overlaps; "
                       "draw the boxes and write the trace as JSON.")
    p.add_argument("image", nargs="?", metavar="IMAGE", help=IMAGE_HELP)
    p.add_argument("--template", metavar="PATCH", help=TEMPLATE_HELP)
    p.add_argument("--planted", action="store_true",
                   help="a synthetic scene with the template planted at known places")
    p.add_argument("--seed", type=int, default=0, help="seed of the planted scene (default: 0)")
    p.add_argument("--step", type=int, default=1, help="window step (default: 1)")
    p.add_argument("--scale", type=float, default=1.5, help="pyramid scale (default: 1.5)")
    p.add_argument("--threshold", type=float, default=0.6,
                   help="NCC a window needs to be a hit, -1..1 (default: 0.6)")
    p.add_argument("--nms-threshold", type=float, default=0.3,
                   help="IoU above which a weaker hit is suppressed (default: 0.3)")
    p.add_argument("--plan", action="store_true",
                   help="print the windows per pyramid level and the model calls; run nothing")
    p.add_argument("--animate", metavar="OUT.gif",
                   help="also write the sliding window as an animation")
    p.add_argument("--trace", default="detections.json",
                   help="JSON file of the detections and their trace (default: "
                   "detections.json)")
    p.add_argument("--lang", choices=("en", "es"), default="en",
                   help="language of titles and labels (default: en)")
    p.add_argument("-o", "--out", default="detections.png",
                   help="output file (default: detections.png)")
    p.add_argument("--dpi", type=int, default=100, help="resolution of the figure (default: 100)")
    p.set_defaults(func=cmd_detect)


def read_template(value: str, image: np.ndarray) -> np.ndarray:
    """``--template``: a file, a ``.npy`` array or a crop ``x,y,width,height`` of ``image``.

    Examples
    --------
    >>> read_template("1,0,2,3", np.arange(20.0).reshape(4, 5)).tolist()
    [[1.0, 2.0], [6.0, 7.0], [11.0, 12.0]]
    """
    parts = value.split(",")
    if len(parts) == 4 and all(p.strip().lstrip("-").isdigit() for p in parts):
        x, y, w, h = (int(p) for p in parts)
        if w < 1 or h < 1 or x < 0 or y < 0 or x + w > image.shape[1] or y + h > image.shape[0]:
            raise UsageError(f"--template crop {value!r} must lie inside IMAGE "
                             f"({image.shape[1]} wide, {image.shape[0]} high)")
        return image[y:y + h, x:x + w].copy()
    if value.lower().endswith(".npy"):
        patch = load_npy(value, "--template").astype(np.float64)
    else:
        if not Path(value).exists():
            raise UsageError(f"--template '{value}': no such file, and not a crop "
                             f"'x,y,width,height'")
        patch, _ = read_image(value)
    if patch.ndim == 3:
        patch = patch.mean(axis=2)
    if patch.ndim != 2:
        raise UsageError(f"--template must be a 2-D patch, got shape {patch.shape}")
    return patch


def _write_json(path: str, record: dict) -> Path:
    from ..viz.output import atomic_write

    text_ = json.dumps(record, indent=1)
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text_))


def cmd_detect(args: argparse.Namespace) -> int:
    from ..detect import detect_template, planted_scene
    from ..detect import plan as dry_run
    from ..viz.common import format_shape, format_value
    from ..viz.i18n import text
    from ..viz.output import save_figure

    truth = None
    if args.planted:
        if args.image is not None:
            raise UsageError("give IMAGE or --planted, not both")
        image, template, truth = planted_scene(seed=args.seed)
        if args.template is not None:
            raise UsageError("--planted makes its own template; drop --template")
    else:
        if args.image is None or args.template is None:
            raise UsageError("give IMAGE and --template PATCH, or --planted")
        image, _ = read_image(args.image)
        template = read_template(args.template, image)
    if args.step < 1:
        raise UsageError(f"--step must be a positive integer, got {args.step}")
    if not args.scale > 1:
        raise UsageError(f"--scale must be greater than 1, got {args.scale}")
    if args.plan:
        report = dry_run(image.shape, size=template.shape, step=args.step, scale=args.scale,
                         min_size=(template.shape[1], template.shape[0]))
        print(report, flush=True)
        return EXIT_OK
    found = detect_template(image, template, scale=args.scale, step=args.step,
                            threshold=args.threshold, nms_threshold=args.nms_threshold)
    levels = len(set(found.trace.level.tolist())) if len(found.trace.level) else 0
    print(text("det.found", args.lang, count=len(found), shape=format_shape(template.shape),
               levels=levels), flush=True)
    kept = found.trace.fate == "kept"
    for box, score, level in zip(found.boxes, found.scores, found.trace.level[kept][
            np.argsort(found.trace.into[kept])], strict=True):
        print(text("det.found_box", args.lang, box=[round(float(v), 1) for v in box],
                   score=format_value(float(score), 3), level=int(level)), flush=True)
    from ..viz.detection import show_detections

    fig = show_detections(image, found, truth=truth, lang=args.lang)
    path = save_figure(fig, args.out, dpi=args.dpi)
    print(text("cli.wrote", args.lang, path=path), flush=True)
    record = found.as_dict()
    if truth is not None:
        record["planted"] = truth.tolist()
    print(text("cli.wrote", args.lang, path=_write_json(args.trace, record)), flush=True)
    if args.animate:
        from ..viz.detection_animation import animate_detection

        animation = animate_detection(image, template, step=max(args.step, 4), scale=args.scale,
                                      threshold=args.threshold,
                                      nms_threshold=args.nms_threshold, lang=args.lang)
        print(text("cli.wrote", args.lang, path=animation.save(args.animate)), flush=True)
    return EXIT_OK
