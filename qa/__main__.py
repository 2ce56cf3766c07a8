"""``python -m qa`` runs the CLI."""

import sys

from qa.cli import main

sys.exit(main())
