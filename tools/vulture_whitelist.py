"""Names vulture (`vulture components tools policies __main__.py`, in `make lint`) cannot see used. Keep it short.

Vulture reads this file as code that uses the names below; nothing imports it. Each entry says who uses the name.
"""

# ruff: noqa: B018
# mypy: ignore-errors

from components import image_stack, pools, settings
from components.canary import run as canary_run
from components.canary.resource import GalleryLatest, ImageCanary
from components.capture import resource, spec
from components.common import loopback
from tools.plan import offline, policy_runner
from tools.preflight import report as preflight_report

# Framework hooks: pydantic calls validators (with `cls`) and reads model_config; Pulumi reads a dynamic provider's
# serialize_as_secret_always and calls its mocks' new_resource/call; azure-core calls a credential's get_token; the
# capture's inputs are read by name (spec.INPUT_KEYS).
_ = settings.Settings
_.cls
_.model_config
_._script_exists
_._ssh_key
_._version
_._vhd_uri
_._account_id
_._source_rules
_._os_defaults
_._nvme_for_v6_pools
_._sku
_._one_scale_mode
_._subnet
_._drain_timeout
_._guid
_._cross_checks
_._image_version
_._from_stack
_.serialize_as_secret_always
offline.AzureMocks.new_resource
offline.AzureMocks.call
loopback.LoopbackTestCredential.get_token
# The canary's outputs the program does not read (its providers return them; the plan's mocks answer them).
ImageCanary.node_minutes
ImageCanary.job_id
GalleryLatest.excluded
canary_run.Outcome.node_minutes  # the canary's outputs are Outcome's fields, through dataclasses.asdict
spec.CaptureSpec.retain_vhd_on_delete
resource.GeneralizedImageArgs.retain_vhd_on_delete
spec.CaptureSpec.image_content
resource.GeneralizedImageArgs.image_content
_.severity  # a key of the pack's RuleFields (policies/batch_image_policies/_policy.py), passed on as **fields

# Read by the tests, the fakes and the benches (outside the scanned folders).
offline.ProgramRun.one
policy_runner.PolicyResult.skipped_in_preview
policy_runner.PolicyReport.for_policy
_.copy_seconds  # fakes/copy_proxy.py CopyProxy, set by tools/bench/capture.py
_.shutdown_seconds  # fakes/arm_world.py ArmWorld, set by tools/bench/capture.py
offline.RecordingMonitor.make_urn  # called by the SDK's MockMonitor.RegisterResource (overridden)
pools.POOL_IN_PLACE  # tests/pool_drain/test_drain_program.py checks it and POOL_REPLACE_ON_CHANGES cover batch.Pool
image_stack.CONTRACT_OUTPUTS  # the image stack's output contract, checked by tests/program/test_image_stack.py
preflight_report.SCHEMA_PATH  # tools/preflight/preflight.schema.json, read by tests/preflight (--json follows it)

# The program's copy of the node agent end dates: tests/policies/test_pack.py keeps it equal to the pack's support
# windows (policies/batch_image_policies/data/support_windows.json).
settings.NODE_AGENT_END_OF_LIFE
