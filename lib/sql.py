"""SQL the stack deploys, loaded from `sql/` and filled in from plain values."""

from __future__ import annotations

import re
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# The raw table: one CloudTrail log file per row as delivered, with where and when it was loaded.
# Declared by the stack and by the embedded runner alike.
RAW_COLUMNS = (("RECORD", "VARIANT"), ("FILENAME", "VARCHAR"), ("LOADED_AT", "TIMESTAMP_LTZ"))

# The typed events table, filled by events_merge.sql (whose INSERT lists these columns in this
# order): the scalar fields typed, the actor broken out, the nested parts kept as VARIANT. New
# columns go at the end: the provider adds them to a deployed table in place.
EVENT_COLUMNS = (
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
    # SHA-256 of the event's JSON: its identity (identical copies are one event).
    ("EVENTHASH", "VARCHAR"),
    # The delivered text of each typed field that could not be typed, by field; NULL if none.
    ("UNTYPED", "VARIANT"),
)

# The eventID given to an event delivered without one: this prefix, then the event's hash.
SURROGATE_ID_PREFIX = "surrogate:"

# What the findings task persists: one row per detection and event (findings_merge.sql).
FINDING_TABLE_COLUMNS = (
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
)

# The object keys CloudTrail gives its log files, single-account and organization layouts:
#   <prefix>/AWSLogs/[o-<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
#       <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
# Snowflake matches PATTERN against the whole path, and for Snowpipe only the part after the
# stage URL; the leading .* makes the pattern hold either way. Character classes instead of
# backslashes, which a Snowflake string literal would consume.
CLOUDTRAIL_LOG_PATTERN = (
    ".*AWSLogs/(o-[a-z0-9]{10,32}/)?[0-9]{12}/CloudTrail/[a-z0-9-]+/"
    "[0-9]{4}/[0-9]{2}/[0-9]{2}/"
    "[0-9]{12}_CloudTrail_[a-z0-9-]+_[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]+[.]json[.]gz"
)


def load_sql(name: str) -> str:
    """A file of `sql/` without its whole-line comments, which document the file but have no
    place in a statement the provider stores and diffs."""
    lines = (SQL_DIR / name).read_text().splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()


def qualified(database: str, schema: str, name: str) -> str:
    """`DB.SCHEMA.NAME` for identifiers already validated as plain upper-case names."""
    return f"{database}.{schema}.{name}"


def copy_statement(raw_table: str, stage: str) -> str:
    return load_sql("pipe_copy.sql").format(
        raw_table=raw_table, stage=stage, pattern=CLOUDTRAIL_LOG_PATTERN
    )


def events_flatten_statement(source: str) -> str:
    """One row per event of the raw log files in `source` (the raw table or its stream)."""
    return load_sql("events_flatten.sql").format(source=source)


def typed_fields() -> tuple[str, ...]:
    """The fields the flatten converts with TRY_CAST: the ones whose delivered value may not be
    typable, and that events_merge.sql then records in UNTYPED."""
    return tuple(re.findall(r"TRY_CAST\(value:(\w+)::string", load_sql("events_flatten.sql")))


def events_merge_statement(events: str, new_events: str) -> str:
    """Lands `new_events` (a table, view or parenthesised SELECT) in `events`, once each."""
    return load_sql("events_merge.sql").format(
        events=events, new_events=new_events, surrogate_prefix=SURROGATE_ID_PREFIX
    )


def cloudtrail_view_statement(events: str) -> str:
    return load_sql("cloudtrail_view.sql").format(events=events)


def findings_merge_statement(findings: str, detections: str, new_events: str) -> str:
    """Persists `detections` (the union of the detections over `new_events`) in `findings`."""
    return load_sql("findings_merge.sql").format(
        findings=findings, detections=detections, new_events=new_events
    )


def findings_summary_statement(findings: str) -> str:
    return load_sql("findings_summary.sql").format(findings=findings)


def create_table(name: str, columns: tuple[tuple[str, str], ...]) -> str:
    """DDL for the embedded engine; the stack declares the same columns as Table resources."""
    return f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})"
