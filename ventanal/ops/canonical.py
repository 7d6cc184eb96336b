"""One layout for every fast kernel: C-contiguous ``(batch, D, H, W, C)`` and the way back.

Kernels want C-contiguous rows. A channels-last array is used as it is; an array whose memory
is channels-first (``NCHW``, moved to channels-last by ``Layout``) is seen as ``B*C``
single-channel planes, which is contiguous too. Anything else is copied once. 1-D and 2-D
problems are lifted to three spatial axes with windows of one tap.
"""

from __future__ import annotations

import numpy as np

from .. import geometry
from .memory import empty

__all__ = ["Canonical", "SPATIAL_AXES"]

# The kernels are written for three spatial axes (D, H, W).
SPATIAL_AXES = 3


class Canonical:
    """A channels-last input as C-contiguous ``(batch, D, H, W, C)`` and the way back.

    ``planes`` is True when a channels-first array was reinterpreted as ``batch*C``
    single-channel planes; :meth:`empty` then allocates the output channels-first too and
    :meth:`result` returns it as a channels-last view, which ``Layout`` moves back for free.
    ``axes`` are the plan's, lifted to three; ``geo`` is their table
    (:meth:`ventanal.geometry.WindowPlan.table`), which the numba kernels take.

    Examples
    --------
    >>> x = np.zeros((2, 6, 6, 3))
    >>> job = Canonical(x, geometry.plan((6, 6), 2, 2))
    >>> job.rows.shape, job.out_shape5, job.planes
    ((2, 1, 6, 6, 3), (2, 1, 3, 3, 3), False)
    >>> Canonical(np.moveaxis(np.zeros((2, 3, 6, 6)), 1, -1), geometry.plan((6, 6), 2)).planes
    True
    """

    def __init__(self, x: np.ndarray, plan: geometry.WindowPlan):
        self.batch, self.channels = x.shape[0], x.shape[-1]
        self.spatial = x.shape[1:-1]
        self.output = plan.output_shape
        self.planes = False
        if not x.flags.c_contiguous:
            moved = np.moveaxis(x, -1, 1)
            if moved.flags.c_contiguous:
                self.planes = True
                x = moved
            else:
                x = np.ascontiguousarray(x)
        self.plan = plan.lifted(SPATIAL_AXES)
        self.axes = self.plan.axes
        D, H, W = self.plan.input_shape
        C = 1 if self.planes else self.channels
        self.rows = x.reshape(-1, D, H, W, C)
        self.geo = self.plan.table()

    @property
    def out_shape5(self) -> tuple[int, ...]:
        return (self.rows.shape[0],) + self.plan.output_shape + (self.rows.shape[-1],)

    def empty(self, dtype) -> np.ndarray:
        """The output, ``(batch', Do, Ho, Wo, C')``, uninitialised."""
        return empty(self.out_shape5, dtype)

    def result(self, out5: np.ndarray) -> np.ndarray:
        """``out5`` as the channels-last output ``(batch, *output, channels)``."""
        if self.planes:
            return np.moveaxis(out5.reshape((self.batch, self.channels) + self.output), 1, -1)
        return out5.reshape((self.batch,) + self.output + (self.channels,))
