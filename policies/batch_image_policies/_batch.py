"""Batch facts several policies share: where a pool's VM configuration sits, the allocation mode Azure assumes, and
the node agent SKUs the pack knows with their announced end of life.

The node agent data is duplicated on purpose from the program's settings (components/settings.py): the pack runs in
its own virtualenv and imports nothing from the program. A test asserts both copies agree.
Sources: Azure/Batch#200 (Ubuntu 22.04 agent end of life), `az batch pool supported-images list`.
"""

from __future__ import annotations

from typing import Any, Final

from ._props import peek

VM_CONFIG: Final = "deploymentConfiguration.virtualMachineConfiguration"
"""A pool's virtual machine configuration (image reference, node agent, disk encryption)."""

NODE_AGENT_SKUS: Final[dict[str, str]] = {
    "batch.node.ubuntu 24.04": "Linux",
    "batch.node.ubuntu 22.04": "Linux",
    "batch.node.el 9": "Linux",
    "batch.node.windows amd64": "Windows",
}

# ISO dates after which Batch no longer supports the agent.
NODE_AGENT_END_OF_LIFE: Final[dict[str, str]] = {
    "batch.node.ubuntu 22.04": "2027-06-30",
}


def allocation_mode(props: Any) -> Any:
    """A Batch account's pool allocation mode (Azure's default is BatchService)."""
    return peek(props, "poolAllocationMode", "BatchService")
