"""`make preflight` against the fake subscription: each check passing and failing, no credentials, --json.

Every run goes through tests/preflight/conftest.py, which also asserts the tool sent nothing but GETs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from components.common.project import PROJECT_ROOT
from fakes.batch import supported_image
from tests.preflight.conftest import RunPreflight, dev_stack
from tests.preflight.fake_subscription import CONTRIBUTOR, SUBSCRIPTION, Scenario, Size
from tools.preflight.report import SCHEMA_PATH


def test_every_check_passes_on_the_dev_stack(run_preflight: RunPreflight) -> None:
    run = run_preflight(Scenario())
    assert run.code == 0, run.out + run.err
    assert "PROBLEM" not in run.out
    skipped = [line for line in run.out.splitlines() if line.startswith("skipped")]
    assert skipped == ["skipped quota: pools: pool burst not counted: its autoscale formula sets its size"]
    for check in ("providers", "sizes", "quota", "base-image", "node-agent", "role-assignments", "batch-principal"):
        assert f"ok      {check}: " in run.out
    # the dev stack's values, as `up` reads them: builder 2 vCPUs + pool render 1 x 4 vCPUs on the D*ds_v5 family
    assert "ok      quota: standardDDSv5Family: 6 vCPUs needed, 10 free (0 of 10 used)" in run.out
    assert "ok      quota: cores: 6 vCPUs needed, 10 free (0 of 10 used)" in run.out
    assert "ok      base-image: Canonical:ubuntu-24_04-lts:server:latest: latest is 24.04.202611200" in run.out
    assert run.out.rstrip().endswith("preflight passed")


def test_an_unregistered_provider_is_a_problem_with_the_command(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    scenario.providers["Microsoft.Batch"] = "NotRegistered"
    run = run_preflight(scenario)
    assert run.code == 1
    assert run.line("PROBLEM providers: Microsoft.Batch") == (
        "PROBLEM providers: Microsoft.Batch: registration state NotRegistered\n"
        "        what to do: az provider register --namespace Microsoft.Batch --wait (needs .../register/action on "
        "the subscription: Contributor or Owner)"
    )


def test_family_quota_too_small_for_builder_and_dedicated_nodes(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    scenario.usages["standardDDSv5Family"] = (1, 6)  # 5 free, the builder (2) and render (4) need 6
    run = run_preflight(scenario)
    assert run.code == 1
    problem = run.line("PROBLEM quota: standardDDSv5Family")
    assert "6 vCPUs needed, 5 free (1 of 6 used)" in problem
    assert "request at least 7 in the portal (Quotas > Compute, westeurope)" in problem


def test_spot_targets_count_against_the_regional_low_priority_quota(
    run_preflight: RunPreflight, tmp_path: Path
) -> None:
    stack = dev_stack(tmp_path, pools=lambda pools: pools[0].update(targetSpotNodes=30))  # 30 x 4 vCPUs
    run = run_preflight(Scenario(), stack_file=stack)
    assert run.code == 1
    assert "120 vCPUs needed, 100 free" in run.line("PROBLEM quota: lowPriorityCores")


def test_a_size_not_offered_in_the_region(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    del scenario.sizes["Standard_D4ds_v5"]
    run = run_preflight(scenario)
    assert run.code == 1
    problem = run.line("PROBLEM sizes: Standard_D4ds_v5 (pools[0]")
    assert "pools[0].vmSize (render), pools[1].vmSize (burst)): not offered in westeurope" in problem
    assert "az vm list-skus --location westeurope" in problem


def test_a_size_restricted_for_the_subscription(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    scenario.sizes["Standard_D2ds_v5"] = Size("standardDDSv5Family", 2, restriction="NotAvailableForSubscription")
    run = run_preflight(scenario)
    assert run.code == 1
    assert "(image.builder.vmSize): restricted for this subscription in westeurope (NotAvailableForSubscription)" in (
        run.line("PROBLEM sizes: Standard_D2ds_v5")
    )


def test_a_spot_pool_on_a_size_without_spot(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    scenario.sizes["Standard_D4ds_v5"] = Size("standardDDSv5Family", 4, spot_capable=False)
    run = run_preflight(scenario)  # the dev stack's burst pool autoscales Spot nodes ($TargetLowPriorityNodes)
    assert run.code == 1
    assert "not Spot/low-priority capable" in run.line("PROBLEM sizes: Standard_D4ds_v5 (pool burst)")


def test_a_pinned_base_image_version_that_does_not_exist(run_preflight: RunPreflight, tmp_path: Path) -> None:
    stack = dev_stack(tmp_path, image=lambda image: image["builder"]["baseImage"].update(version="24.04.209901010"))
    run = run_preflight(Scenario(), stack_file=stack)
    assert run.code == 1
    problem = run.line("PROBLEM base-image: Canonical:ubuntu-24_04-lts:server:24.04.209901010")
    assert "no version 24.04.209901010 of Canonical:ubuntu-24_04-lts:server in westeurope" in problem
    ok = run_preflight(
        Scenario(),
        stack_file=dev_stack(
            tmp_path, image=lambda image: image["builder"]["baseImage"].update(version="24.04.202610010")
        ),
    )
    assert "ok      base-image: Canonical:ubuntu-24_04-lts:server:24.04.202610010: version 24.04.202610010 exists" in (
        ok.out
    )


def test_a_base_image_the_marketplace_does_not_have(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    scenario.images.clear()
    run = run_preflight(scenario)
    assert run.code == 1
    assert "no version of Canonical:ubuntu-24_04-lts:server in westeurope" in run.line("PROBLEM base-image:")


def test_a_node_agent_batch_does_not_list(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    scenario.supported_images = [
        i for i in scenario.supported_images if i["nodeAgentSKUId"] != "batch.node.ubuntu 24.04"
    ]
    run = run_preflight(scenario)
    assert run.code == 1
    problem = run.line("PROBLEM node-agent: batch.node.ubuntu 24.04 (pools render, burst)")
    assert "not in Batch's supported images" in problem and "batch.node.ubuntu 22.04" in problem


def test_a_node_agent_past_its_end_of_life(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    scenario.supported_images = [supported_image("batch.node.ubuntu 24.04", "2020-01-01T00:00:00.0Z")]
    run = run_preflight(scenario)
    assert run.code == 1
    assert "past its Batch end of life (2020-01-01)" in run.line("PROBLEM node-agent:")


def test_batch_end_of_life_disagreeing_with_the_program(run_preflight: RunPreflight) -> None:
    future = datetime.now(UTC).replace(year=datetime.now(UTC).year + 3)
    scenario = Scenario()
    scenario.supported_images = [supported_image("batch.node.ubuntu 24.04", f"{future:%Y-%m-%d}T00:00:00.0Z")]
    run = run_preflight(scenario)
    assert run.code == 1
    assert f"Batch says batchSupportEndOfLife {future:%Y-%m-%d}, the program" in run.line("PROBLEM node-agent:")


def test_without_a_batch_account_the_node_agent_check_says_how_to_run_it(run_preflight: RunPreflight) -> None:
    run = run_preflight(Scenario(), batch=False)
    assert run.code == 0
    assert "--batch-endpoint <an existing Batch account in westeurope>" in run.line("skipped node-agent:")
    assert not [path for _, path in run.fake.requests if path.startswith("/supportedimages")]


def test_a_contributor_cannot_create_the_role_assignments(run_preflight: RunPreflight) -> None:
    scenario = Scenario()
    scenario.resource_groups["shared-rg"] = [CONTRIBUTOR]
    run = run_preflight(scenario)
    assert run.code == 1
    problem = run.line("PROBLEM role-assignments:")
    assert "the subscription (Batch: Azure Batch Service Orchestration Role)" in problem
    assert "Microsoft.Authorization/roleAssignments/write not allowed on resource group shared-rg" in problem
    assert "Owner, User Access Administrator or Role Based Access Control Administrator" in problem


def test_a_resource_group_that_does_not_exist(run_preflight: RunPreflight) -> None:
    run = run_preflight(Scenario(), resource_group="no-such-rg")
    assert run.code == 1
    assert "could not read the deployer's permissions (HTTP 404)" in run.line("PROBLEM role-assignments: no-such-rg")


def test_without_a_resource_group_the_role_check_says_how_to_run_it(run_preflight: RunPreflight) -> None:
    run = run_preflight(Scenario(), resource_group=None)
    assert run.code == 0
    assert "give --resource-group <an existing group in the subscription>" in run.line("skipped role-assignments:")


def test_no_batch_service_principal_in_the_tenant(run_preflight: RunPreflight) -> None:
    scenario = Scenario(batch_principals=[])
    run = run_preflight(scenario)
    assert run.code == 1
    problem = run.line("PROBLEM batch-principal: Microsoft Azure Batch (ddbf3205-c6bd-46ae-8127-60eb93363864)")
    assert "no such service principal in the tenant" in problem
    assert "az ad sp create --id ddbf3205-c6bd-46ae-8127-60eb93363864" in problem


def test_a_deployer_who_cannot_read_the_directory(run_preflight: RunPreflight, tmp_path: Path) -> None:
    run = run_preflight(Scenario(graph_denied=True))
    assert run.code == 1
    problem = run.line("PROBLEM batch-principal:")
    assert "(HTTP 403)" in problem and "set batch.servicePrincipalObjectId" in problem
    configured = dev_stack(
        tmp_path, batch=lambda batch: batch.update(servicePrincipalObjectId="00000000-0000-4000-8000-0000000000ba")
    )
    assert run_preflight(Scenario(graph_denied=True), stack_file=configured).code == 0


def test_a_configured_principal_id_that_is_not_batch(run_preflight: RunPreflight, tmp_path: Path) -> None:
    stack = dev_stack(
        tmp_path, batch=lambda batch: batch.update(servicePrincipalObjectId="00000000-0000-4000-8000-000000000999")
    )
    run = run_preflight(Scenario(), stack_file=stack)
    assert run.code == 1
    assert "set batch.servicePrincipalObjectId to 00000000-0000-4000-8000-0000000000ba" in run.line(
        "PROBLEM batch-principal:"
    )


def test_json_for_ci_follows_the_schema(run_preflight: RunPreflight) -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    passing = run_preflight(Scenario(), "--json")
    document = json.loads(passing.out)
    jsonschema.validate(document, schema)
    assert passing.code == 0 and document["passed"] is True
    assert {c["check"] for c in document["checks"]} >= {"providers", "sizes", "quota", "base-image", "node-agent"}
    scenario = Scenario()
    scenario.providers["Microsoft.KeyVault"] = "Unregistered"
    failing = run_preflight(scenario, "--json")
    document = json.loads(failing.out)
    jsonschema.validate(document, schema)
    assert failing.code == 1 and document["passed"] is False
    [problem] = [c for c in document["checks"] if c["status"] == "problem"]
    assert problem["subject"] == "Microsoft.KeyVault" and "az provider register" in problem["fix"]


def test_bad_settings_are_refused_as_up_refuses_them(run_preflight: RunPreflight, tmp_path: Path) -> None:
    stack = dev_stack(tmp_path, pools=lambda pools: pools[0].update(vmSize="D4ds_v5"))
    run = run_preflight(Scenario(), stack_file=stack)
    assert run.code == 2
    assert "batch-custom-image:pools[0].vmSize = 'D4ds_v5': allowed: an Azure VM size name" in run.err
    assert run.fake.requests == []


def test_no_credentials_is_one_message_and_exit_2(tmp_path: Path) -> None:
    """DefaultAzureCredential with nothing to sign in with, in a process of its own as `make preflight` runs it: no
    AZURE_*/ARM_* variables, no Azure CLI, azd or PowerShell on PATH, an empty home (no token cache), and IMDS at a
    closed local port (no managed identity)."""
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path), "AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:9"}
    run = subprocess.run(
        [sys.executable, "-m", "tools.preflight", "--stack", "dev", "--subscription", SUBSCRIPTION],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    [message] = run.stderr.strip().splitlines()
    assert message.startswith("preflight: error: no Azure credentials: sign in with `az login`")
    assert "AZURE_CLIENT_ID + AZURE_TENANT_ID with OIDC" in message
