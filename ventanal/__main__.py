"""``python -m ventanal``: the same command as ``ventanal``."""

import sys

from .cli import main

sys.exit(main())
