"""`python -m ops backfill`: the plan (which days a bulk COPY loads, which the pipe's REFRESH
covers) as a pure function, then its run: one LIST of the stage for the whole range, its log
files grouped by day, then day by day the COPYs naming them, with what each COPY reports."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from lib import sql
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
        lines.append(
            f"bulk COPY, day by day: {first} to {last} ({len(plan.copy_days)} days), after one "
            f"LIST of the stage for them all; each day's COPY names its files, "
            f"{sql.MAX_COPY_FILES} at most (more take more COPYs)"
        )
    if plan.refresh_days:
        first, last = plan.refresh_days[0], plan.refresh_days[-1]
        lines.append(
            f"{first} to {last}: inside the pipe's {REFRESH_WINDOW_DAYS}-day REFRESH window, "
            f"left to ALTER PIPE ... REFRESH (files modified after {plan.refresh_after})"
        )
    return lines


def plan_statements(plan: Plan, location: Location) -> list[str]:
    """What a run executes, in order, as a dry run can know it: the one LIST, then each day's
    COPY with a placeholder where the run names the day's listed files (1,000 a COPY at most,
    so a day may take several), then the REFRESH."""
    out = []
    if plan.copy_days:
        out.append(statements.list_range(location, plan.copy_days))
    for day in plan.copy_days:
        placeholder = (
            f"{sql.LOGS_FOLDER}<account>/CloudTrail/<region>/{day:%Y/%m/%d}/<each log file the "
            f"LIST found, {sql.MAX_COPY_FILES} a COPY at most>"
        )
        out.append(statements.backfill_copy(location, [placeholder]))
    if plan.refresh_after is not None:
        out.append(statements.pipe_refresh(location, plan.refresh_after))
    return out


# The pipe's pattern without its leading `.*`, anchored at the end: where it matches in a listed
# name is where the path relative to the stage begins, since the stage URL ends at the log
# prefix and CloudTrail writes under <prefix>/AWSLogs/ (lib/sql.LOGS_FOLDER).
_RELATIVE_LOG_PATH = re.compile(sql.CLOUDTRAIL_LOG_PATTERN.removeprefix(".*") + r"\Z")


def files_by_day(names: Iterable[str], days: Collection[date]) -> dict[date, list[str]]:
    """The log files of each of `days` among LIST's names (full URLs, s3://bucket/prefix/...),
    as paths relative to the stage, sorted: the pipe's pattern leaves out digest, Insights and
    other objects, and the day is the key's YYYY/MM/DD folder (the files of a day are in its
    folder whenever they were written). Days without a file have no entry."""
    grouped: dict[date, list[str]] = {}
    for name in names:
        match = _RELATIVE_LOG_PATH.search(name)
        if match is None:
            continue
        relative = name[match.start() :]
        year, month, day_of_month = relative.split("/")[-4:-1]
        try:
            day = date(int(year), int(month), int(day_of_month))
        except ValueError:  # A folder such as 2024/02/30, which no day has.
            continue
        if day in days:
            grouped.setdefault(day, []).append(relative)
    return {day: sorted(files) for day, files in grouped.items()}


def batches(files: Sequence[str], size: int = sql.MAX_COPY_FILES) -> list[Sequence[str]]:
    """`files` in runs of at most `size`, the most one COPY's FILES may name."""
    return [files[start : start + size] for start in range(0, len(files), size)]


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


def day_result(day: date, staged: int, copied: list[Row]) -> DayResult:
    by_status: dict[str, list[Row]] = {}
    for row in copied:
        by_status.setdefault(str(row.get("status", "")).upper(), []).append(row)
    broken = by_status.get(LOAD_FAILED, []) + by_status.get(PARTIALLY_LOADED, [])
    return DayResult(
        day=day,
        staged=staged,
        loaded=len(by_status.get(LOADED, [])),
        partially_loaded=len(by_status.get(PARTIALLY_LOADED, [])),
        failed=len(by_status.get(LOAD_FAILED, [])),
        failures=tuple(f"{row.get('file')}: {row.get('first_error')}" for row in broken),
    )


def run(
    session: Session, location: Location, plan: Plan, progress: Callable[[str], None]
) -> list[DayResult]:
    """One LIST for the range, then each day's COPYs in turn, then the REFRESH. A COPY commits
    on its own, so a run cut short keeps what it loaded, and the next run skips those files."""
    results = []
    by_day: dict[date, list[str]] = {}
    if plan.copy_days:
        progress(
            f"listing the stage once for {plan.copy_days[0]} to {plan.copy_days[-1]} (Snowflake "
            "lists everything under the log prefix, then filters: this can take a while)"
        )
        listed = session.query(statements.list_range(location, plan.copy_days))
        by_day = files_by_day((str(row.get("name", "")) for row in listed), plan.copy_days)
        progress(
            f"LIST: {sum(len(files) for files in by_day.values())} log files of the range's "
            f"days, on {len(by_day)} of its {len(plan.copy_days)} days"
        )
    for n, day in enumerate(plan.copy_days, 1):
        files = by_day.get(day, [])
        copied: list[Row] = []
        for batch in batches(files):
            copied += session.query(statements.backfill_copy(location, batch))
        result = day_result(day, len(files), copied)
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
