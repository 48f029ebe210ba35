"""python -m tools.fleet plan|workflow: the fleet's offline plan or its GitHub Actions workflow (tools/fleet/cli.py)."""

import gc

gc.disable()  # as tools/plan/__main__.py: the imports are what the collector slows

from tools.fleet.cli import main  # noqa: E402

raise SystemExit(main())
