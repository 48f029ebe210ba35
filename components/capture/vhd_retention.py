"""The VHD artifacts the stack keeps: one per published version it keeps, and no others.

A capture keeps its VHD when it is deleted (`retain_vhd_on_delete`): the VHD belongs to the published version, and
must outlive the capture when the builder is retired or the next version is built. What does delete a VHD is this
resource, declared beside the capture: its inputs are the VHD URIs of the versions the gallery keeps (the stack's
record, components/image_versions.py, plus the new capture's), and each `pulumi up` that changes them deletes the
finished VHDs of ours (stamped by a capture: vhd_store.SOURCE_VM_KEY) that are no longer among them: the version
dropped past image.keepVersions, the VHD of an earlier build of the same version. Blobs without the stamp are not
ours and stay; unfinished copies are the leftovers' business (leftovers.py). Its `delete` removes nothing: with the
builder retired the kept VHDs stay, and `pulumi destroy` deletes the storage account with every blob in it.

Pickled by reference into the state like the capture's providers; imports Azure SDKs, pulumi.dynamic and stdlib only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from components.capture.spec import CAPTURE_CONTAINER
from components.common.progress import URN_KEY, reporting

if TYPE_CHECKING:  # azure-storage-blob loads in the provider process only, when a method runs (see provider.py)
    from components.capture.vhd_store import VhdStore

INPUT_KEYS = ("blob_endpoint", "vhd_container", "keep")
log = logging.getLogger("components.capture")


def prune(store: VhdStore, container: str, keep: list[str]) -> list[str]:
    """Delete our finished VHDs in the export container and the classic capture's folder that `keep` doesn't name."""
    # Compared by container and blob name: the record holds URLs on the account's endpoint, which a test's blob
    # endpoint override (environment.py) replaces.
    kept = [unquote(urlsplit(url).path) for url in keep if url]
    deleted: list[str] = []
    for where, prefix in ((container, ""), (CAPTURE_CONTAINER, f"Microsoft.Compute/Images/{container}/")):
        for name, state in store.listing(where, prefix):
            named = any(path.endswith(f"/{where}/{name}") for path in kept)
            if state.ours and not state.unfinished and not named:
                store.delete(where, name)
                deleted.append(f"{where}/{name}")
    return deleted


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {**{key: props.get(key) for key in INPUT_KEYS}, **({URN_KEY: props[URN_KEY]} if URN_KEY in props else {})}


def _prune(props: dict[str, Any]) -> list[str]:
    from components.capture.clients import credential
    from components.capture.environment import from_environment
    from components.capture.vhd_store import AzureVhdStore

    with reporting(props, "VHD retention") as progress:
        progress.phase("prune", f"deleting the VHDs no kept version names in {props['vhd_container']}")
        endpoints = from_environment()
        cred = credential(endpoints)
        try:
            store = AzureVhdStore(endpoints, cred, str(props["blob_endpoint"]))
            deleted = prune(store, str(props["vhd_container"]), list(props.get("keep") or []))
        finally:
            close = getattr(cred, "close", None)
            if close:
                close()
    log.info("VHD retention: %s", "; ".join(f"deleted {name}" for name in deleted) or "nothing to delete")
    return deleted


class VhdRetentionProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        _prune(props)
        return CreateResult(f"{props['blob_endpoint']}{props['vhd_container']}/vhdRetention", _inputs(props))

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        changed = [key for key in INPUT_KEYS if _olds.get(key) != _news.get(key)]
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        _prune(_news)
        return UpdateResult(_inputs(_news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing: the kept VHDs outlive a retired builder; `pulumi destroy` deletes the whole storage account."""
