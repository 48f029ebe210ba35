"""The drain as the program registers it (under the Azure-shaped mocks of tools/plan/offline.py): the engine never
deletes a pool itself, each pool has its drain depending on it, the stack output names the pool the drain watches."""

from __future__ import annotations

import pytest

from components.pool_drain.resource import DRAIN_TYPE
from tests.program.test_program import _batch_role, _deletion_waves
from tools.plan.offline import ProgramRun, run_program

POOL = "azure-native:batch:Pool"


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_program()


def test_every_pool_is_retained_on_delete(dev: ProgramRun) -> None:
    pools = dev.of_type(POOL)
    assert len(pools) == 2
    assert [p.options["retainOnDelete"] for p in pools] == [True, True]
    assert [d.options["retainOnDelete"] for d in dev.of_type(DRAIN_TYPE)] == [False, False]


def test_each_pool_has_one_drain_that_depends_on_it_and_follows_its_name(dev: ProgramRun) -> None:
    account = dev.one("azure-native:batch:BatchAccount")
    drains = {d.inputs["pool_name"]: d for d in dev.of_type(DRAIN_TYPE)}
    for pool in dev.of_type(POOL):
        drain = drains.pop(pool.outputs["name"])
        assert pool.urn in drain.dependencies and drain.property_dependencies["pool_name"] == [pool.urn]
        assert drain.inputs["account_endpoint"] == account.outputs["accountEndpoint"]
        assert drain.inputs["drain_timeout"] == "PT2H"  # the default of pools[].drainTimeout
        assert drain.parent == pool.parent  # both children of the BatchPools component
    assert drains == {}


def test_the_pool_name_output_is_the_pool_its_drain_watches(dev: ProgramRun) -> None:
    """When a new image version replaces a pool, the output and the new drain both follow the new pool's name; the
    old drain (with the old name in its state) is the one the engine deletes at the end of the update."""
    watched = {d.inputs["pool_name"] for d in dev.of_type(DRAIN_TYPE)}
    pools = {p.outputs["name"] for p in dev.of_type(POOL)}
    assert {entry["poolName"] for entry in dev.outputs["pools"].values()} == pools == watched


def test_destroy_drains_each_pool_before_the_pool_record_and_the_batch_role_go(dev: ProgramRun) -> None:
    """Deleting a pool in user-subscription mode needs the Batch service's role on the subscription (Batch removes
    the VMs): the drains, which delete the pools, go before it."""
    wave_of = {urn: i for i, wave in enumerate(_deletion_waves(dev)) for urn in wave}
    role = _batch_role(dev)
    for drain in dev.of_type(DRAIN_TYPE):
        pool = next(p for p in dev.of_type(POOL) if p.outputs["name"] == drain.inputs["pool_name"])
        assert wave_of[drain.urn] < wave_of[pool.urn] < wave_of[role.urn]


def test_a_configured_drain_timeout_reaches_the_drain() -> None:
    from tests.program.test_settings import _pools

    run = run_program(_pools(drainTimeout="PT30M"))

    timeouts = sorted(d.inputs["drain_timeout"] for d in run.of_type(DRAIN_TYPE))
    assert timeouts == ["PT2H", "PT30M"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_every_pool_input_batch_refuses_on_a_pool_with_nodes_replaces_the_pool(dev: ProgramRun) -> None:
    """Batch updates a pool with nodes in place only for applicationPackages, certificates, metadata, scaleSettings
    and startTask (batch-pool-update-properties): a change of any other input must take the replace path (new pool
    first, old one drained), never a PATCH that fails while nodes run."""
    import inspect

    from pulumi_azure_native import batch

    from components.pools import POOL_IN_PLACE, POOL_REPLACE_ON_CHANGES

    skipped = {"__self__", "self", "resource_name", "opts", "__props__"}
    inputs = {_camel(n) for n in inspect.signature(batch.Pool._internal_init).parameters if n not in skipped}
    assert set(POOL_IN_PLACE) | set(POOL_REPLACE_ON_CHANGES) == inputs, "a batch.Pool input is in neither list"
    assert set(POOL_IN_PLACE) & set(POOL_REPLACE_ON_CHANGES) == set()
    for pool in dev.of_type(POOL):
        marked = set(pool.options["replaceOnChanges"])
        assert {"vmSize", "taskSlotsPerNode", "networkConfiguration", "identity", "deploymentConfiguration"} <= marked
        assert marked.isdisjoint({"applicationPackages", "certificates", "metadata", "scaleSettings", "startTask"})
        assert pool.options["deleteBeforeReplace"] is not True  # create-before-delete: the new pool first
