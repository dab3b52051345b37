"""A faster plan for flattening the raw log files on the embedded engine, from the same SQL.

events_flatten.sql selects `value:<field>::<type>` from every element of `record:Records`.
fakesnow runs that as written: a generic FLATTEN macro per row, then one JSON parse per column
and event, about 30 parses of every event. Snowflake stores VARIANT columnar and pays none of
that. This compiles a SELECT of exactly that shape to DuckDB SQL that parses each event once
(`from_json` into a struct holding just the selected fields). Any other shape returns None and
runs through fakesnow unchanged; the tests check that both plans return the same rows.
"""

from __future__ import annotations

import json

import sqlglot
from sqlglot import exp

# Snowflake cast -> (how from_json reads the field, the DuckDB type fakesnow gives the column).
_TYPES = {
    exp.DataType.Type.TIMESTAMPTZ: ("VARCHAR", "TIMESTAMPTZ"),
    exp.DataType.Type.VARCHAR: ("VARCHAR", "VARCHAR"),
    exp.DataType.Type.TEXT: ("VARCHAR", "VARCHAR"),
    exp.DataType.Type.BOOLEAN: ("VARCHAR", "BOOLEAN"),
    exp.DataType.Type.VARIANT: ("JSON", "JSON"),
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


def compile_flatten(statement: str) -> str | None:
    """DuckDB SQL equal to `statement` when it is `SELECT value:f::t AS a, value:f:g::string AS
    b, ..., column AS c FROM table, LATERAL FLATTEN(input => column:key)`; None otherwise."""
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
    selected: set[str] = set()
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
        field = _path(value.this) if isinstance(value, exp.Cast) else None
        types = _TYPES.get(value.to.this) if isinstance(value, exp.Cast) else None
        if field is None or types is None or field[0].lower() != "value":
            return None
        top, *rest = field[1]
        if not rest:
            # Once each; a field also read for nested paths must be kept as JSON.
            if top in selected or schema.get(top, types[0]) != types[0]:
                return None
            selected.add(top)
            schema[top] = types[0]
            columns.append(f'CAST(e."{top}" AS {types[1]}) AS {alias}')
        elif types[0] == "VARCHAR":
            # Kept as JSON text, then every nested path of it read in one extraction.
            if schema.setdefault(top, "JSON") != "JSON":
                return None
            paths = nested.setdefault(top, [])
            paths.append("$." + ".".join(rest))
            columns.append(f'CAST("_{top}"[{len(paths)}] AS {types[1]}) AS {alias}')
        else:
            return None

    table = source.this.sql(dialect="duckdb")
    # One parse of the whole record, straight to the fields: no intermediate JSON text.
    structure = json.dumps({array[1][0]: [schema]}).replace("'", "''")
    records = f"unnest(from_json({array[0]}, '{structure}').\"{array[1][0]}\") AS e"
    kept = "".join(f', "{name.upper()}"' for name in passed)
    extracted = "".join(
        f', json_extract_string(e."{top}", {paths!r}) AS "_{top}"' for top, paths in nested.items()
    )
    return (
        f"SELECT {', '.join(columns)} FROM "
        f"(SELECT *{extracted} FROM (SELECT {records}{kept} FROM {table}))"
    )
