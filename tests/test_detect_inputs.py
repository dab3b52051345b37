"""`python -m detect` on whatever a CloudTrail bucket, or a copy of it, may hold: each hostile
input is named on stderr with the file, every other finding is still printed, and no traceback.

Tests run as root, whom `chmod 000` does not stop: an unreadable folder is simulated by making
the walker's listing raise PermissionError."""

from __future__ import annotations

import copy
import errno
import functools
import gzip
import io
import json
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
import s3transfer.utils
from botocore.response import StreamingBody
from support import log_file, write_file
from urllib3.exceptions import ProtocolError

from detect import cli, engine, sources
from detect.cli import (
    DEFAULT_MEMORY_LIMIT,
    EXIT_OK,
    EXIT_UNFINISHED,
    EXIT_UNREADABLE,
    EXIT_USAGE,
    main,
)
from lib.detections import load_detections

ROOT = Path(__file__).resolve().parent.parent
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
    """The runner on `argv` with the one detection these tests' events are for: what is read is
    the subject here, and a smaller findings MERGE keeps them fast."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main([*argv, "--format", "jsonl", "--detections", _ROOT_USAGE.id], out, err)
    except SystemExit as exit_:  # argparse
        code = int(exit_.code or 0)
    assert "Traceback" not in err.getvalue()
    return Run(code, out.getvalue(), err.getvalue())


def root(event_id: str, **changes: Any) -> dict[str, Any]:
    """A root-usage event (one finding) with its own eventID."""
    return {**copy.deepcopy(ROOT_EVENT), "eventID": event_id, **changes}


def benign(event_id: str) -> dict[str, Any]:
    return {**copy.deepcopy(BENIGN_EVENT), "eventID": event_id}


# 1. Busy accounts: log files over DuckDB's default 16 MiB object.


def test_a_log_file_over_16_mib_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    padding = "x" * 10 * 2**10
    big = [root(f"big-{i:04d}", requestParameters={"padding": padding}) for i in range(2000)]
    log_file(tmp_path / "busy.json.gz", big)
    log_file(tmp_path / "small.json.gz", [root("small")])

    # DuckDB takes many times the size of such an object to read it: past the memory limit,
    # the file is named with the setting to raise, and the others are read.
    run = detect(str(tmp_path), "--memory-limit", "512MB")
    assert run.code == EXIT_UNREADABLE
    assert (
        f"cannot read {tmp_path / 'busy.json.gz'}: holds a JSON object larger than 16 MiB, "
        "which takes more memory to read than --memory-limit allows (DuckDB reserves 128 MiB "
        "for an object of up to 64 MiB); raise it, or split it into one event per line"
    ) in run.err
    assert run.found() == ["small"]

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert sorted(run.found()) == sorted([*(e["eventID"] for e in big), "small"])
    assert run.tally() == "2001 events from 2 files"

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
    write_file(
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
    write_file(tmp_path / "surrogate.json", text.replace("@", "\\ud800").encode())
    log_file(tmp_path / "good.json.gz", [root("good")])
    repaired, copies = [], []
    repair = engine._repair_text

    def spy(path: str, gzipped: bool, target: str) -> int:
        repaired.append(path)
        copies.append(Path(target))
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
    # Each mended copy was made in a scratch folder of its own, gone with it.
    assert len({copy.parent for copy in copies}) == 2
    assert all(copy.is_absolute() and not copy.parent.exists() for copy in copies)


def test_a_damaged_gzip_met_while_mending_is_named(tmp_path: Path) -> None:
    text = json.dumps({"Records": [root("damaged", eventName="A\udcff")]})
    data = bytearray(gzip.compress(text.encode(errors="surrogateescape")))
    data[-8] ^= 0xFF  # the CRC, which DuckDB does not check and Python does
    (tmp_path / "damaged.json.gz").write_bytes(data)
    log_file(tmp_path / "good.json.gz", [root("good")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    assert f"cannot read {tmp_path / 'damaged.json.gz'}: damaged gzip data: CRC check" in run.err
    assert "replaced" not in run.err
    assert run.found() == ["good"]


def test_a_mended_file_reports_its_other_problems_too(tmp_path: Path) -> None:
    text = json.dumps({"Records": [root("mended", eventName="A\udcff"), None]})
    write_file(tmp_path / "mended.json", text.encode(errors="surrogateescape"))
    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert run.err.splitlines()[:-1] == [
        f"detect: warning: {tmp_path / 'mended.json'}: 1 null record left out",
        f"detect: warning: {tmp_path / 'mended.json'}: 1 invalid character replaced with U+FFFD",
    ]
    assert run.found() == ["mended"]


def test_a_file_unreadable_while_mending_is_named_with_the_systems_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not "damaged": the file, or the scratch copy, failed to read or write."""
    text = json.dumps({"Records": [root("bad-byte", eventName="A\udcff")]})
    write_file(tmp_path / "bad-byte.json", text.encode(errors="surrogateescape"))
    log_file(tmp_path / "good.json.gz", [root("good")])

    def full_disk(path: str, gzipped: bool, target: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(engine, "_repair_text", full_disk)
    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    assert f"cannot read {tmp_path / 'bad-byte.json'}: no space left on device" in run.err
    assert run.found() == ["good"]


# 3. Digest and Insight files: by CloudTrail's own folder and file names only.


@pytest.mark.parametrize(
    ("key", "events"),
    [
        (
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/27/"
            "111122223333_CloudTrail_us-east-1_20261127T0000Z_a1.json.gz",
            True,
        ),
        (
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/27/"
            "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261127T000000Z.json.gz",
            False,
        ),
        (
            "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Insight/us-east-1/2026/11/27/"
            "111122223333_CloudTrail-Insight_us-east-1_20261127T0000Z_a1.json.gz",
            False,
        ),
        ("copies/111122223333_CloudTrail-Insight_us-east-1_20261127T0000Z_a1.json.gz", False),
        ("CloudTrail-Insights-review/111122223333_CloudTrail_us-east-1_x.json.gz", True),
        ("review/CloudTrail-Digest-notes.json", True),
        ("review/my_CloudTrail-Digest_copy.json", True),
    ],
)
def test_digest_and_insight_files_by_cloudtrails_names(key: str, events: bool) -> None:
    assert sources.is_event_file(key) is events
    assert sources.is_event_file(f"/home/me/{key}") is events


def test_a_folder_named_like_insights_is_read(tmp_path: Path) -> None:
    account = tmp_path / "AWSLogs" / "111122223333"
    log_file(account / "CloudTrail-Insights-review" / "reviewed.json.gz", [root("reviewed")])
    log_file(account / "CloudTrail-Insight" / "us-east-1" / "insight.json.gz", [root("insight")])
    write_file(account / "CloudTrail-Digest" / "us-east-1" / "digest.json.gz", b'{"logFiles": []}')

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert run.found() == ["reviewed"]
    assert "2 digest/insight files skipped" in run.err


def test_s3_keys_are_names_not_paths(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the keys under the prefix, each downloaded under a number into the run's working
    folder, which goes with the run."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    s3.create_bucket(Bucket="trail-logs")
    # Climbs out of any download folder to tmp_path, if taken for a path.
    escape = "logs/" + "../" * 40 + f"{tmp_path.relative_to('/')}/escaped.json.gz"
    keys = {
        escape: "escaped",
        "logs/a[xy]*.json.gz": "glob",
        "logs/ax*.json.gz": "near-glob",
        "logs/CloudTrail-Insights-review/reviewed.json.gz": "reviewed",
        "logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/digest.json.gz": "digest",
        "other-trail/outside.json.gz": "outside",
    }
    for key, event_id in keys.items():
        body = gzip.compress(json.dumps({"Records": [root(event_id)]}).encode())
        s3.put_object(Bucket="trail-logs", Key=key, Body=body)

    run = detect("s3://trail-logs/logs/", "--endpoint-url", s3_endpoint)
    assert run.code == EXIT_OK, run.err
    assert sorted(run.found()) == ["escaped", "glob", "near-glob", "reviewed"]
    assert "1 digest/insight files skipped" in run.err
    assert not (tmp_path / "escaped.json.gz").exists()
    assert list(temporary.iterdir()) == []


@pytest.mark.usefixtures("s3_in_process")
def test_an_s3_prefix_with_no_objects_reads_nothing() -> None:
    boto3.client("s3").create_bucket(Bucket="trail-logs")
    run = detect("s3://trail-logs/AWSLogs/")
    assert run.code == EXIT_OK, run.err
    assert run.tally() == "0 events from 0 files"


# 4. Special files, unreadable folders, links.


def test_special_files_are_named_and_never_opened(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    log_file(logs / "good.json.gz", [root("good")])
    os.mkfifo(logs / "fifo.json.gz")
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(logs / "socket.json"))
    (logs / "dangling.json.gz").symlink_to(logs / "gone.json.gz")
    os.mkfifo(tmp_path / "named.json")
    try:
        # A process of its own: opening the FIFO would block it, not the test run.
        result = subprocess.run(
            [sys.executable, "-m", "detect", str(logs), str(tmp_path / "named.json")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        listening.close()
    assert result.returncode == EXIT_UNREADABLE
    assert f"cannot read {logs / 'fifo.json.gz'}: not a regular file (a FIFO)" in result.stderr
    assert f"cannot read {logs / 'socket.json'}: not a regular file (a socket)" in result.stderr
    assert f"cannot read {logs / 'dangling.json.gz'}: broken symbolic link" in result.stderr
    assert f"cannot read {tmp_path / 'named.json'}: not a regular file (a FIFO)" in result.stderr
    assert "1 events from 1 files, 1 findings" in result.stderr
    assert "4 unreadable" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreadable_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log_file(tmp_path / "readable" / "a.json.gz", [root("readable")])
    log_file(tmp_path / "locked" / "b.json.gz", [root("locked")])
    scandir = os.scandir

    def listing(path: Any) -> Any:
        # As root, chmod 000 would not stop the walk: deny it here instead. (Not only the walker
        # lists: removing a temporary folder does too, by descriptor.)
        if isinstance(path, str) and Path(path).name == "locked":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", listing)

    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    assert f"cannot read {tmp_path / 'locked'}: permission denied" in run.err
    assert run.found() == ["readable"]


def test_links_are_followed_once(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    log_file(logs / "2026" / "a.json.gz", [root("a")])
    (logs / "2026" / "up").symlink_to(logs)  # a loop: back to an ancestor
    (logs / "same-year").symlink_to(logs / "2026")  # a folder reachable twice
    (logs / "2026" / "a-again.json.gz").symlink_to(logs / "2026" / "a.json.gz")
    os.link(logs / "2026" / "a.json.gz", logs / "2026" / "a-hard-link.json.gz")
    log_file(tmp_path / "elsewhere" / "b.json.gz", [root("b")])
    (logs / "elsewhere").symlink_to(tmp_path / "elsewhere")

    run = detect(str(logs), str(logs / "2026" / "a.json.gz"))
    assert run.code == EXIT_OK, run.err
    assert sorted(run.found()) == ["a", "b"]
    assert run.tally() == "2 events from 2 files"


# 5. Names, several objects per file, events without Records, null records, empty files.


def test_suffixes_in_any_case(tmp_path: Path) -> None:
    log_file(tmp_path / "A.JSON.GZ", [root("upper")])
    log_file(tmp_path / "b.Json", [root("mixed")])
    write_file(tmp_path / "notes.txt", b"not a log file")

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert sorted(run.found()) == ["mixed", "upper"]


def test_one_json_object_per_line(tmp_path: Path) -> None:
    logs = [{"Records": [root("l1"), benign("l2")]}, {"Records": [root("l3")]}]
    write_file(tmp_path / "logs.json.gz", "\n".join(json.dumps(o) for o in logs).encode())
    # An export: bare events, with three lines that are neither a log file nor an event.
    lines = [root("e1"), benign("e2"), {"eventName": "NoSource"}, [1, 2], 42, root("e3")]
    write_file(tmp_path / "events.json", "\n".join(json.dumps(o) for o in lines).encode())

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
    log_file(tmp_path / "nulls.json.gz", [None, root("kept"), None, benign("also-kept")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert f"warning: {tmp_path / 'nulls.json.gz'}: 2 null records left out" in run.err
    assert "no Records array" not in run.err
    assert run.found() == ["kept"]
    assert run.tally() == "2 events from 1 files"


def test_odd_events_are_reported_and_still_examined(tmp_path: Path) -> None:
    """Values that cannot be typed, or no eventID at all: the run finishes, every root event is
    still a finding, and the odd ones are counted on stderr."""
    odd = [
        root("garbled-time", eventTime="redacted"),
        root("read-only-2", readOnly=2),
        {key: value for key, value in root("x").items() if key != "eventID"},
        root(""),
    ]
    run = detect(log_file(tmp_path / "odd.json.gz", [*odd, root("sound"), benign("b")]))
    assert run.code == EXIT_OK, run.err
    found = run.found()
    assert len(found) == 5
    assert {"garbled-time", "read-only-2", "sound"} <= set(found)
    assert sum(event_id.startswith("surrogate:") for event_id in found) == 2
    assert (
        "detect: odd events, landed and examined like the others: 1 with an unreadable "
        "eventTime, 1 with an unreadable readOnly, 2 with no eventID\n"
    ) in run.err
    assert run.tally() == "6 events from 1 files"


def test_empty_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "empty.json.gz").write_bytes(gzip.compress(b""))
    (tmp_path / "zero.json.gz").write_bytes(b"")
    log_file(tmp_path / "good.json.gz", [root("good")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    for name in ("empty.json", "empty.json.gz", "zero.json.gz"):
        assert f"cannot read {tmp_path / name}: empty file" in run.err
    assert run.found() == ["good"]
    assert run.tally() == "1 events from 1 files"
    assert "3 unreadable" in run.err


def test_names_duckdb_would_take_as_globs(tmp_path: Path) -> None:
    log_file(tmp_path / "a[xy].json", [root("brackets")])
    log_file(tmp_path / "ax.json", [root("ax")])
    log_file(tmp_path / "star*.json", [root("star")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_OK, run.err
    assert sorted(run.found()) == ["ax", "brackets", "star"]
    assert run.tally() == "3 events from 3 files"


# 6. The process: a closed or full stdout, memory, Ctrl-C, usage.


def python_m_detect(*argv: str, **options: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "detect", *argv],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


@pytest.fixture(scope="module")
def many_findings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Findings beyond a pipe's buffer (64 KiB), and one unreadable file."""
    folder = tmp_path_factory.mktemp("many")
    log_file(folder / "root.json.gz", [root(f"root-{i:04d}") for i in range(1000)])
    (folder / "empty.json").write_bytes(b"")
    return folder


def test_a_closed_stdout_keeps_the_problems_and_the_exit_status(many_findings: Path) -> None:
    with python_m_detect(
        str(many_findings), "--format", "jsonl", stdout=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert json.loads(process.stdout.readline())["eventID"] == "root-0000"
        process.stdout.close()  # as `| head -1` does
        err = process.stderr.read()
    assert process.returncode == EXIT_UNREADABLE
    assert f"cannot read {many_findings / 'empty.json'}: empty file" in err
    assert "1000 findings" in err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_a_full_stdout_is_an_error(many_findings: Path) -> None:
    with open("/dev/full", "w") as full:
        process = python_m_detect(str(many_findings), stdout=full)
        _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_UNFINISHED
    assert err.splitlines()[-1] == "detect: cannot write the findings: no space left on device"
    assert f"cannot read {many_findings / 'empty.json'}: empty file" in err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_out_of_memory_names_the_setting(
    many_findings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DuckDB reserves 32 MiB to read JSON: 20 MB cannot be enough.
    run = detect(str(many_findings), "--memory-limit", "20MB")
    assert run.code == EXIT_UNFINISHED
    assert run.err.startswith("detect: out of memory (failed to allocate")
    assert "raise --memory-limit (now 20MB), or lower --batch-files (now " in run.err
    assert len(run.err.splitlines()) == 1

    def exhausted(*_: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(engine.Engine, "run", exhausted)
    run = detect(str(many_findings))
    assert run.code == EXIT_UNFINISHED
    assert run.err.splitlines() == [
        f"detect: out of memory: lower --memory-limit (now {DEFAULT_MEMORY_LIMIT}) so that "
        "DuckDB writes to disk sooner and leaves memory to the rest, or lower --batch-files "
        f"(now {engine.LANDING_FILES})"
    ]


def test_memory_limit_values(many_findings: Path) -> None:
    run = detect(str(many_findings), "--memory-limit", "100MB")
    assert run.code == EXIT_UNREADABLE, run.err
    assert len(run.found()) == 1000
    assert detect(str(many_findings), "--memory-limit", "lots").code == EXIT_USAGE


def test_ctrl_c_exits_130_quietly() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        host, port = server.getsockname()
        # An S3 endpoint that accepts and never answers: the run waits in the listing.
        process = python_m_detect(
            "s3://trail-logs/",
            "--endpoint-url",
            f"http://{host}:{port}",
            stdout=subprocess.PIPE,
            # As from an interactive shell. A process that ignores SIGINT (a runner's worker, such
            # as `make mutation`'s) passes that on through exec, and Python then keeps ignoring it.
            preexec_fn=functools.partial(signal.signal, signal.SIGINT, signal.SIG_DFL),
            env={
                **os.environ,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
            },
        )
        connection, _ = server.accept()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        connection.close()
    assert process.returncode == 130
    assert (out, err) == ("", "")


def python_m_detect_in_process(
    monkeypatch: pytest.MonkeyPatch, main: Callable[[], int], stdout: Any = None
) -> Any:
    """detect/__main__.py run as `python -m detect` runs it, with `main` for cli.main; its exit
    status."""
    monkeypatch.setattr(cli, "main", main)
    if stdout is not None:
        monkeypatch.setattr(sys, "stdout", stdout)
    with pytest.raises(SystemExit) as ended:
        # Under its module's name rather than "__main__" (it does not look at its name): make
        # mutation tells the mutants of a module apart by the module's name.
        runpy.run_module("detect.__main__", run_name="detect.__main__")
    return ended.value.code


def raising(error: BaseException) -> Callable[[], int]:
    def main() -> int:
        raise error

    return main


@pytest.mark.parametrize(
    ("main", "code"),
    [
        (lambda: EXIT_UNREADABLE, EXIT_UNREADABLE),
        (raising(SystemExit(2)), 2),
        (raising(SystemExit(None)), 0),
        (raising(KeyboardInterrupt()), 130),
        (raising(RuntimeError("Query interrupted")), 130),
    ],
    ids=["status", "usage", "help", "ctrl-c", "ctrl-c-in-a-query"],
)
def test_the_process_exits_with_the_runs_status(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    main: Callable[[], int],
    code: int,
) -> None:
    assert python_m_detect_in_process(monkeypatch, main) == code
    assert capsys.readouterr().err == ""


def test_another_runtime_error_is_not_taken_for_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match=r"^Query failed$"):
        python_m_detect_in_process(monkeypatch, raising(RuntimeError("Query failed")))


class _FailingStdout(io.StringIO):
    """Standard output whose last flush fails, on a real descriptor (the process redirects it)."""

    def __init__(self, error: OSError, descriptor: int) -> None:
        super().__init__()
        self.error, self.descriptor = error, descriptor

    def flush(self) -> None:
        raise self.error

    def fileno(self) -> int:
        return self.descriptor


@pytest.mark.parametrize(
    ("status", "error", "message", "code"),
    [
        (
            EXIT_OK,
            OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
            "detect: cannot write to standard output: no space left on device\n",
            EXIT_UNFINISHED,
        ),
        (EXIT_UNREADABLE, BrokenPipeError(errno.EPIPE, "Broken pipe"), "", EXIT_UNREADABLE),
        # Reported already by the run, which met the failure first.
        (EXIT_UNFINISHED, OSError(errno.ENOSPC, "No space left on device"), "", EXIT_UNFINISHED),
    ],
    ids=["full", "closed-by-the-reader", "reported-already"],
)
def test_a_last_flush_that_fails(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    status: int,
    error: OSError,
    message: str,
    code: int,
) -> None:
    with open(tmp_path / "stdout", "w") as file:
        stdout = _FailingStdout(error, file.fileno())
        assert python_m_detect_in_process(monkeypatch, lambda: status, stdout) == code
        # What Python flushes at exit goes nowhere: the failure is not reported twice.
        os.write(file.fileno(), b"at exit")
    assert capsys.readouterr().err == message
    assert (tmp_path / "stdout").read_text() == ""


# 7. More files than a batch holds, unreadable ones at the batch boundary and at the end.


def test_batches_load_every_file_once(tmp_path: Path) -> None:
    count = 2 * engine.BATCH_FILES + 1
    bad = {engine.BATCH_FILES, count - 1}  # the first of the second batch, and the last
    for number in range(count):
        path = tmp_path / f"{number:04d}.json.gz"
        if number in bad:
            write_file(path, b"<html>502 Bad Gateway</html>")
        else:
            log_file(path, [root(f"event-{number:04d}")])

    run = detect(str(tmp_path))
    assert run.code == EXIT_UNREADABLE
    assert run.found() == [f"event-{n:04d}" for n in range(count) if n not in bad]
    assert run.tally() == f"{count - 2} events from {count - 2} files"
    for number in bad:
        assert run.err.count(f"cannot read {tmp_path / f'{number:04d}.json.gz'}: ") == 1
    assert len(run.err.splitlines()) == 3


def test_files_gone_before_their_batch_is_loaded_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files removed after the walk (a sync, a cleanup) fail their load statement: each is named
    with the system's reason, and every other file of that statement is still loaded."""
    # Three files per load statement and six per landing batch: engine.load reads the constant
    # at each call, so the boundaries are met without writing hundreds of files.
    monkeypatch.setattr(engine, "BATCH_FILES", 3)
    count = 13
    # The first and last file of the first statement, the first of the second landing batch,
    # and the last file, alone in its batch.
    gone = {0, 2, 6, 12}
    paths = [
        log_file(tmp_path / f"{n:02d}.json.gz", [root(f"event-{n:02d}")]) for n in range(count)
    ]
    walked = sources.collect

    def collect_then_remove(*args: Any) -> sources.Inputs:
        inputs = walked(*args)
        for number in gone:
            os.unlink(paths[number])
        return inputs

    monkeypatch.setattr(cli, "collect", collect_then_remove)

    run = detect(str(tmp_path), "--batch-files", "6")
    assert run.code == EXIT_UNREADABLE
    assert run.found() == [f"event-{n:02d}" for n in range(count) if n not in gone]
    assert run.err.splitlines()[:-1] == [
        f"detect: cannot read {paths[n]}: no such file or directory" for n in sorted(gone)
    ]
    assert run.tally() == f"{count - len(gone)} events from {count - len(gone)} files"
    assert f"{len(gone)} unreadable" in run.err


# 8. S3: more keys than one listing page, objects that cannot be downloaded.


@pytest.mark.usefixtures("s3_in_process")
def test_an_s3_prefix_of_more_than_1000_keys_is_listed_whole() -> None:
    """ListObjectsV2 returns 1,000 keys at most: the rest come only to a listing that pages.
    Digest and Insight keys sort before the log files (`CloudTrail-` before `CloudTrail/`), so
    the first page holds the skipped ones and one log file, the second page the others."""
    account = "AWSLogs/111122223333"
    day = "us-east-1/2026/11/27"
    digests = [
        f"{account}/CloudTrail-Digest/{day}/111122223333_CloudTrail-Digest_us-east-1_trail_"
        f"us-east-1_20261127T{n // 60:02d}{n % 60:02d}00Z.json.gz"
        for n in range(600)
    ]
    insights = [
        f"{account}/CloudTrail-Insight/{day}/111122223333_CloudTrail-Insight_us-east-1_"
        f"20261127T{n // 60:02d}{n % 60:02d}Z_{n:04x}.json.gz"
        for n in range(399)
    ]
    logs = {
        f"{account}/CloudTrail/{day}/111122223333_CloudTrail_us-east-1_20261127T{n:02d}00Z_a"
        ".json.gz": f"event-{n}"
        for n in range(4)
    }
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="trail-logs")
    for key in [*digests, *insights]:
        s3.put_object(Bucket="trail-logs", Key=key, Body=gzip.compress(b'{"logFiles": []}'))
    for key, event_id in logs.items():
        body = gzip.compress(json.dumps({"Records": [root(event_id)]}).encode())
        s3.put_object(Bucket="trail-logs", Key=key, Body=body)
    first_page = s3.list_objects_v2(Bucket="trail-logs", Prefix="AWSLogs/")
    assert first_page["IsTruncated"] and first_page["KeyCount"] == 1000
    assert first_page["Contents"][-1]["Key"] == min(logs)

    run = detect("s3://trail-logs/AWSLogs/")
    assert run.code == EXIT_OK, run.err
    assert run.found() == sorted(logs.values())
    assert run.tally() == "4 events from 4 files"
    assert "999 digest/insight files skipped" in run.err


def three_objects(endpoint: str) -> Any:
    """A bucket holding logs/a.json.gz, b and c, one root event each: its client."""
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="trail-logs")
    for name in ("a", "b", "c"):
        body = gzip.compress(json.dumps({"Records": [root(name)]}).encode())
        s3.put_object(Bucket="trail-logs", Key=f"logs/{name}.json.gz", Body=body)
    return s3


def only_b_unreadable(run: Run, reason: str) -> None:
    """`run` over three_objects named b alone, as not downloaded for `reason`, and read a, c."""
    assert run.code == EXIT_UNREADABLE
    assert run.found() == ["a", "c"]
    assert run.err.splitlines()[:-1] == [
        f"detect: cannot read s3://trail-logs/logs/b.json.gz: cannot download: {reason}"
    ]
    assert run.tally() == "2 events from 2 files"
    assert "1 unreadable" in run.err


def test_an_s3_object_gone_before_its_download_is_named(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object listed, then gone before its download (a lifecycle rule, another process): it
    is named with S3's answer, every other object is read, and the run exits 1."""
    s3 = three_objects(s3_endpoint)
    listed = sources._list_keys

    def list_then_expire(*args: Any) -> Any:
        yield from listed(*args)
        s3.delete_object(Bucket="trail-logs", Key="logs/b.json.gz")

    monkeypatch.setattr(sources, "_list_keys", list_then_expire)

    run = detect("s3://trail-logs/logs/", "--endpoint-url", s3_endpoint)
    only_b_unreadable(
        run, "An error occurred (404) when calling the HeadObject operation: Not Found"
    )


def test_an_s3_object_that_cannot_be_written_locally_is_named(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local copy of an object cannot be written (a full disk): the object is named with
    the system's reason, the others are read, and the run exits 1, without a traceback."""
    three_objects(s3_endpoint)
    opened = s3transfer.utils.OSUtils.open

    def full_for_the_second(self: Any, filename: str, mode: str) -> Any:
        # The runner numbers the local copies in the order of the keys: 1 is b.json.gz.
        if Path(filename).name.startswith("1."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return opened(self, filename, mode)

    monkeypatch.setattr(s3transfer.utils.OSUtils, "open", full_for_the_second)
    run = detect("s3://trail-logs/logs/", "--endpoint-url", s3_endpoint)
    only_b_unreadable(run, "no space left on device")


def hook_runners_clients(
    monkeypatch: pytest.MonkeyPatch, event: str, handler: Callable[..., None]
) -> None:
    """`handler` on botocore's `event` in every client the runner makes from now on."""
    make_client = boto3.client

    def client(*args: Any, **kwargs: Any) -> Any:
        made = make_client(*args, **kwargs)
        made.meta.events.register(event, handler)
        return made

    monkeypatch.setattr(boto3, "client", client)


class _ConnectionReset(io.RawIOBase):
    def readinto(self, buffer: Any) -> int:
        raise ProtocolError("Connection broken: ConnectionResetError(104, 'reset by peer')")


def test_an_s3_object_whose_download_breaks_off_is_named(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection reset in the middle of an object's body, at every attempt: s3transfer
    gives up with boto3's own error, not botocore's, and that object alone is named."""
    three_objects(s3_endpoint)

    def break_off(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if http_response.url.endswith("/logs/b.json.gz"):
            parsed["Body"].close()  # its socket, which the garbage collector would warn about
            parsed["Body"] = StreamingBody(_ConnectionReset(), parsed["ContentLength"])

    hook_runners_clients(monkeypatch, "after-call.s3.GetObject", break_off)

    run = detect("s3://trail-logs/logs/", "--endpoint-url", s3_endpoint)
    only_b_unreadable(
        run,
        "An error occurred while reading from response stream: Connection broken: "
        "ConnectionResetError(104, 'reset by peer')",
    )


# Over s3transfer's multipart threshold (8 MiB): downloaded in ranges, each checked against the
# first answer's ETag and against the range asked for.
_RANGED = "logs/busy.json.gz"


def _overwrite_after_head(s3: Any) -> tuple[str, Callable[..., None]]:
    def overwrite(http_response: Any, **_: Any) -> None:
        if http_response.url.endswith(f"/{_RANGED}"):
            s3.put_object(Bucket="trail-logs", Key=_RANGED, Body=b"a newer version")

    return "after-call.s3.HeadObject", overwrite


def _answer_another_range(s3: Any) -> tuple[str, Callable[..., None]]:
    def shift(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if http_response.url.endswith(f"/{_RANGED}"):
            start, _, rest = parsed["ContentRange"].removeprefix("bytes ").partition("-")
            parsed["ContentRange"] = f"bytes {int(start) + 1}-{rest}"
            # s3transfer rejects the range before it reads the body, and leaves it open: its
            # socket would be collected later, with a ResourceWarning (an error in these tests).
            parsed["Body"].close()

    return "after-call.s3.GetObject", shift


@pytest.mark.parametrize(
    ("fault", "reason_pattern"),
    [
        (
            _overwrite_after_head,
            re.escape(
                f'Contents of stored object "{_RANGED}" in bucket "trail-logs" did not match '
                "expected ETag."
            ),
        ),
        # Whichever of the ranges, fetched at once, is rejected first.
        (_answer_another_range, r"Response range start `\d+` does not match requested start `\d+`"),
    ],
    ids=["overwritten-during-download", "store-answers-another-range"],
)
def test_a_ranged_s3_download_that_goes_wrong_is_named(
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[Any], tuple[str, Callable[..., None]]],
    reason_pattern: str,
) -> None:
    """s3transfer's own errors, neither botocore's nor boto3's: the object is named with what
    went wrong, the others are read."""
    s3 = three_objects(s3_endpoint)
    s3.put_object(Bucket="trail-logs", Key=_RANGED, Body=os.urandom(9 * 2**20))
    hook_runners_clients(monkeypatch, *fault(s3))

    run = detect("s3://trail-logs/logs/", "--endpoint-url", s3_endpoint)
    assert run.code == EXIT_UNREADABLE
    assert run.found() == ["a", "b", "c"]
    problem, _ = run.err.splitlines()
    named = f"detect: cannot read s3://trail-logs/{re.escape(_RANGED)}: cannot download: "
    assert re.fullmatch(named + reason_pattern, problem), problem
    assert run.tally() == "3 events from 3 files"
    assert "1 unreadable" in run.err


# 10. The pieces that name a problem, each on its own.


@pytest.mark.parametrize("gzipped", [False, True])
def test_each_invalid_character_is_counted_once(tmp_path: Path, gzipped: bool) -> None:
    # Two bytes that are not UTF-8 and a U+FFFD the file already held (not counted), then two
    # lone surrogates and a pair (kept) on the next line.
    first = '{"Records": [{"a": "@@", "b": "\ufffd"},\n'.encode().replace(b"@@", b"\xff\xfe")
    second = b'{"c": "\\ud800 \\udc00 \\ud83d\\ude00"}]}\n'
    source = tmp_path / ("log.json.gz" if gzipped else "log.json")
    write_file(source, first + second)
    target = tmp_path / "repaired.json"
    assert engine._repair_text(str(source), gzipped, str(target)) == 4
    assert target.read_bytes() == (
        '{"Records": [{"a": "\ufffd\ufffd", "b": "\ufffd"},\n'.encode()
        + b'{"c": "\\ufffd \\ufffd \\ud83d\\ude00"}]}\n'
    )


def test_a_reason_without_the_systems_words_is_the_errors_text() -> None:
    assert engine.os_reason(OSError(errno.ENOSPC, "No space left on device")) == (
        "no space left on device"
    )
    assert engine.os_reason(OSError("Quota exceeded for the volume")) == (
        "quota exceeded for the volume"
    )


def test_a_special_file_is_named_by_its_kind(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(tmp_path / "socket"))
        kinds = [sources._not_regular(os.stat(tmp_path / name)) for name in ("fifo", "socket")]
    assert kinds == ["not a regular file (a FIFO)", "not a regular file (a socket)"]
    assert sources._not_regular(os.stat(os.devnull)) == "not a regular file (a device)"


def test_a_list_that_cannot_be_written_is_an_error() -> None:
    out, err = _Unwritable(), io.StringIO()
    assert cli.main(["list"], out, err) == EXIT_UNFINISHED
    assert err.getvalue() == "detect: cannot write the list: no space left on device\n"


class _Unwritable(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_folders_entries_that_cannot_be_read_are_named_and_the_rest_taken(
    tmp_path: Path,
) -> None:
    # In process (the FIFO test runs in its own): a dangling link, a link loop (not a missing
    # file), a file that is no log and a folder that cannot be listed; the entries sorted after
    # them are still read.
    (tmp_path / "a-dangling.json.gz").symlink_to(tmp_path / "gone.json.gz")
    (tmp_path / "b-loop.json").symlink_to(tmp_path / "b-loop.json")
    (tmp_path / "bz-notes.txt").write_text("not a log file")
    log_file(tmp_path / "c-good.json.gz", [root("good")])
    locked = tmp_path / "d-locked"
    locked.mkdir()
    log_file(tmp_path / "e-after" / "f.json.gz", [root("after")])
    locked.chmod(0)
    try:
        inputs = sources.collect([str(tmp_path)], tmp_path)
    finally:
        locked.chmod(0o755)
    assert sorted(inputs.files) == [
        str(tmp_path / "c-good.json.gz"),
        str(tmp_path / "e-after" / "f.json.gz"),
    ]
    reasons = {problem.path: problem.reason for problem in inputs.errors}
    assert reasons[str(tmp_path / "a-dangling.json.gz")] == "broken symbolic link"
    assert reasons[str(tmp_path / "b-loop.json")] == "too many levels of symbolic links"
    if os.geteuid() != 0:  # root lists any folder
        assert reasons[str(locked)] == "permission denied"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            'Invalid Input Error: Malformed JSON in file "/tmp/logs/a.json.gz", at byte 1 in '
            "record/value 2: unexpected character. ",  # DuckDB's own trailing space
            "Malformed JSON, at byte 1 in record/value 2: unexpected character.",
        ),
        (
            "IO Error: No files found that match the pattern: /tmp/logs/a.json.gz",
            "No files found that match the pattern",
        ),
        (
            "Conversion Error: Could not convert string 'x' to INT32",
            "Could not convert string 'x' to INT32",
        ),
    ],
)
def test_duckdbs_reason_without_its_class_and_the_file_name(message: str, reason: str) -> None:
    assert engine._reason(duckdb.Error(message + "\nLINE 1: ...")) == reason
