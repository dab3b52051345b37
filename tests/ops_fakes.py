"""Recording stand-ins for Snowflake in the `python -m ops` tests. fakesnow cannot run the
backfill's COPY (no PATTERN, no transformation, no s3:// stage; shared reference
embedded-engines.md) nor SYSTEM$PIPE_STATUS, SHOW TASKS or the INFORMATION_SCHEMA table
functions, so these fakes answer with rows shaped like Snowflake's (and like the PIPELINE_HEALTH
view's columns) and keep every statement."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ops.session import Row

STAGE_URL = "s3://trail-bucket/cloudtrail/"
UNCERTAIN_AFTER_DAYS = 64


class FakeStage:
    """A stage of CloudTrail keys (stage-relative, with their last-modified day) and the raw
    table's bulk load metadata, as Snowflake keeps it: a file loaded by a bulk COPY is skipped by
    the next one for 64 days; a file staged more than 64 days ago without metadata is uncertain,
    skipped unless LOAD_UNCERTAIN_FILES = TRUE; FORCE is refused outright here."""

    def __init__(self, files: dict[str, date], today: date, broken: frozenset[str] = frozenset()):
        self.files, self.today, self.broken = files, today, broken
        self.load_metadata: dict[str, date] = {}
        self.raw_rows: list[str] = []
        self.statements: list[str] = []
        self.closed = False

    def _matching(self, statement: str) -> list[str]:
        match = re.search(r"PATTERN = '([^']*)'", statement)
        assert match, statement
        # LIST matches the pattern against the whole path.
        return [k for k in sorted(self.files) if re.fullmatch(match.group(1), STAGE_URL + k)]

    def _named(self, statement: str) -> list[str]:
        """The keys a COPY's FILES names: string literals relative to the stage, which
        Snowflake appends to the stage URL; at most 1,000, and no PATTERN beside them."""
        match = re.search(r"\nFILES = \(\n(.*)\n\)", statement, re.DOTALL)
        assert match and "PATTERN" not in statement, statement
        literals = re.findall(r"'((?:[^'\\]|''|\\.)*)'", match.group(1))
        assert 0 < len(literals) <= 1000, len(literals)
        names = [re.sub(r"''|\\(.)", lambda m: m.group(1) or "'", n) for n in literals]
        for name in names:
            assert not name.startswith(("s3://", "/")) and name in self.files, name
        return names

    @property
    def lists(self) -> list[str]:
        return [s for s in self.statements if s.startswith("LIST @")]

    @property
    def copies(self) -> list[str]:
        return [s for s in self.statements if s.startswith("COPY INTO")]

    def query(self, statement: str) -> list[Row]:
        self.statements.append(statement)
        if statement.startswith("LIST @"):
            return [{"name": STAGE_URL + key, "size": 1024} for key in self._matching(statement)]
        if statement.startswith("COPY INTO"):
            assert "FORCE" not in statement.upper()
            uncertain_allowed = "LOAD_UNCERTAIN_FILES = TRUE" in statement
            rows: list[Row] = []
            for key in self._named(statement):
                loaded_on = self.load_metadata.get(key)
                if loaded_on and (self.today - loaded_on).days <= UNCERTAIN_AFTER_DAYS:
                    continue
                staged_long_ago = (self.today - self.files[key]).days > UNCERTAIN_AFTER_DAYS
                if loaded_on is None and staged_long_ago and not uncertain_allowed:
                    continue
                if key in self.broken:
                    rows.append(_copy_row(key, "LOAD_FAILED", "Error parsing JSON: truncated"))
                    continue
                self.load_metadata[key] = self.today
                self.raw_rows.append(key)
                rows.append(_copy_row(key, "LOADED", None))
            return rows or [{"status": "Copy executed with 0 files processed."}]
        if statement.startswith("ALTER PIPE"):
            return [{"file": "AWSLogs/x.json.gz", "status": "SENT"}]
        raise AssertionError(f"unexpected statement: {statement}")

    def close(self) -> None:
        self.closed = True


def _copy_row(key: str, status: str, error: str | None) -> Row:
    """A row of COPY INTO <table>'s result."""
    return {
        "file": STAGE_URL + key,
        "status": status,
        "rows_parsed": 1,
        "rows_loaded": 0 if error else 1,
        "error_limit": 1,
        "errors_seen": 1 if error else 0,
        "first_error": error,
        "first_error_line": 1 if error else None,
        "first_error_character": None,
        "first_error_column_name": None,
    }


class CannedSnowflake:
    """Answers each statement `status` issues with the rows given for it; an exception given
    for a statement (a QueryError) is raised, as the session raises Snowflake's refusals."""

    def __init__(self, answers: dict[str, list[Row]]):
        self.answers = answers
        self.statements: list[str] = []
        self.closed = False

    def query(self, statement: str) -> list[Row]:
        self.statements.append(statement)
        answer: Any = self.answers[statement]
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    def close(self) -> None:
        self.closed = True
