"""The embedded Snowflake: fakesnow on DuckDB, holding the same objects as the stack (raw table,
typed events table, `cloudtrail` view, FINDINGS table) and running the same SQL files: the
flatten and MERGE of the events task, the detections, the MERGE of the findings task."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import tempfile
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, cast

import duckdb
from fakesnow.instance import FakeSnow

from detect import accelerate
from detect.accelerate import (
    compile_flatten,
    first_copies_apart,
    merge_as_insert,
    object_construct_macro,
)
from lib import schema, sql
from lib.detections import Detection, findings_statement, reach_minutes
from lib.suppressions import Suppression, seed_statement

DATABASE = "CLOUDTRAIL_LOCAL"
SCHEMA = "AUDIT"
RAW_TABLE = sql.qualified(DATABASE, SCHEMA, schema.RAW_TABLE)
EVENTS = sql.qualified(DATABASE, SCHEMA, schema.EVENTS_TABLE)
# The raw rows flattened: what the stack's events task reads through the stream on the raw table.
NEW_EVENTS = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_NEW_EVENTS")
# Those rows but the copies the landing MERGE leaves out, which the faster plan leaves out before
# it parses them (accelerate.first_copies_apart).
FIRST_COPIES = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_NEW_FIRST_COPIES")
VIEW = sql.qualified(DATABASE, SCHEMA, schema.CLOUDTRAIL_VIEW)
FINDINGS = sql.qualified(DATABASE, SCHEMA, schema.FINDINGS_TABLE)
# The landed events that meet a detection's condition (`persist_findings`).
CANDIDATES = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_CANDIDATES")
# The events of the batches `run` landed, moved out of the events table after each batch but
# the last (`_retire`): in full those that meet a detection's condition (KEPT), and of every one
# what the next batches' landing and the odd-event counts read (SEEN, the other columns NULL).
# LANDED is every landed event, as the landing compares with it.
KEPT = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_KEPT")
SEEN = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_SEEN")
LANDED = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_LANDED")
# What SEEN keeps of each event: its identity (events_merge.sql), where it came from, and what
# `odd_events` reads.
SEEN_COLUMNS = ("eventHash", "eventDate", "eventTime", "eventID", "sourceFile", "untyped")
# The `cloudtrail` view over what the events table holds and what `_retire` kept in full: every
# event a detection reads, whether or not `run` moved it out (`detected`).
EXAMINED = sql.qualified(DATABASE, SCHEMA, "CLOUDTRAIL_EXAMINED")
SUPPRESSIONS = sql.qualified(DATABASE, SCHEMA, schema.SUPPRESSIONS_TABLE)

# fakesnow fetches DB-API results through Arrow, which DuckDB remarks on at every query.
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)

# Files read by one DuckDB statement: bounds the memory a batch of parsed files takes.
BATCH_FILES = 200
# Files loaded and landed at a time by `run`: what the raw table holds at once, up to about
# 250,000 events in CloudTrail's usual files. DuckDB runs a statement on one thread per row group
# of 122,880 rows that it reads: a batch of fewer events than two row groups leaves a core idle.
LANDING_FILES = 250

# DuckDB reads a JSON object (a whole log file, {"Records": [...]}) only if it fits in
# `maximum_object_size` bytes, and reserves a buffer of twice that for each file it reads at
# once. Its default, 16 MiB, keeps a batch cheap but rejects the files of busy accounts: a file
# over it is read again alone with a limit four times larger each time, up to MAX_OBJECT_BYTES.
# 1 GiB is about a million events, far more than CloudTrail writes in one file (one per region
# about every five minutes), and its 2 GiB buffer still fits an ordinary machine.
BATCH_OBJECT_BYTES = 16 * 2**20
MAX_OBJECT_BYTES = 2**30
Lost = Literal["file", "part", "nothing"]
# The code that makes a translation besides fakesnow, sqlglot and DuckDB: this module (what it
# hands fakesnow, what it records, how `Engine._store` writes it) and detect/accelerate.py
# (merge_as_insert). A translation kept by another version of either (an upgrade, another
# checkout sharing the cache folder) is not used.
_TRANSLATING_CODE = hashlib.sha256(
    Path(__file__).read_bytes() + Path(accelerate.__file__).read_bytes()
).hexdigest()


@dataclass(frozen=True)
class FileProblem:
    """Something wrong with an input file, and what of it was not loaded: the whole `file`, a
    `part` (the rest was loaded), or `nothing` (it was repaired, or what was left out held no
    event)."""

    path: str
    reason: str
    lost: Lost = "file"


Finding = dict[str, Any]
# A finding as the runner reports it: what its detection found, then what the findings MERGE
# decided (its duplicate_of and suppressed_by).
REPORTED_KEYS = (*schema.FINDING_KEYS, *schema.RESOLVED_KEYS)
# The order findings are reported in: a total order (the same eventID may be two events).
_REPORTED_ORDER = "eventTime, detection, eventID, eventHash"


class Engine:
    """The stack's objects and transformations, run on demand: `load` fills the raw table as
    Snowpipe does, `land` and `persist_findings` do what the stack's two tasks do, and `run`
    all three over any number of files, a batch at a time."""

    def __init__(
        self,
        detections: Sequence[Detection],
        accelerate: bool = True,
        translations: Path | None = None,
    ) -> None:
        """`accelerate=False` runs the stack's SQL exactly as fakesnow translates it (the
        reference the tests compare the faster plans with). `translations`: a folder where
        fakesnow's translation of its statements is kept from one run to the next
        (`_execute`); None translates them again in every engine."""
        self.detections = list(detections)
        self._accelerate = accelerate
        self._translations = translations
        # What a kept translation depends on besides its statement (`_stored_path`).
        self._translated_by = (
            [_TRANSLATING_CODE, [metadata.version(n) for n in ("fakesnow", "sqlglot", "duckdb")]]
            if translations is not None
            else []
        )
        self._fakesnow = FakeSnow()
        self._duck = self._fakesnow.duck_conn
        # Lets DuckDB write and read tables in any order, on every thread, and hold less while
        # it does (https://duckdb.org/docs/2.0/guides/performance/how_to_tune_workloads):
        # as in Snowflake, no result depends on the order of a table's rows. Everything the
        # runner reports is sorted, and the MERGEs' windows order by keys that only copies of
        # one event share. One exception, in Snowflake as here: a record that is a JSON string
        # spelling another record of its file has that record's identity, and which of the two
        # lands is unspecified (docs/detections.md, the engine).
        self._duck.execute("SET preserve_insertion_order = false")
        self._cursor = self._fakesnow.connect(database=DATABASE, schema=SCHEMA).cursor()
        # The DuckDB statements fakesnow translated each repeated statement to (`_execute`).
        self._translated: dict[str, list[tuple[str, Any]]] = {}
        # Events loaded by the batches already landed and emptied from the raw table (`run`).
        self._events_emptied = 0
        flatten = sql.events_flatten_statement(RAW_TABLE)
        faster = compile_flatten(flatten) if accelerate else None
        self.accelerated = faster is not None
        self._events_merge = sql.events_merge_statement(EVENTS, NEW_EVENTS)
        apart = first_copies_apart(self._events_merge, NEW_EVENTS, FIRST_COPIES)
        first_copies = compile_flatten(flatten, apart[1]) if faster and apart else None
        if first_copies is not None and apart is not None:
            self._events_merge = apart[0]
        # Through `_execute`, as the MERGEs: fakesnow's translation of these few statements is
        # most of an engine's start (about 0.4 s), which a kept translation saves every run.
        self._execute(sql.create_table(RAW_TABLE, schema.RAW_COLUMNS))
        self._execute(sql.create_table(EVENTS, schema.EVENT_COLUMNS))
        self._execute(sql.create_table(FINDINGS, schema.FINDING_COLUMNS))
        self._execute(sql.create_table(SUPPRESSIONS, schema.SUPPRESSION_COLUMNS))
        for table in (KEPT, SEEN):
            self._execute(sql.create_table(table, schema.EVENT_COLUMNS))
        self._execute(
            f"CREATE VIEW {LANDED} AS SELECT * FROM {EVENTS} UNION ALL SELECT * FROM {SEEN}"
        )
        if faster is None:
            self._execute(f"CREATE VIEW {NEW_EVENTS} AS {flatten}")
        else:
            self._duck.execute(f"CREATE VIEW {NEW_EVENTS} AS {faster}")
        if first_copies is not None:
            self._duck.execute(f"CREATE VIEW {FIRST_COPIES} AS {first_copies}")
        self._execute(f"CREATE VIEW {VIEW} AS {sql.cloudtrail_view_statement(EVENTS)}")
        kept_and_landing = f"(SELECT * FROM {KEPT} UNION ALL SELECT * FROM {EVENTS})"
        self._execute(
            f"CREATE VIEW {EXAMINED} AS {sql.cloudtrail_view_statement(kept_and_landing)}"
        )
        # Only a landing that matches with the events moved out (merge_as_insert's `matched`)
        # lets `run` move them out: the MERGE would land them again.
        self._retiring_events = (
            accelerate and merge_as_insert(self._events_merge, LANDED) is not None
        )
        # Every event a detection reads meets its condition (Detection.select), so with the
        # faster plan the detections read just the events that meet one: one pass over the
        # landed events instead of one per detection.
        # Each condition on lines of its own, as Detection.render puts it: one that ends with a
        # line comment would otherwise comment out the rest.
        conditions = " OR ".join(f"(\n{d.condition}\n)" for d in self.detections) or "FALSE"
        self._candidates = (
            f"CREATE OR REPLACE TABLE {CANDIDATES} AS SELECT * FROM {KEPT} "
            f"UNION ALL SELECT * FROM {EVENTS} WHERE {conditions}"
        )
        seen = ", ".join(SEEN_COLUMNS)
        self._retiring = (
            f"INSERT INTO {KEPT} SELECT * FROM {EVENTS} WHERE {conditions}",
            f"INSERT INTO {SEEN} ({seen}) SELECT {seen} FROM {EVENTS}",
            sql.create_table(EVENTS, schema.EVENT_COLUMNS, replace=True),
        )
        examined = CANDIDATES if accelerate else EVENTS
        # The stack's findings task reads the stream on the events table; here every landed
        # event is new, and the MERGE keeps findings from being inserted twice.
        self._findings_merge = sql.findings_merge_statement(
            FINDINGS,
            findings_statement(
                self.detections,
                {d.id: f"({d.select(examined, examined)})" for d in self.detections},
            ),
            examined,
            SUPPRESSIONS,
            examined,
            reach_minutes(self.detections),
        )
        if accelerate:
            self._duck.execute(object_construct_macro(DATABASE))

    def suppress(self, suppressions: Sequence[Suppression]) -> None:
        """Adds `suppressions` to the SUPPRESSIONS table as the stack seeds it."""
        if suppressions:
            self._cursor.execute(seed_statement(SUPPRESSIONS, list(suppressions)))

    def limit_memory(self, limit: str | None, spill_directory: str) -> None:
        """Bounds the memory DuckDB takes (`limit` as its memory_limit setting takes it; None
        keeps its default, 80% of RAM). Past the bound it writes what it can to
        `spill_directory` rather than fail (by default it would use ./.tmp)."""
        self._duck.execute("SET temp_directory = ?", [spill_directory])
        if limit is not None:
            self._duck.execute("SET memory_limit = ?", [limit])

    def load(
        self, paths: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> list[FileProblem]:
        """Loads CloudTrail log files; returns what was wrong with them.

        Each event becomes a raw row of its own ({"Records": [event]}): the view's SQL is
        unchanged, and the embedded FLATTEN, super-linear in the array's length, stays cheap.
        A file is a JSON object with a Records array, or several (one per line, or a JSON array
        of them), or CloudTrail events themselves; see `_insert`."""
        problems: list[FileProblem] = []
        for start in range(0, len(paths), BATCH_FILES):
            batch = list(paths[start : start + BATCH_FILES])
            # DuckDB expands *, ? and [...] in a path, as a glob: such files are read alone.
            plain = [path for path in batch if not _GLOB.search(path)]
            alone = [path for path in batch if _GLOB.search(path)]
            try:
                if plain:
                    problems.extend(self._insert(plain, "auto_detect", BATCH_OBJECT_BYTES))
            except duckdb.Error:
                # One unreadable file fails the whole statement: read each alone, where what
                # can be mended is.
                alone = batch
            for path in alone:
                problems.extend(self._load_alone(path))
            if progress:
                progress(len(batch))
        return problems

    def _load_alone(self, path: str) -> list[FileProblem]:
        """One file that a batch could not read, or whose name DuckDB would take as a glob: the
        compression its first bytes show (not its name), a larger object limit, and text that
        is not valid replaced. DuckDB running out of memory is not the file's fault: that
        propagates."""
        try:
            with open(path, "rb") as file:
                gzipped = file.read(2) == _GZIP_MAGIC
        except OSError as error:
            return [FileProblem(path, os_reason(error))]
        try:
            return self._insert_alone(path, path, "gzip" if gzipped else "none")
        except duckdb.Error as error:
            if isinstance(error, duckdb.OutOfMemoryException):
                raise
            if not _INVALID_TEXT.search(str(error)):
                return [FileProblem(path, _reason(error))]
            rejected = error
        # Only a file DuckDB rejected for its text pays for this: a mended copy.
        with tempfile.TemporaryDirectory(prefix="detect-") as scratch:
            copy = str(Path(scratch) / "repaired.json")
            try:
                replaced = _repair_text(path, gzipped, copy)
            except (gzip.BadGzipFile, EOFError, zlib.error) as error:
                # DuckDB stopped at the first bad character; past it, the gzip data is cut short
                # or corrupt (a CRC that DuckDB does not check).
                return [FileProblem(path, f"damaged gzip data: {error}")]
            except OSError as error:  # the file or the scratch copy, since DuckDB read the file
                return [FileProblem(path, os_reason(error))]
            if not replaced:
                return [FileProblem(path, _reason(rejected))]
            try:
                problems = self._insert_alone(copy, path, "none")
            except duckdb.Error as error:
                if isinstance(error, duckdb.OutOfMemoryException):
                    raise
                return [FileProblem(path, _reason(error))]
        if any(problem.lost == "file" for problem in problems):
            return problems
        noun = _count(replaced, "invalid character")
        return [*problems, FileProblem(path, f"{noun} replaced with U+FFFD", "nothing")]

    def _insert_alone(self, source: str, name: str, compression: str) -> list[FileProblem]:
        """`_insert` of one file, named `name`, again with a larger object limit each time
        DuckDB finds an object over it. Running out of memory with a larger limit is the
        file's size: the file is reported with what to do, and the run goes on."""
        limit = BATCH_OBJECT_BYTES
        while True:
            try:
                return self._insert([_literal(source)], compression, limit, name)
            except duckdb.OutOfMemoryException:
                if limit == BATCH_OBJECT_BYTES:
                    raise
                return [FileProblem(name, _too_large_for_memory(limit))]
            except duckdb.InvalidInputException as error:
                if "maximum_object_size" not in str(error):
                    raise
                if limit >= MAX_OBJECT_BYTES:
                    return [FileProblem(name, _too_large())]
                limit = min(4 * limit, MAX_OBJECT_BYTES)

    def _insert(
        self, paths: list[str], compression: str, limit: int, name: str | None = None
    ) -> list[FileProblem]:
        """Reads `paths` in one statement into the raw table; `name` is the FILENAME of what
        one file holds when its path is not its name (escaped, or a repaired copy).

        One pass: each JSON object leaves its events, then one row with no load time whose
        RECORD says what the object held; those rows are counted and removed. An object with a
        Records array contributes its elements (nulls are left out: they hold no event); any
        other object whose eventName and eventSource are strings is one event (a file of
        events, one per line, as exports write them); anything else is not read."""
        self._duck.execute(
            f"""
            INSERT INTO {RAW_TABLE}
            SELECT coalesce('{{"Records":[' || event || ']}}', note), file,
                CASE WHEN event IS NOT NULL THEN now() END
            FROM (
                SELECT file, unnest(list_append(coalesce(events, []), NULL)) AS event,
                    json_object(
                        'unread', (events IS NULL)::INTEGER,
                        'nulls', coalesce(len(records) - list_aggregate(records, 'count'), 0)
                    ) AS note
                FROM (
                    SELECT file, parsed.Records AS records,
                        CASE
                            WHEN parsed.Records IS NOT NULL
                                THEN list_filter(parsed.Records, r -> r IS NOT NULL)
                            WHEN json_type(parsed.eventName) = 'VARCHAR'
                                AND json_type(parsed.eventSource) = 'VARCHAR'
                                THEN [json(json)]
                        END AS events
                    FROM (
                        SELECT coalesce(?::VARCHAR, filename) AS file, json,
                            from_json(json, '{_OBJECT_SHAPE}') AS parsed
                        FROM read_json_objects(
                            ?, format = 'auto', filename = true, compression = ?,
                            maximum_object_size = ?
                        )
                    )
                )
            )
            """,
            [name, paths, compression, limit],
        )
        notes = self._duck.execute(
            f"DELETE FROM {RAW_TABLE} WHERE LOADED_AT IS NULL RETURNING FILENAME, RECORD"
        ).fetchall()
        objects, unread, nulls = Counter[str](), Counter[str](), Counter[str]()
        for file, note in notes:
            counts = json.loads(note)
            objects[file] += 1
            unread[file] += counts["unread"]
            nulls[file] += counts["nulls"]
        problems = []
        for file in [name] if name else paths:
            if not objects[file]:
                problems.append(FileProblem(file, "empty file"))
            elif unread[file] == objects[file] == 1:
                problems.append(FileProblem(file, "no Records array (not a CloudTrail log file)"))
            elif unread[file] == objects[file]:
                problems.append(
                    FileProblem(
                        file,
                        f"none of its {objects[file]} JSON objects is a log file or an event "
                        "(not a CloudTrail log file)",
                    )
                )
            elif unread[file]:
                verb = "is" if unread[file] == 1 else "are"
                problems.append(
                    FileProblem(
                        file,
                        f"{unread[file]} of its {objects[file]} JSON objects {verb} neither a log "
                        "file nor an event",
                        "part",
                    )
                )
            if nulls[file]:
                problems.append(
                    FileProblem(file, f"{_count(nulls[file], 'null record')} left out", "nothing")
                )
        return problems

    def run(
        self,
        paths: Sequence[str],
        batch_files: int = LANDING_FILES,
        progress: Callable[[int], None] | None = None,
    ) -> list[FileProblem]:
        """Loads and lands `paths`, `batch_files` at a time, as Snowpipe and the events task
        take files as they come: each batch is loaded in the raw table, landed (an event landed
        by an earlier batch is skipped) and emptied from the raw table. Then the findings are
        persisted over every landed event at once, as `findings` does: a dedup key's alert
        goes to its earliest finding whatever file it came in. Neither the raw table nor, with
        the faster plan, the events table holds more than a batch (`_retire`); what grows is
        what is kept of the landed events, and past the memory limit (`limit_memory`) DuckDB
        keeps it in its spill folder. So, with the faster plan, the events table and the
        `cloudtrail` view hold just the last batch's events afterwards: `query` finds the
        others in CLOUDTRAIL_KEPT (the events a detection reads) and CLOUDTRAIL_LANDED (what is
        kept of every one); `detected` reads KEPT as well. Returns what was wrong with the
        files."""
        problems: list[FileProblem] = []
        # In name order: of an event's copies, the landing MERGE keeps the one loaded first, and
        # of those loaded together the first by file name; taking the files in that order makes
        # the batch size change neither.
        ordered = sorted(paths)
        for start in range(0, len(ordered), batch_files):
            problems.extend(self.load(ordered[start : start + batch_files], progress))
            self.land()
            self._events_emptied += self._raw_count()
            # Emptied by a new table: DuckDB keeps deleted rows in memory until a checkpoint
            # (https://duckdb.org/docs/2.0/sql/statements/checkpoint), which would hold every
            # batch's raw rows, and a checkpoint compresses every table, which costs more.
            self._execute(sql.create_table(RAW_TABLE, schema.RAW_COLUMNS, replace=True))
            # The last batch stays: the findings read it where it is.
            if self._retiring_events and start + batch_files < len(ordered):
                self._retire()
        self.persist_findings()
        return problems

    def _retire(self) -> None:
        """Moves the landed events out of the events table: in full those a detection reads
        (KEPT: every event it reads meets its condition, Detection.select), and of every one
        what later batches and `odd_events` read (SEEN). The landing of later batches compares
        with both (LANDED), so an event landed before is still skipped, and the events table
        holds one batch, not the whole input. Only with the faster plan, whose landing reads
        LANDED (merge_as_insert); the events table is made anew, which frees its memory."""
        for statement in self._retiring:
            self._execute(statement)

    def land(self) -> None:
        """Lands what was loaded in the typed events table (events_merge.sql, as the stack's
        events task does); an event already landed is skipped."""
        self._execute(self._events_merge)

    def persist_findings(self) -> None:
        """Adds what the detections find in the landed events to the FINDINGS table
        (findings_merge.sql, as the stack's findings task does); none is added twice."""
        if self._accelerate:
            self._execute(self._candidates)
        self._execute(self._findings_merge)

    def _execute(self, statement: str) -> None:
        """Runs Snowflake SQL as fakesnow does, translating it only the first time: fakesnow
        parses and rewrites a statement on every run (over a second for the findings MERGE of
        the whole pack), so the DuckDB statements it ran are kept, in the engine and in the
        `translations` folder, and run again as they are. Only for statements without
        parameters, whose translation depends on nothing else; the parameters recorded are
        fakesnow's own (its bookkeeping of a temporary table). An insert-only MERGE runs as
        the INSERT it amounts to (`merge_as_insert`): each batch's landing then reads the
        events landed before once, in an anti-join, instead of joining all of them to it."""
        translated = self._translated.get(statement) or self._stored(statement)
        if translated is None:
            recorder = _Recorder(self._cursor._duck_conn)
            # fakesnow runs what it translated on this attribute (fakesnow/cursor.py, pinned).
            self._cursor._duck_conn = cast(duckdb.DuckDBPyConnection, recorder)
            # The landing compares with every event landed, retired or not (`_retire`).
            landed = LANDED if statement == self._events_merge else None
            faster = merge_as_insert(statement, landed) if self._accelerate else None
            try:
                self._cursor.execute(faster or statement)
            finally:
                self._cursor._duck_conn = recorder.connection
            self._translated[statement] = recorder.statements
            self._store(statement, recorder.statements)
            return
        self._translated[statement] = translated
        for duck_statement, parameters in translated:
            self._cursor._duck_conn.execute(duck_statement, parameters)

    def _stored_path(self, statement: str) -> Path | None:
        """Where `translations` keeps the translation of `statement`: named by what the
        translation depends on, the statement, the plan, the libraries that translate it and
        the runner's own code that does (_TRANSLATING_CODE)."""
        if self._translations is None:
            return None
        key = json.dumps([*self._translated_by, self._accelerate, statement])
        return self._translations / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def _stored(self, statement: str) -> list[tuple[str, Any]] | None:
        """The translation `translations` kept for `statement`; None if there is none, or it
        cannot be read (it is made again)."""
        path = self._stored_path(statement)
        try:
            kept = json.loads(path.read_text()) if path else None
        except (OSError, ValueError):
            return None
        if not isinstance(kept, list) or not all(
            isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and (pair[1] is None or isinstance(pair[1], list))
            for pair in kept
        ):
            return None
        return [(s, p) for s, p in kept]

    def _store(self, statement: str, translated: list[tuple[str, Any]]) -> None:
        """Keeps `translated` in `translations` for the next run. A folder that cannot be
        written costs the next run the translation, nothing else."""
        path = self._stored_path(statement)
        if path is None:
            return
        # Written whole, then renamed: a run reading it meanwhile sees it whole or not at all.
        part = path.with_suffix(f".{os.getpid()}.part")
        try:
            text = json.dumps(translated)
            path.parent.mkdir(parents=True, exist_ok=True)
            part.write_text(text)
            os.replace(part, path)
        except (OSError, TypeError):
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)

    def findings(self) -> list[Finding]:
        """Lands the loaded events and persists what the detections find in them, as the
        stack's two tasks do: the FINDINGS table, with what its suppressions and dedup decided
        (REPORTED_KEYS)."""
        self.land()
        self.persist_findings()
        return self.persisted_findings()

    def detected(self) -> list[Finding]:
        """What the detections find over the `cloudtrail` view (what the stack's DETECT_ALL
        view returns, FINDING_KEYS): one row per detection and event, before any suppression
        or dedup. After `run` the view holds just the last batch's events (`_retire`): this
        reads it with the events kept in full (EXAMINED), every event a detection reads."""
        inline = {d.id: f"({d.select(EXAMINED, EXAMINED)})" for d in self.detections}
        self._cursor.execute(
            f"{findings_statement(self.detections, inline)} ORDER BY {_REPORTED_ORDER}"
        )
        return self._rows(schema.FINDING_KEYS)

    def persisted_findings(self) -> list[Finding]:
        """The FINDINGS table, REPORTED_KEYS of each finding."""
        columns = ", ".join(REPORTED_KEYS)
        self._cursor.execute(f"SELECT {columns} FROM {FINDINGS} ORDER BY {_REPORTED_ORDER}")
        return self._rows(REPORTED_KEYS)

    def _rows(self, keys: tuple[str, ...]) -> list[Finding]:
        return [dict(zip(keys, row, strict=True)) for row in self._cursor.fetchall()]

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
            f"FROM {LANDED} WHERE untyped IS NOT NULL OR eventTime IS NULL "
            f"OR STARTSWITH(eventID, '{sql.SURROGATE_ID_PREFIX}')"
        )
        # fakesnow upper-cases the keys OBJECT_CONSTRUCT builds inside a MERGE; Snowflake does not.
        fields = {c.identifier: c.name for c in schema.TYPED_COLUMNS}
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
        return self._events_emptied + self._raw_count()

    def _raw_count(self) -> int:
        (count,) = self._duck.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone() or (0,)
        return int(count)


class _Recorder:
    """A DuckDB connection that keeps each statement run through it, with its parameters."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.statements: list[tuple[str, Any]] = []

    def execute(self, statement: str, parameters: Any = None) -> duckdb.DuckDBPyConnection:
        self.statements.append((statement, parameters))
        return self.connection.execute(statement, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


# What a JSON object of a file is read as: its Records as JSON texts (NULL when missing or not
# an array), and the two fields that make an object without Records an event. No schema
# inference: any other value is NULL.
_OBJECT_SHAPE = '{"Records": ["JSON"], "eventName": "JSON", "eventSource": "JSON"}'
_GLOB = re.compile(r"[*?\[]")
# What to do with a log file whose JSON object is too large: its events, one per line, are read
# one object at a time.
_SPLIT = (
    "split it into one event per line and run on that, e.g. "
    "`gunzip -c FILE | jq -c '.Records[]' > FILE-events.json`"
)
_GZIP_MAGIC = b"\x1f\x8b"
# DuckDB's reasons for rejecting text that is not UTF-8 or holds an unpaired UTF-16 surrogate.
_INVALID_TEXT = re.compile(r"UTF-8|surrogate")
# A JSON escape. Any escape is matched, so that the backslash of an escaped backslash never
# starts a \u escape; only an unpaired surrogate (group 1) is replaced.
_ESCAPE = re.compile(
    r"""\\(?:
        u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}  # a surrogate pair
        | (u[dD][89a-fA-F][0-9a-fA-F]{2})                         # a surrogate alone
        | .                                                       # any other escape
    )""",
    re.VERBOSE | re.DOTALL,
)


def os_reason(error: OSError) -> str:
    """The system's reason as a phrase: `permission denied`, `no such file or directory`."""
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def _too_large() -> str:
    return (
        f"holds a JSON object larger than {MAX_OBJECT_BYTES // 2**20} MiB, the most this runner "
        f"reads at once; {_SPLIT}"
    )


def _too_large_for_memory(limit: int) -> str:
    """A file whose JSON object DuckDB could not read with `limit` within the memory limit."""
    return (
        f"holds a JSON object larger than {limit // 4 // 2**20} MiB, which takes more memory to "
        f"read than --memory-limit allows (DuckDB reserves {2 * limit // 2**20} MiB for an "
        f"object of up to {limit // 2**20} MiB); raise it, or {_SPLIT}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _literal(path: str) -> str:
    """`path` as a DuckDB glob that matches only itself: *, ? and [ in brackets."""
    return _GLOB.sub(r"[\g<0>]", path)


def _repair_text(path: str, gzipped: bool, target: str) -> int:
    """Copies the JSON text of `path` to `target`, uncompressed, with U+FFFD for each byte
    sequence that is not UTF-8 and each escaped UTF-16 surrogate out of its pair (\\ud800 alone);
    returns how many were replaced. Line by line: a JSON string holds no raw newline, so a line
    never splits a character or an escape."""
    replaced = 0

    def unpaired(match: re.Match[str]) -> str:
        nonlocal replaced
        if match.group(1) is None:
            return match.group(0)
        replaced += 1
        return "\\ufffd"

    with gzip.open(path) if gzipped else open(path, "rb") as source, open(target, "wb") as out:
        for line in source:
            text = line.decode("utf-8", "replace")
            replaced += text.count("\ufffd") - line.count("\ufffd".encode())
            out.write(_ESCAPE.sub(unpaired, text).encode())
    return replaced


def _reason(error: duckdb.Error) -> str:
    """DuckDB's message without its error class prefix and the file name it repeats."""
    message = str(error).splitlines()[0]
    message = re.sub(r"^[A-Za-z ]+ Error: ", "", message)
    return re.sub(r'\s*(: |in file )"?/[^",]*"?', "", message).strip()
