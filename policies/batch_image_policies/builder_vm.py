"""Builder VM rules checked one resource at a time: managed OS disk, SSH keys only, no public IP, no secrets
in custom data (Checkov CKV_AZURE_92/149/45, CKV2_AZURE_39; Azure Policy 06a78e20)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from . import _tokens as types
from ._policy import Report, for_types, schema, str_list_option, string_list, subject, violation
from ._props import is_unknown, items, keys, peek, text
from ._secrets_scan import decode_custom_data, findings

WINDOWS_PUBLISHERS = {"microsoftwindowsserver", "microsoftwindowsdesktop", "microsoftsqlserver"}


def _vm(args: ResourceValidationArgs) -> str:
    return subject("VM", args.name)


def _managed_os_disk(args: ResourceValidationArgs, report: Report) -> None:
    unmanaged = [k for k in ("vhd", "image") if k in keys(args.props, "storageProfile.osDisk")]
    if not unmanaged:
        return
    found = ", ".join(f"osDisk.{k}.uri {text(peek(args.props, f'storageProfile.osDisk.{k}.uri'))}" for k in unmanaged)
    report(
        violation(
            _vm(args),
            "the OS disk is an unmanaged VHD in a storage account",
            found,
            "set builder.osDisk to managed (storageProfile.osDisk.managedDisk, no vhd/image uri); the generalized "
            "disk can still be exported as a VHD with exportVhd: true",
            "unmanaged disks are retired on public Azure: none can be created since 30 Sep 2023 and VMs on them "
            "cannot start since 31 Mar 2026 (CKV_AZURE_92, Azure Policy 06a78e20)",
        )
    )


builder_vm_managed_os_disk = ResourceValidationPolicy(
    name="builder-vm-managed-os-disk",
    description="The builder VM uses a managed OS disk.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({types.VIRTUAL_MACHINE}, _managed_os_disk),
)


def _is_windows(args: ResourceValidationArgs) -> bool:
    publisher = peek(args.props, "storageProfile.imageReference.publisher")
    return (
        "windowsConfiguration" in keys(args.props, "osProfile")
        or peek(args.props, "storageProfile.osDisk.osType") == "Windows"
        or (isinstance(publisher, str) and publisher.lower() in WINDOWS_PUBLISHERS)
    )


def _ssh_key_only(args: ResourceValidationArgs, report: Report) -> None:
    if not keys(args.props, "osProfile") or _is_windows(args):
        return  # no guest OS profile (attached disk) or a Windows builder: nothing to check
    disabled = peek(args.props, "osProfile.linuxConfiguration.disablePasswordAuthentication")
    if disabled is True or is_unknown(disabled):
        return
    report(
        violation(
            _vm(args),
            "Linux password authentication is enabled",
            f"osProfile.linuxConfiguration.disablePasswordAuthentication {text(disabled)}",
            "set disablePasswordAuthentication to true, give an SSH public key in linuxConfiguration.ssh.publicKeys "
            "and drop adminPassword",
            "a password login on the builder is a brute-force target and the image must not carry one (CKV_AZURE_149)",
        )
    )


builder_vm_ssh_key_only = ResourceValidationPolicy(
    name="builder-vm-ssh-key-only",
    description="Linux builder VMs allow SSH key authentication only.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.VIRTUAL_MACHINE}, _ssh_key_only),
)


def _no_public_ip(args: ResourceValidationArgs, report: Report) -> None:
    for where, ip_config in _ip_configurations(args):
        if is_unknown(ip_config):
            continue
        for key in ("publicIPAddress", "publicIPAddressConfiguration"):
            public_ip = peek(ip_config, key)
            if public_ip is None:
                continue
            report(
                violation(
                    subject("network interface" if args.resource_type == types.NETWORK_INTERFACE else "VM", args.name),
                    "an IP configuration has a public IP address",
                    f"{where}.{key} {text(public_ip)}",
                    f"remove {key}; reach the builder through the virtual network (Bastion, VPN) or not at all "
                    "(setup runs from cloud-init)",
                    "a public IP exposes the builder (and the image being made) to the internet (CKV2_AZURE_39)",
                )
            )


def _ip_configurations(args: ResourceValidationArgs) -> list[tuple[str, object]]:
    if args.resource_type == types.NETWORK_INTERFACE:
        return [(f"ipConfigurations[{i}]", c) for i, c in enumerate(items(args.props, "ipConfigurations"))]
    found: list[tuple[str, object]] = []
    for n, nic in enumerate(items(args.props, "networkProfile.networkInterfaceConfigurations")):
        for i, c in enumerate(items(nic, "ipConfigurations")):
            found.append((f"networkInterfaceConfigurations[{n}].ipConfigurations[{i}]", c))
    return found


builder_vm_no_public_ip = ResourceValidationPolicy(
    name="builder-vm-no-public-ip",
    description="The builder VM's network interface has no public IP address.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.NETWORK_INTERFACE, types.VIRTUAL_MACHINE}, _no_public_ip),
)


def _no_secrets_in_custom_data(args: ResourceValidationArgs, report: Report) -> None:
    extra = str_list_option(args.get_config(), "extraPatterns", [])
    for path in ("osProfile.customData", "userData"):
        value = peek(args.props, path)
        if not isinstance(value, str) or is_unknown(value):
            continue
        found = findings(decode_custom_data(value), extra)
        if found:
            report(
                violation(
                    _vm(args),
                    f"{path} appears to hold secrets",
                    "; ".join(found),
                    "pass secrets at run time instead (Key Vault with a managed identity, a secret Pulumi config "
                    "fetched by the setup script) and keep only references in the cloud-config",
                    "custom data is stored unencrypted in the VM model, readable by anyone with VM read access, "
                    "and can end up in the captured image (CKV_AZURE_45)",
                )
            )


builder_vm_no_secrets_in_custom_data = ResourceValidationPolicy(
    name="builder-vm-no-secrets-in-custom-data",
    description="VM custom data and user data hold no keys, passwords or connection strings.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({types.VIRTUAL_MACHINE}, _no_secrets_in_custom_data),
    config_schema=schema(
        extraPatterns=string_list("Additional regular expressions that count as a secret in custom data.", []),
    ),
)
