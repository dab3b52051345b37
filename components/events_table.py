"""EventsTable: every event parsed once, into a typed table that a task keeps up to date.

A stream on the raw table hands each newly loaded log file to a task, which flattens it and
MERGEs the events into CLOUDTRAIL_EVENTS (sql/events_merge.sql): each eventID once, however
often CloudTrail or a backfill delivers it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from lib import sql

EVENTS_TABLE = "CLOUDTRAIL_EVENTS"
RAW_STREAM = "CLOUDTRAIL_RAW_STREAM"
EVENTS_TASK = "CLOUDTRAIL_EVENTS_TASK"


@dataclass
class EventsTableArgs:
    database: str
    schema: str
    raw_table: str
    """Fully qualified name of the raw table the stream follows."""
    raw: pulumi.Resource
    warehouse: str
    interval_minutes: int
    owner_role: str
    admin_role: str
    admin_provider: snowflake.Provider


class EventsTable(pulumi.ComponentResource):
    events_table: str
    table: snowflake.Table
    task_grant: list[pulumi.Resource]
    """What any task of the owner role must wait for (EXECUTE TASK granted)."""

    def __init__(
        self, name: str, args: EventsTableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:EventsTable", name, None, opts)
        # Tasks run as their owner, which needs EXECUTE TASK on the account (ACCOUNTADMIN has it).
        self.task_grant = []
        if args.owner_role != args.admin_role:
            self.task_grant.append(
                snowflake.GrantPrivilegesToAccountRole(
                    f"{name}-execute-task",
                    account_role_name=args.owner_role,
                    privileges=["EXECUTE TASK"],
                    on_account=True,
                    opts=pulumi.ResourceOptions(parent=self, provider=args.admin_provider),
                )
            )

        self.events_table = sql.qualified(args.database, args.schema, EVENTS_TABLE)
        self.table = snowflake.Table(
            f"{name}-events",
            database=args.database,
            schema=args.schema,
            name=EVENTS_TABLE,
            comment="One row per CloudTrail event, typed and deduplicated on eventID",
            columns=[{"name": column, "type": type_} for column, type_ in sql.EVENT_COLUMNS],
            # Queries filter on time: clustering on the day lets Snowflake skip the rest.
            cluster_bies=["EVENTDATE"],
            # The findings stream reads it; declared so the provider does not see a change.
            change_tracking=True,
            # Landed events are data: they outlive the stack, like the raw table.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )

        raw_stream = snowflake.StreamOnTable(
            f"{name}-raw-stream",
            database=args.database,
            schema=args.schema,
            name=RAW_STREAM,
            table=args.raw_table,
            # Snowpipe only inserts; and the first run must see the files already loaded.
            append_only="true",
            show_initial_rows="true",
            comment="Log files loaded since the events task last ran",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.raw]),
        )
        stream_name = sql.qualified(args.database, args.schema, RAW_STREAM)
        new_events = f"(\n{sql.events_flatten_statement(stream_name)}\n)"
        snowflake.Task(
            f"{name}-task",
            database=args.database,
            schema=args.schema,
            name=EVENTS_TASK,
            sql_statement=sql.events_merge_statement(self.events_table, new_events),
            warehouse=args.warehouse,
            schedule={"minutes": args.interval_minutes},
            # No warehouse time when nothing arrived: the check is free.
            when=f"SYSTEM$STREAM_HAS_DATA('{stream_name}')",
            started=True,
            comment="Lands new CloudTrail events in CLOUDTRAIL_EVENTS",
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[raw_stream, self.table, *self.task_grant]
            ),
        )
        self.register_outputs({"events_table": self.events_table})
