"""Moved to tools/plan/policy_runner.py. This name stays importable for code outside tools/ that still uses it."""

from tools.plan.policy_runner import (
    LEVELS,
    POLICY_PACK_DIR,
    PolicyConfigError,
    PolicyPackInfo,
    PolicyReport,
    PolicyResult,
    PolicyRunner,
    Record,
    ResourceRecord,
    configure_request,
    format_report,
    load_pack,
    load_policy_config,
    main,
    run_policies,
)

__all__ = [
    "LEVELS",
    "POLICY_PACK_DIR",
    "PolicyConfigError",
    "PolicyPackInfo",
    "PolicyReport",
    "PolicyResult",
    "PolicyRunner",
    "Record",
    "ResourceRecord",
    "configure_request",
    "format_report",
    "load_pack",
    "load_policy_config",
    "main",
    "run_policies",
]

if __name__ == "__main__":
    raise SystemExit(main())
