"""``python -m ventanal.cli``: the same command as ``ventanal``."""

import sys

from . import main

sys.exit(main())
