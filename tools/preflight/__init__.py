"""`make preflight STACK=...`: read-only checks of the real subscription before the first `pulumi up`."""
