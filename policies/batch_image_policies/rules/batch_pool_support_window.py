"""batch-pool-support-window: nothing a pool runs on is past the end of its support window (node agent, the
marketplace OS image its gallery image was built from, the builder VM's marketplace image), judged on the day of the
option `asOf` (default: today). A stack policy: the image's base is on the gallery definition, not the pool.

The dates are data (data/support_windows.json, each with its source); before an end date
batch-pool-node-agent-end-of-life warns with the date (a policy has one level; that name is kept since users' pack
configs name it)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity, StackValidationArgs

from .._policy import Finding, Findings, schema, stack_rule
from .._support import AS_OF_OPTION, ENDING_TYPES, as_of, endings

OPTIONS = schema(asOf=AS_OF_OPTION)


def _check(args: StackValidationArgs) -> Findings:
    day = as_of(args.get_config())
    for ending in endings(args.resources):
        if day > ending.end:
            yield Finding(
                f"support ended on {ending.end.isoformat()} (judged as of {day.isoformat()}; {ending.source})",
                ending.what,
                "a node agent and base image inside their support window (data/support_windows.json)",
                kind=ending.kind,
                resource=ending.resource,
            )


REMEDIATION = (
    "Build the image from a supported base (image.builder.baseImage, e.g. Ubuntu 24.04 or Windows Server 2022) and "
    "move the pools to its node agent (pools[].nodeAgentSkuId, e.g. batch.node.ubuntu 24.04), under a new "
    "image.version. Set this policy's asOf (YYYY-MM-DD) to see what a later day refuses."
)
DESCRIPTION = (
    "Pools run on node agents and images inside their support window (data/support_windows.json, each date with its "
    "source): after the end date Batch no longer supports them, and pools fail to allocate or update."
)

policy = stack_rule(
    name="batch-pool-support-window",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://github.com/Azure/Batch/issues/200",
    benchmark="",
    topics="batch, image, lifecycle",
    types=ENDING_TYPES,
    check=_check,
    config_schema=OPTIONS,
    subject="Batch pool",
    allowed="",
)
