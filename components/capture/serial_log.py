"""The builder VM's serial console log (boot diagnostics): proof of deprovisioning, and the tail shown in errors."""

from __future__ import annotations

from collections.abc import Callable

from azure.core.exceptions import AzureError
from azure.storage.blob import BlobClient

from components.capture.clients import blob_retry
from components.capture.errors import redact

TAIL_BYTES = 64 * 1024
TAIL_LINES = 40


def read_tail(sas_uri: str, verify: str | bool) -> str:
    """The end of the blob at `sas_uri` (a short-lived SAS from retrieveBootDiagnosticsData), whole lines only."""
    blob = BlobClient.from_blob_url(sas_uri, connection_verify=verify, retry_policy=blob_retry())
    size = blob.get_blob_properties().size
    offset = max(0, size - TAIL_BYTES)
    data = blob.download_blob(offset=offset, length=size - offset).readall() if size else b""
    lines = data.decode("utf-8", errors="replace").splitlines()
    if offset:
        lines = lines[1:]  # the first line is cut
    return "\n".join(lines)


def tail_for_error(read_log: Callable[[], str | None]) -> str:
    """The last lines of the serial log, or a sentence saying why there are none. Never raises, never shows a SAS."""
    try:
        log = read_log()
    except (AzureError, OSError, ValueError) as err:
        first_line = (str(err).splitlines() or [""])[0]
        return f"(serial log unavailable: {redact(f'{type(err).__name__}: {first_line}')})"
    if log is None:
        return "(no serial log: boot diagnostics are not enabled on the builder VM)"
    return "\n".join(log.splitlines()[-TAIL_LINES:]) or "(the serial log is empty)"
