"""Program-side half of the capture step: the dynamic resources between the builder VM and the gallery.

Each input and output is declared and documented once, in `spec.py` (`CaptureSpec`, `CaptureOutcome`); the props
sent to the engine are derived from those declarations, and `GeneralizedImageArgs` must name exactly those inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import pulumi
import pulumi.dynamic

from components.capture.provider import CaptureProvider, CleanupProvider
from components.capture.spec import INPUT_KEYS, OUTPUT_KEYS
from components.capture.vhd_retention import INPUT_KEYS as RETENTION_KEYS
from components.capture.vhd_retention import VhdRetentionProvider
from components.common.os_type import OsType
from components.common.progress import URN_KEY
from components.naming import own_urn


@dataclass
class GeneralizedImageArgs:
    """The capture's inputs, field for field `spec.CaptureSpec` (see its documentation of each)."""

    vm_id: pulumi.Input[str]
    os_disk_mode: str
    os_type: OsType
    image_version: str
    image_content: Mapping[str, str]
    export_vhd: bool
    storage_account_id: pulumi.Input[str]
    blob_endpoint: pulumi.Input[str]
    vhd_container: pulumi.Input[str]
    vhd_prefix: str
    guest_timeout_minutes: int
    vm_urn: pulumi.Input[str] = ""
    retain_vhd_on_delete: bool = False

    def props(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in INPUT_KEYS}


if tuple(f.name for f in fields(GeneralizedImageArgs)) != INPUT_KEYS:  # pragma: no cover - caught at import
    raise TypeError(f"GeneralizedImageArgs must declare exactly spec.CaptureSpec's inputs {INPUT_KEYS}")


class CaptureCleanup(pulumi.dynamic.Resource, module="capture", name="CaptureCleanup"):
    """Removes what an unfinished capture of its builder VM left (disk SAS, partial VHDs) just before the VM goes."""

    def __init__(self, name: str, args: GeneralizedImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(CleanupProvider(), name, {**args.props(), URN_KEY: own_urn(name, CLEANUP_TYPE, opts)}, opts)


class GeneralizedImage(pulumi.dynamic.Resource, module="capture", name="GeneralizedImage"):
    """The generalized (and, where asked, VHD-exported) builder VM. Outputs: `spec.CaptureOutcome`, plus vm_id."""

    vm_id: pulumi.Output[str]
    vm_instance_id: pulumi.Output[str]
    os_disk_id: pulumi.Output[str]
    vhd_uri: pulumi.Output[str]
    generalized_time: pulumi.Output[str]

    def __init__(self, name: str, args: GeneralizedImageArgs, opts: pulumi.ResourceOptions | None = None):
        # Outputs are seeded None so Pulumi exposes them as Output attributes.
        own = {URN_KEY: own_urn(name, CAPTURE_TYPE, opts)}  # progress in `pulumi up` (ignored by diff)
        super().__init__(CaptureProvider(), name, {**args.props(), **own, **dict.fromkeys(OUTPUT_KEYS)}, opts)


@dataclass
class VhdRetentionArgs:
    """The retention's inputs, field for field `vhd_retention.RetentionSpec` (see its documentation of each)."""

    blob_endpoint: pulumi.Input[str]
    vhd_container: pulumi.Input[str]
    keep: pulumi.Input[list[pulumi.Input[str]]]

    def props(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in RETENTION_KEYS}


if tuple(f.name for f in fields(VhdRetentionArgs)) != RETENTION_KEYS:  # pragma: no cover - caught at import
    raise TypeError(f"VhdRetentionArgs must declare exactly vhd_retention.RetentionSpec's inputs {RETENTION_KEYS}")


class VhdRetention(pulumi.dynamic.Resource, module="capture", name="VhdRetention"):
    """Deletes the stack's finished VHDs that `keep` doesn't name (vhd_retention.py): the kept versions' only."""

    def __init__(
        self,
        name: str,
        args: VhdRetentionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            VhdRetentionProvider(), name, {**args.props(), URN_KEY: own_urn(name, RETENTION_TYPE, opts)}, opts
        )


# The type tokens the engine, the policy pack and the offline plan see (the pack keeps its own copy, tested to agree).
CAPTURE_TYPE = "pulumi-python:dynamic/capture:GeneralizedImage"
CLEANUP_TYPE = "pulumi-python:dynamic/capture:CaptureCleanup"
RETENTION_TYPE = "pulumi-python:dynamic/capture:VhdRetention"


def capture_builder(
    name: str, args: GeneralizedImageArgs, data_access: pulumi.Resource | None = None
) -> GeneralizedImage:
    """The capture and its clean-up resource, ordered for every engine operation.

    `data_access` is what gives the deployer's identity its blob rights (the storage account's role assignment): both
    depend on it, so `pulumi destroy` deletes them (and their VHDs) before that access is removed.
    """
    needs = [data_access] if data_access is not None else []
    cleanup = CaptureCleanup(f"{name}-cleanup", args, pulumi.ResourceOptions(depends_on=needs))
    return GeneralizedImage(name, args, pulumi.ResourceOptions(depends_on=[cleanup, *needs]))
