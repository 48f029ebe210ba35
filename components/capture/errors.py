"""The capture step's error type and the redaction that keeps SAS tokens out of every message."""

from __future__ import annotations

import re

# A URL query string carrying a SAS signature (sig=...), or a bare signature parameter.
_SAS_QUERY = re.compile(r"\?[^\s\"'<>]*sig=[^\s\"'<>]*", re.IGNORECASE)
_SIG = re.compile(r"([?&]sig=)[^&\s\"'<>]+", re.IGNORECASE)


class CaptureError(Exception):
    """A failure the user can act on; its message never contains a SAS token."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


def redact(text: str) -> str:
    """`text` with every SAS query string replaced by `?<SAS redacted>`."""
    return _SIG.sub(r"\1<redacted>", _SAS_QUERY.sub("?<SAS redacted>", text))
