"""The pool drain's errors: each message says what is left and how to go on (no SDK traceback behind it)."""

from __future__ import annotations


class DrainError(RuntimeError):
    """The drain could not finish: the message says what is left and how to go on."""


class DrainInterrupted(DrainError):
    """The engine stopped the provider while the drain waited."""
