"""``python -m baas`` is the ``baas`` command."""

import sys

from baas.cli import main

sys.exit(main())
