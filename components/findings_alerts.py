"""FindingsAlerts: a Snowflake alert that tells people when new findings land in FINDINGS, by email
(an email notification integration) and/or through an SNS topic that Snowflake publishes to with
a role trusted both ways in one stack, like the storage integration's."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_snowflake as snowflake

from components.grants import grant_integration_usage
from components.location import SnowflakeLocation
from lib import alerts, iam
from lib.schema import FINDINGS_ALERT

# The AWS managed key: encrypted at rest with no key to manage, and its key policy lets the
# account's principals use it through SNS, so the publishing role needs no KMS permission (see
# alerts.sns_publish_policy). Subscribers that are AWS services (EventBridge, CloudWatch) could
# not publish to such a topic, but only Snowflake publishes here.
SNS_KMS_KEY = "alias/aws/sns"

Integration = snowflake.EmailNotificationIntegration | snowflake.NotificationIntegration


@dataclass
class FindingsAlertsArgs:
    location: SnowflakeLocation
    findings_table: str
    """Fully qualified name of the FINDINGS table the alert watches."""
    warehouse: str
    interval_minutes: int
    """How often the alert checks for new findings (1-1439)."""
    emails: list[str]
    """Recipients of the email notification; [] = no email. Each must be the verified email
    address of a user of the Snowflake account (Snowflake refuses any other)."""
    sns: bool
    """Create an SNS topic and publish each notification to it."""
    name_prefix: str
    """Prefix of the AWS names (topic, role), e.g. cloudtrail-snowflake-dev."""
    integration_prefix: str
    """Prefix of the Snowflake integration names, e.g. CLOUDTRAIL_DEV."""
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: pulumi.Input[str]
    owner_role: str
    """The role that owns the alert (the component's default Snowflake provider)."""
    admin_role: str
    admin_provider: snowflake.Provider
    """Integrations and their grants need ACCOUNTADMIN (or CREATE INTEGRATION and MANAGE GRANTS): a
    provider with the admin role is used for those only."""
    findings: pulumi.Resource
    """The FINDINGS table itself, which the alert must follow."""
    alert_grants: list[pulumi.Resource]
    """What the alert must wait for to run as its owner (AccountGrants.alerts)."""


class FindingsAlerts(pulumi.ComponentResource):
    alert_name: str
    email_integration_name: str | None
    sns_integration_name: str | None
    topic_arn: pulumi.Output[str] | None
    role_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: FindingsAlertsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:FindingsAlerts", name, None, opts)
        # Names and SQL first: a bad interval or name fails before any resource is declared.
        self.email_integration_name = (
            alerts.email_integration_name(args.integration_prefix) if args.emails else None
        )
        self.sns_integration_name = (
            alerts.sns_integration_name(args.integration_prefix) if args.sns else None
        )
        condition = alerts.alert_condition(args.findings_table, args.interval_minutes)
        action = alerts.alert_action(
            args.findings_table,
            email_integration=self.email_integration_name,
            recipients=args.emails,
            sns_integration=self.sns_integration_name,
        )
        child = pulumi.ResourceOptions(parent=self)
        admin = pulumi.ResourceOptions(parent=self, provider=args.admin_provider)
        # What the alert must wait for: the integrations it sends through, the grants that let
        # its owner use them, and (for SNS) the role Snowflake assumes to publish.
        ready: list[pulumi.Resource] = []
        integrations: list[tuple[str, Integration]] = []

        if self.email_integration_name is not None:
            email = snowflake.EmailNotificationIntegration(
                f"{name}-email",
                name=self.email_integration_name,
                enabled=True,
                allowed_recipients=args.emails,
                comment="New CloudTrail findings, by email (cloudtrail-snowflake)",
                opts=admin,
            )
            integrations.append(("email", email))

        self.topic_arn = None
        self.role_arn = None
        if self.sns_integration_name is not None:
            topic_name = alerts.topic_name(args.name_prefix)
            topic = aws.sns.Topic(
                f"{name}-topic",
                name=topic_name,
                # A standard topic: Snowflake's SNS notifications to a FIFO topic fail silently.
                fifo_topic=False,
                kms_master_key_id=SNS_KMS_KEY,
                # The region the ARN below names.
                region=args.region,
                opts=child,
            )
            self.topic_arn = pulumi.Output.all(args.partition, args.region, args.account_id).apply(
                lambda v: alerts.topic_arn(v[0], v[1], v[2], topic_name)
            )
            # Known before the role exists: the integration names the role, the role's trust
            # names the integration's IAM user and external ID, which breaks the cycle.
            role_name = f"{args.name_prefix}-sns"
            self.role_arn = pulumi.Output.all(args.partition, args.account_id).apply(
                lambda v: iam.role_arn(v[0], v[1], role_name)
            )
            notification = snowflake.NotificationIntegration(
                f"{name}-sns",
                name=self.sns_integration_name,
                enabled=True,
                notification_provider="AWS_SNS",
                # No `direction`: the provider deprecates it and sets OUTBOUND itself for AWS_SNS.
                aws_sns_topic_arn=self.topic_arn,
                aws_sns_role_arn=self.role_arn,
                comment="New CloudTrail findings, to SNS (cloudtrail-snowflake)",
                opts=pulumi.ResourceOptions.merge(
                    admin, pulumi.ResourceOptions(depends_on=[topic])
                ),
            )
            integrations.append(("sns", notification))

            # Snowflake generates the external ID of a notification integration (it cannot be
            # set), and a replaced integration gets a new one: the trust follows the outputs, so
            # the same `up` that replaces the integration updates the role.
            role = aws.iam.Role(
                f"{name}-sns-role",
                name=role_name,
                description="Assumed by Snowflake's notification integration to publish findings",
                assume_role_policy=pulumi.Output.json_dumps(
                    pulumi.Output.all(
                        notification.aws_sns_iam_user_arn, notification.aws_sns_external_id
                    ).apply(
                        lambda v: iam.snowflake_trust_policy(
                            v[0], v[1], sid="SnowflakeNotificationIntegration"
                        )
                    )
                ),
                opts=child,
            )
            publish = aws.iam.RolePolicy(
                f"{name}-sns-publish",
                role=role.id,
                policy=pulumi.Output.json_dumps(self.topic_arn.apply(alerts.sns_publish_policy)),
                opts=child,
            )
            # No propagation delay as for the stage: nothing assumes the role until the alert's
            # first send, at least one interval after it is resumed, and Snowflake queues each
            # notification and retries a failed delivery (INFORMATION_SCHEMA.NOTIFICATION_HISTORY).
            ready += [role, publish]

        ready += [integration for _, integration in integrations]
        if args.owner_role != args.admin_role:
            for suffix, integration in integrations:
                ready.append(
                    grant_integration_usage(
                        f"{name}-{suffix}-usage", integration, args.owner_role, admin
                    )
                )

        location = args.location
        self.alert_name = location.qualified(FINDINGS_ALERT)
        snowflake.Alert(
            f"{name}-alert",
            database=location.database,
            schema=location.schema,
            name=FINDINGS_ALERT,
            warehouse=args.warehouse,
            alert_schedule={"interval": args.interval_minutes},
            condition=condition,
            action=action,
            # A new alert is suspended: the provider resumes it when enabled.
            enabled=True,
            comment="Notifies of new CloudTrail findings (cloudtrail-snowflake)",
            # The owner provider: the component's default Snowflake provider.
            opts=location.options(self, [args.findings, *args.alert_grants, *ready]),
        )

        self.register_outputs(
            {
                "alert_name": self.alert_name,
                "topic_arn": self.topic_arn,
                "role_arn": self.role_arn,
                "email_integration_name": self.email_integration_name,
                "sns_integration_name": self.sns_integration_name,
            }
        )
