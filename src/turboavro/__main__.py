"""``python -m turboavro``: the command line (see :mod:`turboavro.cli`)."""
import sys

from .cli import main

sys.exit(main())
