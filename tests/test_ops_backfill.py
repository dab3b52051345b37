"""python -m ops backfill: the plan's days, the exact statements, which listed keys each day
takes, and runs against a recording fake that keeps load metadata (tests/ops_fakes.py): one LIST
for the whole range, then COPYs naming at most 1,000 files each."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from ops_fakes import STAGE_URL, FakeStage

from lib import sql
from ops import backfill, cli, statements
from ops.settings import Connection
from ops.statements import Location

LOCATION = Location("CLOUDTRAIL_DEV", "AUDIT")
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
ENV = {"SNOWFLAKE_ACCOUNT": "myorg-myaccount", "SNOWFLAKE_USER": "OPS", "SNOWFLAKE_PASSWORD": "x"}
ACCOUNT = "123456789012"


def log_key(day: date, region: str = "eu-west-1", org: str = "", unique: str = "Ab3dE6") -> str:
    folder = day.strftime("%Y/%m/%d")
    stamp = day.strftime("%Y%m%d")
    return (
        f"AWSLogs/{org}{ACCOUNT}/CloudTrail/{region}/{folder}/"
        f"{ACCOUNT}_CloudTrail_{region}_{stamp}T0905Z_{unique}.json.gz"
    )


def days(first: str, last: str) -> list[str]:
    return [
        str(d)
        for d in backfill.plan(date.fromisoformat(first), date.fromisoformat(last), TODAY).copy_days
    ]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2026-03-10", "2026-03-10", ["2026-03-10"]),
        ("2026-01-30", "2026-02-02", ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]),
        ("2024-02-28", "2024-03-01", ["2024-02-28", "2024-02-29", "2024-03-01"]),
        ("2023-02-28", "2023-03-01", ["2023-02-28", "2023-03-01"]),
        ("2025-12-31", "2026-01-01", ["2025-12-31", "2026-01-01"]),
    ],
    ids=["one-day", "month-edge", "leap-year", "no-leap-year", "year-edge"],
)
def test_plan_takes_every_day_both_ends_included(
    first: str, last: str, expected: list[str]
) -> None:
    assert days(first, last) == expected


def test_plan_leaves_the_refresh_window_to_the_refresh() -> None:
    plan = backfill.plan(date(2026, 11, 1), TODAY, TODAY)
    # Files of 2026-11-21 were staged on that day or later: within 7 days of any time today.
    assert plan.copy_days[0] == date(2026, 11, 1) and plan.copy_days[-1] == date(2026, 11, 20)
    assert plan.refresh_days == tuple(date(2026, 11, d) for d in range(21, 28))
    assert plan.refresh_after == datetime(2026, 11, 21, tzinfo=UTC)
    assert len(plan.copy_days) + len(plan.refresh_days) == 27


def test_plan_inside_the_window_only_refreshes_from_since() -> None:
    plan = backfill.plan(date(2026, 11, 25), date(2026, 11, 26), TODAY)
    assert plan.copy_days == ()
    assert plan.refresh_after == datetime(2026, 11, 25, tzinfo=UTC)


def test_plan_before_the_window_does_not_refresh() -> None:
    plan = backfill.plan(date(2026, 11, 19), date(2026, 11, 20), TODAY)
    assert plan.copy_days == (date(2026, 11, 19), date(2026, 11, 20))
    assert plan.refresh_days == () and plan.refresh_after is None


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-03-02", "2026-03-01", "--until 2026-03-01 is before --since 2026-03-02"),
        ("2026-11-20", "2026-11-28", "--until 2026-11-28 is in the future"),
    ],
)
def test_plan_refuses_bad_ranges(first: str, last: str, message: str) -> None:
    with pytest.raises(backfill.PlanError, match=re.escape(message)):
        backfill.plan(date.fromisoformat(first), date.fromisoformat(last), TODAY)


def test_the_copy_is_the_pipes_own_naming_its_files() -> None:
    """Same statement as the deployed pipe's but for FILES in place of PATTERN, plus the bulk
    options; the names are relative to the stage, quoted as Snowflake string constants."""
    files = [log_key(date(2025, 3, 4)), "AWSLogs/it's\\odd.json.gz"]
    statement = statements.backfill_copy(LOCATION, files)
    raw, stage = LOCATION.qualified("CLOUDTRAIL_RAW"), LOCATION.qualified("CLOUDTRAIL_STAGE")
    deployed = sql.copy_statement(raw, stage)
    files_clause = f"FILES = (\n    '{files[0]}',\n    'AWSLogs/it''s\\\\odd.json.gz'\n)"
    assert statement == (
        deployed.replace(f"PATTERN = '{sql.CLOUDTRAIL_LOG_PATTERN}'", files_clause)
        + "\nON_ERROR = SKIP_FILE\nLOAD_UNCERTAIN_FILES = TRUE"
    )
    assert "PATTERN" not in statement and "FORCE" not in statement and "s3://" not in statement


@pytest.mark.parametrize("count", [0, 1001])
def test_a_copy_names_1_to_1000_files(count: int) -> None:
    with pytest.raises(ValueError, match=f"1 to 1000 files, not {count}"):
        statements.backfill_copy(LOCATION, [log_key(DAY, unique=f"A{n}") for n in range(count)])


def test_the_refresh_statement() -> None:
    assert statements.pipe_refresh(LOCATION, datetime(2026, 11, 21, tzinfo=UTC)) == (
        "ALTER PIPE CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_PIPE REFRESH PREFIX = 'AWSLogs/' "
        "MODIFIED_AFTER = '2026-11-21T00:00:00+00:00'"
    )


DAY = date(2024, 2, 29)
TAKEN = [
    log_key(DAY),
    log_key(DAY, region="us-east-1"),
    log_key(DAY, region="us-gov-west-1"),
    log_key(DAY, org="o-a1b2c3d4e5/"),
]
LEFT = [
    log_key(date(2024, 2, 28)),
    log_key(date(2024, 3, 1)),
    log_key(date(2023, 2, 28), org="o-a1b2c3d4e5/"),
    # Digest and Insights files of the same day, beside the logs.
    f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/eu-west-1/2024/02/29/"
    f"{ACCOUNT}_CloudTrail-Digest_eu-west-1_trail_eu-west-1_20240229T0905Z.json.gz",
    f"AWSLogs/o-a1b2c3d4e5/{ACCOUNT}/CloudTrail-Insight/eu-west-1/2024/02/29/"
    f"{ACCOUNT}_CloudTrail-Insight_eu-west-1_20240229T0905Z_Ab3dE6.json.gz",
]
LEFT_IDS = ["day-before", "day-after", "year-before", "digest", "insight"]


def test_listed_files_go_to_their_day_relative_to_the_stage() -> None:
    """LIST names full URLs; FILES takes paths relative to the stage (Snowflake appends them
    to the stage URL): every region and the organization layout, the day from the folder."""
    names = [STAGE_URL + key for key in TAKEN + LEFT]
    assert backfill.files_by_day(names, {DAY}) == {DAY: sorted(TAKEN)}


@pytest.mark.parametrize("key", LEFT, ids=LEFT_IDS)
def test_listed_files_of_other_days_and_other_objects_are_left(key: str) -> None:
    assert backfill.files_by_day([STAGE_URL + key], {DAY}) == {}


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ((date(2024, 2, 28), date(2024, 3, 1)), ["2024-02-28", "2024-03-01"]),
        ((date(2023, 2, 28), date(2024, 2, 29)), ["2023-02-28", "2024-02-29"]),
        ((date(2025, 12, 31), date(2026, 1, 1)), ["2025-12-31", "2026-01-01"]),
    ],
    ids=["month-edge", "leap-day-and-year-before", "year-edge"],
)
def test_each_day_gets_its_own_files(days: tuple[date, ...], expected: list[str]) -> None:
    keys = [log_key(d, org=org) for d in days for org in ("", "o-a1b2c3d4e5/")]
    neighbours = [log_key(d + timedelta(days=1)) for d in days if d + timedelta(days=1) not in days]
    grouped = backfill.files_by_day([STAGE_URL + k for k in keys + neighbours], set(days))
    assert [str(d) for d in sorted(grouped)] == expected
    for day, files in grouped.items():
        assert files == sorted(k for k in keys if f"/{day:%Y/%m/%d}/" in k)


def test_a_folder_no_calendar_has_is_no_day() -> None:
    key = log_key(DAY).replace("2024/02/29", "2024/02/30")
    assert backfill.files_by_day([STAGE_URL + key], {DAY}) == {}


def test_the_range_pattern_takes_the_months_of_the_range() -> None:
    """The one LIST's pattern: the pipe's, limited to the range's months; the days are picked
    from its names."""
    pattern = sql.cloudtrail_log_pattern([date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)])
    assert "(2024/02|2024/03)/[0-9]{2}" in pattern
    for key in TAKEN + LEFT[:2]:
        assert re.fullmatch(pattern, STAGE_URL + key), key
    for key in LEFT[2:]:
        assert not re.fullmatch(pattern, STAGE_URL + key), key
    assert sql.cloudtrail_log_pattern() == sql.CLOUDTRAIL_LOG_PATTERN


@pytest.mark.parametrize(("count", "copies"), [(999, 1), (1000, 1), (1001, 2), (2001, 3)])
def test_a_day_is_copied_1000_files_at_a_time(count: int, copies: int) -> None:
    files = [log_key(DAY, unique=f"F{n:05d}") for n in range(count)]
    batches = backfill.batches(files)
    assert len(batches) == copies and all(len(b) <= 1000 for b in batches)
    assert [f for b in batches for f in b] == files


def _run(stage: FakeStage, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def connect(connection: Connection) -> FakeStage:
        assert connection.database == "CLOUDTRAIL_DEV" and connection.role == "SYSADMIN"
        return stage

    code = cli.main(
        ["backfill", "--database", "CLOUDTRAIL_DEV", *args],
        out=out,
        err=err,
        env=ENV,
        connect_to=connect,
        now=NOW,
    )
    return code, out.getvalue(), err.getvalue()


def _bucket() -> dict[str, date]:
    """Three days of logs staged long ago (uncertain after 64 days), one in the window, and a
    digest file: the COPY must take the logs of the days asked for, nothing else."""
    files = {}
    for day in (date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)):
        files[log_key(day)] = day
        files[log_key(day, region="us-east-1", org="o-a1b2c3d4e5/")] = day
    files[log_key(date(2026, 11, 25))] = date(2026, 11, 25)
    files[LEFT[3].replace("2024/02/29", "2026/05/02").replace("20240229", "20260502")] = date(
        2026, 5, 2
    )
    return files


def test_a_second_run_loads_nothing_twice() -> None:
    stage = FakeStage(_bucket(), TODAY)
    code, _, err = _run(stage, "--since", "2026-05-01", "--until", "2026-05-03")
    assert code == cli.EXIT_OK, err
    assert sorted(stage.raw_rows) == sorted(
        k for k, d in _bucket().items() if d.month == 5 and "Digest" not in k
    )
    assert "6 files loaded, 0 skipped" in err
    # One listing for the three days, and one COPY a day (two files each).
    assert len(stage.lists) == 1 and len(stage.copies) == 3
    first = list(stage.raw_rows)

    code, _, err = _run(stage, "--since", "2026-05-01", "--until", "2026-05-03")
    assert code == cli.EXIT_OK
    assert stage.raw_rows == first
    assert "0 files loaded, 6 skipped as already loaded" in err
    assert "2026-05-02: 0 loaded, 2 skipped (already loaded)" in err
    assert stage.closed


def test_a_long_range_lists_the_stage_once() -> None:
    """60 days over three months: one LIST (the review's 120 listings were two a day), a COPY
    per day with files, none for a day without."""
    since = date(2026, 4, 10)
    files = {log_key(since + timedelta(days=n)): since for n in range(0, 60, 2)}
    stage = FakeStage(files, TODAY)
    code, _, err = _run(stage, "--since", str(since), "--until", "2026-06-08")
    assert code == cli.EXIT_OK, err
    assert len(stage.lists) == 1 and "(2026/04|2026/05|2026/06)" in stage.lists[0]
    assert len(stage.copies) == 30 and sorted(stage.raw_rows) == sorted(files)
    assert "LIST: 30 log files of the range's days, on 30 of its 60 days" in err
    assert "[60/60] 2026-06-08: 0 loaded, 0 skipped (already loaded)" in err


@pytest.mark.parametrize(("count", "copies"), [(1000, 1), (1001, 2)])
def test_a_busy_day_takes_a_copy_per_1000_files(count: int, copies: int) -> None:
    day = date(2026, 5, 2)
    files = {log_key(day, unique=f"F{n:05d}"): day for n in range(count)}
    stage = FakeStage(files, TODAY)
    code, _, err = _run(stage, "--since", "2026-05-02", "--until", "2026-05-02")
    assert code == cli.EXIT_OK, err
    assert len(stage.lists) == 1 and len(stage.copies) == copies
    assert sorted(stage.raw_rows) == sorted(files)
    assert f"2026-05-02: {count} loaded, 0 skipped (already loaded)" in err

    code, _, err = _run(stage, "--since", "2026-05-02", "--until", "2026-05-02")
    assert len(stage.raw_rows) == count
    assert f"2026-05-02: 0 loaded, {count} skipped (already loaded)" in err


def test_a_run_up_to_today_refreshes_the_window() -> None:
    stage = FakeStage({**_bucket(), log_key(date(2026, 11, 19)): date(2026, 11, 19)}, TODAY)
    code, _, err = _run(stage, "--since", "2026-11-19")
    assert code == cli.EXIT_OK
    assert stage.lists == [statements.list_range(LOCATION, [date(2026, 11, 19)])]
    # A day with no file on the stage needs no COPY; a file of the window is left to REFRESH.
    assert len(stage.copies) == 1 and f"'{log_key(date(2026, 11, 19))}'" in stage.copies[0]
    assert stage.statements[-1] == statements.pipe_refresh(
        LOCATION, datetime(2026, 11, 21, tzinfo=UTC)
    )
    assert "2026-11-21 to 2026-11-27: inside the pipe's 7-day REFRESH window" in err
    assert stage.raw_rows == [log_key(date(2026, 11, 19))]


def test_a_failed_file_is_named_and_fails_the_run() -> None:
    broken = log_key(date(2026, 5, 2))
    stage = FakeStage(_bucket(), TODAY, broken=frozenset({broken}))
    code, _, err = _run(stage, "--since", "2026-05-02", "--until", "2026-05-02")
    assert code == cli.EXIT_DEGRADED
    assert "2026-05-02: 1 loaded, 0 skipped (already loaded), 0 partially loaded, 1 failed" in err
    assert f"{STAGE_URL}{broken}: Error parsing JSON: truncated" in err


def test_dry_run_prints_the_plan_without_connecting() -> None:
    out, err = io.StringIO(), io.StringIO()

    def refuse(connection: Connection) -> FakeStage:
        raise AssertionError("a dry run connected")

    code = cli.main(
        ["backfill", "--database", "CLOUDTRAIL_DEV", "--since", "2026-11-19", "--dry-run"],
        out=out,
        err=err,
        env={},
        connect_to=refuse,
        now=NOW,
    )
    assert code == cli.EXIT_OK
    plan = backfill.plan(date(2026, 11, 19), TODAY, TODAY)
    assert out.getvalue() == "".join(f"{s};\n\n" for s in backfill.plan_statements(plan, LOCATION))
    assert "bulk COPY, day by day: 2026-11-19 to 2026-11-20 (2 days)" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-11-20", "--until", "2026-11-19"], "is before --since"),
        (["--since", "2026-11-28"], "is in the future"),
        (["--since", "2026-13-01"], "is not a date: use YYYY-MM-DD"),
    ],
)
def test_bad_dates_exit_2_with_one_line(args: list[str], message: str) -> None:
    code, out, err = _run(FakeStage({}, TODAY), *args)
    assert code == 2 and message in err and "Traceback" not in err and out == ""
