"""Batch pool rules checked one pool at a time: Compute Gallery image, simplified communication, resize
timeout, node cap, disk encryption, node agent end of life (Azure Policy 1760f9d4; batch-sig-images)."""

from __future__ import annotations

import datetime as dt
import re

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from . import _tokens as types
from ._batch import NODE_AGENT_END_OF_LIFE
from ._policy import (
    Report,
    bool_option,
    boolean,
    for_types,
    int_option,
    integer,
    schema,
    str_list_option,
    string_list,
    subject,
    violation,
)
from ._props import is_unknown, items, keys, peek, text
from ._scale import duration_minutes, pool_size

VM_CONFIG = "deploymentConfiguration.virtualMachineConfiguration"
_SEGMENT = r"[^/]+"
GALLERY_VERSION_ID = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Compute/galleries/{_SEGMENT}"
    rf"/images/{_SEGMENT}/versions/{_SEGMENT}$",
    re.IGNORECASE,
)
GALLERY_DEFINITION_ID = re.compile(
    rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Compute/galleries/{_SEGMENT}"
    rf"/images/{_SEGMENT}$",
    re.IGNORECASE,
)


def _pool(args: ResourceValidationArgs) -> str:
    return subject("Batch pool", args.name)


def _gallery_image(args: ResourceValidationArgs, report: Report) -> None:
    path = f"{VM_CONFIG}.imageReference"
    if is_unknown(peek(args.props, path)):
        return  # the whole reference is computed: nothing to judge before deployment
    present = keys(args.props, path)
    image_id = peek(args.props, f"{path}.id")
    if present != ["id"] or image_id is None:
        _report_image(
            args,
            report,
            f"imageReference with {', '.join(sorted(present)) or 'no fields'}",
            text(peek(args.props, path)),
            "imageReference must carry only id",
        )
        return
    if is_unknown(image_id):
        return  # computed from the gallery image version: its shape is known, its value comes at deployment
    allow_definition = bool_option(args.get_config(), "allowImageDefinition", True)
    if isinstance(image_id, str) and (
        GALLERY_VERSION_ID.match(image_id) or (allow_definition and GALLERY_DEFINITION_ID.match(image_id))
    ):
        return
    _report_image(
        args,
        report,
        "imageReference.id is not a Compute Gallery image id",
        text(image_id),
        "the id must name a gallery image version" + (" (or definition)" if allow_definition else ""),
    )


def _report_image(args: ResourceValidationArgs, report: Report, problem: str, found: str, rule: str) -> None:
    report(
        violation(
            _pool(args),
            problem,
            found,
            f"{rule}: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/"
            "images/<image>/versions/<version>, with no publisher/offer/sku/version",
            "since 31 Mar 2026 Batch builds custom-image pools only from Azure Compute Gallery images (managed "
            "images and VHDs are retired), and marketplace fields next to id are rejected (pulumi-azure-native#3599)",
        )
    )


batch_pool_gallery_image = ResourceValidationPolicy(
    name="batch-pool-gallery-image",
    description="Pools boot from a Compute Gallery image: imageReference carries only a gallery image id.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.BATCH_POOL}, _gallery_image),
    config_schema=schema(
        allowImageDefinition=boolean("Accept a gallery image definition id (latest version) as well.", True)
    ),
)


def _simplified_communication(args: ResourceValidationArgs, report: Report) -> None:
    mode = peek(args.props, "targetNodeCommunicationMode")
    require_explicit = bool_option(args.get_config(), "requireExplicit", False)
    if is_unknown(mode) or mode == "Simplified" or (mode in (None, "Default") and not require_explicit):
        return
    report(
        violation(
            _pool(args),
            "node communication is not Simplified",
            f"targetNodeCommunicationMode {text(mode)}",
            'set targetNodeCommunicationMode to "Simplified"',
            "classic node communication was retired on 31 Mar 2026 and is no longer honored; simplified mode "
            "needs only outbound 443 to BatchNodeManagement",
        )
    )


batch_pool_simplified_communication = ResourceValidationPolicy(
    name="batch-pool-simplified-communication",
    description="Pools do not use the retired Classic node communication mode.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.BATCH_POOL}, _simplified_communication),
    config_schema=schema(requireExplicit=boolean('Require "Simplified" explicitly (not Default).', False)),
)


def _resize_timeout(args: ResourceValidationArgs, report: Report) -> None:
    size = pool_size(args.props)
    if size.mode != "fixed" or not size.nodes:
        return  # autoscale pools have no resize timeout
    per_thousand = int_option(args.get_config(), "minutesPer1000Nodes", 15)
    needed = per_thousand * -(-size.nodes // 1000)
    raw = peek(args.props, "scaleSettings.fixedScale.resizeTimeout", "PT15M")
    if is_unknown(raw):
        return
    minutes = duration_minutes(raw)
    if minutes is not None and minutes >= needed:
        return
    report(
        violation(
            _pool(args),
            f"resize timeout too short for {size.nodes} target nodes ({size.detail})",
            f"resizeTimeout {text(raw)}" + ("" if minutes is not None else " (not an ISO 8601 duration)"),
            f"set resizeTimeout to at least PT{needed}M ({per_thousand} minutes per 1,000 nodes)",
            "custom-image nodes take longer to allocate; a short timeout stops the resize with a ResizeError "
            "before the pool reaches its target (batch-sig-images)",
        )
    )


batch_pool_resize_timeout = ResourceValidationPolicy(
    name="batch-pool-resize-timeout",
    description="Fixed-size pools allow at least 15 minutes of resize time per 1,000 target nodes.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({types.BATCH_POOL}, _resize_timeout),
    config_schema=schema(minutesPer1000Nodes=integer("Minutes of resize timeout per 1,000 target nodes.", 15, 1)),
)


def _max_nodes(args: ResourceValidationArgs, report: Report) -> None:
    size = pool_size(args.props)
    maximum = int_option(args.get_config(), "maxNodes", 100)
    if not size.known:
        return
    if size.nodes is not None and size.nodes <= maximum:
        return
    found = f"{size.nodes} nodes ({size.detail})" if size.nodes is not None else size.detail
    report(
        violation(
            _pool(args),
            f"the pool can grow past the maximum of {maximum} nodes",
            found,
            "lower targetDedicatedNodes + targetSpotNodes, cap the autoscale formula "
            f"($TargetDedicatedNodes = min({maximum}, ...)), or raise this policy's maxNodes",
            "in a UserSubscription account every node is a VM billed to and limited by the subscription's core quota",
        )
    )


batch_pool_max_nodes = ResourceValidationPolicy(
    name="batch-pool-max-nodes",
    description="Dedicated plus Spot nodes (or the autoscale cap) stay under a configured maximum.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.BATCH_POOL}, _max_nodes),
    config_schema=schema(maxNodes=integer("Most nodes (dedicated + Spot) a pool may target.", 100, 0)),
)


def _disk_encryption(args: ResourceValidationArgs, report: Report) -> None:
    required = str_list_option(args.get_config(), "requiredTargets", ["TemporaryDisk"])
    targets = peek(args.props, f"{VM_CONFIG}.diskEncryptionConfiguration.targets")
    at_host = peek(args.props, f"{VM_CONFIG}.securityProfile.encryptionAtHost")
    if is_unknown(targets) or is_unknown(at_host) or at_host is True:
        return
    listed = [t for t in items(args.props, f"{VM_CONFIG}.diskEncryptionConfiguration.targets") if isinstance(t, str)]
    if targets is not None and all(t in listed for t in required):
        return
    report(
        violation(
            _pool(args),
            "node disks are not encrypted",
            f"diskEncryptionConfiguration.targets {text(targets)}, securityProfile.encryptionAtHost {text(at_host)}",
            f"set diskEncryptionConfiguration.targets to include {', '.join(required)}, or securityProfile."
            "encryptionAtHost true on a VM size that supports it; Azure rejects diskEncryptionConfiguration on Linux "
            "pools from gallery images and encryption at host in UserSubscription accounts, so such stacks may "
            "set this policy to disabled",
            "temporary and OS disks can hold task data at rest (Azure Policy 1760f9d4)",
        )
    )


batch_pool_disk_encryption = ResourceValidationPolicy(
    name="batch-pool-disk-encryption",
    description="Pool node disks are encrypted (disk encryption targets or encryption at host).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({types.BATCH_POOL}, _disk_encryption),
    config_schema=schema(
        requiredTargets=string_list("Disk encryption targets required (OsDisk, TemporaryDisk).", ["TemporaryDisk"])
    ),
)


def _node_agent_end_of_life(args: ResourceValidationArgs, report: Report) -> None:
    sku = peek(args.props, f"{VM_CONFIG}.nodeAgentSkuId")
    end = NODE_AGENT_END_OF_LIFE.get(sku) if isinstance(sku, str) else None
    if end is None:
        return
    ended = dt.date.fromisoformat(end) <= dt.datetime.now(dt.UTC).date()
    report(
        violation(
            _pool(args),
            f"the node agent {'reached' if ended else 'reaches'} end of life on {end}",
            f"nodeAgentSkuId {text(sku)}",
            "build the image from a newer base (e.g. Ubuntu 24.04 with batch.node.ubuntu 24.04) and move the pool "
            "to its node agent",
            "after that date Batch no longer supports pools on this agent: nodes may fail to allocate or update",
        )
    )


batch_pool_node_agent_end_of_life = ResourceValidationPolicy(
    name="batch-pool-node-agent-end-of-life",
    description="The pool's node agent SKU has no announced end of life (the advisory half of "
    "batch-pool-node-agent-sku).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({types.BATCH_POOL}, _node_agent_end_of_life),
)
