"""ISO 8601 durations as Batch writes them (PT5M, PT2H, P1DT2H): one grammar for the settings and the providers.

The policy pack keeps its own copy (policies/batch_image_policies/_scale.py); tests/policies/test_pack.py checks that
the two agree.
"""

from __future__ import annotations

import re

_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
ISO_DURATION_RULE = "an ISO 8601 duration such as PT5M or PT1H"


def duration_seconds(value: str) -> int:
    """Seconds in an ISO 8601 duration such as PT5M or P1DT2H; ValueError naming the allowed form otherwise."""
    # fullmatch, not match: `$` alone also matches before a trailing newline ("PT5M\n" is no duration)
    match = _ISO_DURATION.fullmatch(value) if isinstance(value, str) else None
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise ValueError(f"allowed: {ISO_DURATION_RULE}")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def duration_minutes(value: str) -> float:
    """Minutes in an ISO 8601 duration such as PT5M or P1DT2H (the forms Batch accepts)."""
    return duration_seconds(value) / 60
