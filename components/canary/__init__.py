"""The canary: a new image version boots a one-node Batch pool and runs a check there before any production pool,
the stack output galleryImageVersionId or the gallery's `latest` moves to it (README "Rolling a pool to a new image").

- resource.py: the program side, `ImageCanary` and `GalleryLatest` (dynamic resources) and their args.
- provider.py: `CanaryProvider` (pickled by reference: its module path never moves).
- latest.py: `LatestProvider`, the one owner of the versions' excludeFromLatest while the canary is on.
- spec.py: the canary's inputs and how a change of each is handled; run.py: the canary sequence; batch.py: its Azure
  calls (ARM pool, data plane with a bounded wait on 403); environment.py, errors.py.
- checks.py: the node and task judgement `make smoke` (tools/smoke) shares; commands.py: the default command.
"""
