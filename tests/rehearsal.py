"""A deploy rehearsal on the embedded engine: the Snowflake objects a deployment declares, created
one by one on a fresh fakesnow instance (one Snowflake account) from their registered inputs,
so that an object created before something it names, or a statement naming an object or column
that does not exist, fails at the step where it would fail in Snowflake.

fakesnow creates databases, schemas, tables, views, file formats and stages itself, and DuckDB
binds a view when it is created (a missing table or column fails then, as in Snowflake). The DDL
carries what decides whether a statement runs (names, column types, NOT NULL, statements), not
comments, clustering, change tracking, column defaults or COPY GRANTS. What fakesnow lacks is
replaced by a stand-in that checks what Snowflake checks when the object is created, or, for a
started task or a resumed alert, when it may first run. A check that fails raises RefusedError
with Snowflake's wording.

- Storage, notification and email integrations. Snowflake: account-level objects that others
  name (a stage's STORAGE_INTEGRATION, an alert action's notification, a grant ON INTEGRATION).
  Stand-in: a registry of names, which is all those references use.
- JSON file format and external S3 stage. Snowflake: created in a schema that must exist; the
  stage reads through a storage integration and a named file format. fakesnow accepts both in a
  schema that does not exist and checks neither reference. Stand-in: checks the schema, the
  integration (registry) and the file format (SHOW FILE FORMATS), then lets fakesnow create
  them (the stage's URL is recorded, never read).
- Stream on a table. Snowflake: CREATE STREAM fails if the table does not exist; a SELECT reads
  the table's columns plus METADATA$ACTION, METADATA$ISUPDATE and METADATA$ROW_ID. Stand-in: a
  view of the table with those three columns. It shows every row of the table, which is what an
  append-only stream with SHOW_INITIAL_ROWS shows until a task consumes it: right for one pass.
- Task. Snowflake compiles the body when the task runs, and a started task may run as soon as
  it exists (WHEN is checked on schedule). Stand-in: evaluates the WHEN, with
  SYSTEM$STREAM_HAS_DATA('s') as EXISTS (SELECT 1 FROM s) (which fails if the stream does not
  exist), then executes the body at once: on an empty stream it changes nothing and binds every
  object and column it names. The task itself goes in the registry.
- Pipe. Snowflake: CREATE PIPE compiles its COPY, so the target table must have the listed
  columns, one per selected value, and the stage must exist. Stand-in: checks exactly those
  (fakesnow cannot run a COPY with a transformation) and registers the pipe; `load_files` later
  does what the pipe does with each file its PATTERN matches: one row per file.
- View over Snowflake's own sources (PIPELINE_HEALTH). Snowflake: SYSTEM$PIPE_STATUS and the
  INFORMATION_SCHEMA table functions COPY_HISTORY, TASK_HISTORY and ALERT_HISTORY are evaluated
  when the view is queried; fakesnow has none of them. Stand-in: the pipe a SYSTEM$PIPE_STATUS
  names and the table a COPY_HISTORY names must exist when the view is created (stricter than
  Snowflake, which would fail only at the first query: the stack makes the view wait for
  them), then each CTE
  that reads such a source reads a stand-in table instead (`with_sources`): the history
  functions empty, with the columns Snowflake documents (a column the view selects that
  Snowflake does not return fails, as it would there), each call filtered by the task or alert
  it names, and the pipe RUNNING. An alert the view names need not exist yet (the health alert
  reads the view, so it comes after it): ALERT_HISTORY returns no run for it.
- Alert. Snowflake: a resumed alert runs its condition on schedule, and its action sends through
  the notification integrations it names. Stand-in: runs the condition at once, and checks that
  every integration the action names (the first argument of an *INTEGRATION* function) is
  registered. The action itself (Snowflake Scripting) is not run; `notify` runs its INSERT, the
  statement that consumes the stream, which binds every object and column it names.
- Grants. Snowflake: GRANT fails if the object does not exist. Stand-in: every object of the
  stack that a grant names must exist at that step; roles, the account and what the stack does
  not create (the SNOWFLAKE database's roles) are taken as given. Privileges are not modelled:
  the rehearsal runs as one role that may do anything, so a missing wait for a grant (USAGE on
  an integration, EXECUTE TASK) is not seen here; test_stack.py and test_alerts.py check those.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlglot
from conftest import Registered, strings
from fakesnow.instance import FakeSnow
from sqlglot import exp
from support import (
    ALERT,
    DATABASE,
    FILE_FORMAT,
    GRANTS,
    INTEGRATIONS,
    PIPE,
    SCHEMA,
    STAGE,
    STREAM,
    TABLE,
    TASK,
    VIEW,
)

# The objects fakesnow cannot hold, which the stand-ins keep in `Account.registry`.
REGISTERED = (*INTEGRATIONS, TASK, PIPE, ALERT)

STREAM_HAS_DATA = re.compile(r"SYSTEM\$STREAM_HAS_DATA\(\s*'([^']+)'\s*\)", re.IGNORECASE)
# The statement of an alert's action that consumes its stream (sql/alert_action.sql).
_CONSUME = re.compile(r"^\s*(INSERT INTO .*?);$", re.DOTALL | re.MULTILINE)
# SYSTEM$SEND_SNOWFLAKE_NOTIFICATION's integration arguments: EMAIL_INTEGRATION_CONFIG('NAME', ...),
# INTEGRATION('NAME').
_INTEGRATION_ARGUMENT = re.compile(r"\w*INTEGRATION\w*\(\s*'([^']+)'", re.IGNORECASE)
# Snowflake's own sources a view may read, which fakesnow lacks: the columns each returns as
# Snowflake's documentation lists them (sql/pipeline_health_view.sql cites the pages).
SYSTEM_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "COPY_HISTORY": (
        ("FILE_NAME", "VARCHAR"),
        ("STAGE_LOCATION", "VARCHAR"),
        ("LAST_LOAD_TIME", "TIMESTAMP_LTZ"),
        ("ROW_COUNT", "NUMBER"),
        ("ROW_PARSED", "NUMBER"),
        ("FILE_SIZE", "NUMBER"),
        ("FIRST_ERROR_MESSAGE", "VARCHAR"),
        ("FIRST_ERROR_LINE_NUMBER", "NUMBER"),
        ("FIRST_ERROR_CHARACTER_POS", "NUMBER"),
        ("FIRST_ERROR_COLUMN_NAME", "VARCHAR"),
        ("ERROR_COUNT", "NUMBER"),
        ("ERROR_LIMIT", "NUMBER"),
        ("STATUS", "VARCHAR"),
        ("TABLE_CATALOG_NAME", "VARCHAR"),
        ("TABLE_SCHEMA_NAME", "VARCHAR"),
        ("TABLE_NAME", "VARCHAR"),
        ("PIPE_CATALOG_NAME", "VARCHAR"),
        ("PIPE_SCHEMA_NAME", "VARCHAR"),
        ("PIPE_NAME", "VARCHAR"),
        ("PIPE_RECEIVED_TIME", "TIMESTAMP_LTZ"),
    ),
    "TASK_HISTORY": (
        ("QUERY_ID", "VARCHAR"),
        ("NAME", "VARCHAR"),
        ("DATABASE_NAME", "VARCHAR"),
        ("SCHEMA_NAME", "VARCHAR"),
        ("QUERY_TEXT", "VARCHAR"),
        ("CONDITION_TEXT", "VARCHAR"),
        ("STATE", "VARCHAR"),
        ("ERROR_CODE", "VARCHAR"),
        ("ERROR_MESSAGE", "VARCHAR"),
        ("SCHEDULED_TIME", "TIMESTAMP_LTZ"),
        ("QUERY_START_TIME", "TIMESTAMP_LTZ"),
        ("NEXT_SCHEDULED_TIME", "TIMESTAMP_LTZ"),
        ("COMPLETED_TIME", "TIMESTAMP_LTZ"),
        ("ROOT_TASK_ID", "VARCHAR"),
        ("GRAPH_VERSION", "NUMBER"),
        ("RUN_ID", "NUMBER"),
        ("RETURN_VALUE", "VARCHAR"),
    ),
    # The function's columns; its error columns are SQL_ERROR_CODE and SQL_ERROR_MESSAGE (the
    # ACCOUNT_USAGE view's are ERROR_CODE and ERROR_MESSAGE).
    "ALERT_HISTORY": (
        ("NAME", "VARCHAR"),
        ("DATABASE_NAME", "VARCHAR"),
        ("SCHEMA_NAME", "VARCHAR"),
        ("CONDITION", "VARCHAR"),
        ("CONDITION_QUERY_ID", "VARCHAR"),
        ("ACTION", "VARCHAR"),
        ("ACTION_QUERY_ID", "VARCHAR"),
        ("STATE", "VARCHAR"),
        ("SQL_ERROR_CODE", "NUMBER"),
        ("SQL_ERROR_MESSAGE", "VARCHAR"),
        ("SCHEDULED_TIME", "TIMESTAMP_LTZ"),
        ("COMPLETED_TIME", "TIMESTAMP_LTZ"),
    ),
}
# The arguments of a history function that its stand-in applies to the canned rows, as the
# function does before any WHERE: the name of the one task or alert, and RESULT_LIMIT (the
# newest scheduled runs). The time range is not applied: a test leaves out the rows it means to
# be outside it (the view's own times read its clock, not CURRENT_TIMESTAMP).
_NAME_ARGUMENTS = ("TASK_NAME", "ALERT_NAME")
_LIMIT_ARGUMENT = "RESULT_LIMIT"
# What SYSTEM$PIPE_STATUS returns for a pipe that loads.
RUNNING_PIPE = '{"executionState":"RUNNING","pendingFileCount":0}'
_PIPE_STATUS = re.compile(r"SYSTEM\$PIPE_STATUS\(\s*'([^']+)'\s*\)", re.IGNORECASE)
_COPY_HISTORY_TABLE = re.compile(r"COPY_HISTORY\(\s*TABLE_NAME\s*=>\s*'([^']+)'", re.IGNORECASE)
STAND_IN_SCHEMA = "STAND_IN.SOURCES"
_STRING = re.compile(r"'(?:[^'\\]|''|\\.)*'")

# What a pipe's COPY may select from a staged JSON file, as the stand-in loads it: the file's
# single value, its path under the stage, the load's start time.
_COPY_VALUES = {
    "$1": "PARSE_JSON(%s)",
    "METADATA$FILENAME": "%s",
    "METADATA$START_SCAN_TIME": "%s::TIMESTAMP_LTZ",
}


class RehearsalError(AssertionError):
    """A step of a rehearsal failed: the message names the order, the step and the resource."""


class RefusedError(Exception):
    """What Snowflake would refuse, as a stand-in found it (an object that does not exist)."""


def object_name(resource: Registered) -> str:
    """The name other objects use for `resource`: DB.SCHEMA.NAME in a schema, DB.NAME for a
    schema, the bare name for a database or an integration."""
    inputs = resource.inputs
    parts = [inputs.get("database"), inputs.get("schema"), inputs.get("name")]
    return ".".join(str(part) for part in parts if part).upper()


@dataclass(frozen=True)
class Copy:
    """A pipe's COPY: `INSERT INTO table (columns) <values>` per file that `pattern` matches."""

    table: str
    columns: list[str]
    values: list[str]
    stage: str
    pattern: str | None

    @classmethod
    def parse(cls, statement: str) -> Copy:
        tree = sqlglot.parse_one(statement, read="snowflake")
        assert isinstance(tree, exp.Copy), f"not a COPY: {statement}"
        target = tree.this
        columns = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else []
        table = target.this if isinstance(target, exp.Schema) else target
        (source,) = tree.args["files"]
        if not isinstance(source, exp.Subquery):
            raise NotImplementedError(f"COPY without a transformation: {statement}")
        select = source.this
        stage = select.args["from_"].this.name.removeprefix("@").split("/")[0]
        pattern = next(
            (p.expression.name for p in tree.args.get("params") or [] if p.name == "PATTERN"),
            None,
        )
        return cls(
            table=table.sql(dialect="snowflake").upper(),
            columns=columns,
            values=[value.sql(dialect="snowflake").upper() for value in select.expressions],
            stage=stage,
            pattern=pattern,
        )


class Account:
    """A fresh fakesnow instance, with the registry of the objects it cannot hold."""

    def __init__(self, declared: Sequence[Registered]) -> None:
        self._fakesnow = FakeSnow()
        self._cursor = self._fakesnow.connect().cursor()
        self.declared = {object_name(r): r.type for r in declared if r.type not in GRANTS}
        """What the stack creates, by name: a grant naming one needs it to exist."""
        self.registry: set[str] = set()
        """The names of the objects the stand-ins keep: integrations, tasks, pipes, alerts."""
        self._copies: dict[str, Copy] = {}
        self._stand_ins: dict[str, Callable[[Registered], None]] = {
            DATABASE: self._database,
            SCHEMA: self._schema,
            TABLE: self._table,
            VIEW: self._view,
            FILE_FORMAT: self._file_format,
            STAGE: self._stage,
            STREAM: self._stream,
            TASK: self._task,
            PIPE: self._pipe,
            ALERT: self._alert,
            **dict.fromkeys(INTEGRATIONS, self._register),
            **dict.fromkeys(GRANTS, self._grant),
        }

    def execute(self, statement: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        self._cursor.execute(statement, params)
        return [tuple(row) for row in self._cursor.fetchall()]

    def create(self, resource: Registered) -> None:
        if resource.type not in self._stand_ins:
            raise NotImplementedError(f"no DDL or stand-in for {resource.type}: add one")
        self._stand_ins[resource.type](resource)

    # --- Objects fakesnow holds ---------------------------------------------------------------

    def _database(self, resource: Registered) -> None:
        self.execute(f"CREATE DATABASE {object_name(resource)}")

    def _schema(self, resource: Registered) -> None:
        self.execute(f"CREATE SCHEMA {object_name(resource)}")

    def _view(self, resource: Registered) -> None:
        statement = resource.inputs["statement"]
        if "SYSTEM$" in statement.upper() or "INFORMATION_SCHEMA." in statement.upper():
            statement = self._stand_in_sources(statement)
        self.execute(f"CREATE VIEW {object_name(resource)} AS {statement}")

    def _table(self, resource: Registered) -> None:
        columns = ", ".join(
            f"{c['name']} {c['type']}" + (" NOT NULL" if c.get("nullable") is False else "")
            for c in resource.inputs["columns"]
        )
        self.execute(f"CREATE TABLE {object_name(resource)} ({columns})")

    def _file_format(self, resource: Registered) -> None:
        self._require_schema(resource)
        self.execute(f"CREATE FILE FORMAT {object_name(resource)} TYPE = JSON")

    def _stage(self, resource: Registered) -> None:
        self._require_schema(resource)
        self._require_registered(resource.inputs["storageIntegration"])
        file_format = resource.inputs["fileFormat"]["formatName"].upper()
        database, schema, name = file_format.split(".")
        formats = self.execute(f"SHOW FILE FORMATS IN SCHEMA {database}.{schema}")
        if name not in {row[1] for row in formats}:
            raise RefusedError(f"File format '{file_format}' does not exist or not authorized.")
        self.execute(f"CREATE STAGE {object_name(resource)} URL = '{resource.inputs['url']}'")

    def _stream(self, resource: Registered) -> None:
        self.execute(
            f"CREATE VIEW {object_name(resource)} AS SELECT *, 'INSERT' AS METADATA$ACTION, "
            f"FALSE AS METADATA$ISUPDATE, UUID_STRING() AS METADATA$ROW_ID "
            f"FROM {resource.inputs['table']}"
        )

    # --- Stand-ins for what fakesnow lacks ----------------------------------------------------

    def _register(self, resource: Registered) -> None:
        self.registry.add(object_name(resource))

    def _stand_in_sources(self, statement: str) -> str:
        """`statement` reading stand-in tables for Snowflake's own sources, once the objects
        it names exist."""
        for pipe in _PIPE_STATUS.findall(statement):
            self._require_registered(pipe)
        for table in _COPY_HISTORY_TABLE.findall(statement):
            self.execute(f"SELECT 1 FROM {table} LIMIT 0")
        self.execute(f"CREATE DATABASE IF NOT EXISTS {STAND_IN_SCHEMA.split('.')[0]}")
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {STAND_IN_SCHEMA}")
        sources = {}
        for cte in sqlglot.parse_one(statement, read="snowflake").find_all(exp.CTE):
            # What it calls, not what its strings say (a detail may quote a call).
            body = _STRING.sub("''", cte.this.sql(dialect="snowflake")).upper()
            for function, columns in SYSTEM_SOURCES.items():
                if f"INFORMATION_SCHEMA.{function}(" in body:
                    table = f"{STAND_IN_SCHEMA}.{function}"
                    declared = ", ".join(f"{name} {type_}" for name, type_ in columns)
                    self.execute(f"CREATE TABLE IF NOT EXISTS {table} ({declared})")
                    sources[cte.alias] = table
            if "SYSTEM$PIPE_STATUS(" in body:
                table = f"{STAND_IN_SCHEMA}.PIPE_STATUS_{cte.alias.upper()}"
                (column,) = (e.alias_or_name for e in cte.this.expressions)
                self.execute(f"CREATE OR REPLACE TABLE {table} ({column} VARCHAR)")
                self.execute(f"INSERT INTO {table} VALUES (%s)", [RUNNING_PIPE])
                sources[cte.alias] = table
        return with_sources(statement, sources)

    def _task(self, resource: Registered) -> None:
        self._require_schema(resource)
        self._register(resource)
        if resource.inputs.get("started"):
            self._when(resource)
            self.execute(resource.inputs["sqlStatement"])

    def _pipe(self, resource: Registered) -> None:
        self._require_schema(resource)
        copy = Copy.parse(resource.inputs["copyStatement"])
        if copy.columns and len(copy.columns) != len(copy.values):
            raise RefusedError(
                f"COPY lists {len(copy.columns)} columns for {len(copy.values)} values"
            )
        self.execute(f"SELECT {', '.join(copy.columns) or '*'} FROM {copy.table} LIMIT 0")
        # LIST fails with Snowflake's own message when the stage does not exist.
        self.execute(f"LIST @{copy.stage}")
        self._copies[object_name(resource)] = copy
        self._register(resource)

    def _alert(self, resource: Registered) -> None:
        self._require_schema(resource)
        for integration in _INTEGRATION_ARGUMENT.findall(resource.inputs["action"]):
            self._require_registered(integration)
        if resource.inputs.get("enabled"):
            self.execute(resource.inputs["condition"])
        self._register(resource)

    def _grant(self, resource: Registered) -> None:
        for name in strings(resource.inputs):
            declared_as = self.declared.get(name.upper())
            if declared_as is None:
                continue
            if declared_as not in REGISTERED:
                raise NotImplementedError(f"a grant on a {declared_as}: add its existence check")
            self._require_registered(name)

    # --- Checks -------------------------------------------------------------------------------

    def _require_schema(self, resource: Registered) -> None:
        database, schema = resource.inputs["database"].upper(), resource.inputs["schema"].upper()
        schemas = self._fakesnow.duck_conn.execute(
            "SELECT 1 FROM duckdb_schemas() WHERE database_name = ? AND schema_name = ?",
            [database, schema],
        ).fetchall()
        if not schemas:
            raise RefusedError(f"Schema '{database}.{schema}' does not exist or not authorized.")

    def _require_registered(self, name: str) -> None:
        if name.upper() not in self.registry:
            raise RefusedError(f"'{name}' does not exist or not authorized.")

    def _when(self, task: Registered) -> bool:
        when = task.inputs.get("when")
        if not when:
            return True
        condition = STREAM_HAS_DATA.sub(r"EXISTS (SELECT 1 FROM \1)", when)
        ((result,),) = self.execute(f"SELECT {condition}")
        return bool(result)

    # --- Running what was rehearsed -----------------------------------------------------------

    def load_files(self, pipe: Registered, stage_root: Path, loaded_at: datetime) -> int:
        """Loads, as `pipe` would, every file under `stage_root` (the stage's URL) whose path
        matches the COPY's PATTERN: one row per file, built from the COPY's selected values.
        Returns the number of files loaded."""
        copy = self._copies[object_name(pipe)]
        unknown = [value for value in copy.values if value not in _COPY_VALUES]
        if unknown:
            raise NotImplementedError(f"the pipe stand-in cannot load {unknown}")
        columns = f" ({', '.join(copy.columns)})" if copy.columns else ""
        insert = (
            f"INSERT INTO {copy.table}{columns} "
            f"SELECT {', '.join(_COPY_VALUES[value] for value in copy.values)}"
        )
        loaded = 0
        for path in sorted(p for p in stage_root.rglob("*") if p.is_file()):
            relative = path.relative_to(stage_root).as_posix()
            if copy.pattern is not None and not re.fullmatch(copy.pattern, relative):
                continue
            # The JSON file format's COMPRESSION = AUTO: gzip by its extension.
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            file_values = {
                "$1": data.decode(),
                "METADATA$FILENAME": relative,
                "METADATA$START_SCAN_TIME": loaded_at.isoformat(),
            }
            self.execute(insert, [file_values[value] for value in copy.values])
            loaded += 1
        return loaded

    def run_task(self, task: Registered) -> bool:
        """One scheduled run: the body if the WHEN holds. Whether it ran."""
        if not self._when(task):
            return False
        self.execute(task.inputs["sqlStatement"])
        return True

    def notify(self, alert: Registered, batch: str) -> int:
        """What one run of the alert's action writes before it sends: the INSERT that consumes
        the stream, as batch `batch`. Returns the number of rows it inserted."""
        ((inserted,),) = self.execute(consume_statement(alert.inputs["action"], batch))
        return int(inserted)


def consume_statement(action: str, batch: str) -> str:
    """The INSERT of an alert's action that consumes its stream, for batch `batch`."""
    (insert,) = _CONSUME.findall(action)
    return str(insert).replace(":batch", f"'{batch}'")


def with_sources(statement: str, sources: Mapping[str, str]) -> str:
    """`statement` with each CTE named in `sources` reading that table instead: each SELECT of
    the CTE (one, or the branches of a UNION ALL) that reads FROM a source keeps its select list
    and WHERE and reads the table (which must have the columns it selects), filtered by the
    call's TASK_NAME or ALERT_NAME and cut to its RESULT_LIMIT; a CTE with no FROM (a system
    function, the clock) becomes SELECT * FROM the table."""
    tree = sqlglot.parse_one(statement, read="snowflake")
    replaced = set()
    for cte in tree.find_all(exp.CTE):
        if cte.alias not in sources:
            continue
        table = sources[cte.alias]
        selects = [s for s in cte.this.find_all(exp.Select) if s.args.get("from_") is not None]
        if not selects:
            cte.set("this", sqlglot.parse_one(f"SELECT * FROM {table}", read="snowflake"))
        for select in selects:
            select.set("from_", exp.From(this=_stand_in_call(select.args["from_"].this, table)))
        replaced.add(cte.alias)
    assert replaced == set(sources), f"no CTE named {sorted(set(sources) - replaced)}"
    return tree.sql(dialect="snowflake")


def _stand_in_call(call: exp.Expression, table: str) -> exp.Expression:
    """What `table` holds of a source's rows that `call` (its FROM) would return."""
    arguments = {k.this.name.upper(): k.expression for k in call.find_all(exp.Kwarg)}
    where = [
        f"UPPER(NAME) = UPPER({arguments[name].sql(dialect='snowflake')})"
        for name in _NAME_ARGUMENTS
        if name in arguments
    ]
    limit = arguments.get(_LIMIT_ARGUMENT)
    if not where and limit is None:
        return exp.to_table(table, dialect="snowflake")
    query = f"SELECT * FROM {table}"
    if where:
        query += f" WHERE {' AND '.join(where)}"
    if limit is not None:
        query += f" ORDER BY SCHEDULED_TIME DESC LIMIT {limit.sql(dialect='snowflake')}"
    select = sqlglot.parse_one(query, read="snowflake")
    assert isinstance(select, exp.Select)
    return select.subquery("source")


def target_table(statement: str) -> str:
    """The table a MERGE or INSERT writes."""
    table = sqlglot.parse_one(statement, read="snowflake").this
    assert isinstance(table, exp.Table), f"writes no table: {statement[:80]}"
    return ".".join(part.name for part in table.parts).upper()


def pipeline(resources: Sequence[Registered]) -> list[Registered]:
    """The tasks in the order data flows through them from the pipe: each reads a stream on the
    table that the pipe, or the task before it, writes."""
    (pipe,) = (r for r in resources if r.type == PIPE)
    streams = {
        object_name(r): str(r.inputs["table"]).upper() for r in resources if r.type == STREAM
    }
    tasks = [r for r in resources if r.type == TASK]

    def reads(task: Registered) -> set[str]:
        return {streams[name.upper()] for name in STREAM_HAS_DATA.findall(task.inputs["when"])}

    flow: list[Registered] = []
    table = Copy.parse(pipe.inputs["copyStatement"]).table
    while following := [t for t in tasks if table in reads(t) and t not in flow]:
        (task,) = following
        flow.append(task)
        table = target_table(task.inputs["sqlStatement"])
    assert len(flow) == len(tasks), f"no data reaches {[t.name for t in tasks if t not in flow]}"
    return flow


def rehearse(order: Sequence[Registered], label: str) -> Account:
    """Creates every resource of `order` in that order on a fresh account; the first failure
    raises RehearsalError naming `label`, the step and the resource."""
    account = Account(order)
    for step, resource in enumerate(order, start=1):
        try:
            account.create(resource)
        except Exception as error:
            raise RehearsalError(
                f"{label}, step {step}/{len(order)}: {resource.name} ({resource.type}): {error}"
            ) from error
    return account
