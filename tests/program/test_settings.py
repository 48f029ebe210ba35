"""Bad stack configuration fails before any resource exists, with one message naming key, value and what is allowed.

Each case runs the whole program under mocks with the dev stack plus one bad change, then asserts:
- the program raised one SettingsError,
- its message names the key (as the user writes it in Pulumi.<stack>.yaml) and the value found,
- it says what is allowed,
- and not a single resource was registered.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.settings import SettingsError, parse_settings
from tools.plan.offline import RegisteredResource, load_stack_config, run_program

DEV = load_stack_config("dev")
POOL0 = DEV["batch-custom-image:pools"][0]


def _pools(**changes: Any) -> dict[str, Any]:
    """The dev pools with the first one changed (None removes a key)."""
    first = {**POOL0, **changes}
    first = {k: v for k, v in first.items() if v is not None}
    return {"pools": [first, *DEV["batch-custom-image:pools"][1:]]}


WINDOWS_BUILDER: dict[str, Any] = {
    "baseImage": {
        "publisher": "MicrosoftWindowsServer",
        "offer": "WindowsServer",
        "sku": "2022-datacenter-azure-edition",
    },
    "setupScript": "image/setup.ps1",
}
WINDOWS_IMAGE = {"osType": "Windows", "builder": WINDOWS_BUILDER}
_WINDOWS_POOLS = _pools(nodeAgentSkuId="batch.node.windows amd64")

# (case id, config overrides, key named in the message, value shown in the message, words of the "allowed" part)
BAD_INPUTS: list[tuple[str, dict[str, Any], str, str, str]] = [
    ("pools-missing", {"pools": None}, "batch-custom-image:pools", "missing", "required"),
    ("pools-empty", {"pools": []}, "batch-custom-image:pools", "[]", "at least 1"),
    ("unknown-ostype", {"image": {"osType": "Solaris"}}, "image.osType", "'Solaris'", "'Linux' or 'Windows'"),
    ("vmsize-empty", _pools(vmSize=""), "pools[0].vmSize", "''", "Standard_D4ds_v5"),
    ("vmsize-not-a-size", _pools(vmSize="D4ds"), "pools[0].vmSize", "'D4ds'", "Azure VM size"),
    ("builder-vmsize-empty", {"image": {"builder": {"vmSize": ""}}}, "image.builder.vmSize", "''", "VM size"),
    ("negative-dedicated", _pools(targetDedicatedNodes=-1), "pools[0].targetDedicatedNodes", "-1", "greater than"),
    ("negative-spot", _pools(targetSpotNodes=-3), "pools[0].targetSpotNodes", "-3", "greater than"),
    ("fractional-nodes", _pools(targetDedicatedNodes=1.5), "pools[0].targetDedicatedNodes", "1.5", "whole number"),
    ("string-nodes", _pools(targetDedicatedNodes="2"), "pools[0].targetDedicatedNodes", "'2'", "whole number"),
    ("boolean-nodes", _pools(targetSpotNodes=True), "pools[0].targetSpotNodes", "True", "whole number"),
    (
        "fixed-and-autoscale",
        _pools(autoScale={"formula": "$TargetDedicatedNodes = 2;"}),
        "pools[0].autoScale",
        "$TargetDedicatedNodes = 2;",
        "not both",
    ),
    ("vhduri-missing", {"image": {"source": "vhd"}}, "image.vhdUri", "missing", "required when image.source is vhd"),
    (
        "vhduri-http",
        {"image": {"source": "vhd", "vhdUri": "http://acct.blob.core.windows.net/vhds/app.vhd"}},
        "image.vhdUri",
        "http://acct.blob.core.windows.net/vhds/app.vhd",
        "https://",
    ),
    (
        "vhduri-not-vhd",
        {"image": {"source": "vhd", "vhdUri": "https://acct.blob.core.windows.net/vhds/app.img"}},
        "image.vhdUri",
        "app.img",
        "<name>.vhd",
    ),
    (
        "vhduri-not-blob",
        {"image": {"source": "vhd", "vhdUri": "https://example.com/vhds/app.vhd"}},
        "image.vhdUri",
        "example.com",
        "blob.core.windows.net",
    ),
    (
        "vhduri-with-sas",
        {"image": {"source": "vhd", "vhdUri": "https://acct.blob.core.windows.net/vhds/app.vhd?sv=2024&sig=abc"}},
        "image.vhdUri",
        "app.vhd",
        "SAS",
    ),
    ("version-two-parts", {"image": {"version": "1.0"}}, "image.version", "'1.0'", "MAJOR.MINOR.PATCH"),
    ("version-letters", {"image": {"version": "1.0.0-beta"}}, "image.version", "'1.0.0-beta'", "MAJOR.MINOR.PATCH"),
    ("version-leading-zero", {"image": {"version": "01.0.0"}}, "image.version", "'01.0.0'", "MAJOR.MINOR.PATCH"),
    (
        "unknown-node-agent",
        _pools(nodeAgentSkuId="batch.node.ubuntu 18.04"),
        "pools[0].nodeAgentSkuId",
        "batch.node.ubuntu 18.04",
        "batch.node.ubuntu 24.04",
    ),
    (
        "agent-os-mismatch",
        _pools(nodeAgentSkuId="batch.node.windows amd64"),
        "pools[0].nodeAgentSkuId",
        "batch.node.windows amd64",
        "Linux node agent SKU",
    ),
    (
        "duplicate-pool-names",
        {"pools": [POOL0, {**POOL0, "name": "Render"}]},
        "batch-custom-image:pools",
        "render",
        "unique",
    ),
    ("pool-name-chars", _pools(name="render pool!"), "pools[0].name", "render pool!", "Azure's characters"),
    ("pool-name-too-long", _pools(name="p" * 49), "pools[0].name", "p" * 49, "length"),
    ("image-name-chars", {"image": {"name": "app node"}}, "image.name", "app node", "Azure's characters"),
    ("image-name-trailing-dot", {"image": {"name": "app-node."}}, "image.name", "app-node.", "Azure's characters"),
    ("region-typo", {"azure-native:location": "westeurop"}, "azure-native:location", "westeurop", "westeurope"),
    ("region-missing", {"azure-native:location": None}, "azure-native:location", "missing", "Azure region"),
    (
        "replica-region-typo",
        {"image": {"replicas": [{"region": "north-europe", "count": 1}]}},
        "image.replicas[0].region",
        "north-europe",
        "northeurope",
    ),
    (
        "replica-count-zero",
        {"image": {"replicas": [{"region": "westeurope", "count": 0}]}},
        "image.replicas[0].count",
        "0",
        "greater than",
    ),
    (
        "unknown-os-disk",
        {"image": {"builder": {"osDisk": "ephemeral"}}},
        "image.builder.osDisk",
        "ephemeral",
        "managed",
    ),
    (
        "guest-timeout-too-short",
        {"image": {"builder": {"guestTimeoutMinutes": 1}}},
        "image.builder.guestTimeoutMinutes",
        "1",
        "greater than",
    ),
    (
        "missing-setup-script",
        {"image": {"builder": {"setupScript": "image/nope.sh"}}},
        "image.builder.setupScript",
        "image/nope.sh",
        "relative to the project root",
    ),
    ("task-slots-zero", _pools(taskSlotsPerNode=0), "pools[0].taskSlotsPerNode", "0", "greater than"),
    (
        "autoscale-interval-too-short",
        _pools(
            targetDedicatedNodes=None, targetSpotNodes=None, autoScale={"formula": "x", "evaluationInterval": "PT1M"}
        ),
        "pools[0].autoScale.evaluationInterval",
        "PT1M",
        "PT5M",
    ),
    ("drain-timeout-not-iso", _pools(drainTimeout="2h"), "pools[0].drainTimeout", "2h", "ISO 8601 duration"),
    ("drain-timeout-too-long", _pools(drainTimeout="P30D"), "pools[0].drainTimeout", "P30D", "at most PT168H"),
    (
        "allocation-mode-typo",
        {"batch": {"poolAllocationMode": "UserSubscriptions"}},
        "batch.poolAllocationMode",
        "UserSubscriptions",
        "'UserSubscription' or 'BatchService'",
    ),
    (
        "principal-not-guid",
        {"batch": {"servicePrincipalObjectId": "Microsoft Azure Batch"}},
        "batch.servicePrincipalObjectId",
        "Microsoft Azure Batch",
        "GUID",
    ),
    ("unknown-key", {"image": {"exportVHD": True}}, "image.exportVHD", "True", "unknown key"),
    (
        "builder-enabled-not-bool",
        {"image": {"builder": {"enabled": "no"}}},
        "image.builder.enabled",
        "no",
        "true or false",
    ),
    ("keep-no-versions", {"image": {"keepVersions": 0}}, "image.keepVersions", "0", "greater than or equal to 1"),
    (
        "pinned-version-malformed",
        {
            "pools": [
                {
                    "name": "render",
                    "vmSize": "Standard_D4ds_v5",
                    "nodeAgentSkuId": "batch.node.ubuntu 24.04",
                    "imageVersion": "v1.0",
                }
            ]
        },
        "pools[0].imageVersion",
        "v1.0",
        "MAJOR.MINOR.PATCH",
    ),
    (
        "deployer-type-group",
        {"deployer": {"principalType": "Group"}},
        "deployer.principalType",
        "Group",
        "'User' or 'ServicePrincipal'",
    ),
    ("shared-key-not-bool", {"storage": {"allowSharedKeyAccess": "no"}}, "storage.allowSharedKeyAccess", "no", "true"),
    (
        "shared-key-off-with-unmanaged-builder",
        {"storage": {"allowSharedKeyAccess": False}, "image": {"exportVhd": False, "builder": {"osDisk": "unmanaged"}}},
        "storage.allowSharedKeyAccess",
        "False",
        "osDisk managed",
    ),
    (
        "public-access-typo",
        {"batch": {"publicNetworkAccess": "Private"}},
        "batch.publicNetworkAccess",
        "Private",
        "'Enabled' or 'Disabled'",
    ),
    (
        "ip-rule-not-an-address",
        {"batch": {"accountAccess": {"defaultAction": "Deny", "ipRules": ["203.0.113.300"]}}},
        "batch.accountAccess.ipRules[0]",
        "203.0.113.300",
        "CIDR",
    ),
    (
        "ip-rule-ipv6",
        {"batch": {"accountAccess": {"defaultAction": "Deny", "ipRules": ["2001:db8::/32"]}}},
        "batch.accountAccess.ipRules[0]",
        "2001:db8::/32",
        "IPv4",
    ),
    (
        "ip-rules-with-allow",
        {"batch": {"accountAccess": {"ipRules": ["203.0.113.7"]}}},
        "batch.accountAccess.defaultAction",
        "Allow",
        "Deny when ipRules are listed",
    ),
    (
        "ip-rules-with-endpoint-disabled",
        {"batch": {"publicNetworkAccess": "Disabled", "accountAccess": {"defaultAction": "Deny"}}},
        "batch.accountAccess",
        "Deny",
        "publicNetworkAccess is Disabled",
    ),
    (
        "unknown-security-type",
        {"image": {"securityType": "ConfidentialVM"}},
        "image.securityType",
        "'ConfidentialVM'",
        "'Standard' or 'TrustedLaunch'",
    ),
    (
        "arm64-image-on-an-x64-builder-size",
        {"image": {"architecture": "Arm64", "builder": {"vmSize": "Standard_D2ds_v5"}}},
        "image.builder.vmSize",
        "Standard_D2ds_v5",
        "an Arm64 size (a `p` after the vCPU count, e.g. Standard_D2ps_v6): image.architecture is Arm64",
    ),
    (
        "x64-image-on-an-arm64-builder-size",
        {"image": {"builder": {"vmSize": "Standard_D2ps_v6"}}},
        "image.builder.vmSize",
        "Standard_D2ps_v6",
        "an x64 size",
    ),
    (
        "arm64-windows-image",
        {"image": {**WINDOWS_IMAGE, "architecture": "Arm64"}, **_WINDOWS_POOLS},
        "image.architecture",
        "Arm64",
        "x64 while osType is Windows",
    ),
    (
        "arm64-generation-1-image",
        {"image": {"architecture": "Arm64", "hyperVGeneration": "V1"}},
        "image.architecture",
        "Arm64",
        "Arm64 VMs are V2",
    ),
    (
        "nvme-on-a-generation-1-image",
        {"image": {"hyperVGeneration": "V1", "diskControllerTypes": "SCSI, NVMe"}},
        "image.diskControllerTypes",
        "SCSI, NVMe",
        "NVMe boots generation 2 images only",
    ),
    (
        "trusted-launch-on-gen1",
        {"image": {"securityType": "TrustedLaunch", "hyperVGeneration": "V1"}},
        "image.securityType",
        "TrustedLaunch",
        "TrustedLaunch needs hyperVGeneration V2",
    ),
    (
        "windows-on-a-linux-base-image",
        {"image": {"osType": "Windows"}, **_pools(nodeAgentSkuId="batch.node.windows amd64")},
        "image.builder.baseImage.publisher",
        "Canonical",
        "a Windows publisher (MicrosoftWindowsServer): the image's osType is Windows",
    ),
    (
        "windows-with-an-ssh-key",
        {
            "image": {
                **WINDOWS_IMAGE,
                "builder": {**WINDOWS_BUILDER, "sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"},
            },
            **_WINDOWS_POOLS,
        },
        "image.builder.sshPublicKey",
        "ssh-ed25519 AAAAC3NzaC1l",
        "unset when osType is Windows",
    ),
    (
        "windows-with-a-shell-script",
        {"image": {**WINDOWS_IMAGE, "builder": {**WINDOWS_BUILDER, "setupScript": "image/setup.sh"}}, **_WINDOWS_POOLS},
        "image.builder.setupScript",
        "image/setup.sh",
        "a .ps1 script: the image's osType is Windows",
    ),
    (
        "linux-with-a-powershell-script",
        {"image": {"builder": {"setupScript": "image/setup.ps1"}}},
        "image.builder.setupScript",
        "image/setup.ps1",
        "a .sh script: the image's osType is Linux",
    ),
    (
        "linux-on-a-windows-base-image",
        {"image": {"builder": {"baseImage": WINDOWS_BUILDER["baseImage"]}}},
        "image.builder.baseImage.publisher",
        "MicrosoftWindowsServer",
        "a Linux publisher: the image's osType is Linux",
    ),
    (
        "vhd-account-mismatch",
        {
            "image": {
                "source": "vhd",
                "vhdUri": "https://acct.blob.core.windows.net/vhds/app.vhd",
                "vhdStorageAccountId": (
                    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/other"
                ),
            }
        },
        "image.vhdStorageAccountId",
        "other",
        "'acct'",
    ),
]


SUB = "00000000-0000-4000-8000-000000000001"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/batch"
IDENTITY = f"/subscriptions/{SUB}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/tasks"
BAD_INPUTS += [
    (
        "subnet-is-a-vnet",
        _pools(subnetId=SUBNET.rsplit("/subnets/", 1)[0]),
        "pools[0].subnetId",
        "virtualNetworks/hub'",
        "/subnets/<subnet>",
    ),
    (
        "subnet-wrong-provider",
        _pools(subnetId=SUBNET.replace("Microsoft.Network", "Microsoft.Compute")),
        "pools[0].subnetId",
        "Microsoft.Compute",
        "Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
    ),
    (
        "subnet-subscription-not-guid",
        _pools(subnetId=SUBNET.replace(SUB, "my-sub")),
        "pools[0].subnetId",
        "my-sub",
        "<subscription guid>",
    ),
    ("public-ips-none-without-subnet", _pools(publicIPs="None"), "pools[0].publicIPs", "'None'", "with subnetId"),
    (
        "public-ips-unknown",
        _pools(subnetId=SUBNET, publicIPs="UserManaged"),
        "pools[0].publicIPs",
        "UserManaged",
        "'BatchManaged' or 'None'",
    ),
    (
        "identity-not-an-identity",
        _pools(
            identities=[IDENTITY.replace("Microsoft.ManagedIdentity/userAssignedIdentities", "Microsoft.Web/sites")]
        ),
        "pools[0].identities[0]",
        "Microsoft.Web/sites/tasks",
        "Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
    ),
    (
        "identity-twice",
        _pools(identities=[IDENTITY, IDENTITY.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/")]),
        "pools[0].identities[1]",
        "USERASSIGNEDIDENTITIES/TASKS",
        "at most once",
    ),
    ("identities-not-a-list", _pools(identities=IDENTITY), "pools[0].identities", "Microsoft.ManagedIdentity", "list"),
    (
        "container-image-uppercase",
        _pools(containerImages=["myregistry.azurecr.io/Render/engine:1.0"]),
        "pools[0].containerImages[0]",
        "Render/engine",
        "lowercase repository",
    ),
    (
        "container-image-space",
        _pools(containerImages=["ubuntu: 24.04"]),
        "pools[0].containerImages[0]",
        "ubuntu: 24.04",
        "no spaces",
    ),
    (
        "container-image-untagged",
        _pools(containerImages=["mcr.microsoft.com/azure-cli"]),
        "pools[0].containerImages[0]",
        "mcr.microsoft.com/azure-cli",
        "with a tag or a sha256 digest",
    ),
    (
        "container-image-short-digest",
        _pools(containerImages=["ubuntu@sha256:abc123"]),
        "pools[0].containerImages[0]",
        "ubuntu@sha256:abc123",
        "<64 hex digits>",
    ),
]


def _without_nones(overrides: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`None` at the top level means: remove that key from the stack config."""
    removed = [k for k, v in overrides.items() if v is None]
    return {k: v for k, v in overrides.items() if v is not None}, removed


def test_there_are_at_least_25_distinct_bad_inputs() -> None:
    assert len({case[0] for case in BAD_INPUTS}) >= 25


@pytest.mark.parametrize(("case", "overrides", "key", "value", "allowed"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_before_any_resource(
    case: str, overrides: dict[str, Any], key: str, value: str, allowed: str
) -> None:
    present, removed = _without_nones(overrides)
    config = {k: v for k, v in DEV.items() if k not in {r if ":" in r else f"batch-custom-image:{r}" for r in removed}}
    registered: list[RegisteredResource] = []
    with pytest.raises(SettingsError) as failure:
        run_program(present, config=config, records=registered)
    message = str(failure.value)
    assert len(failure.value.problems) == 1, message
    assert key in message, message
    assert value in message, message
    assert allowed in message, message
    assert registered == [], f"{case}: resources were registered before validation failed"


def test_all_problems_in_one_message() -> None:
    raw = {
        "image": {"name": "app", "version": "1", "osType": "Unix"},
        "pools": [{"name": "p", "vmSize": "", "nodeAgentSkuId": "batch.node.ubuntu 24.04"}],
        "typo": 1,
    }
    with pytest.raises(SettingsError) as failure:
        parse_settings(raw, "westeurope")
    keys = ["batch-custom-image:typo", "image.version", "image.osType", "pools[0].vmSize"]
    assert all(k in str(failure.value) for k in keys), str(failure.value)
    assert len(failure.value.problems) == 4


def test_defaults_fill_a_minimal_stack() -> None:
    settings = parse_settings(
        {
            "image": {"name": "app", "version": "2.1.0"},
            "pools": [{"name": "p", "vmSize": "Standard_D2ds_v5", "nodeAgentSkuId": "batch.node.ubuntu 24.04"}],
        },
        "eastus2",
    )
    assert settings.image.builder.os_disk == "managed"
    assert settings.image.security_type == "Standard" and settings.image.hyper_v_generation == "V2"
    assert settings.image.builder.base_image.offer == "ubuntu-24_04-lts"
    assert settings.batch.pool_allocation_mode == "UserSubscription"
    assert settings.pools[0].dedicated == 0 and settings.pools[0].resize_timeout == "PT15M"
    assert [(r.region, r.count) for r in settings.replicas] == [("eastus2", 1)]
    assert settings.storage.allow_shared_key_access is True
    assert settings.batch.public_network_access == "Enabled" and settings.batch.account_access is None
    assert settings.deployer.principal_type is None  # detected by load_settings (see test_access.py)


def test_resize_timeout_grows_15_minutes_per_1000_nodes() -> None:
    pool = {"name": "big", "vmSize": "Standard_D2ds_v5", "nodeAgentSkuId": "batch.node.ubuntu 24.04"}
    settings = parse_settings(
        {"image": {"name": "app", "version": "1.0.0"}, "pools": [{**pool, "targetDedicatedNodes": 2500}]},
        "westeurope",
    )
    assert settings.pools[0].resize_timeout == "PT45M"
    # Batch guidance: one replica per 300 nodes in the Batch region
    assert settings.replicas[0].count == 9


def test_pool_networking_identities_and_images_that_are_accepted() -> None:
    lower_case_provider = SUBNET.replace("Microsoft.Network/virtualNetworks", "microsoft.network/VIRTUALNETWORKS")
    pool = {
        "name": "p",
        "vmSize": "Standard_D2ds_v5",
        "nodeAgentSkuId": "batch.node.ubuntu 24.04",
        "subnetId": lower_case_provider,
        "publicIPs": "None",
        "identities": [IDENTITY],
        "containerImages": ["ubuntu:24.04", "localhost:5000/tools/app:1.0", "a.io/b@sha256:" + "f" * 64],
    }
    settings = parse_settings({"image": {"name": "app", "version": "1.0.0"}, "pools": [pool]}, "westeurope")
    spec = settings.pools[0]
    assert (spec.subnet_id, spec.public_ips, spec.identities) == (lower_case_provider, "None", [IDENTITY])
    assert spec.container_images == pool["containerImages"]
    minimal = {k: v for k, v in pool.items() if k in ("name", "vmSize", "nodeAgentSkuId")}
    default = parse_settings({"image": {"name": "app", "version": "1.0.0"}, "pools": [minimal]}, "westeurope").pools[0]
    assert (default.subnet_id, default.public_ips, default.identities, default.container_images) == (
        None,
        "BatchManaged",
        [],
        [],
    )


def test_a_windows_build_gets_the_windows_defaults() -> None:
    raw = {
        "image": {"name": "win", "version": "1.0.0", "osType": "Windows"},
        "pools": [{"name": "p", "vmSize": "Standard_D4ds_v5", "nodeAgentSkuId": "batch.node.windows amd64"}],
    }
    builder = parse_settings(raw, "westeurope").image.builder
    base = builder.base_image
    assert (base.publisher, base.offer, base.sku, base.version) == (
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2022-datacenter-azure-edition",
        "latest",
    )
    assert builder.setup_script == "image/setup.ps1" and builder.ssh_public_key is None


def test_windows_server_2025_is_a_base_image_choice() -> None:
    raw = {
        "image": {
            "name": "win",
            "version": "1.0.0",
            "osType": "Windows",
            "builder": {"baseImage": {**WINDOWS_BUILDER["baseImage"], "sku": "2025-datacenter-azure-edition"}},
        },
        "pools": [{"name": "p", "vmSize": "Standard_D4ds_v5", "nodeAgentSkuId": "batch.node.windows amd64"}],
    }
    builder = parse_settings(raw, "westeurope").image.builder
    assert builder.base_image.sku == "2025-datacenter-azure-edition" and builder.setup_script == "image/setup.ps1"


def test_a_linux_build_keeps_the_linux_defaults() -> None:
    raw = {
        "image": {"name": "app", "version": "1.0.0"},
        "pools": [{"name": "p", "vmSize": "Standard_D4ds_v5", "nodeAgentSkuId": "batch.node.ubuntu 24.04"}],
    }
    builder = parse_settings(raw, "westeurope").image.builder
    assert builder.base_image.publisher == "Canonical" and builder.setup_script == "image/setup.sh"


def test_an_arm64_image_defaults_the_builder_to_ubuntu_24_04_arm64_on_a_cobalt_size() -> None:
    image = {"name": "arm", "version": "1.0.0", "architecture": "Arm64"}
    settings = parse_settings({"image": image, "pools": [{**POOL0, "vmSize": "Standard_D4ps_v6"}]}, "westeurope")
    builder = settings.image.builder
    assert (builder.base_image.offer, builder.base_image.sku, builder.vm_size) == (
        "ubuntu-24_04-lts",
        "server-arm64",
        "Standard_D2ps_v6",
    )
    assert settings.image.disk_controller_types == "SCSI, NVMe"  # a v6 pool size: declared by the program
    x64 = parse_settings({"image": {**image, "architecture": "x64"}, "pools": [POOL0]}, "westeurope")
    assert (x64.image.builder.base_image.sku, x64.image.disk_controller_types) == ("server", None)
