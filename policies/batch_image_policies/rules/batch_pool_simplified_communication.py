"""batch-pool-simplified-communication: pools do not use the retired Classic node communication mode."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, bool_option, boolean, for_types, schema, sources, subject, violation
from .._props import is_unknown, peek, text
from .._tokens import BATCH_POOL


def _check(args: ResourceValidationArgs, report: Report) -> None:
    mode = peek(args.props, "targetNodeCommunicationMode")
    require_explicit = bool_option(args.get_config(), "requireExplicit", False)
    if is_unknown(mode) or mode == "Simplified" or (mode in (None, "Default") and not require_explicit):
        return
    report(
        violation(
            subject("Batch pool", args.name),
            "node communication is not Simplified",
            f"targetNodeCommunicationMode {text(mode)}",
            'targetNodeCommunicationMode "Simplified"' + ("" if require_explicit else ', "Default" or not set'),
        )
    )


policy = ResourceValidationPolicy(
    name="batch-pool-simplified-communication",
    description="Pools do not use Classic node communication: it was retired on 31 Mar 2026 and is no longer honored.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({BATCH_POOL}, _check),
    config_schema=schema(requireExplicit=boolean('Require "Simplified" explicitly (not Default).', False)),
    severity=Severity.HIGH,
    remediation_steps='Set targetNodeCommunicationMode to "Simplified"; simplified mode needs only outbound 443 to the '
    "BatchNodeManagement service tag.",
    url="https://learn.microsoft.com/azure/batch/simplified-compute-node-communication",
    **sources(topics=["batch", "network", "lifecycle"]),
)
