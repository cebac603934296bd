"""``python -m prisma_abu``: the same as ``prisma-abu``."""

import sys

from .cli import main

sys.exit(main())
