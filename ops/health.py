"""`python -m ops status`: the checks of the deployed PIPELINE_HEALTH view, plus what the view
cannot see, in the same shape.

The view (sql/pipeline_health_view.sql, rendered by lib/health.py from the stack's
silenceMinutes, eventsIntervalMinutes and findingsIntervalMinutes) is where the rules and
thresholds of the pipe, load error, silence, event lag, findings lag, task and alert checks
live; the health alert and the dashboards read it too, so its rows are shown as they are. Added
here, because a view cannot run SHOW: each task's state (`task_state`), with its last failed run
when the view's row does not carry it; and, as information, the pipe's pending files and last
loaded file, and the findings by severity.
`assess` is the one rule, pure; `gather` reads its inputs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.health import TASKS
from lib.schema import HEALTH_STATUSES, PIPELINE_HEALTH_VIEW
from ops import statements
from ops.session import QueryError, Row, Session
from ops.statements import Location

OK, DEGRADED, DOWN = HEALTH_STATUSES
STATUSES = HEALTH_STATUSES
"""From best to worst; the exit status of `status` is the index of the worst check."""

TASK_STATE = "task_state"
NO_ROWS = "view"
"""The check that stands for the view's rows when it returned none: no answer is down."""


class ViewMissingError(Exception):
    """PIPELINE_HEALTH is not in the stack's schema (for the role): a stack deployed before it."""

    def __init__(self, view: str) -> None:
        super().__init__(view)
        self.view = view


@dataclass(frozen=True)
class Check:
    """A row of PIPELINE_HEALTH (its CHECKED_AT is the report's), or one added in its shape."""

    check_name: str
    subject: str
    status: str
    detail: str


@dataclass(frozen=True)
class TaskFacts:
    state: str | None
    """SHOW TASKS: started or suspended; None when the task is not listed."""
    last_suspended_reason: str | None = None
    last_error: str | None = None
    """TASK_HISTORY: the error of the task's newest failed run in the days it keeps."""
    last_error_at: datetime | None = None


@dataclass(frozen=True)
class PipeInfo:
    """SYSTEM$PIPE_STATUS, what the view's pipe row does not show: information, not a check."""

    pending_file_count: int | None = None
    last_loaded_file: str | None = None
    last_loaded_at: datetime | None = None


@dataclass(frozen=True)
class Extras:
    """What `status` reads beside the view."""

    tasks: Mapping[str, TaskFacts]
    """By the task's name, unqualified as SHOW TASKS gives it; a task absent is not listed."""
    pipe: PipeInfo = PipeInfo()
    findings_by_severity: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Status:
    status: str
    exit_status: int
    checked_at: datetime
    """The view's CHECKED_AT (Snowflake's clock), the caller's clock if it has none."""
    location: Location
    checks: tuple[Check, ...]
    extras: Extras

    @property
    def view(self) -> str:
        return self.location.qualified(PIPELINE_HEALTH_VIEW)


def _timestamp(value: Any) -> datetime | None:
    """Snowflake's timestamps come as aware datetimes; the pipe's JSON carries ISO 8601 text."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _view_check(row: Row) -> Check:
    status = str(row.get("status"))
    detail = str(row.get("detail") or "")
    if status not in STATUSES:
        # The view's statuses are a contract (lib/schema.py); one outside it cannot be judged.
        status, detail = DOWN, f"unknown status {row.get('status')!r} in the view: {detail}"
    return Check(str(row.get("check_name")), str(row.get("subject")), status, detail)


def _task_check(subject: str, task: TaskFacts, view_checks: Sequence[Check]) -> Check:
    if task.state is None:
        status = DOWN
        detail = (
            f"Task {subject} is not listed by SHOW TASKS (dropped, or the role has no privilege "
            "on it): nothing it does runs. pulumi up declares it again."
        )
    elif task.state.lower() != "started":
        status = DOWN
        detail = (
            f"Task {subject} is {task.state} ({task.last_suspended_reason or 'no reason given'})"
            f": nothing it does runs. Fix the cause, then ALTER TASK {subject} RESUME (or pulumi "
            "up); docs/operations.md, When a task fails."
        )
    else:
        status, detail = OK, f"Task {subject} is started."
    error = task.last_error
    told = any(c.subject == subject and error and error in c.detail for c in view_checks)
    if error and not told:
        at = "" if task.last_error_at is None else f" at {task.last_error_at.isoformat()}"
        detail += f" Its last failed run{at}: {error}"
    return Check(TASK_STATE, subject, status, detail)


def assess(view_rows: Sequence[Row], extras: Extras, location: Location, now: datetime) -> Status:
    """The view's rows as checks, then a `task_state` check per task: down when SHOW TASKS does
    not list it or it is not started, whatever the view says (a task suspended by hand has no run
    for the view to see). The status is the worst check's; a view with no rows is down."""
    view = location.qualified(PIPELINE_HEALTH_VIEW)
    checks = [_view_check(row) for row in view_rows]
    if not checks:
        checks.append(Check(NO_ROWS, view, DOWN, f"{view} returned no rows: no check to go by."))
    view_checks = tuple(checks)
    for name in TASKS:
        task = extras.tasks.get(name, TaskFacts(state=None))
        checks.append(_task_check(location.qualified(name), task, view_checks))
    worst = max((check.status for check in checks), key=STATUSES.index)
    stamps = [t for t in (_timestamp(row.get("checked_at")) for row in view_rows) if t]
    return Status(
        status=worst,
        exit_status=STATUSES.index(worst),
        checked_at=max(stamps, default=now),
        location=location,
        checks=tuple(checks),
        extras=extras,
    )


# Reading the inputs, one statement each (statements.status_statements).


def _pipe_info(rows: list[Row]) -> PipeInfo:
    text = rows[0].get("pipe_status") if rows else None
    try:
        report = json.loads(text) if isinstance(text, str) else {}
    except json.JSONDecodeError:
        report = {}
    if not isinstance(report, dict):
        report = {}
    pending = report.get("pendingFileCount")
    file = report.get("lastIngestedFilePath")
    return PipeInfo(
        pending_file_count=pending if isinstance(pending, int) else None,
        last_loaded_file=file if isinstance(file, str) else None,
        last_loaded_at=_timestamp(report.get("lastIngestedTimestamp")),
    )


def _view_rows(session: Session, location: Location) -> list[Row]:
    try:
        return session.query(statements.pipeline_health(location))
    except QueryError as error:
        # Whether the view is there decides the message: only a missing view means `pulumi up`.
        try:
            shown = session.query(statements.show_view(location))
        except QueryError:
            raise error from None
        if not shown:
            raise ViewMissingError(location.qualified(PIPELINE_HEALTH_VIEW)) from None
        raise


def gather(session: Session, location: Location) -> tuple[list[Row], Extras]:
    """The view's rows and the extras `assess` takes; ViewMissingError when there is no view."""
    rows = _view_rows(session, location)
    shown = {row["name"]: row for row in session.query(statements.show_tasks(location))}
    errors = {row["name"]: row for row in session.query(statements.task_errors(location))}
    tasks = {}
    for name in TASKS:
        show, error = shown.get(name), errors.get(name)
        tasks[name] = TaskFacts(
            state=None if show is None else str(show["state"]),
            last_suspended_reason=None if show is None else show.get("last_suspended_reason"),
            last_error=None if error is None else error.get("error_message"),
            last_error_at=None if error is None else _timestamp(error.get("completed_time")),
        )
    pipe = _pipe_info(session.query(statements.pipe_status(location)))
    findings = session.query(statements.findings_by_severity(location))
    return rows, Extras(
        tasks=tasks,
        pipe=pipe,
        findings_by_severity={str(r["severity"]): int(r["findings"]) for r in findings},
    )


# Rendering.


def _age_minutes(status: Status) -> int | None:
    at = status.extras.pipe.last_loaded_at
    return None if at is None else int((status.checked_at - at).total_seconds() // 60)


def _age(minutes: int) -> str:
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def report(status: Status) -> dict[str, Any]:
    """The `--json` document."""
    extras, pipe = status.extras, status.extras.pipe
    return {
        "status": status.status,
        "checked_at": status.checked_at.isoformat(),
        "view": status.view,
        "checks": [vars(check) for check in status.checks],
        "pipe": {
            "pending_file_count": pipe.pending_file_count,
            "last_loaded_file": pipe.last_loaded_file,
            "last_loaded_at": _iso(pipe.last_loaded_at),
            "last_loaded_age_minutes": _age_minutes(status),
        },
        "tasks": {
            status.location.qualified(name): {
                "state": task.state,
                "last_suspended_reason": task.last_suspended_reason,
                "last_error": task.last_error,
                "last_error_at": _iso(task.last_error_at),
            }
            for name, task in extras.tasks.items()
        },
        "findings": {
            "hours": statements.FINDINGS_HOURS,
            "by_severity": dict(extras.findings_by_severity),
        },
    }


def table(status: Status) -> str:
    """The readable report: one line per check, then the information and the verdict."""
    checks = status.checks
    headers = ("CHECK", "SUBJECT", "STATUS")
    widths = [
        max(len(header), *(len(getattr(check, key)) for check in checks))
        for header, key in zip(headers, ("check_name", "subject", "status"), strict=True)
    ]
    lines = ["  ".join([*(h.ljust(w) for h, w in zip(headers, widths, strict=True)), "DETAIL"])]
    for check in checks:
        cells = (check.check_name, check.subject, check.status)
        lines.append(
            "  ".join([*(c.ljust(w) for c, w in zip(cells, widths, strict=True)), check.detail])
        )
    pipe = status.extras.pipe
    pending = "?" if pipe.pending_file_count is None else str(pipe.pending_file_count)
    age = _age_minutes(status)
    last = (
        "no file in its report"
        if age is None
        else f"last file loaded {pipe.last_loaded_file or '?'}, {_age(age)}"
    )
    findings = ", ".join(
        f"{severity} {count}"
        for severity, count in sorted(status.extras.findings_by_severity.items())
    )
    lines += [
        "",
        f"pipe: {pending} files pending; {last}",
        f"findings, last {statements.FINDINGS_HOURS} h: {findings or 'none'}",
        f"checked at {status.checked_at.isoformat()} by {status.view}",
        f"status: {status.status}",
    ]
    return "\n".join(lines) + "\n"
