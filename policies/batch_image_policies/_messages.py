"""One shape for every violation message: what is wrong, the value found, what to change, and why."""

from __future__ import annotations


def violation(subject: str, problem: str, found: str, change: str, why: str) -> str:
    """E.g. `storage account "img": minimum TLS version too old (found "TLS1_0"). Change: ... Why: ...`."""
    return f"{subject}: {problem} (found {found}). Change: {change}. Why: {why}."


def subject(kind: str, name: str) -> str:
    return f'{kind} "{name}"'
