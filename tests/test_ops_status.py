"""python -m ops status: the classifier rule by rule (each condition alone moves its check),
then the command end to end on a recording fake answering with rows shaped like Snowflake's
(tests/ops_fakes.py): exit codes, --json, and the errors a user meets."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ops_fakes import CannedSnowflake

from ops import cli, health, statements
from ops.health import DEGRADED, DOWN, OK, Facts, LoadProblem, PipeStatus, TaskFacts
from ops.session import QueryError, Row
from ops.settings import Connection, SettingsError
from ops.statements import Location

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
THRESHOLDS = health.Thresholds(silence=timedelta(minutes=60), lag=timedelta(minutes=15))
LOCATION = Location("CLOUDTRAIL_DEV", "AUDIT")
ENV = {"SNOWFLAKE_ACCOUNT": "myorg-myaccount", "SNOWFLAKE_USER": "OPS", "SNOWFLAKE_PASSWORD": "x"}
EVENTS, FINDINGS = "CLOUDTRAIL_EVENTS_TASK", "FINDINGS_TASK"


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def healthy_task() -> TaskFacts:
    return TaskFacts(state="started", last_run_state="SUCCEEDED", last_run_at=ago(2))


HEALTHY = Facts(
    pipe=PipeStatus("RUNNING", 0, ago(4), "AWSLogs/123456789012/CloudTrail/x.json.gz"),
    last_load_file="AWSLogs/123456789012/CloudTrail/x.json.gz",
    last_load_at=ago(4),
    load_problems=(),
    tasks={EVENTS: healthy_task(), FINDINGS: healthy_task()},
    raw_loaded_at=ago(4),
    events_loaded_at=ago(4),
    findings_by_severity={"high": 3, "medium": 1},
)


def statuses(facts: Facts) -> dict[tuple[str, str], str]:
    return {(c.check_name, c.subject): c.status for c in health.classify(facts, THRESHOLDS, NOW)}


def with_task(name: str, **changes: Any) -> Facts:
    tasks = dict(HEALTHY.tasks)
    tasks[name] = dataclasses.replace(tasks[name], **changes)
    return dataclasses.replace(HEALTHY, tasks=tasks)


def test_healthy_is_ok_everywhere() -> None:
    checks = statuses(HEALTHY)
    assert set(checks.values()) == {OK}
    assert len(checks) == 8  # pipe state and last load, load errors, 2 x 2 task checks, lag


SILENT = {"pipe": PipeStatus("RUNNING", 0, ago(61)), "last_load_at": ago(61)}
PROBLEM = LoadProblem("Load failed", 2, ago(30), "AWSLogs/a.json.gz", "Error parsing JSON")

CASES = [
    # down
    (
        {"pipe": PipeStatus("STOPPED_STAGE_DROPPED", 3, ago(4))},
        ("pipe_state", "CLOUDTRAIL_PIPE"),
        DOWN,
    ),
    ({"pipe": PipeStatus(None)}, ("pipe_state", "CLOUDTRAIL_PIPE"), DOWN),
    (SILENT, ("pipe_last_load", "CLOUDTRAIL_PIPE"), DOWN),
    (
        {"pipe": PipeStatus("RUNNING", 0, None), "last_load_at": None},
        ("pipe_last_load", "CLOUDTRAIL_PIPE"),
        DOWN,
    ),
    ({"tasks": {FINDINGS: healthy_task()}}, ("task_state", EVENTS), DOWN),
    # degraded
    (
        {"pipe": PipeStatus("RUNNING", 0, ago(4), error="Remote file not found")},
        ("pipe_state", "CLOUDTRAIL_PIPE"),
        DEGRADED,
    ),
    ({"load_problems": (PROBLEM,)}, ("load_errors", "CLOUDTRAIL_RAW"), DEGRADED),
    ({"events_loaded_at": ago(20)}, ("event_lag", "CLOUDTRAIL_EVENTS"), DEGRADED),
    ({"events_loaded_at": None}, ("event_lag", "CLOUDTRAIL_EVENTS"), DEGRADED),
]


@pytest.mark.parametrize(("changes", "check", "expected"), CASES)
def test_each_condition_moves_its_check_alone(
    changes: dict[str, Any], check: tuple[str, str], expected: str
) -> None:
    checks = statuses(dataclasses.replace(HEALTHY, **changes))
    assert checks.pop(check) == expected
    assert set(checks.values()) == {OK}, checks


@pytest.mark.parametrize(
    ("changes", "check", "expected"),
    [
        (
            {"state": "suspended", "last_suspended_reason": "SUSPENDED_DUE_TO_ERRORS"},
            "task_state",
            DOWN,
        ),
        ({"state": "suspended", "last_suspended_reason": "USER_SUSPENDED"}, "task_state", DOWN),
        ({"last_run_state": "FAILED"}, "task_last_run", DEGRADED),
        ({"last_run_state": "FAILED_AND_AUTO_SUSPENDED"}, "task_last_run", DEGRADED),
        # An old failure followed by a good run is reported, not held against the task.
        ({"last_error": "boom", "last_error_at": ago(300)}, "task_last_run", OK),
        # A triggered task with nothing to do does not run.
        ({"last_run_state": None, "last_run_at": None}, "task_last_run", OK),
    ],
)
@pytest.mark.parametrize("task", [EVENTS, FINDINGS])
def test_each_task_condition_moves_its_check_alone(
    task: str, changes: dict[str, Any], check: str, expected: str
) -> None:
    checks = statuses(with_task(task, **changes))
    assert checks.pop((check, task)) == expected
    assert set(checks.values()) == {OK}, checks


@pytest.mark.parametrize(
    ("minutes", "expected"), [(60, OK), (61, DOWN)], ids=["at-threshold", "past-it"]
)
def test_silence_threshold_boundary(minutes: int, expected: str) -> None:
    facts = dataclasses.replace(
        HEALTHY, pipe=PipeStatus("RUNNING", 0, ago(minutes)), last_load_at=ago(minutes)
    )
    assert statuses(facts)[("pipe_last_load", "CLOUDTRAIL_PIPE")] == expected


@pytest.mark.parametrize(("behind", "expected"), [(15, OK), (16, DEGRADED)])
def test_lag_threshold_boundary(behind: int, expected: str) -> None:
    facts = dataclasses.replace(HEALTHY, events_loaded_at=ago(4 + behind))
    assert statuses(facts)[("event_lag", "CLOUDTRAIL_EVENTS")] == expected


def test_the_newest_of_the_pipes_report_and_the_copy_history_counts() -> None:
    """Either source alone can lag or be missing; a load either saw is a load."""
    facts = dataclasses.replace(HEALTHY, pipe=PipeStatus("RUNNING", 0, ago(300)))
    assert statuses(facts)[("pipe_last_load", "CLOUDTRAIL_PIPE")] == OK
    facts = dataclasses.replace(HEALTHY, last_load_at=None, last_load_file=None)
    assert statuses(facts)[("pipe_last_load", "CLOUDTRAIL_PIPE")] == OK


def test_overall_is_the_worst_check() -> None:
    both = dataclasses.replace(
        HEALTHY, load_problems=(PROBLEM,), pipe=PipeStatus("PAUSED", 0, ago(4))
    )
    assert health.overall(health.classify(both, THRESHOLDS, NOW)) == DOWN
    assert (
        health.overall(
            health.classify(dataclasses.replace(HEALTHY, load_problems=(PROBLEM,)), THRESHOLDS, NOW)
        )
        == DEGRADED
    )


# End to end, on rows shaped like Snowflake's.


def pipe_status_json(state: str = "RUNNING", **extra: Any) -> str:
    report = {
        "executionState": state,
        "pendingFileCount": 0,
        "lastIngestedTimestamp": "2026-11-27T15:26:12.345Z",
        "lastIngestedFilePath": "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/27/f.json.gz",
        "notificationChannelName": "arn:aws:sqs:eu-west-1:000000000000:sf-snowpipe-x",
        "numOutstandingMessagesOnChannel": 0,
        "lastReceivedMessageTimestamp": "2026-11-27T15:26:10.001Z",
        "lastForwardedMessageTimestamp": "2026-11-27T15:26:11.002Z",
        **extra,
    }
    return json.dumps(report)


def show_task(name: str, state: str = "started", reason: str | None = None) -> Row:
    """A row of SHOW TASKS (lower-case columns), the ones that matter and some beside."""
    return {
        "created_on": ago(10000),
        "name": name,
        "database_name": "CLOUDTRAIL_DEV",
        "schema_name": "AUDIT",
        "owner": "SYSADMIN",
        "warehouse": None,
        "schedule": None,
        "state": state,
        "condition": "SYSTEM$STREAM_HAS_DATA('...')",
        "last_suspended_on": None if reason is None else ago(90),
        "last_suspended_reason": reason,
    }


def answers(location: Location = LOCATION, /, **changes: list[Row]) -> dict[str, list[Row]]:
    """Every statement `status` issues and a healthy answer, with `changes` by statement."""
    rows: dict[str, list[Row]] = {
        "pipe_status": [{"pipe_status": pipe_status_json()}],
        "last_load": [{"file_name": "AWSLogs/f.json.gz", "last_load_time": ago(4)}],
        "load_problems": [],
        "show_tasks": [
            show_task(EVENTS),
            show_task(FINDINGS),
            show_task("OTHER_TASK", "suspended"),
        ],
        "task_runs": [
            {"name": EVENTS, "state": "SUCCEEDED", "error_message": None, "completed_time": ago(3)},
            {
                "name": FINDINGS,
                "state": "SUCCEEDED",
                "error_message": None,
                "completed_time": ago(2),
            },
        ],
        "task_errors": [],
        "event_lag": [{"raw_loaded_at": ago(4), "events_loaded_at": ago(4)}],
        "findings_by_severity": [
            {"severity": "high", "findings": 3},
            {"severity": "low", "findings": 7},
        ],
    }
    rows.update(changes)
    return {getattr(statements, name)(location): value for name, value in rows.items()}


def run_status(
    fake: CannedSnowflake | None = None, *args: str, env: dict[str, str] = ENV
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def connect(connection: Connection) -> CannedSnowflake:
        assert fake is not None
        return fake

    code = cli.main(
        ["status", "--database", "CLOUDTRAIL_DEV", *args],
        out=out,
        err=err,
        env=env,
        connect_to=connect,
        now=NOW,
    )
    return code, out.getvalue(), err.getvalue()


def test_status_healthy_exits_0_with_a_table() -> None:
    fake = CannedSnowflake(answers())
    code, out, err = run_status(fake)
    assert code == 0, out + err
    assert fake.statements == list(statements.status_statements(LOCATION)) and fake.closed
    assert "pipe_state      CLOUDTRAIL_PIPE" in out
    assert "findings, last 24 h: high 3, low 7" in out
    assert out.endswith("status: ok\n")


def test_status_degraded_exits_1() -> None:
    problems = [
        {
            "status": "Load failed",
            "files": 2,
            "latest_at": ago(30),
            "latest_file": "AWSLogs/a.json.gz",
            "latest_error": "Error parsing JSON: incomplete object value",
        }
    ]
    code, out, _ = run_status(CannedSnowflake(answers(load_problems=problems)))
    assert code == 1
    assert "2 load failed in the last 24 h; latest AWSLogs/a.json.gz: Error parsing JSON" in out


def test_status_failed_last_run_exits_1_with_the_error() -> None:
    failed = {
        "name": EVENTS,
        "state": "FAILED",
        "error_message": "Insufficient privileges to operate on table 'CLOUDTRAIL_EVENTS'",
        "completed_time": ago(1),
    }
    runs = [failed, answers()[statements.task_runs(LOCATION)][1]]
    code, out, _ = run_status(CannedSnowflake(answers(task_runs=runs, task_errors=[failed])))
    assert code == 1
    assert "Insufficient privileges" in out


@pytest.mark.parametrize(
    "changes",
    [
        {"pipe_status": [{"pipe_status": pipe_status_json("STOPPED_STAGE_ALTERED")}]},
        {
            "show_tasks": [
                show_task(EVENTS, "suspended", "SUSPENDED_DUE_TO_ERRORS"),
                show_task(FINDINGS),
            ]
        },
        {
            "pipe_status": [
                {"pipe_status": json.dumps({"executionState": "RUNNING", "pendingFileCount": 0})}
            ],
            "last_load": [],
        },
    ],
    ids=["pipe-stopped", "task-suspended", "silent"],
)
def test_status_down_exits_2(changes: dict[str, list[Row]]) -> None:
    code, out, _ = run_status(CannedSnowflake(answers(**changes)))
    assert code == 2
    assert out.endswith("status: down\n")


def test_status_json() -> None:
    code, out, _ = run_status(CannedSnowflake(answers()), "--json")
    document = json.loads(out)
    assert code == 0
    assert set(document) == {
        "status",
        "checked_at",
        "lookback_hours",
        "checks",
        "pipe",
        "last_load",
        "load_problems",
        "tasks",
        "event_lag",
        "findings_by_severity",
    }
    assert document["status"] == "ok" and document["lookback_hours"] == 24
    assert set(document["checks"][0]) == {"check_name", "subject", "status", "detail"}
    assert document["pipe"]["execution_state"] == "RUNNING"
    assert document["last_load"]["age_minutes"] == 3  # the pipe's own report is newer
    assert document["tasks"][EVENTS]["state"] == "started"
    assert document["findings_by_severity"] == {"high": 3, "low": 7}


def test_the_lag_threshold_follows_the_flag() -> None:
    lagging = {"event_lag": [{"raw_loaded_at": ago(4), "events_loaded_at": ago(30)}]}
    assert run_status(CannedSnowflake(answers(**lagging)))[0] == 1
    assert run_status(CannedSnowflake(answers(**lagging)), "--lag-minutes", "30")[0] == 0


def test_a_refused_query_is_one_line_and_exit_2() -> None:
    refused = answers()
    refused[statements.pipe_status(LOCATION)] = QueryError(  # type: ignore[assignment]
        "002003 (02000): SQL compilation error: "
        "Pipe 'CLOUDTRAIL_PIPE' does not exist or not authorized."
    )
    fake = CannedSnowflake(refused)
    code, out, err = run_status(fake)
    assert code == 2 and out == "" and fake.closed
    assert err.startswith("ops: Snowflake refused a statement: 002003") and err.count("\n") == 1


def test_a_connection_failure_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real connect: the connector's error becomes a line naming what to check."""
    import snowflake.connector
    from snowflake.connector.errors import DatabaseError

    def refuse(**arguments: Any) -> None:
        assert arguments["account"] == "myorg-myaccount" and arguments["password"] == "x"
        raise DatabaseError("250001: Could not connect to Snowflake backend after 2 attempt(s).")

    monkeypatch.setattr(snowflake.connector, "connect", refuse)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["status", "--database", "D"], out=out, err=err, env=ENV, now=NOW)
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue() == (
        "ops: cannot connect to Snowflake account myorg-myaccount as OPS with role SYSADMIN: "
        "250001: Could not connect to Snowflake backend after 2 attempt(s).. Check the account "
        "(SNOWFLAKE_ACCOUNT, or SNOWFLAKE_ORGANIZATION_NAME and SNOWFLAKE_ACCOUNT_NAME), the "
        "user and its key or password\n"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SNOWFLAKE_USER": "OPS", "SNOWFLAKE_PASSWORD": "x"},
            "no Snowflake account: set --account or SNOWFLAKE_ACCOUNT",
        ),
        (
            {"SNOWFLAKE_ACCOUNT": "a-b", "SNOWFLAKE_PASSWORD": "x"},
            "no Snowflake user: set --user or SNOWFLAKE_USER",
        ),
        (
            {"SNOWFLAKE_ACCOUNT": "a-b", "SNOWFLAKE_USER": "OPS"},
            "no credential for Snowflake user OPS: set SNOWFLAKE_PRIVATE_KEY_FILE",
        ),
        (
            {**ENV, "SNOWFLAKE_PASSWORD": "", "SNOWFLAKE_PRIVATE_KEY": "not a key"},
            "the private key is not a usable PEM key",
        ),
    ],
    ids=["account", "user", "credential", "bad-key"],
)
def test_missing_settings_name_what_to_set(env: dict[str, str], message: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["status", "--database", "D"], out=out, err=err, env=env, now=NOW)
    assert code == 2 and err.getvalue().startswith(f"ops: {message}"), err.getvalue()
    assert err.getvalue().count("\n") == 1


STACK_FILE = """\
config:
  aws:region: eu-west-1
  snowflake:organizationName: MYORG
  snowflake:accountName: MYACCOUNT
  snowflake:user: PULUMI_DEPLOYER
  snowflake:authenticator: SNOWFLAKE_JWT
  snowflake:privateKey:
    secure: v1:abcdef==
  snowflake:previewFeaturesEnabled:
    - snowflake_alert_resource
  cloudtrail-snowflake:snowflakeSchema: LOGS
  cloudtrail-snowflake:createTrail: true
  cloudtrail-snowflake:eventsIntervalMinutes: 10
"""


def test_stack_file_gives_the_names_as_the_program_derives_them(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.team-a.yaml").write_text(STACK_FILE)
    seen: list[Connection] = []
    fake_answers = answers(Location("CLOUDTRAIL_TEAM_A", "LOGS"))

    def connect(connection: Connection) -> CannedSnowflake:
        seen.append(connection)
        return CannedSnowflake(fake_answers)

    out, err = io.StringIO(), io.StringIO()
    # An ambient SNOWFLAKE_DATABASE must not point the check at another stack.
    env = {"SNOWFLAKE_PASSWORD": "x", "SNOWFLAKE_DATABASE": "OTHER", "SNOWFLAKE_ACCOUNT": "x-y"}
    code = cli.main(
        ["status", "--stack", "team-a"],
        out=out,
        err=err,
        env=env,
        connect_to=connect,
        now=NOW,
        project_dir=tmp_path,
    )
    assert code == 0, err.getvalue()
    (connection,) = seen
    assert (connection.account, connection.user) == ("MYORG-MYACCOUNT", "PULUMI_DEPLOYER")
    assert (connection.database, connection.schema, connection.role, connection.warehouse) == (
        "CLOUDTRAIL_TEAM_A",
        "LOGS",
        "SYSADMIN",
        "COMPUTE_WH",
    )
    assert connection.password == "x" and connection.authenticator is None


def test_stack_secrets_are_encrypted_so_the_error_says_so(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK_FILE)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["status", "--stack", "dev"], out=out, err=err, env={}, now=NOW, project_dir=tmp_path
    )
    assert code == 2
    assert (
        "snowflake:privateKey in Pulumi.dev.yaml is encrypted by Pulumi and not read"
        in err.getvalue()
    )


def test_an_invalid_stack_setting_is_named(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK_FILE.replace("LOGS", "'1-bad'"))
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["status", "--stack", "dev"], out=out, err=err, env=ENV, now=NOW, project_dir=tmp_path
    )
    assert code == 2
    assert err.getvalue().startswith(
        "ops: Pulumi.dev.yaml: cloudtrail-snowflake:snowflakeSchema = '1-bad'"
    )


def test_settings_error_from_connect_exits_2() -> None:
    def refuse(connection: Connection) -> CannedSnowflake:
        raise SettingsError("cannot connect to Snowflake account a-b as OPS: nope")

    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["status", "--database", "D"], out=out, err=err, env=ENV, connect_to=refuse, now=NOW
    )
    assert (code, err.getvalue()) == (
        2,
        "ops: cannot connect to Snowflake account a-b as OPS: nope\n",
    )
