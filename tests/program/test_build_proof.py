"""The build proof's Azure side on the program's resources: the builder's identity, its one container-scoped right,
the custom data that tells the guest where to write, and their removal with the builder (components/builder.py)."""

from __future__ import annotations

import base64
import importlib

import pytest

from components.common.proof import CLIENT_ID_TOKEN, PROOF_CONTAINER, PROOF_URL_TOKEN
from components.storage import STORAGE_BLOB_DATA_CONTRIBUTOR
from tools.plan.offline import ProgramRun, RegisteredResource, run_program
from tools.plan.policy_runner import load_pack

IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
ROLE = "azure-native:authorization:RoleAssignment"
CONTAINER = "azure-native:storage:BlobContainer"
ACCOUNT = "azure-native:storage:StorageAccount"
VM = "azure-native:compute:VirtualMachine"
BUILDER = "batch-custom-image:builder:BuilderVm"
RETIRED = {"image": {"builder": {"enabled": False}}}
CLOSED_STORAGE = {"storage": {"networkAccess": {"defaultAction": "Deny", "ipRules": ["203.0.113.7"]}}}


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_program()


def _builder_urn(run: ProgramRun) -> str:
    return run.one(BUILDER).urn


def _proof_writer(run: ProgramRun) -> RegisteredResource:
    principal = run.one(IDENTITY).outputs["principalId"]
    (writer,) = [r for r in run.of_type(ROLE) if r.inputs["principalId"] == principal]
    return writer


def _custom_data(run: ProgramRun) -> str:
    profile = run.one(VM).inputs["osProfile"]
    if "customData" not in profile:  # Windows: the whole osProfile is one secret (it holds the admin password)
        profile = profile["value"]
    return base64.b64decode(profile["customData"]).decode()


def test_the_identity_may_write_only_to_the_proof_container(dev: ProgramRun) -> None:
    account = dev.one(ACCOUNT)
    writer = _proof_writer(dev)  # one role assignment names the identity: it can do nothing else
    assert writer.inputs["scope"] == f"{account.outputs['id']}/blobServices/default/containers/{PROOF_CONTAINER}"
    assert writer.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{STORAGE_BLOB_DATA_CONTRIBUTOR}")
    assert writer.inputs["principalType"] == "ServicePrincipal"
    (container,) = [c for c in dev.of_type(CONTAINER) if c.inputs["containerName"] == PROOF_CONTAINER]
    assert container.inputs["publicAccess"] == "None"


def test_the_identity_its_role_and_its_container_are_the_builders_children(dev: ProgramRun) -> None:
    (container,) = [c for c in dev.of_type(CONTAINER) if c.inputs["containerName"] == PROOF_CONTAINER]
    for resource in (dev.one(IDENTITY), _proof_writer(dev), container):
        assert resource.parent == _builder_urn(dev), resource.name


def test_the_builder_vm_carries_only_that_identity_and_waits_for_its_role(dev: ProgramRun) -> None:
    vm, identity = dev.one(VM), dev.one(IDENTITY)
    assert vm.inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity.outputs["id"]]}
    assert _proof_writer(dev).urn in vm.dependencies  # the guest's first marker must find its right in place


@pytest.mark.parametrize("stack", ["dev", "windows"])
def test_the_custom_data_tells_the_guest_its_container_and_identity(stack: str) -> None:
    run = run_program(stack=stack)
    custom_data = _custom_data(run)
    blob = run.one(ACCOUNT).outputs["primaryEndpoints"]["blob"]
    assert f"{blob}{PROOF_CONTAINER}/" in custom_data
    assert run.one(IDENTITY).outputs["clientId"] in custom_data
    assert PROOF_URL_TOKEN not in custom_data and CLIENT_ID_TOKEN not in custom_data
    load_pack()  # the policy pack on sys.path, as the offline plan loads it
    findings = importlib.import_module("batch_image_policies._secrets_scan").findings
    assert findings(custom_data) == []  # builder-vm-no-secrets-in-custom-data: the token is fetched, never written


def test_retiring_the_builder_removes_the_identity_its_role_and_the_proof_container(dev: ProgramRun) -> None:
    retired = run_program(RETIRED, stack_outputs=dev.outputs)
    assert retired.of_type(IDENTITY) == []
    assert [c for c in retired.of_type(CONTAINER) if c.inputs["containerName"] == PROOF_CONTAINER] == []
    assert all(r.inputs.get("principalType") != "ServicePrincipal" or "containers/" not in r.inputs["scope"]
               for r in retired.of_type(ROLE))  # fmt: skip


def test_retiring_the_builder_removes_the_subnet_rule_from_a_closed_account() -> None:
    built = run_program(CLOSED_STORAGE)
    retired = run_program({**CLOSED_STORAGE, **RETIRED}, stack_outputs=built.outputs)
    rules = retired.one(ACCOUNT).inputs["networkRuleSet"]
    assert "virtualNetworkRules" not in rules and rules["defaultAction"] == "Deny"
