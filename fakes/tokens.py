"""The fakes' side of the unsigned test tokens that components/common/loopback.py's credential makes."""

from __future__ import annotations

import base64
import json
import time


def accepts_test_token(authorization: str, audience: str) -> bool:
    """What the local fakes check: an `Authorization: Bearer` header carrying one of these tokens, for `audience`,
    not expired (LoopbackTestCredential's claims)."""
    if not authorization.startswith("Bearer "):
        return False
    try:
        payload = authorization.split(" ", 1)[1].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return False
    return bool(claims.get("aud", "").rstrip("/") == audience.rstrip("/") and claims.get("exp", 0) > time.time())
