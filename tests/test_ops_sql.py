"""Every statement `python -m ops` issues parses with sqlfluff's Snowflake dialect, and reads
only columns the stack's tables have (lib/schema.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from support import parses

from lib import schema, sql
from ops import backfill, statements
from ops.statements import Location

LOCATION = Location("CLOUDTRAIL_DEV", "AUDIT")
PLAN = backfill.plan(date(2026, 11, 1), date(2026, 11, 27), date(2026, 11, 27))
ISSUED = [
    *statements.status_statements(LOCATION),
    *backfill.plan_statements(PLAN, LOCATION),
]


def test_the_plan_issues_a_list_and_a_copy_per_day_then_the_refresh() -> None:
    assert len(ISSUED) == 8 + 2 * 20 + 1
    assert ISSUED[-1] == statements.pipe_refresh(LOCATION, datetime(2026, 11, 21, tzinfo=UTC))


@pytest.mark.parametrize("statement", ISSUED, ids=lambda s: re.sub(r"\W+", "-", s[:40]))
def test_every_statement_parses(statement: str) -> None:
    assert parses(statement)


def test_columns_read_are_the_tables_columns() -> None:
    raw = {c.name for c in schema.RAW_COLUMNS}
    events = {c.name for c in schema.EVENT_COLUMNS}
    findings = {c.name for c in schema.FINDING_COLUMNS}
    lag = statements.event_lag(LOCATION)
    assert re.findall(r"MAX\((\w+)\) FROM (\S+)\)", lag) == [
        ("LOADED_AT", LOCATION.qualified(schema.RAW_TABLE)),
        ("loadedAt", LOCATION.qualified(schema.EVENTS_TABLE)),
    ]
    assert {"LOADED_AT"} <= raw and {"loadedAt"} <= events
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
    ):
        assert name in joined
    assert f"SYSTEM$PIPE_STATUS('{LOCATION.qualified(schema.PIPE)}')" in joined
    assert f"PREFIX = '{sql.LOGS_FOLDER}'" in joined
