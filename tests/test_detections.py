"""The detection pack: every detection's metadata follows the conventions, and every detection
returns exactly its positive test events, and none of its negative ones, through the real view
SQL on the embedded engine (the events are loaded as CloudTrail log files)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import log_file

from detect.engine import EVENTS, NEW_EVENTS, VIEW, Engine, Finding
from lib import detections as pack
from lib.detections import DETECTIONS_DIR, Detection, catalogue, load_pack

PACK = load_pack()
DETECTIONS = PACK.active
# Deprecated detections are not deployed, but their test events still run.
TESTED = PACK.active + PACK.deprecated
# Detections of one event at a time: all their test events run together. A threshold detection
# counts events, so each of its cases runs alone (below).
SINGLE = [d for d in TESTED if d.threshold is None]
CASES = [(d, case) for d in TESTED if d.threshold is not None for case in d.tests]


def by_id(detection: Detection) -> str:
    return detection.id


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Finding]]:
    """All test events of the detections of one event, one log file per detection, run once,
    through the views exactly as fakesnow translates them (the runner's faster plan is compared
    with it below)."""
    folder = tmp_path_factory.mktemp("logs")
    files = [log_file(folder / f"{d.id}.json.gz", [case.event for case in d.tests]) for d in SINGLE]
    engine = Engine(TESTED, accelerate=False)
    assert engine.load(files) == []
    engine.land()
    yield engine.detected()


# --- Conventions ------------------------------------------------------------------------------


def test_each_cis_monitoring_control_has_one_detection() -> None:
    """The pack's minimum: CIS AWS Foundations v1.4-v5.0 4.1 to 4.15, each exactly once."""
    controls = sorted(d.cis_control for d in DETECTIONS if d.cis_control)
    assert controls == sorted(f"4.{n}" for n in range(1, 16))


def test_every_sql_file_has_its_metadata_and_the_reverse() -> None:
    for folder in (DETECTIONS_DIR, DETECTIONS_DIR / "deprecated"):
        assert {p.stem for p in folder.glob("*.sql")} == {p.stem for p in folder.glob("*.yml")}


@pytest.mark.parametrize("detection", TESTED, ids=by_id)
def test_no_value_can_fail_a_detection(detection: Detection) -> None:
    """The findings task runs every detection in one MERGE: one failed conversion would fail it
    on every run until Snowflake suspends the task. Casting to string never fails."""
    # Read without its string literals: an ARN's `::aws:` is no cast.
    statement = re.sub(r"'(?:[^']|'')*'", "''", detection.select(VIEW, EVENTS))
    assert set(re.findall(r"::(\w+)", statement)) <= {"string", "variant"}
    assert not re.search(r"\b(TO_\w+|CAST)\s*\(", statement, re.IGNORECASE)


def test_event_ids_are_unique_across_the_pack() -> None:
    """The behaviour tests below tell the findings of one detection's test events apart by it."""
    ids = [event["eventID"] for d in TESTED for case in d.tests for event in case.events]
    assert len(ids) == len(set(ids))


# --- Behaviour on the embedded engine -----------------------------------------------------------


@pytest.mark.parametrize("detection", SINGLE, ids=by_id)
def test_detection_returns_exactly_its_positive_events(
    detection: Detection, findings: list[Finding]
) -> None:
    own_events = {case.event["eventID"] for case in detection.tests}
    expected = {case.event["eventID"] for case in detection.tests if case.match}
    returned = {
        f["eventID"]
        for f in findings
        if f["detection"] == detection.id and f["eventID"] in own_events
    }
    names = {case.event["eventID"]: case.name for case in detection.tests}
    assert sorted(names[i] for i in returned - expected) == [], "false positives"
    assert sorted(names[i] for i in expected - returned) == [], "missed"


@pytest.mark.parametrize("detection", SINGLE, ids=by_id)
def test_findings_carry_the_event_and_the_actor(
    detection: Detection, findings: list[Finding]
) -> None:
    positives = {case.event["eventID"]: case.event for case in detection.tests if case.match}
    for finding in findings:
        if finding["detection"] != detection.id or finding["eventID"] not in positives:
            continue
        event = positives[finding["eventID"]]
        assert finding["severity"] == detection.severity
        assert finding["eventName"] == event["eventName"]
        assert finding["eventSource"] == event["eventSource"]
        assert finding["userIdentityType"] == event["userIdentity"].get("type")
        assert finding["userIdentityArn"] == event["userIdentity"].get("arn")
        assert finding["sourceIPAddress"] == event["sourceIPAddress"]
        assert finding["awsRegion"] == event["awsRegion"]
        assert finding["recipientAccountId"] == event.get("recipientAccountId")
        assert finding["errorCode"] == event.get("errorCode")
        assert finding["eventTime"].isoformat().replace("+00:00", "Z") == event["eventTime"]


@pytest.mark.parametrize(
    ("detection", "case"),
    CASES,
    ids=[f"{d.id}-{i}" for d in TESTED if d.threshold for i, _ in enumerate(d.tests)],
)
def test_threshold_case_finds_what_it_says(
    detection: Detection, case: pack.TestCase, tmp_path: Path
) -> None:
    """A threshold detection's case, alone: through its view as fakesnow translates it, and
    through the findings MERGE (the task's path, reading history from the events table), each
    finds at least one of the events exactly when the case says so, and the same ones."""
    engine = Engine([detection], accelerate=False)
    assert engine.load([log_file(tmp_path / "case.json.gz", case.events)]) == []
    persisted = engine.findings()
    detected = engine.detected()
    assert bool(detected) == case.match, case.name
    assert [f["eventID"] for f in persisted] == [f["eventID"] for f in detected]
    own = {event["eventID"] for event in case.events}
    assert {f["eventID"] for f in detected} <= own


def test_an_event_delivered_twice_is_reported_once(tmp_path: Path) -> None:
    detection = next(d for d in DETECTIONS if d.id == "cis_unauthorized_api_calls")
    event = next(case.event for case in detection.tests if case.match)
    first = log_file(tmp_path / "a.json.gz", [event])
    again = log_file(tmp_path / "b.json.gz", [event, event])
    engine = Engine([detection])
    assert engine.load([first, again]) == []
    assert engine.event_count() == 3
    assert [f["eventID"] for f in engine.findings()] == [event["eventID"]]


def test_the_accelerated_plan_returns_exactly_what_fakesnow_returns(tmp_path: Path) -> None:
    """The runner compiles the view to a one-parse DuckDB plan; fakesnow's translation of the
    same SQL is the reference. Every column of every test event, and every finding, must agree."""
    files = [
        log_file(tmp_path / f"{d.id}.json.gz", [e for case in d.tests for e in case.events])
        for d in DETECTIONS
    ]
    reference, accelerated = Engine(DETECTIONS, accelerate=False), Engine(DETECTIONS)
    assert accelerated.accelerated and not reference.accelerated
    for engine in (reference, accelerated):
        assert engine.load(files) == []

    def rows(engine: Engine, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Every column but the load time, which differs between the two engines."""
        columns, found = engine.query(f"SELECT * FROM {table} ORDER BY eventID")
        keep = [i for i, name in enumerate(columns) if name != "LOADEDAT"]
        return [columns[i] for i in keep], [tuple(row[i] for i in keep) for row in found]

    assert len(rows(accelerated, NEW_EVENTS)[1]) == sum(
        len(case.events) for d in DETECTIONS for case in d.tests
    )
    assert rows(accelerated, NEW_EVENTS) == rows(reference, NEW_EVENTS)
    assert accelerated.findings() == reference.findings()
    assert rows(accelerated, EVENTS) == rows(reference, EVENTS)


def test_the_catalogue_is_up_to_date() -> None:
    catalogue_file = Path(__file__).resolve().parent.parent / "docs" / "detection-catalogue.md"
    assert catalogue_file.read_text() == catalogue(PACK), (
        "docs/detection-catalogue.md is stale: regenerate it with `make docs`"
    )
