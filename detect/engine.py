"""The embedded Snowflake: fakesnow on DuckDB, holding the same objects as the stack (raw table,
`cloudtrail` view, one view per detection, the findings view), built from the same SQL files."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import sqlglot
from fakesnow.instance import FakeSnow
from sqlglot import exp

from detect.accelerate import compile_flatten_view
from lib import sql
from lib.detections import FINDING_COLUMNS, Detection, findings_statement

DATABASE = "CLOUDTRAIL_LOCAL"
SCHEMA = "AUDIT"
RAW_TABLE = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_RAW")
VIEW = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL")
# The detections read a table holding the view's rows: the view flattens and parses JSON, which
# the embedded engine would otherwise redo for every detection.
EVENTS = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_EVENTS")

# fakesnow fetches DB-API results through Arrow, which DuckDB remarks on at every query.
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)

# Files read by one DuckDB statement: bounds the memory a batch of parsed files takes.
BATCH_FILES = 200


@dataclass(frozen=True)
class FileError:
    path: str
    reason: str


Finding = dict[str, Any]


class Engine:
    def __init__(self, detections: Sequence[Detection], accelerate: bool = True) -> None:
        """`accelerate=False` runs the view exactly as fakesnow translates it (the reference the
        tests compare the accelerated plan with)."""
        self.detections = list(detections)
        self._fakesnow = FakeSnow()
        self._duck = self._fakesnow.duck_conn
        self._cursor = self._fakesnow.connect(database=DATABASE, schema=SCHEMA).cursor()
        columns = ", ".join(f"{name} {type_}" for name, type_ in sql.RAW_COLUMNS)
        self._cursor.execute(f"CREATE TABLE {RAW_TABLE} ({columns})")
        self._view = sql.cloudtrail_view_statement(RAW_TABLE)
        self._cursor.execute(f"CREATE VIEW {VIEW} AS {self._view}")
        self.accelerated = accelerate and compile_flatten_view(self._view) is not None
        if self.accelerated:
            self._duck.execute(
                f"CREATE OR REPLACE VIEW {VIEW} AS {compile_flatten_view(self._view)}"
            )

    def load(
        self, paths: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> list[FileError]:
        """Loads CloudTrail log files; returns the ones that could not be read, and why.

        Each event becomes a raw row of its own ({"Records": [event]}): the view's SQL is
        unchanged, and the embedded FLATTEN, super-linear in the array's length, stays cheap."""
        errors: list[FileError] = []
        for start in range(0, len(paths), BATCH_FILES):
            batch = list(paths[start : start + BATCH_FILES])
            try:
                errors.extend(self._load_batch(batch))
            except duckdb.Error:
                # One unreadable file fails the whole statement: find it, load the others.
                readable = []
                for path in batch:
                    try:
                        self._duck.execute(
                            f"SELECT {_RECORDS} FROM read_json_objects(?, format = 'auto')",
                            [[path]],
                        ).fetchall()
                        readable.append(path)
                    except duckdb.Error as error:
                        errors.append(FileError(path, _reason(error)))
                if readable:
                    errors.extend(self._load_batch(readable))
            if progress:
                progress(len(batch))
        return errors

    def _load_batch(self, paths: list[str]) -> list[FileError]:
        # One pass: a file without a Records array leaves a single row with no record, which
        # names it and is then removed.
        self._duck.execute(
            f"""
            INSERT INTO {RAW_TABLE}
            SELECT '{{"Records":[' || event || ']}}', filename, now()
            FROM (
                SELECT unnest(coalesce({_RECORDS}, [NULL::JSON])) AS event, filename
                FROM read_json_objects(?, format = 'auto', filename = true)
            )
            """,
            [paths],
        )
        missing = self._duck.execute(
            f"DELETE FROM {RAW_TABLE} WHERE RECORD IS NULL RETURNING FILENAME"
        ).fetchall()
        return [
            FileError(name, "no Records array (not a CloudTrail log file)") for (name,) in missing
        ]

    def findings(self) -> list[Finding]:
        """Runs every detection over what was loaded; one row per detection and event."""
        if self.accelerated:
            # Only the view's columns the detections read.
            used = {
                column.name
                for d in self.detections
                for column in sqlglot.parse_one(d.render(EVENTS), read="snowflake").find_all(
                    exp.Column
                )
            }
            self._duck.execute(
                f"CREATE OR REPLACE TABLE {EVENTS} AS {compile_flatten_view(self._view, used)}"
            )
        else:
            self._cursor.execute(f"CREATE OR REPLACE TABLE {EVENTS} AS SELECT * FROM {VIEW}")
        # The detections' SELECTs inline in the findings query: one statement to translate.
        inline = {d.id: f"({d.render(EVENTS)})" for d in self.detections}
        self._cursor.execute(
            f"{findings_statement(self.detections, inline)} ORDER BY eventTime, detection, eventID"
        )
        keys = ("detection", "severity", *FINDING_COLUMNS)
        return [dict(zip(keys, row, strict=True)) for row in self._cursor.fetchall()]

    def query(self, statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Runs Snowflake SQL on the engine: the column names and the rows."""
        self._cursor.execute(statement)
        rows = [tuple(row) for row in self._cursor.fetchall()]
        return [column.name for column in self._cursor.description], rows

    def event_count(self) -> int:
        (count,) = self._duck.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone() or (0,)
        return int(count)


# Each file is one JSON object, {"Records": [...]}: its events as JSON texts, no schema inference;
# NULL when Records is missing or not an array.
_RECORDS = """from_json(json, '{"Records": ["JSON"]}').Records"""


def _reason(error: duckdb.Error) -> str:
    """DuckDB's message without its error class prefix and the file name it repeats."""
    message = str(error).splitlines()[0]
    message = re.sub(r"^[A-Za-z ]+ Error: ", "", message)
    return re.sub(r'\s*(: |in file )"?/[^",]*"?', "", message).strip(" ,:")
