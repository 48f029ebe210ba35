"""Moved to tools/plan/offline.py. This name stays importable for code outside tools/ that still uses it."""

from tools.plan.offline import (
    BATCH_PRINCIPAL_OBJECT_ID,
    DEPLOYER_OBJECT_ID,
    SUBSCRIPTION_ID,
    TENANT_ID,
    AzureMocks,
    ProgramRun,
    RecordingMonitor,
    RegisteredResource,
    load_stack_config,
    merge_config,
    run_program,
)

__all__ = [
    "BATCH_PRINCIPAL_OBJECT_ID",
    "DEPLOYER_OBJECT_ID",
    "SUBSCRIPTION_ID",
    "TENANT_ID",
    "AzureMocks",
    "ProgramRun",
    "RecordingMonitor",
    "RegisteredResource",
    "load_stack_config",
    "merge_config",
    "run_program",
]
