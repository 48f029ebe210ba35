"""`python -m tools.smoke`: see tools/smoke/cli.py."""

import sys

from tools.smoke.cli import main

if __name__ == "__main__":
    sys.exit(main())
