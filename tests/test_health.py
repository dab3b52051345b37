"""Pipeline health: the PIPELINE_HEALTH view and PIPELINE_HEALTH_ALERT's SQL (lib/health.py) on
the embedded engine, with Snowflake's own sources (SYSTEM$PIPE_STATUS, COPY_HISTORY,
TASK_HISTORY, ALERT_HISTORY) and the clock replaced by canned rows of the shape Snowflake
documents; the no-spam rule over a sequence of states; then the PipelineHealth component on
Pulumi's mocks.

What fakesnow cannot run is checked on the SQL instead: the action's Snowflake Scripting block
(it runs the record statement, which is run here, then reads it back and sends), and the real
sources' arguments."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import CONFIGS, Deployment, declared_resources
from fakesnow.instance import FakeSnow
from rehearsal import SYSTEM_SOURCES, with_sources
from support import ALERT, EMAIL_INTEGRATION, NOTIFICATION_INTEGRATION, TABLE, VIEW, parses

from lib import health, sql
from lib.config import ConfigError
from lib.schema import EVENT_COLUMNS, HEALTH_NOTIFIED_COLUMNS, RAW_COLUMNS

DB, SCHEMA = "CLOUDTRAIL_DEV", "AUDIT"
LOCATION = f"{DB}.{SCHEMA}"
VIEW_NAME = f"{LOCATION}.PIPELINE_HEALTH"
NOTIFIED = f"{LOCATION}.PIPELINE_HEALTH_NOTIFIED"
PIPE = f"{LOCATION}.CLOUDTRAIL_PIPE"
RAW = f"{LOCATION}.CLOUDTRAIL_RAW"
EVENTS = f"{LOCATION}.CLOUDTRAIL_EVENTS"
EVENTS_TASK = f"{LOCATION}.CLOUDTRAIL_EVENTS_TASK"
FINDINGS_TASK = f"{LOCATION}.FINDINGS_TASK"
FINDINGS = f"{LOCATION}.FINDINGS"
FINDINGS_ALERT = f"{LOCATION}.FINDINGS_ALERT"
HEALTH_ALERT = f"{LOCATION}.PIPELINE_HEALTH_ALERT"
ALERTS = ("FINDINGS_ALERT", "PIPELINE_HEALTH_ALERT")
"""The stack's alerts with alerting, unqualified."""
SILENCE = 60
EVENTS_INTERVAL = 5
FINDINGS_INTERVAL = 10
LAG = health.EVENT_LAG_INTERVALS * EVENTS_INTERVAL
FINDINGS_LAG = health.FINDINGS_LAG_INTERVALS * FINDINGS_INTERVAL + LAG
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RUNNING = {"executionState": "RUNNING", "pendingFileCount": 0}
CANNED = "CANNED.SOURCES"

Check = tuple[str, str]
"""(CHECK_NAME, SUBJECT): one row of the view."""


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def view_statement(silence: int = SILENCE, alerts: Sequence[str] = ALERTS) -> str:
    return health.pipeline_health_view(
        DB,
        SCHEMA,
        silence_minutes=silence,
        events_interval_minutes=EVENTS_INTERVAL,
        findings_interval_minutes=FINDINGS_INTERVAL,
        alerts=alerts,
    )


# --- The SQL as text: what fakesnow cannot run ------------------------------------------------


def action(*, email: bool, sns: bool) -> str:
    return health.health_action(
        LOCATION,
        VIEW_NAME,
        NOTIFIED,
        email_integration="CLOUDTRAIL_DEV_FINDINGS_EMAIL" if email else None,
        recipients=["secops@example.com"] if email else [],
        sns_integration="CLOUDTRAIL_DEV_FINDINGS_SNS" if sns else None,
    )


@pytest.mark.parametrize(
    "statement",
    [
        view_statement(),
        view_statement(alerts=()),
        health.health_condition(VIEW_NAME, NOTIFIED),
        health.health_record(LOCATION, VIEW_NAME, NOTIFIED),
        action(email=True, sns=True),
        action(email=True, sns=False),
        action(email=False, sns=True),
    ],
    ids=["view", "view-no-alerts", "condition", "record", "action", "action-email", "action-sns"],
)
def test_statement_parses(statement: str) -> None:
    assert parses(statement)


def test_view_reads_snowflakes_sources_for_this_stack() -> None:
    statement = view_statement()
    assert f"SYSTEM$PIPE_STATUS('{PIPE}')" in statement
    assert f"TABLE({DB}.INFORMATION_SCHEMA.COPY_HISTORY(" in statement
    assert f"TABLE_NAME => '{RAW}'" in statement
    assert f"DATEADD('hour', -{health.LOAD_ERROR_HOURS}, CURRENT_TIMESTAMP())" in statement
    # One call per task and per alert, so that no other task's or alert's runs share its
    # RESULT_LIMIT; TASK_NAME and ALERT_NAME take unqualified names, of any schema.
    for function, argument, names in (
        ("TASK_HISTORY", "TASK_NAME", ("CLOUDTRAIL_EVENTS_TASK", "FINDINGS_TASK")),
        ("ALERT_HISTORY", "ALERT_NAME", ALERTS),
    ):
        assert statement.count(f"TABLE({DB}.INFORMATION_SCHEMA.{function}(") == len(names)
        for name in names:
            assert statement.count(f"{argument} => '{name}'") == 1
    # Both refuse a range that does not fall within the last 7 days: an hour less.
    start = "SCHEDULED_TIME_RANGE_START => DATEADD('hour', -167, CURRENT_TIMESTAMP())"
    assert statement.count(start) == 4 and health.HISTORY_HOURS == 167
    assert statement.count("RESULT_LIMIT => 10000") == 4
    assert "DATEADD('day'" not in statement
    assert f"database_name = '{DB}'" in statement and f"schema_name = '{SCHEMA}'" in statement
    # Whole-line comments document the file; they are not deployed.
    assert "\n--" not in statement and not statement.startswith("--")


def test_action_records_then_sends_in_one_transaction() -> None:
    both = action(email=True, sns=True)
    record = health.health_record(LOCATION, VIEW_NAME, NOTIFIED)
    assert f"FROM {health.CONDITION_RESULT}" in record
    # Recorded first, then read back and sent, and committed only if every send went.
    begin, insert = both.index("BEGIN TRANSACTION;"), both.index(f"INSERT INTO {NOTIFIED}")
    sends = [i for i in range(len(both)) if both.startswith("CALL SYSTEM$SEND", i)]
    assert len(sends) == 2
    assert begin < insert < min(sends) < max(sends) < both.index("COMMIT;")
    assert "ROLLBACK;" in both.split("EXCEPTION", 1)[1]
    assert "SNOWFLAKE.NOTIFICATION.TEXT_PLAIN(:summary)" in both
    assert "SNOWFLAKE.NOTIFICATION.APPLICATION_JSON(:details)" in both
    assert f"'CloudTrail pipeline degraded, down or recovered in {LOCATION}'" in both
    sns_only = action(email=False, sns=True)
    assert "CLOUDTRAIL_DEV_FINDINGS_EMAIL" not in sns_only and "TEXT_PLAIN" not in sns_only


def test_silence_shorter_than_cloudtrails_deliveries_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 15"):
        view_statement(silence=14)
    assert "DATEADD('minute', -15, checked_at)" in view_statement(silence=15)


# --- The view on the embedded engine ----------------------------------------------------------


@dataclass
class Run:
    """A task's run as TASK_HISTORY shows it."""

    task: str
    state: str
    completed: datetime | None
    error: str | None = None
    database: str = DB
    schema: str = SCHEMA


@dataclass
class AlertRun:
    """An alert's run as ALERT_HISTORY shows it."""

    alert: str
    state: str
    completed: datetime | None
    error: str | None = None
    database: str = DB
    schema: str = SCHEMA


@dataclass
class State:
    """What Snowflake's sources and the two tables show at `now`."""

    now: datetime = NOW
    pipe: dict[str, Any] | None = field(default_factory=lambda: dict(RUNNING))
    """SYSTEM$PIPE_STATUS's JSON; None: NULL."""
    loads: Sequence[tuple[str | None, str | None, str | None, datetime | None]] = field(
        default_factory=list
    )
    """COPY_HISTORY: (FILE_NAME, STATUS, FIRST_ERROR_MESSAGE, LAST_LOAD_TIME)."""
    raw: Sequence[datetime | None] = field(default_factory=lambda: [NOW - timedelta(minutes=10)])
    """The raw table's LOADED_AT, one per file."""
    landed: Sequence[datetime | None] | None = None
    """The events' loadedAt; None: every raw file's."""
    runs: list[Run] | None = None
    """TASK_HISTORY; None: each task's last run succeeded at `now`, after every landing."""
    alert_runs: list[AlertRun] = field(default_factory=list)
    """ALERT_HISTORY."""

    def task_runs(self) -> list[Run]:
        if self.runs is not None:
            return self.runs
        return [Run(task, "SUCCEEDED", self.now) for task in health.TASKS]


class Account:
    """A fakesnow account with the raw and events tables, canned tables for Snowflake's sources,
    and the view reading them; `apply` sets a state and `health` reads the view."""

    def __init__(self, silence: int = SILENCE, alerts: Sequence[str] = ALERTS) -> None:
        self._cursor = FakeSnow().connect().cursor()
        for statement in (
            f"CREATE DATABASE {DB}",
            f"CREATE SCHEMA {LOCATION}",
            sql.create_table(RAW, RAW_COLUMNS),
            sql.create_table(EVENTS, EVENT_COLUMNS),
            sql.create_table(NOTIFIED, HEALTH_NOTIFIED_COLUMNS),
            "CREATE DATABASE CANNED",
            f"CREATE SCHEMA {CANNED}",
            f"CREATE TABLE {CANNED}.CLOCK (checked_at TIMESTAMP_LTZ)",
            f"CREATE TABLE {CANNED}.PIPE_STATUS (pipe_status VARCHAR)",
            *(
                f"CREATE TABLE {CANNED}.{function} "
                f"({', '.join(f'{name} {type_}' for name, type_ in columns)})"
                for function, columns in SYSTEM_SOURCES.items()
            ),
        ):
            self.execute(statement)
        sources = {
            "clock": f"{CANNED}.CLOCK",
            "pipe_status": f"{CANNED}.PIPE_STATUS",
            "copy_history": f"{CANNED}.COPY_HISTORY",
            "task_history": f"{CANNED}.TASK_HISTORY",
        }
        if alerts:
            # Without alerting the view calls no ALERT_HISTORY: nothing to replace.
            sources["alert_history"] = f"{CANNED}.ALERT_HISTORY"
        statement = with_sources(view_statement(silence, alerts), sources)
        self.execute(f"CREATE VIEW {VIEW_NAME} AS {statement}")

    def execute(self, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        self._cursor.execute(statement, params)
        return [tuple(row) for row in self._cursor.fetchall()]

    def apply(self, state: State) -> None:
        for table in ("CLOCK", "PIPE_STATUS", "COPY_HISTORY", "TASK_HISTORY", "ALERT_HISTORY"):
            self.execute(f"DELETE FROM {CANNED}.{table}")
        self.execute(f"DELETE FROM {RAW}")
        self.execute(f"DELETE FROM {EVENTS}")
        self.execute(f"INSERT INTO {CANNED}.CLOCK VALUES (%s)", [state.now.isoformat()])
        pipe_status = None if state.pipe is None else json.dumps(state.pipe)
        self.execute(f"INSERT INTO {CANNED}.PIPE_STATUS VALUES (%s)", [pipe_status])
        for name, status, error, at in state.loads:
            self.execute(
                f"INSERT INTO {CANNED}.COPY_HISTORY "
                "(FILE_NAME, STATUS, FIRST_ERROR_MESSAGE, LAST_LOAD_TIME, TABLE_NAME) "
                "VALUES (%s, %s, %s, %s, 'CLOUDTRAIL_RAW')",
                [name, status, error, None if at is None else at.isoformat()],
            )
        for run in state.task_runs():
            self.execute(
                f"INSERT INTO {CANNED}.TASK_HISTORY (NAME, DATABASE_NAME, SCHEMA_NAME, STATE, "
                "ERROR_MESSAGE, SCHEDULED_TIME, COMPLETED_TIME) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    run.task,
                    run.database,
                    run.schema,
                    run.state,
                    run.error,
                    None if run.completed is None else (run.completed - seconds(30)).isoformat(),
                    None if run.completed is None else run.completed.isoformat(),
                ],
            )
        for alert in state.alert_runs:
            self.execute(
                f"INSERT INTO {CANNED}.ALERT_HISTORY (NAME, DATABASE_NAME, SCHEMA_NAME, STATE, "
                "SQL_ERROR_MESSAGE, SCHEDULED_TIME, COMPLETED_TIME) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    alert.alert,
                    alert.database,
                    alert.schema,
                    alert.state,
                    alert.error,
                    None if alert.completed is None else (alert.completed - seconds(5)).isoformat(),
                    None if alert.completed is None else alert.completed.isoformat(),
                ],
            )
        for i, at in enumerate(state.raw):
            self.execute(
                f"INSERT INTO {RAW} (RECORD, FILENAME, LOADED_AT) "
                "SELECT PARSE_JSON('{}'), %s, %s::TIMESTAMP_LTZ",
                [f"file-{i}.json.gz", None if at is None else at.isoformat()],
            )
        for at in state.raw if state.landed is None else state.landed:
            self.execute(
                f"INSERT INTO {EVENTS} (eventID, loadedAt) VALUES ('e', %s::TIMESTAMP_LTZ)",
                [None if at is None else at.isoformat()],
            )

    def health(self, state: State) -> dict[Check, tuple[str, str]]:
        self.apply(state)
        rows = self.execute(
            f"SELECT check_name, subject, status, detail, checked_at FROM {VIEW_NAME}"
        )
        assert {checked_at for *_, checked_at in rows} == {state.now}
        found = {(check, subject): (status, detail) for check, subject, status, detail, _ in rows}
        assert len(found) == len(rows), "one row per check"
        return found

    def status(self, state: State) -> dict[Check, str]:
        return {check: status for check, (status, _) in self.health(state).items()}


@pytest.fixture(scope="module")
def account() -> Account:
    return Account()


PIPE_CHECK = ("pipe", PIPE)
LOAD_ERRORS = ("load_errors", RAW)
SILENCE_CHECK = ("silence", RAW)
EVENT_LAG = ("event_lag", EVENTS)
FINDINGS_LAG_CHECK = ("findings_lag", FINDINGS)
EVENTS_TASK_CHECK = ("task", EVENTS_TASK)
FINDINGS_TASK_CHECK = ("task", FINDINGS_TASK)
FINDINGS_ALERT_CHECK = ("alerts", FINDINGS_ALERT)
HEALTH_ALERT_CHECK = ("alerts", HEALTH_ALERT)
ALL_OK = dict.fromkeys(
    (
        PIPE_CHECK,
        LOAD_ERRORS,
        SILENCE_CHECK,
        EVENT_LAG,
        FINDINGS_LAG_CHECK,
        EVENTS_TASK_CHECK,
        FINDINGS_TASK_CHECK,
        FINDINGS_ALERT_CHECK,
        HEALTH_ALERT_CHECK,
    ),
    "ok",
)


def test_a_healthy_pipeline_shows_every_check_ok(account: Account) -> None:
    state = State(
        loads=[("a.json.gz", "Loaded", None, NOW - minutes(10))],
        runs=[
            Run("CLOUDTRAIL_EVENTS_TASK", "SUCCEEDED", NOW - minutes(9)),
            Run("FINDINGS_TASK", "SUCCEEDED", NOW - minutes(8)),
        ],
    )
    found = account.health(state)
    assert {check: status for check, (status, _) in found.items()} == ALL_OK
    assert "RUNNING" in found[PIPE_CHECK][1]
    assert "10 minutes ago" in found[SILENCE_CHECK][1]


def test_every_check_is_present_with_nothing_to_go_on(account: Account) -> None:
    """An empty history still gives one row per check: dashboards see every check."""
    found = account.status(State(raw=[], landed=[]))
    assert set(found) == set(ALL_OK)
    # Nothing ever loaded: the silence is total.
    assert found[SILENCE_CHECK] == "down"
    assert {check: s for check, s in found.items() if check != SILENCE_CHECK} == {
        check: s for check, s in ALL_OK.items() if check != SILENCE_CHECK
    }


@pytest.mark.parametrize(
    "execution_state", ["PAUSED", "STOPPED_STAGE_ALTERED", "STALLED_EXECUTION_ERROR"]
)
def test_a_pipe_that_is_not_running_is_down(account: Account, execution_state: str) -> None:
    pipe = {"executionState": execution_state, "error": "Access denied to the stage"}
    status, detail = account.health(State(pipe=pipe))[PIPE_CHECK]
    assert status == "down"
    assert execution_state in detail and "Access denied to the stage" in detail
    assert f"SYSTEM$PIPE_STATUS('{PIPE}')" in detail


@pytest.mark.parametrize(
    ("status", "failed"),
    [
        ("Load failed", True),
        ("Partially loaded", True),
        ("Load skipped", True),
        ("Loaded", False),
        ("Load in progress", False),
    ],
)
def test_files_that_did_not_load_whole_degrade(account: Account, status: str, failed: bool) -> None:
    loads = [("old.json.gz", "Loaded", None, NOW - minutes(30)), ("x.json.gz", status, None, NOW)]
    assert account.status(State(loads=loads))[LOAD_ERRORS] == ("degraded" if failed else "ok")


def test_load_errors_name_the_count_and_the_newest_failure(account: Account) -> None:
    loads = [
        ("a.json.gz", "Load failed", "Error parsing JSON: old", NOW - minutes(50)),
        ("b.json.gz", "Loaded", None, NOW - minutes(40)),
        ("c.json.gz", "Partially loaded", "Max LOB size exceeded", NOW - minutes(20)),
    ]
    status, detail = account.health(State(loads=loads))[LOAD_ERRORS]
    assert status == "degraded"
    assert detail.startswith(f"2 files did not load whole into {RAW}")
    assert "c.json.gz" in detail and "Max LOB size exceeded" in detail
    assert "a.json.gz" not in detail


@pytest.mark.parametrize(
    ("age", "expected"),
    [(minutes(SILENCE), "ok"), (minutes(SILENCE) + timedelta(seconds=1), "down")],
    ids=["exactly-silenceMinutes", "one-second-more"],
)
def test_silence_is_down_only_past_silence_minutes(
    account: Account, age: timedelta, expected: str
) -> None:
    status, detail = account.health(State(raw=[NOW - minutes(90), NOW - age]))[SILENCE_CHECK]
    assert status == expected
    if expected == "down":
        assert f"since {(NOW - age).strftime('%Y-%m-%d %H:%M:%S')}" in detail
        assert "silenceMinutes: 60" in detail


def test_silence_reads_the_raw_table_not_copy_history(account: Account) -> None:
    """A file COPY_HISTORY shows but that never loaded is no sign of life."""
    state = State(
        raw=[NOW - minutes(SILENCE + 30)],
        loads=[("late.json.gz", "Load failed", "Access denied", NOW - minutes(1))],
    )
    assert account.status(state)[SILENCE_CHECK] == "down"


@pytest.mark.parametrize(
    ("waiting", "expected"),
    [(minutes(LAG), "ok"), (minutes(LAG) + timedelta(seconds=1), "degraded")],
    ids=["exactly-3-intervals", "one-second-more"],
)
def test_files_waiting_to_land_degrade_past_three_intervals(
    account: Account, waiting: timedelta, expected: str
) -> None:
    landed_at = NOW - minutes(40)
    state = State(raw=[landed_at, NOW - waiting, NOW - minutes(1)], landed=[landed_at])
    status, detail = account.health(state)[EVENT_LAG]
    assert status == expected
    if expected == "degraded":
        assert f"allowed: {LAG} minutes" in detail and "SHOW TASKS" in detail


def test_a_file_arriving_after_a_quiet_spell_is_no_lag(account: Account) -> None:
    """The newest load is far newer than the newest landed event, but has waited a minute."""
    state = State(raw=[NOW - minutes(45), NOW - minutes(1)], landed=[NOW - minutes(45)])
    assert account.status(state)[EVENT_LAG] == "ok"


def test_nothing_landed_yet_lags_from_the_first_file(account: Account) -> None:
    assert account.status(State(raw=[NOW - minutes(LAG + 1)], landed=[]))[EVENT_LAG] == "degraded"
    assert account.status(State(raw=[NOW - minutes(LAG - 1)], landed=[]))[EVENT_LAG] == "ok"


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([("FAILED", 10)], "degraded"),
        ([("FAILED_AND_AUTO_SUSPENDED", 10)], "down"),
        ([("SUCCEEDED", 10)], "ok"),
        # The latest finished run decides.
        ([("FAILED", 20), ("SUCCEEDED", 10)], "ok"),
        ([("SUCCEEDED", 20), ("FAILED", 10)], "degraded"),
        ([("FAILED", 30), ("FAILED_AND_AUTO_SUSPENDED", 10)], "down"),
        # Neither a skipped run (nothing to do) nor a cancelled one is a verdict.
        ([("FAILED", 20), ("SKIPPED", 10)], "degraded"),
        ([("FAILED", 20), ("CANCELLED", 10)], "degraded"),
        ([], "ok"),
    ],
    ids=lambda v: "-".join(f"{s}{m}" for s, m in v) if isinstance(v, list) else v,
)
def test_a_task_is_judged_by_its_latest_finished_run(
    account: Account, runs: list[tuple[str, int]], expected: str
) -> None:
    history = [
        Run("FINDINGS_TASK", state, NOW - minutes(ago), error=f"SQL compilation error {ago}")
        for state, ago in runs
    ]
    found = account.health(State(runs=history))
    assert found[FINDINGS_TASK_CHECK][0] == expected
    # Each task has its own row.
    assert found[EVENTS_TASK_CHECK][0] == "ok"
    if expected != "ok":
        latest = min(ago for state, ago in runs if state not in ("SKIPPED", "CANCELLED"))
        assert f"SQL compilation error {latest}" in found[FINDINGS_TASK_CHECK][1]


def test_tasks_of_another_schema_are_not_this_stacks(account: Account) -> None:
    runs = [
        Run("FINDINGS_TASK", "FAILED_AND_AUTO_SUSPENDED", NOW, database="CLOUDTRAIL_PROD"),
        Run("FINDINGS_TASK", "FAILED", NOW, schema="OTHER"),
    ]
    assert account.status(State(runs=runs))[FINDINGS_TASK_CHECK] == "ok"


def test_a_suspended_task_detail_says_how_to_resume(account: Account) -> None:
    runs = [Run("CLOUDTRAIL_EVENTS_TASK", "FAILED_AND_AUTO_SUSPENDED", NOW, "Table dropped")]
    status, detail = account.health(State(runs=runs))[EVENTS_TASK_CHECK]
    assert status == "down"
    assert "Table dropped" in detail and f"ALTER TASK {EVENTS_TASK} RESUME" in detail


def test_a_busy_account_does_not_push_a_suspended_task_out(account: Account) -> None:
    """Another task's runs, newer and more than RESULT_LIMIT, do not hide ours: one call per
    task (the stand-in applies each call's TASK_NAME and RESULT_LIMIT)."""
    # Suspended 3 hours ago; since then, another task ran every second.
    runs = [Run("FINDINGS_TASK", "FAILED_AND_AUTO_SUSPENDED", NOW - minutes(180), "boom")]
    account.apply(State(runs=runs))
    account.execute(
        f"INSERT INTO {CANNED}.TASK_HISTORY (NAME, DATABASE_NAME, SCHEMA_NAME, STATE, "
        "SCHEDULED_TIME, COMPLETED_TIME) "
        "SELECT 'BUSY_TASK', %s, %s, 'SUCCEEDED', "
        "DATEADD('second', -SEQ4(), %s::TIMESTAMP_LTZ), "
        "DATEADD('second', -SEQ4(), %s::TIMESTAMP_LTZ) "
        f"FROM TABLE(GENERATOR(ROWCOUNT => {health.HISTORY_LIMIT + 1}))",
        [DB, SCHEMA, NOW.isoformat(), NOW.isoformat()],
    )
    rows = account.execute(f"SELECT check_name, subject, status FROM {VIEW_NAME}")
    assert ("task", FINDINGS_TASK, "down") in rows


# findings_lag: events that landed and that the findings task has not examined.


def landings(since: timedelta) -> list[datetime]:
    """A file every 5 minutes from NOW - `since` to NOW: each one's events landed."""
    every = minutes(5)
    count = int(since / every)
    return [NOW - since + i * every for i in range(count + 1)]


def findings_runs(*ago: timedelta, state: str = "SUCCEEDED") -> list[Run]:
    return [Run("CLOUDTRAIL_EVENTS_TASK", "SUCCEEDED", NOW)] + [
        Run("FINDINGS_TASK", state, NOW - a) for a in ago
    ]


@pytest.mark.parametrize(
    ("waiting", "expected"),
    [(minutes(FINDINGS_LAG), "ok"), (minutes(FINDINGS_LAG) + seconds(1), "degraded")],
    ids=["exactly-allowed", "one-second-more"],
)
def test_events_not_examined_degrade_past_the_allowance(
    account: Account, waiting: timedelta, expected: str
) -> None:
    """The oldest event loaded after the findings task's last success decides; allowed: 3
    findings-task intervals plus the events task's allowance (loadedAt precedes landing)."""
    last_success = minutes(FINDINGS_LAG + 20)
    raw = [NOW - last_success - minutes(5), NOW - waiting, NOW - minutes(1)]
    status, detail = account.health(State(raw=raw, runs=findings_runs(last_success)))[
        FINDINGS_LAG_CHECK
    ]
    assert status == expected
    if expected == "degraded":
        assert f"allowed: {FINDINGS_LAG} minutes" in detail and "SHOW TASKS" in detail
        assert f"completed at {(NOW - last_success).strftime('%Y-%m-%d %H:%M:%S')}" in detail


def test_a_quiet_stack_has_no_findings_lag(account: Account) -> None:
    """No event loaded since the last success: nothing waits, however long ago that was."""
    quiet = State(raw=[NOW - timedelta(days=3)], runs=findings_runs(timedelta(days=3) - minutes(1)))
    assert account.status(quiet)[FINDINGS_LAG_CHECK] == "ok"
    # Nor when the last events and run are older than TASK_HISTORY's range (silence is down).
    older = State(raw=[NOW - timedelta(days=8)], runs=[])
    found = account.status(older)
    assert found[FINDINGS_LAG_CHECK] == "ok" and found[SILENCE_CHECK] == "down"


def test_a_triggered_cadence_never_trips_findings_lag(account: Account) -> None:
    """Files every 5 minutes for 6 hours; the findings task runs half a minute after each
    landing (a minute after the load), and the newest has not been examined yet."""
    raw = landings(timedelta(hours=6))
    runs = [Run("FINDINGS_TASK", "SUCCEEDED", at + minutes(1)) for at in raw[:-1]]
    found = account.health(State(raw=raw, runs=runs))
    assert found[FINDINGS_LAG_CHECK][0] == "ok", found[FINDINGS_LAG_CHECK]
    # A scheduled task, every interval: each run examines what landed before it.
    scheduled = [Run("FINDINGS_TASK", "SUCCEEDED", NOW - minutes(m)) for m in (2, 12, 22, 32)]
    assert account.status(State(raw=raw, runs=scheduled))[FINDINGS_LAG_CHECK] == "ok"


def test_no_success_in_the_range_while_events_land_is_findings_lag(account: Account) -> None:
    """The findings task has no successful run in TASK_HISTORY's range (it stopped long ago,
    or its last runs failed), and events have landed within the range."""
    raw = landings(timedelta(hours=2))
    for runs in ([], [Run("FINDINGS_TASK", "FAILED", NOW - minutes(30), "boom")]):
        status, detail = account.health(State(raw=raw, runs=runs))[FINDINGS_LAG_CHECK]
        assert status == "degraded"
        assert "older than 167 hours" in detail and "120 minutes" in detail


def test_a_suspended_findings_task_that_aged_out_is_not_recovered(account: Account) -> None:
    """The reviewer's reproduction: FINDINGS_TASK fails SUSPEND_TASK_AFTER_NUM_FAILURES runs and
    is suspended; two days later its runs have left the history, while events keep landing.
    The task row turns ok (no run to judge), but findings_lag stays degraded, so the alert
    reports a change in what fails, never a recovery."""
    alert = Alert(account)
    suspended_at = NOW - minutes(5)
    day0 = State(
        raw=landings(timedelta(hours=3)),
        runs=[
            Run("CLOUDTRAIL_EVENTS_TASK", "SUCCEEDED", NOW - minutes(1)),
            Run("FINDINGS_TASK", "SUCCEEDED", NOW - minutes(120)),
            *(
                Run("FINDINGS_TASK", "FAILED", NOW - minutes(100 - 10 * i), "boom")
                for i in range(9)
            ),
            Run("FINDINGS_TASK", "FAILED_AND_AUTO_SUSPENDED", suspended_at, "boom"),
        ],
    )
    first = alert.run(day0)
    assert first is not None and first.details["status"] == "down"
    assert f"task {FINDINGS_TASK} down" in first.state
    assert f"findings_lag {FINDINGS} degraded" in first.state
    later = NOW + timedelta(days=2)
    day2 = State(
        now=later,
        raw=[later - minutes(m) for m in range(0, 180, 5)],
        runs=[Run("CLOUDTRAIL_EVENTS_TASK", "SUCCEEDED", later - minutes(1))],
    )
    found = account.status(day2)
    assert found[FINDINGS_TASK_CHECK] == "ok"  # what the view cannot see any more
    assert found[FINDINGS_LAG_CHECK] == "degraded"
    second = alert.run(day2)
    assert second is not None
    assert second.state == f"findings_lag {FINDINGS} degraded"
    assert second.details["status"] == "degraded"
    assert "recovered" not in second.summary


# alerts: each alert of the stack, by its last runs.


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([], "ok"),
        ([("TRIGGERED", 10)], "ok"),
        ([("CONDITION_FALSE", 10)], "ok"),
        ([("CONDITION_FAILED", 10)], "degraded"),
        ([("ACTION_FAILED", 10)], "degraded"),
        ([("FAILED", 10)], "degraded"),
        # A condition that evaluates again clears a failed condition.
        ([("CONDITION_FAILED", 20), ("CONDITION_FALSE", 10)], "ok"),
        # A run that sent nothing does not clear a failed send; a run that sent does.
        ([("ACTION_FAILED", 20), ("CONDITION_FALSE", 10)], "degraded"),
        ([("ACTION_FAILED", 20), ("TRIGGERED", 10)], "ok"),
        ([("TRIGGERED", 20), ("ACTION_FAILED", 10)], "degraded"),
        # Neither a scheduled, running nor cancelled run is a verdict.
        ([("CONDITION_FAILED", 20), ("EXECUTING", 1), ("SCHEDULED", 0)], "degraded"),
        ([("ACTION_FAILED", 20), ("CANCELLED", 10)], "degraded"),
    ],
    ids=lambda v: "-".join(f"{s}{m}" for s, m in v) or "none" if isinstance(v, list) else v,
)
def test_an_alert_is_judged_by_its_condition_and_its_last_send(
    account: Account, runs: list[tuple[str, int]], expected: str
) -> None:
    history = [
        AlertRun("FINDINGS_ALERT", state, NOW - minutes(ago), error=f"error {ago}")
        for state, ago in runs
    ]
    found = account.health(State(alert_runs=history))
    assert found[FINDINGS_ALERT_CHECK][0] == expected
    assert found[HEALTH_ALERT_CHECK][0] == "ok"


def test_a_failed_send_says_where_to_look(account: Account) -> None:
    refused = "Alert action failed: a notification destination refused the message"
    runs = [AlertRun("PIPELINE_HEALTH_ALERT", "ACTION_FAILED", NOW - minutes(3), refused)]
    status, detail = account.health(State(alert_runs=runs))[HEALTH_ALERT_CHECK]
    assert status == "degraded"
    assert refused in detail and "A destination refused" in detail
    assert f"{DB}.INFORMATION_SCHEMA.NOTIFICATION_HISTORY" in detail
    assert "DESC INTEGRATION" in detail


def test_a_failed_action_that_no_destination_refused_is_not_blamed_on_one(
    account: Account,
) -> None:
    missing = "Insufficient privileges to operate on database role 'ALERT_VIEWER'"
    runs = [AlertRun("FINDINGS_ALERT", "ACTION_FAILED", NOW - minutes(3), missing)]
    status, detail = account.health(State(alert_runs=runs))[FINDINGS_ALERT_CHECK]
    assert status == "degraded"
    assert missing in detail and "rolled back" in detail
    assert "A destination refused" not in detail


def test_the_view_recognises_the_error_the_actions_raise() -> None:
    """The phrase the alerts check looks for is in the error alert actions declare."""
    declared = sql.load_sql("alert_send_declarations.sql")
    assert "notification destination refused" in declared
    assert "'notification destination refused'" in sql.load_sql("pipeline_health_view.sql")


def test_a_failed_condition_says_nothing_is_sent(account: Account) -> None:
    stale = "Stream FINDINGS_ALERT_STREAM has become stale"
    runs = [AlertRun("FINDINGS_ALERT", "CONDITION_FAILED", NOW - minutes(3), stale)]
    status, detail = account.health(State(alert_runs=runs))[FINDINGS_ALERT_CHECK]
    assert status == "degraded"
    assert stale in detail and "Nothing is sent" in detail


def test_alerts_of_another_schema_are_not_this_stacks(account: Account) -> None:
    runs = [
        AlertRun("FINDINGS_ALERT", "ACTION_FAILED", NOW, database="CLOUDTRAIL_PROD"),
        AlertRun("FINDINGS_ALERT", "CONDITION_FAILED", NOW, schema="OTHER"),
    ]
    assert account.status(State(alert_runs=runs))[FINDINGS_ALERT_CHECK] == "ok"


def test_without_alerting_there_is_no_alert_row() -> None:
    statement = view_statement(alerts=())
    assert "INFORMATION_SCHEMA.ALERT_HISTORY" not in statement
    assert "FINDINGS_ALERT'" not in statement and "PIPELINE_HEALTH_ALERT" not in statement
    found = Account(alerts=()).status(State())
    assert not [check for check in found if check[0] == "alerts"]
    assert {c: s for c, s in found.items()} == {c: s for c, s in ALL_OK.items() if c[0] != "alerts"}


# No detail or status is ever NULL, whatever a source leaves NULL (the clock cannot be).


NULL_STATES = {
    "pipe-status-null": State(pipe=None),
    "pipe-status-empty": State(pipe={}),
    "copy-history-nulls": State(loads=[(None, "Load failed", None, None)]),
    "copy-history-all-null": State(loads=[(None, None, None, None)]),
    "raw-and-events-null": State(raw=[None], landed=[None]),
    "events-null": State(raw=[NOW - minutes(90)], landed=[None]),
    **{
        f"task-{state.lower()}-nulls": State(runs=[Run(task, state, None) for task in health.TASKS])
        for state in ("SUCCEEDED", "FAILED", "FAILED_AND_AUTO_SUSPENDED")
    },
    "task-all-null": State(
        runs=[Run(None, None, None, database=None, schema=None)]  # type: ignore[arg-type]
    ),
    **{
        f"alert-{state.lower()}-nulls": State(
            alert_runs=[AlertRun(alert, state, None) for alert in ALERTS]
        )
        for state in ("TRIGGERED", "CONDITION_FALSE", "CONDITION_FAILED", "ACTION_FAILED")
    },
    "alert-all-null": State(
        alert_runs=[AlertRun(None, None, None, database=None, schema=None)]  # type: ignore[arg-type]
    ),
}


@pytest.mark.parametrize("state", NULL_STATES.values(), ids=NULL_STATES.keys())
def test_no_detail_or_status_is_null(account: Account, state: State) -> None:
    found = account.health(state)
    assert set(found) == set(ALL_OK)
    for check, (status, detail) in found.items():
        assert status in ("ok", "degraded", "down"), check
        assert detail, check


# --- The alert: the no-spam rule --------------------------------------------------------------


@dataclass
class Message:
    at: datetime
    state: str
    summary: str
    details: dict[str, Any]


class Alert:
    """The alert's condition on the view, and when it returns rows, the action's record."""

    def __init__(self, account: Account) -> None:
        self.account = account
        account.execute(f"DELETE FROM {NOTIFIED}")
        self.condition = health.health_condition(VIEW_NAME, NOTIFIED)
        self.record = health.health_record(
            LOCATION, VIEW_NAME, NOTIFIED, condition_result=f"{CANNED}.CONDITION_RESULT"
        )

    def run(self, state: State) -> Message | None:
        self.account.apply(state)
        self.account.execute(
            f"CREATE OR REPLACE TABLE {CANNED}.CONDITION_RESULT AS {self.condition}"
        )
        if not self.account.execute(f"SELECT 1 FROM {CANNED}.CONDITION_RESULT"):
            return None
        self.account.execute(self.record)
        ((at, state_, summary, details),) = self.account.execute(
            f"SELECT notified_at, state, summary, details FROM {NOTIFIED} "
            f"WHERE notified_at = (SELECT MAX(notified_at) FROM {NOTIFIED})"
        )
        return Message(at, state_, summary, json.loads(details))


def healthy(now: datetime) -> State:
    return State(now=now, raw=[now - minutes(5)])


def silent(now: datetime) -> State:
    return State(now=now, raw=[NOW - minutes(SILENCE + 1)])


def test_a_stuck_pipeline_notifies_once_and_its_recovery_once(account: Account) -> None:
    alert = Alert(account)
    sequence = [healthy, silent, silent, silent, healthy]
    sent = [alert.run(make(NOW + minutes(15 * i))) for i, make in enumerate(sequence)]
    down, recovered = sent[1], sent[4]
    assert sent == [None, down, None, None, recovered]
    assert down is not None and recovered is not None
    assert down.state == f"silence {RAW} down"
    assert down.summary.startswith(f"CloudTrail pipeline in {LOCATION} is down. silence of {RAW}")
    assert down.details["status"] == "down" and down.details["reminder"] is False
    assert [c["check_name"] for c in down.details["failing"]] == ["silence"]
    assert recovered.state == ""
    assert recovered.summary.startswith(f"CloudTrail pipeline in {LOCATION} recovered")
    assert f"was: silence {RAW} down" in recovered.summary
    assert recovered.details["status"] == "ok" and recovered.details["failing"] == []


def test_a_healthy_stack_that_never_failed_sends_nothing(account: Account) -> None:
    alert = Alert(account)
    assert [alert.run(healthy(NOW + minutes(15 * i))) for i in range(3)] == [None] * 3


def test_a_failure_that_lasts_is_reminded_every_24_hours(account: Account) -> None:
    alert = Alert(account)
    first = alert.run(silent(NOW))
    assert first is not None
    remind = timedelta(hours=health.REMIND_AFTER_HOURS)
    assert alert.run(silent(NOW + remind - timedelta(seconds=1))) is None
    reminder = alert.run(silent(NOW + remind))
    assert reminder is not None and reminder.state == first.state
    assert reminder.details["reminder"] is True and "(reminder:" in reminder.summary
    # The next reminder counts from this one.
    assert alert.run(silent(NOW + remind + minutes(15))) is None
    assert alert.run(silent(NOW + 2 * remind)) is not None


def test_a_change_in_what_fails_or_how_is_notified(account: Account) -> None:
    alert = Alert(account)
    # It last succeeded after the events landed (at NOW - 10 minutes): none is waiting for it.
    succeeded = Run("FINDINGS_TASK", "SUCCEEDED", NOW - minutes(5))
    failed = [succeeded, Run("FINDINGS_TASK", "FAILED", NOW - minutes(1), "boom")]
    suspended = [
        succeeded,
        Run("FINDINGS_TASK", "FAILED_AND_AUTO_SUSPENDED", NOW - minutes(1), "boom"),
    ]
    degraded = alert.run(State(runs=failed))
    assert degraded is not None and degraded.details["status"] == "degraded"
    # The detail changes (another time, another error) but not the state: nothing new to say.
    again = [succeeded, Run("FINDINGS_TASK", "FAILED", NOW, "another error")]
    assert alert.run(State(now=NOW + minutes(15), runs=again)) is None
    # The same check, worse.
    down = alert.run(State(now=NOW + minutes(30), runs=suspended))
    assert down is not None and down.state == f"task {FINDINGS_TASK} down"
    # Another check fails too.
    both = alert.run(
        State(now=NOW + minutes(45), runs=suspended, pipe={"executionState": "PAUSED"})
    )
    assert both is not None
    assert both.state == f"pipe {PIPE} down, task {FINDINGS_TASK} down"
    assert both.details["status"] == "down" and len(both.details["failing"]) == 2


# --- The component on Pulumi's mocks -----------------------------------------------------------

Deploy = Callable[..., Deployment]


def health_view(deployment: Deployment) -> Any:
    return deployment.named("health-view")


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_the_view_exists_in_every_config_after_what_it_names(
    deploy: Deploy, config: dict[str, str]
) -> None:
    deployment = deploy(config)
    view = health_view(deployment)
    assert view.type == VIEW
    database, schema = view.inputs["database"], view.inputs["schema"]
    assert view.inputs["name"] == "PIPELINE_HEALTH"
    assert deployment.outputs["pipelineHealthView"][0] == f"{database}.{schema}.PIPELINE_HEALTH"
    for needed in (
        "ingest-raw",
        "ingest-pipe",
        "events-events",
        "events-raw-task",
        "findings-events-task",
    ):
        assert deployment.depends_on(view, deployment.named(needed)), needed
    # The alerts the view checks are the stack's: both with alerting, none without.
    alerting = any(r.name == "health-alert" for r in deployment.resources)
    assert alerting == any(r.name == "alerts-alert" for r in deployment.resources)
    assert view.inputs["statement"] == health.pipeline_health_view(
        database,
        schema,
        silence_minutes=60,
        events_interval_minutes=5,
        findings_interval_minutes=10,
        alerts=ALERTS if alerting else (),
    )


def test_settings_reach_the_view_and_the_alert(deploy: Deploy) -> None:
    deployment = deploy(
        {
            **CONFIGS["alerts"],
            "silenceMinutes": "90",
            "eventsIntervalMinutes": "7",
            "findingsIntervalMinutes": "20",
            "healthIntervalMinutes": "30",
        }
    )
    statement = health_view(deployment).inputs["statement"]
    assert "DATEADD('minute', -90, checked_at)" in statement
    assert "DATEADD('minute', -21, checked_at)" in statement
    # findings_lag: 3 findings-task intervals and the events task's 3.
    assert "DATEADD('minute', -81, checked_at)" in statement
    alert = deployment.named("health-alert")
    assert alert.inputs["alertSchedule"] == {"interval": 30}


def test_no_health_alert_without_alerting(deploy: Deploy) -> None:
    deployment = deploy(CONFIGS["default"])
    names = {r.name for r in deployment.resources}
    assert "health-view" in names
    assert not names & {"health-alert", "health-notified"}
    # Nor does the view name an alert: there is none.
    statement = health_view(deployment).inputs["statement"]
    assert "INFORMATION_SCHEMA.ALERT_HISTORY" not in statement
    assert "FINDINGS_ALERT'" not in statement and "PIPELINE_HEALTH_ALERT" not in statement


@pytest.mark.parametrize("config", ["alerts", "one-role"])
def test_the_alert_sends_through_the_destinations_once_they_are_ready(
    deploy: Deploy, config: str
) -> None:
    deployment = deploy(CONFIGS[config])
    alert, view = deployment.named("health-alert"), health_view(deployment)
    notified = deployment.named("health-notified")
    assert alert.type == ALERT and alert.inputs["enabled"] is True
    assert alert.inputs["name"] == "PIPELINE_HEALTH_ALERT"
    assert alert.inputs["warehouse"] == "COMPUTE_WH"
    assert alert.inputs["condition"] == health.health_condition(VIEW_NAME, NOTIFIED)
    integrations = [*deployment.all(EMAIL_INTEGRATION), *deployment.all(NOTIFICATION_INTEGRATION)]
    assert integrations
    for integration in integrations:
        assert f"'{integration.inputs['name']}'" in alert.inputs["action"]
        assert deployment.depends_on(alert, integration), integration.name
    ready = [r for r in deployment.resources if r.name.startswith("notifications-")]
    grants = [r for r in deployment.resources if r.name.startswith("grants-") and "alert" in r.name]
    assert grants
    for needed in (view, notified, *ready, *grants):
        assert deployment.depends_on(alert, needed), needed.name
    assert notified.type == TABLE and notified.retain_on_delete
    assert [c["name"] for c in notified.inputs["columns"]] == [
        c.identifier for c in HEALTH_NOTIFIED_COLUMNS
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"silenceMinutes": "14"},
            r"silenceMinutes = '14' is invalid: expected whole minutes from 15",
        ),
        ({"silenceMinutes": "an hour"}, r"silenceMinutes = 'an hour' is invalid"),
        (
            {"healthIntervalMinutes": "1440"},
            r"healthIntervalMinutes = '1440' is invalid: expected whole minutes from 1 to 1439",
        ),
        ({"healthIntervalMinutes": "0"}, r"healthIntervalMinutes = '0' is invalid"),
    ],
)
def test_bad_health_settings_fail_before_any_resource(
    deploy: Deploy, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        deploy(settings)
    assert declared_resources() == []
