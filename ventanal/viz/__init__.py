"""Figures and animations of sliding windows (matplotlib for figures, Pillow for GIFs).

Every figure function returns its :class:`matplotlib.figure.Figure` and
takes ``lang="en"`` or ``"es"``; :func:`animate` returns an
:class:`Animation` (a GIF). Nothing here is imported by ``import ventanal``;
matplotlib and Pillow load on the first call.

Figures: :func:`show_kernel`, :func:`show_extraction`.
"""

from .animate import CASES, Animation, animate, animate_case
from .figures import show_extraction, show_kernel, show_shapes

__all__ = ["show_kernel", "show_extraction", "show_shapes", "animate", "animate_case", "Animation", "CASES"]
