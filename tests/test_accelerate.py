"""The runner's faster plans for the stack's SQL (detect/accelerate.py) give what fakesnow's
literal translation gives; the pipeline's own comparisons are in test_detections and
test_detect_scale, these check each rewrite at its edges."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from fakesnow.instance import FakeSnow
from support import log_file, write_file

from detect import engine as engine_module
from detect.accelerate import (
    FirstCopies,
    compile_flatten,
    first_copies_apart,
    merge_as_insert,
    object_construct_macro,
)
from detect.engine import EVENTS, FIRST_COPIES, NEW_EVENTS, RAW_TABLE, Engine
from lib import sql
from lib.detections import load_detections

PACK = {d.id: d for d in load_detections()}

MERGE = """
MERGE INTO DB.S.T AS t
USING (SELECT id, day, note FROM DB.S.SOURCE) AS s
    ON t.id = s.id AND EQUAL_NULL(t.day, s.day)
WHEN NOT MATCHED THEN INSERT (id, day, note) VALUES (s.id, s.day, s.note)
"""


def cursor() -> Any:
    return FakeSnow().connect(database="DB", schema="S").cursor()


def target_after(statement: str) -> list[tuple[Any, ...]]:
    """T after `statement`, from rows that match a target row (on the id, on a NULL day),
    match none, and repeat in the source."""
    cur = cursor()
    cur.execute("CREATE TABLE T (id INT, day DATE, note VARCHAR)")
    cur.execute("CREATE TABLE SOURCE (id INT, day DATE, note VARCHAR)")
    cur.execute("INSERT INTO T VALUES (1, '2026-11-27', 'kept'), (2, NULL, 'kept')")
    cur.execute(
        "INSERT INTO SOURCE VALUES (1, '2026-11-27', 'same'), (1, '2026-11-28', 'other day'), "
        "(2, NULL, 'same, no day'), (3, NULL, 'new'), (4, '2026-11-27', 'twice'), "
        "(4, '2026-11-27', 'twice')"
    )
    # Rows moved out of T that the runner's landing still matches with (merge_as_insert's
    # `matched`, as Engine._retire uses it).
    cur.execute("CREATE TABLE MOVED (id INT, day DATE, note VARCHAR)")
    cur.execute("INSERT INTO MOVED VALUES (3, NULL, 'moved')")
    cur.execute("CREATE VIEW BOTH_ AS SELECT * FROM T UNION ALL SELECT * FROM MOVED")
    cur.execute(statement)
    cur.execute("SELECT * FROM T ORDER BY id, day, note")
    return [tuple(row) for row in cur.fetchall()]


def test_an_insert_only_merge_is_the_insert_it_amounts_to() -> None:
    insert = merge_as_insert(MERGE)
    assert insert is not None and insert.startswith("INSERT INTO DB.S.T (id, day, note)")
    after = target_after(insert)
    assert after == target_after(MERGE)
    # Sanity of the reference itself: matched rows are left, every other source row inserted.
    assert sorted(row[2] for row in after) == ["kept", "kept", "new", "other day", "twice", "twice"]


def test_an_insert_matched_with_more_than_its_target_skips_what_that_holds() -> None:
    insert = merge_as_insert(MERGE, "DB.S.BOTH_")
    assert insert is not None
    after = target_after(insert)
    assert sorted(row[2] for row in after) == ["kept", "kept", "other day", "twice", "twice"]


@pytest.mark.parametrize(
    "statement",
    [
        MERGE.replace("WHEN NOT MATCHED THEN", "WHEN NOT MATCHED AND s.id > 1 THEN"),
        MERGE + "WHEN MATCHED THEN UPDATE SET note = s.note",
        MERGE.replace("WHEN NOT MATCHED THEN INSERT", "WHEN MATCHED THEN DELETE --"),
        "INSERT INTO DB.S.T SELECT * FROM DB.S.SOURCE",
        "MERGE INTO oops",
    ],
    ids=["conditional", "with-matched", "matched-only", "not-a-merge", "unparsable"],
)
def test_any_other_statement_is_left_to_fakesnow(statement: str) -> None:
    assert merge_as_insert(statement) is None


@pytest.mark.parametrize(
    "arguments",
    [
        "'a', 1, 'b', NULL",
        "'a', NULL",
        "'a', 'x\"y', 'b', PARSE_JSON('{\"q\": [1, null]}'), 'c', PARSE_JSON('null')",
        "'z', 1, 'a', 2",
    ],
    ids=["null-value-dropped", "all-dropped", "text-json-and-json-null", "order-kept"],
)
def test_object_construct_without_its_subquery_builds_the_same_object(arguments: str) -> None:
    statement = f"SELECT OBJECT_CONSTRUCT({arguments})::string"
    reference, faster = cursor(), cursor()
    faster._duck_conn.execute(object_construct_macro("DB"))
    reference.execute(statement)
    faster.execute(statement)
    assert faster.fetchall() == reference.fetchall()


def test_the_accelerated_identity_is_fakesnows_for_any_json(tmp_path: Path) -> None:
    """The runner hashes each element's text as the split wrote it; fakesnow writes the parsed
    element again (`value::string`). Whatever the file's spelling of a value (escapes, numbers
    past 64 bits, exponents, negative zero, deep nesting), both give the same identity."""
    records = [
        json.loads(text)
        for text in (
            '{"eventID": "a", "s": "caf\\u00e9 \\ud83d\\ude00 \\/ \\" \\\\ \\t \\u2028"}',
            '{"eventID": "b", "n": [12345678901234567890123, 1.50, 1e300, -0, 0.1e1, -7]}',
            '{"eventID": "c", "deep": [[[{"x": [null, true, false, {}]}]]], "empty": ""}',
        )
    ]
    text = b'{"Records": [' + ", ".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    files = [
        write_file(tmp_path / "escaped.json", text.replace(b"\xc3\xa9", b"\\u00e9") + b"]}"),
        log_file(tmp_path / "plain.json.gz", records),
    ]
    hashes = []
    for engine in (Engine([], accelerate=False), Engine([])):
        assert engine.load(files) == []
        _, rows = engine.query(f"SELECT eventID, eventHash FROM {NEW_EVENTS} ORDER BY 1, 2")
        hashes.append(rows)
    assert hashes[0] == hashes[1]
    # One event however it is spelled: each file's copy has the same identity.
    assert len(hashes[1]) == 2 * len({h for _, h in hashes[1]}) == 2 * len(records)


def test_a_record_that_is_a_json_string_has_fakesnows_identity(tmp_path: Path) -> None:
    """`value::string` of a JSON string is its text without the quotes (fakesnow: `->> '$'`,
    as in Snowflake), not the JSON (`"..."`): a record that is a string (or any other scalar)
    lands with the eventHash, and so the surrogate eventID, of the literal plan."""
    records = ["not an event", 'caf\u00e9 "quoted"', "", 1.5, 12345678901234567890123, True, [1]]
    files = [log_file(tmp_path / "scalars.json", records)]
    landed = []
    for engine in (Engine([], accelerate=False), Engine([])):
        assert engine.load(files) == []
        engine.land()
        _, rows = engine.query(f"SELECT eventID, eventHash FROM {EVENTS} ORDER BY 1, 2")
        landed.append(rows)
    assert len(landed[0]) == len(records)
    assert landed[1] == landed[0]


def test_a_condition_ending_in_a_line_comment_is_kept_apart_from_the_others(
    tmp_path: Path,
) -> None:
    """A detection's condition may end with a `--` comment, as the stack renders it (its own
    line before the closing parenthesis, Detection.render): the runner's table of candidates
    joins every condition with OR, where such a comment must not swallow the others."""
    root = PACK["cis_root_usage"]
    commented = dataclasses.replace(root, condition=f"{root.condition}  -- as the CIS filter")
    files = [log_file(tmp_path / "root.json", [c.event for c in root.tests])]
    found = []
    for accelerate in (False, True):
        engine = Engine([commented, PACK["cis_vpc_changes"]], accelerate=accelerate)
        engine.run(files)
        found.append(engine.persisted_findings())
    assert found[0] and found[1] == found[0]


@pytest.mark.parametrize("kept", ["[1]", "[null]", "[[]]", '[["SELECT 1"]]', '[["a", null, 1]]'])
def test_a_kept_translation_of_another_shape_is_made_again(tmp_path: Path, kept: str) -> None:
    """A translation file that is JSON but not a list of [statement, parameters] is unreadable,
    like a damaged one: translated again, not a traceback."""
    root = PACK["cis_root_usage"]
    files = [log_file(tmp_path / "root.json", [c.event for c in root.tests])]
    folder = tmp_path / "translations"
    first = Engine([root], translations=folder)
    first.run(files)
    for path in folder.iterdir():
        path.write_text(kept)
    again = Engine([root], translations=folder)
    again.run(files)
    assert again.persisted_findings() == first.persisted_findings()


def test_merge_as_insert_without_a_column_list_is_left_to_fakesnow() -> None:
    """`WHEN NOT MATCHED THEN INSERT VALUES (...)` (Snowflake's column list is optional): None,
    as for any statement it does not rewrite, rather than an AttributeError."""
    statement = "MERGE INTO T USING S ON T.id = S.id WHEN NOT MATCHED THEN INSERT VALUES (S.id)"
    assert merge_as_insert(statement) is None


def test_a_translation_kept_by_other_runner_code_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What fakesnow is handed depends on the runner's code (merge_as_insert): a translation
    kept by another version of it is made again, beside the other."""
    root = PACK["cis_root_usage"]
    files = [log_file(tmp_path / "root.json", [c.event for c in root.tests])]
    folder = tmp_path / "translations"
    Engine([root], translations=folder).run(files)
    kept = len(list(folder.iterdir()))
    monkeypatch.setattr(engine_module, "_TRANSLATING_CODE", "another version of the runner")
    Engine([root], translations=folder).run(files)
    assert len(list(folder.iterdir())) == 2 * kept


# The landing's dedup (events_merge.sql), as fakesnow runs it over the flattened rows.
FIRST_OF_EACH = (
    f"SELECT * FROM {NEW_EVENTS} WHERE eventHash IS NOT NULL "
    "QUALIFY ROW_NUMBER() OVER (PARTITION BY eventHash ORDER BY loadedAt, sourceFile) = 1"
)
W = {"eventID": "w", "eventTime": "2026-11-27T10:00:00Z"}


def test_the_first_copies_are_those_the_landing_merge_keeps() -> None:
    """The runner keeps the first copy of each event before parsing any (FIRST_COPIES) instead
    of after (the MERGE's QUALIFY): the same rows as fakesnow's plan, on copies that differ by
    load time against their file's name, by file name alone, by a missing load time (last, as
    Snowflake sorts NULLs), two copies in one file, a null record (no identity), and a record
    that is a string holding an event's text, which has that event's identity."""
    t1, t2 = "2026-11-27 10:00:00+00", "2026-11-27 11:00:00+00"
    x, y, z, v = ({"eventID": name, "n": 1} for name in "xyzv")
    written = json.dumps(W, separators=(",", ":"))
    rows = [
        ([x], "b", t1),
        ([x], "a", t2),
        ([y, y], "a", t1),
        ([y], "b", t1),
        ([z], "c", None),
        ([z], "d", t2),
        ([written], "e", t1),
        ([W], "f", t1),
        ([None, v], "g", t1),
        ([{"eventID": "alone"}], "h", None),
    ]
    found = []
    # Both plans, each with the raw rows in both orders: which copy is first must not depend on
    # the order the rows were written in.
    for engine, written_rows in (
        (Engine([], accelerate=False), rows),
        (Engine([]), rows),
        (Engine([]), rows[::-1]),
    ):
        for records, name, loaded in written_rows:
            engine._duck.execute(
                f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?)",
                [json.dumps({"Records": records}), name, loaded],
            )
        columns, first = engine.query(
            FIRST_OF_EACH if not engine.accelerated else f"SELECT * FROM {FIRST_COPIES}"
        )
        found.append(sorted(map(repr, first)))
        if engine.accelerated:
            by_file = {row[columns.index("SOURCEFILE")]: row for row in first}
            assert sorted(by_file) == ["a", "b", "d", "e", "g", "h"]
            assert len(first) == 6
    # The string and the event it holds are one identity, so that case is tested.
    _, hashes = engine.query(
        f"SELECT DISTINCT eventHash FROM {NEW_EVENTS} WHERE sourceFile IN ('e', 'f')"
    )
    assert len(hashes) == 1
    assert found[1] == found[0] == found[2]
    assert FIRST_COPIES in engine._events_merge and "QUALIFY" not in engine._events_merge


@pytest.mark.parametrize(
    "change",
    [
        ("ORDER BY loadedAt, sourceFile", "ORDER BY loadedAt DESC, sourceFile"),
        ("ORDER BY loadedAt, sourceFile", "ORDER BY loadedAt NULLS FIRST, sourceFile"),
        ("ROW_NUMBER()", "RANK()"),
        (") = 1", ") = 2"),
        ("PARTITION BY eventHash", "PARTITION BY eventHash, eventName"),
        ("WHERE eventHash IS NOT NULL", "WHERE eventName IS NOT NULL OR eventHash IS NOT NULL"),
        ("WHERE eventHash IS NOT NULL", "WHERE eventName = 'x'"),
        ("QUALIFY", "LIMIT 5 QUALIFY"),
        # A projection that counts the copies would count the first ones only.
        ("AS untyped", "AS untyped, COUNT(*) OVER (PARTITION BY eventHash) AS copies"),
        # And an aggregate, the last of them.
        ("AS untyped", "AS untyped, MAX(loadedAt) AS latest"),
        ("PARTITION BY eventHash", "PARTITION BY n.eventHash"),
        (f"FROM {NEW_EVENTS}", f"FROM {RAW_TABLE}"),
        (f"FROM {NEW_EVENTS}", f"FROM {NEW_EVENTS} SAMPLE (10 ROWS)"),
        (f"FROM {NEW_EVENTS}", f"FROM {NEW_EVENTS} AT (OFFSET => -60)"),
    ],
)
def test_a_dedup_of_another_shape_is_left_in_the_merge(change: tuple[str, str]) -> None:
    """Only the landing's own dedup is moved before the parse: a window that keeps other rows,
    or a filter it would no longer follow, stays where it is."""
    merge = sql.events_merge_statement(EVENTS, NEW_EVENTS)
    assert first_copies_apart(merge, NEW_EVENTS, FIRST_COPIES) is not None
    changed = merge.replace(*change)
    assert changed != merge
    assert first_copies_apart(changed, NEW_EVENTS, FIRST_COPIES) is None


def test_a_source_read_under_an_alias_keeps_it() -> None:
    merge = sql.events_merge_statement(EVENTS, NEW_EVENTS).replace(
        f"FROM {NEW_EVENTS}", f"FROM {NEW_EVENTS} AS n"
    )
    apart = first_copies_apart(merge, NEW_EVENTS, FIRST_COPIES)
    assert apart is not None and f"FROM {FIRST_COPIES} AS n" in apart[0]
    # Names of its own for the columns would be lost.
    renamed = merge.replace(" AS n", " AS n(a, b)")
    assert first_copies_apart(renamed, NEW_EVENTS, FIRST_COPIES) is None


def test_a_dedup_on_what_the_parse_gives_is_not_moved_before_it() -> None:
    """compile_flatten applies the dedup only to the hash and the raw table's columns, which
    the split knows; a key read from the event is known only after the parse."""
    flatten = sql.events_flatten_statement(RAW_TABLE)
    assert compile_flatten(flatten, FirstCopies((), "EVENTHASH", ("LOADEDAT",))) is not None
    for first in (
        FirstCopies((), "EVENTID", ("LOADEDAT",)),
        FirstCopies(("EVENTNAME",), "EVENTHASH", ("LOADEDAT",)),
        FirstCopies((), "EVENTHASH", ("EVENTTIME",)),
    ):
        assert compile_flatten(flatten, first) is None
