"""What `pulumi up` shows while the capture works: the real provider server, started the way the CLI starts a plugin
(the engine's address as its last argument), reports each phase, the guest wait and the copy on the resource's own
row through the engine's Log RPC (a fake engine here), and one final line with the outcome and each phase's time."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from pulumi.runtime.proto import provider_pb2

from components.common.progress import URN_KEY
from fakes.engine import FakeEngine
from fakes.provider_process import ProviderError, ProviderProcess, provider_processes
from fakes.stack import Fakes
from tests.capture.conftest import wait_for

pytestmark = pytest.mark.azurite

CAPTURE_PHASES = ["inspect", "clean-up", "guest", "proof", "generalize", "deallocate", "export"]


@pytest.fixture
def engine() -> Iterator[FakeEngine]:
    fake = FakeEngine()
    yield fake
    fake.stop()


@pytest.fixture
def reporting_provider(fakes: Fakes, engine: FakeEngine) -> Iterator[Callable[..., ProviderProcess]]:
    """Providers as `pulumi up` starts them: the engine's address after the CLI's flags; status every 0.6 s at most."""
    with provider_processes() as start:
        yield lambda args=("-v=9", engine.address): start(fakes.provider_env(BCI_PROGRESS_SECONDS="0.6"), list(args))


def _phases(lines):
    seen: list[str] = []
    for line in lines:
        phase = line.message.split(" (", 1)[0]
        if not seen or seen[-1] != phase:
            seen.append(phase)
    return seen


def test_a_capture_shows_its_phases_the_guest_wait_and_the_copy_on_its_own_row(
    world, fakes, engine, reporting_provider, inputs
):
    vm = world.add_vm(power_off_after=None)
    fakes.proxy.copy_seconds = 1.5
    provider = reporting_provider()
    checked, _ = provider.check(inputs(vm))
    urn = checked[URN_KEY]
    assert urn.endswith("::pulumi-python:dynamic/capture:GeneralizedImage::capture")
    pending = provider.create_async(checked)
    wait_for(lambda: any(line.message.startswith("guest (") for line in engine.status()))
    vm.power_off_at = time.monotonic() + 1.0  # the guest's setup runs for another second
    pending.result()

    status = engine.status()
    assert {line.urn for line in engine.lines} == {urn}
    assert _phases(status) == CAPTURE_PHASES
    assert any(
        re.match(r"guest \(\d+ s\): setup running \(power state running\), deadline \d\d:\d\d UTC", s.message)
        for s in status
    )
    assert any(
        re.match(r"export \(\d+ s\): \d+ % of 64 KiB, [\d.]+ [KM]iB/min, about \d+ s left", s.message) for s in status
    )
    (final,) = engine.finals()
    assert final.severity == "info"
    assert re.fullmatch(
        r"capture finished in \d+ s \(inspect \d+ s, clean-up .*, guest \d+ s, .*export \d+ s\)", final.message
    )
    assert "[urn:pulumi" not in provider.stderr()  # shown once, by the engine


def test_a_failed_capture_ends_with_a_warning_on_its_row_naming_the_error(
    world, fakes, engine, reporting_provider, inputs
):
    vm = world.add_vm(power_off_after=None)
    provider = reporting_provider()
    checked, _ = provider.check(inputs(vm, guest_timeout_minutes=0.01))

    with pytest.raises(ProviderError):
        provider.create(checked)

    (final,) = engine.finals(checked[URN_KEY])
    assert final.severity == "warning"
    assert final.message.startswith(
        "capture failed (capture step 'wait_for_guest_power_off' failed: the builder VM did not deprovision"
    )
    assert re.search(r"\(inspect \d+ s, clean-up \d+ s, guest \d+ s\)$", final.message)
    assert _phases(engine.status()) == ["inspect", "clean-up", "guest"]


def test_without_an_engine_address_the_capture_works_and_its_lines_go_to_stderr(
    world, fakes, engine, reporting_provider, inputs
):
    vm = world.add_vm(power_off_after=0.5)
    provider = reporting_provider(args=["--logtostderr"])  # a provider started by hand: no address
    checked, _ = provider.check(inputs(vm))

    _, outs = provider.create(checked)

    assert outs["vhd_uri"] and engine.lines == []
    urn = checked[URN_KEY]
    stderr = [line.split("] ", 1)[1] for line in provider.stderr().splitlines() if line.startswith(f"[{urn}] ")]
    assert [line.split(" (", 1)[0] for line in stderr if not line.startswith("capture ")][:1] == ["inspect"]
    assert {line.split(" (", 1)[0] for line in stderr[:-1]} == set(CAPTURE_PHASES)
    assert re.match(r"capture finished in \d+ s \(inspect \d+ s, clean-up", stderr[-1])


def test_a_recorded_capture_without_the_urn_input_is_neither_updated_nor_replaced(
    world, fakes, shared_provider, inputs, as_cleanup
):
    """Upgrading the program adds the URN input to captures recorded before it: nothing may be rebuilt."""
    vm = world.add_vm()
    checked, _ = shared_provider.check(inputs(vm))
    old_inputs = {k: v for k, v in checked.items() if k != URN_KEY}
    id_, recorded = shared_provider.create(old_inputs)
    assert URN_KEY not in recorded

    for olds, news in ((recorded, checked), (as_cleanup(old_inputs), as_cleanup(checked))):
        diff = shared_provider.diff(id_, olds, news)
        assert (diff.changes, list(diff.replaces)) == (provider_pb2.DiffResponse.DIFF_NONE, [])


def test_delete_reports_under_the_recorded_urn_and_an_older_record_reports_to_stderr(
    world, fakes, engine, reporting_provider, inputs, as_cleanup
):
    vm = world.add_vm()
    provider = reporting_provider()
    checked, _ = provider.check(inputs(vm))
    id_, recorded = provider.create(checked)
    engine.lines.clear()

    provider.delete(id_, recorded)
    older = {k: v for k, v in as_cleanup(checked).items() if k != URN_KEY}  # recorded before the URN input existed
    provider.delete("cleanup-id", older)

    assert [f.message.split(" in ")[0] for f in engine.finals(checked[URN_KEY])] == ["delete finished"]
    assert "[progress] clean-up finished in" in provider.stderr()
