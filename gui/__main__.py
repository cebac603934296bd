"""``python -m prisma_abu_gui``: the window."""

import sys

from .app import main

sys.exit(main())
