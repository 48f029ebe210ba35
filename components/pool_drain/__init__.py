"""The drain of a replaced Batch pool: a Pulumi dynamic resource beside each pool whose `delete` empties the pool
before deleting it (README "Rolling a pool to a new image").

Where to look:
- `spec.py`: the contract (inputs, how a change of each is handled, validation, the metadata the drain writes).
- `resource.py`: the program side (the `PoolDrain` resource).
- `provider.py`: the provider, pickled by reference into the state and run in the engine's dynamic-provider process.
- `drain.py`: the drain sequence (autoscale off, resize to zero with TaskCompletion, wait, delete); `batch.py`: the
  injectable Batch management-plane (ARM) calls; `environment.py`: the ARM endpoint and credential from the
  environment; `errors.py`: the drain's errors.

The provider side imports Azure SDKs, `pulumi.dynamic`, `components.common` and the standard library only; this
package's `__init__` imports nothing (tests/capture/test_module_boundaries.py).
"""
