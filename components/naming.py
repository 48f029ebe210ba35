"""Names Azure wants globally (or regionally) unique, derived deterministically from the stack's identity.

Like Bicep's `uniqueString(subscription().id, ...)`: the same subscription, project and stack always give the same
names (so `pulumi up` is repeatable), and two stacks never collide.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable
from typing import cast

import pulumi


def unique_suffix(subscription_id: str, project: str, stack: str, length: int = 10) -> str:
    digest = hashlib.sha256(f"{subscription_id}/{project}/{stack}".lower().encode()).hexdigest()
    return digest[:length]


def _alnum(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def storage_account_name(suffix: str, stack: str) -> str:
    """3-24 lowercase letters and digits, globally unique."""
    return ("img" + _alnum(stack)[:11] + suffix)[:24]


def batch_account_name(suffix: str, stack: str) -> str:
    """3-24 lowercase letters and digits, unique in the region."""
    return ("batch" + _alnum(stack)[:9] + suffix)[:24]


def key_vault_name(suffix: str, stack: str) -> str:
    """3-24 letters, digits and hyphens, starting with a letter, globally unique (soft-deleted names stay taken)."""
    return ("kv-" + _alnum(stack)[:10] + "-" + suffix)[:24]


def gallery_name(suffix: str, stack: str) -> str:
    """Letters, digits, underscores and periods (no hyphens), unique in the subscription."""
    return f"gallery_{_alnum(stack)[:20]}_{suffix}"


def stack_names(subscription_id: pulumi.Input[str]) -> pulumi.Output[dict[str, str]]:
    """The unique names for this stack, once the subscription id is known."""
    stack, project = pulumi.get_stack(), pulumi.get_project()

    def build(sub: str) -> dict[str, str]:
        suffix = unique_suffix(sub, project, stack)
        return {
            "storage": storage_account_name(suffix, stack),
            "batch": batch_account_name(suffix, stack),
            "vault": key_vault_name(suffix, stack),
            "gallery": gallery_name(suffix, stack),
        }

    return pulumi.Output.from_input(subscription_id).apply(build)


def own_urn(name: str, type_: str, opts: pulumi.ResourceOptions | None) -> pulumi.Output[str]:
    """The URN the engine gives the resource registered with this name, type and parent, known before it is
    registered: a dynamic resource carries it as an input (components/common/progress.py URN_KEY, ignored by its
    diff) so that its provider can show progress on the resource's own row in `pulumi up`."""
    parent = opts.parent if opts is not None else None
    if parent is None:
        return pulumi.create_urn(name, type_)
    # The parent's URN without the parent as a dependency: the SDK refuses a child that depends on its own parent.
    urn = cast(Awaitable[str], parent.urn.future())
    detached: pulumi.Output[str] = pulumi.Output(set(), urn, parent.urn.is_known())
    return pulumi.create_urn(name, type_, parent=detached)
