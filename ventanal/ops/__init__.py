"""Array in, array out: pooling, convolution and activations, each planned by geometry."""

from .activations import relu
from .conv import conv
from .pool import avg_pool, global_pool, max_pool, pool

__all__ = ["pool", "max_pool", "avg_pool", "global_pool", "conv", "relu"]
