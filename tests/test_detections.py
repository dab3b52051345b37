"""The detection pack: every detection's metadata follows the conventions, and every detection
returns exactly its positive test events, and none of its negative ones, through the real view
SQL on the embedded engine (the events are loaded as CloudTrail log files)."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from detect.engine import EVENTS, NEW_EVENTS, VIEW, Engine, Finding
from lib.detections import (
    DETECTIONS_DIR,
    FINDING_COLUMNS,
    SEVERITIES,
    Detection,
    load_detections,
)

CIS_IDS = {
    "cis_unauthorized_api_calls",
    "cis_console_login_without_mfa",
    "cis_root_usage",
    "cis_iam_policy_changes",
    "cis_cloudtrail_config_changes",
    "cis_console_auth_failures",
    "cis_cmk_disable_or_delete",
    "cis_s3_bucket_policy_changes",
    "cis_aws_config_changes",
    "cis_security_group_changes",
    "cis_nacl_changes",
    "cis_network_gateway_changes",
    "cis_route_table_changes",
    "cis_vpc_changes",
    "cis_organizations_changes",
}

DETECTIONS = load_detections()


def by_id(detection: Detection) -> str:
    return detection.id


def write_log_file(path: Path, events: list[dict[str, Any]]) -> str:
    with gzip.open(path, "wt") as out:
        json.dump({"Records": events}, out)
    return str(path)


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Finding]]:
    """All test events of all detections, one log file per detection, run once, through the
    view exactly as fakesnow translates it (the runner's faster plan is compared with it below)."""
    folder = tmp_path_factory.mktemp("logs")
    files = [
        write_log_file(folder / f"{d.id}.json.gz", [case.event for case in d.tests])
        for d in DETECTIONS
    ]
    engine = Engine(DETECTIONS, accelerate=False)
    assert engine.load(files) == []
    yield engine.findings()


# --- Conventions ------------------------------------------------------------------------------


def test_the_pack_is_the_cis_monitoring_set() -> None:
    assert {d.id for d in DETECTIONS} == CIS_IDS


def test_every_sql_file_has_its_metadata_and_the_reverse() -> None:
    sql_files = {p.stem for p in DETECTIONS_DIR.glob("*.sql")}
    yml_files = {p.stem for p in DETECTIONS_DIR.glob("*.yml")}
    assert sql_files == yml_files


@pytest.mark.parametrize("detection", DETECTIONS, ids=by_id)
def test_metadata(detection: Detection) -> None:
    path = DETECTIONS_DIR / f"{detection.id}.yml"
    assert path.exists(), "the id must be the file name"
    assert detection.title and detection.title[0].isupper()
    assert detection.severity in SEVERITIES
    assert set(detection.cis) == {"v1.4-v5.0", "v6.0+", "v1.2", "security_hub"}
    assert re.fullmatch(r"4\.\d+", str(detection.cis["v1.4-v5.0"]))
    assert re.fullmatch(r"5\.\d+", str(detection.cis["v6.0+"]))
    assert detection.cloudwatch_filter.startswith("{")
    assert detection.mitre_attack
    for technique in detection.mitre_attack:
        assert re.fullmatch(r"T\d{4}(\.\d{3})?", technique["technique"])
        assert technique["name"] and technique["tactic"]
    assert len(detection.description) > 60
    assert detection.false_positives and all(detection.false_positives)
    assert detection.triage and all(detection.triage)
    assert "{cloudtrail}" in detection.sql


@pytest.mark.parametrize("detection", DETECTIONS, ids=by_id)
def test_positive_and_negative_cases_exist(detection: Detection) -> None:
    assert sum(case.match for case in detection.tests) >= 2
    assert sum(not case.match for case in detection.tests) >= 2
    for case in detection.tests:
        # Realistic events: the fields every CloudTrail management event carries. YAML must not
        # turn times or account IDs into dates and integers.
        assert {"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName"} <= set(
            case.event
        ), case.name
        assert {"awsRegion", "sourceIPAddress", "eventID", "eventType"} <= set(case.event)
        assert isinstance(case.event["eventTime"], str), case.name
        assert isinstance(case.event.get("recipientAccountId", ""), str), case.name
        json.dumps(case.event)


@pytest.mark.parametrize("detection", DETECTIONS, ids=by_id)
def test_no_value_can_fail_a_detection(detection: Detection) -> None:
    """The findings task runs every detection in one MERGE: one failed conversion would fail it
    on every run until Snowflake suspends the task. Casting to string never fails."""
    assert set(re.findall(r"::(\w+)", detection.sql)) <= {"string", "variant"}
    assert not re.search(r"\b(TO_\w+|CAST)\s*\(", detection.sql, re.IGNORECASE)


def test_event_ids_are_unique_across_the_pack() -> None:
    ids = [case.event["eventID"] for d in DETECTIONS for case in d.tests]
    assert len(ids) == len(set(ids))


def test_severity_ids_and_view_names_are_unique() -> None:
    assert len({d.view_name for d in DETECTIONS}) == len(DETECTIONS)


# --- Behaviour on the embedded engine -----------------------------------------------------------


@pytest.mark.parametrize("detection", DETECTIONS, ids=by_id)
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


@pytest.mark.parametrize("detection", DETECTIONS, ids=by_id)
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


def test_detections_select_the_finding_columns_in_order() -> None:
    engine = Engine(DETECTIONS)
    for detection in DETECTIONS:
        columns, _ = engine.query(f"SELECT * FROM ({detection.render(VIEW)}) LIMIT 0")
        assert [c.lower() for c in columns] == [c.lower() for c in FINDING_COLUMNS], detection.id


def test_an_event_delivered_twice_is_reported_once(tmp_path: Path) -> None:
    detection = next(d for d in DETECTIONS if d.id == "cis_unauthorized_api_calls")
    event = next(case.event for case in detection.tests if case.match)
    first = write_log_file(tmp_path / "a.json.gz", [event])
    again = write_log_file(tmp_path / "b.json.gz", [event, event])
    engine = Engine([detection])
    assert engine.load([first, again]) == []
    assert engine.event_count() == 3
    assert [f["eventID"] for f in engine.findings()] == [event["eventID"]]


def test_the_accelerated_plan_returns_exactly_what_fakesnow_returns(tmp_path: Path) -> None:
    """The runner compiles the view to a one-parse DuckDB plan; fakesnow's translation of the
    same SQL is the reference. Every column of every test event, and every finding, must agree."""
    files = [
        write_log_file(tmp_path / f"{d.id}.json.gz", [case.event for case in d.tests])
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

    assert len(rows(accelerated, NEW_EVENTS)[1]) == sum(len(d.tests) for d in DETECTIONS)
    assert rows(accelerated, NEW_EVENTS) == rows(reference, NEW_EVENTS)
    assert accelerated.findings() == reference.findings()
    assert rows(accelerated, EVENTS) == rows(reference, EVENTS)
