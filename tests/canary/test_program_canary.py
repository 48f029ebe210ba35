"""The canary as the program declares it: the dev stack's ImageCanary inputs and pickled provider, taken from a
whole-program run under mocks (tools/plan/program_pickle.py), run by the real dynamic-provider server against the
fake Batch. The other canary tests write their inputs by hand; this one proves that the program's pool body is one
that the fake's Pool - Create (its rules traced to the spec) accepts, that the canary pool is the dev stack's first
pool on one Spot node, and that the program's default command passes on a node of the new version."""

from __future__ import annotations

from typing import Any

import yaml

from components.common.project import PROJECT_ROOT
from fakes.batch import ACCOUNT_ENDPOINT, ACCOUNT_ID
from tests.canary.conftest import booting, canary_pool
from tools.plan.program_pickle import program_capture


def _program_canary() -> dict[str, Any]:
    captured = program_capture()
    inputs = dict(captured["canary_inputs"])
    # The fake Batch's account in place of the mocks' (under mocks the account's id and endpoint are made up).
    inputs.update(account_id=ACCOUNT_ID, account_endpoint=ACCOUNT_ENDPOINT)
    inputs["__provider"] = captured["canary_provider"]
    return inputs


def _dev_first_pool() -> dict[str, Any]:
    config = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return config["batch-custom-image:pools"][0]


def test_the_programs_canary_boots_the_first_pool_on_one_spot_node_and_passes_its_default_check(world, start_provider):
    inputs = _program_canary()
    version = inputs["image_version"]
    w = world(canary_pool(booting(), marker=f"{version}\n"))
    provider = start_provider(w)
    checked, failures = provider.check(inputs)
    assert failures == []

    _, out = provider.create(checked)

    assert (out["passed"], out["failure"]) == (True, "")
    ((_, body),) = w.puts()
    props, first = body["properties"], _dev_first_pool()
    vm = props["deploymentConfiguration"]["virtualMachineConfiguration"]
    assert props["vmSize"] == first["vmSize"] and vm["nodeAgentSkuId"] == first["nodeAgentSkuId"]
    assert vm["imageReference"] == {"id": inputs["image_version_id"]} and inputs["image_version_id"].endswith(
        f"/versions/{version}"
    )
    assert props["startTask"]["commandLine"] == first["startTask"]["commandLine"]
    fixed = props["scaleSettings"]["fixedScale"]
    assert (fixed["targetDedicatedNodes"], fixed["targetLowPriorityNodes"]) == (0, 1)  # Spot by default
    (job,) = w.fake.jobs.values()
    assert f"image marker: {version}" in job.tasks["canary"]["result"]["stdout"]


def test_the_programs_canary_fails_on_a_node_that_booted_another_version(world, start_provider):
    inputs = _program_canary()
    w = world(canary_pool(booting(), marker="0.9.0\n"))
    provider = start_provider(w)

    id_, out = provider.create(provider.check(inputs)[0])

    assert out["passed"] is False and "image marker says '0.9.0' but the stack deployed image version" in out["failure"]
    assert not w.delete_requested(id_)
