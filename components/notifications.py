"""Notifications: where the stack's messages go. An email notification integration and/or an SNS
topic that Snowflake publishes to through a notification integration, with a role trusted both
ways in one stack, like the storage integration's.

Two kinds of sender use them:
- the stack's alerts (new findings, pipeline health), through SYSTEM$SEND_SNOWFLAKE_NOTIFICATION,
  to email and SNS;
- the pipe's and the tasks' ERROR_INTEGRATION, which on AWS accepts only an SNS notification
  integration (Snowflake's error notification docs): with email alone there is none, and the
  health alert is what reports a failure.

Built before the pipe and the tasks, which name the SNS integration: it used to be part of
FindingsAlerts, built after them (its resources keep their state through aliases).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_snowflake as snowflake

from components.aliases import moved_from
from components.grants import grant_integration_usage
from lib import alerts, iam

# The AWS managed key: encrypted at rest with no key to manage, and its key policy lets the
# account's principals use it through SNS, so the publishing role needs no KMS permission (see
# alerts.sns_publish_policy). Subscribers that are AWS services (EventBridge, CloudWatch) could
# not publish to such a topic, but only Snowflake publishes here.
SNS_KMS_KEY = "alias/aws/sns"

# Where these resources were declared before: children of FindingsAlerts("alerts"), named
# alerts-<suffix>.
_FORMER = ("cloudtrail-snowflake:snowflake:FindingsAlerts", "alerts")

Integration = snowflake.EmailNotificationIntegration | snowflake.NotificationIntegration


@dataclass
class NotificationsArgs:
    emails: list[str]
    """Recipients of email; [] = no email. Each must be the verified email address of a user of
    the Snowflake account (Snowflake refuses any other)."""
    sns: bool
    """Create an SNS topic and an integration that publishes to it."""
    name_prefix: str
    """Prefix of the AWS names (topic, role), e.g. cloudtrail-snowflake-dev."""
    integration_prefix: str
    """Prefix of the Snowflake integration names, e.g. CLOUDTRAIL_DEV."""
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: pulumi.Input[str]
    owner_role: str
    """The role whose alerts, pipe and tasks send through the integrations."""
    admin_role: str
    admin_provider: snowflake.Provider
    """Integrations and their grants need ACCOUNTADMIN (or CREATE INTEGRATION and MANAGE GRANTS)."""


@dataclass(frozen=True)
class Destinations:
    """What a sender needs: the integration names its SQL or its ERROR_INTEGRATION names, and
    what must exist before it is created or resumed."""

    email_integration: str | None
    recipients: tuple[str, ...]
    sns_integration: str | None
    ready: tuple[pulumi.Resource, ...]
    """The integrations, the owner role's USAGE on them and (for SNS) the role Snowflake assumes
    to publish, with its policy."""

    @property
    def errors(self) -> ErrorNotifications | None:
        """Where the pipe and the tasks send their errors: the SNS integration, the only kind
        Snowflake accepts for them on AWS; None without one."""
        if self.sns_integration is None:
            return None
        return ErrorNotifications(self.sns_integration, self.ready)


@dataclass(frozen=True)
class ErrorNotifications:
    """An object's ERROR_INTEGRATION, and what must exist before the object names it: the
    integration and its owner's USAGE on it, without which CREATE or ALTER fails."""

    integration: str
    ready: tuple[pulumi.Resource, ...]


class Notifications(pulumi.ComponentResource):
    destinations: Destinations
    topic_arn: pulumi.Output[str] | None
    role_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:Notifications", name, None, opts)
        # Names first: a bad prefix fails before any resource is declared.
        email_name = alerts.email_integration_name(args.integration_prefix) if args.emails else None
        sns_name = alerts.sns_integration_name(args.integration_prefix) if args.sns else None

        def moved(suffix: str, admin: bool = False) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self,
                provider=args.admin_provider if admin else None,
                aliases=[moved_from(*_FORMER, f"{_FORMER[1]}-{suffix}")],
            )

        ready: list[pulumi.Resource] = []
        integrations: list[tuple[str, Integration]] = []
        if email_name is not None:
            email = snowflake.EmailNotificationIntegration(
                f"{name}-email",
                name=email_name,
                enabled=True,
                allowed_recipients=args.emails,
                comment="New CloudTrail findings, by email (cloudtrail-snowflake)",
                opts=moved("email", admin=True),
            )
            integrations.append(("email", email))

        self.topic_arn = None
        self.role_arn = None
        if sns_name is not None:
            topic_name = alerts.topic_name(args.name_prefix)
            topic = aws.sns.Topic(
                f"{name}-topic",
                name=topic_name,
                # A standard topic: Snowflake's SNS notifications to a FIFO topic fail silently.
                fifo_topic=False,
                kms_master_key_id=SNS_KMS_KEY,
                # The region the ARN below names.
                region=args.region,
                opts=moved("topic"),
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
                name=sns_name,
                enabled=True,
                notification_provider="AWS_SNS",
                # No `direction`: the provider deprecates it and sets OUTBOUND itself for AWS_SNS.
                aws_sns_topic_arn=self.topic_arn,
                aws_sns_role_arn=self.role_arn,
                comment="New CloudTrail findings, to SNS (cloudtrail-snowflake)",
                opts=pulumi.ResourceOptions.merge(
                    moved("sns", admin=True), pulumi.ResourceOptions(depends_on=[topic])
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
                opts=moved("sns-role"),
            )
            publish = aws.iam.RolePolicy(
                f"{name}-sns-publish",
                role=role.id,
                policy=pulumi.Output.json_dumps(self.topic_arn.apply(alerts.sns_publish_policy)),
                opts=moved("sns-publish"),
            )
            # No propagation delay as for the stage: nothing assumes the role until the first
            # send, and Snowflake queues each notification and retries a failed delivery
            # (INFORMATION_SCHEMA.NOTIFICATION_HISTORY).
            ready += [role, publish]

        ready += [integration for _, integration in integrations]
        if args.owner_role != args.admin_role:
            for suffix, integration in integrations:
                ready.append(
                    grant_integration_usage(
                        f"{name}-{suffix}-usage",
                        integration,
                        args.owner_role,
                        moved(f"{suffix}-usage", admin=True),
                    )
                )

        self.destinations = Destinations(
            email_integration=email_name,
            recipients=tuple(args.emails),
            sns_integration=sns_name,
            ready=tuple(ready),
        )
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "role_arn": self.role_arn,
                "email_integration_name": email_name,
                "sns_integration_name": sns_name,
            }
        )
