"""The checks: each reads the subscription (tools/preflight/azure.py) and says ok, problem or skipped, with the fix.

A read Azure refuses (HTTP 403, 404, ...) is a problem of that check, named with the status and Azure's message: the
deployer who can't read it here is refused by `up` too, or runs blind. No check writes anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from azure.core.exceptions import HttpResponseError

from components.settings import BATCH_SERVICE_PRINCIPAL_APP_ID, NODE_AGENT_END_OF_LIFE
from tools.preflight.azure import Subscription
from tools.preflight.target import Target
from tools.smoke.sku import sku_end_of_life

Status = Literal["ok", "problem", "skipped"]
ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"
REGIONAL_DEDICATED = "cores"  # Usage name of "Total Regional vCPUs"
REGIONAL_SPOT = "lowPriorityCores"  # Usage name of "Total Regional Low-priority vCPUs" (Spot and low priority)


@dataclass(frozen=True)
class Result:
    check: str
    subject: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Options:
    resource_group: str | None  # an existing group to read the deployer's permissions on
    now: datetime


def _failed_read(check: str, subject: str, what: str, exc: HttpResponseError) -> Result:
    message = (exc.message or str(exc)).splitlines()[0]
    fix = "the deployer needs Reader on the subscription" if exc.status_code == 403 else "retry; check the subscription"
    return Result(check, subject, "problem", f"could not read {what} (HTTP {exc.status_code}): {message}", fix)


# --- resource providers --------------------------------------------------------------------------------------------


def required_providers(target: Target) -> list[str]:
    """The namespaces of what `up` creates: storage, gallery and images, the Batch account; the builder's network and
    user-assigned identity; the account's Key Vault in UserSubscription mode."""
    namespaces = ["Microsoft.Storage", "Microsoft.Compute", "Microsoft.Batch"]
    if target.settings.has_builder:
        namespaces += ["Microsoft.Network", "Microsoft.ManagedIdentity"]
    if target.settings.user_subscription:
        namespaces.append("Microsoft.KeyVault")
    return namespaces


def check_providers(sub: Subscription, target: Target, _: Options) -> list[Result]:
    results = []
    for namespace in required_providers(target):
        try:
            state = sub.provider_state(namespace)
        except HttpResponseError as exc:
            results.append(_failed_read("providers", namespace, "the provider", exc))
            continue
        if state.lower() == "registered":
            results.append(Result("providers", namespace, "ok", "registered"))
        else:
            results.append(
                Result(
                    "providers",
                    namespace,
                    "problem",
                    f"registration state {state}",
                    f"az provider register --namespace {namespace} --wait (needs .../register/action on the "
                    "subscription: Contributor or Owner)",
                )
            )
    return results


# --- sizes (resource SKUs) -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeInfo:
    name: str
    family: str
    vcpus: int
    spot_capable: bool
    restricted: str | None  # why the size can't be used in the region by this subscription, None when it can


def size_infos(skus: Iterable[Any], location: str) -> dict[str, SizeInfo]:
    """Per lowercase size name: family, vCPUs, Spot capability and a location restriction (ResourceSku: `family`,
    capabilities `vCPUs` and `LowPriorityCapable`, `restrictions[]` of type Location, reasonCode
    NotAvailableForSubscription or QuotaId; Zone restrictions leave the region usable and the program uses no zone)."""
    infos = {}
    for sku in skus:
        capabilities = {c.name: c.value for c in sku.capabilities or []}
        restricted = None
        for restriction in sku.restrictions or []:
            values = [v.lower() for v in restriction.values_property or []]
            if _wire(restriction.type).lower() == "location" and (not values or location in values):
                restricted = _wire(restriction.reason_code)
        infos[sku.name.lower()] = SizeInfo(
            sku.name,
            sku.family or "",
            int(capabilities.get("vCPUs", "0") or 0),
            str(capabilities.get("LowPriorityCapable", "False")).lower() == "true",
            restricted,
        )
    return infos


def _wire(value: Any) -> str:
    """The REST value of an SDK enum field (`ResourceSkuRestrictionsType.LOCATION` -> "Location")."""
    return str(getattr(value, "value", value))


def sizes_wanted(target: Target) -> dict[str, list[str]]:
    """Each size the stack uses (as first written; Azure compares them case-insensitively) and who uses it."""
    wanted: dict[str, list[str]] = {}
    uses = [(target.builder_size, "image.builder.vmSize")] if target.builder_size else []
    uses += [(pool.vm_size, f"pools[{index}].vmSize ({pool.name})") for index, pool in enumerate(target.pools)]
    for size, user in uses:
        key = next((known for known in wanted if known.lower() == size.lower()), size)
        wanted.setdefault(key, []).append(user)
    return wanted


def check_sizes(infos: dict[str, SizeInfo], target: Target) -> list[Result]:
    results = []
    for size, users in sizes_wanted(target).items():
        subject = f"{size} ({', '.join(users)})"
        info = infos.get(size.lower())
        if info is None:
            results.append(
                Result(
                    "sizes",
                    subject,
                    "problem",
                    f"not offered in {target.location}",
                    f"pick a size `az vm list-skus --location {target.location} --resource-type virtualMachines` lists",
                )
            )
        elif info.restricted:
            results.append(
                Result(
                    "sizes",
                    subject,
                    "problem",
                    f"restricted for this subscription in {target.location} ({info.restricted})",
                    "pick another size, or ask Azure support to lift the restriction (a quota request for the family)",
                )
            )
        else:
            results.append(Result("sizes", subject, "ok", f"offered in {target.location}, {info.vcpus} vCPUs"))
    for pool in target.pools:
        info = infos.get(pool.vm_size.lower())
        if info is not None and not info.restricted and (pool.spot or pool.autoscale) and not info.spot_capable:
            results.append(
                Result(
                    "sizes",
                    f"{pool.vm_size} (pool {pool.name})",
                    "problem",
                    "not Spot/low-priority capable (LowPriorityCapable False), and the pool asks for Spot nodes"
                    if pool.spot
                    else "not Spot/low-priority capable; the pool's autoscale formula must not ask for Spot nodes",
                    "pick a Spot-capable size or use dedicated nodes",
                )
            )
    return results


# --- vCPU quotas ---------------------------------------------------------------------------------------------------


def vcpu_needs(infos: dict[str, SizeInfo], target: Target) -> tuple[dict[str, int], list[str]]:
    """vCPUs `up` allocates per quota (Usage name: the family, `cores`, `lowPriorityCores`), and what isn't counted."""
    needs: dict[str, int] = {}
    notes = []

    def add(name: str, vcpus: int) -> None:
        needs[name] = needs.get(name, 0) + vcpus

    if target.builder_size and (info := infos.get(target.builder_size.lower())):
        add(info.family, info.vcpus)
        add(REGIONAL_DEDICATED, info.vcpus)
    if not target.pools_use_subscription_quota:
        notes.append("pools not counted: BatchService pools use the Batch account's quotas")
        return needs, notes
    for pool in target.pools:
        if pool.autoscale:
            notes.append(f"pool {pool.name} not counted: its autoscale formula sets its size")
            continue
        info = infos.get(pool.vm_size.lower())
        if info is None:
            continue
        if pool.dedicated:
            add(info.family, pool.dedicated * info.vcpus)
            add(REGIONAL_DEDICATED, pool.dedicated * info.vcpus)
        if pool.spot:
            add(REGIONAL_SPOT, pool.spot * info.vcpus)
    return needs, notes


def check_quota(usages: Iterable[Any], infos: dict[str, SizeInfo], target: Target) -> list[Result]:
    by_name = {u.name.value.lower(): u for u in usages if u.name is not None and u.name.value}
    needs, notes = vcpu_needs(infos, target)
    results = []
    for name, need in sorted(needs.items()):
        usage = by_name.get(name.lower())
        label = usage.name.localized_value if usage is not None and usage.name.localized_value else name
        subject = name if label == name else f"{label} ({name})"
        if usage is None:
            results.append(
                Result(
                    "quota",
                    subject,
                    "problem",
                    f"no quota listed in {target.location}; {need} vCPUs needed",
                    "request quota for the family in the portal (Quotas > Compute)",
                )
            )
            continue
        free = int(usage.limit) - int(usage.current_value)
        detail = f"{need} vCPUs needed, {free} free ({usage.current_value} of {usage.limit} used)"
        if need > free:
            results.append(
                Result(
                    "quota",
                    subject,
                    "problem",
                    detail,
                    f"request at least {int(usage.current_value) + need} in the portal (Quotas > Compute, "
                    f"{target.location}), or lower the targets",
                )
            )
        else:
            results.append(Result("quota", subject, "ok", detail))
    results += [Result("quota", "pools", "skipped", note) for note in notes]
    return results


# --- base image ----------------------------------------------------------------------------------------------------


def check_base_image(sub: Subscription, target: Target, _: Options) -> list[Result]:
    image = target.base_image
    if image is None:
        return [Result("base-image", "image.builder.baseImage", "skipped", "the stack has no builder")]
    urn = f"{image.publisher}:{image.offer}:{image.sku}"
    try:
        if image.version == "latest":
            latest = sub.latest_image_version(target.location, image.publisher, image.offer, image.sku)
            found, detail = latest is not None, f"latest is {latest}"
        else:
            found = sub.image_version_exists(target.location, image.publisher, image.offer, image.sku, image.version)
            detail = f"version {image.version} exists"
    except HttpResponseError as exc:
        return [_failed_read("base-image", urn, "the marketplace image", exc)]
    if found:
        return [Result("base-image", f"{urn}:{image.version}", "ok", f"{detail} in {target.location}")]
    what = "no version" if image.version == "latest" else f"no version {image.version}"
    return [
        Result(
            "base-image",
            f"{urn}:{image.version}",
            "problem",
            f"{what} of {urn} in {target.location}",
            f"check image.builder.baseImage: `az vm image list --location {target.location} --publisher "
            f"{image.publisher} --offer {image.offer} --sku {image.sku} --all`",
        )
    ]


# --- Batch's supported images (node agents) ------------------------------------------------------------------------


def check_node_agents(sub: Subscription, target: Target, options: Options) -> list[Result]:
    if sub.endpoints.batch is None:
        return [
            Result(
                "node-agent",
                ", ".join(sorted({p.node_agent_sku_id for p in target.pools})),
                "skipped",
                "Batch lists its supported images per account (data plane); no management-plane call does",
                f"give --batch-endpoint <an existing Batch account in {target.location}>.batch.azure.com",
            )
        ]
    try:
        end_of_life = sku_end_of_life(sub.supported_images())
    except HttpResponseError as exc:
        return [_failed_read("node-agent", str(sub.endpoints.batch), "Batch's supported images", exc)]
    results = []
    for sku in sorted({p.node_agent_sku_id for p in target.pools}):
        pools = ", ".join(p.name for p in target.pools if p.node_agent_sku_id == sku)
        subject = f"{sku} (pools {pools})"
        known = NODE_AGENT_END_OF_LIFE.get(sku)
        if sku not in end_of_life:
            results.append(
                Result(
                    "node-agent",
                    subject,
                    "problem",
                    "not in Batch's supported images",
                    f"use one of: {', '.join(sorted(end_of_life)) or 'none listed'}",
                )
            )
            continue
        eol = end_of_life[sku]
        if eol is not None and eol <= options.now:
            results.append(
                Result(
                    "node-agent",
                    subject,
                    "problem",
                    f"past its Batch end of life ({eol:%Y-%m-%d})",
                    "rebuild the image on a supported base and change nodeAgentSkuId",
                )
            )
        elif (eol and f"{eol:%Y-%m-%d}") != known:
            results.append(
                Result(
                    "node-agent",
                    subject,
                    "problem",
                    f"Batch says batchSupportEndOfLife {f'{eol:%Y-%m-%d}' if eol else 'none'}, the program "
                    f"(components/settings.py NODE_AGENT_END_OF_LIFE) says {known or 'none'}",
                    "update NODE_AGENT_END_OF_LIFE (and the policy pack's copy) to Batch's date",
                )
            )
        else:
            results.append(
                Result("node-agent", subject, "ok", f"supported{f', end of life {eol:%Y-%m-%d}' if eol else ''}")
            )
    return results


# --- role assignments ----------------------------------------------------------------------------------------------


def role_assignment_scopes(target: Target) -> list[str]:
    """Where `up` creates role assignments (components/storage.py, components/batch_account.py)."""
    scopes = ["the image storage account (deployer: Storage Blob Data Contributor)"]
    if target.settings.user_subscription:
        scopes.append("the gallery (Batch: Compute Gallery Image Reader)")
        if target.settings.batch.grant_subscription_role:
            scopes.append("the subscription (Batch: Azure Batch Service Orchestration Role)")
    return scopes


def _matches(pattern: str, action: str) -> bool:
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(regex, action, re.IGNORECASE) is not None


def allows(permissions: Iterable[Any], action: str) -> bool:
    """An action is allowed when one permission (one role) lists it in `actions` and not in its `notActions`
    (Azure RBAC: wildcards `*` in both, case-insensitive)."""
    return any(
        any(_matches(p, action) for p in perm.actions or [])
        and not any(_matches(p, action) for p in perm.not_actions or [])
        for perm in permissions
    )


def check_role_assignments(sub: Subscription, target: Target, options: Options) -> list[Result]:
    subject = "; ".join(role_assignment_scopes(target))
    if options.resource_group is None:
        return [
            Result(
                "role-assignments",
                subject,
                "skipped",
                "Azure reports the caller's permissions on a resource group or resource, and the stack's group "
                "does not exist before the first `up`",
                "give --resource-group <an existing group in the subscription>: the deployer's rights there "
                "include those it holds on the subscription",
            )
        ]
    try:
        permissions = sub.permissions(options.resource_group)
    except HttpResponseError as exc:
        return [_failed_read("role-assignments", options.resource_group, "the deployer's permissions", exc)]
    where = f"on resource group {options.resource_group}"
    if allows(permissions, ROLE_ASSIGNMENT_WRITE):
        return [Result("role-assignments", subject, "ok", f"{ROLE_ASSIGNMENT_WRITE} allowed {where}")]
    return [
        Result(
            "role-assignments",
            subject,
            "problem",
            f"{ROLE_ASSIGNMENT_WRITE} not allowed {where}",
            "the deployer needs Owner, User Access Administrator or Role Based Access Control Administrator on the "
            "subscription",
        )
    ]


# --- the Batch service principal -----------------------------------------------------------------------------------


def check_batch_principal(sub: Subscription, target: Target, _: Options) -> list[Result]:
    subject = f"Microsoft Azure Batch ({BATCH_SERVICE_PRINCIPAL_APP_ID})"
    if not target.settings.user_subscription:
        return [Result("batch-principal", subject, "skipped", "BatchService mode: the program grants it nothing")]
    configured = target.settings.batch.service_principal_object_id
    try:
        found = sub.service_principals(BATCH_SERVICE_PRINCIPAL_APP_ID)
    except HttpResponseError as exc:
        if configured:
            return [
                Result(
                    "batch-principal",
                    subject,
                    "ok",
                    f"object id {configured} set in the stack (Graph not readable: HTTP {exc.status_code})",
                )
            ]
        result = _failed_read("batch-principal", subject, "the tenant's service principals (Microsoft Graph)", exc)
        return [
            Result(
                result.check,
                result.subject,
                result.status,
                result.detail,
                "set batch.servicePrincipalObjectId (`az ad sp show --id "
                f"{BATCH_SERVICE_PRINCIPAL_APP_ID} --query id -o tsv`), or give the deployer Directory Readers",
            )
        ]
    ids = [str(p.get("id")) for p in found]
    if not ids:
        return [
            Result(
                "batch-principal",
                subject,
                "problem",
                "no such service principal in the tenant",
                "register the Microsoft.Batch provider (it creates the principal) or "
                f"`az ad sp create --id {BATCH_SERVICE_PRINCIPAL_APP_ID}`",
            )
        ]
    if configured and configured.lower() not in (i.lower() for i in ids):
        return [
            Result(
                "batch-principal",
                subject,
                "problem",
                f"batch.servicePrincipalObjectId is {configured}, the tenant's principal is {ids[0]}",
                f"set batch.servicePrincipalObjectId to {ids[0]} or leave it empty (looked up by app id)",
            )
        ]
    return [Result("batch-principal", subject, "ok", f"object id {ids[0]}")]


# --- all of them ---------------------------------------------------------------------------------------------------


def check_sizes_and_quota(sub: Subscription, target: Target, _: Options) -> list[Result]:
    try:
        infos = size_infos(sub.vm_skus(target.location), target.location)
    except HttpResponseError as exc:
        return [_failed_read("sizes", target.location, "the region's resource SKUs", exc)]
    results = check_sizes(infos, target)
    try:
        usages = sub.usages(target.location)
    except HttpResponseError as exc:
        return [*results, _failed_read("quota", target.location, "the region's vCPU usage", exc)]
    return results + check_quota(usages, infos, target)


CHECKS: list[Callable[[Subscription, Target, Options], list[Result]]] = [
    check_providers,
    check_sizes_and_quota,
    check_base_image,
    check_node_agents,
    check_role_assignments,
    check_batch_principal,
]


def run_checks(sub: Subscription, target: Target, options: Options | None = None) -> list[Result]:
    options = options or Options(resource_group=None, now=datetime.now(UTC))
    results: list[Result] = []
    for check in CHECKS:
        results += check(sub, target, options)
    return results
