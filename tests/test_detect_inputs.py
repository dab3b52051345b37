"""`python -m detect` on whatever a CloudTrail bucket, or a copy of it, may hold: each hostile
input is named on stderr with the file, every other finding is still printed, and no traceback."""

from __future__ import annotations

import copy
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from detect import engine
from detect.cli import EXIT_OK, EXIT_UNREADABLE, main
from lib.detections import load_detections

_ROOT_USAGE = next(d for d in load_detections() if d.id == "cis_root_usage")
# A positive case (the root user calling an API) and a negative one (an IAM user doing so).
ROOT_EVENT = next(case.event for case in _ROOT_USAGE.tests if case.match)
BENIGN_EVENT = next(case.event for case in _ROOT_USAGE.tests if not case.match)


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def found(self) -> list[str]:
        """The eventIDs of the findings (--format jsonl), in order, repeats kept."""
        return [json.loads(line)["eventID"] for line in self.out.splitlines()]

    def tally(self) -> str:
        """The last stderr line's counts: `N events from M files`."""
        last = self.err.splitlines()[-1]
        return last.removeprefix("detect: ").split(",")[0]


def detect(*argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main([*argv, "--format", "jsonl"], out, err)
    except SystemExit as exit_:  # argparse
        code = int(exit_.code or 0)
    assert "Traceback" not in err.getvalue()
    return Run(code, out.getvalue(), err.getvalue())


def root(event_id: str, **changes: Any) -> dict[str, Any]:
    """A root-usage event (one finding) with its own eventID."""
    return {**copy.deepcopy(ROOT_EVENT), "eventID": event_id, **changes}


def benign(event_id: str) -> dict[str, Any]:
    return {**copy.deepcopy(BENIGN_EVENT), "eventID": event_id}


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=1) if ".gz" in path.name.lower() else data)
    return path


def log(path: Path, records: list[Any]) -> Path:
    """A log file as CloudTrail writes it: {"Records": [...]}, gzip'd when the name says so."""
    return write(path, json.dumps({"Records": records}).encode())


# 1. Busy accounts: log files over DuckDB's default 16 MiB object.


def test_a_log_file_over_16_mib_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    padding = "x" * 2**20
    big = [root(f"big-{i}", requestParameters={"padding": padding}) for i in range(20)]
    log(tmp_path / "busy.json.gz", big)
    log(tmp_path / "small.json.gz", [root("small")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert sorted(run.found()) == sorted([*(e["eventID"] for e in big), "small"])
    assert run.tally() == "21 events from 2 files"

    # Beyond the most it reads, the file is named with the limit and what to do.
    monkeypatch.setattr(engine, "MAX_OBJECT_BYTES", engine.BATCH_OBJECT_BYTES)
    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    assert (
        f"cannot read {tmp_path / 'busy.json.gz'}: holds a JSON object larger than 16 MiB"
        in run.err
    )
    assert "jq -c '.Records[]'" in run.err
    assert run.found() == ["small"]


# 2. Text that is not valid UTF-8 or holds unpaired surrogates: replaced, the file kept.


def test_invalid_characters_are_replaced_and_the_file_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = ROOT_EVENT["userIdentity"]["arn"]
    raw = json.dumps({"Records": [root("bad-byte", userIdentity={"type": "Root", "arn": "@"})]})
    write(
        tmp_path / "bad-byte.json.gz",
        raw.replace("@", arn + "\udcff").encode(errors="surrogateescape"),
    )
    # One unpaired surrogate; an escaped backslash before `ud800` is no escape and stays.
    text = json.dumps(
        {
            "Records": [
                root("lone", userIdentity={"type": "Root", "arn": arn + "@"}),
                root("pair", userIdentity={"type": "Root", "arn": arn + "\U0001f600"}),
                root("not-an-escape", userIdentity={"type": "Root", "arn": arn + "\\ud800"}),
            ]
        }
    )
    assert "\\\\ud800" in text and "\\ud83d\\ude00" in text
    write(tmp_path / "surrogate.json", text.replace("@", "\\ud800").encode())
    log(tmp_path / "good.json.gz", [root("good")])
    repaired = []
    repair = engine._repair_text

    def spy(path: str, gzipped: bool, target: str) -> int:
        repaired.append(path)
        return repair(path, gzipped, target)

    monkeypatch.setattr(engine, "_repair_text", spy)

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert (
        f"warning: {tmp_path / 'bad-byte.json.gz'}: 1 invalid character replaced with U+FFFD"
        in run.err
    )
    assert f"warning: {tmp_path / 'surrogate.json'}: 1 invalid character replaced" in run.err
    assert run.tally() == "5 events from 3 files"
    arns = {f["eventID"]: f["userIdentityArn"] for f in map(json.loads, run.out.splitlines())}
    assert arns == {
        "bad-byte": arn + "\ufffd",
        "lone": arn + "\ufffd",
        "pair": arn + "\U0001f600",
        "not-an-escape": arn + "\\ud800",
        "good": arn,
    }
    # Only what DuckDB rejects takes the slow path.
    assert sorted(repaired) == [
        str(tmp_path / "bad-byte.json.gz"),
        str(tmp_path / "surrogate.json"),
    ]


# 5. Names, several objects per file, events without Records, null records, empty files.


def test_suffixes_in_any_case(tmp_path: Path) -> None:
    log(tmp_path / "A.JSON.GZ", [root("upper")])
    log(tmp_path / "b.Json", [root("mixed")])
    write(tmp_path / "notes.txt", b"not a log file")

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert sorted(run.found()) == ["mixed", "upper"]


def test_one_json_object_per_line(tmp_path: Path) -> None:
    logs = [{"Records": [root("l1"), benign("l2")]}, {"Records": [root("l3")]}]
    write(tmp_path / "logs.json.gz", "\n".join(json.dumps(o) for o in logs).encode())
    # An export: bare events, with three lines that are neither a log file nor an event.
    lines = [root("e1"), benign("e2"), {"eventName": "NoSource"}, [1, 2], 42, root("e3")]
    write(tmp_path / "events.json", "\n".join(json.dumps(o) for o in lines).encode())

    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    assert (
        f"cannot read part of {tmp_path / 'events.json'}: 3 of its 6 JSON objects are neither "
        "a log file nor an event" in run.err
    )
    assert sorted(run.found()) == ["e1", "e3", "l1", "l3"]
    assert run.tally() == "6 events from 2 files"
    assert "0 unreadable" in run.err


def test_null_records_leave_the_file_and_its_events(tmp_path: Path) -> None:
    log(tmp_path / "nulls.json.gz", [None, root("kept"), None, benign("also-kept")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert f"warning: {tmp_path / 'nulls.json.gz'}: 2 null records left out" in run.err
    assert "no Records array" not in run.err
    assert run.found() == ["kept"]
    assert run.tally() == "2 events from 1 files"


def test_empty_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "empty.json.gz").write_bytes(gzip.compress(b""))
    (tmp_path / "zero.json.gz").write_bytes(b"")
    log(tmp_path / "good.json.gz", [root("good")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    for name in ("empty.json", "empty.json.gz", "zero.json.gz"):
        assert f"cannot read {tmp_path / name}: empty file" in run.err
    assert run.found() == ["good"]
    assert run.tally() == "1 events from 1 files"
    assert "3 unreadable" in run.err


def test_names_duckdb_would_take_as_globs(tmp_path: Path) -> None:
    log(tmp_path / "a[xy].json", [root("brackets")])
    log(tmp_path / "ax.json", [root("ax")])
    log(tmp_path / "star*.json", [root("star")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert sorted(run.found()) == ["ax", "brackets", "star"]
    assert run.tally() == "3 events from 3 files"


# 7. More files than a batch holds, unreadable ones at the batch boundary and at the end.


def test_batches_load_every_file_once(tmp_path: Path) -> None:
    count = 2 * engine.BATCH_FILES + 1
    bad = {engine.BATCH_FILES, count - 1}  # the first of the second batch, and the last
    for number in range(count):
        path = tmp_path / f"{number:04d}.json.gz"
        if number in bad:
            write(path, b"<html>502 Bad Gateway</html>")
        else:
            log(path, [root(f"event-{number:04d}")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    assert run.found() == [f"event-{n:04d}" for n in range(count) if n not in bad]
    assert run.tally() == f"{count - 2} events from {count - 2} files"
    for number in bad:
        assert run.err.count(f"cannot read {tmp_path / f'{number:04d}.json.gz'}: ") == 1
    assert len(run.err.splitlines()) == 3
