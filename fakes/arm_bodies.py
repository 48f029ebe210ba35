"""Response bodies of the fake ARM, shaped by the real Azure REST examples in tests/data/arm (see SOURCE.md)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "arm"


@cache
def example(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text())


def _response(name: str, status: str = "200") -> dict[str, Any]:
    return copy.deepcopy(example(name)["responses"][status].get("body", {}))


def vm_body(vm_id: str, name: str, location: str, managed_disk_id: str | None, vhd_uri: str | None) -> dict[str, Any]:
    body = _response("Compute_VirtualMachines_Get")
    body.update(id=vm_id, name=name, location=location)
    props = body["properties"]
    os_disk = props["storageProfile"]["osDisk"]
    os_disk.update(name=f"{name}-osdisk", osType="Linux")
    props["storageProfile"]["dataDisks"] = []
    for key in ("availabilitySet", "proximityPlacementGroup", "applicationProfile", "userData"):
        props.pop(key, None)
    if managed_disk_id:
        os_disk["managedDisk"]["id"] = managed_disk_id
    else:
        unmanaged = _response("Compute_VirtualMachines_CreateOrUpdate_UnmanagedOsDisk")
        os_disk.pop("managedDisk", None)
        os_disk["vhd"] = {"uri": vhd_uri}
        os_disk["createOption"] = unmanaged["properties"]["storageProfile"]["osDisk"]["createOption"]
    return body


def instance_view_body(name: str, power: str, generalized_time: str | None, busy: bool = False) -> dict[str, Any]:
    """`busy`: an operation runs on the VM, which Azure reports as ProvisioningState/updating."""
    body = _response("Compute_VirtualMachines_InstanceView")
    body["computerName"] = name
    statuses = [s for s in body["statuses"] if not s["code"].startswith("PowerState/")]
    if busy:
        statuses = [s for s in statuses if not s["code"].startswith("ProvisioningState/")]
        statuses.insert(0, {"code": "ProvisioningState/updating", "level": "Info", "displayStatus": "Updating"})
    statuses.append({"code": f"PowerState/{power}", "level": "Info", "displayStatus": f"VM {power}"})
    if generalized_time:
        statuses.append(
            {
                "code": "OSState/generalized",
                "level": "Info",
                "displayStatus": "VM generalized",
                "time": generalized_time,
            }
        )
    body["statuses"] = statuses
    return body


def capture_body(vm_name: str, location: str, image_uri: str, os_vhd_uri: str) -> dict[str, Any]:
    """The capture template: the spec example's envelope, resources[0] as a real capture writes it."""
    body = _response("Compute_VirtualMachines_Capture_MaximumSet")
    body.update(
        {
            "$schema": "http://schema.management.azure.com/schemas/2014-04-01-preview/VM_IP.json",
            "contentVersion": "1.0.0.0",
            "parameters": {
                "vmName": {"type": "string"},
                "vmSize": {"type": "string", "defaultValue": "Standard_D2ds_v5"},
            },
            "id": f"{vm_name}-capture",
        }
    )
    body["resources"] = [
        {
            "apiVersion": "2015-06-15",
            "type": "Microsoft.Compute/virtualMachines",
            "location": location,
            "name": "[parameters('vmName')]",
            "properties": {
                "storageProfile": {
                    "osDisk": {
                        "osType": "Linux",
                        "name": f"{vm_name}-osDisk",
                        "createOption": "FromImage",
                        "image": {"uri": image_uri},
                        "vhd": {"uri": os_vhd_uri},
                        "caching": "ReadWrite",
                    }
                }
            },
        }
    ]
    return body


def grant_access_body(sas_url: str) -> dict[str, Any]:
    body = _response("Compute_Disks_GrantAccess")
    body["accessSAS"] = sas_url
    return body


def boot_diagnostics_body(serial_log_url: str, screenshot_url: str) -> dict[str, Any]:
    body = _response("Compute_VirtualMachines_RetrieveBootDiagnosticsData")
    body.update(serialConsoleLogBlobUri=serial_log_url, consoleScreenshotBlobUri=screenshot_url)
    return body


def disk_body(disk_id: str, name: str, location: str, state: str) -> dict[str, Any]:
    return {
        "id": disk_id,
        "name": name,
        "type": "Microsoft.Compute/disks",
        "location": location,
        "properties": {"osType": "Linux", "diskSizeGB": 30, "diskState": state, "provisioningState": "Succeeded"},
    }


def gallery_version_body(version_id: str, exclude_from_latest: bool, state: str = "Succeeded") -> dict[str, Any]:
    """GalleryImageVersions_Get (Compute_GalleryImageVersions_Get_WithReplicationStatus.json) for this version."""
    body = copy.deepcopy(_response("Compute_GalleryImageVersions_Get_WithReplicationStatus"))
    body.update(id=version_id, name=version_id.rsplit("/", 1)[1], type="Microsoft.Compute/galleries/images/versions")
    props = body["properties"]
    props["publishingProfile"]["excludeFromLatest"] = exclude_from_latest
    props["provisioningState"] = state
    props.pop("replicationStatus", None)  # only with $expand=ReplicationStatus
    return body


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
