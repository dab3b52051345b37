"""Pipeline health: the PIPELINE_HEALTH view and PIPELINE_HEALTH_ALERT's SQL (lib/health.py) on the
embedded engine, with Snowflake's own sources (SYSTEM$PIPE_STATUS, COPY_HISTORY, TASK_HISTORY)
and the clock replaced by canned rows of the shape Snowflake documents; the no-spam rule over a
sequence of states; then the PipelineHealth component on Pulumi's mocks.

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
SILENCE = 60
EVENTS_INTERVAL = 5
LAG = health.EVENT_LAG_INTERVALS * EVENTS_INTERVAL
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RUNNING = {"executionState": "RUNNING", "pendingFileCount": 0}
CANNED = "CANNED.SOURCES"

Check = tuple[str, str]
"""(CHECK_NAME, SUBJECT): one row of the view."""


def view_statement(silence: int = SILENCE) -> str:
    return health.pipeline_health_view(
        DB, SCHEMA, silence_minutes=silence, events_interval_minutes=EVENTS_INTERVAL
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
        health.health_condition(VIEW_NAME, NOTIFIED),
        health.health_record(LOCATION, VIEW_NAME, NOTIFIED),
        action(email=True, sns=True),
        action(email=True, sns=False),
        action(email=False, sns=True),
    ],
    ids=["view", "condition", "record", "action", "action-email", "action-sns"],
)
def test_statement_parses(statement: str) -> None:
    assert parses(statement)


def test_view_reads_snowflakes_sources_for_this_stack() -> None:
    statement = view_statement()
    assert f"SYSTEM$PIPE_STATUS('{PIPE}')" in statement
    assert f"TABLE({DB}.INFORMATION_SCHEMA.COPY_HISTORY(" in statement
    assert f"TABLE_NAME => '{RAW}'" in statement
    assert f"DATEADD('hour', -{health.LOAD_ERROR_HOURS}, CURRENT_TIMESTAMP())" in statement
    assert f"TABLE({DB}.INFORMATION_SCHEMA.TASK_HISTORY(" in statement
    # TASK_HISTORY refuses a range older than 7 days, and returns RESULT_LIMIT rows at most.
    assert "SCHEDULED_TIME_RANGE_START => DATEADD('day', -7, CURRENT_TIMESTAMP())" in statement
    assert "RESULT_LIMIT => 10000" in statement
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
    completed: datetime
    error: str | None = None
    database: str = DB
    schema: str = SCHEMA


@dataclass
class State:
    """What Snowflake's sources and the two tables show at `now`."""

    now: datetime = NOW
    pipe: dict[str, Any] = field(default_factory=lambda: dict(RUNNING))
    loads: Sequence[tuple[str, str, str | None, datetime]] = field(default_factory=list)
    """COPY_HISTORY: (FILE_NAME, STATUS, FIRST_ERROR_MESSAGE, LAST_LOAD_TIME)."""
    raw: list[datetime] = field(default_factory=lambda: [NOW - timedelta(minutes=10)])
    """The raw table's LOADED_AT, one per file."""
    landed: list[datetime] | None = None
    """The events' loadedAt; None: every raw file's."""
    runs: list[Run] = field(default_factory=list)


class Account:
    """A fakesnow account with the raw and events tables, canned tables for Snowflake's sources,
    and the view reading them; `apply` sets a state and `health` reads the view."""

    def __init__(self, silence: int = SILENCE) -> None:
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
        statement = with_sources(view_statement(silence), sources)
        self.execute(f"CREATE VIEW {VIEW_NAME} AS {statement}")

    def execute(self, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        self._cursor.execute(statement, params)
        return [tuple(row) for row in self._cursor.fetchall()]

    def apply(self, state: State) -> None:
        for table in ("CLOCK", "PIPE_STATUS", "COPY_HISTORY", "TASK_HISTORY"):
            self.execute(f"DELETE FROM {CANNED}.{table}")
        self.execute(f"DELETE FROM {RAW}")
        self.execute(f"DELETE FROM {EVENTS}")
        self.execute(f"INSERT INTO {CANNED}.CLOCK VALUES (%s)", [state.now.isoformat()])
        self.execute(f"INSERT INTO {CANNED}.PIPE_STATUS VALUES (%s)", [json.dumps(state.pipe)])
        for name, status, error, at in state.loads:
            self.execute(
                f"INSERT INTO {CANNED}.COPY_HISTORY "
                "(FILE_NAME, STATUS, FIRST_ERROR_MESSAGE, LAST_LOAD_TIME, TABLE_NAME) "
                "VALUES (%s, %s, %s, %s, 'CLOUDTRAIL_RAW')",
                [name, status, error, at.isoformat()],
            )
        for run in state.runs:
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
                    (run.completed - timedelta(seconds=30)).isoformat(),
                    run.completed.isoformat(),
                ],
            )
        for i, at in enumerate(state.raw):
            self.execute(
                f"INSERT INTO {RAW} (RECORD, FILENAME, LOADED_AT) "
                "SELECT PARSE_JSON('{}'), %s, %s::TIMESTAMP_LTZ",
                [f"file-{i}.json.gz", at.isoformat()],
            )
        for at in state.raw if state.landed is None else state.landed:
            self.execute(
                f"INSERT INTO {EVENTS} (eventID, loadedAt) VALUES ('e', %s::TIMESTAMP_LTZ)",
                [at.isoformat()],
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
EVENTS_TASK_CHECK = ("task", EVENTS_TASK)
FINDINGS_TASK_CHECK = ("task", FINDINGS_TASK)
ALL_OK = dict.fromkeys(
    (PIPE_CHECK, LOAD_ERRORS, SILENCE_CHECK, EVENT_LAG, EVENTS_TASK_CHECK, FINDINGS_TASK_CHECK),
    "ok",
)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


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
    failed = [Run("FINDINGS_TASK", "FAILED", NOW - minutes(1), "boom")]
    suspended = [Run("FINDINGS_TASK", "FAILED_AND_AUTO_SUSPENDED", NOW - minutes(1), "boom")]
    degraded = alert.run(State(runs=failed))
    assert degraded is not None and degraded.details["status"] == "degraded"
    # The detail changes (another time, another error) but not the state: nothing new to say.
    again = [Run("FINDINGS_TASK", "FAILED", NOW, "another error")]
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
    assert view.inputs["statement"] == health.pipeline_health_view(
        database, schema, silence_minutes=60, events_interval_minutes=5
    )


def test_settings_reach_the_view_and_the_alert(deploy: Deploy) -> None:
    deployment = deploy(
        {
            **CONFIGS["alerts"],
            "silenceMinutes": "90",
            "eventsIntervalMinutes": "7",
            "healthIntervalMinutes": "30",
        }
    )
    statement = health_view(deployment).inputs["statement"]
    assert "DATEADD('minute', -90, checked_at)" in statement
    assert "DATEADD('minute', -21, checked_at)" in statement
    alert = deployment.named("health-alert")
    assert alert.inputs["alertSchedule"] == {"interval": 30}


def test_no_health_alert_without_alerting(deploy: Deploy) -> None:
    deployment = deploy(CONFIGS["default"])
    names = {r.name for r in deployment.resources}
    assert "health-view" in names
    assert not names & {"health-alert", "health-notified"}


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
