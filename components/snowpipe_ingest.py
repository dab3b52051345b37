"""SnowpipeIngest: the raw table, the stage and the auto-ingest pipe that S3 notifies whenever
CloudTrail delivers a log file."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from components.notifications import ErrorNotifications
from lib import iam, sql
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


class SnowpipeIngest(pulumi.ComponentResource):
    raw_table: str
    pipe_name: str
    notification_channel: pulumi.Output[str]
    table: snowflake.Table
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

        self.pipe_name = location.qualified(PIPE)
        self.pipe = pipe = snowflake.Pipe(
            f"{name}-pipe",
            database=location.database,
            schema=location.schema,
            name=PIPE,
            auto_ingest=True,
            copy_statement=sql.copy_statement(self.raw_table, location.qualified(STAGE)),
            # Each file that fails to load, at least once. Set and unset in place (ALTER PIPE
            # ... SET ERROR_INTEGRATION), so adding it keeps the pipe and its load history.
            error_integration=None if args.errors is None else args.errors.integration,
            comment="Loads each CloudTrail log file S3 announces on the notification channel",
            opts=location.options(
                self,
                [self.table, stage, *(() if args.errors is None else args.errors.ready)],
                # Two pipes on one bucket queue would load every file twice.
                delete_before_replace=True,
                # A recreated stage silently stops the pipe that read it: recreate the pipe too.
                replace_with=[stage],
            ),
        )
        self.notification_channel = pipe.notification_channel

        if args.manage_notification:
            aws.s3.BucketNotification(
                f"{name}-notification",
                bucket=args.bucket_name,
                queues=[
                    {
                        "queue_arn": pipe.notification_channel,
                        # Only new objects; deletes and restores are not for Snowpipe.
                        "events": ["s3:ObjectCreated:*"],
                        "filter_prefix": f"{iam.key_prefix(args.log_prefix)}AWSLogs/",
                        "filter_suffix": ".json.gz",
                    }
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.register_outputs(
            {
                "raw_table": self.raw_table,
                "pipe_name": self.pipe_name,
                "notification_channel": self.notification_channel,
            }
        )
