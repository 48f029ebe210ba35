"""Benchmark of the capture provider against the fakes: overhead beyond Azure's own durations, requests, Retry-After.

    python -m tools.bench.capture [--retry-after 1] [--unit 2]      (make bench-capture)

Starts the test fakes (fake ARM with integer Retry-After like ARM's, Azurite behind the async-copy proxy), then
drives `create` through the real dynamic-provider gRPC server with the provider pickled by the program, for the
managed-disk export and the unmanaged capture. Each simulated duration (guest power-off, deallocate, grant access,
copy, revoke, capture) is a multiple of `--unit` seconds; the guest writes its generalized marker half a unit before
its power-off, as the real guest does just before it shuts down. It prints, per scenario:

- wall time of the Create RPC and the sum of the simulated durations; the difference is the provider's overhead
  (goal: under 5%), and of that overhead, how much was spent waiting for the next poll after an operation had
  finished (poll granularity; it is zero when durations are multiples of Retry-After and the poll interval);
- the number of ARM requests, by operation;
- whether any request came sooner than the Retry-After of the response before it (it must never);
- the progress lines the provider sent to the engine (the provider runs as `pulumi up` starts it, with a fake
  engine's address, fakes/engine.py), and what sending them cost: the lines times the measured cost of one Log RPC,
  as a share of the Create's wall time (goal: at most 1%).

Exit code 1 when the overhead is 5% or more, when reporting costs more than 1%, or when a request came too early.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.common.progress import Engine
from fakes.arm_world import RESOURCE_GROUP, SUBSCRIPTION, ArmWorld, FakeVm, poll_gap_violations
from fakes.engine import FakeEngine
from fakes.provider_process import ProviderProcess
from fakes.stack import Fakes, start_fakes
from tools.plan.program_pickle import program_capture

GOAL = 0.05
# The guest writes its generalized marker this many units before it powers off (its shutdown: seconds on Azure,
# about one poll interval), so the capture's faster polls once the marker is listed show in the figures.
SHUTDOWN_UNITS = 0.5
REPORTING_GOAL = 0.01
STORAGE_ACCOUNT_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/imgacct"
)


@dataclass
class Scenario:
    name: str
    managed: bool
    durations: dict[str, float]  # in units
    power_off_units: float
    copy_units: float

    def simulated_seconds(self, unit: float) -> float:
        return unit * (self.power_off_units + self.copy_units + sum(self.durations.values()))


SCENARIOS = [
    Scenario("managed disk + VHD export", True, {"deallocate": 2, "grant_access": 1, "revoke_access": 1}, 2, 2),
    Scenario("unmanaged disk + capture API", False, {"deallocate": 2, "capture": 2}, 2, 0),
]


@dataclass
class Result:
    scenario: Scenario
    wall: float
    simulated: float
    poll_wait: float
    requests: Counter[str]
    early: list[str]
    min_margin: float | None
    progress_lines: int = 0
    line_cost: float = 0.0  # seconds per Log RPC, measured after the runs
    connect_cost: float = 0.0  # the provider process's first Log RPC (builds the channel); charged to each scenario

    @property
    def reporting(self) -> float:
        return self.connect_cost + self.progress_lines * self.line_cost

    @property
    def overhead(self) -> float:
        return self.wall - self.simulated


def run_scenario(
    fakes: Fakes,
    provider: ProviderProcess,
    scenario: Scenario,
    unit: float,
    retry_after: float,
    container: str,
    engine: FakeEngine | None = None,
) -> Result:
    world = fakes.arm.reset()
    fakes.proxy.reset()
    world.retry_after = retry_after
    world.durations = {op: units * unit for op, units in scenario.durations.items()}
    fakes.proxy.copy_seconds = scenario.copy_units * unit
    world.shutdown_seconds = SHUTDOWN_UNITS * unit
    vm = world.add_vm(managed=scenario.managed, power_off_after=None)
    props, failures = provider.check(_inputs(vm, container, scenario.managed))
    if failures:
        raise SystemExit(f"bench inputs rejected: {failures}")

    vm.power_off_at = time.monotonic() + scenario.power_off_units * unit  # the guest's own work starts now
    if engine is not None:
        engine.lines.clear()
    started = time.monotonic()
    provider.create(props)
    wall = time.monotonic() - started
    lines = len(engine.lines) if engine is not None else 0
    if engine is not None and not engine.finals():
        raise SystemExit(f"{scenario.name}: the engine received no final progress line")

    return Result(
        scenario,
        wall,
        scenario.simulated_seconds(unit),
        _poll_wait(world, fakes, vm),
        Counter(e.op for e in world.log),
        poll_gap_violations(world.log),
        _min_margin(world),
        lines,
    )


def _inputs(vm: FakeVm, container: str, managed: bool) -> dict[str, Any]:
    program = program_capture()
    return {
        **program["inputs"],
        "vm_id": vm.id,
        "os_disk_mode": "managed" if managed else "unmanaged",
        "export_vhd": managed,
        "storage_account_id": STORAGE_ACCOUNT_ID,
        "blob_endpoint": "https://imgacct.blob.core.windows.net/",
        "vhd_container": container,
        "vhd_prefix": f"bench-{vm.name}",
        "__provider": program["provider"],
    }


def _poll_wait(world: ArmWorld, fakes: Fakes, vm: FakeVm) -> float:
    """Time between each operation finishing and the request that observed it (poll granularity)."""
    waited = 0.0
    for op in world.ops.values():
        done = op.started + op.duration
        seen = [e.t for e in world.log if e.op_id == op.id and e.t >= done]
        waited += (min(seen) - done) if seen else 0.0
    if vm.power_off_at is not None:
        views = [e.t for e in world.log if e.op == "instance_view" and e.t >= vm.power_off_at]
        waited += (min(views) - vm.power_off_at) if views else 0.0
    for blob, sim in fakes.proxy.copies.items():
        done = sim.started + sim.duration
        reads = [t for t, b in fakes.proxy.property_reads if b == blob and t >= done]
        waited += (min(reads) - done) if reads else 0.0
    return waited


def _min_margin(world: ArmWorld) -> float | None:
    """The smallest (gap - Retry-After) over consecutive requests of one long-running operation."""
    margins = []
    by_op: dict[str, list[Any]] = {}
    for entry in sorted(world.log, key=lambda e: e.t):
        if entry.op_id:
            by_op.setdefault(entry.op_id, []).append(entry)
    for entries in by_op.values():
        for previous, current in itertools.pairwise(entries):
            if previous.retry_after is not None:
                margins.append(current.t - previous.t - previous.retry_after)
    return min(margins) if margins else None


def line_cost(engine: FakeEngine, lines: int = 200) -> tuple[float, float]:
    """What progress lines cost a provider process: its first Log RPC (which connects) and then each one, measured
    over `lines` calls, in seconds."""
    sender = Engine(engine.address)
    started = time.monotonic()
    sender.send(1, "connect", "urn:pulumi:bench::p::t::n", True)
    connect = time.monotonic() - started
    started = time.monotonic()
    for n in range(lines):
        sender.send(1, f"export (1 min): {n} % of 30 GiB", "urn:pulumi:bench::p::t::n", True)
    return connect, (time.monotonic() - started) / lines


def report(results: list[Result], print_: Callable[[str], None] = print) -> bool:
    ok = True
    for r in results:
        share = r.overhead / r.simulated
        print_(f"\n{r.scenario.name}")
        print_(f"  wall time of Create        {r.wall:8.3f} s")
        print_(f"  simulated Azure durations  {r.simulated:8.3f} s")
        print_(f"  provider overhead          {r.overhead:8.3f} s = {share:.2%} (goal < {GOAL:.0%})")
        print_(f"    of which poll granularity {r.poll_wait:7.3f} s")
        print_(
            f"  ARM requests               {sum(r.requests.values()):8d}  "
            + ", ".join(f"{op} {n}" for op, n in sorted(r.requests.items()))
        )
        margin = "n/a" if r.min_margin is None else f"{r.min_margin * 1000:.0f} ms"
        if r.early:
            print_(f"  Retry-After                VIOLATED {len(r.early)}x: {r.early[:3]}")
        else:
            print_(f"  Retry-After                never polled sooner (smallest margin {margin})")
        reporting = r.reporting / r.wall
        print_(
            f"  progress to the engine     {r.progress_lines:8d} lines x {r.line_cost * 1000:.2f} ms + connecting "
            f"{r.connect_cost * 1000:.0f} ms = {r.reporting * 1000:.1f} ms = {reporting:.3%} of the wall time "
            f"(goal <= {REPORTING_GOAL:.0%})"
        )
        ok = ok and share < GOAL and not r.early and reporting <= REPORTING_GOAL
    print_("\nresult: " + ("PASS" if ok else "FAIL"))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--retry-after", type=float, default=1.0, help="Retry-After the fake ARM sends (s)")
    parser.add_argument("--unit", type=float, default=2.0, help="simulated durations are multiples of this (s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as tmp:
        fakes = start_fakes(Path(tmp))
        engine = FakeEngine()
        # Started as `pulumi up` starts it: the engine's address as the plugin's last argument.
        provider = ProviderProcess(fakes.provider_env(BCI_POLL_SECONDS=f"{args.retry_after:g}"), [engine.address])
        try:
            provider.configure({})
            results = []
            for number, scenario in enumerate(SCENARIOS, start=1):
                container = f"bench{number}"
                fakes.azurite.admin().create_container(container)
                results.append(run_scenario(fakes, provider, scenario, args.unit, args.retry_after, container, engine))
            connect, cost = line_cost(engine)
            for result in results:
                result.connect_cost, result.line_cost = connect, cost
        finally:
            provider.close()
            engine.stop()
            fakes.stop()
    print(
        f"capture benchmark: Retry-After {args.retry_after:g} s, poll interval {args.retry_after:g} s, "
        f"durations in units of {args.unit:g} s"
    )
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
