"""The VHD retention resource through the dynamic-provider server, against Azurite: the stack keeps the VHDs of the
versions it keeps and deletes the other finished VHDs its captures made, and nothing else."""

from __future__ import annotations

from typing import Any

from pulumi.runtime.proto import provider_pb2

from components.capture.vhd_store import IMAGE_VERSION_KEY, SOURCE_INSTANCE_KEY, SOURCE_VM_KEY
from fakes.stack import Fakes
from tests.capture.conftest import PROGRAM_BLOB_ENDPOINT
from tools.plan.program_pickle import program_capture

VM = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/builder-vm1"


def _upload(fakes: Fakes, container: str, name: str, version: str | None) -> str:
    stamp = {SOURCE_VM_KEY: VM, SOURCE_INSTANCE_KEY: "i-1", IMAGE_VERSION_KEY: version} if version else None
    blob = fakes.azurite.admin().get_blob_client(container, name)
    blob.upload_blob(b"vhd bits", overwrite=True, metadata=stamp)
    return blob.url


def _names(fakes: Fakes, container: str, prefix: str = "") -> list[str]:
    client = fakes.azurite.admin().get_container_client(container)
    return sorted(client.list_blob_names(name_starts_with=prefix or None))


def _props(container: str, keep: list[str]) -> dict[str, Any]:
    provider = program_capture()["retention_provider"]  # as the program pickles it
    return {"blob_endpoint": PROGRAM_BLOB_ENDPOINT, "vhd_container": container, "keep": keep, "__provider": provider}


def test_an_up_deletes_our_vhds_no_kept_version_names_and_leaves_the_rest(fakes, shared_provider, container) -> None:
    kept = _upload(fakes, container, "app-node-1.1.0-aaaa.vhd", "1.1.0")
    _upload(fakes, container, "app-node-1.0.0-bbbb.vhd", "1.0.0")  # dropped past keepVersions
    _upload(fakes, container, "app-node-1.1.0-cccc.vhd", "1.1.0")  # an earlier build of the kept version
    _upload(fakes, container, "uploaded-by-hand.vhd", None)  # not ours: no capture stamp
    classic = f"Microsoft.Compute/Images/{container}/app-node-0.9.0-dddd-osDisk.1.vhd"
    _upload(fakes, "system", classic, "0.9.0")  # a classic capture's VHD of a dropped version

    checked, failures = shared_provider.check(_props(container, [kept]))
    assert failures == []
    id_, outs = shared_provider.create(checked)

    assert _names(fakes, container) == ["app-node-1.1.0-aaaa.vhd", "uploaded-by-hand.vhd"]
    assert _names(fakes, "system", f"Microsoft.Compute/Images/{container}/") == []
    assert outs["keep"] == [kept]

    # The next version keeps 1.1.0 and adds 1.2.0: an update in place, which deletes nothing kept.
    newer = _upload(fakes, container, "app-node-1.2.0-eeee.vhd", "1.2.0")
    news, _ = shared_provider.check(_props(container, [newer, kept]))
    diff = shared_provider.diff(id_, outs, news)
    assert list(diff.replaces) == [] and diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    outs = shared_provider.update(id_, outs, news)
    assert _names(fakes, container) == ["app-node-1.1.0-aaaa.vhd", "app-node-1.2.0-eeee.vhd", "uploaded-by-hand.vhd"]

    # The builder retired (or `pulumi destroy`): the resource goes, the kept VHDs stay.
    shared_provider.delete(id_, outs)
    assert _names(fakes, container) == ["app-node-1.1.0-aaaa.vhd", "app-node-1.2.0-eeee.vhd", "uploaded-by-hand.vhd"]


def test_an_unchanged_keep_list_is_no_change(shared_provider, container) -> None:
    props, _ = shared_provider.check(_props(container, ["https://imgacct.blob.core.windows.net/x/a.vhd"]))
    outs = {k: v for k, v in props.items() if k != "__provider"}
    assert shared_provider.diff("id", outs, props).changes == provider_pb2.DiffResponse.DIFF_NONE
