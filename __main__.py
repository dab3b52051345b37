"""cloudtrail-snowflake: every AWS API call queryable in Snowflake, in one `pulumi up`.

Reads the stack's settings (validated before anything is declared), builds the two Snowflake
providers (the owner role's and the admin role's) and wires the components: the log bucket and
trail, the trusted storage integration, the database and schema, the account-level grants the
owner role's tasks and alert need, the auto-ingest pipe, the typed events table and its task, the
`cloudtrail` view, the detection views over it, the findings task, and the alert on new
findings when asked for.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.cloudtrail_bucket import CloudTrailBucket, CloudTrailBucketArgs
from components.cloudtrail_view import CloudTrailView, CloudTrailViewArgs
from components.detection_views import DetectionViews, DetectionViewsArgs
from components.events_table import EventsTable, EventsTableArgs
from components.findings import Findings, FindingsArgs
from components.findings_alerts import FindingsAlerts, FindingsAlertsArgs
from components.grants import AccountGrants, AccountGrantsArgs
from components.notifications import Notifications, NotificationsArgs
from components.pipeline_health import HealthAlertArgs, PipelineHealth, PipelineHealthArgs
from components.providers import snowflake_provider
from components.snowflake_integration import SnowflakeIntegration, SnowflakeIntegrationArgs
from components.snowflake_schema import SnowflakeSchema, SnowflakeSchemaArgs
from components.snowpipe_ingest import SnowpipeIngest, SnowpipeIngestArgs, SnsFanoutArgs
from components.suppressions import Suppressions, SuppressionsArgs
from lib.config import ConfigError, StackConfig, parse_config, parse_connection
from lib.detections import Detection, load_detections
from lib.schema import FINDINGS_ALERT
from lib.suppressions import Suppression, SuppressionError, load_suppressions


def main() -> None:
    cfg = parse_config(pulumi.Config().get, pulumi.get_stack())
    snowflake_config = pulumi.Config("snowflake")
    connection = parse_connection(snowflake_config.get, snowflake_config.get_secret)
    detections = load_detections()
    seed = _seed(cfg, detections)

    account_id = aws.get_caller_identity_output().account_id
    partition = aws.get_partition_output().partition
    region = aws.get_region_output().region

    logs = CloudTrailBucket(
        "logs",
        CloudTrailBucketArgs(
            bucket_name=account_id.apply(cfg.bucket_name),
            existing=cfg.existing_bucket_name is not None,
            log_prefix=cfg.log_prefix,
            create_trail=cfg.create_trail,
            trail_name=cfg.trail_name,
            organization_trail=cfg.organization_trail,
            organization_id=cfg.organization_id,
            kms_key_arn=cfg.kms_key_arn,
            log_retention_days=cfg.log_retention_days,
            account_id=account_id,
            partition=partition,
            region=region,
        ),
    )

    owner = snowflake_provider(
        "snowflake-owner", cfg.snowflake_owner_role, cfg.snowflake_warehouse, connection
    )
    admin = snowflake_provider(
        "snowflake-admin", cfg.snowflake_admin_role, cfg.snowflake_warehouse, connection
    )
    # The owner role owns every Snowflake object a component declares, unless the component
    # declares it with the admin provider (integrations, grants).
    owned = pulumi.ResourceOptions(providers={"snowflake": owner})

    trust = SnowflakeIntegration(
        "trust",
        SnowflakeIntegrationArgs(
            integration_name=cfg.integration_name,
            role_name=cfg.role_name,
            bucket_name=logs.bucket_name,
            log_prefix=cfg.log_prefix,
            kms_key_arn=cfg.kms_key_arn,
            account_id=account_id,
            partition=partition,
            owner_role=cfg.snowflake_owner_role,
            admin_role=cfg.snowflake_admin_role,
            admin_provider=admin,
        ),
    )

    location = SnowflakeSchema(
        "snowflake",
        SnowflakeSchemaArgs(
            database=cfg.snowflake_database,
            schema=cfg.snowflake_schema,
            create_database=cfg.create_database,
            create_schema=cfg.create_schema,
        ),
        opts=owned,
    ).location

    # Where alerts and the pipe's and tasks' errors go, when asked for.
    notifications = (
        Notifications(
            "notifications",
            NotificationsArgs(
                emails=list(cfg.alert_emails),
                sns=cfg.alert_sns,
                name_prefix=cfg.name_prefix,
                integration_prefix=cfg.snowflake_prefix,
                account_id=account_id,
                partition=partition,
                region=region,
                owner_role=cfg.snowflake_owner_role,
                admin_role=cfg.snowflake_admin_role,
                admin_provider=admin,
            ),
        )
        if cfg.alerting
        else None
    )
    errors = None if notifications is None else notifications.destinations.errors

    ingest = SnowpipeIngest(
        "ingest",
        SnowpipeIngestArgs(
            location=location,
            bucket_name=logs.bucket_name,
            log_prefix=cfg.log_prefix,
            integration=trust.integration,
            integration_ready=trust.ready,
            manage_notification=cfg.manages_bucket_notification,
            errors=errors,
            sns=SnsFanoutArgs(
                existing_topic_arn=cfg.bucket_sns_topic_arn,
                topic_name=cfg.bucket_topic_name,
                iam_user_arn=trust.iam_user_arn,
                account_id=account_id,
                partition=partition,
                region=region,
            )
            if cfg.bucket_notification == "sns"
            else None,
        ),
        opts=owned,
    )

    grants = AccountGrants(
        "grants",
        AccountGrantsArgs(
            owner_role=cfg.snowflake_owner_role,
            admin_role=cfg.snowflake_admin_role,
            alerts=cfg.alerting,
            serverless_tasks=cfg.task_warehouse is None,
        ),
        opts=pulumi.ResourceOptions(providers={"snowflake": admin}),
    )

    events = EventsTable(
        "events",
        EventsTableArgs(
            location=location,
            raw_table=ingest.raw_table,
            raw=ingest.table,
            warehouse=cfg.task_warehouse,
            interval_minutes=cfg.events_interval_minutes,
            task_grant=grants.tasks,
            errors=errors,
        ),
        opts=owned,
    )

    view = CloudTrailView(
        "view",
        CloudTrailViewArgs(
            location=location,
            events_table=events.events_table,
            table=events.table,
        ),
        opts=owned,
    )
    detection_views = DetectionViews(
        "detections",
        DetectionViewsArgs(
            location=location,
            cloudtrail_view=view.view_name,
            view=view.view,
            detections=detections,
        ),
        opts=owned,
    )

    suppressions = Suppressions(
        "suppressions",
        SuppressionsArgs(location=location, seed=seed),
        opts=owned,
    )

    findings = Findings(
        "findings",
        FindingsArgs(
            location=location,
            events_table=events.events_table,
            events=events.table,
            detections=detections,
            suppressions_table=suppressions.table_name,
            suppressions=suppressions.table,
            warehouse=cfg.task_warehouse,
            interval_minutes=cfg.findings_interval_minutes,
            task_grant=grants.tasks,
            errors=errors,
        ),
        opts=owned,
    )

    if notifications is not None:
        notify = FindingsAlerts(
            "alerts",
            FindingsAlertsArgs(
                location=location,
                findings_table=findings.findings_table,
                findings=findings.table,
                warehouse=cfg.snowflake_warehouse,
                interval_minutes=cfg.findings_interval_minutes,
                destinations=notifications.destinations,
                alert_grants=grants.alerts,
            ),
            opts=owned,
        )
        pulumi.export("alert", notify.alert_name)
        pulumi.export("notifiedTable", notify.notified_table)
        pulumi.export("findingsTopicArn", notifications.topic_arn)

    # The pipeline's health, for dashboards; with alerts, a message when it changes.
    pipeline_health = PipelineHealth(
        "health",
        PipelineHealthArgs(
            location=location,
            watched=[ingest.table, ingest.pipe, events.table, events.task, findings.task],
            silence_minutes=cfg.silence_minutes,
            events_interval_minutes=cfg.events_interval_minutes,
            findings_interval_minutes=cfg.findings_interval_minutes,
            watched_alerts=[] if notifications is None else [FINDINGS_ALERT],
            alert=None
            if notifications is None
            else HealthAlertArgs(
                warehouse=cfg.snowflake_warehouse,
                interval_minutes=cfg.health_interval_minutes,
                destinations=notifications.destinations,
                alert_grants=grants.alerts,
            ),
        ),
        opts=owned,
    )
    pulumi.export("pipelineHealthView", pipeline_health.view_name)

    pulumi.export("bucket", logs.bucket_name)
    pulumi.export("trailArn", logs.trail_arn)
    pulumi.export("roleArn", trust.role_arn)
    pulumi.export("snowflakeIamUserArn", trust.iam_user_arn)
    pulumi.export("integrationName", trust.integration_name)
    pulumi.export("externalId", pulumi.Output.secret(trust.external_id))
    pulumi.export("pipe", ingest.pipe_name)
    pulumi.export("notificationChannel", ingest.notification_channel)
    if ingest.topic_arn is not None:
        pulumi.export("notificationTopicArn", ingest.topic_arn)
        pulumi.export("snowflakeSubscribeStatement", ingest.subscribe_statement)
    pulumi.export("rawTable", ingest.raw_table)
    pulumi.export("eventsTable", events.events_table)
    pulumi.export("view", view.view_name)
    pulumi.export("detectAllView", detection_views.all_view_name)
    pulumi.export("findingsTable", findings.findings_table)
    pulumi.export("findingsSummaryView", findings.summary_view)
    pulumi.export("suppressionsTable", suppressions.table_name)


def _seed(cfg: StackConfig, detections: list[Detection]) -> list[Suppression]:
    """The suppressions of the stack's `suppressionsFile`, checked before any resource."""
    if cfg.suppressions_file is None:
        return []
    try:
        return load_suppressions(Path(cfg.suppressions_file), {d.id for d in detections})
    except SuppressionError as error:
        raise ConfigError(
            f"cloudtrail-snowflake:suppressionsFile: {error}. Fix the file, or point the setting "
            "at another with `pulumi config set cloudtrail-snowflake:suppressionsFile <path>`."
        ) from None


if __name__ == "__main__":
    main()
