"""Local stand-ins for Azure that tests and benchmarks share.

A fake ARM (HTTPS, long-running operations, faults), a fake Batch (`batch.py`: data plane and the management plane's
pool operations), Azurite (the storage emulator), a copy proxy that makes server-side copies take time, test PKI, and a
driver for the dynamic-provider server as the Pulumi engine runs it.
The Azure REST examples they shape their answers from are in `data/`.
"""
