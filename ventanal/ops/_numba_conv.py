"""numba kernels for convolution (imported on first use, never by ``import ventanal``)."""
