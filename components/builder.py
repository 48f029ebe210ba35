"""The builder VM: a private network with outbound-only internet, and the VM that bakes the image.

No inbound rule, no public IP on the NIC, no VM extension. Outbound traffic (package mirrors, the VM agent) goes
through a NAT gateway: new virtual networks no longer get default outbound access. Setup runs from custom data: on
Linux through cloud-init (components/cloud_init.py), on Windows through unattend content at the first logon
(components/windows_setup.py). The guest generalizes itself, proves it with a marker in the image storage account
(written with the builder's user-assigned identity, whose only right is on the `build-proof` container;
components/common/proof.py) and powers off, and the capture step takes over.
This module only branches on the OS; each OS's guest-side rendering lives in its own module.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
import pulumi_tls as tls
from pulumi_azure_native import authorization, compute, managedidentity, network, storage

from components import windows_setup
from components.cloud_init import encode_custom_data, render_user_data
from components.common.os_type import OsType, is_windows
from components.common.proof import PROOF_CONTAINER, fill_proof_target, proof_container_url
from components.settings import Builder
from components.storage import blob_contributor

ADMIN_USER = "builder"
WINDOWS_COMPUTER_NAME_MAX = 15  # NetBIOS: Windows computer names have at most 15 characters
ADMIN_PASSWORD_LENGTH = 32
# Special characters with no meaning in XML: the password goes into the AutoLogon unattend content.
PASSWORD_SPECIALS = "!#%*+-=?@^_~"


def render_guest_setup(os_type: OsType, setup_script: str, image_version: str) -> str:
    """The builder's custom data (plain text): the #cloud-config document on Linux, the build driver on Windows.

    It holds the proof tokens (components/common/proof.py) where the stack's proof container URL and identity client
    id go: this text is what the image content hashes, and BuilderVm fills the tokens in (`fill_proof_target`)."""
    if is_windows(os_type):
        return windows_setup.render_driver(setup_script, image_version)
    return render_user_data(setup_script, image_version)


@dataclass
class BuilderVmArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    builder: Builder
    image_version: str
    user_data: str  # the custom data, plain text (render_guest_setup: #cloud-config on Linux, the driver on Windows)
    blob_endpoint: pulumi.Input[str]  # the image storage account's, for the classic unmanaged OS disk
    builder_container: pulumi.Input[str]
    security_type: str = "Standard"  # image.securityType: Standard | TrustedLaunch
    os_type: OsType = "Linux"  # image.osType
    # The build proof (components/common/proof.py): the image storage account the guest writes its markers to.
    storage_account_id: pulumi.Input[str] = ""
    storage_account_name: pulumi.Input[str] = ""
    subscription_id: pulumi.Input[str] = ""
    # storage.networkAccess is set: the builder subnet gets the Microsoft.Storage service endpoint, so that the
    # account's virtual-network rule for it (ImageStorageArgs.builder_subnet_ids) lets the guest's markers through.
    storage_service_endpoint: bool = False


class BuilderVm(pulumi.ComponentResource):
    vm_id: pulumi.Output[str]
    vm_name: pulumi.Output[str]
    vm_urn: pulumi.Output[str]  # named in the capture's errors: `pulumi up --replace <urn>` rebuilds the VM
    os_disk_vhd_uri: pulumi.Output[str] | None
    subnet_id: pulumi.Output[str]  # the image storage account's virtual-network rule names it
    proof_identity: managedidentity.UserAssignedIdentity
    proof_writer: authorization.RoleAssignment  # the identity's only right: write blobs in the proof container

    def __init__(self, name: str, args: BuilderVmArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("batch-custom-image:builder:BuilderVm", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        subnet = _private_subnet(name, args, child)
        self.subnet_id = subnet.id
        self.proof_identity, self.proof_writer = _proof_writer(name, args, child)
        client_id = self.proof_identity.client_id
        nic = network.NetworkInterface(
            f"{name}-nic",
            resource_group_name=args.resource_group_name,
            location=args.location,
            ip_configurations=[
                network.NetworkInterfaceIPConfigurationArgs(
                    name="primary",
                    subnet=network.SubnetArgs(id=subnet.id),
                    private_ip_allocation_method=network.IPAllocationMethod.DYNAMIC,
                )
            ],
            opts=child,
        )
        self.os_disk_vhd_uri = None
        if args.builder.os_disk == "unmanaged":
            # Versioned blob name: a new image version builds on a fresh disk, never over the last one.
            self.os_disk_vhd_uri = pulumi.Output.concat(
                args.blob_endpoint, args.builder_container, f"/{name}-{args.image_version}-osdisk.vhd"
            )

        vm = compute.VirtualMachine(
            f"{name}-vm",
            resource_group_name=args.resource_group_name,
            location=args.location,
            hardware_profile=compute.HardwareProfileArgs(vm_size=args.builder.vm_size),
            storage_profile=compute.StorageProfileArgs(
                image_reference=compute.ImageReferenceArgs(
                    publisher=args.builder.base_image.publisher,
                    offer=args.builder.base_image.offer,
                    sku=args.builder.base_image.sku,
                    version=args.builder.base_image.version,
                ),
                os_disk=_os_disk(name, self.os_disk_vhd_uri),
            ),
            os_profile=_os_profile(name, args, client_id, child),
            # The guest's only credential: the identity that may write its markers to the proof container.
            identity=compute.VirtualMachineIdentityArgs(
                type=compute.ResourceIdentityType.USER_ASSIGNED, user_assigned_identities=[self.proof_identity.id]
            ),
            network_profile=compute.NetworkProfileArgs(
                network_interfaces=[
                    compute.NetworkInterfaceReferenceArgs(
                        id=nic.id, primary=True, delete_option=compute.DeleteOptions.DETACH
                    )
                ]
            ),
            # Managed boot diagnostics: the serial log explains a failed setup without logging in.
            diagnostics_profile=compute.DiagnosticsProfileArgs(
                boot_diagnostics=compute.BootDiagnosticsArgs(enabled=True)
            ),
            security_profile=_security_profile(args.security_type, args.builder.encryption_at_host),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The guest writes its markers as it runs: its identity's role is there before it starts.
                depends_on=[self.proof_writer],
                # A new image version (or base image) is a new build: a generalized VM can't be started again.
                # The old VM goes first so the NIC is free for the new one.
                replace_on_changes=["osProfile", "storageProfile", "securityProfile"],
                delete_before_replace=True,
                # Builders created before allowExtensionOperations was set must not be rebuilt (and the image with
                # them) just for it: a generalized VM can't be updated, so new builders get it at creation only.
                ignore_changes=["osProfile.allowExtensionOperations"],
            ),
        )
        self.vm_id = vm.id
        self.vm_name = vm.name
        self.vm_urn = vm.urn
        self.register_outputs({"vm_id": self.vm_id, "vm_name": self.vm_name, "vm_urn": self.vm_urn})


def _proof_writer(
    name: str, args: BuilderVmArgs, child: pulumi.ResourceOptions
) -> tuple[managedidentity.UserAssignedIdentity, authorization.RoleAssignment]:
    """The build proof's container, the builder's user-assigned identity, and the identity's one right: Storage Blob
    Data Contributor on that container only (the scope is the container, not the account). All are the builder's
    children, so retiring the builder (image.builder.enabled: false) removes them with it."""
    container = storage.BlobContainer(
        f"{name}-{PROOF_CONTAINER}",
        container_name=PROOF_CONTAINER,
        account_name=args.storage_account_name,
        resource_group_name=args.resource_group_name,
        public_access=storage.PublicAccess.NONE,
        opts=child,
    )
    identity = managedidentity.UserAssignedIdentity(
        f"{name}-identity", resource_group_name=args.resource_group_name, location=args.location, opts=child
    )
    scope = pulumi.Output.concat(args.storage_account_id, "/blobServices/default/containers/", container.name)
    writer = blob_contributor(
        f"{name}-proof-writer", scope, identity.principal_id, "ServicePrincipal", args.subscription_id, child
    )
    return identity, writer


def _custom_data(user_data: str, blob_endpoint: pulumi.Input[str], client_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The rendered guest setup with the stack's proof container URL and identity client id, base64-encoded."""
    return pulumi.Output.all(blob_endpoint, client_id).apply(
        lambda values: encode_custom_data(fill_proof_target(user_data, proof_container_url(values[0]), values[1]))
    )


def _os_profile(
    name: str, args: BuilderVmArgs, client_id: pulumi.Input[str], child: pulumi.ResourceOptions
) -> compute.OSProfileArgs:
    # No extension operations on the builder (CKV_AZURE_50): setup runs from custom data, and an extension would be
    # captured into the image (builder-vm-no-extension-operations).
    windows = is_windows(args.os_type)
    computer_name = f"{name}-{args.image_version.replace('.', '-')}"
    password, windows_configuration = _windows_logon(name, child) if windows else (None, None)
    return compute.OSProfileArgs(
        computer_name=computer_name[:WINDOWS_COMPUTER_NAME_MAX].rstrip("-") if windows else computer_name[:63],
        admin_username=ADMIN_USER,
        admin_password=password,
        custom_data=_custom_data(args.user_data, args.blob_endpoint, client_id),
        allow_extension_operations=False,
        linux_configuration=None if windows else _linux_configuration(name, args, child),
        windows_configuration=windows_configuration,
    )


def _linux_configuration(
    name: str, args: BuilderVmArgs, child: pulumi.ResourceOptions
) -> compute.LinuxConfigurationArgs:
    """SSH key only (the builder's throwaway key unless image.builder.sshPublicKey is set), no password."""
    ssh_key = _ssh_public_key(name, args.builder, child)
    return compute.LinuxConfigurationArgs(
        disable_password_authentication=True,
        provision_vm_agent=True,
        ssh=compute.SshConfigurationArgs(
            public_keys=[compute.SshPublicKeyArgs(path=f"/home/{ADMIN_USER}/.ssh/authorized_keys", key_data=ssh_key)]
        ),
    )


def _windows_logon(
    name: str, child: pulumi.ResourceOptions
) -> tuple[pulumi.Output[str], compute.WindowsConfigurationArgs]:
    """A generated, secret admin password; the driver runs at the first logon (AutoLogon + FirstLogonCommands;
    LogonCount 1, and the driver turns AutoLogon off first thing since Windows may log on twice).

    No WinRM listener and no inbound rule: nothing can log in from the network. Automatic updates are off so that
    Windows Update does not restart the VM in the middle of the setup (the first logon, and with it the build, would
    not come back); a setup script installs the updates it wants itself.
    """
    # Azure's rule for Windows admin passwords: 12 to 123 characters, 3 of 4 character classes (all 4 here).
    generated = random.RandomPassword(
        f"{name}-admin-password",
        length=ADMIN_PASSWORD_LENGTH,
        override_special=PASSWORD_SPECIALS,
        min_lower=1,
        min_upper=1,
        min_numeric=1,
        min_special=1,
        opts=child,
    )
    password: pulumi.Output[str] = pulumi.Output.secret(generated.result)  # secret already: said where it is used
    auto_logon = password.apply(lambda value: windows_setup.auto_logon_content(ADMIN_USER, value))
    return password, compute.WindowsConfigurationArgs(
        provision_vm_agent=True,
        enable_automatic_updates=False,
        patch_settings=compute.PatchSettingsArgs(patch_mode=compute.WindowsVMGuestPatchMode.MANUAL),
        additional_unattend_content=[
            _unattend(windows_setup.AUTO_LOGON, auto_logon),
            _unattend(windows_setup.FIRST_LOGON_COMMANDS, windows_setup.first_logon_commands_content()),
        ],
    )


def _unattend(setting: str, content: pulumi.Input[str]) -> compute.AdditionalUnattendContentArgs:
    return compute.AdditionalUnattendContentArgs(
        pass_name=compute.PassName(windows_setup.PASS_NAME),
        component_name=compute.ComponentName(windows_setup.COMPONENT_NAME),
        setting_name=compute.SettingNames(setting),
        content=content,
    )


def _private_subnet(name: str, args: BuilderVmArgs, child: pulumi.ResourceOptions) -> network.Subnet:
    """VNet + subnet with an NSG that has no inbound rule, and a NAT gateway for outbound traffic."""
    nsg = network.NetworkSecurityGroup(
        f"{name}-nsg",
        resource_group_name=args.resource_group_name,
        location=args.location,
        security_rules=[],
        opts=child,
    )
    nat_ip = network.PublicIPAddress(
        f"{name}-nat-ip",
        resource_group_name=args.resource_group_name,
        location=args.location,
        sku=network.PublicIPAddressSkuArgs(name=network.PublicIPAddressSkuName.STANDARD),
        public_ip_allocation_method=network.IPAllocationMethod.STATIC,
        opts=child,
    )
    nat = network.NatGateway(
        f"{name}-nat",
        resource_group_name=args.resource_group_name,
        location=args.location,
        sku=network.NatGatewaySkuArgs(name=network.NatGatewaySkuName.STANDARD),
        public_ip_addresses=[network.SubResourceArgs(id=nat_ip.id)],
        opts=child,
    )
    vnet = network.VirtualNetwork(
        f"{name}-vnet",
        resource_group_name=args.resource_group_name,
        location=args.location,
        address_space=network.AddressSpaceArgs(address_prefixes=["10.42.0.0/24"]),
        opts=pulumi.ResourceOptions(parent=child.parent, ignore_changes=["subnets"]),
    )
    return network.Subnet(
        f"{name}-subnet",
        resource_group_name=args.resource_group_name,
        virtual_network_name=vnet.name,
        address_prefix="10.42.0.0/26",
        network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
        nat_gateway=network.SubResourceArgs(id=nat.id),
        default_outbound_access=False,
        # With storage network rules, the guest reaches the image storage account (its markers) through this service
        # endpoint and the account's virtual-network rule for this subnet; public traffic from the NAT's address
        # would not match an IP rule from the account's own region.
        service_endpoints=[network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.Storage")]
        if args.storage_service_endpoint
        else None,
        opts=child,
    )


def _security_profile(security_type: str, encryption_at_host: bool) -> compute.SecurityProfileArgs | None:
    """Trusted Launch with secure boot and vTPM on, and encryption at host when asked; otherwise no security profile.

    Standard is left unset on purpose: the VM API the provider uses (2024-11-01) has no "Standard" value (its
    SecurityTypes are TrustedLaunch and ConfidentialVM; Standard comes with 2025-11-01, which reports it when the
    property is unset), and on that API a VM without securityType is a Standard VM. It is also what builders deployed
    before image.securityType existed were created with, so their stacks see no change. Encryption at host
    (image.builder.encryptionAtHost) needs the subscription's EncryptionAtHost feature registered; like the security
    type, changing it rebuilds the builder VM (a generalized VM cannot be updated).
    """
    trusted_launch = security_type == "TrustedLaunch"
    if not (trusted_launch or encryption_at_host):
        return None
    return compute.SecurityProfileArgs(
        security_type=compute.SecurityTypes.TRUSTED_LAUNCH if trusted_launch else None,
        uefi_settings=(
            compute.UefiSettingsArgs(secure_boot_enabled=True, v_tpm_enabled=True) if trusted_launch else None
        ),
        encryption_at_host=True if encryption_at_host else None,
    )


def _os_disk(name: str, vhd_uri: pulumi.Output[str] | None) -> compute.OSDiskArgs:
    if vhd_uri is None:
        return compute.OSDiskArgs(
            create_option=compute.DiskCreateOptionTypes.FROM_IMAGE,
            caching=compute.CachingTypes.READ_WRITE,
            managed_disk=compute.ManagedDiskParametersArgs(
                storage_account_type=compute.StorageAccountTypes.STANDARD_SS_D_LRS
            ),
            delete_option=compute.DiskDeleteOptionTypes.DELETE,  # no orphaned disk when the VM goes
        )
    # Classic path: the OS disk is a page blob in the image storage account (retired on public Azure).
    return compute.OSDiskArgs(
        name=f"{name}-osdisk",
        create_option=compute.DiskCreateOptionTypes.FROM_IMAGE,
        caching=compute.CachingTypes.READ_WRITE,
        vhd=compute.VirtualHardDiskArgs(uri=vhd_uri),
    )


def _ssh_public_key(name: str, builder: Builder, child: pulumi.ResourceOptions) -> pulumi.Input[str]:
    """The configured key, or a generated one: nobody needs to log in (deprovisioning removes the user anyway)."""
    if builder.ssh_public_key:
        return builder.ssh_public_key
    key = tls.PrivateKey(f"{name}-ssh-key", algorithm="RSA", rsa_bits=4096, opts=child)
    return key.public_key_openssh
