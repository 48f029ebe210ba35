"""Small facts and helpers shared across process boundaries: standard library and Azure SDKs only.

The capture provider (run in the dynamic-provider process), the program and the tools all import these, so they must
stay free of Pulumi resource SDKs and of other components (tests/capture/test_module_boundaries.py checks it).
"""
