"""Thresholds, dedup windows and suppressions, through the SQL the stack deploys: the findings
MERGE (sql/findings_merge.sql) over a stand-in for the stream (only the events of one run are
new; history is the events table), the SUPPRESSIONS seed (lib/suppressions.py) and the alert's
condition, on the embedded engine. Each window is checked at its boundaries."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rehearsal import consume_statement
from support import log_file

from detect.engine import EVENTS, FINDINGS, RAW_TABLE, REPORTED_KEYS, SUPPRESSIONS, Engine
from lib import alerts, schema, sql
from lib.detections import (
    DETECTIONS_DIR,
    Dedup,
    Detection,
    DetectionError,
    Threshold,
    findings_statement,
    load_detection,
    load_detections,
    reach_minutes,
)
from lib.suppressions import (
    FIELDS,
    Suppression,
    SuppressionError,
    load_suppressions,
    seed_statement,
)

PACK = {d.id: d for d in load_detections()}
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
NEW = EVENTS.replace(schema.EVENTS_TABLE, "NEW_EVENTS_OF_THE_RUN")
ALERT_STREAM = FINDINGS.replace(schema.FINDINGS_TABLE, schema.FINDINGS_ALERT_STREAM)
NOTIFIED = FINDINGS.replace(schema.FINDINGS_TABLE, schema.FINDINGS_NOTIFIED_TABLE)
ACTION = alerts.alert_action(
    FINDINGS,
    stream=ALERT_STREAM,
    notified_table=NOTIFIED,
    email_integration=None,
    recipients=[],
    sns_integration="FINDINGS_SNS",
)
_ids = itertools.count(1)


def event(
    minutes: float,
    *,
    actor: str = "arn:aws:iam::111122223333:user/mallory",
    name: str = "GetSecretValue",
    secret: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A successful GetSecretValue (or `name`) by `actor`, `minutes` after T0."""
    number = next(_ids)
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": actor, "accountId": "111122223333"},
        "eventTime": (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "secretsmanager.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.7",
        "requestParameters": {"secretId": secret or f"prod/secret-{number}"},
        "eventID": f"00000000-0000-4000-8000-{number:012d}",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        **fields,
    }


def secrets_read(count: int, distinct: bool = True) -> Detection:
    """The pack's bulk-retrieval detection with a small threshold: `count` in 10 minutes."""
    return dataclasses.replace(
        PACK["threat_secretsmanager_bulk_retrieval"],
        threshold=Threshold(
            count=count,
            window_minutes=10,
            group_by=["userIdentityArn"],
            distinct="requestParameters:secretId::string" if distinct else None,
        ),
        dedup=None,
    )


def every_read(dedup: Dedup | None) -> Detection:
    """One finding per GetSecretValue (no threshold), with `dedup`."""
    return dataclasses.replace(
        PACK["threat_secretsmanager_bulk_retrieval"],
        id="threat_every_read",
        threshold=None,
        dedup=dedup,
    )


class Stack:
    """The findings task as the stack runs it: each `run` lands its events, then the MERGE
    reads only those as new (the stream) and counts history in the events table."""

    def __init__(self, detections: list[Detection], folder: Path) -> None:
        self.engine = Engine(detections)
        self.folder = folder
        self.engine.query(f"CREATE TABLE {NEW} AS SELECT * FROM {EVENTS} WHERE FALSE")
        # The alert's stream on FINDINGS: what each run's MERGE inserted, until the alert
        # consumes it.
        self.engine.query(f"CREATE TABLE {ALERT_STREAM} AS SELECT * FROM {FINDINGS} WHERE FALSE")
        columns = ", ".join(f"{c.identifier} {c.type}" for c in schema.NOTIFIED_COLUMNS)
        self.engine.query(f"CREATE TABLE {NOTIFIED} ({columns})")
        self.batches = 0
        self.merge = sql.findings_merge_statement(
            FINDINGS,
            findings_statement(
                detections, {d.id: f"({d.select(NEW, EVENTS)})" for d in detections}
            ),
            NEW,
            SUPPRESSIONS,
            EVENTS,
            reach_minutes(detections),
        )

    def suppress(self, *suppressions: Suppression) -> None:
        self.engine.suppress(suppressions)

    def run(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        """Lands `events`, runs the findings MERGE over them; the findings this run added."""
        before = {(f["detection"], f["eventHash"]) for f in self.engine.persisted_findings()}
        path = log_file(self.folder / f"run-{next(_ids)}.json.gz", list(events))
        # What Snowpipe loaded earlier has been landed already.
        self.engine.query(f"DELETE FROM {RAW_TABLE}")
        assert self.engine.load([path]) == []
        self.engine.query(f"DELETE FROM {NEW}")
        landed = {row[0] for row in self.engine.query(f"SELECT eventHash FROM {EVENTS}")[1]}
        self.engine.land()
        known = ", ".join(f"'{h}'" for h in landed) or "''"
        self.engine.query(
            f"INSERT INTO {NEW} SELECT * FROM {EVENTS} WHERE eventHash NOT IN ({known})"
        )
        self.engine.query(self.merge)
        added = [
            f
            for f in self.engine.persisted_findings()
            if (f["detection"], f["eventHash"]) not in before
        ]
        known = ", ".join(f"('{d}', '{h}')" for d, h in before) or "(NULL, NULL)"
        self.engine.query(
            f"INSERT INTO {ALERT_STREAM} SELECT * FROM {FINDINGS} "
            f"WHERE (detection, eventHash) NOT IN ({known})"
        )
        return added

    def notify(self) -> None:
        """One run of the alert's action: its INSERT over the stream, then the commit that
        empties the stream."""
        self.batches += 1
        self.engine.query(consume_statement(ACTION, f"batch-{self.batches}"))
        self.engine.query(f"DELETE FROM {ALERT_STREAM}")

    def alerted(self) -> list[tuple[str, str, int]]:
        """What the alert has notified once it has run, per detection and severity."""
        self.notify()
        _, rows = self.engine.query(
            f"SELECT detection, severity, COUNT(*) FROM {NOTIFIED} GROUP BY detection, severity"
        )
        return sorted((d, s, int(n)) for d, s, n in rows)


@pytest.fixture
def stack_of(tmp_path: Path) -> Any:
    return lambda *detections: Stack(list(detections), tmp_path)


def ids(findings: list[dict[str, Any]]) -> list[str]:
    return sorted(f["eventID"] for f in findings)


# --- Thresholds ---------------------------------------------------------------------------------


def test_the_window_includes_both_ends(stack_of: Any) -> None:
    """count 3 in 10 minutes: the third read, exactly 10 minutes after the first, completes a
    window that holds all three."""
    reads = [event(0), event(5), event(10)]
    assert ids(stack_of(secrets_read(3)).run(*reads)) == ids(reads)


def test_a_second_past_the_window_is_outside_it(stack_of: Any) -> None:
    reads = [event(0), event(5), event(10 + 1 / 60)]
    assert stack_of(secrets_read(3)).run(*reads) == []


def test_one_fewer_than_the_count_is_no_finding(stack_of: Any) -> None:
    stack = stack_of(secrets_read(3))
    first = [event(0), event(1)]
    assert stack.run(*first) == []
    # The third read completes the window: the reads that landed before it are found with it.
    more = [event(2), event(3)]
    assert ids(stack.run(*more)) == ids(first + more)


def test_distinct_counts_values_not_events(stack_of: Any) -> None:
    same = [event(m, secret="prod/db") for m in (0, 1, 2, 3)]
    assert stack_of(secrets_read(3)).run(*same) == []
    # Without `distinct`, the same four reads are four events.
    counted = stack_of(secrets_read(3, distinct=False)).run(*copy.deepcopy(same))
    assert ids(counted) == ids(same)


def test_each_group_is_counted_alone(stack_of: Any) -> None:
    other = "arn:aws:iam::111122223333:user/trent"
    reads = [event(0), event(1), event(2, actor=other), event(3, actor=other)]
    assert stack_of(secrets_read(3)).run(*reads) == []


def test_events_that_do_not_meet_the_condition_do_not_count(stack_of: Any) -> None:
    reads = [event(0), event(1), event(2, errorCode="ResourceNotFoundException")]
    assert stack_of(secrets_read(3)).run(*reads) == []


def test_history_from_earlier_runs_counts(stack_of: Any) -> None:
    """The stream holds only the new events; the count reaches into the events table, and the
    events of the window that landed in earlier runs are found with the one that completes it,
    each once."""
    stack = stack_of(secrets_read(3))
    earlier = [event(0), event(4)]
    assert stack.run(*earlier) == []
    third = event(8)
    assert ids(stack.run(third)) == ids([*earlier, third])
    assert stack.run() == []
    fourth = event(9)
    assert ids(stack.run(fourth)) == [fourth["eventID"]]


def test_a_late_event_counts_the_history_before_it(stack_of: Any) -> None:
    """An event that arrives after later ones is counted against the events before it."""
    stack = stack_of(secrets_read(3))
    earlier = [event(0), event(1)]
    assert stack.run(*earlier, event(30)) == []
    late = event(2)
    assert ids(stack.run(late)) == ids([*earlier, late])


def test_a_burst_whose_later_half_arrives_first_is_found(stack_of: Any) -> None:
    """CloudTrail delivers each region's files on its own: a sweep's later events may land
    first. The events that arrive last complete the window with the ones after them."""
    stack = stack_of(secrets_read(4))
    later = [event(5, awsRegion="eu-west-1"), event(9, awsRegion="eu-west-1")]
    assert stack.run(*later) == []
    earlier = [event(0, awsRegion="us-east-1"), event(1, awsRegion="us-east-1")]
    assert ids(stack.run(*earlier)) == ids(earlier + later)
    assert stack.alerted() == [("threat_secretsmanager_bulk_retrieval", "medium", 4)]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_whatever_the_order_of_arrival_the_stack_finds_what_one_run_finds(
    order: tuple[int, ...], tmp_path: Path
) -> None:
    """Three deliveries of one principal's reads (a burst over two hours, a read alone, another
    principal's), landed in every order: the findings task ends up with the findings of one run
    over all of them, each found once."""
    other = "arn:aws:iam::111122223333:user/trent"
    deliveries = [
        [event(0), event(4), event(61, actor=other)],
        [event(8), event(40), event(62, actor=other)],
        [event(9), event(63, actor=other), event(200)],
    ]
    stack = Stack([secrets_read(3)], tmp_path)
    found = [f for i in order for f in stack.run(*deliveries[i])]
    everything = Engine([secrets_read(3)])
    files = [log_file(tmp_path / f"all-{i}.json.gz", d) for i, d in enumerate(deliveries)]
    assert everything.load(files) == []
    everything.land()
    assert ids(found) == ids(everything.detected())
    assert len(found) == 7


def test_a_suppressed_last_delivery_leaves_the_burst_alerted(stack_of: Any) -> None:
    """The reads that complete the window are suppressed (their region); the burst's other reads,
    found with them, are not, and raise the alert."""
    stack = stack_of(secrets_read(4))
    stack.suppress(suppression(region="us-east-1"))
    later = [event(5, awsRegion="eu-west-1"), event(9, awsRegion="eu-west-1")]
    assert stack.run(*later) == []
    found = stack.run(event(0, awsRegion="us-east-1"), event(1, awsRegion="us-east-1"))
    assert sorted((f["awsRegion"], f["suppressed_by"]) for f in found) == [
        ("eu-west-1", None),
        ("eu-west-1", None),
        ("us-east-1", "s1"),
        ("us-east-1", "s1"),
    ]
    assert stack.alerted() == [("threat_secretsmanager_bulk_retrieval", "medium", 2)]


def test_a_burst_across_the_hour_raises_the_next_hours_alert(stack_of: Any) -> None:
    """Dedup by hour: a burst from 10:58 to 11:02 whose 11:00 reads landed before the 10:58 one
    still raises 11:00's alert, as a run over all the events would."""
    detection = dataclasses.replace(secrets_read(3), dedup=HOURLY)
    stack = stack_of(detection)
    stack.run(event(5), event(6), event(7))
    assert stack.run(event(60), event(62)) == []
    found = stack.run(event(58))
    assert len(found) == 3
    assert stack.alerted() == [("threat_secretsmanager_bulk_retrieval", "medium", 2)]


def test_a_window_after_the_event_counts_only_within_it(stack_of: Any) -> None:
    """The windows that contain an event end at most window_minutes after it: a late event 11
    minutes before the others is in none of their windows."""
    stack = stack_of(secrets_read(3))
    assert stack.run(event(11), event(15)) == []
    assert stack.run(event(0)) == []


def test_events_without_an_actor_are_one_group(stack_of: Any) -> None:
    """A missing group value (an AWS service, an anonymous caller) is a group of its own, apart
    from an empty one."""
    anonymous = [event(m, actor="x") for m in (0, 1, 2)]
    for read in anonymous:
        del read["userIdentity"]["arn"]
    found = stack_of(secrets_read(3)).run(*anonymous)
    assert ids(found) == ids(anonymous)
    assert {f["userIdentityArn"] for f in found} == {None}
    mixed = [event(0, actor=""), *copy.deepcopy(anonymous[1:])]
    for read in mixed[1:]:
        read["eventID"] = f"{read['eventID']}-again"
    assert stack_of(secrets_read(3)).run(*mixed) == []


def test_an_event_without_a_time_is_in_no_window(stack_of: Any) -> None:
    timeless = event(2)
    timeless["eventTime"] = "yesterday"
    assert stack_of(secrets_read(3)).run(event(0), event(1), timeless) == []


def test_the_view_applies_the_threshold_to_every_event(tmp_path: Path) -> None:
    """DETECT_<ID> and DETECT_ALL: the events of every window that reaches the count, over the
    whole view, each once."""
    reads = [event(0), event(5), event(10), event(12), event(30)]
    engine = Engine([secrets_read(3)])
    assert engine.load([log_file(tmp_path / "a.json.gz", reads)]) == []
    engine.land()
    assert ids(engine.detected()) == ids(reads[:4])


# --- What each run keeps -----------------------------------------------------------------------


def test_two_detections_finding_one_event_in_different_runs_each_keep_their_finding(
    stack_of: Any,
) -> None:
    """A finding is one detection's on one event: another detection that finds the same event
    later (a threshold reached by events that arrive after it) adds its own finding, which the
    first neither hides nor is replaced by; in the same run, both detections' findings on one
    event are kept too."""
    stack = stack_of(every_read(None), secrets_read(2))
    first = event(0)
    (alone,) = stack.run(first)
    assert (alone["detection"], alone["eventID"]) == ("threat_every_read", first["eventID"])
    second = event(1)
    added = stack.run(second)
    assert sorted((f["detection"], f["eventID"]) for f in added) == sorted(
        [
            (BULK, first["eventID"]),
            (BULK, second["eventID"]),
            ("threat_every_read", second["eventID"]),
        ]
    )
    persisted = stack.engine.persisted_findings()
    assert len(persisted) == 4
    assert alone in persisted
    # None is a duplicate of another detection's: each raises the alert.
    assert stack.alerted() == [("threat_every_read", "medium", 2), (BULK, "medium", 2)]


def test_first_seen_at_is_when_the_findings_task_found_a_late_event(stack_of: Any) -> None:
    """first_seen_at is the run's time, not the event's: an event that happened days before it
    arrived is first seen when it is found, and the alert hands that time on (FINDINGS_NOTIFIED),
    as `python -m ops status` counts the findings of the last hours by it."""
    stack = stack_of(every_read(None))
    happened = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    late = event(0, eventTime=happened.strftime("%Y-%m-%dT%H:%M:%SZ"))
    before = datetime.now(UTC)
    assert [f["eventID"] for f in stack.run(late)] == [late["eventID"]]
    after = datetime.now(UTC)
    _, rows = stack.engine.query(
        f"SELECT eventTime, first_seen_at FROM {FINDINGS} WHERE eventID = '{late['eventID']}'"
    )
    ((event_time, first_seen),) = rows
    assert event_time == happened
    assert before - timedelta(seconds=1) <= first_seen <= after + timedelta(seconds=1)
    stack.notify()
    _, notified = stack.engine.query(
        f"SELECT first_seen_at FROM {NOTIFIED} WHERE eventID = '{late['eventID']}'"
    )
    assert notified == [(first_seen,)]


# --- Dedup --------------------------------------------------------------------------------------

HOURLY = Dedup(group_by=["userIdentityArn"], window_minutes=60)


def test_one_alert_per_group_and_window(stack_of: Any) -> None:
    """Windows are aligned to the epoch: 10:00:00 and 10:59:59 share one, 11:00:00 starts the
    next. The first finding of a window raises the alert; the others name it."""
    first, same_hour, next_hour = event(0), event(59 + 59 / 60), event(60)
    other_actor = event(30, actor="arn:aws:iam::111122223333:user/trent")
    stack = stack_of(every_read(HOURLY))
    found = {f["eventID"]: f for f in stack.run(first, same_hour, next_hour, other_actor)}
    assert found[same_hour["eventID"]]["duplicate_of"] == first["eventID"]
    for alerted in (first, next_hour, other_actor):
        assert found[alerted["eventID"]]["duplicate_of"] is None
    hour = int(T0.timestamp())
    assert found[first["eventID"]]["dedup_key"] == f"{hour}|{first['userIdentity']['arn']}"
    assert found[next_hour["eventID"]]["dedup_key"].startswith(f"{hour + 3600}|")
    assert stack.alerted() == [("threat_every_read", "medium", 3)]


def test_the_alert_notifies_each_finding_once_whenever_it_runs(stack_of: Any) -> None:
    """The alert hands on what the stream holds: findings of runs made while it was down are
    notified by its next run, none twice, and a duplicate never."""
    stack = stack_of(every_read(HOURLY))
    mallory = [event(0), event(61)]
    trent = [event(5, actor="arn:aws:iam::111122223333:user/trent")]
    stack.run(*mallory)
    stack.notify()
    # Down for two runs: a duplicate of mallory's first hour, then trent.
    stack.run(event(30))
    stack.run(*trent)
    stack.notify()
    stack.notify()
    _, rows = stack.engine.query(f"SELECT batch_id, eventID FROM {NOTIFIED} ORDER BY batch_id")
    assert sorted(rows) == sorted(
        [("batch-1", e["eventID"]) for e in mallory] + [("batch-2", trent[0]["eventID"])]
    )


def test_the_finding_already_alerted_stays_the_one(stack_of: Any) -> None:
    """A later run's finding in the same window, even one with an earlier eventTime, is a
    duplicate of the finding the alert already reported."""
    stack = stack_of(every_read(HOURLY))
    first = event(30)
    assert [f["duplicate_of"] for f in stack.run(first)] == [None]
    earlier = event(10)
    assert [f["duplicate_of"] for f in stack.run(earlier)] == [first["eventID"]]
    assert stack.alerted() == [("threat_every_read", "medium", 1)]


def test_a_duplicate_never_raises_the_alert_for_its_key(stack_of: Any) -> None:
    """However the eventIDs sort, a later finding of the key names the one that was alerted."""
    stack = stack_of(every_read(HOURLY))
    alerted = event(30) | {"eventID": "ffffffff-0000-4000-8000-000000000001"}
    stack.run(alerted)
    duplicate = event(10) | {"eventID": "00000000-0000-4000-8000-00000000000a"}
    assert [f["duplicate_of"] for f in stack.run(duplicate)] == [alerted["eventID"]]
    assert [f["duplicate_of"] for f in stack.run(event(20))] == [alerted["eventID"]]


def test_a_missing_group_value_is_a_dedup_group(stack_of: Any) -> None:
    first, second = event(1), event(2)
    for read in (first, second):
        del read["userIdentity"]["arn"]
    found = {f["eventID"]: f for f in stack_of(every_read(HOURLY)).run(first, second)}
    assert found[first["eventID"]]["dedup_key"] == f"{int(T0.timestamp())}|"
    assert found[second["eventID"]]["duplicate_of"] == first["eventID"]


def test_within_a_run_the_earliest_raises_the_alert(stack_of: Any) -> None:
    later, earliest = event(20), event(5)
    found = {
        f["eventID"]: f["duplicate_of"] for f in stack_of(every_read(HOURLY)).run(later, earliest)
    }
    assert found == {earliest["eventID"]: None, later["eventID"]: earliest["eventID"]}


def test_an_empty_group_dedups_the_whole_detection(stack_of: Any) -> None:
    a, b = event(1), event(2, actor="arn:aws:iam::111122223333:user/trent")
    found = stack_of(every_read(Dedup(group_by=[], window_minutes=60))).run(a, b)
    assert sorted((f["eventID"], f["duplicate_of"]) for f in found) == [
        (a["eventID"], None),
        (b["eventID"], a["eventID"]),
    ]


def test_without_dedup_or_a_time_every_finding_is_alerted(stack_of: Any) -> None:
    timeless = event(1)
    timeless["eventTime"] = "soon"
    found = stack_of(every_read(HOURLY)).run(timeless, copy.deepcopy(timeless) | {"eventID": "x"})
    assert [(f["dedup_key"], f["duplicate_of"]) for f in found] == [(None, None), (None, None)]
    plain = stack_of(every_read(None)).run(event(1), event(2))
    assert [(f["dedup_key"], f["duplicate_of"]) for f in plain] == [(None, None), (None, None)]


BULK = "threat_secretsmanager_bulk_retrieval"


def bulk_copy(folder: Path, metadata: Callable[[str], str]) -> Path:
    """The bulk-retrieval detection copied to `folder` with its .yml's text changed by
    `metadata`; the .yml's path."""
    meta = (DETECTIONS_DIR / f"{BULK}.yml").read_text()
    (folder / f"{BULK}.sql").write_text((DETECTIONS_DIR / f"{BULK}.sql").read_text())
    path = folder / f"{BULK}.yml"
    path.write_text(metadata(meta))
    return path


def without(meta: str, start: str, end: str) -> str:
    """`meta` without the text from `start` up to `end` (not included)."""
    return meta[: meta.index(start)] + meta[meta.index(end, meta.index(start)) :]


def test_a_threshold_detection_dedups_by_its_threshold_by_default(tmp_path: Path) -> None:
    path = bulk_copy(tmp_path, lambda meta: without(meta, "\ndedup:", "\nfalse_positives:"))
    detection = load_detection(path)
    assert detection.threshold is not None
    assert detection.dedup == Dedup(
        detection.threshold.group_by, detection.threshold.window_minutes
    )


# --- Suppressions -------------------------------------------------------------------------------

LATER = datetime(2099, 1, 1, tzinfo=UTC)


def suppression(**fields: Any) -> Suppression:
    conditions = {k: fields.pop(k) for k in list(fields) if k in schema.SUPPRESSION_CONDITIONS}
    return Suppression(
        id=fields.pop("id", "s1"),
        detection=fields.pop("detection", None),
        conditions=conditions,
        reason="expected",
        owner="secops",
        expires_at=fields.pop("expires_at", LATER),
    )


# Each condition, a value of the test event that it matches, and one that it does not.
CONDITIONS = {
    "actor_arn": ("arn:aws:iam::111122223333:user/%", "arn:aws:iam::444455556666:user/%"),
    "account_id": ("111122223333", "444455556666"),
    "source_ip": ("203.0.113.%", "198.51.100.%"),
    "region": ("eu-west-1", "us-east-1"),
    "event_name": ("GetSecretValue", "GetSecret%Values"),
}


def test_every_condition_is_covered() -> None:
    assert set(CONDITIONS) == set(schema.SUPPRESSION_CONDITIONS)


@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_a_condition_matches_its_field(condition: str, stack_of: Any) -> None:
    matching, other = CONDITIONS[condition]
    stack = stack_of(every_read(None))
    stack.suppress(
        suppression(id="a-match", **{condition: matching}),
        suppression(id="b-other", **{condition: other}),
    )
    (found,) = stack.run(event(1))
    assert found["suppressed_by"] == "a-match"
    assert stack.alerted() == []


def test_the_first_matching_suppression_by_id_is_recorded(stack_of: Any) -> None:
    stack = stack_of(every_read(None))
    stack.suppress(suppression(id="z", region="eu-%"), suppression(id="m", region="eu-w%"))
    assert [f["suppressed_by"] for f in stack.run(event(1))] == ["m"]


def test_a_suppression_applies_to_its_detection_only(stack_of: Any) -> None:
    stack = stack_of(every_read(None), secrets_read(2))
    stack.suppress(suppression(detection="threat_every_read"))
    found = {(f["detection"], f["suppressed_by"]) for f in stack.run(event(1), event(2))}
    assert found == {
        ("threat_every_read", "s1"),
        ("threat_secretsmanager_bulk_retrieval", None),
    }


def test_all_conditions_must_match(stack_of: Any) -> None:
    stack = stack_of(every_read(None))
    stack.suppress(suppression(region="eu-west-1", source_ip="198.51.100.%"))
    assert [f["suppressed_by"] for f in stack.run(event(1))] == [None]


def test_an_expired_suppression_no_longer_applies(stack_of: Any) -> None:
    stack = stack_of(every_read(None))
    stack.suppress(
        suppression(id="expired", expires_at=datetime.now(UTC) - timedelta(minutes=1)),
    )
    assert [f["suppressed_by"] for f in stack.run(event(1))] == [None]
    assert stack.alerted() == [("threat_every_read", "medium", 1)]


def test_a_suppressed_finding_is_kept_and_never_hides_another(stack_of: Any) -> None:
    """The suppressed finding stays in FINDINGS; it does not raise the alert for its window,
    so the next finding of the window that is not suppressed does."""
    stack = stack_of(every_read(Dedup(group_by=[], window_minutes=60)))
    stack.suppress(suppression(actor_arn="%:user/mallory"))
    suppressed, other = event(1), event(2, actor="arn:aws:iam::111122223333:user/trent")
    found = {f["eventID"]: f for f in stack.run(suppressed, other)}
    assert found[suppressed["eventID"]]["suppressed_by"] == "s1"
    assert found[suppressed["eventID"]]["duplicate_of"] is None
    assert (found[other["eventID"]]["suppressed_by"], found[other["eventID"]]["duplicate_of"]) == (
        None,
        None,
    )
    assert stack.alerted() == [("threat_every_read", "medium", 1)]
    # In a later run, the window's alert is still the one that was not suppressed.
    (later,) = stack.run(event(3, actor="arn:aws:iam::111122223333:user/victor"))
    assert later["duplicate_of"] == other["eventID"]


def test_an_event_examined_again_does_not_decide_a_new_finding(tmp_path: Path) -> None:
    """A rerun examines landed events again (Engine.findings examines every event each time):
    a finding made under a suppression that has expired since must not become the alert of its
    window, which would leave the new finding unalerted."""
    engine = Engine([every_read(Dedup(group_by=[], window_minutes=60))])
    engine.suppress([suppression(id="s1", region="eu-west-1")])
    first = event(1)
    engine.load([log_file(tmp_path / "a.json.gz", [first])])
    assert [f["suppressed_by"] for f in engine.findings()] == ["s1"]
    engine.query(
        f"UPDATE {SUPPRESSIONS} SET expires_at = DATEADD('minute', -1, CURRENT_TIMESTAMP())"
    )
    engine.load([log_file(tmp_path / "b.json.gz", [event(2)])])
    found = {f["eventID"]: f for f in engine.findings()}
    assert found[first["eventID"]]["suppressed_by"] == "s1"
    (new,) = (f for i, f in found.items() if i != first["eventID"])
    assert (new["suppressed_by"], new["duplicate_of"]) == (None, None)


@pytest.mark.parametrize("condition", ["", ", actor_arn", ", event_name"])
def test_a_suppression_of_nothing_in_particular_matches_nothing(
    stack_of: Any, condition: str
) -> None:
    """A row added with SQL that names no detection and sets no condition, or only wildcards,
    would silence the whole pack: it matches no finding."""
    stack = stack_of(every_read(None))
    value = ", '%_'" if condition else ""
    stack.engine.query(
        f"INSERT INTO {SUPPRESSIONS} (id, reason, owner, expires_at{condition}) "
        f"VALUES ('everything', 'oops', 'soc', '2099-01-01T00:00:00Z'{value})"
    )
    assert [f["suppressed_by"] for f in stack.run(event(1))] == [None]


# --- The seed and the file ----------------------------------------------------------------------


def test_the_seed_inserts_then_updates_by_id_and_leaves_other_rows_alone(tmp_path: Path) -> None:
    engine = Engine([])
    engine.suppress([suppression(id="ci", region="eu-%")])
    engine.query(
        f"INSERT INTO {SUPPRESSIONS} (id, event_name, reason, owner, expires_at) "
        "VALUES ('by-hand', 'Get%', 'an analyst', 'soc', '2099-01-01T00:00:00Z')"
    )
    _, (created,) = engine.query(f"SELECT created_at FROM {SUPPRESSIONS} WHERE id = 'ci'")
    engine.suppress(
        [suppression(id="ci", region="us-%", expires_at=datetime(2098, 1, 1, tzinfo=UTC))]
    )
    _, rows = engine.query(
        f"SELECT id, region, event_name, expires_at, created_at FROM {SUPPRESSIONS} ORDER BY id"
    )
    assert [row[:3] for row in rows] == [("by-hand", None, "Get%"), ("ci", "us-%", None)]
    assert rows[1][3] == datetime(2098, 1, 1, tzinfo=UTC)
    assert rows[1][4] == created[0]


def test_there_is_no_seed_of_no_suppressions() -> None:
    with pytest.raises(ValueError, match=r"^no suppressions to seed$"):
        seed_statement("DB.S.SUPPRESSIONS", [])


def test_the_seed_keeps_quotes_as_written() -> None:
    statement = seed_statement("DB.S.SUPPRESSIONS", [suppression(region="it's")])
    assert "'it''s'" in statement
    engine = Engine([])
    engine.suppress([suppression(region="it's")])
    assert engine.query(f"SELECT region FROM {SUPPRESSIONS}")[1] == [("it's",)]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suppressions.yml"
    path.write_text(text)
    return path


VALID = """\
suppressions:
  - id: ci
    detection: cis_iam_policy_changes
    actor_arn: arn:aws:sts::111122223333:assumed-role/ci-deploy/%
    reason: the deploy pipeline manages IAM
    owner: platform@example.com
    expires_at: 2027-06-30T00:00:00+02:00
"""


@pytest.mark.parametrize("edge", ["2000-01-01T00:00:00Z", "9998-12-31T23:59:59Z"])
def test_an_expiry_in_the_first_or_last_year_allowed_loads(tmp_path: Path, edge: str) -> None:
    (loaded,) = load_suppressions(
        write(tmp_path, VALID.replace("2027-06-30T00:00:00+02:00", edge)), set(PACK)
    )
    assert loaded.values()["expires_at"] == edge


def test_a_valid_file_loads_with_its_expiry_in_utc(tmp_path: Path) -> None:
    (loaded,) = load_suppressions(write(tmp_path, VALID), set(PACK))
    assert loaded.values()["expires_at"] == "2027-06-29T22:00:00Z"
    assert loaded.conditions == {"actor_arn": "arn:aws:sts::111122223333:assumed-role/ci-deploy/%"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("detection: cis_iam_policy_changes", "detection: cis_iam_policy_change"),
            r"suppressions\[0\]\.detection: no detection is called 'cis_iam_policy_change' "
            r"\(`python -m detect list` shows them\)$",
        ),
        (
            ("    expires_at: 2027-06-30T00:00:00+02:00\n", ""),
            r"suppressions\[0\]: 'expires_at' is a required property",
        ),
        (
            ("2027-06-30T00:00:00+02:00", "2027-06-30"),
            r"suppressions\[0\]\.expires_at: '2027-06-30' is not a time with its zone",
        ),
        (
            (
                "    detection: cis_iam_policy_changes\n"
                "    actor_arn: arn:aws:sts::111122223333:assumed-role/ci-deploy/%\n",
                "",
            ),
            r"suppressions\[0\]: sets neither a detection nor a condition \(actor_arn, "
            r"account_id, source_ip, region, event_name\) other than wildcards, so it would "
            r"suppress every finding$",
        ),
        (("ci-deploy/%", "ci-deploy\\\\%"), r"suppressions\[0\]\.actor_arn: holds a backslash"),
        (
            ("actor_arn: arn:aws:sts::111122223333:assumed-role/ci-deploy/%", 'actor_arn: "a\\tb"'),
            r"suppressions\[0\]\.actor_arn: holds a control or format character",
        ),
        (("id: ci", 'id: "ci\\n"'), r"suppressions\[0\]\.id: holds a control or format character"),
        (
            ("reason: the deploy pipeline manages IAM", 'reason: "the \\u202edeploy pipeline"'),
            r"suppressions\[0\]\.reason: holds a control or format character",
        ),
        (("id: ci", "id: c i"), r"suppressions\[0\]\.id: 'c i' is not"),
        (
            (
                "    detection: cis_iam_policy_changes\n"
                "    actor_arn: arn:aws:sts::111122223333:assumed-role/ci-deploy/%\n",
                "    actor_arn: '%'\n    event_name: _%\n",
            ),
            r"suppressions\[0\]: sets neither a detection nor a condition .* other than wildcards",
        ),
        (
            ("2027-06-30T00:00:00+02:00", "soon"),
            r"suppressions\[0\]\.expires_at: 'soon' is not a time with its zone",
        ),
        (
            ("2027-06-30T00:00:00+02:00", "9999-12-31T23:00:00-05:00"),
            r"is not in the years 2000-9998$",
        ),
        (("2027-06-30T00:00:00+02:00", "0999-12-31T00:00:00Z"), r"is not in the years 2000-9998$"),
        (
            ("  - id: ci\n", "  - id: ci\n    colour: red\n"),
            r"suppressions\[0\]: Additional properties are not allowed",
        ),
        (("suppressions:", "suppressions: [\n"), r"not valid YAML"),
    ],
    ids=[
        "unknown-detection",
        "no-expiry",
        "no-zone",
        "no-condition",
        "backslash",
        "control-character",
        "newline-in-id",
        "right-to-left-override",
        "id",
        "only-wildcards",
        "not-a-time",
        "expiry-overflows",
        "expiry-year-999",
        "unknown-key",
        "yaml",
    ],
)
def test_a_broken_file_is_refused_with_its_name_and_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(SuppressionError, match=rf"^{path}: (.*)?{message}"):
        load_suppressions(path, set(PACK))


def test_an_expiry_is_in_utc_whatever_the_hosts_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        (loaded,) = load_suppressions(write(tmp_path, VALID), set(PACK))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert loaded.expires_at.utcoffset() == timedelta(0)
    assert loaded.values()["expires_at"] == "2027-06-29T22:00:00Z"


def test_a_yaml_error_gives_its_line_and_column_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("reason: the", "reason: [the"))
    with pytest.raises(SuppressionError) as refused:
        load_suppressions(path, set(PACK))
    message = str(refused.value)
    assert message.startswith(f"{path}: not valid YAML: ")
    assert "line 6, column 10" in message
    assert "\n" not in message and "  " not in message


@pytest.mark.parametrize("text", ["", "# nothing suppressed yet\n"])
def test_an_empty_file_suppresses_nothing(tmp_path: Path, text: str) -> None:
    assert load_suppressions(write(tmp_path, text), set(PACK)) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}\n", "'suppressions' is a required property"),
        (
            "suppression: []\n",
            "Additional properties are not allowed ('suppression' was unexpected)",
        ),
        ("- id: ci\n", "[{'id': 'ci'}] is not of type 'object'"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused_at_its_root(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SuppressionError) as refused:
        load_suppressions(path, set(PACK))
    assert str(refused.value) == f"{path}: {message}"


def test_a_suppressions_values_are_the_tables_columns_in_order(tmp_path: Path) -> None:
    (loaded,) = load_suppressions(write(tmp_path, VALID), set(PACK))
    assert list(loaded.values()) == list(FIELDS)
    assert loaded.values()["detection"] == "cis_iam_policy_changes"
    assert loaded.values()["reason"] == "the deploy pipeline manages IAM"
    assert loaded.values()["owner"] == "platform@example.com"
    assert loaded.values()["region"] is None


@pytest.mark.parametrize("value", ["10.0.%", "X%", "_X"])
def test_one_condition_that_is_not_only_wildcards_is_enough(tmp_path: Path, value: str) -> None:
    without_detection = VALID.replace(
        "    detection: cis_iam_policy_changes\n"
        "    actor_arn: arn:aws:sts::111122223333:assumed-role/ci-deploy/%\n",
        f"    source_ip: '{value}'\n",
    )
    (loaded,) = load_suppressions(write(tmp_path, without_detection), set(PACK))
    assert (loaded.detection, loaded.conditions) == (None, {"source_ip": value})


def test_an_id_is_used_once(tmp_path: Path) -> None:
    twice = VALID + "\n".join(VALID.splitlines()[1:]) + "\n"
    with pytest.raises(SuppressionError, match=r"suppressions\[1\]\.id: 'ci' is used twice"):
        load_suppressions(write(tmp_path, twice), set(PACK))


def test_the_reported_keys_are_the_findings_columns() -> None:
    assert set(REPORTED_KEYS) <= {c.name for c in schema.FINDING_COLUMNS}


# --- Threshold and dedup metadata ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("group_by: [userIdentityArn]\n  distinct", "group_by: [eventID]\n  distinct"),
            r"threshold\.group_by: 'eventID' is not one of",
        ),
        (
            ("dedup:\n  group_by: [userIdentityArn]", "dedup:\n  group_by: [userAgent]"),
            r"dedup\.group_by: 'userAgent' is not one of",
        ),
        (("'requestParameters:secretId::string'", "'MAX(eventName)'"), r"does not read one row"),
        (
            ("'requestParameters:secretId::string'", "'ROW_NUMBER() OVER (ORDER BY eventTime)'"),
            r"does not read one row",
        ),
        (("'requestParameters:secretId::string'", "'c.eventName'"), r"does not read one row"),
        (("'requestParameters:secretId::string'", "'eventName --'"), r"distinct: holds a comment"),
        (("'requestParameters:secretId::string'", "'(SELECT 1)'"), r"not one SQL expression"),
        (
            ("'requestParameters:secretId::string'", "'eventName) OR (1=1'"),
            r"not one SQL expression",
        ),
        (
            ("    events:\n", "    event:\n"),
            r"tests\[0\]\.event: must be of JSON type 'object', not a list",
        ),
        (
            ("threshold:\n  count: 10\n", "unused:\n  count: 10\n"),
            r"Additional properties are not allowed \('unused' was unexpected\)",
        ),
    ],
    ids=[
        "threshold-group",
        "dedup-group",
        "aggregate",
        "window",
        "qualified",
        "comment",
        "query",
        "escape",
        "event-not-events",
        "unknown-key",
    ],
)
def test_bad_threshold_metadata_is_refused(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    assert change[0] in (DETECTIONS_DIR / f"{BULK}.yml").read_text()
    path = bulk_copy(tmp_path, lambda meta: meta.replace(*change, 1))
    with pytest.raises(DetectionError, match=message):
        load_detection(path)


def test_the_cases_of_a_detection_without_threshold_give_one_event(tmp_path: Path) -> None:
    path = bulk_copy(tmp_path, lambda meta: without(meta, "\nthreshold:", "\ndedup:"))
    with pytest.raises(
        DetectionError, match=r"tests\[0\]: the cases of a detection without threshold give `event`"
    ):
        load_detection(path)
