"""What the two scheduled MERGEs share (the events task, the findings task): an append-only
stream on the table they read, and a started task that runs the MERGE over that stream only
when it has rows. Not a component: each belongs to the component that owns its target table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation


@dataclass
class ScheduledMerge:
    location: SnowflakeLocation
    source_table: str
    """Fully qualified name of the table the stream follows."""
    source: pulumi.Resource
    stream: str
    task: str
    statement: Callable[[str], str]
    """The task's MERGE, given the stream's fully qualified name."""
    warehouse: str
    interval_minutes: int
    after: list[pulumi.Resource]
    """What the task needs first besides its stream: the target table, the EXECUTE TASK grant."""
    stream_comment: str
    task_comment: str


def stream_and_task(name: str, parent: pulumi.Resource, merge: ScheduledMerge) -> None:
    location = merge.location
    stream = snowflake.StreamOnTable(
        f"{name}-stream",
        database=location.database,
        schema=location.schema,
        name=merge.stream,
        table=merge.source_table,
        # Both sources are only inserted into; and the first run must see the rows already
        # there (the backlog loaded or landed before the stream existed).
        append_only="true",
        show_initial_rows="true",
        comment=merge.stream_comment,
        opts=location.options(parent, [merge.source]),
    )
    stream_name = location.qualified(merge.stream)
    snowflake.Task(
        f"{name}-task",
        database=location.database,
        schema=location.schema,
        name=merge.task,
        sql_statement=merge.statement(stream_name),
        warehouse=merge.warehouse,
        schedule={"minutes": merge.interval_minutes},
        # Checked without a warehouse: an interval with nothing new costs nothing.
        when=f"SYSTEM$STREAM_HAS_DATA('{stream_name}')",
        # The flatten's TRY_CAST reads CloudTrail's ISO 8601 times under the session's
        # TIMESTAMP_INPUT_FORMAT: an account that changed it would land every event untyped.
        timestamp_input_format="AUTO",
        started=True,
        comment=merge.task_comment,
        opts=location.options(parent, [stream, *merge.after]),
    )
