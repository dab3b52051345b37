"""The embedded Snowflake: fakesnow on DuckDB, holding the same objects as the stack (raw table,
typed events table, `cloudtrail` view, FINDINGS table) and running the same SQL files: the
flatten and MERGE of the events task, the detections, the MERGE of the findings task."""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from fakesnow.instance import FakeSnow

from detect.accelerate import compile_flatten
from lib import sql
from lib.detections import FINDING_COLUMNS, Detection, findings_statement

DATABASE = "CLOUDTRAIL_LOCAL"
SCHEMA = "AUDIT"
RAW_TABLE = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_RAW")
EVENTS = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_EVENTS")
# The raw rows flattened: what the stack's events task reads through the stream on the raw table.
NEW_EVENTS = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_NEW_EVENTS")
VIEW = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL")
FINDINGS = sql.qualified(DATABASE, SCHEMA, "FINDINGS")

_FINDING_KEYS = ("detection", "severity", *FINDING_COLUMNS)

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
    """The stack's objects and transformations, run on demand: `load` fills the raw table as
    Snowpipe does, `land` and `persist_findings` do what the stack's two tasks do."""

    def __init__(self, detections: Sequence[Detection], accelerate: bool = True) -> None:
        """`accelerate=False` flattens exactly as fakesnow translates events_flatten.sql (the
        reference the tests compare the accelerated plan with)."""
        self.detections = list(detections)
        self._fakesnow = FakeSnow()
        self._duck = self._fakesnow.duck_conn
        self._cursor = self._fakesnow.connect(database=DATABASE, schema=SCHEMA).cursor()
        self._cursor.execute(sql.create_table(RAW_TABLE, sql.RAW_COLUMNS))
        self._cursor.execute(sql.create_table(EVENTS, sql.EVENT_COLUMNS))
        self._cursor.execute(sql.create_table(FINDINGS, sql.FINDING_TABLE_COLUMNS))
        flatten = sql.events_flatten_statement(RAW_TABLE)
        faster = compile_flatten(flatten) if accelerate else None
        self.accelerated = faster is not None
        if faster is None:
            self._cursor.execute(f"CREATE VIEW {NEW_EVENTS} AS {flatten}")
        else:
            self._duck.execute(f"CREATE VIEW {NEW_EVENTS} AS {faster}")
        self._cursor.execute(f"CREATE VIEW {VIEW} AS {sql.cloudtrail_view_statement(EVENTS)}")
        # The stack's findings task reads the stream on the events table; here every landed
        # event is new, and the MERGE keeps findings from being inserted twice.
        self._findings_merge = sql.findings_merge_statement(
            FINDINGS,
            findings_statement(
                self.detections, {d.id: f"({d.render(EVENTS)})" for d in self.detections}
            ),
            EVENTS,
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

    def land(self) -> None:
        """Lands what was loaded in the typed events table (events_merge.sql, as the stack's
        events task does); an event already landed is skipped."""
        self._cursor.execute(sql.events_merge_statement(EVENTS, NEW_EVENTS))

    def persist_findings(self) -> None:
        """Adds what the detections find in the landed events to the FINDINGS table
        (findings_merge.sql, as the stack's findings task does); none is added twice."""
        self._cursor.execute(self._findings_merge)

    def findings(self) -> list[Finding]:
        """Lands the loaded events and runs every detection over the `cloudtrail` view: one row
        per detection and event."""
        self.land()
        inline = {d.id: f"({d.render(VIEW)})" for d in self.detections}
        self._cursor.execute(
            f"{findings_statement(self.detections, inline)} ORDER BY eventTime, detection, eventID"
        )
        return self._rows()

    def persisted_findings(self) -> list[Finding]:
        """The FINDINGS table, in the same shape as `findings`."""
        columns = ", ".join(_FINDING_KEYS)
        self._cursor.execute(
            f"SELECT {columns} FROM {FINDINGS} ORDER BY eventTime, detection, eventID"
        )
        return self._rows()

    def _rows(self) -> list[Finding]:
        return [dict(zip(_FINDING_KEYS, row, strict=True)) for row in self._cursor.fetchall()]

    def query(self, statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Runs Snowflake SQL on the engine: the column names and the rows."""
        self._cursor.execute(statement)
        rows = [tuple(row) for row in self._cursor.fetchall()]
        return [column.name for column in self._cursor.description], rows

    def odd_events(self) -> dict[str, int]:
        """Landed events that did not arrive as CloudTrail writes them, counted by what was odd
        (an event may be counted under several): they are landed and examined all the same
        (events_merge.sql), and this says how many for the user to look at."""
        self._cursor.execute(
            f"SELECT untyped, eventTime IS NULL, STARTSWITH(eventID, '{sql.SURROGATE_ID_PREFIX}') "
            f"FROM {EVENTS} WHERE untyped IS NOT NULL OR eventTime IS NULL "
            f"OR STARTSWITH(eventID, '{sql.SURROGATE_ID_PREFIX}')"
        )
        # fakesnow upper-cases the keys OBJECT_CONSTRUCT builds inside a MERGE; Snowflake does not.
        fields = {name.upper(): name for name in sql.typed_fields()}
        odd: Counter[str] = Counter()
        for untyped, without_time, without_id in self._cursor.fetchall():
            unreadable = [fields[key.upper()] for key in json.loads(untyped or "{}")]
            odd.update(f"an unreadable {field}" for field in unreadable)
            if without_time and "eventTime" not in unreadable:
                odd["no eventTime"] += 1
            if without_id:
                odd["no eventID"] += 1
        return dict(odd)

    def event_count(self) -> int:
        """Events loaded, duplicates included."""
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
