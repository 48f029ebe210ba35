"""The canary provider's errors: each message says what is left and how to go on (no SDK traceback behind it).

A canary that FAILS is not an error of the provider: create succeeds with `passed` false and the one message in
`failure` (the program raises it). These are for what stops the provider itself."""

from __future__ import annotations


class CanaryError(RuntimeError):
    """The canary could not be run or cleaned up (rights, bad inputs, Azure refusing a call)."""


class CanaryInterrupted(CanaryError):
    """The engine stopped the provider (SIGINT) while the canary waited."""


class CanarySetupError(CanaryError):
    """A BCI_* variable is set to something the canary cannot use."""
