"""The capture step's dynamic providers: the capture itself, and the clean-up resource that guards its builder VM.

Pickled by reference into the state (`components.capture.provider.CaptureProvider`, `...CleanupProvider`) and run in
the engine's dynamic-provider process. They hold no clients or credentials: every method builds its Azure clients
from the environment (see `environment.py`) and closes them. Imports: Azure SDKs, `pulumi.dynamic` and stdlib only.

What the engine does, and what the providers do about it (README "The capture step" tells users the same):
- Ctrl-C / a cancelled update: the CLI sends SIGINT, waits 5 s, then SIGKILL. Every wait notices (interrupt.py);
  an export aborts its copy, deletes the partial VHD and requests revoke-access within that grace.
- SIGKILL, a crash, a lost machine: nothing runs. Whatever the run left is stamped with its origin and found by the
  next operation: `create` of any version, `read` and `delete` clean the stack's partial VHDs and their disks' SAS;
  `create` of the same inputs resumes (an unfinished copy, an earlier run's capture still running in Azure).
- An interrupted first `create` never reaches the state, so nothing of the capture would run before the next
  `up` replaces the builder VM or `destroy` deletes it. The clean-up resource closes that gap: it is created (no
  cloud call) before the capture starts and depends on the VM, so the engine deletes it just before the VM, and its
  `delete` revokes the disk's SAS and removes partial VHDs.
- `refresh`: see refresh.py (a gone VM with a VHD left keeps the capture in the state until `up` replaces it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from components.capture import diffing
from components.capture.errors import CaptureError
from components.capture.interrupt import Interrupted
from components.capture.spec import INPUT_KEYS, CaptureSpec, content_failures, input_failures
from components.common.progress import Progress, reporting
from components.common.provider_kit import recorded

# The Azure SDKs (behind cloud, steps, refresh and teardown) are imported inside the methods that call Azure: the
# program process only pickles these classes (by reference) and never runs those methods, and importing
# azure-mgmt-compute, azure-identity and azure-storage-blob there would add ~0.4 s to every preview and `make plan`.

if TYPE_CHECKING:
    from components.capture.cloud import Cloud

T = TypeVar("T")
log = logging.getLogger("components.capture")


def resource_id(spec: CaptureSpec) -> str:
    return f"{spec.vm_id}/generalizedImage/{spec.image_version}"


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return recorded(props, INPUT_KEYS)


def _normalized(news: dict[str, Any]) -> dict[str, Any]:
    """Protobuf turns ints into floats: give the timeout back its integer form when it has one."""
    out = dict(news)
    timeout = out.get("guest_timeout_minutes")
    if isinstance(timeout, float) and timeout.is_integer():
        out["guest_timeout_minutes"] = int(timeout)
    return out


def _spec(props: dict[str, Any]) -> CaptureSpec:
    try:
        return CaptureSpec.from_props(_normalized(props))
    except ValueError as err:
        raise CaptureError(f"invalid capture inputs: {err}") from None


def _blob_endpoint(props: dict[str, Any]) -> str:
    """The VHD store is opened whenever the stack has one: even a capture that writes no VHD cleans leftovers."""
    return str(props.get("blob_endpoint") or "")


def _in_cloud(props: dict[str, Any], step: str, action: Callable[[Cloud], T], progress: Progress | None = None) -> T:
    """Run one named step with the clients for the recorded VM's subscription and the stack's VHD store."""
    from components.capture.cloud import open_cloud
    from components.capture.context import run_step

    with open_cloud(str(props.get("vm_id") or ""), _blob_endpoint(props)) as cloud:
        return run_step(step, lambda: action(cloud), progress)


class _CaptureInputs(ResourceProvider):
    """Both resources take the capture's inputs (spec.CaptureSpec) and check them the same way."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = _normalized(news)
        return CheckResult(news, input_failures(news))


class CaptureProvider(_CaptureInputs):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = super().check(_olds, news)
        return CheckResult(checked.inputs, [*checked.failures, *content_failures(_olds, checked.inputs)])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return diffing.diff(_olds, _news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        from components.capture.cloud import open_cloud
        from components.capture.context import StepContext
        from components.capture.steps import run_create

        spec = _spec(props)
        with (
            reporting(props, "capture", (Interrupted,)) as progress,
            open_cloud(spec.vm_id, _blob_endpoint(props)) as cloud,
        ):
            ctx = StepContext(
                spec=spec,
                compute=cloud.compute,
                vhds=cloud.vhds,
                poll_seconds=cloud.endpoints.poll_seconds,
                operation_timeout_seconds=cloud.endpoints.operation_timeout_seconds,
                clock=cloud.clock,
                progress=progress,
            )
            try:
                outcome = run_create(ctx)
            except Interrupted as err:
                log.warning("%s", err)  # the engine no longer reads the RPC's answer; its log gets the plugin's stderr
                raise
        log.info("capture of %s finished: %s", spec.vm_id, "; ".join(ctx.trail))
        return CreateResult(resource_id(spec), {**_inputs(props), **outcome.as_outputs()})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        # diff only reports in-place changes for state-only inputs (retain_vhd_on_delete): record them.
        return UpdateResult({**_olds, **_inputs(_news)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from components.capture import refresh

        outs = _in_cloud(props, "refresh", lambda cloud: refresh.refreshed_outputs(cloud, props))
        if outs is None:
            return ReadResult("", {})
        return ReadResult(id_, outs, _inputs(outs))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        from components.capture import teardown

        with reporting(_props, "delete", (Interrupted,)) as progress:
            done = _in_cloud(_props, "delete", lambda cloud: teardown.delete_capture(cloud, _props), progress)
        log.info("delete of %s: %s", _id, "; ".join(done))


class CleanupProvider(_CaptureInputs):
    """The clean-up resource: recorded before the capture starts, deleted just before the builder VM."""

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return diffing.diff_cleanup(_olds, _news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = _spec(props)
        return CreateResult(f"{spec.vm_id}/captureCleanup", _inputs(props))

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_inputs(_news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        from components.capture import teardown

        spec = _spec(_props)
        with reporting(_props, "clean-up", (Interrupted,)) as progress:
            done = _in_cloud(
                _props, "clean_up_after_builder", lambda c: teardown.clean_up_after_builder(c, spec), progress
            )
        log.info("clean-up after %s: %s", spec.vm_id, "; ".join(done) or "nothing left")
