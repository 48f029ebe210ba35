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


def duration_failure(value: object, positive: bool = False) -> str | None:
    """A providers' input rule: None for an ISO 8601 duration (longer than zero when `positive`), else why not."""
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty string, got {value!r}"
    try:
        seconds = duration_seconds(value)
    except ValueError:
        return f"{value!r} is not {ISO_DURATION_RULE}"
    return f"{value!r} must be longer than zero" if positive and seconds <= 0 else None
