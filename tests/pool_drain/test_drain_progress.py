"""What `pulumi up` shows while a replaced pool drains: the real provider server, started with the engine's address
as the CLI starts it, reports the nodes left and the deadline on the drain resource's own row (a fake engine's Log
RPC), then a final line; a drain recorded before the URN input existed is not updated and reports to stderr."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pulumi.runtime.proto import provider_pb2

from components.common.progress import URN_KEY
from fakes.engine import FakeEngine
from tests.pool_drain.conftest import OLD_POOL, live_pool, wait_for


@pytest.fixture
def engine() -> Iterator[FakeEngine]:
    fake = FakeEngine()
    yield fake
    fake.stop()


def _recorded(provider, props):
    checked, failures = provider.check(props)
    assert failures == []
    return checked, *provider.create(checked)


def test_a_drain_shows_the_nodes_left_and_its_deadline_on_its_row_then_how_it_ended(
    batch, start_provider, drain_props, engine
):
    world = batch(live_pool(OLD_POOL, nodes=2, task_seconds=2.0))
    world.submit(OLD_POOL, "long-task")
    provider = start_provider(world, ["--logtostderr", "-v=3", engine.address])
    checked, id_, state = _recorded(provider, drain_props(OLD_POOL))
    urn = checked[URN_KEY]
    assert urn.endswith(":batch:BatchPools$pulumi-python:dynamic/pools:PoolDrain::pools-burst-drain")  # its parent's

    provider.delete(id_, state)

    status = engine.status()
    assert {line.urn for line in engine.lines} == {urn}
    # the deadline starts when Batch accepts the resize to zero (issue 24.2), so the first line can't name it yet
    assert status[0].message == f"drain (0 s): pool {OLD_POOL}, deadline when Batch accepts the resize to zero"
    assert any(
        re.fullmatch(r"drain \(\d+ s\): [12] node\(s\) left \(\w+\), deadline \d\d:\d\d UTC", s.message) for s in status
    )
    assert status[-1].message.startswith("delete (")
    (final,) = engine.finals()
    assert re.fullmatch(r"drain finished in \d+ s \(drain \d+ s, delete \d+ s\)", final.message)
    assert final.severity == "info"


def test_an_interrupted_drain_ends_with_a_warning_and_the_engine_is_not_waited_for(
    batch, start_provider, drain_props, engine
):
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=60))
    world.submit(OLD_POOL, "long-task")
    provider = start_provider(world, [engine.address])
    checked, id_, state = _recorded(provider, drain_props(OLD_POOL))
    pending = provider.delete_async(id_, state)
    wait_for(lambda: len(engine.status()) >= 2)

    assert provider.interrupt(grace=5.0) == "exited"

    with pytest.raises(Exception):  # noqa: B017 - the RPC's answer reaches nobody
        pending.result()
    assert engine.finals() == []  # the engine is stopping the provider: the final line goes to its stderr log
    assert re.search(rf"\[{re.escape(checked[URN_KEY])}\] drain interrupted in \d+ s \(drain", provider.stderr())


def test_a_drain_recorded_before_the_urn_input_is_not_updated_and_reports_to_stderr(
    batch, start_provider, drain_props, engine
):
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=0.2))
    provider = start_provider(world, [engine.address])
    checked, failures = provider.check(drain_props(OLD_POOL))
    assert failures == []
    older = {k: v for k, v in checked.items() if k != URN_KEY}
    id_, recorded = provider.create(older)
    assert URN_KEY not in recorded

    diff = provider.diff(id_, recorded, checked)  # the upgraded program's inputs against the old record
    assert (diff.changes, list(diff.replaces)) == (provider_pb2.DiffResponse.DIFF_NONE, [])
    provider.delete(id_, recorded)

    assert engine.lines == [] and world.gone(OLD_POOL)
    assert re.search(r"\[progress\] drain finished in \d+ s", provider.stderr())
