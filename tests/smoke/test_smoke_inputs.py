"""Where `make smoke` gets its targets from (pulumi CLI, file, flags) and the errors for bad or missing input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.common.loopback import LoopbackTestCredential
from fakes.batch import FakeBatchServer, FakeNode, FakePool, Scenario
from tests.smoke.conftest import FAST, RunSmoke, stack_outputs
from tools.smoke import cli
from tools.smoke.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]


def one_pool() -> Scenario:
    return Scenario(pools=[FakePool("render", [FakeNode("tvm-1", ["starting", "idle"])])])


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("pools", "stack output 'pools' is missing or empty in"),
        ("batchAccountEndpoint", "stack output 'batchAccountEndpoint' is missing or empty in"),
        ("galleryImageVersionId", "stack output 'galleryImageVersionId' is missing or empty in"),
    ],
)
def test_missing_output_is_named(run_smoke: RunSmoke, drop: str, message: str) -> None:
    outputs = stack_outputs(one_pool())
    del outputs[drop]
    run = run_smoke(one_pool(), outputs=outputs)
    assert run.code == ExitCode.BAD_INPUT
    assert message in run.err and "run `pulumi up` for the stack first" in run.err
    assert run.fake.requests == []


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("pools.render.poolName", DELETE, "stack output pools.render.poolName is missing or empty (got None)"),
        (
            "batchAccountEndpoint",
            "[secret]",
            "stack output 'batchAccountEndpoint' is a secret; smoke needs it in plain text",
        ),
        (
            "galleryImageVersionId",
            "/subscriptions/0/galleries/g/images/app/versions/latest",
            "galleryImageVersionId='latest' is not an image version; expected MAJOR.MINOR.PATCH",
        ),
    ],
    ids=["pool-entry-without-pool-name", "secret-output", "malformed-gallery-version-id"],
)
def test_a_bad_output_is_refused_with_what_is_wrong(run_smoke: RunSmoke, path: str, value: Any, message: str) -> None:
    outputs = stack_outputs(one_pool())
    *parents, last = path.split(".")
    node = outputs
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    run = run_smoke(one_pool(), outputs=outputs)
    assert run.code == ExitCode.BAD_INPUT
    assert message in run.err


def test_image_version_flag_overrides_the_stack(run_smoke: RunSmoke) -> None:
    scenario = Scenario(pools=[FakePool("render", [FakeNode("tvm-1", ["idle"])], marker="2.0.0\n")])
    run = run_smoke(scenario, "--image-version", "2.0.0")
    assert run.code == ExitCode.OK, run.err
    assert "image version 2.0.0" in run.out


def test_flags_alone_are_enough(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeBatchServer(one_pool(), tmp_path) as server:
        code = cli.main(
            ["--endpoint", "batchacct.westeurope.batch.azure.com", "--image-version", "1.0.0", "--pool", "render",
             "--node-agent-sku-id", "batch.node.ubuntu 24.04", "--endpoint-url", server.url,
             "--ca-bundle", str(server.ca_file), "--credential", "loopback", *FAST]
        )  # fmt: skip
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "pools render" in out and "(flags)" in out


def test_pool_flag_needs_a_node_agent_sku(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["--endpoint", "a.b.batch.azure.com", "--image-version", "1.0.0", "--pool", "render"])
    assert code == ExitCode.BAD_INPUT
    assert "--pool needs --node-agent-sku-id" in capsys.readouterr().err


def test_no_source_at_all_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == ExitCode.BAD_INPUT
    assert (
        "give --stack STACK, --outputs FILE, or all of --endpoint, --image-version, --pool" in capsys.readouterr().err
    )


def test_bad_number_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--stack", "dev", "--timeout", "soon"])
    assert exited.value.code == 2
    assert "--timeout: 'soon' is not a positive number of seconds" in capsys.readouterr().err


def test_loopback_credential_refuses_a_real_endpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(stack_outputs(one_pool())))
    code = cli.main(["--outputs", str(outputs), "--credential", "loopback"])
    assert code == ExitCode.BAD_INPUT
    assert (
        "credential 'loopback' is for local test fakes only; endpoint "
        "'https://batchacct.westeurope.batch.azure.com' is not a loopback address"
    ) in capsys.readouterr().err


def fake_pulumi(bin_dir: Path, outputs: dict[str, Any] | None, log: Path) -> None:
    """A `pulumi` on PATH that records its arguments and prints the outputs (or fails like a missing stack)."""
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    body = (
        f"print({json.dumps(json.dumps(outputs))})"
        if outputs is not None
        else ("sys.stderr.write(\"error: no stack named 'dev' found\\n\"); sys.exit(255)")
    )
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"open({str(log)!r}, 'w').write(json.dumps([os.getcwd(), *sys.argv[1:]]))\n{body}\n"
    )
    script.chmod(0o755)


def test_reads_outputs_from_pulumi_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "argv.json"
    fake_pulumi(tmp_path / "bin", stack_outputs(one_pool()), log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with FakeBatchServer(one_pool(), tmp_path) as server:
        code = cli.main(
            ["--stack", "dev", "--endpoint-url", server.url, "--ca-bundle", str(server.ca_file),
             "--credential", "loopback", *FAST]
        )  # fmt: skip
    assert code == ExitCode.OK, capsys.readouterr().err
    assert json.loads(log.read_text()) == [
        str(ROOT),
        "stack",
        "output",
        "--json",
        "--show-secrets=false",
        "--stack",
        "dev",
    ]  # fmt: skip  (run in the project directory, where Pulumi.yaml is)
    assert "(stack 'dev')" in capsys.readouterr().out


def test_pulumi_failure_is_passed_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(tmp_path / "bin", None, tmp_path / "argv.json")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert cli.main(["--stack", "dev"]) == ExitCode.BAD_INPUT
    assert "`pulumi stack output --stack dev` failed: error: no stack named 'dev' found" in capsys.readouterr().err


def test_missing_pulumi_cli_suggests_the_alternatives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert cli.main(["--stack", "dev"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "the Pulumi CLI (`pulumi`) is not on PATH" in err and "--outputs FILE" in err


def test_command_line_with_environment_overrides(tmp_path: Path) -> None:
    """`python -m tools.smoke` as `make smoke` runs it; endpoint, CA and credential come from the environment."""
    scenario = one_pool()
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(stack_outputs(scenario)))
    with FakeBatchServer(scenario, tmp_path) as server:
        env = {
            **os.environ,
            "BATCH_SMOKE_ENDPOINT_URL": server.url,
            "BATCH_SMOKE_CA_BUNDLE": str(server.ca_file),
            "BATCH_SMOKE_CREDENTIAL": "loopback",
        }
        done = subprocess.run(
            [sys.executable, "-m", "tools.smoke", "--outputs", str(outputs), *FAST],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "smoke test passed" in done.stdout
    assert len(server.fake.calls("DELETE", "/jobs/")) == 1


def test_help_lists_the_exit_codes() -> None:
    """Every code of the tools' table but the plan's own (a mandatory policy violation)."""
    help_text = cli.build_parser().format_help()
    for code in ExitCode:
        listed = f"\n  {code.value} {code.name.lower()}\n" in help_text
        assert listed == (code is not ExitCode.MANDATORY_VIOLATION), code


class NoCredential:
    """What DefaultAzureCredential does on a machine without `az login` or a managed identity."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.identity import CredentialUnavailableError

        raise CredentialUnavailableError(message="DefaultAzureCredential failed to retrieve a token")


def _smoke_with(credential: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, FakeBatchServer]:
    """`make smoke` on one pool against the fake Batch endpoint, signing in with `credential`."""
    monkeypatch.setattr("tools.smoke.client.make_credential", lambda kind, url: credential)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(stack_outputs(one_pool())))
    with FakeBatchServer(one_pool(), tmp_path) as server:
        code = cli.main(["--outputs", str(outputs), "--endpoint-url", server.url, "--ca-bundle", str(server.ca_file)])
    return code, server


def test_no_azure_login_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, server = _smoke_with(NoCredential(), tmp_path, monkeypatch)
    assert code == ExitCode.BATCH_ERROR
    err = capsys.readouterr().err
    assert "could not authenticate to Batch: DefaultAzureCredential failed to retrieve a token" in err
    assert "run `az login`" in err
    assert server.fake.requests == []


class WrongAudience:
    """The shared loopback test credential, asked for another service's token (ARM's, as the capture provider does)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return LoopbackTestCredential().get_token("https://management.azure.com/.default")


def test_the_fake_refuses_a_token_for_another_audience(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, server = _smoke_with(WrongAudience(), tmp_path, monkeypatch)
    assert code == ExitCode.BATCH_ERROR
    assert "could not authenticate to Batch: (AuthenticationFailed)" in capsys.readouterr().err
    assert server.fake.requests  # the token reached the fake, which refused it
