"""PipelineHealth: the PIPELINE_HEALTH view, one row per check of the pipeline (the pipe, the
files that did not load, a silence, the landing's lag, the findings' lag, each task's last run,
each alert's last runs), and with alerts
PIPELINE_HEALTH_ALERT, which sends a message when the failing checks change (and a reminder
while they stay), keeping what it last sent in PIPELINE_HEALTH_NOTIFIED (lib/health.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from components.notifications import Destinations
from lib import alerts, health
from lib.schema import (
    HEALTH_NOTIFIED_COLUMNS,
    PIPELINE_HEALTH_ALERT,
    PIPELINE_HEALTH_NOTIFIED_TABLE,
    PIPELINE_HEALTH_VIEW,
)


@dataclass
class HealthAlertArgs:
    warehouse: str
    interval_minutes: int
    """How often the alert reads the view (1-1439)."""
    destinations: Destinations
    alert_grants: list[pulumi.Resource]
    """What the alert must wait for to run as its owner (AccountGrants.alerts)."""


@dataclass
class PipelineHealthArgs:
    location: SnowflakeLocation
    watched: list[pulumi.Resource]
    """What the view reads or names: the raw and events tables, the pipe and the tasks. Creating
    the view compiles it against the tables, and it must not name a pipe or task that is not
    there yet."""
    silence_minutes: int
    events_interval_minutes: int
    findings_interval_minutes: int
    """The findings task's interval: findings_lag allows a few of them."""
    watched_alerts: list[str]
    """The stack's other alerts that the view checks, unqualified (FINDINGS_ALERT with alerting;
    none without, so that the view names no alert that does not exist). The health alert is
    added when `alert` is set."""
    alert: HealthAlertArgs | None
    """None: the view only (no alerts configured)."""


class PipelineHealth(pulumi.ComponentResource):
    view_name: str
    view: snowflake.View
    alert_name: str | None

    def __init__(
        self, name: str, args: PipelineHealthArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:PipelineHealth", name, None, opts)
        location = args.location
        self.view_name = location.qualified(PIPELINE_HEALTH_VIEW)
        # SQL first: a bad setting fails before any resource is declared.
        alerts = [*args.watched_alerts, *([PIPELINE_HEALTH_ALERT] if args.alert else [])]
        statement = health.pipeline_health_view(
            location.database,
            location.schema,
            silence_minutes=args.silence_minutes,
            events_interval_minutes=args.events_interval_minutes,
            findings_interval_minutes=args.findings_interval_minutes,
            alerts=alerts,
        )
        self.view = snowflake.View(
            f"{name}-view",
            database=location.database,
            schema=location.schema,
            name=PIPELINE_HEALTH_VIEW,
            statement=statement,
            comment="One row per check of the CloudTrail pipeline: ok, degraded or down",
            copy_grants=True,
            opts=location.options(self, args.watched),
        )

        self.alert_name = None
        if args.alert is not None:
            self.alert_name = self._alert(name, location, args.alert)
        self.register_outputs({"view_name": self.view_name, "alert_name": self.alert_name})

    def _alert(self, name: str, location: SnowflakeLocation, args: HealthAlertArgs) -> str:
        destinations = args.destinations
        notified_table = location.qualified(PIPELINE_HEALTH_NOTIFIED_TABLE)
        where = f"{location.database}.{location.schema}"
        interval = alerts.checked_interval(args.interval_minutes)
        condition = health.health_condition(self.view_name, notified_table)
        action = health.health_action(
            where,
            self.view_name,
            notified_table,
            email_integration=destinations.email_integration,
            recipients=destinations.recipients,
            sns_integration=destinations.sns_integration,
        )
        notified = snowflake.Table(
            f"{name}-notified",
            database=location.database,
            schema=location.schema,
            name=PIPELINE_HEALTH_NOTIFIED_TABLE,
            comment="Each message PIPELINE_HEALTH_ALERT sent, with the state it reported",
            columns=[
                {"name": c.identifier, "type": c.type, "nullable": c.nullable}
                for c in HEALTH_NOTIFIED_COLUMNS
            ],
            # Kept on destroy: a stack declared again remembers what it last said, rather than
            # repeating a failure it already reported.
            opts=location.options(self, retain_on_delete=True),
        )
        snowflake.Alert(
            f"{name}-alert",
            database=location.database,
            schema=location.schema,
            name=PIPELINE_HEALTH_ALERT,
            warehouse=args.warehouse,
            alert_schedule={"interval": interval},
            condition=condition,
            action=action,
            # A new alert is suspended: the provider resumes it when enabled.
            enabled=True,
            comment="Notifies when the CloudTrail pipeline's health changes (cloudtrail-snowflake)",
            opts=location.options(
                self, [self.view, notified, *args.alert_grants, *destinations.ready]
            ),
        )
        return location.qualified(PIPELINE_HEALTH_ALERT)
