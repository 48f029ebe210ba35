"""The offline plan and the policy pack for every stack of a fleet, each pool stack fed the outputs its image stack's
plan produced (what its StackReference would read after the image stack's `pulumi up`).

The stacks are planned in waves (image stacks, then the pool stacks that need them), each wave spread over
`workers` processes. A worker imports the program's SDK modules once and plans many stacks in a row, with the
garbage collector off as `python -m tools.plan` runs (a plan allocates many objects and frees them all at its end: the
collector's passes during a plan cost more than the plan's own work); it collects once between stacks so memory stays
flat over hundreds of stacks. The cost is per stack: imports are paid once per worker.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pulumi import RunError

from components.common.project import PROJECT_ROOT
from tools.errors import ExitCode
from tools.fleet.manifest import Fleet, FleetStack
from tools.plan.offline import run_program
from tools.plan.policy_runner import PolicyConfigError, load_policy_config, run_policies


@dataclass
class StackPlan:
    stack: str
    kind: str
    region: str
    resources: int = 0  # custom resources (what Azure would hold)
    changes: str = ""  # what `pulumi up` would do: +N to create (no deployed state is given)
    mandatory: list[str] = field(default_factory=list)  # "<policy>: <resource>"
    advisory: list[str] = field(default_factory=list)
    error: str = ""  # the stack can't be planned (its settings, its image stack's outputs)
    seconds: float = 0.0  # wall time of its plan in the worker
    cpu_seconds: float = 0.0  # the worker's CPU time for it (what the plan costs on a machine nothing else loads)
    outputs: dict[str, Any] = field(default_factory=dict)  # an image stack's, fed to its pool stacks

    @property
    def exit_code(self) -> ExitCode:
        if self.error:
            return ExitCode.BAD_INPUT
        return ExitCode.MANDATORY_VIOLATION if self.mandatory else ExitCode.OK


def plan_stack(stack: FleetStack, references: Mapping[str, Mapping[str, Any]]) -> StackPlan:
    """Plan one stack under mocks and run the policy pack on it (in this process)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = StackPlan(stack.name, stack.kind, stack.region)
    try:
        policy = load_policy_config(PROJECT_ROOT / stack.policy_pack_config) if stack.policy_pack_config else None
        run = run_program(config=stack.config, stack=stack.name, other_stacks=references)
        report = run_policies(run.resources, policy)
    except (RunError, PolicyConfigError, OSError) as error:
        result.error = str(error)
    else:
        custom = [r for r in run.resources if r.custom]
        result.resources = len(custom)
        result.changes = f"+{len(custom)}"  # to create: no deployed state is given
        result.mandatory = sorted(f"{p.policy_name}: {p.resource_name}" for p in report.mandatory)
        result.advisory = sorted(f"{p.policy_name}: {p.resource_name}" for p in report.advisory)
        result.outputs = dict(run.outputs) if stack.kind == "image" else {}
    # Between stacks: what this plan left behind (the collector is off during a plan); then what survives (modules
    # the plan imported, caches) is frozen, so the next collection walks only the next plan's objects.
    gc.collect()
    gc.freeze()
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu_started
    return result


def _plan_batch(batch: list[tuple[FleetStack, dict[str, dict[str, Any]]]]) -> list[StackPlan]:
    return [plan_stack(stack, refs) for stack, refs in batch]


def _worker_start() -> None:
    gc.disable()
    for module in ("tools.plan.offline", "tools.plan.policy_runner"):  # the SDK modules, once per worker
        importlib.import_module(module)
    gc.freeze()


def plan_fleet(fleet: Fleet, workers: int = 2, progress: Callable[[StackPlan], None] | None = None) -> list[StackPlan]:
    """Every stack's plan, in the manifest's deployment order."""
    results: dict[str, StackPlan] = {}
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start) as pool:
        for wave in fleet.waves():
            jobs = []
            for stack in wave:
                failed = [n for n in stack.needs if results[n].exit_code == ExitCode.BAD_INPUT]
                if failed:  # its image stack's outputs are unknown: not planned, rather than refused for them
                    skipped = StackPlan(stack.name, stack.kind, stack.region)
                    skipped.error = f"not planned: the stack it needs, {failed[0]}, can't be planned"
                    results[stack.name] = skipped
                    continue
                refs = {fleet.full_name(n): results[n].outputs for n in stack.needs}
                jobs.append((stack, refs))
            # a few batches per worker: imports stay warm, and the workers finish together
            size = max(1, len(jobs) // (workers * 4))
            batches = [jobs[i : i + size] for i in range(0, len(jobs), size)] if jobs else []
            for batch_result in pool.map(_plan_batch, batches):
                for plan in batch_result:
                    results[plan.stack] = plan
                    if progress:
                        progress(plan)
    return [results[name] for name in fleet.stacks]


def exit_code(plans: list[StackPlan]) -> ExitCode:
    """2 when a stack can't be planned, else 1 when any has a mandatory violation, else 0."""
    codes = {p.exit_code for p in plans}
    for code in (ExitCode.BAD_INPUT, ExitCode.MANDATORY_VIOLATION):
        if code in codes:
            return code
    return ExitCode.OK


def render_table(plans: list[StackPlan]) -> str:
    rows = [("stack", "kind", "region", "resources", "changes", "mandatory", "advisory", "seconds")]
    for p in plans:
        rows.append(
            (
                p.stack,
                p.kind,
                p.region,
                "-" if p.error else str(p.resources),
                "error" if p.error else p.changes,
                "-" if p.error else str(len(p.mandatory)),
                "-" if p.error else str(len(p.advisory)),
                f"{p.seconds:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    details = []
    for p in plans:
        if p.error:
            details.append(f"{p.stack}: error: {p.error}")
        details += [f"{p.stack}: mandatory: {m}" for m in p.mandatory]
    return "\n".join(lines + (["", *details] if details else []))
