"""Grant an identity the built-in "Azure Batch Job Submitter" role on a Batch account.

Role id 48e5e92e-a480-4e71-aa9c-2778f4c13781, from Microsoft Learn, "Role-based access control for Azure Batch
service" (MicrosoftDocs/azure-docs, articles/batch/batch-role-based-access-control.md): it allows submitting and
managing jobs and job schedules (data actions Microsoft.Batch/batchAccounts/jobs/* and jobSchedules/*) and reading
pools, but not changing pools or the account.
"""

from __future__ import annotations

import re

import pulumi
from pulumi_azure_native import authorization

JOB_SUBMITTER_ROLE_ID = "48e5e92e-a480-4e71-aa9c-2778f4c13781"
SUBSCRIPTION_RE = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/", re.IGNORECASE)


def role_definition_id(batch_account_id: str) -> str:
    match = SUBSCRIPTION_RE.match(batch_account_id)
    if match is None:
        raise ValueError(f"'{batch_account_id}' is not an Azure resource id (/subscriptions/<id>/...)")
    return f"/subscriptions/{match['sub']}/providers/Microsoft.Authorization/roleDefinitions/{JOB_SUBMITTER_ROLE_ID}"


def grant_job_submitter(
    name: str, principal_id: pulumi.Input[str], batch_account_id: pulumi.Output[str]
) -> authorization.RoleAssignment:
    return authorization.RoleAssignment(
        name,
        principal_id=principal_id,
        # A new managed identity may not have replicated yet; the principal type lets ARM accept it anyway.
        principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
        role_definition_id=batch_account_id.apply(role_definition_id),
        scope=batch_account_id,
        description="Submit jobs to the custom-image Batch pools (batch-custom-image-consumer)",
    )
