"""The capture step: generalize the builder VM and capture its OS disk (a Pulumi dynamic provider).

`resource.py` is the program side (the dynamic resource and its input/output contract). `provider.py` is the
provider, pickled by reference into the state and run in the engine's dynamic-provider process; it is a thin layer
over named, resumable steps (`steps.py`) with injectable cloud calls (`compute.py`, `vhd_store.py`), built from the
environment (`environment.py`, `clients.py`, `cloud.py`). The provider side imports Azure SDKs, `pulumi.dynamic` and
the standard library only; this package's `__init__` imports nothing, so the provider process never loads Pulumi
resource SDKs.
"""
