"""Running the pack over test records through tools.policy_runner (Configure, Analyze, AnalyzeStack)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tests.policies.stack import Res, dev_stack
from tools.policy_runner import PolicyReport, PolicyResult, PolicyRunner


def run(stack: Mapping[str, Res] | Iterable[Res], config: Mapping[str, Any] | None = None) -> PolicyReport:
    resources = list(stack.values()) if isinstance(stack, Mapping) else list(stack)
    return PolicyRunner(config).run(resources)


def with_changes(**changes: Res) -> dict[str, Res]:
    """The dev stack with some records replaced (or added under new keys)."""
    return {**dev_stack(), **changes}


def only(report: PolicyReport, policy: str) -> list[PolicyResult]:
    """The diagnostics of one policy; asserts no other policy fired (each test changes one thing)."""
    others = sorted({r.policy_name for r in report.results} - {policy})
    assert not others, f"unexpected policies fired: {others}: {[r.message for r in report.results]}"
    return report.for_policy(policy)


def single(report: PolicyReport, policy: str) -> PolicyResult:
    found = only(report, policy)
    assert len(found) == 1, [r.message for r in found]
    return found[0]


def assert_message_shape(result: PolicyResult, *fragments: str) -> None:
    """Every violation says what is wrong, the value found, what to change, and why."""
    detail = result.message.split("\n", 1)[1]
    assert "(found " in detail and ". Change: " in detail and ". Why: " in detail, detail
    for fragment in fragments:
        assert fragment in detail, f"{fragment!r} not in {detail!r}"
