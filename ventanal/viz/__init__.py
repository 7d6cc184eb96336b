"""Figures and animations of sliding windows (matplotlib for figures, Pillow for GIFs).

Every figure function returns its :class:`matplotlib.figure.Figure` and
takes ``lang="en"`` or ``"es"``; :func:`animate` returns an
:class:`Animation` (a GIF). Nothing here is imported by ``import ventanal``;
matplotlib and Pillow load on the first call.

The figures are pyplot figures, made as ``plt.figure()`` makes them: after
``show_extraction(...)``, ``plt.show()`` shows it and ``plt.savefig(...)``
saves it, Jupyter shows it once, and ``plt.close(fig)`` frees it (close the
figures a loop makes). A figure passed as ``fig=`` (or axes as ``ax=``) is
drawn into instead, and one made with ``matplotlib.figure.Figure()`` stays
out of pyplot. Every text is fitted to its room (shrunk, then wrapped), so
nothing is cut at narrow sizes or in Spanish.

One module per topic, each pairing its numbers with its figure:

===================  ========================================================
``kernel``           :func:`show_kernel`
``extraction``       :func:`show_extraction`
``shapes``           :func:`shape_table` (no matplotlib), :func:`show_shapes`
``invariance``       :func:`show_invariance`; its numbers in
                     ``invariance_measure`` (no matplotlib):
                     :func:`shared_activity`, :func:`invariance_experiment`,
                     :func:`format_invariance_table`
``fields``           :func:`receptive_fields`, :func:`format_field_table`
                     (no matplotlib), :func:`show_receptive_field`
``feature_maps``     :func:`show_feature_maps`
``animate``          :func:`animate`, :class:`Animation`
``animation_cases``  :data:`CASES`, :func:`animate_case`
``detection``        :func:`show_detections`, :func:`show_nms`,
                     :func:`show_plan`, :func:`show_score_map`; in
                     ``detection_animation``, :func:`animate_detection`
===================  ========================================================

Shared helpers: ``common`` (labels, input checks), ``output`` (files written
atomically, a progress bar), ``drawing`` (colour maps, font sizes, a new
figure, texts fitted to their room), ``figure`` (the pyplot figure class
that Jupyter shows once), ``palette`` and ``painter`` (the GIFs' colours,
fonts and frames), ``i18n`` (every label in English and Spanish).
"""

from .animate import Animation, animate
from .animation_cases import CASES, animate_case
from .detection import show_detections, show_nms, show_plan, show_score_map
from .detection_animation import animate_detection
from .extraction import show_extraction
from .feature_maps import show_feature_maps
from .fields import format_field_table, receptive_fields, show_receptive_field
from .invariance import (
    format_invariance_table,
    invariance_experiment,
    shared_activity,
    show_invariance,
)
from .kernel import show_kernel
from .shapes import shape_table, show_shapes

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
    "format_field_table",
    "invariance_experiment",
    "shared_activity",
    "format_invariance_table",
    "show_detections",
    "show_nms",
    "show_plan",
    "show_score_map",
    "animate_detection",
]
