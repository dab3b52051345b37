"""Findings: what the detections find, kept in a table that a task fills on a schedule.

A stream on the events table hands each newly landed event to a task, which runs every
detection over it and MERGEs the results into FINDINGS (sql/findings_merge.sql). Selection is by
arrival, so an event that lands late is still examined, and exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from components.notifications import ErrorNotifications
from components.scheduling import ScheduledMerge, stream_and_task
from lib import sql
from lib.detections import Detection, findings_statement, reach_minutes
from lib.schema import (
    EVENTS_STREAM,
    FINDING_COLUMNS,
    FINDINGS_SUMMARY_VIEW,
    FINDINGS_TABLE,
    FINDINGS_TASK,
)


@dataclass
class FindingsArgs:
    location: SnowflakeLocation
    events_table: str
    """Fully qualified name of the typed events table the stream follows."""
    events: pulumi.Resource
    detections: list[Detection]
    suppressions_table: str
    """Fully qualified name of the SUPPRESSIONS table the findings task reads."""
    suppressions: pulumi.Resource
    """The SUPPRESSIONS table itself, which the task must follow."""
    warehouse: str | None
    """None: serverless (scheduling.py)."""
    interval_minutes: int
    task_grant: list[pulumi.Resource]
    errors: ErrorNotifications | None
    """Where the task reports a failed run (Notifications' SNS integration), if anywhere."""


class Findings(pulumi.ComponentResource):
    findings_table: str
    summary_view: str
    table: snowflake.Table
    task: snowflake.Task

    def __init__(
        self, name: str, args: FindingsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:Findings", name, None, opts)
        location = args.location
        self.findings_table = location.qualified(FINDINGS_TABLE)
        self.table = snowflake.Table(
            f"{name}-table",
            database=location.database,
            schema=location.schema,
            name=FINDINGS_TABLE,
            comment="One row per detection and CloudTrail event, kept by the findings task",
            columns=[{"name": c.identifier, "type": c.type} for c in FINDING_COLUMNS],
            # The findings alert's stream reads it (FindingsAlerts); declared so that the
            # provider does not see a change, and does not turn it off.
            change_tracking=True,
            cluster_bies=["TO_DATE(EVENTTIME)"],
            # Findings are an audit record: they outlive the stack.
            opts=location.options(self, retain_on_delete=True),
        )

        self.task = stream_and_task(
            f"{name}-events",
            self,
            ScheduledMerge(
                location=location,
                source_table=args.events_table,
                source=args.events,
                stream=EVENTS_STREAM,
                task=FINDINGS_TASK,
                # A threshold counts the new events' groups over every landed event.
                statement=lambda stream: sql.findings_merge_statement(
                    self.findings_table,
                    findings_statement(
                        args.detections,
                        {d.id: f"({d.select(stream, args.events_table)})" for d in args.detections},
                    ),
                    stream,
                    args.suppressions_table,
                    args.events_table,
                    reach_minutes(args.detections),
                ),
                warehouse=args.warehouse,
                interval_minutes=args.interval_minutes,
                after=[self.table, args.suppressions, *args.task_grant],
                errors=args.errors,
                stream_comment="Events landed since the findings task last ran",
                task_comment="Runs every detection over newly landed events into FINDINGS",
            ),
        )

        self.summary_view = location.qualified(FINDINGS_SUMMARY_VIEW)
        snowflake.View(
            f"{name}-summary",
            database=location.database,
            schema=location.schema,
            name=FINDINGS_SUMMARY_VIEW,
            statement=sql.findings_summary_statement(self.findings_table),
            comment="Findings per detection and day: count, first and last seen, actors",
            copy_grants=True,
            opts=location.options(self, [self.table]),
        )
        self.register_outputs(
            {"findings_table": self.findings_table, "summary_view": self.summary_view}
        )
