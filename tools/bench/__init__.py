"""Benchmarks (`make bench-capture`, `make bench-plan`, `make bench-policies`): timings, not tests.

- `capture`: the capture provider's overhead against the shared fakes in fakes/ (fake ARM, Azurite);
- `plan`: wall time and peak memory of `python -m tools.plan` for the dev stack and generated larger stacks;
- `policies`: one full policy-pack run over the program's own records (tools.plan.offline.run_program).

They import tools, components and fakes/, never tests/.
"""
