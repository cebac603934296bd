"""``python -m prisma_abu.cli``: the same as ``prisma-abu``."""

import sys

from . import main

sys.exit(main())
