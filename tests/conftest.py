"""Shared test settings.

* TensorFlow is silenced before any test module imports it, and its oneDNN kernels are turned
  on: TF's default depends on the CPU (on with AVX512-VNNI and newer, off on an AVX2-only AMD
  EPYC, say), and with them off TF has no channels-first CPU kernels and its Eigen 3-D pools
  shift SAME windows (docs/semantics.md §1.5). On, every machine tests against the same kernels.
* Hypothesis profile ``ci`` (loaded by default; choose another with ``HYPOTHESIS_PROFILE``):
  no per-example deadline (the first call of a framework kernel can take a second), random
  (not derandomized) exploration, and the reproduction blob printed on failure. Each property
  test sets its own ``max_examples``; those counts are the floor of every run.
* Every test ends by closing the pyplot figures it opened (ventanal's figures are pyplot
  figures, as ``plt.figure()`` makes them), so none leaks into the next test.
"""

from __future__ import annotations

import os
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the property tests then fail to import; the rest still runs
    pass
else:
    settings.register_profile(
        "ci",
        deadline=None,
        derandomize=False,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def close_figures():
    """Close every pyplot figure after each test (matplotlib is not imported for this)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
