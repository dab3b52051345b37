"""The SQL the stack deploys: which S3 keys the pipe loads, and what the statements say."""

from __future__ import annotations

import re

import pytest

from lib import sql

ACCOUNT = "123456789012"
DAY = "2026/11/27"
LOG = f"{ACCOUNT}_CloudTrail_eu-west-1_20261127T0905Z_Ab3dE6gH9jK2mN5p.json.gz"


def loaded(key: str) -> bool:
    """Snowflake matches PATTERN against the whole path."""
    return re.fullmatch(sql.CLOUDTRAIL_LOG_PATTERN, key) is not None


@pytest.mark.parametrize(
    "key",
    [
        f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/{DAY}/{LOG}",
        # Snowpipe applies the pattern to the path after the stage URL only.
        f"AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/{DAY}/{LOG}",
        f"org/cloudtrail/AWSLogs/o-a1b2c3d4e5/{ACCOUNT}/CloudTrail/eu-west-1/{DAY}/{LOG}",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-gov-west-1/{DAY}/"
        f"{ACCOUNT}_CloudTrail_us-gov-west-1_20261127T0905Z_0123456789abcdef.json.gz",
    ],
    ids=["prefixed", "after-stage-url", "organization", "govcloud"],
)
def test_pipe_loads_cloudtrail_log_files(key: str) -> None:
    assert loaded(key)


@pytest.mark.parametrize(
    "key",
    [
        f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail-Digest/eu-west-1/{DAY}/"
        f"{ACCOUNT}_CloudTrail-Digest_eu-west-1_cloudtrail-snowflake-dev_eu-west-1_20261127T0905Z.json.gz",
        f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail-Insight/eu-west-1/{DAY}/"
        f"{ACCOUNT}_CloudTrail-Insight_eu-west-1_20261127T0905Z_Ab3dE6gH9jK2mN5p.json.gz",
        f"cloudtrail/AWSLogs/o-a1b2c3d4e5/{ACCOUNT}/CloudTrail-Digest/eu-west-1/{DAY}/"
        f"{ACCOUNT}_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20261127T0905Z.json.gz",
        # CloudTrail's write check, and anything else that is not a log file.
        f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/{DAY}/{LOG[:-3]}",
        f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/{DAY}/{LOG}.tmp",
        f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/",
        f"cloudtrail/AWSLogs/{ACCOUNT}/elasticloadbalancing/eu-west-1/{DAY}/x.log.gz",
        f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/{DAY}/notes/{LOG}",
    ],
    ids=[
        "digest",
        "insight",
        "org-digest",
        "not-gzip",
        "suffix",
        "folder",
        "other-service",
        "nested",
    ],
)
def test_pipe_skips_everything_else(key: str) -> None:
    assert not loaded(key)


def test_copy_statement_fills_table_stage_and_pattern() -> None:
    statement = sql.copy_statement("DB.S.CLOUDTRAIL_RAW", "DB.S.CLOUDTRAIL_STAGE")
    assert statement.startswith("COPY INTO DB.S.CLOUDTRAIL_RAW (RECORD, FILENAME, LOADED_AT)")
    assert "FROM @DB.S.CLOUDTRAIL_STAGE)" in statement
    assert f"PATTERN = '{sql.CLOUDTRAIL_LOG_PATTERN}'" in statement
    # Comments document the file; the stored statement must not carry them (or their braces).
    assert "--" not in statement
    # A backslash in a Snowflake string literal is an escape: the pattern must not need one.
    assert "\\" not in statement


def test_copy_statement_is_stable() -> None:
    """The provider replaces a pipe whose statement differs even in whitespace."""
    assert sql.copy_statement("A.B.C", "A.B.D") == sql.copy_statement("A.B.C", "A.B.D")
    assert not any(
        line != line.strip() for line in sql.copy_statement("A.B.C", "A.B.D").split("\n")
    )


def test_flatten_reads_every_event_of_the_raw_records() -> None:
    statement = sql.events_flatten_statement("DB.S.CLOUDTRAIL_RAW_STREAM")
    assert statement.startswith("SELECT")
    assert statement.endswith(
        "FROM DB.S.CLOUDTRAIL_RAW_STREAM, LATERAL FLATTEN(input => record:Records)"
    )
    columns = {c.upper() for c in re.findall(r" AS (\w+),?$", statement, re.MULTILINE)}
    # Every column of the typed table but the two the MERGE derives (the date, what was untyped).
    assert {name for name, _ in sql.EVENT_COLUMNS} - columns == {"EVENTDATE", "UNTYPED"}


def test_no_value_can_fail_the_flatten() -> None:
    """One failed cast fails the events task's whole MERGE, on every run, until the task is
    suspended: only casts that cannot fail (to string, to variant) and TRY_CAST."""
    statement = sql.events_flatten_statement("T")
    casts = set(re.findall(r"::(\w+)", statement))
    assert casts == {"string", "variant"}
    assert re.findall(r"TRY_CAST\(value:(\w+)::string AS (\w+)\)", statement) == [
        ("eventTime", "TIMESTAMP_TZ"),
        ("readOnly", "BOOLEAN"),
    ]


def test_the_view_keeps_the_quickstart_columns_and_reads_the_typed_table() -> None:
    view = sql.cloudtrail_view_statement("DB.S.CLOUDTRAIL_EVENTS")
    assert view.endswith("FROM DB.S.CLOUDTRAIL_EVENTS")
    columns = re.findall(r"^    (\w+),?$", view, re.MULTILINE)
    flattened = re.findall(r" AS (\w+),?$", sql.events_flatten_statement("T"), re.MULTILINE)
    assert columns[:29] == flattened[:29]
    assert (columns[0], columns[28]) == ("eventTime", "insightDetails")
    # Then the event's identity and what could not be typed, for the detections and analysts.
    assert columns[29:] == ["eventHash", "untyped"]


def test_merge_lands_the_typed_table_columns_in_order() -> None:
    merge = sql.events_merge_statement("DB.S.CLOUDTRAIL_EVENTS", "DB.S.NEW")
    inserted = re.search(r"INSERT \((.*?)\) VALUES", merge, re.DOTALL)
    assert inserted
    names = [n.strip().upper() for n in inserted.group(1).split(",")]
    assert names == [name for name, _ in sql.EVENT_COLUMNS]


def test_findings_merge_fills_the_findings_table_columns() -> None:
    merge = sql.findings_merge_statement("DB.S.FINDINGS", "SELECT 1", "DB.S.STREAM")
    inserted = re.search(r"WHEN NOT MATCHED THEN INSERT \((.*?)\) VALUES", merge, re.DOTALL)
    assert inserted
    names = [n.strip().upper() for n in inserted.group(1).split(",")]
    assert names == [name for name, _ in sql.FINDING_TABLE_COLUMNS]
