"""`python -m detect` end to end: generated logs in the real layout, local folders, s3:// on a
loopback S3, bad files, output formats, exit codes."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from detect import generate
from detect.cli import EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE, Progress, main
from lib.detections import load_detections

DETECTION_IDS = {d.id for d in load_detections()}


class Captured:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def jsonl(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines()]


def detect(*argv: str) -> Captured:
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(list(argv), out, err)
    except SystemExit as exit_:  # argparse
        code = int(exit_.code or 0)
    return Captured(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, generate.Summary]:
    folder = tmp_path_factory.mktemp("generated")
    return folder, generate.write(folder, events=3000, events_per_file=500, seed=11)


@pytest.fixture(scope="module")
def run_on_logs(logs: tuple[Path, generate.Summary]) -> Captured:
    return detect(str(logs[0]), "--format", "jsonl")


def test_generated_layout_is_cloudtrails(logs: tuple[Path, generate.Summary]) -> None:
    folder, summary = logs
    log_files = sorted(folder.rglob("*_CloudTrail_*.json.gz"))
    assert len(log_files) == summary.files
    for path in log_files:
        relative = path.relative_to(folder).as_posix()
        account = relative.split("/")[1]
        assert relative.startswith(f"AWSLogs/{account}/CloudTrail/")
        assert path.name.startswith(f"{account}_CloudTrail_")
    assert len(list(folder.rglob("CloudTrail-Digest/**/*.json.gz"))) == summary.digest_files > 0


def test_every_detection_fires_on_the_generated_scenarios(
    run_on_logs: Captured, logs: tuple[Path, generate.Summary]
) -> None:
    _, summary = logs
    assert run_on_logs.code == EXIT_OK, run_on_logs.err
    findings = run_on_logs.jsonl()
    assert {f["detection"] for f in findings} == DETECTION_IDS
    # A scenario may fire other detections too (a failed root login is also root usage).
    assert summary.missed({(f["detection"], f["eventID"]) for f in findings}) == []
    # The background is benign: every finding is a scenario event.
    assert {f["eventID"] for f in findings} <= summary.scenario_events


def test_duplicates_and_digests(run_on_logs: Captured, logs: tuple[Path, generate.Summary]) -> None:
    _, summary = logs
    findings = run_on_logs.jsonl()
    pairs = [(f["detection"], f["eventID"]) for f in findings]
    assert len(pairs) == len(set(pairs)), "an event delivered twice must be reported once"
    assert f"{summary.events} events" in run_on_logs.err
    # Threshold detections fire on several events of one run: all but the first are duplicates.
    alerted = sum(f["alerted"] for f in findings)
    assert 0 < alerted < len(findings)
    outcomes = f"{alerted} alerted, 0 suppressed, {len(findings) - alerted} duplicates"
    assert f" {len(findings)} findings ({outcomes})," in run_on_logs.err
    assert f"{summary.digest_files} digest/insight files skipped" in run_on_logs.err


# The keys of a record, in order: programs read them, so new ones only ever go at the end.
RECORD_KEYS = [
    "detection",
    "title",
    "severity",
    "cis",
    "eventID",
    "eventTime",
    "eventName",
    "eventSource",
    "userIdentityType",
    "userIdentityArn",
    "sourceIPAddress",
    "awsRegion",
    "recipientAccountId",
    "errorCode",
    "eventHash",
    "dedup_key",
    "duplicate_of",
    "suppressed_by",
    "alerted",
]


def test_jsonl_carries_the_detection_the_event_and_the_outcome(run_on_logs: Captured) -> None:
    for finding in run_on_logs.jsonl():
        assert list(finding) == RECORD_KEYS
        assert finding["detection"] in DETECTION_IDS
        assert finding["eventID"] and finding["eventTime"].endswith("Z")
        assert finding["suppressed_by"] is None
        assert finding["alerted"] is (finding["duplicate_of"] is None)


def test_csv_and_table_formats(logs: tuple[Path, generate.Summary]) -> None:
    folder, _ = logs
    bulk = "threat_secretsmanager_bulk_retrieval"
    as_csv = detect(str(folder), "--format", "csv", "--detections", f"cis_root_usage,{bulk}")
    reader = csv.DictReader(io.StringIO(as_csv.out))
    rows = list(reader)
    assert reader.fieldnames == RECORD_KEYS
    assert rows and {r["detection"] for r in rows} == {"cis_root_usage", bulk}
    for row in rows:
        assert row["suppressed_by"] == ""
        assert row["alerted"] == ("true" if row["duplicate_of"] == "" else "false")
    assert {r["alerted"] for r in rows if r["detection"] == bulk} == {"true", "false"}
    table = detect(str(folder), "--detections", "cis_root_usage,cis_vpc_changes")
    header, *lines = table.out.splitlines()
    assert header.split()[:3] == ["TIME", "DETECTION", "SEVERITY"]
    assert header.split()[-1] == "STATUS"
    assert lines
    assert all(("cis_root_usage" in line) or ("cis_vpc_changes" in line) for line in lines)
    assert all(line.endswith("  alert") for line in lines)
    summary = detect(str(folder), "--summary")
    header, *lines = summary.out.splitlines()
    assert header.split()[3:7] == ["FINDINGS", "ALERTED", "SUPPRESSED", "DUPLICATES"]
    assert len(lines) == len(DETECTION_IDS)


def test_unreadable_files_are_named_and_the_rest_is_reported(
    tmp_path: Path, logs: tuple[Path, generate.Summary]
) -> None:
    folder, _ = logs
    bad = tmp_path / "bad"
    bad.mkdir()
    good = next(folder.rglob("*_CloudTrail_*.json.gz")).read_bytes()
    (bad / "truncated.json.gz").write_bytes(good[: len(good) // 2])
    (bad / "not-json.json.gz").write_bytes(gzip.compress(b"<html>502 Bad Gateway</html>"))
    (bad / "no-records.json").write_text(json.dumps({"eventVersion": "1.09"}))
    result = detect(str(folder), str(bad), str(tmp_path / "missing"), "--format", "jsonl")
    assert result.code == EXIT_UNREADABLE
    assert f"cannot read {bad / 'truncated.json.gz'}: " in result.err
    assert "GZIP" in result.err
    assert f"cannot read {bad / 'not-json.json.gz'}: Malformed JSON" in result.err
    assert f"cannot read {bad / 'no-records.json'}: no Records array" in result.err
    assert f"cannot read {tmp_path / 'missing'}: no such file or directory" in result.err
    assert {f["detection"] for f in result.jsonl()} == DETECTION_IDS


def test_usage_errors() -> None:
    assert detect("some/path", "--detections", "cis_nope").code == EXIT_USAGE
    assert detect("some/path", "--format", "xml").code == EXIT_USAGE
    assert detect().code == EXIT_USAGE


def test_list_names_every_detection() -> None:
    listed = detect("list").out
    assert all(detection_id in listed for detection_id in DETECTION_IDS)


def test_organization_layout(tmp_path: Path) -> None:
    summary = generate.write(tmp_path, events=200, seed=3, organization_id="o-a1b2c3d4e5")
    assert all(
        p.relative_to(tmp_path).as_posix().startswith("AWSLogs/o-a1b2c3d4e5/")
        for p in tmp_path.rglob("*.json.gz")
    )
    found = detect(str(tmp_path), "--format", "jsonl").jsonl()
    assert summary.missed({(f["detection"], f["eventID"]) for f in found}) == []
    assert {f["eventID"] for f in found} <= summary.scenario_events


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(4, stream)
        progress.advance(2)
        progress.advance(2)
        progress.finish("4 files read")
    assert "\r[###############...............] 2/4 files" in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_s3_prefix(s3_endpoint: str, logs: tuple[Path, generate.Summary]) -> None:
    folder, summary = logs
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    s3.create_bucket(Bucket="trail-logs")
    for path in folder.rglob("*.json.gz"):
        s3.upload_file(str(path), "trail-logs", f"cloudtrail/{path.relative_to(folder).as_posix()}")
    s3.put_object(Bucket="trail-logs", Key="cloudtrail/AWSLogs/broken.json.gz", Body=b"\x1f\x8b")

    result = detect(
        "s3://trail-logs/cloudtrail/", "--endpoint-url", s3_endpoint, "--format", "jsonl"
    )
    assert result.code == EXIT_UNREADABLE
    assert "cannot read s3://trail-logs/cloudtrail/AWSLogs/broken.json.gz: " in result.err
    found = {(f["detection"], f["eventID"]) for f in result.jsonl()}
    assert summary.missed(found) == []
    assert {event_id for _, event_id in found} <= summary.scenario_events
    assert f"{summary.digest_files} digest/insight files skipped" in result.err

    missing = detect("s3://no-such-bucket/", "--endpoint-url", s3_endpoint)
    assert missing.code == EXIT_UNREADABLE
    assert "cannot read s3://no-such-bucket/: cannot list" in missing.err


def test_generate_takes_its_options_and_says_what_it_wrote(tmp_path: Path) -> None:
    err = io.StringIO()
    options = ["--events", "300", "--events-per-file", "100", "--seed", "5"]
    argv = ["generate", str(tmp_path / "cli"), *options, "--organization-id", "o-a1b2c3d4e5"]
    assert main(argv, io.StringIO(), err) == EXIT_OK
    expected = generate.write(
        tmp_path / "direct", events=300, events_per_file=100, seed=5, organization_id="o-a1b2c3d4e5"
    )
    assert err.getvalue() == (
        f"detect: wrote {expected.events} events in {expected.files} log files and "
        f"{expected.digest_files} digest files under {tmp_path / 'cli'}\n"
    )

    def written(folder: Path) -> dict[Path, bytes]:
        # gzip headers carry the time of writing.
        files = (p for p in folder.rglob("*") if p.is_file())
        return {p.relative_to(folder): gzip.decompress(p.read_bytes()) for p in files}

    assert written(tmp_path / "cli") == written(tmp_path / "direct")
