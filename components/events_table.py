"""EventsTable: every event parsed once, into a typed table that a task keeps up to date.

A stream on the raw table hands each newly loaded log file to a task, which flattens it and
MERGEs the events into CLOUDTRAIL_EVENTS (sql/events_merge.sql): each event once, however
often CloudTrail or a backfill delivers it; no odd value can fail it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from components.notifications import ErrorNotifications
from components.scheduling import ScheduledMerge, stream_and_task
from lib import sql
from lib.schema import EVENT_COLUMNS, EVENTS_TABLE, EVENTS_TASK, RAW_STREAM


@dataclass
class EventsTableArgs:
    location: SnowflakeLocation
    raw_table: str
    """Fully qualified name of the raw table the stream follows."""
    raw: pulumi.Resource
    warehouse: str | None
    """None: serverless (scheduling.py)."""
    interval_minutes: int
    task_grant: list[pulumi.Resource]
    errors: ErrorNotifications | None
    """Where the task reports a failed run (Notifications' SNS integration), if anywhere."""
    """What the task must wait for to run as its owner (AccountGrants.tasks)."""


class EventsTable(pulumi.ComponentResource):
    events_table: str
    table: snowflake.Table
    task: snowflake.Task

    def __init__(
        self, name: str, args: EventsTableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:EventsTable", name, None, opts)
        location = args.location
        self.events_table = location.qualified(EVENTS_TABLE)
        self.table = snowflake.Table(
            f"{name}-events",
            database=location.database,
            schema=location.schema,
            name=EVENTS_TABLE,
            comment="One row per CloudTrail event, typed; identical copies landed once (EVENTHASH)",
            columns=[{"name": c.identifier, "type": c.type} for c in EVENT_COLUMNS],
            # Queries filter on time: clustering on the day lets Snowflake skip the rest.
            cluster_bies=["EVENTDATE"],
            # The findings stream reads it; declared so the provider does not see a change.
            change_tracking=True,
            # Landed events are data: they outlive the stack, like the raw table.
            opts=location.options(self, retain_on_delete=True),
        )

        self.task = stream_and_task(
            f"{name}-raw",
            self,
            ScheduledMerge(
                location=location,
                source_table=args.raw_table,
                source=args.raw,
                stream=RAW_STREAM,
                task=EVENTS_TASK,
                statement=lambda stream: sql.events_merge_statement(
                    self.events_table, f"(\n{sql.events_flatten_statement(stream)}\n)"
                ),
                warehouse=args.warehouse,
                interval_minutes=args.interval_minutes,
                after=[self.table, *args.task_grant],
                errors=args.errors,
                stream_comment="Log files loaded since the events task last ran",
                task_comment="Lands new CloudTrail events in CLOUDTRAIL_EVENTS",
            ),
        )
        self.register_outputs({"events_table": self.events_table})
