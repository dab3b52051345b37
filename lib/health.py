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
    FINDINGS_TABLE,
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
# findings_lag: landed events may wait this many findings-task intervals (plus the events task's
# allowance, as an event's loadedAt precedes its landing) before the check degrades.
FINDINGS_LAG_INTERVALS = 3
# load_errors: how far back the files that did not load are counted (COPY_HISTORY keeps 14 days).
LOAD_ERROR_HOURS = 24
# How far back TASK_HISTORY and ALERT_HISTORY are read. Both answer for the last 7 days and
# return an error for a range that does not fall within them; the docs do not say whether a
# start exactly 7 days back (by the caller's clock) still does, so an hour less.
HISTORY_HOURS = 7 * 24 - 1
# The most rows one TASK_HISTORY or ALERT_HISTORY call returns (1-10000, default 100), newest
# first; each call is for one task or alert of the stack, so this is about 3 days of a task
# triggered every 30 s.
HISTORY_LIMIT = 10000
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


def _history_calls(fragment: str, key: str, names: Sequence[str], information_schema: str) -> str:
    """One history call per name (`fragment`, its name in `key`), joined with UNION ALL."""
    calls = (
        sql.load_sql(fragment).format(
            information_schema=information_schema,
            history_hours=HISTORY_HOURS,
            history_limit=HISTORY_LIMIT,
            **{key: name},
        )
        for name in names
    )
    return "\nUNION ALL\n".join(calls)


def _tasks(database: str, schema: str, tasks: Sequence[str]) -> str:
    """The tasks as a table of (task_name, subject): the name and the qualified name."""
    values = ", ".join(f"('{t}', '{sql.qualified(database, schema, t)}')" for t in tasks)
    return f"(VALUES {values}) AS t (task_name, subject)"


def _alerts(alerts: Sequence[str]) -> str:
    """The alerts as a table of alert_name; none, without alerting."""
    if not alerts:
        return "(SELECT NULL::VARCHAR AS alert_name LIMIT 0) AS a"
    values = ", ".join(f"('{alert}')" for alert in alerts)
    return f"(VALUES {values}) AS a (alert_name)"


def pipeline_health_view(
    database: str,
    schema: str,
    *,
    silence_minutes: int,
    events_interval_minutes: int,
    findings_interval_minutes: int,
    alerts: Sequence[str],
    tasks: Sequence[str] = TASKS,
) -> str:
    """PIPELINE_HEALTH's SELECT over the stack's objects in `database`.`schema`
    (sql/pipeline_health_view.sql). `alerts`: the stack's alerts, unqualified, that exist (none
    without alerting): the view checks each, and names no other."""
    lag_minutes = EVENT_LAG_INTERVALS * events_interval_minutes
    findings_lag_minutes = FINDINGS_LAG_INTERVALS * findings_interval_minutes + lag_minutes
    information_schema = f"{database}.INFORMATION_SCHEMA"
    alert_history = (
        _history_calls("pipeline_health_alert_history.sql", "alert", alerts, information_schema)
        if alerts
        else sql.load_sql("pipeline_health_no_alert_history.sql")
    )
    return sql.load_sql("pipeline_health_view.sql").format(
        database=database,
        schema=schema,
        pipe=sql.qualified(database, schema, PIPE),
        raw_table=sql.qualified(database, schema, RAW_TABLE),
        events_table=sql.qualified(database, schema, EVENTS_TABLE),
        findings_table=sql.qualified(database, schema, FINDINGS_TABLE),
        events_task=sql.qualified(database, schema, EVENTS_TASK),
        events_task_name=EVENTS_TASK,
        findings_task=sql.qualified(database, schema, FINDINGS_TASK),
        findings_task_name=FINDINGS_TASK,
        tasks=_tasks(database, schema, tasks),
        alerts=_alerts(alerts),
        copy_history=f"{information_schema}.COPY_HISTORY",
        task_history=_history_calls(
            "pipeline_health_task_history.sql", "task", tasks, information_schema
        ),
        alert_history=alert_history,
        silence_minutes=checked_silence(silence_minutes),
        lag_minutes=lag_minutes,
        lag_intervals=EVENT_LAG_INTERVALS,
        findings_lag_minutes=findings_lag_minutes,
        findings_lag_intervals=FINDINGS_LAG_INTERVALS,
        load_error_hours=LOAD_ERROR_HOURS,
        history_hours=HISTORY_HOURS,
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
        send_commit=alerts.send_commit(),
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
