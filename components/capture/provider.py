"""The capture step's dynamic provider: generalize the builder VM and capture (or export) its OS disk.

Pickled by reference into the state (`components.capture.provider.CaptureProvider`) and run in the engine's
dynamic-provider process. It holds no clients or credentials: every method builds its Azure clients from the
environment (see `environment.py`) and closes them. Imports: Azure SDKs, `pulumi.dynamic` and stdlib only.
"""

from __future__ import annotations

import logging
from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.capture import diffing
from components.capture.errors import CaptureError
from components.capture.spec import INPUT_KEYS, CaptureSpec, input_failures

# The Azure SDKs (behind cloud, drift and steps) are imported inside the methods that call Azure: the program
# process only pickles this class (by reference) and never runs those methods, and importing azure-mgmt-compute,
# azure-identity and azure-storage-blob there would add ~0.4 s to every `pulumi preview` and `make plan`.

log = logging.getLogger("components.capture")


def resource_id(spec: CaptureSpec) -> str:
    return f"{spec.vm_id}/generalizedImage/{spec.image_version}"


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in INPUT_KEYS if k in props}


def _normalized(news: dict[str, Any]) -> dict[str, Any]:
    """Protobuf turns ints into floats: give the timeout back its integer form when it has one."""
    out = dict(news)
    timeout = out.get("guest_timeout_minutes")
    if isinstance(timeout, float) and timeout.is_integer():
        out["guest_timeout_minutes"] = int(timeout)
    return out


class CaptureProvider(ResourceProvider):
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = _normalized(news)
        return CheckResult(news, input_failures(news))

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return diffing.diff(_olds, _news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        from components.capture.cloud import open_cloud
        from components.capture.steps import StepContext, run_create

        spec = _spec(props)
        with open_cloud(spec.vm_id, spec.blob_endpoint if spec.makes_vhd else "") as cloud:
            ctx = StepContext(
                spec=spec,
                compute=cloud.compute,
                vhds=cloud.vhds,
                poll_seconds=cloud.endpoints.poll_seconds,
                copy_timeout_seconds=cloud.endpoints.operation_timeout_seconds,
                verify=cloud.endpoints.verify,
            )
            outcome = run_create(ctx)
        log.info("capture of %s finished: %s", spec.vm_id, "; ".join(ctx.trail))
        return CreateResult(resource_id(spec), {**_inputs(props), **outcome.as_outputs()})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        # diff only reports in-place changes for state-only inputs (retain_vhd_on_delete): record them.
        return UpdateResult({**_olds, **_inputs(_news)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from components.capture import drift
        from components.capture.cloud import open_cloud
        from components.capture.steps import run_step

        vm_id, blob_endpoint = props.get("vm_id", ""), props.get("blob_endpoint", "")
        with open_cloud(vm_id, blob_endpoint) as cloud:
            outs = run_step("refresh", lambda: drift.refreshed_outputs(cloud, props))
        if outs is None:
            return ReadResult("", {})
        return ReadResult(id_, outs, _inputs(outs))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        from components.capture import drift
        from components.capture.cloud import open_cloud
        from components.capture.steps import run_step

        vm_id, blob_endpoint = _props.get("vm_id", ""), _props.get("blob_endpoint", "")
        with open_cloud(vm_id, blob_endpoint) as cloud:
            result = run_step("delete_vhd", lambda: drift.delete_vhd(cloud, _props))
        log.info("delete of %s: %s", _id, result)


def _spec(props: dict[str, Any]) -> CaptureSpec:
    try:
        return CaptureSpec.from_props(_normalized(props))
    except ValueError as err:
        raise CaptureError(f"invalid capture inputs: {err}") from None
