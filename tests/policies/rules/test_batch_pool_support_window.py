"""batch-pool-support-window (stack): nothing a pool or builder runs on is past its support end date, judged on the
day of the option asOf (data/support_windows.json)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.policies.helpers import assert_guidance, assert_message_shape, changed, only, run, stack_with

NAME = "batch-pool-support-window"
WARNING = "batch-pool-node-agent-end-of-life"
SKU = "deploymentConfiguration.virtualMachineConfiguration.nodeAgentSkuId"


def _as_of(day):
    return {NAME: {"asOf": day}, WARNING: {"asOf": day}}


def _ubuntu_22_04(baseline):
    pools = [changed(baseline[p], SKU, "batch.node.ubuntu 22.04") for p in ("pools-render", "pools-burst")]
    definition = changed(baseline["gallery-definition"], "identifier.offer", "0001-com-ubuntu-server-jammy")
    return stack_with(baseline, *pools, definition)


def _windows_server_2016(baseline):
    """A Windows image built from Windows Server 2016 (the windows node agent, the 2016 marketplace base)."""
    ident = {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2016-Datacenter"}
    definition = changed(changed(baseline["gallery-definition"], "identifier", ident), "osType", "Windows")
    builder = changed(baseline["builder-vm"], "storageProfile.imageReference", {**ident, "version": "latest"})
    pools = [changed(baseline[p], SKU, "batch.node.windows amd64") for p in ("pools-render", "pools-burst")]
    return stack_with(baseline, definition, builder, *pools)


def test_the_baseline_is_inside_every_window_on_any_day(baseline):
    assert run(baseline, _as_of("2030-01-01")).for_policy(NAME) == []


@pytest.mark.parametrize(
    ("day", "policy", "level"), [("2027-06-30", WARNING, "advisory"), ("2027-07-01", NAME, "mandatory")]
)
def test_node_agent_before_and_after_its_end_date(baseline, day, policy, level):
    results = only(run(_ubuntu_22_04(baseline), _as_of(day)), policy)
    assert [(r.resource_name, r.level) for r in results] == [("pools-burst", level), ("pools-render", level)]
    assert "2027-06-30" in results[0].message and 'nodeAgentSkuId "batch.node.ubuntu 22.04"' in results[0].message


def test_windows_server_2016_base_is_refused_after_2027_01_12(baseline):
    results = only(run(_windows_server_2016(baseline), _as_of("2027-01-13")), NAME)
    assert sorted(r.resource_name for r in results) == ["builder-vm", "pools-burst", "pools-render"]
    builder = next(r for r in results if r.resource_name == "builder-vm")
    assert_message_shape(builder, "support ended on 2027-01-12", "Windows Server 2016", "Azure/Batch/issues/197")
    assert builder.message.split("\n", 1)[1].startswith('builder VM "builder-vm"')
    assert_guidance(NAME, "asOf", "image.builder.baseImage")


def test_windows_server_2016_base_is_a_warning_before_it(baseline):
    results = only(run(_windows_server_2016(baseline), _as_of("2027-01-12")), WARNING)
    assert {r.level for r in results} == {"advisory"} and len(results) == 3


def test_as_of_defaults_to_today(baseline):
    # Without asOf the day is today (UTC): the Ubuntu 22.04 agent is warned about until 2027-06-30, refused after.
    report = run(_ubuntu_22_04(baseline))
    ended = dt.datetime.now(dt.UTC).date() > dt.date(2027, 6, 30)
    assert (len(report.for_policy(NAME)), len(report.for_policy(WARNING))) == ((2, 0) if ended else (0, 2))
