"""`python -m tools.plan`: see tools/plan/cli.py.

The cyclic garbage collector is off for this short-lived process: importing the SDKs creates a few hundred thousand
objects, and each full collection walks all of them again; about a third of the plan's CPU time went to collections
that freed a few megabytes (tools/bench/plan.py measures it). `cli.main` itself, which tests call in-process, leaves
the collector alone.
"""

import gc

gc.disable()

from tools.plan.cli import main  # noqa: E402  (after gc.disable: the imports are what the collector slows)

if __name__ == "__main__":
    raise SystemExit(main())
