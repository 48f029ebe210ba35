"""The post-deploy smoke test (`make smoke`, `python -m tools.smoke`): do the deployed Batch pools boot the image?

- `cli`: the command line, and the one place a failure becomes an exit code;
- `errors`: the exit codes and `SmokeError`, the one error every step raises;
- `outputs`: what to check, from the stack outputs, a JSON file or flags;
- `client`: the Batch data-plane client (endpoint, TLS trust, credential);
- `sku`: is each pool's node agent SKU supported and not past end of life?
- `wait`: wait until every pool is ready, with a progress display;
- `marker`: one job per pool whose task compares /opt/batch-image/VERSION with the deployed image version.

It talks to the Batch data plane only. It shares the loopback check and the unsigned test credential with the
capture provider through components/common/loopback.py, never through the provider itself.
"""
