"""SnowpipeIngest: the raw table, the stage and the auto-ingest pipe that S3 notifies whenever
CloudTrail delivers a log file."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from components.notifications import ErrorNotifications
from lib import alerts, iam, sql
from lib.schema import FILE_FORMAT, PIPE, RAW_COLUMNS, RAW_TABLE, STAGE


@dataclass
class SnowpipeIngestArgs:
    location: SnowflakeLocation
    bucket_name: pulumi.Input[str]
    log_prefix: str
    integration: snowflake.StorageIntegrationAws
    integration_ready: list[pulumi.Resource]
    """The stage may only be created once these exist (IAM propagated, USAGE granted)."""
    manage_notification: bool
    """Write the bucket's notification configuration (off for a bucket someone else notifies)."""
    errors: ErrorNotifications | None
    """Where the pipe reports files it could not load (SNS), if anywhere."""
    sns: SnsFanoutArgs | None = None
    """bucketNotification=sns: the bucket notifies an SNS topic and Snowflake subscribes the
    pipe's queue to it; None = the bucket notifies the pipe's queue itself (sqs)."""


@dataclass
class SnsFanoutArgs:
    """S3 notifies only destinations in the bucket's region, and a bucket has one notification
    configuration: a topic in the bucket's region can feed a queue in another region (Snowflake's)
    and several consumers at once."""

    existing_topic_arn: str | None
    """bucketSnsTopicArn: the topic the bucket already notifies. Its policy is not the stack's
    (aws.sns.TopicPolicy would replace all of it), nor is the bucket's notification."""
    topic_name: str
    """The topic to create when there is no existing one."""
    iam_user_arn: pulumi.Input[str]
    """Snowflake's IAM user (the storage integration's), which subscribes the pipe's queue."""
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: pulumi.Input[str]
    """The bucket's region, where a topic it notifies must be: the stack's own."""


class SnowpipeIngest(pulumi.ComponentResource):
    raw_table: str
    pipe_name: str
    notification_channel: pulumi.Output[str]
    table: snowflake.Table
    topic_arn: pulumi.Output[str] | None
    """bucketNotification=sns: the topic the pipe's queue is subscribed to."""
    subscribe_statement: pulumi.Output[dict[str, object]] | None
    """bucketNotification=sns: the statement Snowflake's IAM user needs in the topic's policy."""
    pipe: snowflake.Pipe

    def __init__(
        self, name: str, args: SnowpipeIngestArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:SnowpipeIngest", name, None, opts)
        location = args.location
        self.raw_table = location.qualified(RAW_TABLE)
        self.table = snowflake.Table(
            f"{name}-raw",
            database=location.database,
            schema=location.schema,
            name=RAW_TABLE,
            comment="CloudTrail log files as delivered, one row per file (loaded by Snowpipe)",
            # The events stream reads it; declared so the provider does not see a change.
            change_tracking=True,
            columns=[
                {"name": c.identifier, "type": c.type, "nullable": False} for c in RAW_COLUMNS
            ],
            # Loaded data must outlive the stack: retained on `pulumi destroy`.
            opts=location.options(self, retain_on_delete=True),
        )
        file_format = snowflake.FileFormatJson(
            f"{name}-json",
            database=location.database,
            schema=location.schema,
            name=FILE_FORMAT,
            compression="AUTO",
            # One invalid UTF-8 sequence would otherwise fail the whole file, and Snowpipe skips a
            # failed file (ON_ERROR = SKIP_FILE): replace it with U+FFFD and keep the events.
            replace_invalid_characters="true",
            # Likewise a duplicated key in one event (by default the file fails): keep the last.
            allow_duplicate="true",
            opts=location.options(self),
        )
        stage = snowflake.StageExternalS3(
            f"{name}-stage",
            database=location.database,
            schema=location.schema,
            name=STAGE,
            url=pulumi.Output.from_input(args.bucket_name).apply(
                lambda bucket: iam.s3_location(bucket, args.log_prefix)
            ),
            storage_integration=args.integration.name,
            file_format={"format_name": location.qualified(FILE_FORMAT)},
            comment="CloudTrail log prefix, read through the storage integration",
            opts=location.options(
                self,
                [file_format, *args.integration_ready],
                # A stage keeps working only with the integration it was created with.
                replace_with=[args.integration],
            ),
        )

        # Snowflake subscribes the pipe's queue to the topic while it creates the pipe, which fails
        # unless the topic's policy already lets it: the pipe waits for the policy.
        self.topic_arn = self.subscribe_statement = None
        subscribable = self._topic(name, args.sns, args.bucket_name) if args.sns else []

        self.pipe_name = location.qualified(PIPE)
        self.pipe = pipe = snowflake.Pipe(
            f"{name}-pipe",
            database=location.database,
            schema=location.schema,
            name=PIPE,
            auto_ingest=True,
            aws_sns_topic_arn=self.topic_arn,
            copy_statement=sql.copy_statement(self.raw_table, location.qualified(STAGE)),
            # Each file that fails to load, at least once. Set and unset in place (ALTER PIPE
            # ... SET ERROR_INTEGRATION), so adding it keeps the pipe and its load history.
            error_integration=None if args.errors is None else args.errors.integration,
            comment="Loads each CloudTrail log file S3 announces on the notification channel",
            opts=location.options(
                self,
                [
                    self.table,
                    stage,
                    *subscribable,
                    *(() if args.errors is None else args.errors.ready),
                ],
                # Two pipes on one bucket queue would load every file twice.
                delete_before_replace=True,
                # A recreated stage silently stops the pipe that read it: recreate the pipe too.
                replace_with=[stage],
            ),
        )
        self.notification_channel = pipe.notification_channel

        if args.manage_notification:
            # Only new objects; deletes and restores are not for Snowpipe.
            events = ["s3:ObjectCreated:*"]
            prefix = f"{iam.key_prefix(args.log_prefix)}AWSLogs/"
            if self.topic_arn is None:
                aws.s3.BucketNotification(
                    f"{name}-notification",
                    bucket=args.bucket_name,
                    queues=[
                        {
                            "queue_arn": pipe.notification_channel,
                            "events": events,
                            "filter_prefix": prefix,
                            "filter_suffix": ".json.gz",
                        }
                    ],
                    opts=pulumi.ResourceOptions(parent=self),
                )
            else:
                aws.s3.BucketNotification(
                    f"{name}-notification",
                    bucket=args.bucket_name,
                    topics=[
                        {
                            "topic_arn": self.topic_arn,
                            "events": events,
                            "filter_prefix": prefix,
                            "filter_suffix": ".json.gz",
                        }
                    ],
                    # S3 checks that it may publish when the configuration is written; and a
                    # file announced before the pipe's queue is subscribed would never load.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[*subscribable, pipe]),
                )

        self.register_outputs(
            {
                "raw_table": self.raw_table,
                "pipe_name": self.pipe_name,
                "notification_channel": self.notification_channel,
                "topic_arn": self.topic_arn,
                "subscribe_statement": self.subscribe_statement,
            }
        )

    def _topic(
        self, name: str, args: SnsFanoutArgs, bucket_name: pulumi.Input[str]
    ) -> list[pulumi.Resource]:
        """Sets `topic_arn` and `subscribe_statement`; creates the topic and its policy unless
        the bucket notifies an existing topic. Returns what the pipe must wait for."""
        if args.existing_topic_arn is not None:
            self.topic_arn = pulumi.Output.from_input(args.existing_topic_arn)
        else:
            topic_name = args.topic_name
            self.topic_arn = pulumi.Output.all(args.partition, args.region, args.account_id).apply(
                lambda v: alerts.topic_arn(v[0], v[1], v[2], topic_name)
            )
        self.subscribe_statement = pulumi.Output.all(self.topic_arn, args.iam_user_arn).apply(
            lambda v: iam.snowflake_subscribe_statement(v[0], v[1])
        )
        if args.existing_topic_arn is not None:
            return []
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            # S3 notifies only a standard topic, and only one in the bucket's region.
            fifo_topic=False,
            region=args.region,
            # No kms_master_key_id: S3 can publish to an encrypted topic only if its key is a
            # customer managed key whose policy lets s3.amazonaws.com use it, and the AWS managed
            # key alias/aws/sns has a policy no one can change (Amazon SNS Developer Guide, key
            # management, AWS services as event sources:
            # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). The messages
            # carry object keys and sizes, no log content, and travel over TLS.
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic_arn,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(
                    args.partition,
                    bucket_name,
                    args.account_id,
                    self.topic_arn,
                    args.iam_user_arn,
                ).apply(
                    lambda v: iam.bucket_topic_policy(
                        partition=v[0],
                        bucket=v[1],
                        account_id=v[2],
                        topic_arn=v[3],
                        iam_user_arn=v[4],
                    )
                )
            ),
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[topic]),
        )
        return [policy]
