"""Figures and animations of sliding windows (matplotlib for figures, Pillow for GIFs).

Every figure function returns its :class:`matplotlib.figure.Figure` and
takes ``lang="en"`` or ``"es"``; :func:`animate` returns an
:class:`Animation` (a GIF). Nothing here is imported by ``import ventanal``;
matplotlib and Pillow load on the first call.

Figures
    :func:`show_kernel`, :func:`show_extraction`, :func:`show_shapes`,
    :func:`show_invariance`, :func:`show_receptive_field`,
    :func:`show_feature_maps`.
Animations
    :func:`animate`, :func:`animate_case` and :data:`CASES`.
The numbers behind them (no matplotlib)
    :func:`shape_table`, :func:`receptive_fields`,
    :func:`invariance_experiment`, :func:`parse_layers`.
"""

from .animate import CASES, Animation, animate, animate_case
from .figures import (
    show_extraction,
    show_feature_maps,
    show_invariance,
    show_kernel,
    show_receptive_field,
    show_shapes,
)
from .tables import invariance_experiment, parse_layers, receptive_fields, shape_table

__all__ = [
    "show_kernel",
    "show_extraction",
    "show_shapes",
    "show_invariance",
    "show_receptive_field",
    "show_feature_maps",
    "animate",
    "animate_case",
    "Animation",
    "CASES",
    "shape_table",
    "receptive_fields",
    "invariance_experiment",
    "parse_layers",
]
