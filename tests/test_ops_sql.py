"""Every statement `python -m ops` issues parses with sqlfluff's Snowflake dialect, reads only
columns the stack's tables and views have (lib/schema.py), and every sql/ops_*.sql file is one
of them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from support import parses

from lib import health, schema, sql
from ops import backfill, statements
from ops.statements import Location

LOCATION = Location("CLOUDTRAIL_DEV", "AUDIT")
PLAN = backfill.plan(date(2026, 11, 1), date(2026, 11, 27), date(2026, 11, 27))
# A COPY as a run issues it: the files LIST found, relative to the stage, 1,000 at most; one
# key with a quote and a backslash, which only the prefix before AWSLogs/ could hold.
FILES = [
    f"AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/eu-west-1/2026/11/0{n % 9 + 1}/"
    f"123456789012_CloudTrail_eu-west-1_2026110{n % 9 + 1}T0905Z_F{n:05d}.json.gz"
    for n in range(999)
] + ["AWSLogs/it's\\odd.json.gz"]
ISSUED = [
    *statements.status_statements(LOCATION),
    statements.show_view(LOCATION),
    *backfill.plan_statements(PLAN, LOCATION),
    statements.backfill_copy(LOCATION, FILES),
]


def test_the_plan_issues_one_list_a_copy_per_day_then_the_refresh() -> None:
    planned = backfill.plan_statements(PLAN, LOCATION)
    assert len(planned) == 1 + 20 + 1
    assert planned[0].startswith("LIST @") and sum(s.startswith("LIST") for s in ISSUED) == 1
    assert all(s.startswith("COPY INTO") and "/2026/11/" in s for s in planned[1:-1])
    assert planned[-1] == statements.pipe_refresh(LOCATION, datetime(2026, 11, 21, tzinfo=UTC))


def test_every_ops_sql_file_is_issued(monkeypatch: pytest.MonkeyPatch) -> None:
    """No dead statement: building every statement ops issues loads each sql/ops_*.sql."""
    loaded: set[str] = set()
    load_sql = sql.load_sql

    def recording(name: str) -> str:
        loaded.add(name)
        return load_sql(name)

    monkeypatch.setattr(sql, "load_sql", recording)
    statements.status_statements(LOCATION)
    statements.show_view(LOCATION)
    backfill.plan_statements(PLAN, LOCATION)
    assert {p.name for p in sql.SQL_DIR.glob("ops_*.sql")} <= loaded


@pytest.mark.parametrize("statement", ISSUED, ids=lambda s: re.sub(r"\W+", "-", s[:40]))
def test_every_statement_parses(statement: str) -> None:
    assert parses(statement)


def test_columns_read_are_the_views_and_tables_columns() -> None:
    assert statements.pipeline_health(LOCATION) == (
        "SELECT CHECK_NAME, SUBJECT, STATUS, DETAIL, CHECKED_AT FROM "
        "CLOUDTRAIL_DEV.AUDIT.PIPELINE_HEALTH"
    )
    assert [c.identifier for c in schema.PIPELINE_HEALTH_COLUMNS] == [
        "CHECK_NAME",
        "SUBJECT",
        "STATUS",
        "DETAIL",
        "CHECKED_AT",
    ]
    findings = {c.name for c in schema.FINDING_COLUMNS}
    assert {"severity", "first_seen_at"} <= findings
    by_severity = statements.findings_by_severity(LOCATION)
    assert "GROUP BY severity" in by_severity and "first_seen_at >=" in by_severity


def test_names_come_from_the_schema_module() -> None:
    joined = "\n".join(ISSUED)
    for name in (
        schema.PIPE,
        schema.RAW_TABLE,
        schema.STAGE,
        schema.EVENTS_TASK,
        schema.FINDINGS_TASK,
        schema.PIPELINE_HEALTH_VIEW,
    ):
        assert name in joined
    assert f"SYSTEM$PIPE_STATUS('{LOCATION.qualified(schema.PIPE)}')" in joined
    assert f"PREFIX = '{sql.LOGS_FOLDER}'" in joined
    assert statements.show_view(LOCATION) == (
        "SHOW VIEWS LIKE 'PIPELINE_HEALTH' IN SCHEMA CLOUDTRAIL_DEV.AUDIT"
    )


def test_task_errors_cover_the_views_tasks_and_history() -> None:
    """The same tasks and the same TASK_HISTORY range as the view (lib/health.py)."""
    errors = statements.task_errors(LOCATION)
    assert f"DATEADD('hour', -{health.HISTORY_HOURS}, CURRENT_TIMESTAMP())" in errors
    assert "name IN ('CLOUDTRAIL_EVENTS_TASK', 'FINDINGS_TASK')" in errors
    assert health.TASKS == (schema.EVENTS_TASK, schema.FINDINGS_TASK)
