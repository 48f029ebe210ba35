"""examples/consumer: what the consuming stack creates and exports from the producer's outputs, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.consumer.harness import (
    PRODUCER_STACK,
    PROGRAM_DIR,
    SUBSCRIPTION,
    ConsumerRun,
    producer_outputs,
    run_consumer,
)

JOB_SUBMITTER = "48e5e92e-a480-4e71-aa9c-2778f4c13781"
ACCOUNT_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-batch-dev/providers/Microsoft.Batch/batchAccounts/batchdev"
)
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "pulumi-project.schema.json"


@pytest.fixture
def run() -> ConsumerRun:
    return run_consumer(producer_outputs(), {"producerStack": PRODUCER_STACK})


def test_reads_the_producer_stack_by_its_full_name(run: ConsumerRun) -> None:
    [ref] = run.of_type("pulumi:pulumi:StackReference")
    assert ref.resource_id == PRODUCER_STACK


def test_identity_lives_next_to_the_batch_account(run: ConsumerRun) -> None:
    [identity] = run.of_type("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.inputs["resourceGroupName"] == "rg-batch-dev"
    assert identity.inputs["location"] == "westeurope"


def test_identity_resource_group_can_be_overridden() -> None:
    run = run_consumer(producer_outputs(), {"producerStack": PRODUCER_STACK, "identityResourceGroup": "rg-team"})
    [identity] = run.of_type("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.inputs["resourceGroupName"] == "rg-team"


def test_grants_job_submitter_on_the_batch_account_only(run: ConsumerRun) -> None:
    assert ("azure-native:batch:getBatchAccount", {"accountName": "batchdev", "resourceGroupName": "rg-batch-dev"}) in [
        (token, args) for token, args in run.mocks.invokes
    ]
    [assignment] = run.of_type("azure-native:authorization:RoleAssignment")
    assert assignment.inputs["scope"] == ACCOUNT_ID
    assert assignment.inputs["roleDefinitionId"] == (
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{JOB_SUBMITTER}"
    )
    assert assignment.inputs["principalId"] == "00000000-aaaa-bbbb-cccc-000000000001"
    assert assignment.inputs["principalType"] == "ServicePrincipal"


def test_exports_pool_ids_and_endpoint(run: ConsumerRun) -> None:
    assert run.exports["poolIds"] == ["gpu-pool", "render-pool"]
    assert run.exports["batchAccountEndpoint"] == "https://batchdev.westeurope.batch.azure.com"
    assert run.exports["producerStack"] == PRODUCER_STACK
    assert run.exports["workloadIdentityClientId"] == "client-1"
    assert set(run.exports) == {
        "producerStack", "batchAccountEndpoint", "poolIds", "workloadIdentityClientId", "workloadIdentityId",
        "roleAssignmentId",
    }  # fmt: skip


@pytest.mark.parametrize("missing", ["pools", "batchAccountName", "batchAccountEndpoint", "resourceGroupName"])
def test_missing_output_names_the_output_and_the_stack(missing: str) -> None:
    outputs = producer_outputs()
    del outputs[missing]
    with pytest.raises(Exception, match=rf"stack '{PRODUCER_STACK}' has no output '{missing}'; run `pulumi up`"):
        run_consumer(outputs, {"producerStack": PRODUCER_STACK})


def test_pool_without_pool_name_is_named() -> None:
    outputs = producer_outputs()
    del outputs["pools"]["gpu"]["poolName"]
    with pytest.raises(Exception, match=rf"stack '{PRODUCER_STACK}' output pools.gpu has no poolName"):
        run_consumer(outputs, {"producerStack": PRODUCER_STACK})


def test_short_stack_name_is_refused_with_the_expected_form() -> None:
    with pytest.raises(Exception, match="config batch-custom-image-consumer:producerStack='dev' is not a fully "
                       "qualified stack name; expected <organization>/<project>/<stack>"):  # fmt: skip
        run_consumer(producer_outputs(), {"producerStack": "dev"})


def test_project_file_is_valid_for_the_pulumi_cli() -> None:
    project = yaml.safe_load((PROGRAM_DIR / "Pulumi.yaml").read_text())
    jsonschema.validate(project, json.loads(SCHEMA.read_text()))
    assert project["name"] == "batch-custom-image-consumer"


def test_dev_stack_config_names_a_fully_qualified_producer() -> None:
    stack = yaml.safe_load((PROGRAM_DIR / "Pulumi.dev.yaml").read_text())
    assert stack["config"]["batch-custom-image-consumer:producerStack"].count("/") == 2
