"""Loopback-only test plumbing shared by the capture provider and `make smoke`: the address check and the test token.

Both tools accept an unsigned test credential so their tests can run against local fakes; each refuses it unless every
endpoint it would talk to is a loopback address, so a test setting can never send a forged token to Azure.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import time
from typing import Any
from urllib.parse import urlparse

from azure.core.credentials import AccessToken

TEST_PRINCIPAL_OBJECT_ID = "00000000-0000-0000-0000-00000000c0de"


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is localhost or a loopback IP address (127.0.0.0/8, ::1)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoopbackTestCredential:
    """Unsigned JWTs (alg none) whose audience is the requested scope: accepted by the local fakes only."""

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        now = int(time.time())
        audience = (scopes[0] if scopes else "").removesuffix("/.default")
        claims = {
            "aud": audience,
            "iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
            "iat": now,
            "nbf": now - 60,
            "exp": now + 3600,
            "oid": TEST_PRINCIPAL_OBJECT_ID,
        }
        return AccessToken(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.", now + 3600)

    def close(self) -> None:
        pass


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
