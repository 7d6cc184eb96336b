"""A corpus of hostile files, written into a directory the caller owns (a test's tmp_path).

Every file is made here, byte by byte or with Pillow/NumPy/h5py, so the corpus needs no
download and no file in the repository. Each entry says what ventanal must do with it:
``"ok"`` (it is a valid, if odd, file) or ``"refuse"`` (a ValueError naming the file, exit
status 2 from the command line), never a traceback, a hang or a giant allocation.

Run as a script to write the corpus into a directory and list it::

    python tests/hostile_files.py /tmp/corpus
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from support import keras_weights_h5

__all__ = ["Hostile", "image_corpus", "npy_corpus", "keras_corpus", "png_bytes"]


@dataclass(frozen=True)
class Hostile:
    path: Path
    expect: str       # "ok" or "refuse"
    why: str


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width: int, height: int, rows: bytes | None = None) -> bytes:
    """A grayscale 8-bit PNG written by hand; ``rows`` (filter bytes included) default to
    one zero row, so a huge ``width x height`` header costs a few bytes: a decompression bomb
    announced in its header."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(rows if rows is not None else b"\0" * (width + 1))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


def _small_png(rng: np.random.Generator) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray((rng.random((48, 40)) * 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def _small_jpeg(rng: np.random.Generator) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray((rng.random((48, 40, 3)) * 255).astype(np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def _float_tiff(values: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(values.astype(np.float32), mode="F").save(buffer, "TIFF")
    return buffer.getvalue()


def _written(directory: Path, files: dict[str, tuple[bytes, str, str]]) -> list[Hostile]:
    """Write ``name -> (bytes, expect, why)`` into ``directory``; the corpus entries."""
    out = []
    for name, (data, expect, why) in files.items():
        path = directory / name
        path.write_bytes(data)
        out.append(Hostile(path, expect, why))
    return out


def image_corpus(directory: Path, seed: int = 0) -> list[Hostile]:
    """Truncated, corrupt, bomb and odd images for :func:`ventanal.data.load_image`."""
    rng = np.random.default_rng(seed)
    png, jpeg = _small_png(rng), _small_jpeg(rng)
    # PNG: where the IDAT chunk ends (the pixel data's last bytes, then its CRC).
    idat_end = png.rindex(b"IEND") - 4
    jpeg_sof = jpeg.index(b"\xff\xc0")
    jpeg_bomb = bytearray(jpeg)
    jpeg_bomb[jpeg_sof + 5:jpeg_sof + 9] = struct.pack(">HH", 30000, 30000)   # height, width
    bad_crc = bytearray(png)
    bad_crc[idat_end - 1] ^= 0xFF
    inf = np.full((20, 30), 0.5)
    inf[3, 4] = np.inf
    minus_inf = np.full((20, 30), 2.0)
    minus_inf[0, 0] = -np.inf
    nan = np.linspace(0, 1, 600).reshape(20, 30)
    nan[5, 5] = np.nan
    files = {
        "valid.png": (png, "ok", "a plain 48x40 PNG"),
        "valid.jpg": (jpeg, "ok", "a plain 48x40 JPEG"),
        "nan.tif": (_float_tiff(nan), "ok", "a float TIFF with one NaN (read as 0)"),
        "truncated_half.png": (png[:len(png) // 2], "refuse", "PNG cut in half"),
        "truncated_idat_crc.png": (png[:idat_end + 2], "refuse",
                                   "PNG cut in its last chunk's checksum"),
        "no_iend.png": (png[:idat_end + 4], "refuse", "PNG without its IEND chunk"),
        "bad_crc.png": (bytes(bad_crc), "refuse", "PNG whose data fails its CRC"),
        "bomb_header.png": (png_bytes(10000, 10000), "refuse",
                            "10000x10000 PNG bomb: 100 megapixels in a 100-byte file"),
        "bomb_pillow.png": (png_bytes(20000, 20000), "refuse",
                            "20000x20000 PNG: past Pillow's own bomb limit"),
        "truncated.jpg": (jpeg[:len(jpeg) // 2], "refuse", "JPEG cut in half"),
        "bomb_header.jpg": (bytes(jpeg_bomb), "refuse", "JPEG whose header says 30000x30000"),
        "inf.tif": (_float_tiff(inf), "refuse", "float TIFF holding +inf"),
        "minus_inf.tif": (_float_tiff(minus_inf), "refuse", "float TIFF holding -inf"),
        "truncated.tif": (_float_tiff(nan)[:200], "refuse", "TIFF cut short"),
        "empty.png": (b"", "refuse", "an empty file"),
        "random.png": (rng.bytes(4096), "refuse", "random bytes named .png"),
        "text.jpg": (b"not an image\n" * 10, "refuse", "text named .jpg"),
        "gif_header_only.gif": (b"GIF89a\x10\x00\x10\x00", "refuse", "a GIF header alone"),
    }
    return _written(directory, files)


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (118 - len(text)) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


def npy_corpus(directory: Path) -> list[Hostile]:
    """``.npy`` files for the command line's IMAGE and ``--kernel`` arguments."""
    valid = io.BytesIO()
    np.save(valid, np.linspace(0, 1, 64).reshape(8, 8))
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    files = {
        "valid.npy": (valid.getvalue(), "ok", "an 8x8 float array"),
        "huge_header.npy": (_npy_header((100000, 100000)) + b"\0" * 64, "refuse",
                            "a header claiming 100000x100000 float64 (80 GB)"),
        "overflow_header.npy": (_npy_header((2 ** 40, 2 ** 40)), "refuse",
                                "a header whose size overflows int64"),
        "truncated.npy": (valid.getvalue()[:200], "refuse", "data cut short"),
        "pickle.npy": (pickled.getvalue(), "refuse", "an object array (pickle)"),
        "bad_magic.npy": (b"\x93NUMPX" + valid.getvalue()[6:], "refuse", "wrong magic"),
        "complex.npy": (_npy_header((4, 4), "<c16") + b"\0" * 256, "refuse",
                        "complex numbers"),
        "empty.npy": (b"", "refuse", "an empty file"),
    }
    return _written(directory, files)


def _conv_config(**extra) -> dict:
    return {"class_name": "Sequential", "config": {"name": "hostile", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 6, 6, 1],
                                                "name": "input_layer"}},
        {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 2,
                                            "kernel_size": [3, 3], "activation": None,
                                            "use_bias": False, **extra}}]}}


def _archive(path: Path, members: dict[str, bytes | str]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def keras_corpus(directory: Path) -> list[Hostile]:
    """``.keras`` archives and ``.h5`` files for :meth:`ventanal.Sequential.from_keras`.

    Needs h5py (the ``keras`` extra). ``oversized_weights.keras`` holds 4 MiB of weights that
    deflate to a few KiB: the test sets ``VENTANAL_MAX_MB=1`` to see it refused before
    inflating.
    """
    import h5py

    kernel = np.ones((3, 3, 1, 2), np.float32)
    good_weights = keras_weights_h5({"conv2d": [kernel]})
    config = json.dumps(_conv_config())
    deep = "[" * 100_000 + "]" * 100_000
    out = []

    def add(name: str, expect: str, why: str, members: dict | None = None,
            raw: bytes | None = None) -> None:
        path = directory / name
        if raw is not None:
            path.write_bytes(raw)
        else:
            _archive(path, members or {})
        out.append(Hostile(path, expect, why))

    add("valid.keras", "ok", "a 3x3 convolution", {"config.json": config,
                                                   "model.weights.h5": good_weights})
    add("no_config.keras", "refuse", "a zip without config.json",
        {"model.weights.h5": good_weights})
    add("not_json.keras", "refuse", "config.json is not JSON",
        {"config.json": "{not json", "model.weights.h5": good_weights})
    add("deep_json.keras", "refuse", "config.json nested 100000 deep (RecursionError)",
        {"config.json": deep, "model.weights.h5": good_weights})
    add("list_config.keras", "refuse", "config.json is a list (AttributeError)",
        {"config.json": "[1, 2, 3]", "model.weights.h5": good_weights})
    add("missing_keys.keras", "refuse", "layers without class_name (KeyError)",
        {"config.json": json.dumps({"class_name": "Sequential",
                                    "config": {"layers": [{"config": {}}]}}),
         "model.weights.h5": good_weights})
    add("huge_filters.keras", "refuse", "filters=2e7 in a 3x3 convolution",
        {"config.json": json.dumps(_conv_config(filters=20_000_000)),
         "model.weights.h5": good_weights})
    add("float_filters.keras", "refuse", "filters=2e7 as a float",
        {"config.json": json.dumps(_conv_config(filters=2e7)),
         "model.weights.h5": good_weights})
    add("garbage_weights.keras", "refuse", "model.weights.h5 is not HDF5",
        {"config.json": config, "model.weights.h5": b"\x89HDF\r\n" + b"\0" * 500})
    add("no_weights.keras", "refuse", "a zip without model.weights.h5", {"config.json": config})
    add("wrong_shape.keras", "refuse", "weights of the wrong shape",
        {"config.json": config,
         "model.weights.h5": keras_weights_h5({"conv2d": [np.ones((5, 5, 1, 2), np.float32)]})})
    add("string_weights.keras", "refuse", "weights that are strings",
        {"config.json": config,
         "model.weights.h5": keras_weights_h5({"conv2d": [np.array([b"abc", b"def"])]})})
    add("traversal.keras", "ok", "members named ../../etc/passwd besides a valid model",
        {"../../etc/passwd": "root", "/abs/path": "x", "config.json": config,
         "model.weights.h5": good_weights})
    add("oversized_weights.keras", "refuse", "4 MiB of weights deflating from a few KiB",
        {"config.json": config,
         "model.weights.h5": good_weights + b"\0" * (4 << 20)})
    valid = (directory / "valid.keras").read_bytes()
    corrupt = bytearray(valid)
    corrupt[len(corrupt) // 3:len(corrupt) // 3 + 64] = b"\xff" * 64
    add("corrupt_zip.keras", "refuse", "a zip with 64 bytes overwritten (zlib, CRC)",
        raw=bytes(corrupt))
    add("truncated_zip.keras", "refuse", "a zip cut in half", raw=valid[:len(valid) // 2])
    add("empty.keras", "refuse", "an empty file", raw=b"")
    add("garbage.h5", "refuse", "random bytes named .h5",
        raw=np.random.default_rng(1).bytes(2048))
    legacy = directory / "legacy_bad_config.h5"
    with h5py.File(legacy, "w") as store:
        store.attrs["model_config"] = "{not json"
    out.append(Hostile(legacy, "refuse", "legacy .h5 whose model_config is not JSON"))
    legacy = directory / "legacy_no_layers.h5"
    with h5py.File(legacy, "w") as store:
        store.attrs["model_config"] = config
    out.append(Hostile(legacy, "refuse", "legacy .h5 without layer weights (KeyError)"))
    return out


if __name__ == "__main__":  # pragma: no cover - a manual tool
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    target.mkdir(parents=True, exist_ok=True)
    for entry in image_corpus(target) + npy_corpus(target) + keras_corpus(target):
        print(f"{entry.expect:7} {entry.path.name:28} {entry.why}")
