"""``python -m nbhelpers.audit``: see :mod:`nbhelpers.audit.cli`."""

import sys

from .cli import main

sys.exit(main())
