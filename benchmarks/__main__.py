"""Entry point: ``python -m benchmarks [--only NAME[,NAME]] [--repeat N] [--quick] [--json PATH] [--threads N]
[--list]``."""

import sys

from .runner import main

sys.exit(main())
