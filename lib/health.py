"""Pipeline health: the PIPELINE_HEALTH view (one row per check of the pipeline) and the alert
that tells people when the checks' state changes, as pure functions of plain values.

The checks and their statuses are a contract (lib/schema.py, PIPELINE_HEALTH_COLUMNS);
docs/operations.md, "Pipeline health", says what each means and what to do.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from lib import alerts, sql
from lib.schema import (
    EVENTS_TABLE,
    EVENTS_TASK,
    FINDINGS_TASK,
    HEALTH_NOTIFIED_COLUMNS,
    PIPE,
    RAW_TABLE,
)

# CloudTrail delivers a log file about every 5 minutes per region: a silence shorter than three
# deliveries is normal.
MIN_SILENCE_MINUTES = 15
# event_lag: files may wait this many events-task intervals to land before the check degrades
# (a triggered task runs within seconds of a load; one on a schedule within an interval).
EVENT_LAG_INTERVALS = 3
# load_errors: how far back the files that did not load are counted (COPY_HISTORY keeps 14 days).
LOAD_ERROR_HOURS = 24
# TASK_HISTORY's longest range: its runs of the last 7 days.
TASK_HISTORY_DAYS = 7
# While something fails and nothing changes, the alert reminds at most this often.
REMIND_AFTER_HOURS = 24
# The tasks the view checks, in the stack's schema.
TASKS = (EVENTS_TASK, FINDINGS_TASK)

# Where the action reads the rows its condition returned (Snowflake's alert documentation).
CONDITION_RESULT = "TABLE(RESULT_SCAN(SNOWFLAKE.ALERT.GET_CONDITION_QUERY_UUID()))"


def checked_silence(minutes: int) -> int:
    if minutes < MIN_SILENCE_MINUTES:
        raise ValueError(
            f"a silence of {minutes} minutes is too short to mean anything: CloudTrail delivers "
            f"a file about every 5 minutes per region, so at least {MIN_SILENCE_MINUTES}"
        )
    return minutes


def pipeline_health_view(
    database: str,
    schema: str,
    *,
    silence_minutes: int,
    events_interval_minutes: int,
    tasks: Sequence[str] = TASKS,
) -> str:
    """PIPELINE_HEALTH's SELECT over the stack's objects in `database`.`schema`
    (sql/pipeline_health_view.sql)."""
    lag_minutes = EVENT_LAG_INTERVALS * events_interval_minutes
    values = ", ".join(f"('{task}', '{sql.qualified(database, schema, task)}')" for task in tasks)
    return sql.load_sql("pipeline_health_view.sql").format(
        database=database,
        schema=schema,
        pipe=sql.qualified(database, schema, PIPE),
        raw_table=sql.qualified(database, schema, RAW_TABLE),
        events_table=sql.qualified(database, schema, EVENTS_TABLE),
        events_task=sql.qualified(database, schema, EVENTS_TASK),
        events_task_name=EVENTS_TASK,
        tasks=f"(VALUES {values}) AS t (task_name, subject)",
        copy_history=f"{database}.INFORMATION_SCHEMA.COPY_HISTORY",
        task_history=f"{database}.INFORMATION_SCHEMA.TASK_HISTORY",
        silence_minutes=checked_silence(silence_minutes),
        lag_minutes=lag_minutes,
        lag_intervals=EVENT_LAG_INTERVALS,
        load_error_hours=LOAD_ERROR_HOURS,
        task_history_days=TASK_HISTORY_DAYS,
    )


def health_condition(view: str, notified_table: str) -> str:
    """Rows when a message is due, no rows otherwise (sql/pipeline_health_condition.sql)."""
    return sql.load_sql("pipeline_health_condition.sql").format(
        view=view, notified_table=notified_table, remind_hours=REMIND_AFTER_HOURS
    )


def health_record(
    location: str, view: str, notified_table: str, condition_result: str = CONDITION_RESULT
) -> str:
    """The INSERT of one message into `notified_table`, from the condition's rows in
    `condition_result` (sql/pipeline_health_record.sql)."""
    return sql.load_sql("pipeline_health_record.sql").format(
        location=location,
        view=view,
        notified_table=notified_table,
        notified_columns=", ".join(c.identifier for c in HEALTH_NOTIFIED_COLUMNS),
        condition_result=condition_result,
    )


def health_action(
    location: str,
    view: str,
    notified_table: str,
    *,
    email_integration: str | None,
    recipients: Sequence[str],
    sns_integration: str | None,
) -> str:
    """Records the message and sends it, in one transaction (sql/pipeline_health_action.sql)."""
    return sql.load_sql("pipeline_health_action.sql").format(
        record=textwrap.indent(health_record(location, view, notified_table), " " * 4).strip(),
        notified_table=notified_table,
        condition_result=CONDITION_RESULT,
        send_declarations=alerts.send_declarations(),
        notifications=textwrap.indent(
            alerts.notification_calls(
                # Fixed when the alert is created; the summary's first words say which.
                subject=f"CloudTrail pipeline degraded, down or recovered in {location}",
                email_integration=email_integration,
                recipients=recipients,
                sns_integration=sns_integration,
            ),
            " " * 4,
        ),
    )
