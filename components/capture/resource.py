"""Program-side half of the capture step: the dynamic resource between the builder VM and the gallery.

Inputs (dict keys are the wire names the provider sees):

| key                    | meaning                                                                      |
|------------------------|------------------------------------------------------------------------------|
| vm_id                  | ARM id of the builder VM (an output of the VM, so the VM exists first)       |
| os_disk_mode           | "managed" or "unmanaged"                                                     |
| os_type                | "Linux" or "Windows"                                                         |
| image_version          | gallery image version this capture is for (a new version = a new capture)   |
| export_vhd             | managed disk only: copy the generalized OS disk into the storage account    |
| storage_account_id     | ARM id of the image storage account                                          |
| blob_endpoint          | that account's primary blob endpoint, e.g. https://acct.blob.core.windows.net/ |
| vhd_container          | container for exported VHDs; for unmanaged capture, destinationContainerName |
| vhd_prefix             | VHD name prefix: export blob `<prefix>.vhd`; capture `vhdPrefix`             |
| guest_timeout_minutes  | deadline for the guest to power itself off after deprovisioning             |
| retain_vhd_on_delete   | keep the VHD blob when this resource is deleted                              |

Outputs: vm_id, os_disk_id, vhd_uri ("" when no VHD exists), generalized_time (ISO 8601, UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from components.capture.provider import CaptureProvider

# The type token the engine, the policy pack and the offline plan see.
CAPTURE_TYPE = "pulumi-python:dynamic/capture:GeneralizedImage"


@dataclass
class GeneralizedImageArgs:
    vm_id: pulumi.Input[str]
    os_disk_mode: str
    os_type: str
    image_version: str
    export_vhd: bool
    storage_account_id: pulumi.Input[str]
    blob_endpoint: pulumi.Input[str]
    vhd_container: pulumi.Input[str]
    vhd_prefix: str
    guest_timeout_minutes: int
    retain_vhd_on_delete: bool = False


class GeneralizedImage(pulumi.dynamic.Resource, module="capture", name="GeneralizedImage"):
    """The generalized (and, where asked, VHD-exported) builder VM."""

    vm_id: pulumi.Output[str]
    os_disk_id: pulumi.Output[str]
    vhd_uri: pulumi.Output[str]
    generalized_time: pulumi.Output[str]

    def __init__(self, name: str, args: GeneralizedImageArgs, opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = {
            "vm_id": args.vm_id,
            "os_disk_mode": args.os_disk_mode,
            "os_type": args.os_type,
            "image_version": args.image_version,
            "export_vhd": args.export_vhd,
            "storage_account_id": args.storage_account_id,
            "blob_endpoint": args.blob_endpoint,
            "vhd_container": args.vhd_container,
            "vhd_prefix": args.vhd_prefix,
            "guest_timeout_minutes": args.guest_timeout_minutes,
            "retain_vhd_on_delete": args.retain_vhd_on_delete,
            # outputs only: seeded None so Pulumi exposes them as Output attributes
            "os_disk_id": None,
            "vhd_uri": None,
            "generalized_time": None,
        }
        super().__init__(CaptureProvider(), name, props, opts)
