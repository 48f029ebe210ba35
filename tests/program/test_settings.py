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
        "deployer-type-group",
        {"deployer": {"principalType": "Group"}},
        "deployer.principalType",
        "Group",
        "'User' or 'ServicePrincipal'",
    ),
    ("shared-key-not-bool", {"storage": {"allowSharedKeyAccess": "no"}}, "storage.allowSharedKeyAccess", "no", "true"),
    (
        "shared-key-off-with-exported-vhd",
        {"storage": {"allowSharedKeyAccess": False}},
        "storage.allowSharedKeyAccess",
        "False",
        "exportVhd false",
    ),
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
        "trusted-launch-on-gen1",
        {"image": {"securityType": "TrustedLaunch", "hyperVGeneration": "V1"}},
        "image.securityType",
        "TrustedLaunch",
        "TrustedLaunch needs hyperVGeneration V2",
    ),
    (
        "windows-build",
        {"image": {"osType": "Windows"}, **_pools(nodeAgentSkuId="batch.node.windows amd64")},
        "image.osType",
        "Windows",
        "source: vhd",
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
