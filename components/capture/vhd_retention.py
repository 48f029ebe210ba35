"""The VHD artifacts the stack keeps: one per published version it keeps, and no others.

A capture keeps its VHD when it is deleted (`retain_vhd_on_delete`): the VHD belongs to the published version, and
must outlive the capture when the builder is retired or the next version is built. What does delete a VHD is this
resource, declared beside the capture: its inputs are the VHD URIs of the versions the gallery keeps (the stack's
record, components/image_versions.py, plus the new capture's), and each `pulumi up` that changes them deletes the
finished VHDs of ours (stamped by a capture: vhd_store.SOURCE_VM_KEY) that are no longer among them: the version
dropped past image.keepVersions, the VHD of an earlier build of the same version. Blobs without the stamp are not
ours and stay; unfinished copies are the leftovers' business (leftovers.py). Its `delete` removes nothing: with the
builder retired the kept VHDs stay, and `pulumi destroy` deletes the storage account with every blob in it.

Its contract (`RetentionSpec`) is declared with components/common/provider_kit.py like the capture's and the drain's;
`check` judges it, and any change is an update in place (never a replacement: there is nothing to recreate).

Pickled by reference into the state like the capture's providers; imports Azure SDKs, pulumi.dynamic and stdlib only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ResourceProvider, UpdateResult

from components.capture.spec import CAPTURE_CONTAINER, blob_endpoint_rule, container_rule
from components.common.progress import reporting
from components.common.provider_kit import (
    changed_inputs,
    closing,
    input_failures,
    input_field,
    input_keys,
    is_unknown,
    recorded,
)

if TYPE_CHECKING:  # azure-storage-blob loads in the provider process only, when a method runs (see provider.py)
    from components.capture.vhd_store import VhdStore

log = logging.getLogger("components.capture")


def _uris(value: Any, _: Mapping[str, Any]) -> str | None:
    ok = isinstance(value, Sequence) and not isinstance(value, str)
    ok = ok and all(isinstance(uri, str) or is_unknown(uri) for uri in value)
    return None if ok else "must be a list of VHD URIs (strings)"


@dataclass(frozen=True)
class RetentionSpec:
    """The retention resource's inputs (dict keys on the wire are these field names); every change is in place."""

    blob_endpoint: str = input_field("the image storage account's blob endpoint", "state", blob_endpoint_rule)
    vhd_container: str = input_field("the container the captures export VHDs to", "state", container_rule)
    keep: Sequence[str] = input_field("the VHD URIs of the versions the gallery keeps (the others go)", "state", _uris)


INPUT_KEYS = input_keys(RetentionSpec)


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
    return recorded(props, INPUT_KEYS, absent_as_none=True)


def _prune(props: dict[str, Any]) -> list[str]:
    from components.capture.environment import from_environment
    from components.capture.vhd_store import AzureVhdStore
    from components.common.environment import credential

    with reporting(props, "VHD retention") as progress:
        progress.phase("prune", f"deleting the VHDs no kept version names in {props['vhd_container']}")
        endpoints = from_environment()
        with closing(credential(endpoints)) as cred:
            store = AzureVhdStore(endpoints, cred, str(props["blob_endpoint"]))
            deleted = prune(store, str(props["vhd_container"]), list(props.get("keep") or []))
    log.info("VHD retention: %s", "; ".join(f"deleted {name}" for name in deleted) or "nothing to delete")
    return deleted


class VhdRetentionProvider(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, input_failures(RetentionSpec, news))

    def create(self, props: dict[str, Any]) -> CreateResult:
        _prune(props)
        return CreateResult(f"{props['blob_endpoint']}{props['vhd_container']}/vhdRetention", _inputs(props))

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        changed = changed_inputs(_olds, _news, INPUT_KEYS)
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        _prune(_news)
        return UpdateResult(_inputs(_news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing: the kept VHDs outlive a retired builder; `pulumi destroy` deletes the whole storage account."""
