"""All the capture fakes together: test PKI, Azurite, the async-copy proxy in front of it, and the fake ARM."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fakes.arm_server import FakeArm
from fakes.azurite import Azurite, start_azurite
from fakes.copy_proxy import CopyProxy
from fakes.tls import TestPki, make_pki


@dataclass
class Fakes:
    pki: TestPki
    azurite: Azurite
    proxy: CopyProxy
    arm: FakeArm

    def provider_env(self, **overrides: str) -> dict[str, str]:
        """The documented BCI_ variables that point the provider at these fakes (and keep tests fast)."""
        env = {
            "BCI_ARM_ENDPOINT": self.arm.base_url,
            "BCI_BLOB_ENDPOINT": self.proxy.account_url + "/",
            "BCI_CA_BUNDLE": str(self.pki.ca_pem),
            "BCI_FAKE_CREDENTIAL": "1",
            "BCI_POLL_SECONDS": "0.05",
            "BCI_RETRY_BACKOFF_SECONDS": "0.02",
            "BCI_OPERATION_TIMEOUT_MINUTES": "1",
        }
        return {**env, **overrides}

    def stop(self) -> None:
        self.arm.stop()
        self.proxy.stop()
        self.azurite.stop()


def fakes_fixture(scope: Literal["session", "module"], folder: str) -> Any:
    """A pytest fixture giving the fakes for the session or module, stopped at its end (`fakes = fakes_fixture(...)`
    in a conftest or test module)."""
    import pytest

    @pytest.fixture(scope=scope)
    def fakes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fakes]:
        started = start_fakes(tmp_path_factory.mktemp(folder))
        try:
            yield started
        finally:
            started.stop()

    return fakes


def start_fakes(root: Path) -> Fakes:
    pki = make_pki(root / "pki")
    azurite = start_azurite(pki, root / "azurite")
    try:
        return Fakes(pki, azurite, CopyProxy(pki, azurite), FakeArm(pki, azurite))
    except BaseException:
        azurite.stop()
        raise
