"""The program's own records, as the policy tests' baseline: `__main__.py` evaluated under Azure-shaped Pulumi mocks.

The one place tests/policies imports the offline harness (tools/plan/offline.py); everything else imports from here.
"""

from __future__ import annotations

from tools.plan.offline import (
    BATCH_PRINCIPAL_OBJECT_ID,
    DEPLOYER_OBJECT_ID,
    ProgramRun,
    RegisteredResource,
    run_program,
)

__all__ = [
    "BATCH_PRINCIPAL_OBJECT_ID",
    "DEPLOYER_OBJECT_ID",
    "ProgramRun",
    "RegisteredResource",
    "run_program",
]
