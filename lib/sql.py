"""SQL the stack deploys, loaded from `sql/` and filled in from plain values."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# The raw table: one CloudTrail log file per row as delivered, with where and when it was loaded.
# Declared by the stack and by the embedded runner alike.
RAW_COLUMNS = (("RECORD", "VARIANT"), ("FILENAME", "VARCHAR"), ("LOADED_AT", "TIMESTAMP_LTZ"))

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


def cloudtrail_view_statement(raw_table: str) -> str:
    return load_sql("cloudtrail_view.sql").format(raw_table=raw_table)
