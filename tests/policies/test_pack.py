"""The pack as a whole: names and levels of the contract (issue 4), config schemas, packaging for the Pulumi CLI,
module boundaries, and the node agent data shared with the program."""

from __future__ import annotations

import ast
import importlib
from importlib import metadata

import jsonschema  # type: ignore[import-untyped, unused-ignore]  # no types-jsonschema pinned
import pytest
import yaml
from pulumi_policy import StackValidationPolicy

from tests.policies.helpers import DELETE, changed, run, stack_with
from tools.plan.policy_runner import POLICY_PACK_DIR, PolicyRunner, load_pack, load_policy_config

# The contract table of issue 4: name -> default level (stack-level ones marked).
CONTRACT = {
    "batch-account-user-subscription-mode": "mandatory",
    "batch-account-keyvault-reference": "mandatory",
    "batch-account-entra-auth-only": "advisory",
    "batch-account-public-network-access": "advisory",
    "batch-pool-gallery-image": "mandatory",
    "batch-pool-node-agent-sku": "mandatory",
    "batch-pool-simplified-communication": "mandatory",
    "batch-pool-resize-timeout": "advisory",
    "batch-pool-max-nodes": "mandatory",
    "batch-pool-disk-encryption": "advisory",
    "storage-account-standard-gpv2": "mandatory",
    "storage-account-https-only": "mandatory",
    "storage-account-min-tls": "mandatory",
    "storage-account-no-public-blob-access": "mandatory",
    "storage-account-shared-key-disabled": "advisory",
    "builder-vm-managed-os-disk": "advisory",
    "builder-vm-ssh-key-only": "mandatory",
    "builder-vm-no-public-ip": "mandatory",
    "builder-vm-no-extensions": "mandatory",
    "builder-vm-no-secrets-in-custom-data": "advisory",
    "vm-size-allowed": "mandatory",
    "keyvault-soft-delete-purge-protection": "mandatory",
    "keyvault-batch-access-policy": "mandatory",
    "image-resources-same-region": "mandatory",
    "gallery-replicas-cover-pools": "advisory",
}
# Added to the contract: a policy has one level, so the advisory end-of-life half of batch-pool-node-agent-sku
# is its own policy.
EXTRA = {"batch-pool-node-agent-end-of-life": "advisory"}
# Added for what an independent scanner (Checkov's ARM checks) flags on the program; advisory by default.
EXTRA.update(
    {
        "storage-account-network-rules": "advisory",
        "keyvault-network-acls": "advisory",
        "builder-vm-no-extension-operations": "advisory",
    }
)
# Added with image.securityType (issue "Day-2 image lifecycle"): a pool on a mismatched definition fails to create.
EXTRA["image-security-type-consistent"] = "mandatory"
# Added with issue 11 (pools as production runs them): private networking, and Batch's read access to the gallery.
EXTRA.update({"batch-pool-no-public-ip": "advisory", "gallery-batch-image-reader": "advisory"})
# Added with Windows builds (issue 12): a generated password and no RDP/WinRM way into a Windows builder.
EXTRA["builder-vm-windows-access"] = "mandatory"
# Added with issue 24 (what Checkov 3.3.30 still found on the rendered template): encryption at host on the builder.
EXTRA["builder-vm-encryption-at-host"] = "advisory"
# Added with issue 19 (the compatibility gate, support windows as data).
EXTRA.update(
    {
        "batch-pool-image-compatible": "mandatory",
        "batch-pool-vm-size-unchecked": "advisory",
        "batch-pool-support-window": "mandatory",
    }
)
STACK_POLICIES = {
    "builder-vm-no-extensions",
    "keyvault-batch-access-policy",
    "image-resources-same-region",
    "gallery-replicas-cover-pools",
    "batch-pool-node-agent-sku",  # the OS to match is on the gallery image definition, another resource
    "batch-pool-gallery-image",  # an image id unknown in preview: the resource it comes from (a managed image?)
    "image-security-type-consistent",  # builder VM, gallery image definition and pools: three resources
    "gallery-batch-image-reader",  # pools, their image versions, the gallery and role assignments
    "builder-vm-windows-access",  # the password's generator and the network security groups are other resources
    "batch-pool-image-compatible",  # the pool's size against its gallery image definition
    "batch-pool-support-window",  # the image's base is on its gallery image definition; builder VMs too
    "batch-pool-node-agent-end-of-life",  # the warning half of the row above
}
PACK = load_pack()
VMC = "deploymentConfiguration.virtualMachineConfiguration"


def test_names_and_levels_match_the_contract():
    assert {p.name: p.enforcement_level and p.enforcement_level.value for p in PACK.policies} == {**CONTRACT, **EXTRA}


def test_stack_policies_are_the_cross_resource_ones():
    assert {p.name for p in PACK.policies if isinstance(p, StackValidationPolicy)} == STACK_POLICIES


def test_analyzer_info_is_what_the_engine_reads():
    info = PolicyRunner().servicer.GetAnalyzerInfo(None, None)
    assert info.name == "batch-custom-image" and info.version == "0.1.0" and info.supportsConfig
    assert {p.name for p in info.policies} == set(CONTRACT) | set(EXTRA)
    assert all(p.description for p in info.policies)


@pytest.mark.parametrize("policy", [p for p in PACK.policies if p.config_schema], ids=lambda p: p.name)
def test_every_option_has_a_valid_default_and_description(policy):
    for key, schema in policy.config_schema.properties.items():
        assert "default" in schema and schema.get("description"), key
        jsonschema.validate(schema["default"], schema)


def test_pulumi_policy_yaml_runs_python_in_its_own_virtualenv():
    manifest = yaml.safe_load((POLICY_PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert manifest["version"] == PACK.version == "0.1.0"


def test_requirements_are_pinned_to_the_versions_tested_here():
    lines = [ln.strip() for ln in (POLICY_PACK_DIR / "requirements.txt").read_text().splitlines()]
    pins = dict(ln.split("==") for ln in lines if ln and not ln.startswith("#"))
    assert pins["pulumi"] == "3.272.0" and pins["pulumi-policy"] == "1.21.0"
    for name, version in pins.items():
        assert metadata.version(name) == version, name


def test_main_only_builds_the_pack_from_the_package():
    tree = ast.parse((POLICY_PACK_DIR / "__main__.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "PolicyPack"]
    assert len(calls) == 1
    assert {k.arg: getattr(k.value, "id", None) for k in calls[0].keywords}["policies"] == "ALL_POLICIES"
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"pulumi_policy", "batch_image_policies"}


def test_pack_imports_nothing_from_the_program_or_tools():
    paths = sorted((POLICY_PACK_DIR / "batch_image_policies").rglob("*.py"))
    assert any(p.parent.name == "rules" for p in paths)
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module)
            assert not any(n.split(".")[0] in ("components", "tools", "tests") for n in names), (path, names)


def test_node_agent_data_agrees_with_the_program_settings():
    from batch_image_policies._batch import NODE_AGENT_SKUS
    from batch_image_policies._support import node_agent_ends

    from components import settings

    assert settings.NODE_AGENT_SKUS == NODE_AGENT_SKUS
    assert node_agent_ends() == settings.NODE_AGENT_END_OF_LIFE


def test_the_capture_type_token_agrees_with_the_program():
    from batch_image_policies._tokens import CAPTURE

    from components.capture.resource import CAPTURE_TYPE

    assert CAPTURE == CAPTURE_TYPE


def test_windows_facts_agree_with_the_program():
    from batch_image_policies._tokens import RANDOM_PASSWORD
    from batch_image_policies._vm import WINDOWS_PUBLISHERS

    from components import settings
    from tools.plan.catalog import CATALOG

    assert RANDOM_PASSWORD in CATALOG  # the type the program registers for the Windows builder's password
    assert settings.WINDOWS_PUBLISHERS == WINDOWS_PUBLISHERS


def test_example_config_is_valid_and_tunes_the_pack(baseline):
    config = load_policy_config(POLICY_PACK_DIR / "config.example.json")
    pool = changed(baseline["pools-render"], f"{VMC}.diskEncryptionConfiguration", DELETE)  # disabled by the example
    pool = changed(pool, "scaleSettings.fixedScale.targetDedicatedNodes", 150)  # maxNodes 200
    pool = changed(pool, "scaleSettings.fixedScale.resizeTimeout", "PT20M")  # 20 min per 1,000
    stack = stack_with(baseline, pool)
    assert run(stack).for_policy("batch-pool-disk-encryption")
    assert run(stack).for_policy("batch-pool-max-nodes")
    assert run(stack, config).results == []
    vm = changed(baseline["builder-vm"], "hardwareProfile.vmSize", "Standard_M128s")
    vm = changed(vm, "storageProfile.osDisk.vhd", {"uri": "https://a.blob.core.windows.net/d.vhd"})
    stack = stack_with(stack, vm)
    levels = {(r.policy_name, r.level) for r in run(stack, config).results}
    assert levels == {("vm-size-allowed", "mandatory"), ("builder-vm-managed-os-disk", "mandatory")}


def test_readme_documents_the_pack():
    readme = (POLICY_PACK_DIR / "README.md").read_text()
    for fragment in ("--policy-pack policies", "--policy-pack-config", "enforcementLevel", "make plan"):
        assert fragment in readme
    for name in {**CONTRACT, **EXTRA}:
        assert f"`{name}`" in readme, name


def test_the_baseline_passes_every_policy(baseline):
    # The baseline each test changes one thing in: every policy ran on it and found nothing.
    report = run(baseline, {"vm-size-allowed": {"allowedVmSizes": ["Standard_D2ds_v5", "Standard_D4ds_v5"]}})
    assert report.results == [] and report.not_applicable == []


def test_each_policy_lives_in_the_rules_module_named_after_it():
    # Find a policy's file from its name: batch-pool-node-agent-sku is rules/batch_pool_node_agent_sku.py.
    for policy in PACK.policies:
        module = importlib.import_module(f"batch_image_policies.rules.{policy.name.replace('-', '_')}")
        assert module.policy is policy, policy.name
    modules = {p.stem for p in (POLICY_PACK_DIR / "batch_image_policies" / "rules").glob("[!_]*.py")}
    assert modules == {p.name.replace("-", "_") for p in PACK.policies}


def test_every_rule_module_declares_its_policy_the_same_way():
    # One shape for every declaration: resource_rule or stack_rule with every field, in one order (_policy.py).
    from batch_image_policies._policy import RuleFields

    orders = {}
    for path in sorted((POLICY_PACK_DIR / "batch_image_policies" / "rules").glob("[!_]*.py")):
        tree = ast.parse(path.read_text())
        [call] = [
            n.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            and [getattr(t, "id", "") for t in n.targets] == ["policy"]
            and isinstance(n.value, ast.Call)
        ]
        assert getattr(call.func, "id", "") in ("resource_rule", "stack_rule"), path.name
        assert not call.args, path.name
        orders[path.stem] = tuple(k.arg for k in call.keywords)
    assert len(set(orders.values())) == 1, orders
    assert set(next(iter(orders.values()))) == {*RuleFields.__annotations__, "check"}


def test_every_policy_says_how_to_fix_it_and_where_to_read_more():
    info = {p.name: p for p in PolicyRunner().servicer.GetAnalyzerInfo(None, None).policies}
    for policy in PACK.policies:
        served = info[policy.name]
        assert served.remediation_steps == policy.remediation_steps and len(served.remediation_steps) > 20, policy.name
        assert served.url.startswith("https://"), policy.name
        assert served.severity != 0 and list(served.tags), policy.name  # 0: unspecified


@pytest.mark.parametrize(
    ("name", "framework", "reference", "tag"),
    [
        ("storage-account-min-tls", "Checkov", "CKV_AZURE_44", "CKV_AZURE_44"),
        ("keyvault-soft-delete-purge-protection", "Checkov", "CKV_AZURE_42, CKV_AZURE_110", "azure-policy-0b60c0b2"),
        ("batch-pool-disk-encryption", "Azure Policy", "1760f9d4", "azure-policy-1760f9d4"),
    ],
)
def test_benchmark_citations_are_framework_and_tags(name, framework, reference, tag):
    served = next(p for p in PolicyRunner().servicer.GetAnalyzerInfo(None, None).policies if p.name == name)
    assert (served.framework.name, served.framework.reference) == (framework, reference)
    assert tag in served.tags


# Valid, invalid and edge-case ISO 8601 durations: the pack's copy of the parser must read each one as the program's
# settings do (the same minutes, or both reject it).
DURATIONS = [
    "PT15M", "PT1H", "PT1H30M", "P1D", "P1DT2H", "PT90S", "PT0S", "PT5M", "PT168H", "P0D", "PT1H0M0S",
    "", "P", "PT", "P1DT", "PT15", "15M", "PT-5M", "PT1.5M", "pt15m", " PT15M", "PT15M ", "PT1M1H", "P1W", "PT15m",
    "15 minutes", "P1Y", "PTM",
]  # fmt: skip


@pytest.mark.parametrize("value", DURATIONS)
def test_duration_parser_agrees_with_the_program_settings(value):
    from batch_image_policies._scale import duration_minutes

    from components import settings

    try:
        expected: float | None = settings.duration_minutes(value)
    except ValueError:
        expected = None
    assert duration_minutes(value) == expected
