"""The sample photos bundled with ventanal: their names, files and pixels.

The files live in ``ventanal/data/samples/`` (package data, shipped in the
wheel), with their sources and licences in ``LICENSES.md`` beside them.
"""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np

from ._common import choice_error
from .loader import load_image

__all__ = ["SAMPLES", "SAMPLES_DIR", "sample", "sample_names", "sample_path"]

#: Folder of the bundled sample files, inside the installed package.
SAMPLES_DIR = Path(__file__).with_name("samples")

#: Read-only mapping from sample name to ``(file name, description)``.
#: Sources and licences are in ``ventanal/data/samples/LICENSES.md``.
SAMPLES: types.MappingProxyType[str, tuple[str, str]] = types.MappingProxyType(
    {
        "camera": ("camera.jpg", "Man with a camera on a tripod, grayscale, 512x512."),
        "astronaut": ("astronaut.jpg", "Astronaut Eileen Collins, NASA portrait, 512x512."),
        "coffee": ("coffee.jpg", "A cup of coffee on a wooden table, 341x512."),
        "chelsea": ("chelsea.jpg", "Chelsea the cat, 300x451."),
        "rocket": ("rocket.jpg", "Falcon 9 launch on its pad, 342x512."),
        "hubble": ("hubble.jpg", "Hubble eXtreme Deep Field, galaxies at many scales, 446x512."),
        "street": (
            "street.jpg",
            "Synthetic street scene with cars at two scales and a bus (drawn, not a photo), "
            "320x512.",
        ),
    }
)


def sample_names() -> tuple[str, ...]:
    """Names of the bundled sample photos, for :func:`sample`.

    Returns
    -------
    names : tuple of str
        The keys of :data:`SAMPLES`, in its order.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> "camera" in vd.sample_names()
    True
    """
    return tuple(SAMPLES)


def sample_path(name: str) -> Path:
    """Path of a bundled sample photo's file.

    Parameters
    ----------
    name : str
        One of :func:`sample_names`.

    Returns
    -------
    path : pathlib.Path
        The file inside the installed package (``ventanal/data/samples/``). This
        assumes the package is installed as files on disk (the usual case,
        wheels and editable installs alike), not imported from a zip archive.

    Raises
    ------
    ValueError
        If `name` is not a key of :data:`SAMPLES`, spelled exactly; the
        message lists them.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.sample_path("camera").name
    'camera.jpg'
    """
    if not isinstance(name, str) or name not in SAMPLES:
        raise choice_error(name, SAMPLES, "name")
    return SAMPLES_DIR / SAMPLES[name][0]


def sample(name: str, channels: int = 3) -> np.ndarray:
    """A bundled sample photo as a float32 array in [0, 1].

    Parameters
    ----------
    name : str
        One of :func:`sample_names`.
    channels : {3, 1}, optional
        3 (default) for RGB ``(H, W, 3)``, 1 for grayscale ``(H, W)``.

    Returns
    -------
    image : ndarray of float32

    See Also
    --------
    load_image : the loader used, with its conventions.

    Examples
    --------
    >>> import ventanal.data as vd
    >>> vd.sample("camera", channels=1).shape
    (512, 512)
    """
    return load_image(sample_path(name), channels=channels)
