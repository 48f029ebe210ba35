"""A deployed stack's records stay no-change: each dynamic provider, now built on the shared kit
(components/common/provider_kit.py), reads what main's provider wrote before the kit as the same resource.

The records (tests/data/records_from_main.json, see tests/data/SOURCES.md) are what main's providers wrote
for the program's inputs. Over gRPC, as the engine sees it: `check` of the program's inputs today refuses nothing,
`diff` of the record against them is no change (a changed key would update, or, for the drain, replace the resource
and drain a live pool), and a `create` of the same inputs writes the record main wrote, key for key and value for
value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from fakes.provider_process import ProviderProcess
from tools.plan.program_pickle import program_capture

RECORDS = json.loads((Path(__file__).parents[1] / "data" / "records_from_main.json").read_text())
PROVIDER_KEYS = {
    "capture": "provider",
    "cleanup": "cleanup_provider",
    "retention": "retention_provider",
    "drain": "drain_provider",
}


@pytest.fixture(scope="module")
def provider() -> Iterator[ProviderProcess]:
    process = ProviderProcess({})  # check, diff and these creates read no environment and call no cloud
    process.configure({"batch-custom-image:image": "{}"})
    yield process
    process.close()


def _news(kind: str) -> dict[str, Any]:
    """The inputs today's program sends (its pickled provider included), for the resource main recorded."""
    program = program_capture()
    return {**RECORDS[kind]["inputs"], "__provider": program[PROVIDER_KEYS[kind]]}


def test_the_program_sends_what_main_recorded_for():
    program = program_capture()
    assert program["inputs"] == RECORDS["capture"]["inputs"]
    assert program["drain_inputs"] == RECORDS["drain"]["inputs"]
    # The providers are pickled by reference: the same module and class, so the same bytes main's state holds.
    assert {program[key] for key in PROVIDER_KEYS.values()} == {
        record["record"]["__provider"] for record in (RECORDS[kind] for kind in PROVIDER_KEYS)
    }


@pytest.mark.parametrize("kind", sorted(PROVIDER_KEYS))
def test_a_record_main_wrote_diffs_as_no_change(provider, kind):
    checked, failures = provider.check(_news(kind), RECORDS[kind]["record"])
    diff = provider.diff(RECORDS[kind]["id"], RECORDS[kind]["record"], checked)

    assert failures == []
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, (kind, list(diff.diffs), list(diff.replaces))
    assert list(diff.replaces) == []


@pytest.mark.parametrize("kind", ["cleanup", "drain"])
def test_create_writes_the_record_main_wrote(provider, kind):
    checked, _ = provider.check(_news(kind))
    id_, outputs = provider.create(checked)

    assert id_ == RECORDS[kind]["id"]
    assert outputs == RECORDS[kind]["record"]  # numbers as the state's JSON holds them: 60 and 60.0 alike
