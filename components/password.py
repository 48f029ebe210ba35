"""A generated password kept in the stack's state as a secret: the Windows builder's admin password.

Stopgap for `pulumi_random.RandomPassword`, which is not installed here: a small dynamic resource that draws the
password once, at create, from the operating system's CSPRNG (`secrets`), and keeps it as the secret output
`result` (`additional_secret_outputs`), so the state holds it encrypted and every later `pulumi up` reuses it. Its
only input is the length; the password never passes through an input, a log or the capture step.
Swapping in `pulumi_random.RandomPassword(name, length=..., special=True, override_special=SPECIALS)` needs only
`result` read the same way.
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any

import pulumi
import pulumi.dynamic

# Special characters with no meaning in XML (the password goes into the AutoLogon unattend content) or in cmd.
SPECIALS = "!#%*+-=?@^_~"
CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, SPECIALS)
# Azure's rule for Windows admin passwords: 12 to 123 characters, 3 of 4 character classes (all 4 here).
MIN_LENGTH, MAX_LENGTH = 12, 123


def generate(length: int) -> str:
    """A password of `length` characters with at least one character of each class, uniformly shuffled."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"password length {length}: allowed {MIN_LENGTH} to {MAX_LENGTH} (Azure's Windows rule)")
    alphabet = "".join(CLASSES)
    chars = [secrets.choice(c) for c in CLASSES] + [secrets.choice(alphabet) for _ in range(length - len(CLASSES))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class _PasswordProvider(pulumi.dynamic.ResourceProvider):
    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        length = int(props["length"])
        return pulumi.dynamic.CreateResult(uuid.uuid4().hex, {"length": length, "result": generate(length)})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = int(olds.get("length", 0)) != int(news["length"])
        return pulumi.dynamic.DiffResult(
            changes=changed, replaces=["length"] if changed else [], delete_before_replace=False
        )


class GeneratedPassword(pulumi.dynamic.Resource, module="password", name="GeneratedPassword"):
    """`result`: the password, a secret Output. Replaced (a new password) only when `length` changes."""

    result: pulumi.Output[str]

    def __init__(self, name: str, length: int = 32, opts: pulumi.ResourceOptions | None = None):
        secret = pulumi.ResourceOptions(additional_secret_outputs=["result"])
        super().__init__(
            _PasswordProvider(), name, {"length": length, "result": None}, pulumi.ResourceOptions.merge(opts, secret)
        )


# The type token the engine, the policy pack and the offline plan see (the pack keeps its own copy, tested to agree).
PASSWORD_TYPE = "pulumi-python:dynamic/password:GeneratedPassword"
