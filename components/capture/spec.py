"""The capture resource's contract, declared once: every input and output, what it means, how a change of it is
handled, and how it is validated.

Everything else is derived from these declarations: the program-side resource's props (`resource.py`), the provider's
`check` (`input_failures`) and `diff` (`REPLACE_KEYS`, `STATE_KEYS`), the offline plan's stand-in for the provider
(`expected_outputs`), and where the VHD goes (`artifact_stem`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlparse

from pulumi.dynamic import CheckFailure

from components.capture.arm_ids import storage_account_id_parts, vm_id_parts
from components.common import provider_kit
from components.common.image_version import IMAGE_VERSION_RULE, is_image_version
from components.common.os_type import OS_TYPES, OsType
from components.common.provider_kit import Rule, failure_text, input_field, input_keys, is_unknown, keys_for

# How a changed input is handled (provider_kit.Change): "replace" = a new capture, "state" = an in-place update of
# the recorded state only, "ignore" = nothing at all.

DISK_MODES = ("managed", "unmanaged")
MAX_GUEST_TIMEOUT_MINUTES = 24 * 60
_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,69}$")  # 70: the name adds "-<key>" (artifact_stem)
CAPTURE_CONTAINER = "system"  # where the VM capture API writes, under Microsoft.Compute/Images/<container>/


def makes_vhd(os_disk_mode: Any, export_vhd: Any) -> bool:
    """The one rule for "this capture writes a VHD": the classic unmanaged capture always does, a managed disk when
    `export_vhd` asks for it."""
    return os_disk_mode == "unmanaged" or export_vhd is True


# --- validation rules (one clear sentence of what is allowed each) -----------------------------------------------


def _arm_id(parts: Callable[[Any], object | None], what: str, path: str) -> Rule:
    """The ARM id of one kind of resource, e.g. what="a virtual machine", path="Microsoft.Compute/virtualMachines"."""
    shape = f"/subscriptions/<guid>/resourceGroups/<group>/providers/{path}/<name>"
    return lambda value, _: None if parts(value) is not None else f"must be the ARM id of {what}: {shape}"


_vm_id = _arm_id(vm_id_parts, "a virtual machine", "Microsoft.Compute/virtualMachines")
_storage_account_id = _arm_id(storage_account_id_parts, "a storage account", "Microsoft.Storage/storageAccounts")


def _urn(value: Any, _: Mapping[str, Any]) -> str | None:
    if value in (None, "") or (isinstance(value, str) and value.startswith("urn:pulumi:")):
        return None
    return "must be the builder VM's Pulumi URN (urn:pulumi:...), or empty"


def _one_of(allowed: tuple[str, ...]) -> Rule:
    return lambda value, _: None if value in allowed else f"must be one of {', '.join(allowed)}"


def _image_version(value: Any, _: Mapping[str, Any]) -> str | None:
    return None if is_image_version(value) else f"must be a gallery image version {IMAGE_VERSION_RULE}"


def _content(value: Any, _: Mapping[str, Any]) -> str | None:
    ok = value is None or (isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()))
    return None if ok else "must map each part of the image's content to its fingerprint (strings)"


def _boolean(value: Any, _: Mapping[str, Any]) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _optional_boolean(value: Any, props: Mapping[str, Any]) -> str | None:
    return None if value is None else _boolean(value, props)


def _needed_for_vhd(rule: Rule) -> Rule:
    """A destination setting: required when the capture writes a VHD, may be empty otherwise."""

    def check(value: Any, props: Mapping[str, Any]) -> str | None:
        if value in (None, "") and not makes_vhd(props.get("os_disk_mode"), props.get("export_vhd")):
            return None
        return rule(value, props)

    return check


def blob_endpoint_rule(value: Any, _: Mapping[str, Any]) -> str | None:
    parsed = urlparse(value) if isinstance(value, str) else None
    if not parsed or parsed.scheme != "https" or not parsed.netloc or parsed.query or not value.endswith("/"):
        return (
            "must be the storage account's https blob endpoint ending in '/', e.g. https://acct.blob.core.windows.net/"
        )
    return None


def container_rule(value: Any, _: Mapping[str, Any]) -> str | None:
    ok = isinstance(value, str) and _CONTAINER.match(value)
    return None if ok else "must be a blob container name: 3-63 lowercase letters, digits and single hyphens"


def _prefix(value: Any, _: Mapping[str, Any]) -> str | None:
    ok = isinstance(value, str) and _PREFIX.match(value)
    return None if ok else "must be 1-70 letters, digits, '.', '_' or '-', starting with a letter or digit"


def _timeout(value: Any, _: Mapping[str, Any]) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not 0 < value <= MAX_GUEST_TIMEOUT_MINUTES:
        return f"must be a number of minutes greater than 0 and at most {MAX_GUEST_TIMEOUT_MINUTES}"
    return None


# --- the declarations ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptureSpec:
    """The capture resource's inputs (dict keys on the wire are these field names)."""

    vm_id: str = input_field(
        "ARM id of the builder VM (an output of the VM, so the VM exists first)", "replace", _vm_id
    )
    os_disk_mode: str = input_field(
        "'managed' or 'unmanaged' (classic VHD-in-storage OS disk)", "replace", _one_of(DISK_MODES)
    )
    os_type: OsType = input_field("'Linux' or 'Windows'", "replace", _one_of(OS_TYPES))
    image_version: str = input_field(
        "gallery image version this capture is for (a new version = a new capture)", "replace", _image_version
    )
    image_content: Mapping[str, str] = input_field(
        "what goes into the image, part by part (setup script, user data, base image, VM size, disk mode, OS): "
        "`check` refuses a change of it under the same image_version (content_failures)",
        "replace",
        _content,
    )
    export_vhd: bool = input_field(
        "managed disk only: copy the generalized OS disk into the storage account", "replace", _boolean
    )
    storage_account_id: str = input_field(
        "ARM id of the image storage account", "replace", _needed_for_vhd(_storage_account_id)
    )
    blob_endpoint: str = input_field(
        "that account's primary blob endpoint, e.g. https://acct.blob.core.windows.net/: where the VHD goes, and "
        "where the guest's build-proof markers are read (components/common/proof.py), so it is always required",
        "replace",
        blob_endpoint_rule,
    )
    vhd_container: str = input_field(
        "container for exported VHDs; for the unmanaged capture, its destinationContainerName",
        "replace",
        _needed_for_vhd(container_rule),
    )
    vhd_prefix: str = input_field(
        "VHD name prefix; the name adds a key of the VM instance and version (see artifact_stem)", "replace", _prefix
    )
    guest_timeout_minutes: float = input_field(
        "deadline for the guest to deprovision and power off, counted from the VM's creation; a new deadline does "
        "not redo a finished capture",
        "ignore",
        _timeout,
    )
    vm_urn: str = input_field(
        "Pulumi URN of the builder VM, named in errors that tell how to rebuild it (`pulumi up --replace`)",
        "ignore",
        _urn,
    )
    retain_vhd_on_delete: bool = input_field(
        "keep the VHD blob when this resource is deleted (recorded in the state, no cloud change)",
        "state",
        _optional_boolean,
    )

    @property
    def unmanaged(self) -> bool:
        return self.os_disk_mode == "unmanaged"

    @property
    def makes_vhd(self) -> bool:
        return makes_vhd(self.os_disk_mode, self.export_vhd)

    @staticmethod
    def from_props(props: Mapping[str, Any]) -> CaptureSpec:
        """The typed inputs; raises ValueError naming every bad key (create calls check's rules again)."""
        failures = input_failures(props)
        if failures:
            raise ValueError(failure_text(failures))
        return CaptureSpec(
            vm_id=props["vm_id"],
            os_disk_mode=props["os_disk_mode"],
            os_type=props["os_type"],
            image_version=props["image_version"],
            image_content=dict(props.get("image_content") or {}),
            export_vhd=bool(props.get("export_vhd", False)),
            storage_account_id=props.get("storage_account_id") or "",
            blob_endpoint=props.get("blob_endpoint") or "",
            vhd_container=props.get("vhd_container") or "",
            vhd_prefix=props["vhd_prefix"],
            guest_timeout_minutes=float(props["guest_timeout_minutes"]),
            vm_urn=props.get("vm_urn") or "",
            retain_vhd_on_delete=bool(props.get("retain_vhd_on_delete", False)),
        )


@dataclass(frozen=True)
class CaptureOutcome:
    """The capture resource's outputs (besides its inputs, which the provider echoes into the state)."""

    vm_instance_id: str = field(metadata={"doc": "the builder VM's vmId: the instance this capture was taken from"})
    os_disk_id: str = field(metadata={"doc": "managed OS disk id, or the unmanaged OS disk's VHD URI"})
    vhd_uri: str = field(metadata={"doc": "the VHD in the storage account; '' when this capture wrote none"})
    generalized_time: str = field(metadata={"doc": "when Azure marked the VM generalized (ISO 8601, UTC)"})

    def as_outputs(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


INPUT_KEYS = input_keys(CaptureSpec)
OUTPUT_KEYS = tuple(f.name for f in fields(CaptureOutcome))
REPLACE_KEYS = keys_for(CaptureSpec, "replace")
STATE_KEYS = keys_for(CaptureSpec, "state")
# A replacement writes to the same place when these and the VM instance are the same.
DESTINATION_KEYS = ("blob_endpoint", "vhd_container", "vhd_prefix", "os_disk_mode", "image_version")


def input_failures(props: Mapping[str, Any]) -> list[CheckFailure]:
    """One failure per bad input; values unknown during preview are not judged."""
    return provider_kit.input_failures(CaptureSpec, props)


def content_failures(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[CheckFailure]:
    """A gallery image version is immutable: new content under the version already built is refused.

    Compares the recorded inputs (`olds`, empty on create) with the new ones; parts not known yet are not judged.
    """
    old, new = olds.get("image_content"), news.get("image_content")
    version = news.get("image_version")
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)) or olds.get("image_version") != version:
        return []
    changed = sorted(k for k in {*old, *new} if not is_unknown(new.get(k)) and old.get(k) != new.get(k))
    if not changed:
        return []
    guest_setup = (
        " userData is the guest setup this program wraps around the setup script (deprovisioning, the build proof): "
        "a program upgrade that changed it needs a new image.version too, or retire the builder "
        "(image.builder.enabled: false) to keep the published version as it is."
        if "userData" in changed
        else ""
    )
    return [
        CheckFailure(
            "image_content",
            f"what goes into the image changed ({', '.join(changed)}) but image.version is still {version}: a "
            "published gallery image version must not get new bits under its old name. Set "
            f"batch-custom-image:image.version to {next_version(str(version))} (or revert the change).{guest_setup}",
        )
    ]


def next_version(version: str) -> str:
    """The next patch version, e.g. 1.0.0 -> 1.0.1."""
    major, minor, patch = version.split(".") if is_image_version(version) else ("1", "0", "-1")
    return f"{major}.{minor}.{int(patch) + 1}"


# --- where the VHD goes -------------------------------------------------------------------------------------------


def artifact_stem(vhd_prefix: str, vm_instance_id: str, image_version: str) -> str:
    """`<prefix>-<key>`: the key (8 hex digits) is derived from the VM instance and image version.

    A replacement built on another VM therefore never writes over (or refuses to write over) the VHD of the capture
    it replaces, a VHD kept with retain_vhd_on_delete stays where it is, and a rerun of the same capture finds its own.
    """
    key = hashlib.sha256(f"{vm_instance_id.lower()}/{image_version}".encode()).hexdigest()[:8]
    return f"{vhd_prefix}-{key}"


def export_blob_name(spec: CaptureSpec, vm_instance_id: str) -> str:
    return f"{artifact_stem(spec.vhd_prefix, vm_instance_id, spec.image_version)}.vhd"


def captured_blob_prefix(spec: CaptureSpec, vm_instance_id: str) -> str:
    """Where the VM capture API writes, in container 'system': `<vhdPrefix>-osDisk.<guid>.vhd` under this folder."""
    stem = artifact_stem(spec.vhd_prefix, vm_instance_id, spec.image_version)
    return f"Microsoft.Compute/Images/{spec.vhd_container}/{stem}-osDisk."


def expected_outputs(inputs: Mapping[str, Any], vm_instance_id: str, managed_disk_id: str, os_vhd_uri: str) -> dict:
    """What `create` returns for these inputs and VM facts (the offline plan's stand-in for the provider)."""
    spec = CaptureSpec.from_props({**inputs, "vm_urn": inputs.get("vm_urn") or ""})
    vhd_uri = ""
    if spec.unmanaged:
        captured = captured_blob_prefix(spec, vm_instance_id)
        vhd_uri = f"{spec.blob_endpoint}{CAPTURE_CONTAINER}/{captured}{vm_instance_id}.vhd"
    elif spec.export_vhd:
        vhd_uri = f"{spec.blob_endpoint}{spec.vhd_container}/{export_blob_name(spec, vm_instance_id)}"
    outcome = CaptureOutcome(
        vm_instance_id=vm_instance_id,
        os_disk_id=os_vhd_uri if spec.unmanaged else managed_disk_id,
        vhd_uri=vhd_uri,
        generalized_time="",
    )
    return {**{k: inputs[k] for k in INPUT_KEYS if k in inputs}, **outcome.as_outputs()}
