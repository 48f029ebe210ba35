"""The capture step: generalize the builder VM and capture its OS disk (Pulumi dynamic providers).

Where to look:
- `spec.py`: the contract, declared once (every input and output, how a change of it is handled, its validation).
- `resource.py`: the program side (the capture resource and its clean-up resource).
- `provider.py`: the providers, pickled by reference into the state and run in the engine's dynamic-provider
  process; what they do on Ctrl-C, a crash, refresh, a replacement and destroy is in its docstring.
- `steps.py` + `export.py`: the create sequence as named, resumable steps, on `context.py` (the step context,
  `run_step`); `refresh.py` (read), `teardown.py`
  (delete), `leftovers.py` (what interrupted runs left), `interrupt.py` (noticing the engine's SIGINT).
- `compute.py`, `vhd_store.py` (the VHD blobs, and the guest's build-proof markers, components/common/proof.py),
  `serial_log.py` (a diagnostic in errors, never the proof): the injectable Azure calls; `environment.py`, `clients.py`,
  `cloud.py`: building them from the environment; `errors.py`, `arm_ids.py`.

The provider side imports Azure SDKs, `pulumi.dynamic` (and its `pulumi.runtime.rpc`), `components.common` and the
standard library only; this package's `__init__` imports nothing, so the provider process never loads Pulumi
resource SDKs (tests/capture/test_module_boundaries.py).
"""
