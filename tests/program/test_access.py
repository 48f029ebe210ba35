"""Who may reach what: the deployer's role assignment type, shared key on the image storage account, the Batch
account's public endpoint. Each key changes what `pulumi up` sends, and the offline plan's advisories follow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import SettingsError
from tools.plan import cli
from tools.plan.offline import ProgramRun, run_program

ROOT = Path(__file__).resolve().parents[2]
DEV_STACK = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
ROLE = "azure-native:authorization:RoleAssignment"
# The dev stack keeps exportVhd: the gallery takes the generalized VM, the export writes with the deployer's Entra role.
NO_SHARED_KEY = {"storage": {"allowSharedKeyAccess": False}}


@pytest.fixture(autouse=True)
def _no_provider_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests say which identity the provider signs in as; a CI runner's own ARM_* variables must not leak in."""
    for variable in ("ARM_CLIENT_ID", "ARM_USE_MSI"):
        monkeypatch.delenv(variable, raising=False)


def _role(run: ProgramRun, name: str) -> dict[str, Any]:
    return next(r.inputs for r in run.of_type(ROLE) if r.name == name)


def _advisories(tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any]) -> list[str]:
    document = json.loads(json.dumps(DEV_STACK))
    for key, value in changes.items():
        full = f"batch-custom-image:{key}"
        base = document["config"].get(full)
        document["config"][full] = {**base, **value} if isinstance(base, dict) else value
    stack = tmp_path / "Pulumi.variant.yaml"
    stack.write_text(yaml.safe_dump(document))
    target = tmp_path / "plan.json"
    code = cli.main(["--stack", "variant", "--stack-file", str(stack), "--json", str(target)])
    capsys.readouterr()
    assert code == 0
    return [a["policy"] for a in json.loads(target.read_text())["policies"]["advisory"]]


# --- the deployer's principal type ---------------------------------------------------------------------------------


def test_a_person_signed_in_with_the_azure_cli_gets_a_user_assignment() -> None:
    assert _role(run_program(), "image-storage-deployer-blob-access")["principalType"] == "User"


@pytest.mark.parametrize(
    ("environment", "config"),
    [
        ({"ARM_CLIENT_ID": "11111111-2222-3333-4444-555555555555"}, {}),  # OIDC in CI, client secret, certificate
        ({"ARM_USE_MSI": "true"}, {}),  # a managed identity
        ({}, {"azure-native:clientId": "11111111-2222-3333-4444-555555555555"}),
    ],
    ids=["ARM_CLIENT_ID", "ARM_USE_MSI", "azure-native:clientId"],
)
def test_a_provider_signed_in_as_an_application_gets_a_service_principal_assignment(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], config: dict[str, str]
) -> None:
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    run = run_program(config)
    assert _role(run, "image-storage-deployer-blob-access")["principalType"] == "ServicePrincipal"


def test_the_configured_principal_type_wins_over_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARM_CLIENT_ID", "11111111-2222-3333-4444-555555555555")
    run = run_program({"deployer": {"principalType": "User"}})
    assert _role(run, "image-storage-deployer-blob-access")["principalType"] == "User"
    assert _role(run, "batch-deployer-data-access")["principalType"] == "User"  # the canary's data-plane role
    run = run_program({"deployer": {"principalType": "ServicePrincipal"}}, config=None)
    assert _role(run, "image-storage-deployer-blob-access")["principalType"] == "ServicePrincipal"
    assert _role(run, "batch-deployer-data-access")["principalType"] == "ServicePrincipal"


def test_every_role_for_a_batch_or_managed_identity_says_service_principal() -> None:
    for run in (run_program(), run_program(NO_SHARED_KEY)):
        deployer = {"image-storage-deployer-blob-access", "batch-deployer-data-access"}  # the deployer's own type
        others = [r for r in run.of_type(ROLE) if r.name not in deployer]
        assert others and all(r.inputs["principalType"] == "ServicePrincipal" for r in others), others


# --- shared key on the image storage account -----------------------------------------------------------------------


def test_shared_key_stays_on_by_default_and_batch_auto_storage_uses_keys() -> None:
    run = run_program()
    assert run.one("azure-native:storage:StorageAccount").inputs["allowSharedKeyAccess"] is True
    account = run.one("azure-native:batch:BatchAccount").inputs
    assert account["autoStorage"]["authenticationMode"] == "StorageKeys"
    assert account["identity"] == {"type": "SystemAssigned"}


def test_shared_key_off_moves_batch_auto_storage_to_the_account_identity() -> None:
    run = run_program(NO_SHARED_KEY)
    storage = run.one("azure-native:storage:StorageAccount")
    assert storage.inputs["allowSharedKeyAccess"] is False
    account = run.one("azure-native:batch:BatchAccount")
    assert account.inputs["autoStorage"]["authenticationMode"] == "BatchAccountManagedIdentity"
    assert account.inputs["identity"] == {"type": "SystemAssigned"}
    grant = next(r for r in run.of_type(ROLE) if r.name == "batch-storage-access")
    assert grant.inputs["scope"] == storage.outputs["id"]
    assert grant.inputs["roleDefinitionId"].endswith("ba92f5b4-2d11-453d-a403-e96b0029c9fe")  # Blob Data Contributor
    assert account.urn in grant.dependencies  # the account's own identity, known once the account exists


def test_shared_key_off_resolves_its_advisory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    advisories = _advisories(tmp_path, capsys, NO_SHARED_KEY)
    assert "storage-account-shared-key-disabled" not in advisories


# --- the Batch account endpoint ------------------------------------------------------------------------------------


def test_the_batch_endpoint_is_public_unless_configured() -> None:
    account = run_program().one("azure-native:batch:BatchAccount").inputs
    assert account["publicNetworkAccess"] == "Enabled" and "networkProfile" not in account


def test_ip_rules_restrict_the_batch_endpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    access = {"accountAccess": {"defaultAction": "Deny", "ipRules": ["203.0.113.7", "198.51.100.0/24"]}}
    account = run_program({"batch": access}).one("azure-native:batch:BatchAccount").inputs
    assert account["publicNetworkAccess"] == "Enabled"
    assert account["networkProfile"] == {
        "accountAccess": {
            "defaultAction": "Deny",
            "ipRules": [{"action": "Allow", "value": "203.0.113.7"}, {"action": "Allow", "value": "198.51.100.0/24"}],
        }
    }
    assert "batch-account-public-network-access" not in _advisories(tmp_path, capsys, {"batch": access})


def test_a_disabled_batch_endpoint_resolves_its_advisory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change = {"batch": {"publicNetworkAccess": "Disabled"}}
    account = run_program(change).one("azure-native:batch:BatchAccount").inputs
    assert account["publicNetworkAccess"] == "Disabled"
    assert "batch-account-public-network-access" not in _advisories(tmp_path, capsys, change)


def test_the_dev_stack_keeps_only_the_advisories_its_comments_explain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pulumi.dev.yaml says which advisories stay and why; policies/config.dev.json turns off the one Azure can't
    satisfy for a Linux gallery image in a UserSubscription account (pool disk encryption)."""
    target = tmp_path / "plan.json"
    config = ROOT / "policies" / "config.dev.json"
    assert json.loads(config.read_text()) == {"batch-pool-disk-encryption": "disabled"}
    code = cli.main(["--stack", "dev", "--policy-pack-config", str(config), "--json", str(target)])
    capsys.readouterr()
    assert code == 0
    advisories = {a["policy"] for a in json.loads(target.read_text())["policies"]["advisory"]}
    assert advisories == {
        "storage-account-shared-key-disabled",
        "batch-account-public-network-access",
        "storage-account-network-rules",
        "keyvault-network-acls",
        "batch-pool-no-public-ip",
        "builder-vm-encryption-at-host",
    }
    explained = (ROOT / "Pulumi.dev.yaml").read_text()
    assert all(f"#   {name}:" in explained for name in advisories)


# --- network rules on the image storage account and the Batch vault ------------------------------------------------

CLOSED_STORAGE = {"storage": {"networkAccess": {"defaultAction": "Deny", "ipRules": ["203.0.113.7"]}}}


def test_the_storage_account_can_be_closed_to_all_but_listed_addresses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_program(CLOSED_STORAGE)
    account = run.one("azure-native:storage:StorageAccount").inputs
    subnet = run.one("azure-native:network:Subnet")
    assert account["networkRuleSet"] == {
        "defaultAction": "Deny",
        "bypass": "AzureServices",
        "ipRules": [{"action": "Allow", "iPAddressOrRange": "203.0.113.7"}],
        # the builder guest writes its build-proof markers through its subnet's service endpoint
        "virtualNetworkRules": [{"action": "Allow", "virtualNetworkResourceId": subnet.outputs["id"]}],
    }
    assert subnet.inputs["serviceEndpoints"] == [{"service": "Microsoft.Storage"}]
    assert "storage-account-network-rules" not in _advisories(tmp_path, capsys, CLOSED_STORAGE)


def test_an_open_storage_account_needs_no_subnet_rule_nor_service_endpoint() -> None:
    run = run_program({})
    assert "networkRuleSet" not in run.one("azure-native:storage:StorageAccount").inputs
    assert "serviceEndpoints" not in run.one("azure-native:network:Subnet").inputs


def test_a_closed_storage_account_is_refused_while_the_classic_builder_disk_lives_in_it() -> None:
    with pytest.raises(SettingsError) as failure:
        run_program({**CLOSED_STORAGE, "image": {"exportVhd": False, "builder": {"osDisk": "unmanaged"}}})
    message = str(failure.value)
    assert "storage.networkAccess.defaultAction" in message and "'Deny'" in message and "osDisk is unmanaged" in message


def test_the_batch_vault_can_be_closed_to_all_but_trusted_services(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = {"batch": {"vaultNetworkAccess": {"defaultAction": "Deny"}}}
    vault = run_program(change).one("azure-native:keyvault:Vault").inputs
    assert vault["properties"]["networkAcls"] == {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": []}
    assert "keyvault-network-acls" not in _advisories(tmp_path, capsys, change)
