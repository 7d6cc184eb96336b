"""Reading image files: :func:`load_image` and the conventions it follows.

Every image comes out as float32 in [0, 1], grayscale ``(H, W)`` or RGB
``(H, W, 3)``, whatever the file's mode, bit depth, transparency or EXIF
orientation. Pillow is imported the first time a file is read, so importing
this module loads only NumPy.
"""

from __future__ import annotations

import errno
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ._common import as_int

__all__ = ["DEFAULT_MAX_PIXELS", "LUMA_WEIGHTS", "load_image"]

#: Largest image, in pixels (height x width), that :func:`load_image` decodes
#: by default: Pillow's own warning threshold (``PIL.Image.MAX_IMAGE_PIXELS``).
#: Larger files are refused before their pixels are decoded.
DEFAULT_MAX_PIXELS = 89_478_485
# Pixels converted to float at a time: the float copies never exceed this band, so loading
# costs the decoded samples and the result, not several float copies of the whole image.
_BAND_PIXELS = 1 << 18

#: Weights of R, G and B in a pixel's gray value: the ITU-R BT.601 luma, which
#: Pillow's ``convert("L")``, libjpeg and ``tf.image.rgb_to_grayscale`` use, so
#: a grayscale image here matches the course's.
LUMA_WEIGHTS: tuple[float, float, float] = (0.299, 0.587, 0.114)

# Scale factors of 8-bit and 16-bit samples, as ``tf.image.convert_image_dtype``
# computes them: the float32 nearest 1/255 (1/65535), by which samples are
# *multiplied*. Dividing by 255 instead differs by one ulp on about half of the
# byte values (3/255, 6/255, 7/255, ...), so images would not match the course's.
_SCALE_8_BIT = np.float32(1 / 255)
_SCALE_16_BIT = np.float32(1 / 65535)


def _decoded(image: Any) -> tuple[np.ndarray, str]:
    """The decoded samples of a loaded Pillow image, in the file's own dtype, and how to
    scale them (one of ``"8"``, ``"16"``, ``"I"``, ``"F"``): no float copy yet."""
    mode = image.mode
    if mode == "1":
        return np.asarray(image.convert("L")), "8"
    if mode.startswith("I;16"):
        return np.asarray(image), "16"
    if mode == "I":
        return np.asarray(image), "I"
    if mode == "F":
        return np.asarray(image), "F"
    if mode in ("L", "RGB", "RGBA", "LA"):
        return np.asarray(image), "8"
    if mode in ("P", "PA", "RGBa", "La"):
        # Palette (maybe with a transparent colour) and premultiplied alpha.
        return np.asarray(image.convert("RGBA")), "8"
    # CMYK, YCbCr, LAB, HSV, RGBX, ...: Pillow knows how to make RGB of them.
    return np.asarray(image.convert("RGB")), "8"


def _float_range(samples: np.ndarray, file: Path) -> tuple[float, float]:
    """Minimum and maximum of a float image, refusing infinities (a corrupt or unscaled
    file: no rescaling of it would mean anything)."""
    if np.isinf(samples).any():
        raise ValueError(f"cannot read image '{file}': the float image holds infinite values, "
                         f"which have no place in [0, 1]")
    finite = samples[np.isfinite(samples)] if np.isnan(samples).any() else samples
    if finite.size == 0:
        return 0.0, 0.0
    return float(finite.min()), float(finite.max())


def _in_unit_range(samples: np.ndarray, scale: str, low: float, high: float) -> np.ndarray:
    """Rows of decoded samples as float32 in [0, 1], (rows, W) or (rows, W, 3|4)."""
    if scale == "8":
        return samples.astype(np.float32) * _SCALE_8_BIT
    if scale == "16":
        return samples.astype(np.float32) * _SCALE_16_BIT
    if scale == "I":
        # Pillow's 32-bit integer mode; in practice it holds 16-bit samples.
        return np.clip(samples.astype(np.float32) * _SCALE_16_BIT, 0, 1)
    pixels = samples.astype(np.float32)
    if low < 0 or high > 1:
        span = high - low
        pixels = (pixels - low) / np.float32(span) if span > 0 else np.zeros_like(pixels)
    return np.nan_to_num(pixels, nan=0.0)


def _to_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    """Composite any alpha on white, then give 1 (luma) or 3 channels."""
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4):
        alpha = pixels[..., -1:]
        pixels = pixels[..., :-1] * alpha + (np.float32(1) - alpha)
        if pixels.shape[2] == 1:
            pixels = pixels[..., 0]
    if channels == 1:
        if pixels.ndim == 3:
            pixels = pixels @ np.array(LUMA_WEIGHTS, dtype=np.float32)
    elif pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return np.ascontiguousarray(np.clip(pixels, 0, 1), dtype=np.float32)


class _TooLarge(Exception):
    """Internal signal: the header announces more pixels than allowed."""


def load_image(
    path: str | os.PathLike[str],
    channels: int = 1,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Read an image file into a float32 array in [0, 1].

    Parameters
    ----------
    path : str or os.PathLike
        A PNG, JPEG, GIF, BMP, TIFF, WebP... file (anything Pillow reads).
        Multi-frame files give their first frame.
    channels : {1, 3}, optional
        1 (default) gives a grayscale ``(H, W)`` image, 3 an RGB
        ``(H, W, 3)`` image.
    max_pixels : int, optional
        Refuse images with more than this many pixels (``H * W``), before
        decoding them. Default :data:`DEFAULT_MAX_PIXELS` (89,478,485, Pillow's
        own warning threshold).

    Returns
    -------
    image : ndarray of float32
        Shape ``(H, W)`` or ``(H, W, 3)``, values in [0, 1], C-contiguous.

    Raises
    ------
    FileNotFoundError
        If nothing exists at `path` (the message names it).
    ValueError
        If `channels` is not 1 or 3, if the file is not a regular file, is
        not an image Pillow can read, is truncated or corrupt, or is larger
        than `max_pixels` (or than Pillow's own decompression-bomb limit);
        the message names the path and the reason.

    Notes
    -----
    * The EXIF orientation tag is applied, so a portrait photo taken with
      a rotated camera comes out upright (and with its shape swapped).
    * 8-bit samples are multiplied by ``float32(1 / 255)``, 16-bit ones
      (``I;16`` and ``I`` modes) by ``float32(1 / 65535)``, as
      ``tf.image.convert_image_dtype`` does, so the values equal the
      course's bit for bit (dividing by 255 would differ by one ulp on
      about half of the byte values). Float (``F``) images already in [0, 1] are kept,
      others are rescaled from their minimum and maximum to [0, 1]; NaN
      becomes 0, and a float image holding ``inf`` or ``-inf`` is refused
      (ValueError).
    * A PNG whose chunks are cut short or fail their checksum is refused,
      even where the pixels decoded so far would fill the image.
    * Memory: the decoded samples in their own dtype, the float32 result,
      and float copies of one band of rows at a time.
    * Transparency (RGBA, LA, palette with a transparent colour) is
      composited on a **white** background, the way a viewer shows it, and
      the alpha channel is dropped.
    * Palette, CMYK, YCbCr and other modes are converted to RGB by Pillow.
    * Grayscale from colour uses the ITU-R BT.601 luma
      ``0.299 R + 0.587 G + 0.114 B`` (:data:`LUMA_WEIGHTS`, as Pillow,
      libjpeg and ``tf.image.rgb_to_grayscale`` do), computed in float.
    * Pillow refuses files beyond twice ``PIL.Image.MAX_IMAGE_PIXELS``
      (about 179 megapixels by default) whatever `max_pixels` says; its
      warning below that limit is silenced, `max_pixels` decides.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> image = vd.load_image(vd.sample_path("camera"))
    >>> image.shape, image.dtype
    ((512, 512), dtype('float32'))
    >>> vd.load_image(vd.sample_path("camera"), channels=3).shape
    (512, 512, 3)
    """
    if isinstance(channels, bool) or channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3, got {channels!r}")
    limit = as_int(max_pixels, "max_pixels")
    if limit < 1:
        raise ValueError(f"`max_pixels` must be a positive integer, got {max_pixels!r}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a str or os.PathLike, got {type(path).__name__}")
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(errno.ENOENT, "no image file at this path", str(file))
    # A FIFO or a device would block or never end: read regular files only.
    if not file.is_file():
        raise ValueError(f"cannot read image '{file}': not a regular file")

    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as opened:
                width, height = opened.size
                if width * height > limit:
                    raise _TooLarge(
                        f"cannot read image '{file}': {height}x{width} = {width * height} "
                        f"pixels is more than `max_pixels` = {limit}"
                    )
                if opened.format == "PNG":
                    _verify_png(file)
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                samples, scale = _decoded(upright)
                del upright
    except _TooLarge as exc:
        raise ValueError(str(exc)) from None
    except FileNotFoundError:  # removed between the check above and the read
        raise FileNotFoundError(errno.ENOENT, "no image file at this path", str(file)) from None
    except Image.DecompressionBombError as exc:
        raise ValueError(f"cannot read image '{file}': too large, {exc}") from None
    except Image.UnidentifiedImageError:
        raise ValueError(
            f"cannot read image '{file}': not an image format Pillow recognises"
        ) from None
    except MemoryError:
        raise
    except Exception as exc:  # decoders raise OSError, SyntaxError, struct.error...
        reason = str(exc) or type(exc).__name__
        raise ValueError(f"cannot read image '{file}': {reason}") from exc
    low, high = _float_range(samples, file) if scale == "F" else (0.0, 1.0)
    height, width = samples.shape[:2]
    out = np.empty((height, width) if channels == 1 else (height, width, 3), dtype=np.float32)
    band = max(1, _BAND_PIXELS // max(width, 1))
    for top in range(0, height, band):
        rows = _in_unit_range(samples[top:top + band], scale, low, high)
        out[top:top + band] = _to_channels(rows, channels)
    return out


def _verify_png(file: Path) -> None:
    """Pillow's structural check of a PNG (every chunk whole, checksums right, up to IEND);
    raises what Pillow raises on a truncated or corrupt file."""
    from PIL import Image

    with Image.open(file) as probe:
        probe.verify()
