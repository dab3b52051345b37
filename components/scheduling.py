"""What the two scheduled MERGEs share (the events task, the findings task): an append-only
stream on the table they read, and a started task that runs the MERGE over that stream only
when it has rows. Not a component: each belongs to the component that owns its target table.

Two ways to run the task (the stack setting `taskCompute`):
- serverless and triggered (the default): no warehouse and no schedule; Snowflake runs the task
  when the stream has rows (at most every 30 s by default) and bills the seconds of compute it
  uses, with no minimum; checking an empty stream costs nothing. TARGET_COMPLETION_INTERVAL,
  which a serverless triggered task requires, is the time Snowflake sizes each run to finish in.
- a warehouse on a schedule: every interval, the task checks the stream and, when it has rows,
  wakes the warehouse (billed for at least 60 s each time it resumes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from components.notifications import ErrorNotifications

# SUSPEND_TASK_AFTER_NUM_FAILURES: after this many failed runs in a row Snowflake suspends a task.
# Snowflake's default, set so that an account-level change cannot make it 0 (retry a failing
# statement forever) or 1 (stop at the first error). A suspended task loses nothing: its stream
# keeps every row until a run commits (docs/operations.md, "When a task fails").
SUSPEND_AFTER_FAILURES = 10


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
    warehouse: str | None
    """The warehouse of a scheduled task; None for a serverless task triggered by its stream."""
    interval_minutes: int
    """The schedule of a warehouse task; a serverless task's target completion interval."""
    after: list[pulumi.Resource]
    """What the task needs first besides its stream: the target table, the grants to run it."""
    errors: ErrorNotifications | None
    """Where a failed run is reported (SNS); None: only TASK_HISTORY and the health alert."""
    stream_comment: str
    task_comment: str


def stream_and_task(name: str, parent: pulumi.Resource, merge: ScheduledMerge) -> snowflake.Task:
    """The stream and the task; returns the task (the health view names it)."""
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
    return snowflake.Task(
        f"{name}-task",
        database=location.database,
        schema=location.schema,
        name=merge.task,
        sql_statement=merge.statement(stream_name),
        warehouse=merge.warehouse,
        schedule=None if merge.warehouse is None else {"minutes": merge.interval_minutes},
        target_completion_interval=(
            {"minutes": merge.interval_minutes} if merge.warehouse is None else None
        ),
        # Snowflake sizes a serverless run from the last ones; the first start small (its own
        # default is larger), as these MERGEs usually take seconds on an X-Small.
        user_task_managed_initial_warehouse_size="XSMALL" if merge.warehouse is None else None,
        # Without a schedule, what triggers the task; with one, checked without waking the
        # warehouse, so an interval with nothing new costs nothing.
        when=f"SYSTEM$STREAM_HAS_DATA('{stream_name}')",
        # The flatten's TRY_CAST reads CloudTrail's ISO 8601 times under the session's
        # TIMESTAMP_INPUT_FORMAT: an account that changed it would land every event untyped.
        timestamp_input_format="AUTO",
        suspend_task_after_num_failures=SUSPEND_AFTER_FAILURES,
        # Each failed run, at least once (docs/operations.md, "When a task fails").
        error_integration=None if merge.errors is None else merge.errors.integration,
        started=True,
        comment=merge.task_comment,
        opts=location.options(
            parent, [stream, *merge.after, *(() if merge.errors is None else merge.errors.ready)]
        ),
    )
