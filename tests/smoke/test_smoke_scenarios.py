"""`make smoke` end to end against the local Batch fake: the good path and each failure a user can hit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes.batch import DATA, FakeNode, FakePool, Scenario, default_supported_images, supported_image
from tests.smoke.conftest import RunSmoke, stack_outputs
from tools.smoke.errors import ExitCode
from tools.smoke.marker import EXPECTED_VARIABLE, TASK_ID


def booting(node_id: str, boot_seconds: int = 95) -> FakeNode:
    return FakeNode(node_id, ["creating", "starting", "waitingforstarttask", "idle"], boot_seconds=boot_seconds)


def good_scenario() -> Scenario:
    return Scenario(
        pools=[
            FakePool("render", [booting("tvm-1"), booting("tvm-2", boot_seconds=212)]),
            FakePool("gpu", [booting("tvm-3")], node_agent_sku_id="batch.node.el 9"),
        ]
    )


def test_all_good_reports_ready_time_prints_marker_and_deletes_jobs(run_smoke: RunSmoke) -> None:
    run = run_smoke(good_scenario())
    assert run.code == ExitCode.OK, run.err
    assert "render: node agent SKU 'batch.node.ubuntu 24.04' is supported" in run.out
    assert "gpu: node agent SKU 'batch.node.el 9' is supported" in run.out
    assert "render: ready after" in run.out and "with 2 node(s); slowest node allocated -> idle in 3m32s" in run.out
    assert "gpu: ready after" in run.out and "slowest node allocated -> idle in 1m35s" in run.out
    assert run.out.count("image marker: 1.0.0") == 2
    assert "render: image marker matches 1.0.0" in run.out
    assert run.out.rstrip().endswith("smoke test passed")
    assert len(run.created_jobs()) == 2
    assert sorted(run.deleted_jobs()) == sorted(run.created_jobs())
    assert all(f"deleted job {job}" in run.out for job in run.created_jobs())


def test_jobs_target_each_pool_with_the_expected_version(run_smoke: RunSmoke) -> None:
    run = run_smoke(good_scenario())
    assert run.code == ExitCode.OK, run.err
    by_pool = {job.pool_id: job for job in run.fake.jobs.values()}
    assert set(by_pool) == {"render", "gpu"}
    task = by_pool["render"].tasks[TASK_ID]
    assert task["commandLine"].startswith("/bin/sh -c ")
    assert {"name": EXPECTED_VARIABLE, "value": "1.0.0"} in task["environmentSettings"]
    assert task["userIdentity"]["autoUser"]["elevationLevel"] == "nonadmin"


def test_progress_lines_show_pools_coming_up(run_smoke: RunSmoke) -> None:
    run = run_smoke(good_scenario())
    progress = [line for line in run.out.splitlines() if line.startswith("[")]
    assert any("render: resizing, 0/2 usable (2 creating)" in line for line in progress)
    assert progress[-1].startswith("[" + "#" * 24 + "]")
    assert "render: ready, 2/2 usable (2 idle)" in progress[-1]
    # one line per change, not per poll
    assert len(progress) == len(set(line.split("] ", 1)[1].split(" ", 1)[1] for line in progress))


def test_unusable_node_fails_with_its_error_and_runs_no_job(run_smoke: RunSmoke) -> None:
    node = FakeNode(
        "tvm-bad",
        ["creating", "starting", "unusable"],
        errors=[{"code": "NodeAgentStartFailed", "message": "The node agent could not start."}],
    )
    run = run_smoke(Scenario(pools=[FakePool("render", [booting("tvm-1"), node])]))
    assert run.code == ExitCode.NODE_UNUSABLE
    assert "pool 'render': node tvm-bad is unusable (NodeAgentStartFailed: The node agent could not start.)" in run.err
    assert run.created_jobs() == []


def test_a_start_task_that_failed_on_an_idle_node_fails_the_smoke_test(run_smoke: RunSmoke) -> None:
    """waitForSuccess false: the node turns idle whatever the start task did (Batch `StartTask.waitForSuccess`)."""
    node = FakeNode("tvm-nowait", ["creating", "starting", "idle"], start_task_exit_code=32)
    run = run_smoke(Scenario(pools=[FakePool("render", [node])]))
    assert run.code == ExitCode.START_TASK_FAILED
    assert "pool 'render': the start task failed on node tvm-nowait (exit code 32;" in run.err
    assert run.created_jobs() == []


def test_start_task_failure_names_node_and_exit_code(run_smoke: RunSmoke) -> None:
    node = FakeNode("tvm-st", ["creating", "waitingforstarttask", "starttaskfailed"], start_task_exit_code=2)
    run = run_smoke(Scenario(pools=[FakePool("render", [node])]))
    assert run.code == ExitCode.START_TASK_FAILED
    assert "pool 'render': the start task failed on node tvm-st (exit code 2; FailureExitCode:" in run.err
    assert "startup/stderr.txt" in run.err
    assert run.created_jobs() == []


def test_marker_mismatch_prints_task_output_and_still_deletes_the_job(run_smoke: RunSmoke) -> None:
    scenario = Scenario(pools=[FakePool("render", [booting("tvm-1")], marker="0.9.0\n", task_polls=2)])
    run = run_smoke(scenario)
    assert run.code == ExitCode.MARKER_MISMATCH
    assert "image marker: 0.9.0" in run.out and "expected: 1.0.0" in run.out
    assert "the node's image marker says '0.9.0' but the stack deployed image version '1.0.0'" in run.err
    assert run.deleted_jobs() == run.created_jobs() != []
    assert "smoke test passed" not in run.out


def test_missing_marker_is_reported_as_a_mismatch(run_smoke: RunSmoke) -> None:
    run = run_smoke(Scenario(pools=[FakePool("render", [booting("tvm-1")], marker=None)]))
    assert run.code == ExitCode.MARKER_MISMATCH
    assert "/opt/batch-image/VERSION is missing on the node" in run.err
    assert "image marker /opt/batch-image/VERSION not found" in run.out  # the task's stderr, printed
    assert run.deleted_jobs() == run.created_jobs() != []


def test_one_bad_pool_fails_the_run_while_the_good_one_passes(run_smoke: RunSmoke) -> None:
    scenario = Scenario(
        pools=[FakePool("good", [booting("tvm-1")]), FakePool("stale", [booting("tvm-2")], marker="0.9.0\n")]
    )
    run = run_smoke(scenario)
    assert run.code == ExitCode.MARKER_MISMATCH
    assert "pool 'stale'" in run.err and "pool 'good'" not in run.err
    assert len(run.deleted_jobs()) == 2


def test_pool_that_never_settles_times_out_with_its_state(run_smoke: RunSmoke) -> None:
    scenario = Scenario(pools=[FakePool("render", [FakeNode("tvm-1", ["creating"])], allocation_states=["resizing"])])
    run = run_smoke(scenario, "--timeout", "0.3")
    assert run.code == ExitCode.TIMEOUT
    assert "pools not ready after 0s: render: resizing, 0/1 usable (1 creating)" in run.err
    assert "--timeout" in run.err
    assert run.created_jobs() == []


def test_check_task_that_never_finishes_times_out_and_the_job_is_deleted(run_smoke: RunSmoke) -> None:
    scenario = Scenario(pools=[FakePool("render", [booting("tvm-1")], task_polls=10_000)])
    run = run_smoke(scenario, "--task-timeout", "0.2")
    assert run.code == ExitCode.TIMEOUT
    assert "the check task did not finish within 0s on: render (job smoke-render-" in run.err
    assert run.deleted_jobs() == run.created_jobs() != []


def test_resize_errors_fail_the_allocation(run_smoke: RunSmoke) -> None:
    errors = [{"code": "AccountCoreQuotaReached", "message": "The specified account has reached VM core quota."}]
    scenario = Scenario(pools=[FakePool("render", [], resize_errors=errors)])
    run = run_smoke(scenario)
    assert run.code == ExitCode.ALLOCATION_FAILED
    assert "pool 'render' could not allocate its nodes: AccountCoreQuotaReached: The specified account" in run.err


def test_unsupported_sku_stops_before_touching_the_pool(run_smoke: RunSmoke) -> None:
    scenario = Scenario(pools=[FakePool("render", [booting("tvm-1")], node_agent_sku_id="batch.node.ubuntu 20.04")])
    run = run_smoke(scenario)
    assert run.code == ExitCode.UNSUPPORTED_SKU
    assert "pool 'render': node agent SKU 'batch.node.ubuntu 20.04' is not supported by this Batch account" in run.err
    assert "batch.node.ubuntu 24.04" in run.err  # lists what is supported (second page of the listing included)
    assert len(run.fake.calls("GET", "/supportedimages")) > 1  # followed odata.nextLink
    assert run.fake.calls("GET", "/pools") == []


def test_sku_past_end_of_life_is_refused(run_smoke: RunSmoke) -> None:
    images = [*default_supported_images()[:-3], supported_image("batch.node.ubuntu 22.04", "2025-06-30T00:00:00.0Z")]
    scenario = Scenario(
        pools=[FakePool("render", [booting("tvm-1")], node_agent_sku_id="batch.node.ubuntu 22.04")],
        supported_images=images,
    )
    run = run_smoke(scenario)
    assert run.code == ExitCode.UNSUPPORTED_SKU
    assert "node agent SKU 'batch.node.ubuntu 22.04' reached its Batch end of life on 2025-06-30" in run.err


def test_sku_near_end_of_life_warns_but_passes(run_smoke: RunSmoke) -> None:
    soon = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT00:00:00.0Z")
    images = [*default_supported_images(), supported_image("batch.node.debian 12", soon)]
    scenario = Scenario(
        pools=[FakePool("render", [booting("tvm-1")], node_agent_sku_id="batch.node.debian 12")],
        supported_images=images,
    )
    run = run_smoke(scenario)
    assert run.code == ExitCode.OK, run.err
    assert f"warning: node agent SKU 'batch.node.debian 12' reaches its Batch end of life on {soon[:10]}" in run.err


def test_unknown_pool_is_a_batch_error_with_a_hint(run_smoke: RunSmoke) -> None:
    scenario = Scenario(pools=[FakePool("render", [booting("tvm-1")])])
    outputs = stack_outputs(scenario)
    outputs["pools"]["render"]["poolName"] = "renamed"
    run = run_smoke(scenario, outputs=outputs)
    assert run.code == ExitCode.BATCH_ERROR
    assert "Batch API call failed (HTTP 404): (PoolNotFound) The specified pool does not exist." in run.err
    assert "check the stack outputs match the Batch account" in run.err


def test_windows_pool_is_waited_for_but_marker_check_skipped(run_smoke: RunSmoke) -> None:
    scenario = Scenario(pools=[FakePool("win", [booting("tvm-w")], node_agent_sku_id="batch.node.windows amd64")])
    run = run_smoke(scenario)
    assert run.code == ExitCode.OK, run.err
    assert "win: ready after" in run.out
    assert "win: Windows pool; the image marker check covers Linux images only, skipped" in run.out
    assert run.created_jobs() == []


def test_job_is_deleted_when_task_creation_fails(run_smoke: RunSmoke) -> None:
    run = run_smoke(Scenario(pools=[FakePool("render", [booting("tvm-1")], reject_tasks=True)]))
    assert run.code == ExitCode.BATCH_ERROR
    assert "Batch API call failed (HTTP 400): (InvalidPropertyValue)" in run.err
    assert run.deleted_jobs() == run.created_jobs() != []


def test_missing_job_submitter_role_is_explained(run_smoke: RunSmoke) -> None:
    scenario = Scenario(pools=[FakePool("render", [booting("tvm-1")])], forbid_jobs=True)
    run = run_smoke(scenario)
    assert run.code == ExitCode.BATCH_ERROR
    assert "Batch API call failed (HTTP 403): (AuthorizationFailure)" in run.err
    assert "needs 'Azure Batch Job Submitter' (or Data Contributor) on the Batch account" in run.err
    assert run.created_jobs() == []
    assert run.deleted_jobs() == [] and "could not confirm deletion" not in run.err  # nothing was created


# --- networking, identities, container images (issue 11) -----------------------------------------------------------

PRIVATE_POOL = json.loads((DATA / "BatchData_Pool_Get_PrivateNetwork.json").read_text())
PRIVATE_SUBNET = PRIVATE_POOL["networkConfiguration"]["subnetId"]
PRIVATE_IDENTITY = PRIVATE_POOL["identity"]["userAssignedIdentities"][0]["resourceId"]
PRIVATE_IMAGE = PRIVATE_POOL["virtualMachineConfiguration"]["containerConfiguration"]["containerImageNames"][0]


def _private_outputs(scenario: Scenario, **render: Any) -> dict[str, Any]:
    """Stack outputs whose render entry carries the pool settings the program exports (components/pools.py)."""
    outputs = stack_outputs(scenario)
    outputs["pools"]["render"].update(
        {
            "subnetId": PRIVATE_SUBNET,
            "publicIPs": "None",
            "identities": [PRIVATE_IDENTITY],
            "containerImages": [PRIVATE_IMAGE],
            **render,
        }
    )
    outputs["pools"]["gpu"].update({"publicIPs": "BatchManaged", "identities": [], "containerImages": []})
    return outputs


def _private_scenario() -> Scenario:
    scenario = good_scenario()
    scenario.pools[0].properties = PRIVATE_POOL
    return scenario


def test_pool_networking_identities_and_images_match_the_stack_output(run_smoke: RunSmoke) -> None:
    scenario = _private_scenario()
    run = run_smoke(scenario, outputs=_private_outputs(scenario))
    assert run.code == ExitCode.OK, run.err
    assert "render: subnet, public IPs, identities and container images match the stack output" in run.out
    assert "gpu: subnet, public IPs, identities and container images match the stack output" in run.out


def test_a_pool_that_differs_from_the_stack_output_fails_naming_each_difference(run_smoke: RunSmoke) -> None:
    scenario = _private_scenario()
    other_image = "myregistry.azurecr.io/render/engine:5.0.0"
    outputs = _private_outputs(scenario, publicIPs="BatchManaged", containerImages=[other_image])
    outputs["pools"]["gpu"]["subnetId"] = PRIVATE_SUBNET  # the gpu pool is on Batch's network
    run = run_smoke(scenario, outputs=outputs)
    assert run.code == ExitCode.POOL_CONFIG_MISMATCH
    assert "pool 'render': public IPs: configured BatchManaged, pool None" in run.err
    assert f"container images: configured ['{other_image}'], pool ['{PRIVATE_IMAGE}']" in run.err
    assert f"pool 'gpu': subnet: configured {PRIVATE_SUBNET}, pool none" in run.err
    assert "identities" not in run.err  # the identities agree
    assert run.created_jobs() == []


def test_outputs_without_the_pool_settings_are_not_compared(run_smoke: RunSmoke) -> None:
    run = run_smoke(_private_scenario())  # a stack output from before these keys
    assert run.code == ExitCode.OK, run.err
    assert "match the stack output" not in run.out
