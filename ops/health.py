"""`python -m ops status`: what is read from Snowflake (`Facts`), and the one rule that turns it
into checks, each ok, degraded or down (`classify`, pure). The checks have the shape of a row of
the PIPELINE_HEALTH view (CHECK_NAME, SUBJECT, STATUS, DETAIL), so the two can be aligned."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lib.schema import EVENTS_TABLE, EVENTS_TASK, FINDINGS_TASK, PIPE, RAW_TABLE
from ops import statements
from ops.session import Row, Session
from ops.statements import Location

OK, DEGRADED, DOWN = "ok", "degraded", "down"
STATUSES = (OK, DEGRADED, DOWN)
"""From best to worst; the exit status of `status` is the index of the worst check."""

TASKS = (EVENTS_TASK, FINDINGS_TASK)


@dataclass(frozen=True)
class Thresholds:
    silence: timedelta
    """No file loaded by the pipe for longer: down (CloudTrail delivers about every 5 minutes
    per region)."""
    lag: timedelta
    """The events task behind the pipe by more: degraded."""


@dataclass(frozen=True)
class PipeStatus:
    """SYSTEM$PIPE_STATUS, the fields that matter here."""

    execution_state: str | None
    pending_file_count: int | None = None
    last_ingested_at: datetime | None = None
    last_ingested_file: str | None = None
    error: str | None = None
    """`error` and `fault`, when the pipe reports one."""


@dataclass(frozen=True)
class LoadProblem:
    """Files of one COPY_HISTORY status other than loaded, in the lookback window."""

    status: str
    files: int
    latest_at: datetime | None
    latest_file: str | None
    latest_error: str | None


@dataclass(frozen=True)
class TaskFacts:
    state: str | None
    """SHOW TASKS: started or suspended; None when the task does not exist."""
    last_suspended_reason: str | None = None
    last_run_state: str | None = None
    last_run_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


@dataclass(frozen=True)
class Facts:
    pipe: PipeStatus
    last_load_file: str | None
    last_load_at: datetime | None
    load_problems: tuple[LoadProblem, ...]
    tasks: dict[str, TaskFacts]
    raw_loaded_at: datetime | None
    events_loaded_at: datetime | None
    findings_by_severity: dict[str, int] = field(default_factory=dict)

    @property
    def newest_load(self) -> tuple[datetime, str | None] | None:
        """The pipe's newest load, by its own report or by COPY_HISTORY, whichever is newer."""
        loads = [
            (at, name)
            for at, name in (
                (self.pipe.last_ingested_at, self.pipe.last_ingested_file),
                (self.last_load_at, self.last_load_file),
            )
            if at is not None
        ]
        return max(loads, key=lambda load: load[0]) if loads else None


@dataclass(frozen=True)
class Check:
    check_name: str
    subject: str
    status: str
    detail: str


def _age(now: datetime, then: datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} min"


def classify(facts: Facts, thresholds: Thresholds, now: datetime) -> list[Check]:
    """The checks, each ok, degraded or down:

    - down: the pipe is not RUNNING; it loaded no file within the silence threshold; a task is
      missing or not started (suspended by hand, or after repeated failures).
    - degraded: the pipe reports an error while running; files failed, partially loaded or were
      skipped in the lookback window; a task's last run failed; the events task is behind the
      pipe by more than the lag threshold.
    """
    checks: list[Check] = []
    pipe = facts.pipe
    state = pipe.execution_state or "unknown"
    pending = "?" if pipe.pending_file_count is None else str(pipe.pending_file_count)
    if state != "RUNNING":
        checks.append(Check("pipe_state", PIPE, DOWN, f"{state}, {pending} files pending"))
    elif pipe.error:
        checks.append(Check("pipe_state", PIPE, DEGRADED, f"RUNNING with error: {pipe.error}"))
    else:
        checks.append(Check("pipe_state", PIPE, OK, f"RUNNING, {pending} files pending"))

    newest = facts.newest_load
    if newest is None:
        checks.append(
            Check(
                "pipe_last_load",
                PIPE,
                DOWN,
                f"no file loaded in the last {statements.LOOKBACK_HOURS} h",
            )
        )
    else:
        at, name = newest
        detail = f"{name or 'a file'} loaded {_age(now, at)}"
        silent = now - at > thresholds.silence
        checks.append(
            Check(
                "pipe_last_load",
                PIPE,
                DOWN if silent else OK,
                f"{detail} (silence threshold {_minutes(thresholds.silence)})"
                if silent
                else detail,
            )
        )

    if facts.load_problems:
        counts = ", ".join(f"{p.files} {p.status.lower()}" for p in facts.load_problems)
        newest_problem = max(
            facts.load_problems,
            key=lambda p: p.latest_at or datetime.min.replace(tzinfo=now.tzinfo),
        )
        checks.append(
            Check(
                "load_errors",
                RAW_TABLE,
                DEGRADED,
                f"{counts} in the last {statements.LOOKBACK_HOURS} h; latest "
                f"{newest_problem.latest_file}: {newest_problem.latest_error or 'no error given'}",
            )
        )
    else:
        checks.append(
            Check(
                "load_errors",
                RAW_TABLE,
                OK,
                f"no failed or skipped file in the last {statements.LOOKBACK_HOURS} h",
            )
        )

    for name in TASKS:
        task = facts.tasks.get(name, TaskFacts(state=None))
        if task.state is None:
            checks.append(Check("task_state", name, DOWN, "not found (SHOW TASKS)"))
        elif task.state.lower() != "started":
            reason = task.last_suspended_reason or "no reason given"
            checks.append(Check("task_state", name, DOWN, f"{task.state} ({reason})"))
        else:
            checks.append(Check("task_state", name, OK, task.state))
        error = (
            f"; last error {_age(now, task.last_error_at)}: {task.last_error}"
            if task.last_error_at is not None
            else ""
        )
        if task.last_run_state is None or task.last_run_at is None:
            checks.append(
                Check(
                    "task_last_run",
                    name,
                    OK,
                    f"no run in the last {statements.LOOKBACK_HOURS} h (runs only when new rows "
                    f"arrive){error}",
                )
            )
        elif task.last_run_state.upper().startswith("FAILED"):
            checks.append(
                Check(
                    "task_last_run",
                    name,
                    DEGRADED,
                    f"{task.last_run_state} {_age(now, task.last_run_at)}{error}",
                )
            )
        else:
            checks.append(
                Check(
                    "task_last_run",
                    name,
                    OK,
                    f"{task.last_run_state} {_age(now, task.last_run_at)}{error}",
                )
            )

    if facts.raw_loaded_at is None:
        checks.append(Check("event_lag", EVENTS_TABLE, OK, f"{RAW_TABLE} is empty"))
    elif facts.events_loaded_at is None:
        checks.append(
            Check("event_lag", EVENTS_TABLE, DEGRADED, f"no event landed from {RAW_TABLE} yet")
        )
    else:
        lag = max(facts.raw_loaded_at - facts.events_loaded_at, timedelta(0))
        behind = lag > thresholds.lag
        checks.append(
            Check(
                "event_lag",
                EVENTS_TABLE,
                DEGRADED if behind else OK,
                f"{_minutes(lag)} behind {RAW_TABLE}"
                + (f" (threshold {_minutes(thresholds.lag)})" if behind else ""),
            )
        )
    return checks


def overall(checks: list[Check]) -> str:
    return max((check.status for check in checks), key=STATUSES.index, default=OK)


# Reading the facts. Snowflake's timestamps come as aware datetimes; the pipe's JSON carries ISO
# 8601 text.


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _pipe_status(rows: list[Row]) -> PipeStatus:
    text = rows[0].get("pipe_status") if rows else None
    try:
        report = json.loads(text) if isinstance(text, str) else {}
    except json.JSONDecodeError:
        report = {}
    if not isinstance(report, dict):
        report = {}
    errors = [str(report[key]) for key in ("error", "fault") if report.get(key)]
    pending = report.get("pendingFileCount")
    return PipeStatus(
        execution_state=report.get("executionState"),
        pending_file_count=pending if isinstance(pending, int) else None,
        last_ingested_at=_timestamp(report.get("lastIngestedTimestamp")),
        last_ingested_file=report.get("lastIngestedFilePath"),
        error="; ".join(errors) or None,
    )


def gather(session: Session, location: Location) -> Facts:
    """Everything `classify` needs, one statement each (statements.status_statements)."""
    pipe = _pipe_status(session.query(statements.pipe_status(location)))
    last = session.query(statements.last_load(location))
    problems = tuple(
        LoadProblem(
            status=str(row["status"]),
            files=int(row["files"]),
            latest_at=_timestamp(row.get("latest_at")),
            latest_file=row.get("latest_file"),
            latest_error=row.get("latest_error"),
        )
        for row in session.query(statements.load_problems(location))
    )
    shown = {row["name"]: row for row in session.query(statements.show_tasks(location))}
    runs = {row["name"]: row for row in session.query(statements.task_runs(location))}
    errors = {row["name"]: row for row in session.query(statements.task_errors(location))}
    tasks = {}
    for name in TASKS:
        show, run, error = shown.get(name), runs.get(name), errors.get(name)
        tasks[name] = TaskFacts(
            state=None if show is None else str(show["state"]),
            last_suspended_reason=None if show is None else show.get("last_suspended_reason"),
            last_run_state=None if run is None else str(run["state"]),
            last_run_at=None if run is None else _timestamp(run.get("completed_time")),
            last_error=None if error is None else error.get("error_message"),
            last_error_at=None if error is None else _timestamp(error.get("completed_time")),
        )
    lag = session.query(statements.event_lag(location))
    findings = session.query(statements.findings_by_severity(location))
    return Facts(
        pipe=pipe,
        last_load_file=last[0]["file_name"] if last else None,
        last_load_at=_timestamp(last[0]["last_load_time"]) if last else None,
        load_problems=problems,
        tasks=tasks,
        raw_loaded_at=_timestamp(lag[0]["raw_loaded_at"]) if lag else None,
        events_loaded_at=_timestamp(lag[0]["events_loaded_at"]) if lag else None,
        findings_by_severity={str(r["severity"]): int(r["findings"]) for r in findings},
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def report(facts: Facts, checks: list[Check], now: datetime) -> dict[str, Any]:
    """The `--json` document."""
    newest = facts.newest_load
    return {
        "status": overall(checks),
        "checked_at": now.isoformat(),
        "lookback_hours": statements.LOOKBACK_HOURS,
        "checks": [vars(check) for check in checks],
        "pipe": {
            "execution_state": facts.pipe.execution_state,
            "pending_file_count": facts.pipe.pending_file_count,
            "last_ingested_at": _iso(facts.pipe.last_ingested_at),
            "error": facts.pipe.error,
        },
        "last_load": None
        if newest is None
        else {
            "file": newest[1],
            "at": newest[0].isoformat(),
            "age_minutes": int((now - newest[0]).total_seconds() // 60),
        },
        "load_problems": [
            {
                "status": p.status,
                "files": p.files,
                "latest_at": _iso(p.latest_at),
                "latest_file": p.latest_file,
                "latest_error": p.latest_error,
            }
            for p in facts.load_problems
        ],
        "tasks": {
            name: {
                "state": task.state,
                "last_suspended_reason": task.last_suspended_reason,
                "last_run_state": task.last_run_state,
                "last_run_at": _iso(task.last_run_at),
                "last_error": task.last_error,
                "last_error_at": _iso(task.last_error_at),
            }
            for name, task in facts.tasks.items()
        },
        "event_lag": {
            "raw_loaded_at": _iso(facts.raw_loaded_at),
            "events_loaded_at": _iso(facts.events_loaded_at),
        },
        "findings_by_severity": facts.findings_by_severity,
    }


def table(facts: Facts, checks: list[Check]) -> str:
    """The readable report: one line per check, then the findings and the verdict."""
    widths = [
        max(len(header), *(len(getattr(check, key)) for check in checks))
        for header, key in (("CHECK", "check_name"), ("SUBJECT", "subject"), ("STATUS", "status"))
    ]
    lines = [
        "  ".join(
            [
                *(h.ljust(w) for h, w in zip(("CHECK", "SUBJECT", "STATUS"), widths, strict=True)),
                "DETAIL",
            ]
        )
    ]
    for check in checks:
        cells = (check.check_name, check.subject, check.status)
        lines.append(
            "  ".join([*(c.ljust(w) for c, w in zip(cells, widths, strict=True)), check.detail])
        )
    findings = ", ".join(
        f"{severity} {count}" for severity, count in sorted(facts.findings_by_severity.items())
    )
    lines.append("")
    lines.append(f"findings, last {statements.LOOKBACK_HOURS} h: {findings or 'none'}")
    lines.append(f"status: {overall(checks)}")
    return "\n".join(lines) + "\n"
