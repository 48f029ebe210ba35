"""batch-pool-simplified-communication: pools do not use the retired Classic node communication mode."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, bool_option, boolean, resource_rule, schema
from .._props import is_unknown, peek, text
from .._tokens import BATCH_POOL

OPTIONS = schema(requireExplicit=boolean('Require "Simplified" explicitly (not Default).', False))


def _check(args: ResourceValidationArgs) -> Findings:
    mode = peek(args.props, "targetNodeCommunicationMode")
    require_explicit = bool_option(args.get_config(), "requireExplicit", False)
    if is_unknown(mode) or mode == "Simplified" or (mode in (None, "Default") and not require_explicit):
        return
    yield Finding(
        "node communication is not Simplified",
        f"targetNodeCommunicationMode {text(mode)}",
        'targetNodeCommunicationMode "Simplified"' + ("" if require_explicit else ', "Default" or not set'),
    )


REMEDIATION = (
    'Set targetNodeCommunicationMode to "Simplified"; simplified mode needs only outbound 443 to the '
    "BatchNodeManagement service tag."
)
DESCRIPTION = "Pools do not use Classic node communication: it was retired on 31 Mar 2026 and is no longer honored."

policy = resource_rule(
    name="batch-pool-simplified-communication",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/simplified-compute-node-communication",
    benchmark="",
    topics="batch, network, lifecycle",
    types=[BATCH_POOL],
    check=_check,
    config_schema=OPTIONS,
    subject="Batch pool",
    allowed="",
)
