"""Every statement of sql/, filled in as deployed, parses with sqlfluff's Snowflake dialect."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import parses

from lib import sql
from lib.detections import Detection, findings_statement, load_detections


class Placeholders(dict[str, str]):
    """What the stack fills in: a pattern, a SELECT, or else the object's qualified name."""

    def __missing__(self, key: str) -> str:
        return f"CLOUDTRAIL_DEV.AUDIT.{key.upper()}"


PLACEHOLDERS = Placeholders(
    pattern=sql.CLOUDTRAIL_LOG_PATTERN,
    interval_minutes="15",
    recipients="'secops@example.com'",
    # The alert action's notification calls, filled in one by one from their own files.
    notifications="CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(:details, 'X');",
    notified_columns="batch_id, notified_at, detection",
    send_declarations="sent INTEGER DEFAULT 0;",
    send_commit="COMMIT;",
    call="CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(:details, 'X');",
    finding_columns="detection",
    detections="SELECT 'cis_root_usage' AS detection, 'high' AS severity, eventID FROM S.T",
    # A suppression's conditions on a finding, each `AND (...)`.
    suppressed="",
    conditions="sup.region",
    landed="CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS_STREAM",
    # The health alert's record of its message, a statement of its own (pipeline_health_record.sql).
    record="INSERT INTO CLOUDTRAIL_DEV.AUDIT.PIPELINE_HEALTH_NOTIFIED (STATE) SELECT 'x'",
    # The health view's history CTEs, filled in from their own files (a call per task, alert).
    task_history="SELECT name FROM CLOUDTRAIL_DEV.AUDIT.T",
    alert_history="SELECT name FROM CLOUDTRAIL_DEV.AUDIT.A",
    task="FINDINGS_TASK",
    alert="FINDINGS_ALERT",
    history_hours="167",
    history_limit="10000",
)
# The statements; sql/detections/ holds conditions, which the framework renders (below).
SQL_FILES = sorted(sql.SQL_DIR.glob("*.sql"))
DETECTIONS = load_detections()


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(sql.SQL_DIR)))
def test_sql_file_parses(path: Path) -> None:
    name = path.relative_to(sql.SQL_DIR).as_posix()
    text = sql.load_sql(name).format_map(PLACEHOLDERS)
    # A Scripting block's declarations parse only in the block they go in.
    if name.endswith("_declarations.sql"):
        text = f"DECLARE\n{text}\nBEGIN\n    RETURN 1;\nEND"
    assert parses(text)


@pytest.mark.parametrize(
    "statement",
    [
        sql.events_flatten_statement("CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW_STREAM"),
        sql.events_merge_statement("CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS", "DB.S.NEW"),
        sql.cloudtrail_view_statement("CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS"),
        sql.findings_merge_statement(
            "CLOUDTRAIL_DEV.AUDIT.FINDINGS",
            PLACEHOLDERS["detections"],
            "DB.S.STREAM",
            "CLOUDTRAIL_DEV.AUDIT.SUPPRESSIONS",
            "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS",
            10,
        ),
    ],
    ids=["flatten", "events-merge", "view", "findings-merge"],
)
def test_rendered_statement_parses(statement: str) -> None:
    """The column lists are rendered from lib/schema.py into these files."""
    assert parses(statement)


@pytest.mark.parametrize("detection", DETECTIONS, ids=lambda d: d.id)
def test_rendered_detection_parses(detection: Detection) -> None:
    """As a view over `cloudtrail`, and as the findings task runs it over the stream."""
    assert parses(
        detection.select("CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL", "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL")
    )
    assert parses(
        detection.select(
            "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS_STREAM",
            "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS",
        )
    )


def test_generated_findings_view_parses() -> None:
    views = {d.id: f"CLOUDTRAIL_DEV.AUDIT.{d.view_name}" for d in DETECTIONS}
    assert parses(findings_statement(DETECTIONS, views))


def test_the_parser_rejects_broken_sql() -> None:
    assert not parses("SELECT eventName FROM WHERE errorCode LIKE")
