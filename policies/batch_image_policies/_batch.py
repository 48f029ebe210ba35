"""Batch facts several policies share: where a pool's VM configuration sits, the allocation mode Azure assumes, and
the node agent SKUs the pack knows (their end dates are support windows: _support.py), and who the Batch service
principal is.

The node agent data is duplicated on purpose from the program's settings (components/settings/facts.py): the pack
runs in its own virtualenv and imports nothing from the program. A test asserts both copies agree.
Sources: Azure/Batch#200 (Ubuntu 22.04 agent end of life), `az batch pool supported-images list`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from pulumi_policy import PolicyResource

from ._graph import known_str, of_type
from ._props import peek
from ._tokens import ROLE_ASSIGNMENT

VM_CONFIG: Final = "deploymentConfiguration.virtualMachineConfiguration"
"""A pool's virtual machine configuration (image reference, node agent, disk encryption)."""

NODE_AGENT_SKUS: Final[dict[str, str]] = {
    "batch.node.ubuntu 24.04": "Linux",
    "batch.node.ubuntu 22.04": "Linux",
    "batch.node.el 9": "Linux",
    "batch.node.windows amd64": "Windows",
}


def allocation_mode(props: Any) -> Any:
    """A Batch account's pool allocation mode (Azure's default is BatchService)."""
    return peek(props, "poolAllocationMode", "BatchService")


BATCH_APP_ID: Final = "ddbf3205-c6bd-46ae-8127-60eb93363864"  # "Microsoft Azure Batch", the same app in every tenant
# Built-in role ids (Azure's built-in roles list), duplicated from components/batch_account.py on purpose; a test
# asserts they agree.
BATCH_ORCHESTRATION_ROLE: Final = "a35466a1-cfd6-450a-b35e-683fcdf30363"  # Azure Batch Service Orchestration Role
COMPUTE_GALLERY_IMAGE_READER_ROLE: Final = "cf7c76d2-98a3-4358-a134-615aa78bf44d"  # Compute Gallery Image Reader
_SUBSCRIPTION_SCOPE = "/subscriptions/"


def role_id(assignment: PolicyResource) -> str:
    """The GUID at the end of a role assignment's roleDefinitionId, lowercased ("" when unknown)."""
    return (known_str(assignment.props, "roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()


def batch_principals(resources: Sequence[PolicyResource], configured: str) -> set[str]:
    """The Batch principal's object id: configured, or the service principal holding the Azure Batch Service
    Orchestration Role on the subscription, else Compute Gallery Image Reader (what the program gives Batch on its
    gallery, also when a second stack leaves the subscription role to the first), else any service principal with a
    subscription-scope role."""
    if configured:
        return {configured.lower()}
    orchestration: set[str] = set()
    gallery_readers: set[str] = set()
    other: set[str] = set()
    for assignment in of_type(resources, ROLE_ASSIGNMENT):
        principal = known_str(assignment.props, "principalId")
        if not principal or peek(assignment.props, "principalType") != "ServicePrincipal":
            continue
        scope = known_str(assignment.props, "scope") or ""
        at_subscription = scope.startswith(_SUBSCRIPTION_SCOPE) and scope.rstrip("/").count("/") == 2
        role = role_id(assignment)
        if at_subscription and role == BATCH_ORCHESTRATION_ROLE:
            orchestration.add(principal.lower())
        elif role == COMPUTE_GALLERY_IMAGE_READER_ROLE:
            gallery_readers.add(principal.lower())
        elif at_subscription:
            other.add(principal.lower())
    return orchestration or gallery_readers or other
