"""The batch-custom-image policy pack's policies. Importing this package has no side effects (the pack's
`__main__.py` builds the `PolicyPack`); tools/plan/policy_runner.py loads it to run the pack offline."""

from __future__ import annotations

from .rules import ALL_POLICIES

PACK_NAME = "batch-custom-image"
PACK_DESCRIPTION = (
    "Custom-image Azure Batch rules and a security baseline for the storage account, builder VM, Key Vault and "
    "Batch account."
)

__all__ = ["ALL_POLICIES", "PACK_DESCRIPTION", "PACK_NAME"]
