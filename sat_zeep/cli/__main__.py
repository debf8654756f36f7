"""``python -m sat_zeep.cli``: the same as the ``sat-zeep`` command."""

import sys

from . import main

sys.exit(main())
