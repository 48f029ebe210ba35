"""The offline plan (`make plan`, `python -m tools.plan`): what `pulumi up` would create, and does it pass policy?

- `cli`: the command line: `main` parses the flags and is the one place a `PlanError` (`errors`) becomes an exit
  code (tools/errors.py, shared with smoke); `plan` does the work;
- `report`: the plan as a JSON document (`build_plan`) and as text or markdown (`render`);
- `offline`: runs `__main__.py` under Azure-shaped Pulumi mocks and records every registered resource;
- `policy_runner`: runs the policy pack in policies/ through the analyzer interface the engine calls;
- `graph`: the dependency graph, its Mermaid/DOT rendering and the critical path of `pulumi up`;
- `deployed`: `--against` (the plan compared with a `pulumi stack export`), `--as-deployed` (the export `up` leaves);
- `catalog`: every resource type in one table (ARM path and name key, key properties, typical minutes + source);
- `program_pickle`: the dynamic providers as the program pickles them (for the capture and pool-drain tests);
- `plan.schema.json`: the JSON document `--json` writes.
"""
