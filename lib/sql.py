"""SQL the stack deploys, loaded from `sql/` and filled in from plain values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from lib.schema import (
    CLOUDTRAIL_VIEW_COLUMNS,
    DETECTED_COLUMNS,
    EVENT_COLUMNS,
    FINDING_COLUMNS,
    FINDING_EVENT_COLUMNS,
    FINDING_KEYS,
    SUPPRESSION_CONDITIONS,
    TYPED_COLUMNS,
    Column,
)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# The eventID given to an event delivered without one: this prefix, then the event's hash.
SURROGATE_ID_PREFIX = "surrogate:"

# The object keys CloudTrail gives its log files, single-account and organization layouts:
#   <prefix>/AWSLogs/[o-<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
#       <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
# Snowflake matches PATTERN against the whole path, and for Snowpipe only the part after the
# stage URL; the leading .* makes the pattern hold either way. Character classes instead of
# backslashes, which a Snowflake string literal would consume.
LOGS_FOLDER = "AWSLogs/"
"""Where CloudTrail writes under the log prefix: the stage URL ends at the prefix, so this is the
stage-relative path of every log file (the notification filter and REFRESH PREFIX use it)."""
_ANY_DAY = "[0-9]{4}/[0-9]{2}/[0-9]{2}"


def cloudtrail_log_pattern(months: Iterable[date] = ()) -> str:
    """The pipe's PATTERN; with `months` (any day of each), the same pattern with the date
    folder limited to those months (a month is not a prefix: the organization, account and
    region come before it)."""
    chosen = sorted({day.strftime("%Y/%m") for day in months})
    folder = f"({'|'.join(chosen)})/[0-9]{{2}}" if chosen else _ANY_DAY
    return (
        f".*{LOGS_FOLDER}(o-[a-z0-9]{{10,32}}/)?[0-9]{{12}}/CloudTrail/[a-z0-9-]+/{folder}/"
        "[0-9]{12}_CloudTrail_[a-z0-9-]+_[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]+[.]json[.]gz"
    )


CLOUDTRAIL_LOG_PATTERN = cloudtrail_log_pattern()


def load_sql(name: str) -> str:
    """A file of `sql/`, without its comments (`without_comments`)."""
    return without_comments((SQL_DIR / name).read_text())


def without_comments(text: str) -> str:
    """SQL without its whole-line comments, which document a file but have no place in a
    statement the provider stores and diffs."""
    lines = text.splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()


def qualified(database: str, schema: str, name: str) -> str:
    """`DB.SCHEMA.NAME` for identifiers already validated as plain upper-case names."""
    return f"{database}.{schema}.{name}"


def copy_statement(raw_table: str, stage: str, pattern: str = CLOUDTRAIL_LOG_PATTERN) -> str:
    """The pipe's COPY."""
    return load_sql("pipe_copy.sql").format(raw_table=raw_table, stage=stage, pattern=pattern)


MAX_COPY_FILES = 1000
"""The most file names one COPY's FILES may hold (Snowflake, "Loading data": "the FILES
parameter supports a maximum of 1,000 files")."""


def copy_files_statement(raw_table: str, stage: str, files: Sequence[str]) -> str:
    """The pipe's COPY for the named files, given relative to the stage (Snowflake appends each
    to the stage URL, which ends with a slash): its PATTERN clause replaced by FILES. Not both:
    Snowflake's loading guide gives a file list and a pattern as two ways to choose files, each
    combinable with a path, and says nothing of combining the two; the caller applies the
    pipe's pattern to the names it lists."""
    if not 0 < len(files) <= MAX_COPY_FILES:
        raise ValueError(f"a COPY names 1 to {MAX_COPY_FILES} files, not {len(files)}")
    copy = copy_statement(raw_table, stage)
    pattern = f"PATTERN = '{CLOUDTRAIL_LOG_PATTERN}'"
    if not copy.endswith(pattern):
        raise ValueError(f"sql/pipe_copy.sql no longer ends with its PATTERN: {copy}")
    names = _listed((string_literal(name) for name in files), 4)
    return f"{copy.removesuffix(pattern)}FILES = (\n    {names}\n)"


def string_literal(text: str) -> str:
    """`text` as a single-quoted Snowflake string constant: a backslash starts an escape
    sequence there and a quote is doubled."""
    escaped = text.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"


def _listed(items: Iterable[str], indent: int) -> str:
    """`items` one per line, comma-separated, for a placeholder indented by `indent` spaces."""
    return f",\n{' ' * indent}".join(items)


def _selected(name: str, expression: str) -> str:
    return name if expression == name else f"{expression} AS {name}"


def events_flatten_statement(source: str) -> str:
    """One row per event of the raw log files in `source` (the raw table or its stream): the
    events table's columns the MERGE does not compute, then the text of each typed column as
    delivered."""
    flattened = ((c.name, c.flatten()) for c in EVENT_COLUMNS)
    columns = [_selected(name, flatten) for name, flatten in flattened if flatten is not None]
    raw = [f"value:{c.path}::string AS {c.raw}" for c in TYPED_COLUMNS]
    return load_sql("events_flatten.sql").format(
        source=source, columns=_listed([*columns, *raw], 4)
    )


def events_merge_statement(events: str, new_events: str) -> str:
    """Lands `new_events` (a table, view or parenthesised SELECT) in `events`, once each."""
    return load_sql("events_merge.sql").format(
        events=events,
        new_events=new_events,
        surrogate_prefix=SURROGATE_ID_PREFIX,
        any_untyped="\n            OR ".join(
            f"({c.name} IS NULL AND {c.raw} IS NOT NULL)" for c in TYPED_COLUMNS
        ),
        untyped_fields=_listed(
            (f"'{c.name}', IFF({c.name} IS NULL, {c.raw}, NULL)" for c in TYPED_COLUMNS), 16
        ),
        columns=_listed((c.name for c in EVENT_COLUMNS), 4),
        values=_listed((f"s.{c.name}" for c in EVENT_COLUMNS), 4),
    )


def cloudtrail_view_statement(events: str) -> str:
    return load_sql("cloudtrail_view.sql").format(
        events=events, columns=_listed(CLOUDTRAIL_VIEW_COLUMNS, 4)
    )


def detected_columns() -> str:
    """The select list of every detection over the `cloudtrail` view."""
    return ", ".join(_selected(c.name, c.expression or c.name) for c in DETECTED_COLUMNS)


def findings_merge_statement(
    findings: str,
    detections: str,
    new_events: str,
    suppressions: str,
    events: str,
    reach_minutes: int,
) -> str:
    """Persists `detections` (the union of the detections over `new_events`, FINDING_KEYS) in
    `findings`, each marked with what `suppressions` and the dedup of its detection decide.

    A threshold detection also finds events that landed before (`events`) and within
    `reach_minutes` (its window) of the new ones: their details are read from there."""
    columns = ", ".join(("eventHash", *(c.name for c in FINDING_EVENT_COLUMNS)))
    landed = new_events
    if reach_minutes:
        landed = (
            f"(\n        SELECT {columns} FROM {new_events}\n"
            f"        UNION ALL\n"
            f"        SELECT {columns} FROM {events}\n"
            f"        WHERE eventTime BETWEEN (\n"
            f"            SELECT DATEADD('minute', -{reach_minutes}, MIN(eventTime)) "
            f"FROM {new_events}\n"
            f"        ) AND (\n"
            f"            SELECT DATEADD('minute', {reach_minutes}, MAX(eventTime)) "
            f"FROM {new_events}\n"
            f"        )\n"
            f"        AND eventHash NOT IN (SELECT eventHash FROM {new_events})\n"
            f"    )"
        )
    return load_sql("findings_merge.sql").format(
        findings=findings,
        detections=detections,
        landed=landed,
        suppressions=suppressions,
        found=_listed((f"n.{c.name}" for c in FINDING_COLUMNS if c.name != "duplicate_of"), 8),
        detected=_listed((f"f.{name}" for name in FINDING_KEYS), 12),
        event_fields=_listed((f"'{c.name}', e.{c.name}" for c in FINDING_EVENT_COLUMNS), 16),
        conditions=", ".join(
            f"NULLIF(REPLACE(REPLACE(sup.{condition}, '%', ''), '_', ''), '')"
            for condition in SUPPRESSION_CONDITIONS
        ),
        suppressed="\n            ".join(
            f"AND (sup.{condition} IS NULL OR f.{column} LIKE sup.{condition})"
            for condition, column in SUPPRESSION_CONDITIONS.items()
        ),
        columns=_listed((c.name for c in FINDING_COLUMNS), 4),
        values=_listed((f"s.{c.name}" for c in FINDING_COLUMNS), 4),
    )


def findings_summary_statement(findings: str) -> str:
    return load_sql("findings_summary.sql").format(findings=findings)


def create_table(name: str, columns: tuple[Column, ...], replace: bool = False) -> str:
    """DDL for the embedded engine (`replace`: a new, empty table in place of the one of that
    name); the stack declares the same columns as Table resources."""
    create = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE"
    return f"{create} {name} ({', '.join(_declared(c) for c in columns)})"


def _declared(column: Column) -> str:
    not_null = "" if column.nullable else " NOT NULL"
    default = "" if column.default is None else f" DEFAULT {column.default}"
    return f"{column.identifier} {column.type}{not_null}{default}"
