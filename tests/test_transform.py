"""The two scheduled MERGEs (events_merge.sql, findings_merge.sql), run on the embedded engine
over generated log files: each event lands once, each finding is persisted once, across runs,
duplicates and late arrivals."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from detect import generate
from detect.engine import EVENTS, FINDINGS, Engine
from lib import sql
from lib.detections import load_detections

DETECTIONS = load_detections()


def log_file(path: Path, events: list[dict[str, Any]]) -> str:
    with gzip.open(path, "wt") as out:
        json.dump({"Records": events}, out)
    return str(path)


def count(engine: Engine, statement: str) -> int:
    _, rows = engine.query(statement)
    return int(rows[0][0])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], generate.Summary]:
    folder = tmp_path_factory.mktemp("generated")
    summary = generate.write(folder, events=2000, events_per_file=250, seed=5)
    files = sorted(str(p) for p in folder.rglob("*_CloudTrail_*.json.gz"))
    return files, summary


def test_each_event_lands_once(generated: tuple[list[str], generate.Summary]) -> None:
    files, summary = generated
    engine = Engine(DETECTIONS)
    assert engine.load(files) == []
    engine.land()
    # The generator delivers one event twice: loaded twice, landed once.
    assert engine.event_count() == summary.events
    assert count(engine, f"SELECT COUNT(*) FROM {EVENTS}") == summary.events - 1
    assert count(engine, f"SELECT COUNT(DISTINCT eventID) FROM {EVENTS}") == summary.events - 1


def test_the_typed_columns(tmp_path: Path) -> None:
    detection = next(d for d in DETECTIONS if d.id == "cis_unauthorized_api_calls")
    event = next(case.event for case in detection.tests if case.match)
    engine = Engine(DETECTIONS)
    engine.load([log_file(tmp_path / "a.json.gz", [event])])
    engine.land()
    columns, rows = engine.query(f"SELECT * FROM {EVENTS}")
    landed = dict(zip(columns, rows[0], strict=True))
    assert landed["EVENTDATE"].isoformat() == event["eventTime"][:10]
    assert landed["EVENTTIME"].isoformat().replace("+00:00", "Z") == event["eventTime"]
    assert landed["USERIDENTITYTYPE"] == event["userIdentity"]["type"]
    assert landed["USERIDENTITYARN"] == event["userIdentity"]["arn"]
    assert landed["USERIDENTITYACCOUNTID"] == event["userIdentity"]["accountId"]
    assert landed["USERIDENTITYPRINCIPALID"] == event["userIdentity"]["principalId"]
    assert landed["USERIDENTITYINVOKEDBY"] is None
    assert landed["READONLY"] is True
    assert json.loads(landed["REQUESTPARAMETERS"]) == event["requestParameters"]
    assert landed["SOURCEFILE"].endswith("a.json.gz")
    assert set(columns) == {name for name, _ in sql.EVENT_COLUMNS}


def test_rerunning_adds_nothing(generated: tuple[list[str], generate.Summary]) -> None:
    files, _ = generated
    engine = Engine(DETECTIONS)
    engine.load(files)
    engine.land()
    engine.persist_findings()
    events = count(engine, f"SELECT COUNT(*) FROM {EVENTS}")
    findings = engine.persisted_findings()
    assert findings
    engine.land()
    engine.persist_findings()
    assert count(engine, f"SELECT COUNT(*) FROM {EVENTS}") == events
    assert engine.persisted_findings() == findings


def test_findings_persist_what_the_detections_find(
    generated: tuple[list[str], generate.Summary],
) -> None:
    files, summary = generated
    engine = Engine(DETECTIONS)
    engine.load(files)
    live = engine.findings()
    engine.persist_findings()
    assert engine.persisted_findings() == live
    scenario_ids = set().union(*summary.scenario_events.values())
    assert {f["eventID"] for f in live} == scenario_ids
    columns, rows = engine.query(f"SELECT * FROM {FINDINGS}")
    assert set(columns) == {name for name, _ in sql.FINDING_TABLE_COLUMNS}
    for row in rows:
        stored = dict(zip(columns, row, strict=True))
        assert stored["FIRST_SEEN_AT"] is not None
        # fakesnow upper-cases OBJECT_CONSTRUCT's keys inside a MERGE (Snowflake keeps them).
        event = {key.lower(): value for key, value in json.loads(stored["EVENT"]).items()}
        assert event["eventid"] == stored["EVENTID"]
        assert event["eventname"] == stored["EVENTNAME"]
        assert "useridentity" in event


def test_duplicates_and_late_events_across_runs(tmp_path: Path) -> None:
    """Run 1 sees some events; run 2 brings a copy of one of them (a second delivery) and an
    event that happened before everything in run 1 (a late delivery): the copy adds nothing,
    the late event is landed and found."""
    root = next(d for d in DETECTIONS if d.id == "cis_root_usage")
    positives = [case.event for case in root.tests if case.match]
    early, late = dict(positives[0]), dict(positives[1])
    early["eventTime"], late["eventTime"] = "2026-11-27T10:00:00Z", "2026-11-26T23:59:00Z"
    engine = Engine(DETECTIONS)

    engine.load([log_file(tmp_path / "run1.json.gz", [early])])
    engine.land()
    engine.persist_findings()
    first = engine.persisted_findings()
    assert [(f["detection"], f["eventID"]) for f in first] == [("cis_root_usage", early["eventID"])]

    engine.load([log_file(tmp_path / "run2.json.gz", [late, early])])
    engine.land()
    engine.persist_findings()
    second = engine.persisted_findings()
    assert [f["eventID"] for f in second] == [late["eventID"], early["eventID"]]
    assert second[1] == first[0]
    assert count(engine, f"SELECT COUNT(*) FROM {EVENTS}") == 2


def test_summary_counts_per_detection_and_day(tmp_path: Path) -> None:
    root = next(d for d in DETECTIONS if d.id == "cis_root_usage")
    events = [dict(case.event) for case in root.tests if case.match][:2]
    events[0]["eventTime"], events[1]["eventTime"] = "2026-11-27T01:00:00Z", "2026-11-27T05:00:00Z"
    engine = Engine(DETECTIONS)
    engine.load([log_file(tmp_path / "a.json.gz", events)])
    engine.land()
    engine.persist_findings()
    columns, rows = engine.query(sql.findings_summary_statement(FINDINGS))
    summary = [dict(zip(columns, row, strict=True)) for row in rows]
    root_rows = [r for r in summary if r["DETECTION"] == "cis_root_usage"]
    assert len(root_rows) == 1
    assert root_rows[0]["EVENTDATE"].isoformat() == "2026-11-27"
    assert root_rows[0]["FINDINGS"] == 2
    assert root_rows[0]["ACTORS"] == 1
    assert root_rows[0]["FIRSTEVENTTIME"].hour == 1
    assert root_rows[0]["LASTEVENTTIME"].hour == 5
