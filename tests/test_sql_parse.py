"""Every SQL file under sql/, filled in as deployed, parses with sqlfluff's Snowflake dialect."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlfluff
from sqlfluff.api.simple import APIParsingError

from lib import sql
from lib.detections import findings_statement, load_detections

PLACEHOLDERS = {
    "raw_table": "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW",
    "stage": "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_STAGE",
    "pattern": sql.CLOUDTRAIL_LOG_PATTERN,
    "cloudtrail": "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL",
}
SQL_FILES = sorted(sql.SQL_DIR.rglob("*.sql"))


def parses(statement: str) -> bool:
    try:
        sqlfluff.parse(statement, dialect="snowflake")
    except APIParsingError:
        return False
    return True


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(sql.SQL_DIR)))
def test_sql_file_parses(path: Path) -> None:
    name = path.relative_to(sql.SQL_DIR).as_posix()
    assert parses(sql.load_sql(name).format(**PLACEHOLDERS))


def test_generated_findings_view_parses() -> None:
    detections = load_detections()
    views = {d.id: f"CLOUDTRAIL_DEV.AUDIT.{d.view_name}" for d in detections}
    assert parses(findings_statement(detections, views))


def test_the_parser_rejects_broken_sql() -> None:
    assert not parses("SELECT eventName FROM WHERE errorCode LIKE")
