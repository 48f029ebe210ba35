"""The tail of the builder VM's serial console log (boot diagnostics), for the guest-timeout error message."""

from __future__ import annotations

from collections.abc import Callable

from azure.core.exceptions import AzureError
from azure.storage.blob import BlobClient

from components.capture.errors import redact

TAIL_BYTES = 8192
TAIL_LINES = 40


def read_tail(sas_uri: str, verify: str | bool) -> str:
    """The last lines of the blob at `sas_uri` (a short-lived SAS from retrieveBootDiagnosticsData)."""
    blob = BlobClient.from_blob_url(sas_uri, connection_verify=verify)
    size = blob.get_blob_properties().size
    offset = max(0, size - TAIL_BYTES)
    data = blob.download_blob(offset=offset, length=size - offset).readall() if size else b""
    lines = data.decode("utf-8", errors="replace").splitlines()
    if offset:
        lines = lines[1:]  # the first line is cut
    return "\n".join(lines[-TAIL_LINES:])


def serial_log_tail(get_sas_uri: Callable[[], str | None], verify: str | bool) -> str:
    """The serial log tail, or a sentence saying why it is unavailable. Never raises, never shows the SAS."""
    try:
        uri = get_sas_uri()
        if not uri:
            return "(no serial log: boot diagnostics are not enabled on the builder VM)"
        tail = read_tail(uri, verify)
    except (AzureError, OSError, ValueError) as err:
        first_line = (str(err).splitlines() or [""])[0]
        return f"(serial log unavailable: {redact(f'{type(err).__name__}: {first_line}')})"
    return tail or "(the serial log is empty)"
