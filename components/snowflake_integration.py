"""SnowflakeIntegration: the storage integration and the IAM role it assumes, trusted both ways
in one stack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random
import pulumi_snowflake as snowflake
import pulumiverse_time as time

from components.grants import grant_integration_usage
from lib import iam

# IAM is eventually consistent: a stage created seconds after the role's trust and policy can
# fail with "Error assuming AWS_ROLE". Peer tools wait about 10 s; twice that costs little once.
IAM_PROPAGATION_DELAY = "20s"


@dataclass
class SnowflakeIntegrationArgs:
    integration_name: str
    role_name: str
    bucket_name: pulumi.Input[str]
    log_prefix: str
    kms_key_arn: str | None
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    owner_role: str
    """The role that owns the Snowflake objects using the integration; it gets USAGE on it."""
    admin_role: str
    admin_provider: snowflake.Provider
    """Creating an integration needs ACCOUNTADMIN (or CREATE INTEGRATION): a provider with the
    admin role is used for the integration and its grant only."""


def first_iam_user_arn(
    describe_outputs: Sequence[snowflake.outputs.StorageIntegrationAwsDescribeOutput],
) -> str:
    """The ARN is not a top-level output of the resource: it is in `DESC INTEGRATION`'s output."""
    return str(describe_outputs[0].iam_user_arn)


class SnowflakeIntegration(pulumi.ComponentResource):
    integration: snowflake.StorageIntegrationAws
    integration_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    iam_user_arn: pulumi.Output[str]
    external_id: pulumi.Output[str]
    ready: list[pulumi.Resource]
    """What a stage must wait for: IAM propagated and USAGE granted."""

    def __init__(
        self,
        name: str,
        args: SnowflakeIntegrationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:SnowflakeIntegration", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        admin = pulumi.ResourceOptions(parent=self, provider=args.admin_provider)

        # Our own external ID: an integration created or replaced without one gets a new ID from
        # Snowflake and the role's trust silently stops matching. Stable across replacements.
        external_id = random.RandomPassword(
            f"{name}-external-id", length=32, special=False, opts=child
        )
        self.external_id = external_id.result

        self.role_arn = pulumi.Output.all(args.partition, args.account_id).apply(
            lambda v: iam.role_arn(v[0], v[1], args.role_name)
        )
        integration = snowflake.StorageIntegrationAws(
            f"{name}-integration",
            name=args.integration_name,
            enabled=True,
            storage_provider=pulumi.Output.from_input(args.partition).apply(iam.storage_provider),
            storage_aws_role_arn=self.role_arn,
            storage_aws_external_id=self.external_id,
            storage_allowed_locations=[
                pulumi.Output.from_input(args.bucket_name).apply(
                    lambda bucket: iam.s3_location(bucket, args.log_prefix)
                )
            ],
            comment="CloudTrail logs for cloudtrail-snowflake",
            opts=admin,
        )
        self.integration = integration
        self.integration_name = integration.name
        self.iam_user_arn = integration.describe_outputs.apply(first_iam_user_arn)

        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="Assumed by Snowflake's storage integration to read CloudTrail logs",
            assume_role_policy=pulumi.Output.json_dumps(
                pulumi.Output.all(self.iam_user_arn, self.external_id).apply(
                    lambda v: iam.snowflake_trust_policy(
                        v[0], v[1], sid="SnowflakeStorageIntegration"
                    )
                )
            ),
            opts=child,
        )
        read_policy = aws.iam.RolePolicy(
            f"{name}-read",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(args.partition, args.bucket_name).apply(
                    lambda v: iam.snowflake_read_policy(
                        partition=v[0],
                        bucket=v[1],
                        log_prefix=args.log_prefix,
                        kms_key_arn=args.kms_key_arn,
                    )
                )
            ),
            opts=child,
        )
        propagation = time.Sleep(
            f"{name}-iam-propagation",
            create_duration=IAM_PROPAGATION_DELAY,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role, read_policy]),
        )
        self.ready = [propagation]

        # The admin role owns the integration; the role that owns the stage needs USAGE on it.
        if args.owner_role != args.admin_role:
            self.ready.append(
                grant_integration_usage(f"{name}-usage", integration, args.owner_role, admin)
            )

        self.register_outputs(
            {
                "integration_name": self.integration_name,
                "role_arn": self.role_arn,
                "iam_user_arn": self.iam_user_arn,
                "external_id": self.external_id,
            }
        )
