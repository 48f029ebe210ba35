"""The build proof: markers the builder guest writes to the image storage account, which the capture step reads.

One mechanism for both OSes, needing no serial port and no VM extension (Azure's Windows Server images give COM1 to
the Special Administration Console, so a user program cannot open it). The builder VM gets a user-assigned managed
identity whose only right is Storage Blob Data Contributor on one container of the image storage account
(`PROOF_CONTAINER`, components/builder.py). The guest reads a token for that identity from the instance metadata
service (`imds_token_url`) and writes, with Put Blob, one marker per phase under its own vmId:

- `<vmId>/setup-done`: the setup script succeeded (Linux: before `waagent -deprovision+user`, Windows: before sysprep);
- `<vmId>/generalized`: deprovisioning / sysprep succeeded, written right before the guest powers itself off;
- `<vmId>/failed`: a step failed; the body holds the failure line and the last lines of that step's log.

Every body starts with `marker_header(phase, vmId)`; the generalized marker's second line is the OS's proof line
(components/common/console.py `proof_line`). The capture step (components/capture/steps.py) reads `<its vmId>/` and
refuses a marker whose header names another VM instance, stops at once on a failed marker, and generalizes nothing
without the generalized marker. The serial log stays a diagnostic where it exists, never the gate.

Sources: Put Blob (https://learn.microsoft.com/rest/api/storageservices/put-blob: `x-ms-blob-type: BlockBlob`,
`x-ms-version`, `Authorization: Bearer` with Microsoft Entra ID needs x-ms-version 2017-11-09 or later); the IMDS
identity token endpoint (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/
how-to-use-vm-token: GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=...&
client_id=..., header `Metadata: true`, JSON answer with `access_token`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from components.common.console import PREFIX, proof_line
from components.common.os_type import OsType

PROOF_CONTAINER = "build-proof"  # in the image storage account; the builder identity may write here only
SETUP_DONE = "setup-done"
GENERALIZED = "generalized"
FAILED = "failed"
PHASES = (SETUP_DONE, GENERALIZED, FAILED)
STORAGE_RESOURCE = "https://storage.azure.com/"
IMDS_TOKEN_ENDPOINT = "http://169.254.169.254/metadata/identity/oauth2/token"
BLOB_API_VERSION = "2021-08-06"  # x-ms-version of the guest's Put Blob (Entra ID needs 2017-11-09 or later)
# What the rendered guest setup holds until components/builder.py fills in the stack's values (fill_proof_target):
# the guest setup is hashed into the image content with these, so the fingerprint is the same in every stack.
PROOF_URL_TOKEN = "@@BCI_PROOF_CONTAINER_URL@@"
CLIENT_ID_TOKEN = "@@BCI_PROOF_IDENTITY_CLIENT_ID@@"
_URL = re.compile(r"^https://[A-Za-z0-9.:-]+(/[A-Za-z0-9._-]+)*/$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HEADER = re.compile(rf"^{re.escape(PREFIX)} (?P<phase>[a-z-]+) vm (?P<vm>\S+)$")


def imds_token_url(client_id: str) -> str:
    """The IMDS request for a storage token of the builder's user-assigned identity."""
    resource = quote(STORAGE_RESOURCE, safe="")
    return f"{IMDS_TOKEN_ENDPOINT}?api-version=2018-02-01&resource={resource}&client_id={client_id}"


def proof_container_url(blob_endpoint: str) -> str:
    return f"{blob_endpoint.rstrip('/')}/{PROOF_CONTAINER}/"


def marker_name(vm_instance_id: str, phase: str) -> str:
    return f"{vm_instance_id.lower()}/{phase}"


def marker_header(phase: str, vm_instance_id: str) -> str:
    return f"{PREFIX} {phase} vm {vm_instance_id.lower()}"


def generalized_body(os_type: OsType, vm_instance_id: str) -> str:
    return f"{marker_header(GENERALIZED, vm_instance_id)}\n{proof_line(os_type, vm_instance_id)}\n"


def fill_proof_target(guest_setup: str, container_url: str, client_id: str) -> str:
    """The guest setup with the stack's proof container URL and identity client id in place of the tokens."""
    if not _URL.match(container_url):
        raise ValueError(f"the proof container URL must be an https URL ending in '/' (got {container_url!r})")
    if not _GUID.match(client_id):
        raise ValueError(f"the builder identity's client id must be a GUID (got {client_id!r})")
    return guest_setup.replace(PROOF_URL_TOKEN, container_url).replace(CLIENT_ID_TOKEN, client_id)


@dataclass(frozen=True)
class Markers:
    """What the guest wrote under `<vmId>/`, judged for one VM instance and OS."""

    bodies: Mapping[str, str]  # phase -> body (only the phases found and read)
    vm_instance_id: str
    os_type: OsType
    listed: frozenset[str] = frozenset()  # every phase found, read or not

    def foreign(self) -> str | None:
        """A marker whose header does not name this VM instance and its phase (copied from another VM, or forged)."""
        for phase, body in sorted(self.bodies.items()):
            first = (body.splitlines() or [""])[0].strip()
            match = _HEADER.match(first)
            if not match or match["phase"] != phase or match["vm"] != self.vm_instance_id.lower():
                return f"{marker_name(self.vm_instance_id, phase)} starts with {first[:120]!r}"
        return None

    def failure(self) -> str | None:
        """The failed marker's body without its header: the failure line and the log's last lines."""
        body = self.bodies.get(FAILED)
        return None if body is None else "\n".join(body.splitlines()[1:]).strip() or "(no details)"

    def proven(self) -> bool:
        body = self.bodies.get(GENERALIZED)
        return body is not None and body.strip().lower() == generalized_body(self.os_type, self.vm_instance_id).strip()
