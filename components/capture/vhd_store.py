"""The VHD blobs the capture step writes (azure-storage-blob): state, server-side copy, ownership metadata, delete."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobClient, BlobProperties, BlobServiceClient

from components.capture.arm_ids import same_id
from components.capture.clients import blob_retry
from components.capture.environment import Endpoints

# Metadata stamped on every VHD this resource creates (at the start of a copy, right after a capture): the proof of
# ownership that resume, delete and the clean-up of interrupted runs rely on.
SOURCE_VM_KEY = "bci_source_vm"
SOURCE_INSTANCE_KEY = "bci_source_instance"
SOURCE_DISK_KEY = "bci_source_disk"
IMAGE_VERSION_KEY = "bci_image_version"
UNFINISHED_COPY = ("pending", "failed", "aborted")


@dataclass(frozen=True)
class BlobState:
    url: str
    copy_status: str | None  # pending, success, failed, aborted; None when the blob was not made by a copy
    copy_id: str | None = None
    copy_description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    copy_progress: str | None = None  # x-ms-copy-progress: "<bytes copied>/<total bytes>"

    def owned_by(self, vm_id: str) -> bool:
        return same_id(self.metadata.get(SOURCE_VM_KEY, ""), vm_id)

    @property
    def ours(self) -> bool:
        """Written by a capture of this project (any VM, any version)."""
        return SOURCE_VM_KEY in self.metadata

    @property
    def unfinished(self) -> bool:
        return self.copy_status in UNFINISHED_COPY


def ownership(vm_id: str, instance_id: str, image_version: str, disk_id: str = "") -> dict[str, str]:
    stamp = {SOURCE_VM_KEY: vm_id, SOURCE_INSTANCE_KEY: instance_id, IMAGE_VERSION_KEY: image_version}
    if disk_id:
        stamp[SOURCE_DISK_KEY] = disk_id
    return stamp


def matches(state: BlobState, stamp: dict[str, str]) -> bool:
    return all(same_id(state.metadata.get(k, ""), v) for k, v in stamp.items())


class VhdStore(Protocol):
    def state(self, container: str, name: str) -> BlobState | None: ...
    def state_of_url(self, url: str) -> BlobState | None: ...
    def container_exists(self, container: str) -> bool: ...
    def start_copy(self, container: str, name: str, source_url: str, metadata: dict[str, str]) -> None: ...
    def abort_copy(self, container: str, name: str, copy_id: str) -> None: ...
    def delete(self, container: str, name: str) -> bool: ...
    def delete_url(self, url: str) -> bool: ...
    def set_metadata(self, container: str, name: str, metadata: dict[str, str]) -> None: ...
    def listing(self, container: str, prefix: str = "") -> list[tuple[str, BlobState]]: ...
    def url(self, container: str, name: str) -> str: ...
    def read_text(self, container: str, name: str) -> str | None: ...  # a small blob's text; None when absent


class AzureVhdStore:
    def __init__(self, endpoints: Endpoints, credential: TokenCredential, blob_endpoint: str) -> None:
        self._endpoints = endpoints
        self._credential = credential
        self._service = BlobServiceClient(
            endpoints.blob_endpoint(blob_endpoint),
            credential=credential,
            connection_verify=endpoints.verify,
            retry_policy=blob_retry(),
        )

    def _blob(self, container: str, name: str) -> BlobClient:
        return self._service.get_blob_client(container, name)

    def _blob_at(self, url: str) -> BlobClient:
        return BlobClient.from_blob_url(
            url, credential=self._credential, connection_verify=self._endpoints.verify, retry_policy=blob_retry()
        )

    def url(self, container: str, name: str) -> str:
        return self._blob(container, name).url

    def state(self, container: str, name: str) -> BlobState | None:
        return _state(self._blob(container, name))

    def state_of_url(self, url: str) -> BlobState | None:
        return _state(self._blob_at(url))

    def container_exists(self, container: str) -> bool:
        return bool(self._service.get_container_client(container).exists())

    def start_copy(self, container: str, name: str, source_url: str, metadata: dict[str, str]) -> None:
        self._blob(container, name).start_copy_from_url(source_url, metadata=metadata)

    def abort_copy(self, container: str, name: str, copy_id: str) -> None:
        self._blob(container, name).abort_copy(copy_id)

    def delete(self, container: str, name: str) -> bool:
        return _delete(self._blob(container, name))

    def delete_url(self, url: str) -> bool:
        return _delete(self._blob_at(url))

    def set_metadata(self, container: str, name: str, metadata: dict[str, str]) -> None:
        self._blob(container, name).set_blob_metadata(metadata)

    def read_text(self, container: str, name: str) -> str | None:
        """A small text blob (the guest's build-proof markers), None when it does not exist."""
        try:
            data = self._blob(container, name).download_blob().readall()
        except ResourceNotFoundError:
            return None
        return data.decode("utf-8", errors="replace")

    def listing(self, container: str, prefix: str = "") -> list[tuple[str, BlobState]]:
        """Every blob under `prefix` with its copy state and metadata, in one List Blobs call per page."""
        client = self._service.get_container_client(container)
        try:
            blobs = list(client.list_blobs(name_starts_with=prefix or None, include=["metadata", "copy"]))
        except ResourceNotFoundError:
            return []
        return sorted((b.name, _blob_state(client.get_blob_client(b.name).url, b)) for b in blobs)


def _state(blob: BlobClient) -> BlobState | None:
    try:
        props = blob.get_blob_properties()
    except ResourceNotFoundError:
        return None
    return _blob_state(blob.url, props)


def _blob_state(url: str, props: BlobProperties) -> BlobState:
    copy = props.copy
    return BlobState(
        url=url,
        copy_status=copy.status if copy and copy.status else None,
        copy_id=copy.id if copy else None,
        copy_description=copy.status_description if copy else None,
        copy_progress=copy.progress if copy else None,
        metadata=dict(props.metadata or {}),
    )


def _delete(blob: BlobClient) -> bool:
    try:
        blob.delete_blob(delete_snapshots="include")
    except ResourceNotFoundError:
        return False
    return True
