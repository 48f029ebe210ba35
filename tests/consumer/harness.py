"""Run examples/consumer/__main__.py under Pulumi mocks, with a mocked StackReference to the producer stack."""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

PROGRAM_DIR = Path(__file__).resolve().parents[2] / "examples" / "consumer"
PROJECT = "batch-custom-image-consumer"
PRODUCER_STACK = "myorg/batch-custom-image/dev"
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


def producer_outputs() -> dict[str, Any]:
    """The producer's outputs as DESIGN.md defines them."""
    return {
        "resourceGroupName": "rg-batch-dev",
        "location": "westeurope",
        "storageAccountName": "stbatchimgdev",
        "imageVhdUri": "",
        "galleryImageVersionId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-batch-dev/providers/"
        "Microsoft.Compute/galleries/galdev/images/app-node/versions/1.0.0",
        "batchAccountName": "batchdev",
        "batchAccountEndpoint": "batchdev.westeurope.batch.azure.com",
        "pools": {
            "render": {"id": "/subscriptions/x/pools/render", "poolName": "render-pool", "vmSize": "Standard_D4ds_v5",
                       "nodeAgentSkuId": "batch.node.ubuntu 24.04"},
            "gpu": {"id": "/subscriptions/x/pools/gpu", "poolName": "gpu-pool", "vmSize": "Standard_NC4as_T4_v3",
                    "nodeAgentSkuId": "batch.node.ubuntu 22.04"},
        },
    }  # fmt: skip


@dataclass
class Recorded:
    typ: str
    name: str
    inputs: dict[str, Any]
    resource_id: str | None


@dataclass
class ConsumerMocks(Mocks):
    outputs: dict[str, Any]
    resources: list[Recorded] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(Recorded(args.typ, args.name, dict(args.inputs), args.resource_id))
        if args.typ == "pulumi:pulumi:StackReference":
            return args.resource_id, {"name": args.resource_id, "outputs": self.outputs, "secretOutputNames": []}
        state = dict(args.inputs)
        rid = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/mock/{args.name}"
        if args.typ == "azure-native:managedidentity:UserAssignedIdentity":
            state.update(principalId="00000000-aaaa-bbbb-cccc-000000000001", clientId="client-1",
                         name=args.name)  # fmt: skip
        return rid, state

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        self.invokes.append((args.token, dict(args.args)))
        if args.token != "azure-native:batch:getBatchAccount":
            return {}, []
        account = args.args["accountName"]
        group = args.args["resourceGroupName"]
        account_id = (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.Batch/batchAccounts/{account}"
        )
        return {"id": account_id, "name": account, "accountEndpoint": f"{account}.westeurope.batch.azure.com"}, []


@dataclass
class ConsumerRun:
    mocks: ConsumerMocks
    exports: dict[str, Any]

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.mocks.resources if r.typ == typ]


def run_consumer(outputs: dict[str, Any], config: dict[str, str]) -> ConsumerRun:
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_quiet_unretrieved)
    asyncio.set_event_loop(loop)
    pulumi.runtime.settings.ROOT.set(None)
    mocks = ConsumerMocks(outputs)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="dev", preview=False, monitor=MockMonitor(mocks))
    pulumi.runtime.set_all_config({f"{PROJECT}:{k}": v if isinstance(v, str) else json.dumps(v)
                                   for k, v in config.items()})  # fmt: skip
    if str(PROGRAM_DIR) not in sys.path:
        sys.path.insert(0, str(PROGRAM_DIR))
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(PROGRAM_DIR / "__main__.py"), run_name="__main__")
        stack = pulumi.runtime.settings.get_root_resource()
        assert stack is not None
        names = list(stack.outputs)  # type: ignore[attr-defined]
        values = [stack.outputs[n] for n in names]  # type: ignore[attr-defined]
        return pulumi.Output.all(*values).apply(lambda resolved: exports.update(zip(names, resolved, strict=True)))

    try:
        program()
    finally:
        _drain(loop)
    return ConsumerRun(mocks, exports)


def _quiet_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed run leaves Output futures holding the error the test already asserted on; don't print them again."""
    if context.get("message") == "Future exception was never retrieved":
        return
    loop.default_exception_handler(context)


def _drain(loop: asyncio.AbstractEventLoop) -> None:
    """Collect what a failed run left pending, so asyncio does not print their errors when the loop is collected."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
