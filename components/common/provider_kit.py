"""One kit for the project's dynamic providers (the capture, its clean-up, the VHD retention and the pool drain).

A provider's contract is a frozen dataclass whose fields are its inputs, each declared with `input_field`: what it
means (`doc`), how a change of it is handled (`change`) and the one sentence of what is allowed (`rule`). From that
one declaration come the keys the program sends (`input_keys`), `check` (`input_failures`), `diff` (`keys_for`,
`changed_inputs`) and what `create`/`update` record (`recorded`). The wire names are the field names: a deployed
stack holds them, so a field is never renamed.

Inputs every diff ignores (`DIFF_IGNORED`): the resource's own URN for progress lines (components/common/progress.py),
and the engine's `__provider` reference.

Imports `pulumi.dynamic` and `pulumi.runtime.rpc` only (both loaded by the dynamic-provider server anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, field, fields
from typing import Any, Literal

from pulumi.dynamic import CheckFailure, DiffResult
from pulumi.runtime.rpc import UNKNOWN

from components.common.progress import URN_KEY

# How a changed input is handled: a replacement, an in-place update (recorded; for the capture, state only), or
# nothing at all.
Change = Literal["replace", "state", "ignore"]
Rule = Callable[[Any, Mapping[str, Any]], str | None]

# Inputs no diff looks at: the progress URN (computed by the program from the resource's name) and the provider ref.
DIFF_IGNORED = ("__provider", URN_KEY)


def is_unknown(value: Any) -> bool:
    """A value not known yet: the wire sentinel, or the `pulumi.output.Unknown` the servicer decodes it to."""
    kind = type(value)
    return (isinstance(value, str) and value == UNKNOWN) or (
        kind.__name__ == "Unknown" and kind.__module__ == "pulumi.output"
    )


def input_field(doc: str, change: Change, rule: Rule, default: Any = MISSING) -> Any:
    """One input of a provider's contract (a dataclass field whose metadata says what it is and how it is judged)."""
    return field(default=default, metadata={"doc": doc, "change": change, "rule": rule})


def input_keys(spec: type) -> tuple[str, ...]:
    """The input names, in declaration order: the props the program sends and the provider records."""
    return tuple(f.name for f in fields(spec))


def keys_for(spec: type, change: Change) -> tuple[str, ...]:
    return tuple(f.name for f in fields(spec) if f.metadata["change"] == change)


def input_failures(spec: type, props: Mapping[str, Any], show_value: bool = True) -> list[CheckFailure]:
    """One failure per bad input, in declaration order; values unknown during preview are not judged.

    `show_value` adds "(got <value>)" to the rule's sentence; a contract whose rules name the value says False.
    """
    failures = []
    for spec_field in fields(spec):
        value = props.get(spec_field.name)
        if is_unknown(value):
            continue
        reason = spec_field.metadata["rule"](value, props)
        if reason:
            failures.append(CheckFailure(spec_field.name, f"{reason} (got {value!r})" if show_value else reason))
    return failures


def non_empty(value: Any) -> str | None:
    """The rule of a required string input."""
    return None if isinstance(value, str) and value.strip() else f"must be a non-empty string, got {value!r}"


def account_endpoint_rule(value: Any, _: Mapping[str, Any]) -> str | None:
    """A Batch account endpoint: the host name `accountEndpoint` gives, never a URL."""
    if non_empty(value):
        return non_empty(value)
    if "://" in value or "/" in value:
        return f"{value!r} must be a host name like acct.westeurope.batch.azure.com"
    return None


def replacing_diff(
    olds: Mapping[str, Any], news: Mapping[str, Any], spec: type, also_replace: Sequence[str] = ()
) -> DiffResult:
    """The engine's diff of a spec's inputs: its "replace" inputs that changed (and `also_replace`) replace the
    resource, created before the old one is deleted; any other change is an update."""
    changed = changed_inputs(olds, news, input_keys(spec))
    replaces = [k for k in keys_for(spec, "replace") if k in changed] + list(also_replace)
    return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)


def failure_text(failures: Sequence[CheckFailure]) -> str:
    """`key: reason; key: reason`, for the error a method raises on inputs `check` would have refused."""
    return "; ".join(f"{f.property}: {f.reason}" for f in failures)


def changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """The keys whose new value differs from the recorded one, or is not known yet."""
    return [key for key in keys if is_unknown(news.get(key)) or olds.get(key) != news.get(key)]


def recorded(props: Mapping[str, Any], keys: Sequence[str], absent_as_none: bool = False) -> dict[str, Any]:
    """What `create`/`update` write back as the resource's inputs: `keys` and the progress URN, when present.

    `absent_as_none` writes a key the props lack as None (the VHD retention's records always did).
    """
    own = {key: props.get(key) for key in keys if absent_as_none or key in props}
    return {**own, **({URN_KEY: props[URN_KEY]} if URN_KEY in props else {})}


@contextmanager
def closing(credential: Any) -> Iterator[Any]:
    """The credential, closed when the block ends (azure-identity credentials hold a transport; fakes may not)."""
    try:
        yield credential
    finally:
        close = getattr(credential, "close", None)
        if close:
            close()
