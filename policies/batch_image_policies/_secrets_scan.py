"""Find key material, passwords and connection strings in VM custom data (CKV_AZURE_45), without echoing them."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_ACCOUNT_KEY = re.compile(r"(?i)\bAccountKey\s*=\s*[A-Za-z0-9+/=]{16,}")
_SAS_SIGNATURE = re.compile(r"(?i)[?&;]sig=[A-Za-z0-9%+/=]{16,}")
_SHARED_ACCESS_KEY = re.compile(r"(?i)\bSharedAccessKey\s*=\s*[A-Za-z0-9+/=]{16,}")
_ASSIGNMENT = re.compile(
    r"""(?im)(?P<key>\b[A-Za-z0-9_.-]{0,40}?(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|token))"""
    r"""["']?\s*[:=]\s*["']?(?P<value>[^\s"'#,;]+)"""
)
_HARMLESS_VALUES = {"true", "false", "null", "none", "yes", "no", "~", "''", '""', "|", ">"}


def decode_custom_data(value: str) -> str:
    """Custom data is base64 on the wire; fall back to the raw text when it is not."""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return value


def findings(text: str, extra_patterns: Iterable[str] = ()) -> list[str]:
    """Kinds of secret found, never the values: e.g. ["a private key block", "a secret-looking assignment (pwd)"]."""
    found: list[str] = []
    if _PRIVATE_KEY.search(text):
        found.append("a private key block")
    if _ACCOUNT_KEY.search(text) or _SHARED_ACCESS_KEY.search(text):
        found.append("a storage or service connection string with a key")
    if _SAS_SIGNATURE.search(text):
        found.append("a SAS token signature")
    found.extend(f"a secret-looking assignment ({key})" for key in _secret_assignments(text))
    found.extend(f"a match for the configured pattern {p!r}" for p in extra_patterns if re.search(p, text))
    return found


def _secret_assignments(text: str) -> list[str]:
    names: list[str] = []
    for match in _ASSIGNMENT.finditer(text):
        value = match.group("value")
        if value.lower() in _HARMLESS_VALUES or value.startswith(("$", "%", "{{")):
            continue  # booleans, empty values and references to variables are not secrets
        if match.group("key") not in names:
            names.append(match.group("key"))
    return names
