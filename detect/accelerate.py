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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class FirstCopies:
    """What `WHERE p IS NOT NULL QUALIFY ROW_NUMBER() OVER (PARTITION BY key ORDER BY o1, o2)
    = 1` keeps of a source: of its rows whose `present` columns are all set, the first of each
    `key` by `order`, ascending with NULLs last (Snowflake's default order). Columns by the
    flatten's names for them, upper case."""

    present: tuple[str, ...]
    key: str
    order: tuple[str, ...]


def first_copies_apart(
    merge: str, source: str, first_copies: str
) -> tuple[str, FirstCopies] | None:
    """A MERGE whose source is `SELECT ... FROM source WHERE p IS NOT NULL QUALIFY ROW_NUMBER()
    OVER (PARTITION BY k ORDER BY a, b) = 1` (events_merge.sql) as the same MERGE reading
    `first_copies` without either clause, and what the two kept (FirstCopies), for
    `compile_flatten` to apply to the split elements before any is parsed: the window then
    sorts the split's four columns, not the forty of every parsed event. The projections
    left apply to each row alone, so the rows they make from the copies kept are the same.
    None for any other shape."""
    try:
        tree = sqlglot.parse_one(merge, read="snowflake")
    except sqlglot.errors.ParseError:
        return None
    using = tree.args.get("using") if isinstance(tree, exp.Merge) else None
    select = using.this if isinstance(using, exp.Subquery) else None
    if not isinstance(select, exp.Select):
        return None
    origin = select.args["from_"].this if select.args.get("from_") else None
    clauses = {name for name, value in select.args.items() if value}
    if (
        not isinstance(origin, exp.Table)
        or exp.table_name(origin).upper() != source.upper()
        # A sample, a time travel or a list of column names would be lost with the table.
        or not {name for name, value in origin.args.items() if value}
        <= {"this", "db", "catalog", "alias"}
        or (origin.args.get("alias") and origin.args["alias"].columns)
        or not clauses <= {"expressions", "from_", "where", "qualify"}
        or any(p.find(exp.Window, exp.AggFunc) for p in select.expressions)
    ):
        return None
    present = _present(select.args.get("where"))
    first = _first(select.args.get("qualify"))
    if present is None or first is None:
        return None
    rest = select.copy()
    rest.set("where", None)
    rest.set("qualify", None)
    # Under the source's alias, which its projections may use.
    kept = exp.to_table(first_copies)
    rest.set("from_", exp.From(this=kept.as_(origin.alias) if origin.alias else kept))
    apart = tree.copy()
    apart.args["using"].set("this", rest)
    return apart.sql("snowflake"), FirstCopies(present, *first)


def _column(node: exp.Expression | None) -> str | None:
    """A plain column's name as the flatten names it (upper case); None for anything else."""
    if isinstance(node, exp.Column) and not node.table:
        return node.name.upper()
    return None


def _present(where: exp.Expression | None) -> tuple[str, ...] | None:
    """The columns of `WHERE a IS NOT NULL AND b IS NOT NULL ...`; None for another filter."""
    if where is None:
        return ()
    condition = where.this if isinstance(where, exp.Where) else where
    if isinstance(condition, exp.And):
        left, right = _present(condition.this), _present(condition.expression)
        return None if left is None or right is None else left + right
    if isinstance(condition, exp.Not) and isinstance(condition.this, exp.Is):
        name = _column(condition.this.this)
        if name is not None and isinstance(condition.this.expression, exp.Null):
            return (name,)
    return None


def _first(qualify: exp.Expression | None) -> tuple[str, tuple[str, ...]] | None:
    """The key and the order of `QUALIFY ROW_NUMBER() OVER (PARTITION BY key ORDER BY a, b) =
    1`, each ascending with NULLs last; None for any other QUALIFY."""
    condition = qualify.this if isinstance(qualify, exp.Qualify) else None
    if not isinstance(condition, exp.EQ) or condition.expression != exp.Literal.number(1):
        return None
    window = condition.this
    if not isinstance(window, exp.Window) or not isinstance(window.this, exp.RowNumber):
        return None
    partition = window.args.get("partition_by") or []
    order = window.args.get("order")
    ordered = order.expressions if isinstance(order, exp.Order) else []
    if window.args.get("spec") or len(partition) != 1 or not ordered:
        return None
    key = _column(partition[0])
    names = [
        _column(o.this)
        if isinstance(o, exp.Ordered)
        and not o.args.get("desc")
        and o.args.get("nulls_first") is False
        else None
        for o in ordered
    ]
    if key is None or None in names:
        return None
    return key, tuple(name for name in names if name is not None)


def compile_flatten(statement: str, first: FirstCopies | None = None) -> str | None:
    """DuckDB SQL equal to `statement` when it is `SELECT value:f::t AS a, value:f:g::string AS
    b, TRY_CAST(value:f::string AS t) AS c, SHA2(value::string, 256) AS d, ..., column AS e
    FROM table, LATERAL FLATTEN(input => column:key)`; None otherwise. With `first`, to what
    it keeps of those rows, when it reads only the hash and the table's columns: then only
    the copies kept are parsed."""
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
    # The columns known before an element is parsed, by name: what `first` may read.
    split: dict[str, str] = {}
    columns = []
    for projection in tree.expressions:
        value = projection.this if isinstance(projection, exp.Alias) else None
        # Unquoted Snowflake names are upper case, as fakesnow reports them.
        alias = f'"{projection.alias.upper()}"'
        if isinstance(value, exp.Column) and value.name.lower() != "value":
            # A column of the source table itself (the file name, the load time).
            passed.append(value.name)
            split[projection.alias.upper()] = f'"{value.name.upper()}"'
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
            split[projection.alias.upper()] = "_hash"
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
    elements_sql = (
        f"SELECT unnest(_split) AS _raw, "
        f"unnest(list_transform(_split, element -> sha256(CASE WHEN "
        f"starts_with(element::VARCHAR, '\"') THEN element ->> '$' ELSE element::VARCHAR END)"
        f")) AS _hash{kept} "
        f"FROM (SELECT from_json({array[0]}, '{elements}').\"{key}\" AS _split{kept} "
        f"FROM {table})"
    )
    if first is not None:
        named = [*first.present, first.key, *first.order]
        if not all(name in split for name in named):
            return None
        present = " AND ".join(f"{split[name]} IS NOT NULL" for name in first.present)
        order = ", ".join(f"{split[name]} ASC NULLS LAST" for name in first.order)
        elements_sql = (
            f"SELECT * FROM ({elements_sql}) WHERE {present or 'TRUE'} "
            f"QUALIFY ROW_NUMBER() OVER (PARTITION BY {split[first.key]} ORDER BY {order}) = 1"
        )
    return (
        f"SELECT {', '.join(columns)} FROM "
        f"(SELECT *{extracted} FROM "
        f"(SELECT _raw, _hash, from_json(_raw, '{structure}') AS e{kept} FROM "
        f"({elements_sql})))"
    )


def merge_as_insert(statement: str, matched: str | None = None) -> str | None:
    """`MERGE INTO t USING s ON c WHEN NOT MATCHED THEN INSERT (columns) VALUES (values)` as
    the INSERT it amounts to: `INSERT INTO t (columns) SELECT values FROM s WHERE NOT EXISTS
    (SELECT 1 FROM t WHERE c)`, in Snowflake SQL (written as a LEFT JOIN, below). A NOT MATCHED
    clause inserts each source row that matches no target row
    (https://docs.snowflake.com/en/sql-reference/sql/merge), which is that anti-join. fakesnow
    runs a MERGE as a full outer join of the whole target with the source, written to a table
    of candidates and then inserted: each batch the runner lands would pass every event landed
    before. Any other MERGE (a MATCHED clause, a condition on the clause, an INSERT without its
    column list) returns None. `matched`: the table or view the
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
    # The anti-join as a LEFT JOIN that keeps the source rows no target row matched, each once:
    # DuckDB then builds its hash table on the smaller side, the batch landed, where it runs
    # NOT EXISTS as a MARK join built on every event landed before (quadratic over a run).
    return (
        f"INSERT INTO {table.sql('snowflake')} {insert.this.sql('snowflake')} "
        f"SELECT {values} FROM {tree.args['using'].sql('snowflake')} "
        f"LEFT JOIN (SELECT TRUE AS {_MATCHED}, * FROM {matched or table.sql('snowflake')}) "
        f"AS {alias} ON {tree.args['on'].sql('snowflake')} WHERE {alias}.{_MATCHED} IS NULL"
    )


# A column that only a target row joined to a source row has (merge_as_insert).
_MATCHED = "_MERGE_MATCHED"


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
