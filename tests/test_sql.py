"""The SQL the stack deploys: which S3 keys the pipe loads, and what the statements say."""

from __future__ import annotations

import hashlib
import re

import pytest
from rehearsal import Copy
from support import RAW_VALUES

from lib import schema, sql

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


def test_the_pipe_fills_every_raw_column_with_the_file_its_path_and_the_load_start() -> None:
    copy = Copy.parse(sql.copy_statement("DB.S.CLOUDTRAIL_RAW", "DB.S.CLOUDTRAIL_STAGE"))
    assert set(RAW_VALUES) == {c.name for c in schema.RAW_COLUMNS}
    assert dict(zip(copy.columns, copy.values, strict=True)) == RAW_VALUES


def test_copy_statement_fills_table_stage_and_pattern() -> None:
    statement = sql.copy_statement("DB.S.CLOUDTRAIL_RAW", "DB.S.CLOUDTRAIL_STAGE")
    copy = Copy.parse(statement)
    assert (copy.table, copy.stage) == ("DB.S.CLOUDTRAIL_RAW", "DB.S.CLOUDTRAIL_STAGE")
    assert copy.pattern == sql.CLOUDTRAIL_LOG_PATTERN
    # Comments document the file; the stored statement must not carry them (or their braces).
    assert "--" not in statement
    # A backslash in a Snowflake string literal is an escape: the pattern must not need one.
    assert "\\" not in statement


def test_copy_statement_is_unchanged() -> None:
    """The provider replaces a pipe whose statement differs even in whitespace, and a replaced
    pipe starts without the load history that keeps it from loading a file twice. So a change
    to sql/pipe_copy.sql or to what fills it is a migration of every deployed stack: say so in
    docs/operations.md, then record the new digest here."""
    statement = sql.copy_statement(
        "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW", "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_STAGE"
    )
    assert hashlib.sha256(statement.encode()).hexdigest() == (
        "0821dbec1e86a9287945693766187f6b6b868b4a75d5f173603fb81aa98c3dd2"
    ), statement


def test_flatten_reads_every_event_of_the_raw_records() -> None:
    statement = sql.events_flatten_statement("DB.S.CLOUDTRAIL_RAW_STREAM")
    assert statement.startswith("SELECT")
    assert statement.endswith(
        "FROM DB.S.CLOUDTRAIL_RAW_STREAM, LATERAL FLATTEN(input => record:Records)"
    )


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


# The deployed tables, as the stack first created them. The provider compares a Table's columns
# by position: a change here is a migration of every deployed stack (a reordering drops and
# re-adds columns, and their data with them); a new column goes at the end.
DEPLOYED = {
    "raw": (("RECORD", "VARIANT"), ("FILENAME", "VARCHAR"), ("LOADED_AT", "TIMESTAMP_LTZ")),
    "events": (
        ("EVENTTIME", "TIMESTAMP_TZ"),
        ("EVENTDATE", "DATE"),
        ("EVENTID", "VARCHAR"),
        ("EVENTNAME", "VARCHAR"),
        ("EVENTSOURCE", "VARCHAR"),
        ("AWSREGION", "VARCHAR"),
        ("SOURCEIPADDRESS", "VARCHAR"),
        ("USERAGENT", "VARCHAR"),
        ("ERRORCODE", "VARCHAR"),
        ("ERRORMESSAGE", "VARCHAR"),
        ("USERIDENTITYTYPE", "VARCHAR"),
        ("USERIDENTITYARN", "VARCHAR"),
        ("USERIDENTITYACCOUNTID", "VARCHAR"),
        ("USERIDENTITYPRINCIPALID", "VARCHAR"),
        ("USERIDENTITYINVOKEDBY", "VARCHAR"),
        ("READONLY", "BOOLEAN"),
        ("EVENTTYPE", "VARCHAR"),
        ("RECIPIENTACCOUNTID", "VARCHAR"),
        ("REQUESTID", "VARCHAR"),
        ("SHAREDEVENTID", "VARCHAR"),
        ("EVENTVERSION", "VARCHAR"),
        ("APIVERSION", "VARCHAR"),
        ("MANAGEMENTEVENT", "VARIANT"),
        ("EVENTCATEGORY", "VARCHAR"),
        ("VPCENDPOINTID", "VARCHAR"),
        ("SESSIONCREDENTIALFROMCONSOLE", "VARCHAR"),
        ("USERIDENTITY", "VARIANT"),
        ("REQUESTPARAMETERS", "VARIANT"),
        ("RESPONSEELEMENTS", "VARIANT"),
        ("ADDITIONALEVENTDATA", "VARIANT"),
        ("RESOURCES", "VARIANT"),
        ("SERVICEEVENTDETAILS", "VARIANT"),
        ("ADDENDUM", "VARIANT"),
        ("EDGEDEVICEDETAILS", "VARIANT"),
        ("TLSDETAILS", "VARIANT"),
        ("INSIGHTDETAILS", "VARIANT"),
        ("SOURCEFILE", "VARCHAR"),
        ("LOADEDAT", "TIMESTAMP_LTZ"),
        ("EVENTHASH", "VARCHAR"),
        ("UNTYPED", "VARIANT"),
    ),
    "findings": (
        ("DETECTION", "VARCHAR"),
        ("SEVERITY", "VARCHAR"),
        ("EVENTID", "VARCHAR"),
        ("EVENTTIME", "TIMESTAMP_TZ"),
        ("EVENTNAME", "VARCHAR"),
        ("EVENTSOURCE", "VARCHAR"),
        ("USERIDENTITYTYPE", "VARCHAR"),
        ("USERIDENTITYARN", "VARCHAR"),
        ("SOURCEIPADDRESS", "VARCHAR"),
        ("AWSREGION", "VARCHAR"),
        ("RECIPIENTACCOUNTID", "VARCHAR"),
        ("ERRORCODE", "VARCHAR"),
        ("FIRST_SEEN_AT", "TIMESTAMP_LTZ"),
        ("EVENT", "VARIANT"),
        ("EVENTHASH", "VARCHAR"),
        # Added with thresholds, dedup and suppressions: at the end, in place.
        ("DEDUP_KEY", "VARCHAR"),
        ("DUPLICATE_OF", "VARCHAR"),
        ("SUPPRESSED_BY", "VARCHAR"),
    ),
}


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("raw", schema.RAW_COLUMNS),
        ("events", schema.EVENT_COLUMNS),
        ("findings", schema.FINDING_COLUMNS),
    ],
)
def test_the_deployed_columns_keep_their_names_types_and_order(
    table: str, columns: tuple[schema.Column, ...]
) -> None:
    assert tuple((c.identifier, c.type) for c in columns) == DEPLOYED[table]


def test_a_view_or_finding_field_must_be_an_event_column() -> None:
    with pytest.raises(ValueError, match=r"names columns the events table does not have.*evntName"):
        schema._check_event_columns(("eventName", "evntName"), "a list")


def test_a_finding_key_must_be_a_findings_column() -> None:
    schema._check_finding_columns(("eventID", "detection"), "keys")
    with pytest.raises(ValueError) as refused:
        schema._check_finding_columns(("eventID", "evntID", "actor"), "the finding keys")
    assert str(refused.value) == (
        "the finding keys names columns the findings table does not have: ['actor', 'evntID']"
    )


@pytest.mark.parametrize("in_finding", [False, True])
def test_an_event_column_is_the_field_of_its_name(in_finding: bool) -> None:
    assert schema._event("eventName", in_finding=in_finding) == schema.Column(
        "eventName", "VARCHAR", path="eventName", in_finding=in_finding
    )
    assert schema._event("readOnly", "BOOLEAN") == schema.Column(
        "readOnly", "BOOLEAN", path="readOnly", in_finding=False
    )


def test_a_copy_of_named_files_refuses_a_pipe_copy_without_its_pattern(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sql, "copy_statement", lambda raw_table, stage: "COPY INTO T FROM @S")
    with pytest.raises(ValueError) as refused:
        sql.copy_files_statement("T", "S", ["a.json.gz"])
    assert str(refused.value) == (
        "sql/pipe_copy.sql no longer ends with its PATTERN: COPY INTO T FROM @S"
    )
