"""The Snowflake objects' names and columns: defined here once, declared by the stack's resources
and the embedded runner's tables, and rendered into the SQL of `sql/` (lib/sql.py)."""

from __future__ import annotations

from dataclasses import dataclass

# Object names, unqualified; every stack places them in its own database and schema.
RAW_TABLE = "CLOUDTRAIL_RAW"
FILE_FORMAT = "CLOUDTRAIL_JSON"
STAGE = "CLOUDTRAIL_STAGE"
PIPE = "CLOUDTRAIL_PIPE"
EVENTS_TABLE = "CLOUDTRAIL_EVENTS"
RAW_STREAM = "CLOUDTRAIL_RAW_STREAM"
EVENTS_TASK = "CLOUDTRAIL_EVENTS_TASK"
CLOUDTRAIL_VIEW = "CLOUDTRAIL"
DETECTION_VIEW_PREFIX = "DETECT_"
DETECT_ALL_VIEW = f"{DETECTION_VIEW_PREFIX}ALL"
FINDINGS_TABLE = "FINDINGS"
EVENTS_STREAM = "CLOUDTRAIL_EVENTS_STREAM"
FINDINGS_TASK = "FINDINGS_TASK"
FINDINGS_SUMMARY_VIEW = "FINDINGS_SUMMARY"
FINDINGS_ALERT = "FINDINGS_ALERT"
FINDINGS_ALERT_STREAM = "FINDINGS_ALERT_STREAM"
FINDINGS_NOTIFIED_TABLE = "FINDINGS_NOTIFIED"
# Pipeline health (lib/health.py): the view dashboards and `python -m ops status` read, the alert
# on it, and the alert's record of what it last notified.
PIPELINE_HEALTH_VIEW = "PIPELINE_HEALTH"
PIPELINE_HEALTH_ALERT = "PIPELINE_HEALTH_ALERT"
PIPELINE_HEALTH_NOTIFIED_TABLE = "PIPELINE_HEALTH_NOTIFIED"
SUPPRESSIONS_TABLE = "SUPPRESSIONS"


def detection_view(detection_id: str) -> str:
    """The view the stack deploys for one detection."""
    return f"{DETECTION_VIEW_PREFIX}{detection_id.upper()}"


# The types whose flatten cannot fail without TRY_CAST: `::string` and `::variant` of any value.
_TEXT, _VARIANT = "VARCHAR", "VARIANT"


@dataclass(frozen=True)
class Column:
    """A table column as the SQL refers to it (`name`, camelCase); unquoted, Snowflake stores it
    upper case (`identifier`), which is what the Table resources declare."""

    name: str
    type: str
    path: str | None = None
    """Events table: where in a CloudTrail event the flatten reads the value
    (`userIdentity:type`). None for the columns the pipeline computes."""
    expression: str | None = None
    """Events table: how the flatten computes a column that is not read from the event (from
    the raw row); None with no `path` either means the events MERGE computes it. Findings
    table: what a detection selects for it over the `cloudtrail` view; None means the findings
    framework or MERGE fills it."""
    in_finding: bool = False
    """Events table: a finding keeps the column's value, as landed, in its EVENT object."""
    nullable: bool = True
    default: str | None = None
    """The value an INSERT that names no value for the column stores (an SQL expression)."""

    @property
    def identifier(self) -> str:
        return self.name.upper()

    @property
    def typed(self) -> bool:
        """Read from the event and converted to a type a delivered value may not fit, so the
        flatten uses TRY_CAST and keeps the delivered text beside it (`raw`)."""
        return self.path is not None and self.type not in (_TEXT, _VARIANT)

    @property
    def raw(self) -> str:
        """The flatten's column holding the delivered text of a typed column."""
        return f"raw{self.name[0].upper()}{self.name[1:]}"

    def flatten(self) -> str | None:
        """The flatten's expression for this column, over a Records element `value`; None for a
        column the events MERGE computes. No value can fail it: `::string` and `::variant` never
        fail (of an object or array, `::string` is the JSON text), and TRY_CAST returns NULL
        instead of failing (it takes a string:
        https://docs.snowflake.com/sql-reference/functions/try_cast)."""
        if self.path is None:
            return self.expression
        if self.type == _VARIANT:
            return f"value:{self.path}::variant"
        if self.type == _TEXT:
            return f"value:{self.path}::string"
        return f"TRY_CAST(value:{self.path}::string AS {self.type})"


def _event(name: str, type_: str = _TEXT, *, in_finding: bool = False) -> Column:
    """A top-level field of the event, under its own name."""
    return Column(name, type_, path=name, in_finding=in_finding)


# The raw table: one CloudTrail log file per row as delivered, with where and when it was loaded
# (sql/pipe_copy.sql fills it).
RAW_COLUMNS = (
    Column("RECORD", _VARIANT),
    Column("FILENAME", _TEXT),
    Column("LOADED_AT", "TIMESTAMP_LTZ"),
)

# The typed events table, in its deployed order: the provider compares a Table's columns by
# position, so a reordering would drop and re-add columns of a deployed table. New columns go at
# the end: the provider adds them in place. The scalar fields typed, the actor broken out, the
# nested parts kept as VARIANT, to be queried by path. eventTime is TIMESTAMP_TZ: CloudTrail
# times are UTC, and a zone-less TIMESTAMP would take the session's zone.
EVENT_COLUMNS = (
    _event("eventTime", "TIMESTAMP_TZ"),
    # The day of eventTime, the clustering key (events_merge.sql).
    Column("eventDate", "DATE"),
    _event("eventID", in_finding=True),
    _event("eventName", in_finding=True),
    _event("eventSource", in_finding=True),
    _event("awsRegion", in_finding=True),
    _event("sourceIPAddress", in_finding=True),
    _event("userAgent", in_finding=True),
    _event("errorCode", in_finding=True),
    _event("errorMessage", in_finding=True),
    Column("userIdentityType", _TEXT, path="userIdentity:type"),
    Column("userIdentityArn", _TEXT, path="userIdentity:arn"),
    Column("userIdentityAccountId", _TEXT, path="userIdentity:accountId"),
    Column("userIdentityPrincipalId", _TEXT, path="userIdentity:principalId"),
    Column("userIdentityInvokedBy", _TEXT, path="userIdentity:invokedBy"),
    _event("readOnly", "BOOLEAN", in_finding=True),
    _event("eventType", in_finding=True),
    _event("recipientAccountId", in_finding=True),
    _event("requestID", in_finding=True),
    _event("sharedEventID"),
    _event("eventVersion", in_finding=True),
    _event("apiVersion"),
    _event("managementEvent", _VARIANT),
    _event("eventCategory"),
    _event("vpcEndpointId"),
    _event("sessionCredentialFromConsole"),
    _event("userIdentity", _VARIANT, in_finding=True),
    _event("requestParameters", _VARIANT, in_finding=True),
    _event("responseElements", _VARIANT, in_finding=True),
    _event("additionalEventData", _VARIANT, in_finding=True),
    _event("resources", _VARIANT, in_finding=True),
    _event("serviceEventDetails", _VARIANT),
    _event("addendum", _VARIANT),
    _event("edgeDeviceDetails", _VARIANT),
    _event("tlsDetails", _VARIANT),
    _event("insightDetails", _VARIANT),
    # Where the event came from: the raw row's file and load time.
    Column("sourceFile", _TEXT, expression="filename", in_finding=True),
    Column("loadedAt", "TIMESTAMP_LTZ", expression="loaded_at"),
    # SHA-256 of the event's JSON: its identity (events_flatten.sql).
    Column("eventHash", _TEXT, expression="SHA2(value::string, 256)"),
    # The delivered text of each typed field that could not be typed, by field; NULL if none.
    Column("untyped", _VARIANT, in_finding=True),
)

# The `cloudtrail` view: the columns of Snowflake's CloudTrail quickstart, in its order, then
# the event's identity and what of it could not be typed.
CLOUDTRAIL_VIEW_COLUMNS = (
    "eventTime",
    "eventVersion",
    "userIdentity",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "eventType",
    "apiVersion",
    "managementEvent",
    "resources",
    "recipientAccountId",
    "serviceEventDetails",
    "sharedEventID",
    "eventCategory",
    "vpcEndpointId",
    "addendum",
    "sessionCredentialFromConsole",
    "edgeDeviceDetails",
    "tlsDetails",
    "insightDetails",
    "eventHash",
    "untyped",
)

# The FINDINGS table, one row per detection and event, in its deployed order (see
# EVENT_COLUMNS). Every detection selects the columns that carry an expression, over the
# `cloudtrail` view, so that the findings of all detections union into one shape.
FINDING_COLUMNS = (
    Column("detection", _TEXT),
    Column("severity", _TEXT),
    Column("eventID", _TEXT, expression="eventID"),
    Column("eventTime", "TIMESTAMP_TZ", expression="eventTime"),
    Column("eventName", _TEXT, expression="eventName"),
    Column("eventSource", _TEXT, expression="eventSource"),
    Column("userIdentityType", _TEXT, expression="userIdentity:type::string"),
    Column("userIdentityArn", _TEXT, expression="userIdentity:arn::string"),
    Column("sourceIPAddress", _TEXT, expression="sourceIPAddress"),
    Column("awsRegion", _TEXT, expression="awsRegion"),
    Column("recipientAccountId", _TEXT, expression="recipientAccountId"),
    Column("errorCode", _TEXT, expression="errorCode"),
    # When the findings task first found it.
    Column("first_seen_at", "TIMESTAMP_LTZ"),
    # The event's details as they were landed: the event columns marked `in_finding`.
    Column("event", _VARIANT),
    Column("eventHash", _TEXT, expression="eventHash"),
    # Tuning (lib/detections.py, sql/findings_merge.sql). The detection's dedup group and window
    # (NULL if it has no dedup): findings that share it raise one alert.
    Column("dedup_key", _TEXT),
    # The eventID of the finding that raised the alert for this one's dedup_key; NULL for that
    # finding itself and for every finding of a detection without dedup.
    Column("duplicate_of", _TEXT),
    # The id of the SUPPRESSIONS row that matched when the finding was made: kept, not alerted.
    Column("suppressed_by", _TEXT),
)


# FINDINGS_NOTIFIED: each finding FINDINGS_ALERT handed on (sql/alert_action.sql), with the run
# whose message carried it: the alert's record of what it notified, for audit and for consumers
# that drop a repeated message.
NOTIFIED_FINDING_COLUMNS = tuple(
    c
    for c in FINDING_COLUMNS
    if c.name in ("detection", "severity", "eventID", "eventTime", "first_seen_at")
)
NOTIFIED_COLUMNS = (
    Column("batch_id", _TEXT, nullable=False),
    Column("notified_at", "TIMESTAMP_LTZ", nullable=False),
    *NOTIFIED_FINDING_COLUMNS,
)

# PIPELINE_HEALTH: one row per check, every check always present (sql/pipeline_health_view.sql).
# A contract: `python -m ops status` and dashboards read these columns and STATUS values.
PIPELINE_HEALTH_COLUMNS = (
    Column("check_name", _TEXT),
    # The object checked, fully qualified.
    Column("subject", _TEXT),
    # One of HEALTH_STATUSES.
    Column("status", _TEXT),
    # What is wrong and where to look or what to run; for an ok check, what was seen.
    Column("detail", _TEXT),
    Column("checked_at", "TIMESTAMP_LTZ"),
)
HEALTH_STATUSES = ("ok", "degraded", "down")

# PIPELINE_HEALTH_NOTIFIED: each message PIPELINE_HEALTH_ALERT sent, with the state it reported
# (the failing checks and their statuses, '' once all are ok again): the alert compares the
# current state with the last one to decide whether to send (sql/pipeline_health_condition.sql).
HEALTH_NOTIFIED_COLUMNS = (
    # When the checks the message reports ran (the view's CHECKED_AT).
    Column("notified_at", "TIMESTAMP_LTZ", nullable=False),
    Column("state", _TEXT, nullable=False),
    Column("summary", _TEXT, nullable=False),
    Column("details", _VARIANT),
)

# SUPPRESSIONS: findings to keep but not alert on, edited by analysts with SQL and seeded from a
# file (lib/suppressions.py). A suppression matches a finding of its detection (NULL: of every
# detection) whose fields match each of its conditions that is set (LIKE patterns, see
# SUPPRESSION_CONDITIONS), until expires_at.
SUPPRESSION_COLUMNS = (
    Column("id", _TEXT, nullable=False),
    Column("detection", _TEXT),
    Column("actor_arn", _TEXT),
    Column("account_id", _TEXT),
    Column("source_ip", _TEXT),
    Column("region", _TEXT),
    Column("event_name", _TEXT),
    Column("reason", _TEXT, nullable=False),
    Column("owner", _TEXT, nullable=False),
    Column("expires_at", "TIMESTAMP_LTZ", nullable=False),
    Column("created_at", "TIMESTAMP_LTZ", nullable=False, default="CURRENT_TIMESTAMP()"),
)
# Each condition of a suppression, and the finding column it is matched with.
SUPPRESSION_CONDITIONS = {
    "actor_arn": "userIdentityArn",
    "account_id": "recipientAccountId",
    "source_ip": "sourceIPAddress",
    "region": "awsRegion",
    "event_name": "eventName",
}

# What a finding keeps of its event (Column.in_finding).
FINDING_EVENT_COLUMNS = tuple(c for c in EVENT_COLUMNS if c.in_finding)
# The columns read from the event and typed (Column.typed).
TYPED_COLUMNS = tuple(c for c in EVENT_COLUMNS if c.typed)
# What every detection selects over the `cloudtrail` view.
DETECTED_COLUMNS = tuple(c for c in FINDING_COLUMNS if c.expression is not None)
# A finding as the detections produce it (DETECT_ALL, the findings task's source): which
# detection found it and its severity, then DETECTED_COLUMNS, then its dedup group and window.
FINDING_KEYS = ("detection", "severity", *(c.name for c in DETECTED_COLUMNS), "dedup_key")
# The finding columns a threshold or a dedup may group by: what identifies who did what where,
# not one event (its id, time or hash).
GROUPABLE_COLUMNS = tuple(
    c.name for c in DETECTED_COLUMNS if c.name not in ("eventID", "eventTime", "eventHash")
)
# What the findings MERGE decides for each finding when it makes it: the finding is alerted on
# only if both are NULL.
RESOLVED_KEYS = ("duplicate_of", "suppressed_by")


def _check_event_columns(names: tuple[str, ...], what: str) -> None:
    unknown = set(names) - {column.name for column in EVENT_COLUMNS}
    if unknown:
        raise ValueError(f"{what} names columns the events table does not have: {sorted(unknown)}")


_check_event_columns(CLOUDTRAIL_VIEW_COLUMNS, "CLOUDTRAIL_VIEW_COLUMNS")


def _check_finding_columns(names: tuple[str, ...], what: str) -> None:
    unknown = set(names) - {column.name for column in FINDING_COLUMNS}
    if unknown:
        raise ValueError(
            f"{what} names columns the findings table does not have: {sorted(unknown)}"
        )


_check_finding_columns(
    (*SUPPRESSION_CONDITIONS.values(), *FINDING_KEYS, *RESOLVED_KEYS), "the finding keys"
)
