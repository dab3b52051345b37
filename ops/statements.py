"""Every statement `python -m ops` issues: the files sql/ops_*.sql and the pipe's own COPY
(lib/sql.py), filled in with the stack's names from lib/schema.py. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lib import health, sql
from lib.schema import (
    FINDINGS_TABLE,
    PIPE,
    PIPELINE_HEALTH_COLUMNS,
    PIPELINE_HEALTH_VIEW,
    RAW_TABLE,
    STAGE,
)

FINDINGS_HOURS = 24
"""How far back `status` counts findings."""

# Appended to the pipe's COPY for a bulk load. ON_ERROR = SKIP_FILE: what Snowpipe does by
# default, where a bulk COPY would abort at the first bad file (and the report counts it).
# LOAD_UNCERTAIN_FILES = TRUE: bulk load metadata lives 64 days, and a file staged more than 64
# days ago with no metadata is "uncertain", which COPY skips by default; history older than the
# 7-day REFRESH window is mostly that old, so without it a backfill would load nearly nothing.
# Files this COPY loaded in the last 64 days keep their metadata and stay skipped, so a second
# run loads nothing twice; one loaded longer ago may be loaded again into the raw table, and the
# events task lands each event once however often its file is loaded (sql/events_merge.sql).
# Never FORCE = TRUE: it ignores the metadata and reloads everything on every run.
BACKFILL_COPY_OPTIONS = ("ON_ERROR = SKIP_FILE", "LOAD_UNCERTAIN_FILES = TRUE")


@dataclass(frozen=True)
class Location:
    """Where the stack's objects are: its validated database and schema (lib/config.py)."""

    database: str
    schema: str

    def qualified(self, name: str) -> str:
        return sql.qualified(self.database, self.schema, name)

    @property
    def information_schema(self) -> str:
        return f"{self.database}.INFORMATION_SCHEMA"


def _render(name: str, location: Location, **values: object) -> str:
    return sql.load_sql(name).format(
        pipe=location.qualified(PIPE),
        findings_table=location.qualified(FINDINGS_TABLE),
        stage=location.qualified(STAGE),
        database=location.database,
        schema_name=location.schema,
        schema=f"{location.database}.{location.schema}",
        information_schema=location.information_schema,
        **values,
    )


def pipeline_health(location: Location) -> str:
    """The deployed view's checks, its columns as lib/schema.py declares them."""
    return _render(
        "ops_pipeline_health.sql",
        location,
        columns=", ".join(c.identifier for c in PIPELINE_HEALTH_COLUMNS),
        view=location.qualified(PIPELINE_HEALTH_VIEW),
    )


def show_view(location: Location) -> str:
    """Whether the view exists (for the role), asked only when reading it failed."""
    return _render("ops_show_view.sql", location, view_name=PIPELINE_HEALTH_VIEW)


def show_tasks(location: Location) -> str:
    return _render("ops_show_tasks.sql", location)


def task_errors(location: Location) -> str:
    return _render(
        "ops_task_errors.sql",
        location,
        tasks=", ".join(f"'{task}'" for task in health.TASKS),
        history_hours=health.HISTORY_HOURS,
    )


def pipe_status(location: Location) -> str:
    return _render("ops_pipe_status.sql", location)


def findings_by_severity(location: Location) -> str:
    return _render("ops_findings_by_severity.sql", location, hours=FINDINGS_HOURS)


def status_statements(location: Location) -> tuple[str, ...]:
    """Every statement `status` issues when the view answers, in order."""
    return (
        pipeline_health(location),
        show_tasks(location),
        task_errors(location),
        pipe_status(location),
        findings_by_severity(location),
    )


def list_range(location: Location, days: Sequence[date]) -> str:
    """The stage's log files of the months of `days`, in one listing."""
    return _render("ops_list_range.sql", location, pattern=sql.cloudtrail_log_pattern(days))


def backfill_copy(location: Location, files: Sequence[str]) -> str:
    """The pipe's COPY (same columns, transformation, stage and file format) for `files`, paths
    relative to the stage (at most sql.MAX_COPY_FILES), as a bulk load."""
    copy = sql.copy_files_statement(location.qualified(RAW_TABLE), location.qualified(STAGE), files)
    return "\n".join((copy, *BACKFILL_COPY_OPTIONS))


def pipe_refresh(location: Location, modified_after: datetime) -> str:
    return _render(
        "ops_pipe_refresh.sql",
        location,
        prefix=sql.LOGS_FOLDER,
        modified_after=modified_after.isoformat(),
    )
