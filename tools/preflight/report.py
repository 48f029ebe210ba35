"""The results as lines for a person, or one JSON document for CI (`--json`, schema: preflight.schema.json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tools.preflight.checks import Result
from tools.preflight.target import Target

SCHEMA_PATH = Path(__file__).with_name("preflight.schema.json")
MARK = {"ok": "ok     ", "problem": "PROBLEM", "skipped": "skipped"}


def passed(results: Sequence[Result]) -> bool:
    return not any(r.status == "problem" for r in results)


def text_lines(target: Target, results: Sequence[Result]) -> list[str]:
    lines = [f"preflight: stack {target.stack}, subscription {target.subscription_id}, location {target.location}"]
    for result in results:
        lines.append(f"{MARK[result.status]} {result.check}: {result.subject}: {result.detail}")
        if result.fix and result.status != "ok":
            lines.append(f"        what to do: {result.fix}")
    problems = sum(r.status == "problem" for r in results)
    lines.append("preflight passed" if not problems else f"preflight: {problems} problem(s)")
    return lines


def json_document(target: Target, results: Sequence[Result]) -> dict[str, Any]:
    return {
        "stack": target.stack,
        "subscription": target.subscription_id,
        "location": target.location,
        "passed": passed(results),
        "checks": [asdict(r) for r in results],
    }


def dumps(target: Target, results: Sequence[Result]) -> str:
    return json.dumps(json_document(target, results), indent=2)
