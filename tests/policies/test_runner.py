"""tools/plan/policy_runner.py: configuration the way the engine applies it, records the way the engine sends them."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from pulumi.runtime import proto
from pulumi.runtime.rpc import UNKNOWN, _special_resource_sig, _special_sig_key

from tests.policies.helpers import changed, run, single, stack_with
from tools.plan.policy_runner import (
    PolicyConfigError,
    PolicyResult,
    PolicyRunner,
    Record,
    configure_request,
    format_report,
    load_pack,
    load_policy_config,
    main,
)

SA = "image-storage-account"


@pytest.fixture(scope="module")
def broken(baseline):
    return stack_with(
        baseline, changed(changed(baseline[SA], "minimumTlsVersion", "TLS1_0"), "allowSharedKeyAccess", True)
    )


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"no-such-policy": "mandatory"}, 'unknown policy "no-such-policy"'),
        ({"storage-account-min-tls": "warn"}, "level 'warn' is not one of advisory, mandatory, remediate, disabled"),
        ({"all": "strict"}, "\"all\": level 'strict'"),
        ({"batch-pool-max-nodes": {"maxNode": 5}}, '"batch-pool-max-nodes.maxNode": unknown option; allowed: maxNodes'),
        ({"batch-pool-max-nodes": {"maxNodes": "lots"}}, "\"batch-pool-max-nodes.maxNodes\": 'lots' is invalid"),
        ({"storage-account-min-tls": {"minimumTlsVersion": "TLS1_0"}}, "'TLS1_0' is not one of ['TLS1_2', 'TLS1_3']"),
        ({"storage-account-https-only": {"enforcementLevel": "mandatory", "strict": True}}, "allowed: no options"),
    ],
)
def test_bad_config_gets_one_clear_error(config, expected):
    with pytest.raises(PolicyConfigError) as error:
        PolicyRunner(config)
    assert expected in str(error.value)


def test_levels_default_to_each_policy_own_level(broken):
    # The servicer alone would report everything as advisory (proto default); the runner always sends a level.
    levels = {r.policy_name: r.level for r in run(broken).results}
    assert levels == {"storage-account-min-tls": "mandatory", "storage-account-shared-key-disabled": "advisory"}


def test_all_sets_every_level_and_a_policy_entry_wins(broken):
    assert run(broken, {"all": "disabled"}).results == []
    config = {"all": "advisory", "storage-account-shared-key-disabled": {"enforcementLevel": "mandatory"}}
    levels = {r.policy_name: r.level for r in run(broken, config).results}
    assert levels == {"storage-account-min-tls": "advisory", "storage-account-shared-key-disabled": "mandatory"}


def test_remediate_level_reports_as_mandatory(baseline):
    result = single(
        run(
            stack_with(baseline, changed(baseline[SA], "allowSharedKeyAccess", True)),
            {"storage-account-shared-key-disabled": "remediate"},
        ),
        "storage-account-shared-key-disabled",
    )
    assert result.level == "mandatory"


def test_configure_request_carries_a_level_and_defaults_for_every_policy():
    pack = load_pack()
    request = configure_request(pack.policies, {"batch-pool-max-nodes": {"maxNodes": 7}})
    assert set(request.policyConfig) == {p.name for p in pack.policies}
    assert request.policyConfig["storage-account-min-tls"].enforcementLevel == proto.MANDATORY
    assert dict(request.policyConfig["batch-pool-max-nodes"].properties) == {"maxNodes": 7}
    assert dict(request.policyConfig["batch-pool-resize-timeout"].properties) == {"minutesPer1000Nodes": 15}


def test_resource_reference_inputs_are_sent_as_ids(baseline):
    version = baseline["gallery-version-1.0.0"]
    reference = {
        _special_sig_key: _special_resource_sig,
        "urn": version.urn,
        "id": version.outputs["id"],
        "packageVersion": "3.29.0",
    }
    pool = changed(
        baseline["pools-render"], "deploymentConfiguration.virtualMachineConfiguration.imageReference.id", reference
    )
    assert run(stack_with(baseline, pool)).results == []


@pytest.mark.parametrize(
    "path",
    ["scaleSettings", "deploymentConfiguration", "deploymentConfiguration.virtualMachineConfiguration.imageReference"],
)
def test_whole_objects_unknown_during_preview_are_not_judged(baseline, path):
    pool = changed(baseline["pools-render"], path, UNKNOWN)
    assert run(stack_with(baseline, pool)).results == []


def test_preview_diagnostic_is_marked(broken):
    message = "can't run policy 'x' from policy pack 'batch-custom-image@v0.1.0' during preview: string value at .a"
    result = PolicyResult("x", "advisory", message, "", "", "", "resource")
    assert result.skipped_in_preview
    assert not single(
        run(broken, {"storage-account-shared-key-disabled": "disabled"}), "storage-account-min-tls"
    ).skipped_in_preview


def test_report_format_lists_mandatory_first(broken):
    text = format_report(run(broken))
    lines = text.splitlines()
    assert lines[0].startswith(
        "[mandatory] storage-account-min-tls (azure-native:storage:StorageAccount image-storage-account): "
    )
    assert lines[1].startswith("[advisory] storage-account-shared-key-disabled")
    assert lines[-1] == "policy results: 1 mandatory, 1 advisory"


def test_command_line_exit_code_follows_mandatory_violations(baseline, broken, tmp_path, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps([_record(r) for r in baseline.values()]))
    bad.write_text(json.dumps([_record(r) for r in broken.values()]))
    assert main([str(good)]) == 0
    assert main([str(bad)]) == 1
    assert "[mandatory] storage-account-min-tls" in capsys.readouterr().out
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"storage-account-min-tls": "advisory"}))
    assert main([str(bad), "--policy-pack-config", str(config)]) == 0


def test_config_file_must_be_a_json_object(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("[]")
    with pytest.raises(PolicyConfigError, match="expected a JSON object"):
        load_policy_config(path)
    path.write_text("{oops")
    with pytest.raises(PolicyConfigError, match="not valid JSON"):
        load_policy_config(path)


def _record(record):
    """A record as the runner's command line reads it (the ResourceRecord fields only)."""
    return {k: v for k, v in asdict(record).items() if k in Record.__dataclass_fields__}
