"""batch-pool-node-agent-end-of-life: the advisory half of batch-pool-support-window (a policy has one level): what a
pool runs on (node agent, the marketplace base of its image, the builder's marketplace image) has an announced end of
support still ahead on the day of the option `asOf` (default: today); the message names the date. Its name predates
the other support windows and is kept: users' pack configs name it."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity, StackValidationArgs

from .._batch import NODE_AGENT_SKUS
from .._policy import Finding, Findings, schema, stack_rule
from .._support import AS_OF_OPTION, ENDING_TYPES, as_of, endings, node_agent_ends

SUPPORTED = sorted(s for s in NODE_AGENT_SKUS if s not in node_agent_ends())
OPTIONS = schema(asOf=AS_OF_OPTION)


def _check(args: StackValidationArgs) -> Findings:
    day = as_of(args.get_config())
    for ending in endings(args.resources):
        if day <= ending.end:
            yield Finding(
                f"support ends on {ending.end.isoformat()} ({ending.source})",
                ending.what,
                f"a node agent without an announced end of life ({', '.join(SUPPORTED)}) and a base image without one",
                kind=ending.kind,
                resource=ending.resource,
            )


REMEDIATION = (
    "Build the image from a newer base (e.g. Ubuntu 24.04 with batch.node.ubuntu 24.04, Windows Server 2022) and "
    "move the pool to its node agent before the date the message names."
)
DESCRIPTION = (
    "The pool's node agent SKU and image base have no announced end of support (the advisory half of "
    "batch-pool-support-window): after that date Batch no longer supports pools on them, and nodes may fail to "
    "allocate or update."
)

policy = stack_rule(
    name="batch-pool-node-agent-end-of-life",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://github.com/Azure/Batch/issues/200",
    benchmark="",
    topics="batch, image, lifecycle",
    types=ENDING_TYPES,
    check=_check,
    config_schema=OPTIONS,
    subject="Batch pool",
    allowed="",
)
