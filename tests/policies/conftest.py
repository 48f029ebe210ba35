"""Fixtures for the policy pack tests."""

from __future__ import annotations

import pytest

from tests.policies.stack import Res, dev_stack


@pytest.fixture
def stack() -> dict[str, Res]:
    return dev_stack()
