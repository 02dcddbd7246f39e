"""``python -m chainrule``: the same as the ``chainrule`` command."""

import sys

from .cli.main import main

sys.exit(main())
