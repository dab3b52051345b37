"""`python -m ops backfill`: the plan (which days a bulk COPY loads, which the pipe's REFRESH
covers) as a pure function, then its run, day by day, with what each COPY reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ops import statements
from ops.session import Row, Session
from ops.statements import Location

REFRESH_WINDOW_DAYS = 7
"""ALTER PIPE ... REFRESH queues only files staged in the last 7 days."""

# The status of each file in a COPY's result (its columns: file, status, rows_parsed,
# rows_loaded, error_limit, errors_seen, first_error, ...). A file the COPY skipped because its
# load metadata says it was loaded has no row; with nothing to load the one row says so in
# `status` ("Copy executed with 0 files processed.").
LOADED, LOAD_FAILED, PARTIALLY_LOADED = "LOADED", "LOAD_FAILED", "PARTIALLY_LOADED"


class PlanError(ValueError):
    """The dates cannot make a plan; the message names the flag and the fix."""


@dataclass(frozen=True)
class Plan:
    copy_days: tuple[date, ...]
    """Loaded with a bulk COPY each, oldest first: every day of the range before the window."""
    refresh_days: tuple[date, ...]
    """The days of the range inside the REFRESH window, left to the pipe's REFRESH."""
    refresh_after: datetime | None
    """MODIFIED_AFTER of the REFRESH; None when the range ends before the window."""


def refresh_window_start(today: date) -> date:
    """The first day whose every file the REFRESH reaches: files of day D are staged on D or
    later, and D at midnight UTC is within 7 days of now for D = today - 6."""
    return today - timedelta(days=REFRESH_WINDOW_DAYS - 1)


def plan(since: date, until: date, today: date) -> Plan:
    if since > today:
        raise PlanError(f"--since {since} is in the future (today is {today} UTC)")
    if until < since:
        raise PlanError(f"--until {until} is before --since {since}: give a range oldest first")
    if until > today:
        raise PlanError(
            f"--until {until} is in the future (today is {today} UTC): CloudTrail has not "
            "written it yet; leave --until out to backfill up to today"
        )
    window = refresh_window_start(today)
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    refresh_days = tuple(day for day in days if day >= window)
    return Plan(
        copy_days=tuple(day for day in days if day < window),
        refresh_days=refresh_days,
        refresh_after=datetime.combine(refresh_days[0], time(0), UTC) if refresh_days else None,
    )


def describe(plan: Plan) -> list[str]:
    """What the plan does, in words."""
    lines = []
    if plan.copy_days:
        first, last = plan.copy_days[0], plan.copy_days[-1]
        lines.append(f"bulk COPY, day by day: {first} to {last} ({len(plan.copy_days)} days)")
    if plan.refresh_days:
        first, last = plan.refresh_days[0], plan.refresh_days[-1]
        lines.append(
            f"{first} to {last}: inside the pipe's {REFRESH_WINDOW_DAYS}-day REFRESH window, "
            f"left to ALTER PIPE ... REFRESH (files modified after {plan.refresh_after})"
        )
    return lines


def plan_statements(plan: Plan, location: Location) -> list[str]:
    """What a run executes, in order (the LIST before each COPY only counts files)."""
    out = []
    for day in plan.copy_days:
        out += [statements.list_day(location, day), statements.backfill_copy(location, day)]
    if plan.refresh_after is not None:
        out.append(statements.pipe_refresh(location, plan.refresh_after))
    return out


@dataclass(frozen=True)
class DayResult:
    day: date
    staged: int
    loaded: int
    partially_loaded: int
    failed: int
    failures: tuple[str, ...]
    """`file: first error` of each file that failed or partially loaded."""

    @property
    def skipped(self) -> int:
        """Staged log files the COPY returned no row for: already loaded (load metadata)."""
        return max(self.staged - self.loaded - self.partially_loaded - self.failed, 0)


def day_result(day: date, listed: list[Row], copied: list[Row]) -> DayResult:
    by_status: dict[str, list[Row]] = {}
    for row in copied:
        by_status.setdefault(str(row.get("status", "")).upper(), []).append(row)
    broken = by_status.get(LOAD_FAILED, []) + by_status.get(PARTIALLY_LOADED, [])
    return DayResult(
        day=day,
        staged=len(listed),
        loaded=len(by_status.get(LOADED, [])),
        partially_loaded=len(by_status.get(PARTIALLY_LOADED, [])),
        failed=len(by_status.get(LOAD_FAILED, [])),
        failures=tuple(f"{row.get('file')}: {row.get('first_error')}" for row in broken),
    )


def run(
    session: Session, location: Location, plan: Plan, progress: Callable[[str], None]
) -> list[DayResult]:
    """Each day's COPY in turn, then the REFRESH. A day's COPY commits on its own, so a run cut
    short keeps the days done, and the next run skips their files."""
    results = []
    for n, day in enumerate(plan.copy_days, 1):
        listed = session.query(statements.list_day(location, day))
        copied = session.query(statements.backfill_copy(location, day)) if listed else []
        result = day_result(day, listed, copied)
        results.append(result)
        progress(
            f"[{n}/{len(plan.copy_days)}] {day}: {result.loaded} loaded, {result.skipped} "
            f"skipped (already loaded), {result.partially_loaded} partially loaded, "
            f"{result.failed} failed, of {result.staged} log files"
        )
        for failure in result.failures:
            progress(f"    {failure}")
    if plan.refresh_after is not None:
        queued = session.query(statements.pipe_refresh(location, plan.refresh_after))
        progress(
            f"REFRESH: {len(queued)} files modified after {plan.refresh_after} queued for the pipe "
            "(it skips those it loaded already)"
        )
    return results
