"""`python -m tools.preflight`: see tools/preflight/cli.py."""

import sys

from tools.preflight.cli import main

if __name__ == "__main__":
    sys.exit(main())
