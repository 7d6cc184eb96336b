"""Shared test settings.

* TensorFlow is silenced before any test module imports it.
* Hypothesis profile ``ci`` (loaded by default; choose another with ``HYPOTHESIS_PROFILE``):
  no per-example deadline (the first call of a framework kernel can take a second), random
  (not derandomized) exploration, and the reproduction blob printed on failure. Each property
  test sets its own ``max_examples``; those counts are the floor of every run.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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
