"""`python -m detect` on inputs larger than memory: the files are loaded and landed a batch at a
time (`Engine.run`), and each statement the runner repeats is translated by fakesnow once
(`Engine._execute`). Both must give exactly the rows of the plain run: one batch, every
statement through fakesnow."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import log_file, write_file

from detect import engine as engine_module
from detect.cli import EXIT_UNFINISHED, EXIT_USAGE, main
from detect.engine import EVENTS, FINDINGS, Engine, FileProblem
from lib import sql
from lib.detections import Dedup, Detection, Threshold, load_detections

PACK = {d.id: d for d in load_detections()}
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MALLORY = "arn:aws:iam::111122223333:user/mallory"
TRENT = "arn:aws:iam::111122223333:user/trent"
# Three reads of distinct secrets in 10 minutes by one principal; one alert per principal and hour.
BULK_READS = dataclasses.replace(
    PACK["threat_secretsmanager_bulk_retrieval"],
    threshold=Threshold(
        count=3,
        window_minutes=10,
        group_by=["userIdentityArn"],
        distinct="requestParameters:secretId::string",
    ),
    dedup=Dedup(group_by=["userIdentityArn"], window_minutes=60),
)
# Every read is a finding; one alert per principal and hour.
EVERY_READ = dataclasses.replace(
    PACK["threat_secretsmanager_bulk_retrieval"],
    id="threat_every_read",
    threshold=None,
    dedup=Dedup(group_by=["userIdentityArn"], window_minutes=60),
)
DETECTIONS: list[Detection] = [PACK["cis_root_usage"], BULK_READS, EVERY_READ]
ROOT_EVENT = next(case.event for case in PACK["cis_root_usage"].tests if case.match)


def read(minutes: float, number: int, actor: str = MALLORY, **fields: Any) -> dict[str, Any]:
    """A successful GetSecretValue of its own secret by `actor`, `minutes` after T0."""
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": actor, "accountId": "111122223333"},
        "eventTime": (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "secretsmanager.amazonaws.com",
        "eventName": "GetSecretValue",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.7",
        "requestParameters": {"secretId": f"prod/secret-{number}"},
        "eventID": f"00000000-0000-4000-8000-{number:012d}",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        **fields,
    }


def root(event_id: str, **fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ROOT_EVENT), "eventID": event_id, **fields}


def deliveries(folder: Path) -> list[str]:
    """Log files, one per delivery, whose events straddle every boundary between batches of 1, 2
    or 3 files. Across files: an event delivered twice (and an odd one, with no eventID and an
    unreadable time, delivered twice); a burst of three reads whose third read arrives two files
    after the first two (and whose later half comes first for another principal); an hour of
    reads whose earliest read arrives after the others (the alert must go to it, as in one run);
    a file that cannot be read between them."""
    odd = root("", eventTime="redacted", sourceIPAddress="192.0.2.1")
    files: list[list[Any] | bytes] = [
        [root("root-1"), read(0, 1), read(4, 2), read(30, 10, TRENT)],
        [read(50, 11), root("root-2"), odd],
        b"<html>502 Bad Gateway</html>",
        [read(9, 3), root("root-1"), read(24, 12, TRENT), read(27, 13, TRENT)],
        [odd, read(55, 14)],
        [read(45, 15), read(20, 16, TRENT), read(5000, 17)],
        [read(31, 18)],
    ]
    paths = []
    for number, content in enumerate(files):
        path = folder / f"{number:02d}.json.gz"
        if isinstance(content, bytes):
            paths.append(write_file(path, content))
        else:
            paths.append(log_file(path, content))
    return paths


def outcome(engine: Engine, problems: list[FileProblem]) -> dict[str, Any]:
    """Everything a run reports, and the events landed: what the runner keeps of each after
    its batch (engine_module.SEEN_COLUMNS; the events a detection reads, it keeps whole, and
    the findings show them)."""
    columns = list(engine_module.SEEN_COLUMNS)
    _, events = engine.query(
        f"SELECT {', '.join(columns)} FROM {engine_module.LANDED} ORDER BY eventHash, sourceFile"
    )
    untyped = columns.index("untyped")
    return {
        "findings": engine.persisted_findings(),
        "odd": engine.odd_events(),
        "events loaded": engine.event_count(),
        "events": [(*row[:untyped], folded(row[untyped]), *row[untyped + 1 :]) for row in events],
        "problems": problems,
    }


# How the statements the runner translates once begin (`Engine._execute`).
TRANSLATED = ("INSERT INTO", "CREATE OR REPLACE TABLE")


def folded(untyped: str | None) -> dict[str, Any] | None:
    """UNTYPED with its keys in upper case: fakesnow upper-cases the keys OBJECT_CONSTRUCT builds
    inside a MERGE, which the plain run runs and the runner runs as an INSERT (Snowflake keeps
    them as written; test_transform checks that the runner does)."""
    return None if untyped is None else {k.upper(): v for k, v in json.loads(untyped).items()}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return deliveries(tmp_path_factory.mktemp("deliveries"))


@pytest.fixture(scope="module")
def one_run(files: list[str]) -> dict[str, Any]:
    """The plain run: every file loaded, then landed at once, every statement translated by
    fakesnow as it runs."""
    engine = Engine(DETECTIONS, accelerate=False)
    problems = engine.load(files)
    engine.query(sql.events_merge_statement(EVENTS, engine_module.NEW_EVENTS))
    engine.query(engine._findings_merge)
    return outcome(engine, problems)


def test_the_deliveries_hold_what_they_are_meant_to(one_run: dict[str, Any]) -> None:
    """The subject of the tests below: thresholds across files, a dedup key whose earliest
    finding arrives last, odd events and copies, an unreadable file."""
    found = {(f["detection"], f["eventID"]): f for f in one_run["findings"]}
    bulk = {e for d, e in found if d == BULK_READS.id}
    # Two bursts of Mallory's (each over three files), one of Trent's; not the reads alone.
    mallory = ((0, 1), (4, 2), (9, 3), (45, 15), (50, 11), (55, 14))
    trent = ((20, 16), (24, 12), (27, 13), (30, 10))
    assert bulk == {read(m, n)["eventID"] for m, n in mallory} | {
        read(m, n, TRENT)["eventID"] for m, n in trent
    }
    # Trent's hour of reads: the alert is the earliest read's, delivered after the others.
    earliest = read(20, 16, TRENT)["eventID"]
    assert found[(EVERY_READ.id, earliest)]["duplicate_of"] is None
    for minutes, number in ((24, 12), (27, 13), (30, 10)):
        later = found[(EVERY_READ.id, read(minutes, number, TRENT)["eventID"])]
        assert later["duplicate_of"] == earliest
    assert one_run["odd"] == {"an unreadable eventTime": 1, "no eventID": 1}
    assert one_run["events loaded"] == 17
    assert len(one_run["events"]) == 15  # two copies
    ((path, lost),) = [(Path(p.path).name, p.lost) for p in one_run["problems"]]
    assert (path, lost) == ("02.json.gz", "file")


@pytest.mark.parametrize("batch_files", [1, 2, 3, 7])
def test_batches_give_what_one_run_gives(
    files: list[str], one_run: dict[str, Any], batch_files: int
) -> None:
    engine = Engine(DETECTIONS)
    problems = engine.run(files, batch_files)
    assert outcome(engine, problems) == one_run


def test_events_no_detection_reads_are_landed_once_across_batches(files: list[str]) -> None:
    """With one detection, most events meet no condition: of those only what the landing
    matches with is kept after their batch, and their copies in later batches are still
    skipped (the same landed events and odd counts as one plain run)."""
    root = [PACK["cis_root_usage"]]
    literal = Engine(root, accelerate=False)
    problems = literal.load(files)
    literal.query(sql.events_merge_statement(EVENTS, engine_module.NEW_EVENTS))
    literal.query(literal._findings_merge)
    engine = Engine(root)
    assert outcome(engine, engine.run(files, 1)) == outcome(literal, problems)
    (kept,) = engine.query(f"SELECT COUNT(*) FROM {engine_module.KEPT}")[1]
    assert 0 < kept[0] < len(outcome(literal, problems)["events"])


@pytest.mark.parametrize("batch_files", [1, 3])
def test_files_given_out_of_order_give_what_one_run_gives(
    files: list[str], one_run: dict[str, Any], batch_files: int
) -> None:
    """Several PATH arguments come in the user's order: which copy of a duplicated event is
    kept (and its sourceFile) must not depend on it, nor on the batch size."""
    engine = Engine(DETECTIONS)
    problems = engine.run(list(reversed(files)), batch_files)
    assert outcome(engine, problems) == one_run


def test_what_the_detections_find_after_a_run_is_what_they_find_in_one_run(
    files: list[str],
) -> None:
    """`detected` after `run`: the events it landed but the last batch's have left the events
    table (and the `cloudtrail` view over it, Engine._retire), but not the detections'
    findings."""
    plain = Engine(DETECTIONS, accelerate=False)
    plain.load(files)
    plain.land()
    expected = plain.detected()
    assert expected
    for accelerate in (True, False):
        engine = Engine(DETECTIONS, accelerate=accelerate)
        engine.run(files, 2)
        assert engine.detected() == expected, accelerate


def test_the_progress_counts_every_file_once(files: list[str]) -> None:
    advanced: list[int] = []
    Engine([PACK["cis_root_usage"]]).run(files, 3, advanced.append)
    assert advanced == [3, 3, 1]


def recording(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements `engine` hands fakesnow from now on (until `monkeypatch.undo()`)."""
    cursor = engine._cursor
    execute, statements = cursor.execute, []

    def counting(statement: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(statement)
        return execute(statement, *args, **kwargs)

    monkeypatch.setattr(cursor, "execute", counting)
    return statements


def test_a_repeated_statement_is_translated_once_and_gives_fakesnows_rows(
    files: list[str], one_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The landing MERGE of every batch after the first, and a second findings MERGE, run
    fakesnow's DuckDB statements of the first time: the same rows as fakesnow translating each
    run (the plain run, and a run whose every statement goes through fakesnow)."""
    engine = Engine(DETECTIONS)
    translated = recording(engine, monkeypatch)
    problems = engine.run(files, 2)
    engine.persist_findings()
    # Each insert-only MERGE runs as the INSERT it amounts to (detect/accelerate.py), the
    # findings MERGE after the table of the events that meet a condition is made; after each
    # batch the raw table is made anew, and after each but the last the landed events are
    # retired (three statements).
    merges = [s for s in translated if s.startswith(TRANSLATED)]
    assert len(merges) == 7, "each statement is translated once, however often it runs"
    assert outcome(engine, problems) == one_run

    # The same batches with every statement translated by fakesnow as it runs.
    monkeypatch.undo()
    literal = Engine(DETECTIONS, accelerate=False)
    problems = []
    for start in range(0, len(files), 2):
        problems.extend(literal.load(files[start : start + 2]))
        literal.query(sql.events_merge_statement(EVENTS, engine_module.NEW_EVENTS))
        literal._events_emptied += literal._raw_count()
        literal.query(f"DELETE FROM {engine_module.RAW_TABLE}")
    literal.query(literal._findings_merge)
    literal.query(literal._findings_merge)
    assert outcome(literal, problems) == one_run
    (count,) = literal.query(f"SELECT COUNT(*) FROM {FINDINGS}")[1][0]
    assert count == len(one_run["findings"])


def test_a_landed_batch_leaves_none_of_its_raw_rows_or_whole_events_in_memory(
    files: list[str],
) -> None:
    """Deleted rows stay in DuckDB's memory until a checkpoint: each batch's raw rows must go
    with the batch, or the raw table holds the whole input; and its landed events, but for
    what the next batches and the detections read (test_batches_give_what_one_run_gives
    checks that they still find it), or the events table does. The last batch's stay there
    for the findings."""
    engine = Engine(DETECTIONS)
    engine.run(files, 2)

    def stored(table: str) -> int:
        """The rows `table` holds in memory, deleted or not."""
        (rows,) = engine._duck.execute(
            f"SELECT coalesce(sum(count), 0) FROM pragma_storage_info('{table}') "
            "WHERE column_path = '[0]'"
        ).fetchone() or (0,)
        return int(rows)

    assert stored(engine_module.RAW_TABLE) == 0
    (seen,) = engine.query(f"SELECT COUNT(*) FROM {engine_module.SEEN}")[1][0]
    (last,) = engine.query(f"SELECT COUNT(*) FROM {EVENTS}")[1][0]
    assert (seen, last) == (14, 1), "the last file holds one event, of 15 landed"
    assert stored(EVENTS) == last


def test_a_translation_is_kept_for_the_next_run_and_made_again_when_unreadable(
    files: list[str], one_run: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fakesnow translates the MERGEs once per folder of translations: a later engine runs
    them with no translation and gets the same rows; a damaged file is translated again, and
    a folder that cannot be written costs only the time."""
    folder = tmp_path / "translations"

    def run_counting(translations: Path) -> tuple[dict[str, Any], int]:
        """What an engine with `translations` reports for a run, and how many statements it
        translated, its start included."""
        made: list[str] = []
        store = Engine._store

        def counting(engine: Engine, statement: str, translated: Any) -> None:
            made.append(statement)
            store(engine, statement, translated)

        monkeypatch.setattr(Engine, "_store", counting)
        engine = Engine(DETECTIONS, translations=translations)
        problems = engine.run(files, 2)
        monkeypatch.undo()
        return outcome(engine, problems), len(made)

    # Every statement a run of several batches hands fakesnow: the tables and views its start
    # makes (9), the landing, the raw table made anew, the three that retire a batch, the table
    # of the events that meet a condition and the findings MERGE.
    assert run_counting(folder) == (one_run, 16)
    kept = sorted(folder.iterdir())
    assert len(kept) == 16 and all(path.suffix == ".json" for path in kept)
    assert run_counting(folder) == (one_run, 0)
    kept[0].write_text('[["SELECT 1", "not parameters"]]')
    kept[1].write_text("{damaged")
    assert run_counting(folder) == (one_run, 2)
    assert run_counting(folder) == (one_run, 0)
    # Another plan or other libraries make other translations, kept beside these: the literal
    # plan's start makes the flatten's view as well (10), then one batch lands, the raw table is
    # made anew and the findings MERGE runs.
    Engine(DETECTIONS, accelerate=False, translations=folder).run(files[:1])
    assert len(list(folder.iterdir())) == 16 + 13

    unwritable = tmp_path / "a file, not a folder"
    unwritable.write_text("")
    assert run_counting(unwritable / "translations") == (one_run, 16)


def detect(*argv: str) -> tuple[int, str, str]:
    """The exit status, stdout and stderr (without the seconds the run took)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main([*argv, "--format", "jsonl", "--detections", "cis_root_usage"], out, err)
    except SystemExit as exit_:  # argparse
        code = int(exit_.code or 0)
    return code, out.getvalue(), re.sub(r"\([0-9.]+ s\)", "(seconds)", err.getvalue())


def test_the_batch_size_changes_nothing_reported(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(Path(files[0]).parent)
    default = detect(folder)
    assert default[0] == 1, default[2]
    assert detect(folder, "--batch-files", "1") == default
    for bad in ("0", "-3", "many"):
        assert detect(folder, "--batch-files", bad)[0] == EXIT_USAGE
        message = f"--batch-files: {bad!r} is not a whole number of files, 1 or more"
        assert message in capsys.readouterr().err


def test_out_of_memory_names_both_settings(files: list[str]) -> None:
    code, out, err = detect(str(Path(files[0]).parent), "--memory-limit", "20MB")
    assert code == EXIT_UNFINISHED
    assert out == ""
    assert err.startswith("detect: out of memory (failed to allocate")
    assert err.endswith(
        "raise --memory-limit (now 20MB), or lower --batch-files "
        f"(now {engine_module.LANDING_FILES})\n"
    )
    assert len(err.splitlines()) == 1


def test_the_command_keeps_its_translations_in_the_users_cache(
    files: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert detect(*files)[0] == 1  # one unreadable file
    # One batch: its start (9), the landing, the raw table made anew, the table of the events
    # that meet a condition and the findings MERGE.
    assert len(list((tmp_path / "cache" / "cloudtrail-snowflake" / "translations").iterdir())) == 13
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert detect(*files)[0] == 1
    assert len(list((tmp_path / "home" / ".cache" / "cloudtrail-snowflake").rglob("*.json"))) == 13
