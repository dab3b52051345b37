"""python -m ops status: `assess` rule by rule (the view's rows as they are, SHOW TASKS's verdict
on each task, the worst check decides), then the command end to end on a recording fake that
answers the view's SELECT with rows shaped like PIPELINE_HEALTH's columns and the rest with
rows shaped like Snowflake's (tests/ops_fakes.py): exit codes, --json, a missing view, the
errors a user meets; and once on the real view, on the embedded engine (tests/test_health.py)."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ops_fakes import CannedSnowflake

from lib.schema import PIPELINE_HEALTH_COLUMNS
from ops import cli, health, statements
from ops.health import DEGRADED, DOWN, OK, Extras, PipeInfo, TaskFacts
from ops.session import QueryError, Row
from ops.settings import Connection, SettingsError
from ops.statements import Location

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
CHECKED_AT = NOW - timedelta(seconds=20)
"""The view's clock, not the caller's."""
LOCATION = Location("CLOUDTRAIL_DEV", "AUDIT")
ENV = {"SNOWFLAKE_ACCOUNT": "myorg-myaccount", "SNOWFLAKE_USER": "OPS", "SNOWFLAKE_PASSWORD": "x"}
EVENTS, FINDINGS = "CLOUDTRAIL_EVENTS_TASK", "FINDINGS_TASK"
Q = "CLOUDTRAIL_DEV.AUDIT."
VIEW = f"{Q}PIPELINE_HEALTH"


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def view_row(check: str, subject: str, status: str = OK, detail: str | None = None) -> Row:
    """A row of PIPELINE_HEALTH as the connector gives it (lower-case keys, an aware time)."""
    return {
        "check_name": check,
        "subject": subject,
        "status": status,
        "detail": detail or f"{check} of {subject} is fine.",
        "checked_at": CHECKED_AT,
    }


# The view's checks, as sql/pipeline_health_view.sql names them; `status` knows none of them.
VIEW_CHECKS = [
    ("pipe", f"{Q}CLOUDTRAIL_PIPE"),
    ("load_errors", f"{Q}CLOUDTRAIL_RAW"),
    ("silence", f"{Q}CLOUDTRAIL_RAW"),
    ("event_lag", f"{Q}CLOUDTRAIL_EVENTS"),
    ("findings_lag", f"{Q}FINDINGS"),
    ("task", f"{Q}{EVENTS}"),
    ("task", f"{Q}{FINDINGS}"),
    ("alerts", f"{Q}FINDINGS_ALERT"),
    ("alerts", f"{Q}PIPELINE_HEALTH_ALERT"),
]


def view_rows(**statuses: str) -> list[Row]:
    """Every check ok, but those named (`silence="down"`; a task or alert row by its name)."""
    rows = []
    for check, subject in VIEW_CHECKS:
        key = subject.rsplit(".", 1)[1] if check in ("task", "alerts") else check
        rows.append(view_row(check, subject, statuses.pop(key, OK)))
    assert not statuses, f"no such check: {statuses}"
    return rows


STARTED = TaskFacts(state="started")
HEALTHY = Extras(
    tasks={EVENTS: STARTED, FINDINGS: STARTED},
    pipe=PipeInfo(0, "AWSLogs/123456789012/CloudTrail/x.json.gz", ago(4)),
    findings_by_severity={"high": 3, "medium": 1},
)


def extras_with(name: str, task: TaskFacts | None) -> Extras:
    tasks = {**HEALTHY.tasks, name: task}
    return Extras(
        tasks={n: t for n, t in tasks.items() if t is not None},
        pipe=HEALTHY.pipe,
        findings_by_severity=HEALTHY.findings_by_severity,
    )


def assess(rows: Sequence[Row], extras: Extras = HEALTHY) -> health.Status:
    return health.assess(rows, extras, LOCATION, NOW)


def by_check(status: health.Status) -> dict[tuple[str, str], str]:
    return {(c.check_name, c.subject): c.status for c in status.checks}


# --- assess, pure -----------------------------------------------------------------------------


def test_healthy_is_the_views_rows_then_each_tasks_state() -> None:
    rows = view_rows()
    result = assess(rows)
    assert (result.status, result.exit_status) == (OK, 0)
    assert [vars(c) for c in result.checks[: len(rows)]] == [
        {k: row[k] for k in ("check_name", "subject", "status", "detail")} for row in rows
    ]
    assert [(c.check_name, c.subject, c.status) for c in result.checks[len(rows) :]] == [
        ("task_state", f"{Q}{EVENTS}", OK),
        ("task_state", f"{Q}{FINDINGS}", OK),
    ]
    assert result.checked_at == CHECKED_AT


@pytest.mark.parametrize("status", [DEGRADED, DOWN])
@pytest.mark.parametrize(
    "check",
    ["pipe", "load_errors", "silence", "event_lag", "findings_lag", FINDINGS, "FINDINGS_ALERT"],
)
def test_the_views_status_is_taken_as_it_is(check: str, status: str) -> None:
    """Nothing of the view's is judged again: its status moves only its row, and the exit."""
    result = assess(view_rows(**{check: status}))
    assert result.status == status and result.exit_status == health.STATUSES.index(status)
    # The view's rows and a task_state per task, all ok but this one.
    others = len(VIEW_CHECKS) + 2 - 1
    assert sorted(c.status for c in result.checks) == sorted([status] + [OK] * others)


def test_a_check_status_does_not_know_is_counted_too() -> None:
    """A check added to the view later needs no change here."""
    rows = [*view_rows(), view_row("stream_stale", f"{Q}CLOUDTRAIL_RAW_STREAM", DEGRADED)]
    assert assess(rows).exit_status == 1


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({"pipe": DEGRADED}, 1),
        ({"silence": DOWN, "load_errors": DEGRADED}, 2),
        ({"load_errors": DEGRADED, FINDINGS: DOWN}, 2),
        ({"pipe": DOWN, "event_lag": DEGRADED}, 2),
        ({"pipe": DEGRADED, "silence": DEGRADED, "event_lag": DEGRADED}, 1),
    ],
)
def test_the_exit_status_is_the_worst_check(statuses: dict[str, str], expected: int) -> None:
    """Whatever the order: a down row before, between or after degraded ones."""
    result = assess(view_rows(**statuses))
    assert result.exit_status == expected
    assert result.status == health.STATUSES[expected]


@pytest.mark.parametrize(
    ("task", "detail"),
    [
        (TaskFacts("suspended", "USER_SUSPENDED"), "is suspended (USER_SUSPENDED)"),
        (
            TaskFacts("suspended", "SUSPENDED_DUE_TO_ERRORS"),
            "is suspended (SUSPENDED_DUE_TO_ERRORS)",
        ),
        (TaskFacts("suspended"), "is suspended (no reason given)"),
        (None, "is not listed by SHOW TASKS"),
    ],
    ids=["by-hand", "after-errors", "no-reason", "missing"],
)
@pytest.mark.parametrize("name", [EVENTS, FINDINGS])
def test_show_tasks_makes_a_task_down_when_the_view_says_ok(
    name: str, task: TaskFacts | None, detail: str
) -> None:
    """A task suspended by hand has no run: the view's row stays ok; SHOW TASKS tells."""
    result = assess(view_rows(), extras_with(name, task))
    assert result.exit_status == 2
    checks = by_check(result)
    assert checks.pop(("task_state", f"{Q}{name}")) == DOWN
    assert set(checks.values()) == {OK}
    (check,) = (c for c in result.checks if c.check_name == "task_state" and c.status == DOWN)
    assert detail in check.detail
    if task is not None:
        assert f"ALTER TASK {Q}{name} RESUME" in check.detail


def test_the_last_error_is_added_only_where_the_views_row_lacks_it() -> None:
    error = "Insufficient privileges to operate on table 'CLOUDTRAIL_EVENTS'"
    failed = TaskFacts("started", last_error=error, last_error_at=ago(300))
    # The latest run succeeded, so the view's row does not say why the one before failed.
    (state,) = (
        c
        for c in assess(view_rows(), extras_with(EVENTS, failed)).checks
        if c.check_name == "task_state" and c.subject == f"{Q}{EVENTS}"
    )
    assert state.status == OK
    assert state.detail.endswith(f"Its last failed run at {ago(300).isoformat()}: {error}")
    # The latest run failed: the view's row carries the error, and it is not repeated.
    rows = view_rows()
    rows[4] = view_row("task", f"{Q}{EVENTS}", DEGRADED, f"The last run failed: {error}.")
    result = assess(rows, extras_with(EVENTS, failed))
    assert sum(error in c.detail for c in result.checks) == 1
    assert result.exit_status == 1


def test_a_view_that_cannot_be_judged_is_down() -> None:
    assert assess([]).exit_status == 2
    assert assess([]).checks[0] == health.Check(
        "view", VIEW, DOWN, f"{VIEW} returned no rows: no check to go by."
    )
    assert assess([]).checked_at == NOW
    (check, *_) = assess([view_row("pipe", f"{Q}CLOUDTRAIL_PIPE", "unknown")]).checks
    assert check.status == DOWN and check.detail.startswith("unknown status 'unknown'")


# --- End to end, on rows shaped like the view's and Snowflake's -------------------------------


def pipe_status_json(**extra: Any) -> str:
    report = {
        "executionState": "RUNNING",
        "pendingFileCount": 2,
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


def answers(location: Location = LOCATION, /, **changes: Any) -> dict[str, Any]:
    """Every statement `status` issues and a healthy answer, with `changes` by statement."""
    rows: dict[str, Any] = {
        "pipeline_health": view_rows(),
        "show_tasks": [show_task(EVENTS), show_task(FINDINGS), show_task("OTHER", "suspended")],
        "task_errors": [],
        "pipe_status": [{"pipe_status": pipe_status_json()}],
        "findings_by_severity": [
            {"severity": "high", "findings": 3},
            {"severity": "low", "findings": 7},
        ],
    }
    rows.update(changes)
    return {getattr(statements, name)(location): value for name, value in rows.items()}


def run_status(fake: Any = None, *args: str, env: dict[str, str] = ENV) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def connect(connection: Connection) -> Any:
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
    assert (code, err) == (0, ""), out + err
    assert fake.statements == list(statements.status_statements(LOCATION)) and fake.closed
    assert fake.statements[0] == (
        "SELECT CHECK_NAME, SUBJECT, STATUS, DETAIL, CHECKED_AT FROM " + VIEW
    )
    lines = out.splitlines()
    assert lines[0].split() == ["CHECK", "SUBJECT", "STATUS", "DETAIL"]
    end = 1 + len(VIEW_CHECKS) + 2
    assert [line.split()[:3] for line in lines[1:end]] == [
        *([check, subject, OK] for check, subject in VIEW_CHECKS),
        ["task_state", f"{Q}{EVENTS}", OK],
        ["task_state", f"{Q}{FINDINGS}", OK],
    ]
    assert lines[end:] == [
        "",
        "pipe: 2 files pending; last file loaded "
        "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/27/f.json.gz, 3 min ago",
        "findings, last 24 h: high 3, low 7",
        f"checked at {CHECKED_AT.isoformat()} by {VIEW}",
        "status: ok",
    ]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"pipeline_health": view_rows(load_errors=DEGRADED)}, 1),
        ({"pipeline_health": view_rows(silence=DOWN)}, 2),
        ({"pipeline_health": view_rows(pipe=DOWN, event_lag=DEGRADED)}, 2),
        # SHOW TASKS's verdict on a task the view calls ok.
        (
            {"show_tasks": [show_task(EVENTS, "suspended", "USER_SUSPENDED"), show_task(FINDINGS)]},
            2,
        ),
        ({"show_tasks": [show_task(EVENTS)]}, 2),
    ],
    ids=["degraded", "down", "down-and-degraded", "task-suspended-by-hand", "task-missing"],
)
def test_status_exits_with_the_worst_check(changes: dict[str, Any], code: int) -> None:
    status, out, _ = run_status(CannedSnowflake(answers(**changes)))
    assert status == code
    assert out.endswith(f"status: {health.STATUSES[code]}\n")


def test_status_shows_the_last_task_error_the_view_does_not() -> None:
    failed = {
        "name": FINDINGS,
        "state": "FAILED",
        "error_message": "SQL compilation error: invalid identifier 'EVENTNAME'",
        "completed_time": ago(200),
    }
    code, out, _ = run_status(CannedSnowflake(answers(task_errors=[failed])))
    assert code == 0
    (line,) = (x for x in out.splitlines() if x.startswith("task_state") and FINDINGS in x)
    assert line.endswith(
        f"Its last failed run at {ago(200).isoformat()}: "
        "SQL compilation error: invalid identifier 'EVENTNAME'"
    )


def test_status_json() -> None:
    code, out, _ = run_status(CannedSnowflake(answers()), "--json")
    document = json.loads(out)
    assert code == 0
    assert set(document) == {"status", "checked_at", "view", "checks", "pipe", "tasks", "findings"}
    assert (document["status"], document["checked_at"], document["view"]) == (
        "ok",
        CHECKED_AT.isoformat(),
        VIEW,
    )
    assert len(document["checks"]) == len(VIEW_CHECKS) + 2
    assert all(set(c) == {"check_name", "subject", "status", "detail"} for c in document["checks"])
    assert document["pipe"] == {
        "pending_file_count": 2,
        "last_loaded_file": "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/27/f.json.gz",
        "last_loaded_at": "2026-11-27T15:26:12.345000+00:00",
        "last_loaded_age_minutes": 3,
    }
    assert document["tasks"][f"{Q}{EVENTS}"] == {
        "state": "started",
        "last_suspended_reason": None,
        "last_error": None,
        "last_error_at": None,
    }
    assert document["findings"] == {"hours": 24, "by_severity": {"high": 3, "low": 7}}


def test_status_json_down_on_a_suspended_task() -> None:
    suspended = [show_task(EVENTS), show_task(FINDINGS, "suspended", "USER_SUSPENDED")]
    code, out, _ = run_status(CannedSnowflake(answers(show_tasks=suspended)), "--json")
    document = json.loads(out)
    assert code == 2 and document["status"] == "down"
    assert document["tasks"][f"{Q}{FINDINGS}"]["last_suspended_reason"] == "USER_SUSPENDED"


NOT_THERE = QueryError(
    "002003 (42S02): 01b8c3a2-0000-1234-0000-0001a2b3c4d5: SQL compilation error:"
)


def test_a_stack_without_the_view_is_told_to_run_pulumi_up() -> None:
    missing = answers(pipeline_health=NOT_THERE, show_view=[])
    fake = CannedSnowflake(missing)
    code, out, err = run_status(fake)
    assert (code, out) == (2, "") and fake.closed
    assert fake.statements == [statements.pipeline_health(LOCATION), statements.show_view(LOCATION)]
    assert err == (
        f"ops: {VIEW} does not exist (or role SYSADMIN cannot see it): the stack was deployed "
        "before the PIPELINE_HEALTH view, whose checks status reads; run `pulumi up` to create it\n"
    )


@pytest.mark.parametrize(
    "show_view",
    [[{"name": "PIPELINE_HEALTH", "database_name": "CLOUDTRAIL_DEV"}], QueryError("refused")],
    ids=["view-there", "show-refused"],
)
def test_a_view_that_fails_otherwise_reports_its_own_error(show_view: Any) -> None:
    """The view is there, but what it reads is not (a pipe dropped): Snowflake's line, not
    `pulumi up`; the SHOW's own failure does not hide the view's."""
    broken = QueryError("002003 (02000): SQL compilation error: Pipe 'CLOUDTRAIL_PIPE' does not")
    code, out, err = run_status(
        CannedSnowflake(answers(pipeline_health=broken, show_view=show_view))
    )
    assert (code, out) == (2, "")
    assert err.startswith("ops: Snowflake refused a statement: 002003 (02000)")
    assert err.count("\n") == 1 and "pulumi up" not in err


def test_a_refused_extra_statement_is_one_line_and_exit_2() -> None:
    refused = answers(show_tasks=QueryError("003001 (42501): Insufficient privileges"))
    code, out, err = run_status(CannedSnowflake(refused))
    assert (code, out) == (2, "")
    assert err.startswith("ops: Snowflake refused a statement: 003001") and err.count("\n") == 1


@pytest.mark.parametrize("flag", ["--silence-minutes", "--lag-minutes"])
def test_the_thresholds_are_the_views_not_flags(flag: str) -> None:
    code, _, err = run_status(None, flag, "30")
    assert code == 2 and f"unrecognized arguments: {flag} 30" in err


def test_help_says_where_the_thresholds_live() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["status", "--help"], out=out, err=err, env=ENV) == 0
    text = " ".join(out.getvalue().split())
    assert "rows of the deployed PIPELINE_HEALTH view" in text
    assert "silenceMinutes and 3 x eventsIntervalMinutes" in text
    assert "no PIPELINE_HEALTH view (a stack deployed before it: run pulumi up)" in text


def test_status_agrees_with_the_real_view() -> None:
    """The SELECT runs on PIPELINE_HEALTH as deployed (sql/pipeline_health_view.sql on the
    embedded engine, Snowflake's sources canned: tests/test_health.py), and status exits with
    the view's worst status."""
    from test_health import NOW as VIEW_NOW
    from test_health import Account, State

    account = Account()

    class ViewAndCanned(CannedSnowflake):
        def query(self, statement: str) -> list[Row]:
            if statement != statements.pipeline_health(LOCATION):
                return super().query(statement)
            self.statements.append(statement)
            names = [c.name for c in PIPELINE_HEALTH_COLUMNS]
            return [dict(zip(names, row, strict=True)) for row in account.execute(statement)]

    for state, code in [
        (State(), 0),
        (State(loads=[("x.json.gz", "Load failed", "Bad JSON", VIEW_NOW)]), 1),
        (State(raw=[]), 2),  # no file ever loaded: silence is down
    ]:
        account.apply(state)
        status, out, err = run_status(ViewAndCanned(answers()), "--json")
        assert status == code, out + err
        rows = account.execute(
            f"SELECT check_name, subject, status FROM {VIEW} ORDER BY check_name, subject"
        )
        shown = sorted(
            (c["check_name"], c["subject"], c["status"])
            for c in json.loads(out)["checks"]
            if c["check_name"] != "task_state"
        )
        assert shown == [tuple(row) for row in rows]


# --- Settings and connection ------------------------------------------------------------------


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
    assert (
        f"CLOUDTRAIL_TEAM_A.LOGS.{EVENTS}" in out.getvalue()
    )  # task_state names this stack's task
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
