"""The canary through the real dynamic-provider server against the fake Batch: a pass, each failure (node unusable,
start task failed, command failed, marker mismatch, timeout) with its one message and the pool kept, the delete of a
kept pool (what `pulumi destroy` does), Ctrl-C (SIGINT, 5 s, SIGKILL) and the rerun, and a propagating role (403)."""

from __future__ import annotations

import time

import pytest

from components.canary.spec import CANARY_METADATA, URN_METADATA, VERSION_METADATA
from fakes.provider_process import ProviderError
from tests.canary.conftest import DEFINITION_ID, URN, VERSION, booting, canary_pool, canary_props, node
from tests.pool_drain.conftest import wait_for


def _created(world):
    ((name, body),) = world.puts()
    return name, body


def test_a_canary_that_passes_creates_the_pool_runs_the_check_then_deletes_the_job_and_the_pool(world, start_provider):
    w = world(canary_pool(booting()))
    provider = start_provider(w)
    checked, failures = provider.check(canary_props())
    assert failures == []

    id_, out = provider.create(checked)

    name, body = _created(w)
    assert id_ == name == out["pool_name"] and name.startswith("canary-1-4-0-") and len(name) <= 64
    assert (out["passed"], out["failure"], out["job_id"]) == (True, "", "")
    assert isinstance(out["node_minutes"], float) and out["node_minutes"] >= 0
    props = body["properties"]
    assert props["networkConfiguration"] == canary_props()["pool_body"]["properties"]["networkConfiguration"]
    image = props["deploymentConfiguration"]["virtualMachineConfiguration"]["imageReference"]
    assert image == {"id": f"{DEFINITION_ID}/versions/{VERSION}"}
    assert {"name": "team", "value": "render"} in props["metadata"]  # the first pool's own metadata stays
    marks = {item["name"]: item["value"] for item in props["metadata"]}
    assert (marks[CANARY_METADATA], marks[VERSION_METADATA], marks[URN_METADATA]) == (DEFINITION_ID, VERSION, URN)
    (job,) = w.fake.jobs.values()
    assert job.pool_id == name and job.deleted
    task = job.tasks["canary"]
    assert task["result"]["exitCode"] == 0 and "image marker: 1.4.0" in task["result"]["stdout"]
    assert task["userIdentity"]["autoUser"]["elevationLevel"] == "nonadmin"
    assert w.delete_requested(name)
    for phase in ("leftovers", "pool", "node", "task", "clean-up"):
        assert f"] {phase} (" in provider.stderr(), phase


def _failed(world, start_provider, pool, **changes):
    w = world(pool)
    provider = start_provider(w)
    id_, out = provider.create(canary_props(**changes))
    assert out["passed"] is False
    assert not w.delete_requested(id_), "the failed canary's pool must be kept"
    message = out["failure"]
    for said in (
        f"the canary of image version {VERSION} failed: ",
        f"The canary pool '{id_}' is kept for inspection",
        f"az batch node file download --pool-id {id_}",
        "Production pools and the gallery's `latest` are untouched",
        "The next `pulumi up` retries the canary from the start",
    ):
        assert said in message
    return w, provider, id_, out


def test_an_unusable_node_fails_the_canary_with_its_errors_keeps_the_pool_and_runs_no_job(world, start_provider):
    errors = [{"code": "NodeAgentStartFailed", "message": "The node agent could not start."}]
    w, _, id_, out = _failed(world, start_provider, canary_pool(node("creating", "unusable", errors=errors)))
    assert f"node tvmps_{id_}_0 is unusable (NodeAgentStartFailed: The node agent could not start.)" in out["failure"]
    assert w.fake.jobs == {}


def test_a_failed_start_task_gives_its_exit_code_and_the_end_of_its_stderr(world, start_provider):
    stderr = "".join(f"line {i}\n" for i in range(40)) + "E: Unable to locate package cuda-drivers\n"
    failing = node(
        "creating", "waitingforstarttask", "starttaskfailed", start_task_exit_code=100, start_task_stderr=stderr
    )
    _, _, _, out = _failed(world, start_provider, canary_pool(failing))
    assert "the start task failed on node" in out["failure"] and "(exit code 100;" in out["failure"]
    assert "E: Unable to locate package cuda-drivers" in out["failure"]
    assert "line 39" in out["failure"] and "line 5\n" not in out["failure"]  # the tail, not the whole file


def test_a_start_task_that_fails_without_wait_for_success_fails_the_canary_on_an_idle_node(world, start_provider):
    stderr = "mount: /mnt/data: can't find in /etc/fstab\n"
    failing = node("creating", "starting", "idle", start_task_exit_code=32, start_task_stderr=stderr)
    w, _, _, out = _failed(world, start_provider, canary_pool(failing))
    assert "the start task failed on node" in out["failure"] and "(exit code 32;" in out["failure"]
    assert "can't find in /etc/fstab" in out["failure"]
    assert w.fake.jobs == {}  # the command never ran on a node whose setup failed


def test_a_failing_command_gives_its_exit_code_and_output_tails_deletes_the_job_and_keeps_the_pool(
    world, start_provider
):
    command = "/bin/sh -c 'echo checking GPU; echo nvidia-smi: not found >&2; exit 7'"
    w, _, _, out = _failed(world, start_provider, canary_pool(booting()), command=command)
    assert "the canary command failed (exit code 7;" in out["failure"]
    assert "checking GPU" in out["failure"] and "nvidia-smi: not found" in out["failure"]
    (job,) = w.fake.jobs.values()
    assert job.deleted and out["job_id"] == ""


def test_the_default_command_on_an_image_without_the_new_marker_says_which_version_the_node_runs(world, start_provider):
    _, _, _, out = _failed(world, start_provider, canary_pool(booting(), marker="1.3.0\n"))
    assert "the node's image marker says '1.3.0' but the stack deployed image version '1.4.0'" in out["failure"]


def test_a_node_that_never_gets_ready_fails_at_the_timeout_with_its_state(world, start_provider):
    started = time.monotonic()
    _, _, _, out = _failed(world, start_provider, canary_pool(node("creating", "starting")), timeout="PT2S")
    assert time.monotonic() - started < 15
    assert "the canary node was not ready within PT2S" in out["failure"] and "1 starting" in out["failure"]


def test_a_preempted_spot_node_fails_at_the_timeout_saying_it_was_preempted_not_the_image(world, start_provider):
    _, _, _, out = _failed(world, start_provider, canary_pool(node("creating", "preempted")), timeout="PT2S")
    assert "the canary node was not ready within PT2S" in out["failure"] and "1 preempted" in out["failure"]
    assert "Its Spot node was preempted" in out["failure"] and "image.canary.spot to false" in out["failure"]


def test_a_node_that_never_gets_ready_says_nothing_of_preemption(world, start_provider):
    _, _, _, out = _failed(world, start_provider, canary_pool(node("creating", "starting")), timeout="PT2S")
    assert "preempted" not in out["failure"]


def test_deleting_a_failed_canary_deletes_its_kept_pool_and_a_second_delete_finds_it_gone(world, start_provider):
    errors = [{"code": "NodeAgentStartFailed", "message": "The node agent could not start."}]
    w, provider, id_, out = _failed(world, start_provider, canary_pool(node("unusable", errors=errors)))

    provider.delete(id_, out)  # `pulumi destroy`, or the replacement by the next `up`

    assert w.delete_requested(id_)
    wait_for(lambda: w.fake.pool(id_) is None)
    provider.delete(id_, out)  # already gone: 404 is fine
    assert w.arm_deletes().count(id_) == 2


def test_deleting_a_passed_canary_calls_nothing(world, start_provider):
    w = world(canary_pool(booting()))
    provider = start_provider(w)
    id_, out = provider.create(canary_props())
    before = len(w.fake.requests)
    provider.delete(id_, out)
    assert len(w.fake.requests) == before


def test_ctrl_c_during_the_wait_requests_the_pools_delete_within_the_grace_and_a_rerun_sweeps_and_passes(
    world, start_provider
):
    w = world(canary_pool(node("creating", "starting")))
    first = start_provider(w)
    pending = first.create_async(canary_props())
    wait_for(lambda: w.puts() and w.fake.node_reads)
    (name, _) = _created(w)

    assert first.interrupt(grace=5.0) == "exited"
    with pytest.raises(Exception):  # noqa: B017 - the RPC dies with the server; what matters is the pool below
        pending.result(timeout=10)
    assert w.delete_requested(name)
    assert "interrupted" in first.stderr() and f"requested the delete of canary pool {name}" in first.stderr()

    # A SIGKILLed attempt (no time for anything) leaves its pool; the rerun's create sweeps it and starts again.
    second = start_provider(w)
    pending = second.create_async(canary_props())
    wait_for(lambda: len(w.puts()) == 2 and w.fake.node_reads.get(w.puts()[1][0]))
    second.kill()
    left = w.puts()[1][0]
    assert not w.delete_requested(left)

    w.fake.scenario.created_pool = canary_pool(booting())
    third = start_provider(w)
    id_, out = third.create(canary_props())
    assert out["passed"] is True and id_ not in (name, left)
    assert w.delete_requested(left) and "leftover canary pool" in third.stderr()


def test_the_sweep_leaves_other_resources_canary_pools_alone(world, start_provider):
    w = world(canary_pool(node("creating", "starting")))
    other = start_provider(w)
    pending = other.create_async(canary_props(progress_urn=URN + "-other"))
    wait_for(lambda: w.puts())
    other.kill()
    (theirs, _) = _created(w)

    w.fake.scenario.created_pool = canary_pool(booting())
    provider = start_provider(w)
    _, out = provider.create(canary_props())
    assert out["passed"] is True and not w.delete_requested(theirs)
    del pending


def test_data_plane_403s_while_the_role_propagates_are_waited_out(world, start_provider):
    w = world(canary_pool(booting()), denied_first=4)
    provider = start_provider(w)
    _, out = provider.create(canary_props())
    assert out["passed"] is True and w.fake.data_plane_denied == 4


def test_a_role_that_never_arrives_is_one_error_naming_it_and_the_account_within_the_bound(world, start_provider):
    w = world(canary_pool(booting()), denied_first=10**6)
    provider = start_provider(w, role_wait="1")
    started = time.monotonic()
    with pytest.raises(ProviderError) as raised:
        provider.create(canary_props())
    assert time.monotonic() - started < 10
    message = raised.value.details
    assert "6aaa78f1-f7de-44ca-8722-c64a23943cae" in message and "acct.westeurope.batch.azure.com" in message
    assert "Azure Batch Data Contributor" in message
    (name, _) = _created(w)
    assert w.delete_requested(name)  # nothing recorded, so nothing left behind
