"""The dynamic providers exactly as the program pickles them, taken from a whole-program run under mocks (beside the
harness it runs, tools/plan/offline.py; the capture and pool-drain tests and the capture bench use it).

Run as a module (`python -m tools.plan.program_pickle`) so the Pulumi mock runtime lives in its own process;
prints JSON {"provider", "cleanup_provider", "retention_provider", "drain_provider", "canary_provider": <base64 dill>,
"inputs": <the capture's>, "drain_inputs": <the first pool drain's>, "canary_inputs": <the image canary's>}.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from typing import Any

from components.common.project import PROJECT_ROOT


@cache
def program_capture() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "tools.plan.program_pickle"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the program run under mocks failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _main() -> None:
    from pulumi.runtime.rpc import unwrap_rpc_secret

    from components.canary.resource import CANARY_TYPE
    from components.capture.resource import CAPTURE_TYPE, CLEANUP_TYPE, RETENTION_TYPE
    from components.pool_drain.resource import DRAIN_TYPE
    from tools.plan.offline import run_program

    run = run_program()
    inputs = dict(run.one(CAPTURE_TYPE).inputs)
    provider = unwrap_rpc_secret(inputs.pop("__provider"))
    cleanup_provider = unwrap_rpc_secret(run.one(CLEANUP_TYPE).inputs["__provider"])
    retention_provider = unwrap_rpc_secret(run.one(RETENTION_TYPE).inputs["__provider"])
    drain_inputs = dict(run.of_type(DRAIN_TYPE)[0].inputs)
    drain_provider = unwrap_rpc_secret(drain_inputs.pop("__provider"))
    canary_inputs = dict(run.one(CANARY_TYPE).inputs)
    canary_provider = unwrap_rpc_secret(canary_inputs.pop("__provider"))
    print(
        json.dumps(
            {
                "provider": provider,
                "cleanup_provider": cleanup_provider,
                "retention_provider": retention_provider,
                "inputs": inputs,
                "drain_provider": drain_provider,
                "drain_inputs": drain_inputs,
                "canary_provider": canary_provider,
                "canary_inputs": canary_inputs,
            }
        )
    )


if __name__ == "__main__":
    _main()
