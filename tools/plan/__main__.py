"""`python -m tools.plan`: see tools/plan/cli.py."""

from tools.plan.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
