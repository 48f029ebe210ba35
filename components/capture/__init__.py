"""The capture step: generalize the builder VM and capture its OS disk (a Pulumi dynamic provider).

`provider.py` holds the provider (Azure SDKs and `pulumi.dynamic` only: it is pickled by reference into
the state and runs in the engine's dynamic-provider process); `resource.py` is the program-side resource.
This package's `__init__` imports nothing, so the provider process never loads Pulumi resource SDKs.
"""
