"""Doctests of ``ventanal/`` (run with ``--doctest-modules``) close the pyplot figures they open.

The examples of ``show_*`` make pyplot figures; closing them after each doctest keeps
one module's figures from piling up in the next (``tests/conftest.py`` does the same
for the tests).
"""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def close_doctest_figures(request):
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None and type(request.node).__name__ == "DoctestItem":
        pyplot.close("all")
