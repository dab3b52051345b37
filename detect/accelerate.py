"""A faster plan for flattening the raw log files on the embedded engine, from the same SQL.

events_flatten.sql selects `value:<field>::<type>` (or its TRY_CAST, or the hash of the whole
element) from every element of `record:Records`. fakesnow runs that as written: a generic FLATTEN
macro per row, then one JSON parse per column and event, about 30 parses of every event.
Snowflake stores VARIANT columnar and pays none of that. This compiles a SELECT of exactly that
shape to DuckDB SQL that splits each record into its elements' text (which the hash reads) and
parses each element once (`from_json` into a struct holding just the selected fields). Any other
shape returns None and runs through fakesnow unchanged; the tests check that both plans return
the same rows.
"""

from __future__ import annotations

import json

import sqlglot
from sqlglot import exp

# Snowflake cast of a field -> (how from_json reads the field, the DuckDB type fakesnow gives it).
_TYPES = {
    exp.DataType.Type.VARCHAR: ("VARCHAR", "VARCHAR"),
    exp.DataType.Type.TEXT: ("VARCHAR", "VARCHAR"),
    exp.DataType.Type.VARIANT: ("JSON", "JSON"),
}
_TEXT = (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)
# TRY_CAST of a field's text -> the DuckDB expression of `{}` (the text) that fakesnow runs for it;
# fakesnow adds Snowflake's 'on' / 'off' to DuckDB's boolean strings.
_TRY_CASTS = {
    exp.DataType.Type.TIMESTAMPTZ: "TRY_CAST({} AS TIMESTAMPTZ)",
    exp.DataType.Type.BOOLEAN: (
        "CASE WHEN upper({0}) = 'ON' THEN true WHEN upper({0}) = 'OFF' THEN false "
        "ELSE TRY_CAST({0} AS BOOLEAN) END"
    ),
}


def _path(path: exp.Expression | None) -> tuple[str, list[str]] | None:
    """`column:key` or `column:key:nested...` as (column, keys); None for anything else."""
    if not isinstance(path, exp.JSONExtract) or not isinstance(path.this, exp.Column):
        return None
    steps = path.expression.expressions if isinstance(path.expression, exp.JSONPath) else []
    keys = steps[1:]
    if not keys or not all(isinstance(step, exp.JSONPathKey) for step in keys):
        return None
    return path.this.name, [str(step.this) for step in keys]


def _field(value: exp.Expression | None) -> tuple[list[str], str, str] | None:
    """`value:f[:g...]::t` as (keys, how from_json reads the top-level field, DuckDB SQL of the
    column with `{}` for the field's value); `TRY_CAST(value:f::string AS t)` likewise."""
    if isinstance(value, exp.TryCast | exp.ToBoolean):
        text = value.this
        # sqlglot reads TRY_CAST(... AS BOOLEAN) as a safe TO_BOOLEAN.
        to = value.to.this if isinstance(value, exp.TryCast) else exp.DataType.Type.BOOLEAN
        if isinstance(value, exp.ToBoolean) and not value.args.get("safe"):
            return None
        try_cast = _TRY_CASTS.get(to)
        if try_cast is None or not isinstance(text, exp.Cast) or text.to.this not in _TEXT:
            return None
        field = _path(text.this)
        if field is None or field[0].lower() != "value" or len(field[1]) != 1:
            return None
        return field[1], "VARCHAR", try_cast
    if isinstance(value, exp.Cast) and value.to.this in _TYPES:
        field = _path(value.this)
        if field is None or field[0].lower() != "value":
            return None
        read, duck_type = _TYPES[value.to.this]
        return field[1], read, f"CAST({{}} AS {duck_type})"
    return None


def _is_whole_value_hash(value: exp.Expression | None) -> bool:
    """`SHA2(value::string, 256)`: the hash of the whole element's text."""
    if not isinstance(value, exp.SHA2) or str(value.args.get("length", "256")) != "256":
        return False
    text = value.this
    return (
        isinstance(text, exp.Cast)
        and text.to.this in _TEXT
        and isinstance(text.this, exp.Column)
        and text.this.name.lower() == "value"
    )


def compile_flatten(statement: str) -> str | None:
    """DuckDB SQL equal to `statement` when it is `SELECT value:f::t AS a, value:f:g::string AS
    b, TRY_CAST(value:f::string AS t) AS c, SHA2(value::string, 256) AS d, ..., column AS e
    FROM table, LATERAL FLATTEN(input => column:key)`; None otherwise."""
    try:
        tree = sqlglot.parse_one(statement, read="snowflake")
    except sqlglot.errors.ParseError:
        return None
    joins = tree.args.get("joins") or []
    source = tree.args.get("from_")
    if not isinstance(tree, exp.Select) or len(joins) != 1 or source is None:
        return None
    lateral = joins[0].this
    if not isinstance(lateral, exp.Lateral) or not isinstance(lateral.this, exp.Explode):
        return None
    flattened = lateral.this.this
    array = _path(flattened.expression if isinstance(flattened, exp.Kwarg) else None)
    if array is None or len(array[1]) != 1 or not isinstance(source.this, exp.Table):
        return None

    schema: dict[str, str] = {}
    # Nested fields, by their top-level key: each object is parsed once for all of them.
    nested: dict[str, list[str]] = {}
    passed: list[str] = []
    columns = []
    for projection in tree.expressions:
        value = projection.this if isinstance(projection, exp.Alias) else None
        # Unquoted Snowflake names are upper case, as fakesnow reports them.
        alias = f'"{projection.alias.upper()}"'
        if isinstance(value, exp.Column) and value.name.lower() != "value":
            # A column of the source table itself (the file name, the load time).
            passed.append(value.name)
            columns.append(f'"{value.name.upper()}" AS {alias}')
            continue
        if _is_whole_value_hash(value):
            # fakesnow reads `value::string` as the element's text (`->> '$'`): for an object,
            # an array, a number or a boolean it parses the element and writes it again,
            # which gives back the text the split wrote; for a string it is the string without
            # its quotes (as in Snowflake), read so only for elements that are strings. Hashed
            # with the split (below): a filter on the hash (the events MERGE's `eventHash IS
            # NOT NULL`) would otherwise be pushed below this projection and hash every
            # element twice.
            columns.append(f"_hash AS {alias}")
            continue
        field = _field(value)
        if field is None:
            return None
        (top, *rest), read, column = field
        if not rest:
            # A field also read for nested paths must be kept as JSON.
            if schema.setdefault(top, read) != read:
                return None
            field_sql = f'e."{top}"'
            columns.append(f"{column.format(field_sql)} AS {alias}")
        elif read == "VARCHAR":
            # Kept as JSON text, then every nested path of it read in one extraction.
            if schema.setdefault(top, "JSON") != "JSON":
                return None
            paths = nested.setdefault(top, [])
            paths.append("$." + ".".join(rest))
            path_sql = f'"_{top}"[{len(paths)}]'
            columns.append(f"{column.format(path_sql)} AS {alias}")
        else:
            return None

    table = source.this.sql(dialect="duckdb")
    key = array[1][0]
    # Each element's text once (for the hash), then parsed once, straight to the fields.
    elements = json.dumps({key: ["JSON"]})
    structure = json.dumps(schema).replace("'", "''")
    kept = "".join(f', "{name.upper()}"' for name in passed)
    extracted = "".join(
        f', json_extract_string(e."{top}", {paths!r}) AS "_{top}"' for top, paths in nested.items()
    )
    return (
        f"SELECT {', '.join(columns)} FROM "
        f"(SELECT *{extracted} FROM "
        f"(SELECT _raw, _hash, from_json(_raw, '{structure}') AS e{kept} FROM "
        f"(SELECT unnest(_split) AS _raw, "
        f"unnest(list_transform(_split, element -> sha256(CASE WHEN "
        f"starts_with(element::VARCHAR, '\"') THEN element ->> '$' ELSE element::VARCHAR END)"
        f")) AS _hash{kept} "
        f"FROM (SELECT from_json({array[0]}, '{elements}').\"{key}\" AS _split{kept} "
        f"FROM {table}))))"
    )


def merge_as_insert(statement: str, matched: str | None = None) -> str | None:
    """`MERGE INTO t USING s ON c WHEN NOT MATCHED THEN INSERT (columns) VALUES (values)` as
    the INSERT it amounts to: `INSERT INTO t (columns) SELECT values FROM s WHERE NOT EXISTS
    (SELECT 1 FROM t WHERE c)`, in Snowflake SQL. A NOT MATCHED clause inserts each source row
    that matches no target row (https://docs.snowflake.com/en/sql-reference/sql/merge), which is
    that anti-join. fakesnow runs a MERGE as a full outer join of the whole target with the
    source, written to a table of candidates and then inserted: each batch the runner lands
    would pass every event landed before. Any other MERGE (a MATCHED clause, a condition on the
    clause, an INSERT without its column list) returns None. `matched`: the table or view the
    source rows are matched with, in place of the target (which it must include)."""
    try:
        tree = sqlglot.parse_one(statement, read="snowflake")
    except sqlglot.errors.ParseError:
        return None
    whens = tree.args.get("whens")
    if not isinstance(tree, exp.Merge) or whens is None or len(whens.expressions) != 1:
        return None
    (when,) = whens.expressions
    insert = when.args.get("then")
    if (
        when.args.get("matched")
        or when.args.get("condition") is not None
        or not isinstance(insert, exp.Insert)
        or insert.this is None
        or not isinstance(insert.expression, exp.Tuple)
    ):
        return None
    target = tree.this
    table = target.copy()
    table.set("alias", None)
    alias = target.alias_or_name
    values = ", ".join(value.sql("snowflake") for value in insert.expression.expressions)
    return (
        f"INSERT INTO {table.sql('snowflake')} {insert.this.sql('snowflake')} "
        f"SELECT {values} FROM {tree.args['using'].sql('snowflake')} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {matched or table.sql('snowflake')} AS {alias} "
        f"WHERE {tree.args['on'].sql('snowflake')})"
    )


def object_construct_macro(catalog: str) -> str:
    """fakesnow's OBJECT_CONSTRUCT (`_fs_object_construct` in `catalog`, fakesnow/macros.py)
    as an expression instead of a subquery: fakesnow collects the pairs with a subquery
    (json_group_object), which DuckDB runs for every row a statement reads, even where a CASE
    leaves it out (the events MERGE's UNTYPED). The same object: the pairs in their order, a
    NULL key or value left out unless `keep_nulls`, `{}` when none is left."""
    return (
        f"CREATE OR REPLACE MACRO {catalog}._fs_object_construct(keys, vals, keep_nulls) AS "
        "CAST(map_from_entries(list_filter(list_zip(keys, vals), "
        "pair -> pair[1] IS NOT NULL AND (keep_nulls OR pair[2] IS NOT NULL))) AS JSON)"
    )
