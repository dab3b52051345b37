"""FindingsAlerts: a Snowflake alert that tells people of new findings, in the order their MERGEs
commit. A stream on FINDINGS holds what was committed since the alert last handed findings on;
the alert's action consumes it into FINDINGS_NOTIFIED and sends, in one transaction
(sql/alert_action.sql), so each finding is notified once, however late it was committed and
however long the alert was down. Messages go to the stack's Notifications destinations."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from components.notifications import Destinations
from lib import alerts
from lib.schema import (
    FINDINGS_ALERT,
    FINDINGS_ALERT_STREAM,
    FINDINGS_NOTIFIED_TABLE,
    NOTIFIED_COLUMNS,
)


@dataclass
class FindingsAlertsArgs:
    location: SnowflakeLocation
    findings_table: str
    """Fully qualified name of the FINDINGS table the alert watches."""
    findings: pulumi.Resource
    """The FINDINGS table itself, which the stream follows."""
    warehouse: str
    interval_minutes: int
    """How often the alert checks for new findings (1-1439)."""
    destinations: Destinations
    alert_grants: list[pulumi.Resource]
    """What the alert must wait for to run as its owner (AccountGrants.alerts)."""


class FindingsAlerts(pulumi.ComponentResource):
    alert_name: str
    notified_table: str

    def __init__(
        self, name: str, args: FindingsAlertsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:FindingsAlerts", name, None, opts)
        location = args.location
        destinations = args.destinations
        interval = alerts.checked_interval(args.interval_minutes)
        stream_name = location.qualified(FINDINGS_ALERT_STREAM)
        self.notified_table = location.qualified(FINDINGS_NOTIFIED_TABLE)
        # SQL first: a bad name fails before any resource is declared.
        condition = alerts.alert_condition(stream_name)
        action = alerts.alert_action(
            args.findings_table,
            stream=stream_name,
            notified_table=self.notified_table,
            email_integration=destinations.email_integration,
            recipients=destinations.recipients,
            sns_integration=destinations.sns_integration,
        )

        notified = snowflake.Table(
            f"{name}-notified",
            database=location.database,
            schema=location.schema,
            name=FINDINGS_NOTIFIED_TABLE,
            comment="Each finding FINDINGS_ALERT notified, with the run that sent it",
            columns=[
                {"name": c.identifier, "type": c.type, "nullable": c.nullable}
                for c in NOTIFIED_COLUMNS
            ],
            # The record of what was notified is part of the audit trail: it outlives the stack.
            opts=location.options(self, retain_on_delete=True),
        )
        stream = snowflake.StreamOnTable(
            f"{name}-stream",
            database=location.database,
            schema=location.schema,
            name=FINDINGS_ALERT_STREAM,
            table=args.findings_table,
            # The findings task only inserts.
            append_only="true",
            # From its creation on: the findings made before it were notified by the alert this
            # one replaces (or, on a first deploy, there are none).
            show_initial_rows="false",
            comment="Findings committed since FINDINGS_ALERT last notified",
            opts=location.options(self, [args.findings]),
        )

        self.alert_name = location.qualified(FINDINGS_ALERT)
        snowflake.Alert(
            f"{name}-alert",
            database=location.database,
            schema=location.schema,
            name=FINDINGS_ALERT,
            warehouse=args.warehouse,
            alert_schedule={"interval": interval},
            condition=condition,
            action=action,
            # A new alert is suspended: the provider resumes it when enabled.
            enabled=True,
            comment="Notifies of new CloudTrail findings (cloudtrail-snowflake)",
            # The owner provider: the component's default Snowflake provider.
            opts=location.options(
                self,
                [
                    args.findings,
                    stream,
                    notified,
                    *args.alert_grants,
                    *destinations.ready,
                ],
            ),
        )

        self.register_outputs(
            {"alert_name": self.alert_name, "notified_table": self.notified_table}
        )
