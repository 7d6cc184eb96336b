"""Render ``street.jpg``, the synthetic street scene bundled with ventanal.

No public-domain street photograph could be found among the packages this
project can install, so the sample is drawn here, deterministically (fixed
seed, fixed geometry): sky, buildings with windows, trees, lamp posts, a
sidewalk and a road with cars at two scales (far and near lane), three
parked cars and a bus. It is meant for sliding-window and pyramid
demonstrations: the objects are car-shaped drawings with wheels and windows,
not photographs. Released under CC0 1.0 by the ventanal developers.

Run from the repository root to regenerate the file::

    python ventanal/data/samples/_make_street.py

Pillow and NumPy are the only requirements. Importing this module does
nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 512, 320
SUPERSAMPLE = 3  # drawn large, then shrunk with Lanczos, for smooth edges
SEED = 20240611

# Car silhouettes in profile, in units of the car's length (x) and height (y),
# from the bottom left: body, then cabin (a trapezoid), then wheel centres.
_BODY = (0.0, 0.25, 1.0, 0.62)
_CABIN = ((0.22, 0.62), (0.32, 1.0), (0.68, 1.0), (0.80, 0.62))
_WHEELS = (0.20, 0.80)
_CAR_COLOURS = (
    (178, 34, 34),
    (30, 70, 150),
    (230, 230, 225),
    (40, 40, 45),
    (200, 160, 30),
    (110, 120, 130),
    (20, 110, 70),
    (160, 70, 20),
)


def _draw_car(draw, x: float, baseline: float, length: float, colour, facing_right: bool) -> None:
    """A car in profile with its wheels resting on `baseline`."""
    s = SUPERSAMPLE
    height = 0.36 * length

    def point(u: float, v: float) -> tuple[float, float]:
        if not facing_right:
            u = 1 - u
        return ((x + u * length) * s, (baseline - v * height) * s)

    # shadow under the car
    draw.ellipse(
        [x * s, (baseline - 0.06 * height) * s, (x + length) * s, (baseline + 0.1 * height) * s],
        fill=(35, 35, 38),
    )
    left, bottom = point(_BODY[0], _BODY[1])
    right, top = point(_BODY[2], _BODY[3])
    draw.rounded_rectangle(
        [min(left, right), top, max(left, right), bottom], radius=0.1 * height * s, fill=colour
    )
    draw.polygon([point(u, v) for u, v in _CABIN], fill=colour)
    # windows: the cabin shrunk, split by a pillar
    window = [(0.26, 0.66), (0.345, 0.94), (0.655, 0.94), (0.755, 0.66)]
    draw.polygon([point(u, v) for u, v in window], fill=(150, 185, 210))
    draw.line(
        [point(0.5, 0.66), point(0.5, 0.94)], fill=colour, width=max(1, int(0.04 * height * s))
    )
    # lights
    front, back = (0.97, 0.03) if facing_right else (0.03, 0.97)
    radius = 0.05 * height * s
    for u, light in ((front, (250, 245, 200)), (back, (200, 30, 30))):
        cx, cy = point(u if facing_right else 1 - u, 0.5)
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=light)
    # wheels
    wheel = 0.22 * height * s
    for u in _WHEELS:
        cx, cy = point(u, 0.22)
        draw.ellipse([cx - wheel, cy - wheel, cx + wheel, cy + wheel], fill=(20, 20, 20))
        hub = 0.45 * wheel
        draw.ellipse([cx - hub, cy - hub, cx + hub, cy + hub], fill=(170, 170, 175))


def _draw_bus(draw, x: float, baseline: float, length: float) -> None:
    s = SUPERSAMPLE
    height = 0.3 * length
    draw.ellipse(
        [x * s, (baseline - 0.04 * height) * s, (x + length) * s, (baseline + 0.06 * height) * s],
        fill=(35, 35, 38),
    )
    draw.rounded_rectangle(
        [x * s, (baseline - height) * s, (x + length) * s, (baseline - 0.12 * height) * s],
        radius=0.08 * height * s,
        fill=(235, 180, 20),
    )
    for k in range(7):
        left = x + (0.06 + k * 0.125) * length
        draw.rectangle(
            [
                left * s,
                (baseline - 0.9 * height) * s,
                (left + 0.1 * length) * s,
                (baseline - 0.55 * height) * s,
            ],
            fill=(140, 175, 200),
        )
    wheel = 0.14 * height * s
    for u in (0.15, 0.82):
        cx, cy = (x + u * length) * s, (baseline - 0.12 * height) * s
        draw.ellipse([cx - wheel, cy - wheel, cx + wheel, cy + wheel], fill=(20, 20, 20))
        hub = 0.45 * wheel
        draw.ellipse([cx - hub, cy - hub, cx + hub, cy + hub], fill=(170, 170, 175))


def render() -> np.ndarray:
    """The street scene as a (320, 512, 3) uint8 array."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(SEED)
    s = SUPERSAMPLE
    kerb, road_top = 196, 204

    # sky: a vertical gradient, light near the horizon
    t = np.linspace(0, 1, kerb * s)[:, None, None]
    sky = (1 - t) * np.array([110, 160, 215]) + t * np.array([200, 220, 235])
    canvas = np.zeros((HEIGHT * s, WIDTH * s, 3))
    canvas[: kerb * s] = sky
    image = Image.fromarray(canvas.astype(np.uint8))
    draw = ImageDraw.Draw(image)

    # buildings with a grid of windows
    x = -10
    while x < WIDTH:
        width = int(rng.integers(45, 95))
        top = int(rng.integers(35, 120))
        shade = rng.integers(90, 190)
        tint = np.array([1.0, 0.9, 0.8]) if rng.random() < 0.5 else np.array([0.85, 0.88, 0.95])
        colour = tuple(int(c) for c in np.clip(shade * tint, 0, 255))
        draw.rectangle([x * s, top * s, (x + width) * s, kerb * s], fill=colour)
        for wy in range(top + 8, kerb - 22, 18):
            for wx in range(x + 6, x + width - 10, 14):
                lit = rng.random() < 0.25
                draw.rectangle(
                    [wx * s, wy * s, (wx + 8) * s, (wy + 10) * s],
                    fill=(240, 220, 150) if lit else (60, 70, 85),
                )
        x += width + int(rng.integers(0, 6))

    # sidewalk and kerb
    draw.rectangle([0, kerb * s, WIDTH * s, road_top * s], fill=(175, 172, 165))
    draw.rectangle([0, road_top * s - 2 * s, WIDTH * s, road_top * s], fill=(120, 118, 112))

    # trees and lamp posts on the sidewalk
    for tx in (40, 205, 370, 480):
        draw.rectangle([(tx - 2) * s, 160 * s, (tx + 2) * s, (kerb + 4) * s], fill=(90, 60, 35))
        draw.ellipse([(tx - 18) * s, 120 * s, (tx + 18) * s, 168 * s], fill=(50, 120, 55))
    for lx in (120, 290, 440):
        draw.rectangle([(lx - 1) * s, 110 * s, (lx + 1) * s, (kerb + 3) * s], fill=(50, 50, 55))
        draw.rectangle([(lx - 1) * s, 110 * s, (lx + 10) * s, 113 * s], fill=(50, 50, 55))
        draw.ellipse([(lx + 6) * s, 111 * s, (lx + 13) * s, 117 * s], fill=(250, 240, 190))

    # road with a dashed centre line
    draw.rectangle([0, road_top * s, WIDTH * s, HEIGHT * s], fill=(72, 72, 76))
    for dx in range(0, WIDTH, 48):
        draw.rectangle([dx * s, 256 * s, (dx + 26) * s, 259 * s], fill=(235, 235, 230))

    # far lane: small cars driving left, and a bus
    colours = list(_CAR_COLOURS)
    rng.shuffle(colours)
    for k, (cx, length) in enumerate(((8, 62), (150, 58), (300, 66), (440, 60))):
        _draw_car(draw, cx, 246, length, colours[k % len(colours)], facing_right=False)
    _draw_bus(draw, 210, 248, 84)
    # near lane: bigger cars driving right (the same lane seen closer)
    for k, (cx, length) in enumerate(((-30, 128), (118, 120), (262, 136), (418, 124))):
        _draw_car(draw, cx, 306, length, colours[(k + 4) % len(colours)], facing_right=True)
    # three small cars parked along the far kerb
    _draw_car(draw, 470, 220, 52, colours[3], facing_right=True)
    _draw_car(draw, 80, 220, 50, colours[6], facing_right=False)
    _draw_car(draw, 340, 220, 54, colours[1], facing_right=True)

    small = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    small = small.filter(ImageFilter.GaussianBlur(0.5))
    pixels = np.asarray(small, dtype=np.float64)
    pixels += rng.normal(0, 3.0, size=pixels.shape)  # sensor-like grain
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def main() -> None:
    from PIL import Image

    out = Path(__file__).with_name("street.jpg")
    Image.fromarray(render()).save(out, quality=85, optimize=True)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
