"""The two scheduled MERGEs (events_merge.sql, findings_merge.sql), run on the embedded engine
over generated log files: each event lands once, each finding is persisted once, across runs,
duplicates and late arrivals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import log_file

from detect import generate
from detect.engine import EVENTS, FINDINGS, RAW_TABLE, Engine
from lib import sql
from lib.detections import load_detections

DETECTIONS = load_detections()


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
    engine.land()
    live = engine.detected()
    persisted = engine.findings()
    assert [{k: f[k] for k in live[0]} for f in persisted] == live
    assert summary.missed({(f["detection"], f["eventID"]) for f in live}) == []
    assert {f["eventID"] for f in live} <= summary.scenario_events
    columns, rows = engine.query(f"SELECT * FROM {FINDINGS}")
    for row in rows:
        stored = dict(zip(columns, row, strict=True))
        assert stored["FIRST_SEEN_AT"] is not None
        # fakesnow upper-cases OBJECT_CONSTRUCT's keys inside a MERGE (Snowflake keeps them).
        event = {key.lower(): value for key, value in json.loads(stored["EVENT"]).items()}
        assert event["eventid"] == stored["EVENTID"]
        assert event["eventname"] == stored["EVENTNAME"]
        # What triage reads without going back to the events table: who, what, where from.
        assert {"useridentity", "useragent", "sourceipaddress", "sourcefile"} <= event.keys()
        assert event["sourcefile"] in files


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


# --- Odd events: nothing stalls the landing, nothing is lost -----------------------------------

ROOT = next(d for d in DETECTIONS if d.id == "cis_root_usage")
ROOT_SIGN_IN = next(case.event for case in ROOT.tests if case.match)


def root_sign_in(**fields: Any) -> dict[str, Any]:
    """A root sign-in (which cis_root_usage finds) with some fields replaced; None removes one."""
    event = {**ROOT_SIGN_IN, **fields}
    return {key: value for key, value in event.items() if value is not None}


ODD_SIGN_INS = {
    "time-redacted": root_sign_in(eventID="odd-time-1", eventTime="redacted"),
    "time-object": root_sign_in(eventID="odd-time-2", eventTime={"seconds": 1764235800}),
    "time-missing": root_sign_in(eventID="odd-time-3", eventTime=None),
    "read-only-2": root_sign_in(eventID="odd-read-only-1", readOnly=2),
    "read-only-maybe": root_sign_in(eventID="odd-read-only-2", readOnly="maybe"),
    "id-missing": root_sign_in(eventID=None, sourceIPAddress="192.0.2.1"),
    "id-empty": root_sign_in(eventID="", sourceIPAddress="192.0.2.2"),
    "both": root_sign_in(eventID=None, eventTime="garbled", readOnly="2"),
}


@pytest.mark.parametrize("accelerate", [True, False], ids=["runner-plan", "fakesnow-plan"])
def test_odd_values_never_fail_the_landing_and_every_event_is_examined(
    tmp_path: Path, accelerate: bool
) -> None:
    """A failed cast would fail the whole MERGE on every run (the stream does not advance) until
    Snowflake suspends the task. Every odd event lands once, keeps what could not be typed, and
    is still examined: a root sign-in with a garbled time is still a root sign-in."""
    engine = Engine(DETECTIONS, accelerate=accelerate)
    # JSON null is no event; a record that is not an object lands (with nothing to examine).
    files = [log_file(tmp_path / "odd.json.gz", [*ODD_SIGN_INS.values(), "not an event"])]
    assert engine.load(files) == []
    engine.land()
    columns, rows = engine.query(
        f"SELECT eventID, eventTime, readOnly, untyped, sourceIPAddress FROM {EVENTS}"
    )
    landed = [dict(zip(columns, row, strict=True)) for row in rows]
    assert len(landed) == len(ODD_SIGN_INS) + 1

    def one(event_id: str) -> dict[str, Any]:
        (row,) = [r for r in landed if r["EVENTID"] == event_id]
        return row

    def untyped(row: dict[str, Any]) -> dict[str, str]:
        fields = json.loads(row["UNTYPED"] or "{}")
        # fakesnow upper-cases OBJECT_CONSTRUCT's keys inside a MERGE; Snowflake keeps them as
        # written, and so does the runner, which lands with an INSERT.
        assert fields.keys() <= (
            {"eventTime", "readOnly"} if accelerate else {"EVENTTIME", "READONLY"}
        )
        return {key.lower(): value for key, value in fields.items()}

    assert untyped(one("odd-time-1")) == {"eventtime": "redacted"}
    assert one("odd-time-1")["EVENTTIME"] is None
    assert json.loads(untyped(one("odd-time-2"))["eventtime"]) == {"seconds": 1764235800}
    # Missing is not untyped: nothing was delivered to keep.
    assert one("odd-time-3")["EVENTTIME"] is None and one("odd-time-3")["UNTYPED"] is None
    assert untyped(one("odd-read-only-1")) == {"readonly": "2"}
    assert one("odd-read-only-1")["READONLY"] is None
    assert one("odd-read-only-1")["EVENTTIME"] is not None
    assert untyped(one("odd-read-only-2")) == {"readonly": "maybe"}
    # A sound event has nothing untyped.
    assert all(r["UNTYPED"] is None for r in landed if r["EVENTID"] == ROOT_SIGN_IN["eventID"])

    surrogates = [r for r in landed if r["EVENTID"].startswith(sql.SURROGATE_ID_PREFIX)]
    assert len(surrogates) == 4
    assert {r["SOURCEIPADDRESS"] for r in surrogates} >= {"192.0.2.1", "192.0.2.2"}
    (both,) = [r for r in surrogates if r["UNTYPED"] and "eventtime" in untyped(r)]
    assert untyped(both) == {"eventtime": "garbled", "readonly": "2"}

    found = {f["eventID"] for f in engine.findings() if f["detection"] == "cis_root_usage"}
    assert found == {r["EVENTID"] for r in landed if r["SOURCEIPADDRESS"]}
    assert engine.odd_events() == {
        "an unreadable eventTime": 3,
        "no eventTime": 2,
        "an unreadable readOnly": 3,
        "no eventID": 4,
    }


@pytest.mark.parametrize("accelerate", [True, False], ids=["runner-plan", "fakesnow-plan"])
def test_odd_events_are_landed_once_however_often_they_are_delivered(
    tmp_path: Path, accelerate: bool
) -> None:
    """Dedup holds for events without a time (no date to match on) and without an eventID (the
    surrogate is derived from the content, so a copy gets the same one)."""
    engine = Engine(DETECTIONS, accelerate=accelerate)
    odd = list(ODD_SIGN_INS.values())
    engine.load([log_file(tmp_path / "first.json.gz", odd)])
    engine.land()
    _, first = engine.query(f"SELECT eventID, eventHash FROM {EVENTS} ORDER BY eventHash")
    # The same file loaded again (a backfill), and a second delivery of every event in a later
    # file, copies within it included.
    engine.load([log_file(tmp_path / "first.json.gz", odd)])
    engine.load([log_file(tmp_path / "again.json.gz", odd + odd)])
    engine.land()
    engine.land()
    _, again = engine.query(f"SELECT eventID, eventHash FROM {EVENTS} ORDER BY eventHash")
    assert again == first
    assert len(first) == len(odd)


def test_the_same_event_id_with_other_content_is_a_second_event(tmp_path: Path) -> None:
    """Two records are one event only when they are identical."""
    original = root_sign_in(eventID="shared-id")
    other = root_sign_in(eventID="shared-id", sourceIPAddress="198.51.100.7")
    engine = Engine(DETECTIONS)
    engine.load([log_file(tmp_path / "a.json.gz", [original, other, original])])
    engine.land()
    engine.persist_findings()
    _, rows = engine.query(f"SELECT sourceIPAddress, eventHash FROM {EVENTS}")
    assert sorted(row[0] for row in rows) == ["192.0.2.44", "198.51.100.7"]
    assert len({row[1] for row in rows}) == 2
    # Each is a finding of its own.
    root_findings = [f for f in engine.persisted_findings() if f["detection"] == "cis_root_usage"]
    assert sorted(f["sourceIPAddress"] for f in root_findings) == ["192.0.2.44", "198.51.100.7"]


def test_a_different_event_on_the_same_day_lands_in_a_later_run(tmp_path: Path) -> None:
    """The MERGE must match on the event's identity, not merely on its day."""
    engine = Engine(DETECTIONS)
    engine.load([log_file(tmp_path / "run1.json.gz", [root_sign_in(eventID="morning")])])
    engine.land()
    later = root_sign_in(eventID="evening", eventTime="2026-11-27T21:15:00Z")
    engine.load([log_file(tmp_path / "run2.json.gz", [later])])
    engine.land()
    _, rows = engine.query(f"SELECT eventID, eventDate FROM {EVENTS} ORDER BY eventTime")
    assert [row[0] for row in rows] == ["morning", "evening"]
    assert rows[0][1] == rows[1][1]


@pytest.mark.parametrize("accelerate", [True, False], ids=["runner-plan", "fakesnow-plan"])
def test_a_null_record_is_no_event(accelerate: bool) -> None:
    """Snowpipe loads a file as it is: a JSON null in Records reaches the events task, which must
    neither land it nor fail on it. (The runner leaves nulls out when it reads a file, so the
    raw row is written here as the pipe would.)"""
    engine = Engine(DETECTIONS, accelerate=accelerate)
    record = json.dumps({"Records": [None, ROOT_SIGN_IN, None]}).replace("'", "''")
    engine.query(
        f"INSERT INTO {RAW_TABLE} SELECT PARSE_JSON('{record}'), 'a.json.gz', CURRENT_TIMESTAMP()"
    )
    engine.land()
    _, rows = engine.query(f"SELECT eventID FROM {EVENTS}")
    assert rows == [(ROOT_SIGN_IN["eventID"],)]
