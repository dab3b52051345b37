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


def test_view_flattens_the_records_of_the_raw_table() -> None:
    statement = sql.cloudtrail_view_statement("DB.S.CLOUDTRAIL_RAW")
    assert statement.startswith("SELECT")
    assert statement.endswith("FROM DB.S.CLOUDTRAIL_RAW, LATERAL FLATTEN(input => record:Records)")
    columns = re.findall(r" AS (\w+),?$", statement, re.MULTILINE)
    assert columns[0] == "eventTime"
    assert columns[-1] == "insightDetails"
    assert {"eventName", "eventSource", "userIdentity", "errorCode", "eventID"} <= set(columns)
    assert len(columns) == len(set(columns)) == 29
    # Objects stay VARIANT: casting an object to a string fails in Snowflake.
    assert "value:addendum::variant" in statement
    assert "value:edgeDeviceDetails::variant" in statement
