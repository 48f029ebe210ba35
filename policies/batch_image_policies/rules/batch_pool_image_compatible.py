"""batch-pool-image-compatible: the compatibility gate. Each pool, the gallery image definition it boots and its VM
size fit together, or nodes go `unusable` (MicrosoftDocs/azure-docs#99836) or the pool never allocates (a stack
policy: the image facts sit on the definition, the size on the pool).

Rules, each named in its message, each judged only when the values are known and the size is in the shipped size
facts (`_sizes.py`, data/vm_sizes.json; an unlisted size is batch-pool-vm-size-unchecked's advisory):

- vm-generation: the definition's hyperVGeneration (absent: V1, Azure's default) is one the size supports
  (HyperVGenerations);
- architecture: the definition's architecture (absent: x64) is the size's CpuArchitectureType;
- security-type: a Trusted Launch image (definition feature SecurityType TrustedLaunch, or a pool securityType
  trustedLaunch) only on a size that supports it (not TrustedLaunchDisabled);
- disk-controller: a size that boots only from NVMe (DiskControllerTypes NVMe) needs a definition whose
  DiskControllerTypes feature lists NVMe (hashicorp/packer-plugin-azure#521);
- node-agent-release: a `batch.node.<distro> <release>` agent on an image of that distribution and release, as the
  definition's identifier (the marketplace base it was built from) names it; a windows agent on Windows.

Related rules keep their own policies, whose names users' pack configs already use: the node agent SKU being known and
of the image's OS (batch-pool-node-agent-sku), the builder, definition and pool agreeing on one security type
(image-security-type-consistent), and a replica of the version in the Batch account's region
(image-resources-same-region). Together these are the gate `make plan` and `pulumi preview --policy-pack` apply."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._batch import NODE_AGENT_SKUS, VM_CONFIG
from .._graph import known_str, of_type, pool_image_definitions
from .._policy import Finding, Findings, stack_rule
from .._props import is_unknown, items, peek, text
from .._sizes import SizeFacts, size_facts
from .._tokens import BATCH_POOL

# Marketplace bases the node-agent-release rule knows: (publisher, offer) -> (distribution, release). Offers of
# other distributions or unknown offers are not judged. Sources: `az batch pool supported-images list`
# (BatchData_Account_ListSupportedImages), Canonical's offer names on the marketplace.
_BASES: dict[tuple[str, str], tuple[str, str]] = {
    ("canonical", "ubuntu-24_04-lts"): ("ubuntu", "24.04"),
    ("canonical", "0001-com-ubuntu-server-jammy"): ("ubuntu", "22.04"),
    ("canonical", "ubuntu-22_04-lts"): ("ubuntu", "22.04"),
    ("canonical", "0001-com-ubuntu-server-focal"): ("ubuntu", "20.04"),
}
_DISTROS = {"ubuntu": "Ubuntu", "el": "Enterprise Linux"}
_AGENT = re.compile(r"^batch\.node\.(?P<distro>ubuntu|el) (?P<release>[\d.]+)$", re.IGNORECASE)


def _feature(definition: PolicyResource, name: str) -> object:
    """A definition feature's value; None when absent."""
    for feature in items(definition.props, "features"):
        if not is_unknown(feature) and str(peek(feature, "name", "")).lower() == name.lower():
            return peek(feature, "value")
    return None


def _check_pool(pool: PolicyResource, resources: Sequence[PolicyResource]) -> Findings:
    size = peek(pool.props, "vmSize")
    facts = size_facts(size) if isinstance(size, str) and not is_unknown(size) else None
    for definition in pool_image_definitions(pool, resources):
        if facts is not None:
            yield from _size_rules(pool, definition, facts)
        yield from _agent_release(pool, definition)


def _size_rules(pool: PolicyResource, definition: PolicyResource, facts: SizeFacts) -> Findings:
    image = f'gallery image "{definition.name}"'
    on_size = f"vmSize {text(facts.name)} ({facts.family})"
    generation = peek(definition.props, "hyperVGeneration", "V1")
    if isinstance(generation, str) and not is_unknown(generation) and generation not in facts.generations:
        yield Finding(
            f"[vm-generation] the size cannot boot a {generation} image ({image})",
            f"{on_size} supports {', '.join(sorted(facts.generations))}; hyperVGeneration {text(generation)}",
            f"a size supporting {generation}, or an image of generation {' or '.join(sorted(facts.generations))} "
            "(image.hyperVGeneration)",
            resource=pool,
        )
    architecture = peek(definition.props, "architecture", "x64")
    if isinstance(architecture, str) and not is_unknown(architecture) and architecture != facts.architecture:
        yield Finding(
            f"[architecture] an {architecture} image on an {facts.architecture} size ({image})",
            f"{on_size} CpuArchitectureType {text(facts.architecture)}; architecture {text(architecture)}",
            f"an {architecture} size, or an image built for {facts.architecture} (image.architecture)",
            resource=pool,
        )
    security = _feature(definition, "SecurityType")
    pool_security = peek(pool.props, f"{VM_CONFIG}.securityProfile.securityType")
    trusted = [
        v
        for v in (security, pool_security)
        if isinstance(v, str) and not is_unknown(v) and v.lower() == "trustedlaunch"
    ]
    if trusted and not facts.trusted_launch:
        yield Finding(
            f"[security-type] a Trusted Launch image on a size without Trusted Launch ({image})",
            f"{on_size} TrustedLaunchDisabled True; SecurityType {text(security)}, pool securityType "
            f"{text(pool_security)}",
            "a size that supports Trusted Launch, or image.securityType Standard",
            resource=pool,
        )
    controllers = _feature(definition, "DiskControllerTypes")
    if facts.nvme_only and not is_unknown(controllers):
        listed = {c.strip().lower() for c in controllers.split(",")} if isinstance(controllers, str) else set()
        if "nvme" not in listed:
            yield Finding(
                f"[disk-controller] the size boots only from NVMe, the image does not declare NVMe ({image})",
                f"{on_size} DiskControllerTypes {text(', '.join(sorted(facts.disk_controllers)))}; feature "
                f"DiskControllerTypes {text(controllers)}",
                'a definition feature DiskControllerTypes "SCSI, NVMe" (the program sets it when a pool uses an '
                "NVMe-only size), or a size that boots from SCSI",
                resource=pool,
            )


def _agent_release(pool: PolicyResource, definition: PolicyResource) -> Findings:
    sku = known_str(pool.props, f"{VM_CONFIG}.nodeAgentSkuId")
    publisher = known_str(definition.props, "identifier.publisher")
    offer = known_str(definition.props, "identifier.offer")
    match = _AGENT.match(sku or "")
    if not match or sku not in NODE_AGENT_SKUS or not publisher or not offer:
        return  # an unknown SKU is batch-pool-node-agent-sku's
    base = _BASES.get((publisher.lower(), offer.lower()))
    if base is None or match["distro"].lower() != base[0]:
        return  # another distribution's image is batch-pool-node-agent-sku's; an unknown offer is not judged
    if match["release"] != base[1]:
        yield Finding(
            f"[node-agent-release] the node agent of {_DISTROS[base[0]]} {match['release']} on an image of "
            f'{_DISTROS[base[0]]} {base[1]} (gallery image "{definition.name}")',
            f"nodeAgentSkuId {text(sku)}; identifier {publisher}/{offer}",
            f'nodeAgentSkuId "batch.node.{base[0]} {base[1]}" (pools[].nodeAgentSkuId), or an image built from '
            f"{_DISTROS[base[0]]} {match['release']}",
            resource=pool,
        )


def _check(args: StackValidationArgs) -> Findings:
    for pool in of_type(args.resources, BATCH_POOL):
        yield from _check_pool(pool, args.resources)


REMEDIATION = (
    "Change what the message's [rule] names: the pool's size (pools[].vmSize) to one the image fits, or the image: "
    "image.hyperVGeneration (vm-generation), image.architecture x64 | Arm64 (architecture, with a base image of that "
    "architecture), image.securityType (security-type); for NVMe-only sizes (Dsv6, Ddsv6) the program declares the "
    "definition's DiskControllerTypes feature itself, a definition made elsewhere must list NVMe (disk-controller); "
    "node-agent-release: the node agent of the image's release (pools[].nodeAgentSkuId). A deployed definition's "
    "generation, architecture and features cannot change: publish under a new image.name."
)
DESCRIPTION = (
    "Each pool's VM size, the gallery image it boots and its node agent fit together: VM generation, CPU "
    "architecture, Trusted Launch support, NVMe-only disk controller and node agent release, judged on the shipped "
    "size facts (data/vm_sizes.json): otherwise the pool never allocates or its nodes go unusable."
)

policy = stack_rule(
    name="batch-pool-image-compatible",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/batch-pool-vm-sizes",
    benchmark="",
    topics="batch, image, compute",
    types=[BATCH_POOL],
    check=_check,
    config_schema=None,
    subject="Batch pool",
    allowed="",
)
