"""A team's stack on top of batch-custom-image: an identity allowed to submit jobs to the custom-image pools."""

import pulumi
from job_submitter import grant_job_submitter
from producer_outputs import ProducerOutputs, check_stack_name
from pulumi_azure_native import batch, managedidentity

config = pulumi.Config()
producer_stack = check_stack_name("batch-custom-image-consumer:producerStack", config.require("producerStack"))
producer = ProducerOutputs.read(producer_stack)

identity = managedidentity.UserAssignedIdentity(
    "workload",
    resource_group_name=config.get("identityResourceGroup") or producer.resource_group_name,
    location=producer.location,
    tags={"purpose": "submit-batch-jobs"},
)
account = batch.get_batch_account_output(
    account_name=producer.batch_account_name, resource_group_name=producer.resource_group_name
)
assignment = grant_job_submitter("workload-job-submitter", identity.principal_id, account.id)

pulumi.export("producerStack", producer_stack)
pulumi.export("batchAccountEndpoint", pulumi.Output.concat("https://", producer.batch_account_endpoint))
pulumi.export("poolIds", producer.pool_ids)
pulumi.export("workloadIdentityClientId", identity.client_id)
pulumi.export("workloadIdentityId", identity.id)
pulumi.export("roleAssignmentId", assignment.id)
