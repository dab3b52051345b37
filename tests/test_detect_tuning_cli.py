"""`python -m detect` with the stack's tuning: --suppressions, the dedup of threshold detections,
and how findings report what the findings MERGE decided (alerted, suppressed or a duplicate)."""

from __future__ import annotations

import copy
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import log_file
from test_detect_cli import Captured, detect

from detect import cli, generate
from detect.cli import EXIT_OK, EXIT_USAGE
from lib.detections import Detection, load_detections

DETECTIONS = {d.id: d for d in load_detections()}
# The fields a finding is matched on, by suppression condition (lib/schema.py's
# SUPPRESSION_CONDITIONS, as the jsonl records name them).
CONDITION_FIELDS = {
    "actor_arn": "userIdentityArn",
    "account_id": "recipientAccountId",
    "source_ip": "sourceIPAddress",
    "region": "awsRegion",
    "event_name": "eventName",
}


def _when(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _suppressions(folder: Path, *items: dict[str, str]) -> str:
    """A suppressions file of `items`, each completed with what every suppression needs (expiring
    in a month unless it says otherwise); its path."""
    path = folder / "suppressions.yml"
    required = {"reason": "tested", "owner": "secops@example.com", "expires_at": _when(30)}
    path.write_text(yaml.safe_dump({"suppressions": [{**required, **item} for item in items]}))
    return str(path)


def _by_event(run: Captured) -> dict[tuple[str, str], dict[str, Any]]:
    assert run.code == EXIT_OK, run.err
    return {(f["detection"], f["eventID"]): f for f in run.jsonl()}


def _closing(run: Captured, findings: int, alerted: int, suppressed: int, duplicates: int) -> None:
    """The stderr line of counts gives these."""
    counts = f"{alerted} alerted, {suppressed} suppressed, {duplicates} duplicates"
    assert f" {findings} findings ({counts})," in run.err


def _summary_row(run: Captured, detection_id: str) -> dict[str, str]:
    """The --summary line of a detection, by column (its CIS cell may be empty: the columns
    after DETECTION are matched by name)."""
    header, *lines = run.out.splitlines()
    names = header.split()
    after = names[names.index("DETECTION") + 1 :]
    (row,) = [line.split() for line in lines if detection_id in line.split()]
    return dict(zip(after, row[row.index(detection_id) + 1 :], strict=True))


# --- --suppressions on generated logs -------------------------------------------------------

IAM_CHANGE = next(c.event for c in DETECTIONS["cis_iam_policy_changes"].tests if c.match)


def _iam_change(event_id: str, field: str, value: str) -> dict[str, Any]:
    """cis_iam_policy_changes's first positive test event with `field` (a finding's column)
    set to `value`."""
    event = copy.deepcopy(IAM_CHANGE)
    event["eventID"] = event_id
    if field == "userIdentityArn":
        event["userIdentity"]["arn"] = value
    else:
        event[field] = value
    return event


# A finding of its own among the generated ones (whose scenarios come in pairs): its actor is
# nobody else's, so a suppression of its values matches it alone.
TARGET_ACTOR = "arn:aws:sts::111122223333:assumed-role/break-glass/oncall"
TARGET = ("cis_iam_policy_changes", "target-event")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    generate.write(folder, events=2000, events_per_file=500, seed=5)
    log_file(folder / "extra.json", [_iam_change(TARGET[1], "userIdentityArn", TARGET_ACTOR)])
    return folder


@pytest.fixture(scope="module")
def baseline(logs: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every finding of the logs with no suppressions, by (detection, eventID)."""
    return _by_event(detect(str(logs), "--format", "jsonl"))


@pytest.fixture(scope="module")
def target(baseline: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The finding to suppress: alerted, and without dedup (suppressing it changes no other)."""
    finding = baseline[TARGET]
    assert (finding["alerted"], finding["dedup_key"]) == (True, None)
    assert [f for f in baseline.values() if f["userIdentityArn"] == TARGET_ACTOR] == [finding]
    return finding


def _matching(finding: dict[str, Any]) -> dict[str, str]:
    """Every condition, set to the finding's own value (a LIKE pattern that matches itself)."""
    return {condition: finding[field] for condition, field in CONDITION_FIELDS.items()}


def test_a_suppression_marks_the_finding_it_matches_and_no_other(
    tmp_path: Path,
    logs: Path,
    baseline: dict[tuple[str, str], dict[str, Any]],
    target: dict[str, Any],
) -> None:
    file = _suppressions(
        tmp_path, {"id": "change-window", "detection": target["detection"], **_matching(target)}
    )
    run = detect(str(logs), "--format", "jsonl", "--suppressions", file)
    found = _by_event(run)
    key = (target["detection"], target["eventID"])
    assert found.keys() == baseline.keys()
    assert found[key] == {**target, "suppressed_by": "change-window", "alerted": False}
    assert {k: f for k, f in found.items() if k != key} == {
        k: f for k, f in baseline.items() if k != key
    }
    alerted = sum(f["alerted"] for f in baseline.values())
    _closing(run, len(found), alerted - 1, 1, len(found) - alerted)


def test_the_table_and_summary_show_the_suppression(
    tmp_path: Path, logs: Path, target: dict[str, Any]
) -> None:
    """Also: --detections runs fewer detections than the file names, which is valid all the same
    (the file is checked against the whole pack)."""
    other = next(d for d in sorted(DETECTIONS) if d != target["detection"])
    file = _suppressions(
        tmp_path,
        {"id": "change-window", "detection": target["detection"], **_matching(target)},
        {"id": "elsewhere", "detection": other, "region": "%"},
    )
    table = detect(str(logs), "--detections", target["detection"], "--suppressions", file)
    assert table.code == EXIT_OK, table.err
    header, *lines = table.out.splitlines()
    assert header.split()[-1] == "STATUS"
    (suppressed,) = [line for line in lines if line.endswith("suppressed (change-window)")]
    assert suppressed.startswith(target["eventTime"])
    assert all(line.endswith("  alert") for line in lines if line != suppressed)

    summary = detect(
        str(logs), "--detections", target["detection"], "--summary", "--suppressions", file
    )
    row = _summary_row(summary, target["detection"])
    findings = int(row["FINDINGS"])
    assert (row["ALERTED"], row["SUPPRESSED"], row["DUPLICATES"]) == (str(findings - 1), "1", "0")
    _closing(summary, findings, findings - 1, 1, 0)


def test_an_expired_suppression_suppresses_nothing(
    tmp_path: Path,
    logs: Path,
    baseline: dict[tuple[str, str], dict[str, Any]],
    target: dict[str, Any],
) -> None:
    file = _suppressions(
        tmp_path,
        {
            "id": "ended",
            "detection": target["detection"],
            **_matching(target),
            "expires_at": _when(-1),
        },
    )
    assert _by_event(detect(str(logs), "--format", "jsonl", "--suppressions", file)) == baseline


def test_a_suppression_of_another_detection_does_not_apply(
    tmp_path: Path,
    logs: Path,
    baseline: dict[tuple[str, str], dict[str, Any]],
    target: dict[str, Any],
) -> None:
    # No finding of another detection has the target's actor (`target` checks it).
    other = next(d for d in sorted(DETECTIONS) if d != target["detection"])
    file = _suppressions(tmp_path, {"id": "not-this-one", "detection": other, **_matching(target)})
    assert _by_event(detect(str(logs), "--format", "jsonl", "--suppressions", file)) == baseline


# --- Each condition, a LIKE pattern, on hand-built events ------------------------------------


@pytest.mark.parametrize(
    ("condition", "pattern", "matched", "unmatched"),
    [
        (
            "actor_arn",
            "arn:aws:sts::%:assumed-role/ci-deploy/%",
            "arn:aws:sts::111122223333:assumed-role/ci-deploy/GitHubActions",
            "arn:aws:sts::111122223333:assumed-role/admin/alice",
        ),
        ("account_id", "1111222233__", "111122223333", "444455556666"),
        ("source_ip", "10.%", "10.20.14.5", "203.0.113.120"),
        ("region", "eu-%", "eu-west-1", "us-east-1"),
        ("event_name", "Put%Policy", "PutRolePolicy", "DeleteRolePolicy"),
    ],
)
def test_each_condition_is_a_like_pattern(
    tmp_path: Path, condition: str, pattern: str, matched: str, unmatched: str
) -> None:
    field = CONDITION_FIELDS[condition]
    log = log_file(
        tmp_path / "events.json",
        [_iam_change("matched", field, matched), _iam_change("unmatched", field, unmatched)],
    )
    file = _suppressions(tmp_path, {"id": f"by-{condition}", condition: pattern})
    run = detect(
        log, "--detections", "cis_iam_policy_changes", "--format", "jsonl", "--suppressions", file
    )
    found = {f["eventID"]: f for f in _by_event(run).values()}
    assert found.keys() == {"matched", "unmatched"}
    assert (found["matched"]["suppressed_by"], found["matched"]["alerted"]) == (
        f"by-{condition}",
        False,
    )
    assert (found["unmatched"]["suppressed_by"], found["unmatched"]["alerted"]) == (None, True)


# --- Bad suppressions files ------------------------------------------------------------------

_VALID = {"id": "ok", "reason": "tested", "owner": "secops@example.com"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        ("suppressions: [\n", "not valid YAML"),
        (
            {
                "suppressions": [
                    {**_VALID, "detection": "cis_nope", "expires_at": "2099-01-01T00:00:00Z"}
                ]
            },
            "suppressions[0].detection: no detection is called 'cis_nope'",
        ),
        (
            {"suppressions": [{**_VALID, "detection": "cis_root_usage"}]},
            "suppressions[0]: 'expires_at' is a required property",
        ),
        (
            {
                "suppressions": [
                    {**_VALID, "detection": "cis_root_usage", "expires_at": "2099-01-01T00:00:00"}
                ]
            },
            "suppressions[0].expires_at: '2099-01-01T00:00:00' is not a time with its zone",
        ),
        (
            {"suppressions": [{**_VALID, "expires_at": "2099-01-01T00:00:00Z"}]},
            "suppressions[0]: sets neither a detection nor a condition",
        ),
    ],
    ids=["missing", "invalid-yaml", "unknown-detection", "no-expiry", "no-zone", "everything"],
)
def test_a_bad_suppressions_file_stops_the_run_before_any_input(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str | dict[str, Any] | None,
    problem: str,
) -> None:
    path = tmp_path / "suppressions.yml"
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_text(yaml.safe_dump(content))

    def collect(*args: object) -> None:
        raise AssertionError("the inputs were collected before the suppressions were checked")

    monkeypatch.setattr(cli, "collect", collect)
    run = detect(str(tmp_path), "--suppressions", str(path))
    assert run.code == EXIT_USAGE
    assert run.out == ""
    (line,) = run.err.splitlines()
    assert line.startswith(f"detect: {path}: ")
    assert problem in line
    assert "Traceback" not in run.err


# --- Dedup of a threshold detection ----------------------------------------------------------

BULK = DETECTIONS["threat_secretsmanager_bulk_retrieval"]


@pytest.fixture(scope="module")
def bulk_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two positive runs of threat_secretsmanager_bulk_retrieval by two principals, hours apart:
    the first (Stratus's, 20 secrets in 20 seconds) crosses the threshold at its 10th read and
    every read after is a finding of the same group and window."""
    cases = [case for case in BULK.tests if case.match][:2]
    events = [event for case in cases for event in case.events]
    return log_file(tmp_path_factory.mktemp("bulk") / "bulk.json", events)


def test_dedup_alerts_once_per_group_and_window(bulk_log: str) -> None:
    run = detect(bulk_log, "--detections", BULK.id, "--format", "jsonl")
    findings = list(_by_event(run).values())
    by_key: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        by_key.setdefault(finding["dedup_key"], []).append(finding)
    assert len(by_key) == 2
    assert max(len(group) for group in by_key.values()) > 1
    for group in by_key.values():
        first, *rest = sorted(group, key=lambda f: f["eventTime"])
        assert (first["alerted"], first["duplicate_of"]) == (True, None)
        assert all(
            (f["alerted"], f["duplicate_of"], f["suppressed_by"]) == (False, first["eventID"], None)
            for f in rest
        )
    duplicates = len(findings) - len(by_key)
    _closing(run, len(findings), len(by_key), 0, duplicates)

    summary = detect(bulk_log, "--detections", BULK.id, "--summary")
    row = _summary_row(summary, BULK.id)
    counts = [row[column] for column in ("FINDINGS", "ALERTED", "SUPPRESSED", "DUPLICATES")]
    assert counts == [str(len(findings)), str(len(by_key)), "0", str(duplicates)]
    _closing(summary, len(findings), len(by_key), 0, duplicates)

    table = detect(bulk_log, "--detections", BULK.id)
    header, *lines = table.out.splitlines()
    statuses = Counter(line[header.index("STATUS") :] for line in lines)
    assert statuses == Counter(
        "alert" if f["alerted"] else f"duplicate of {f['duplicate_of']}" for f in findings
    )


# --- list --------------------------------------------------------------------------------------


def _listed(detection: Detection, out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.split()[0] == detection.id]
    return line


def test_list_shows_the_pack_and_the_threshold() -> None:
    run = detect("list")
    assert run.code == EXIT_OK
    assert len(run.out.splitlines()) == len(DETECTIONS)
    packs = {d.id: _listed(d, run.out).split()[1] for d in DETECTIONS.values()}
    assert packs == {d.id: d.pack for d in DETECTIONS.values()}
    assert set(packs.values()) == {"cis", "threat"}
    tuned = {
        "threat_secretsmanager_bulk_retrieval": ">=10 distinct in 10 min by userIdentityArn; "
        "1 alert per 60 min by userIdentityArn",
        "threat_ssm_securestring_bulk_retrieval": ">=5 distinct in 10 min by userIdentityArn; "
        "1 alert per 60 min by userIdentityArn",
    }
    for detection in DETECTIONS.values():
        line = _listed(detection, run.out)
        assert detection.title in line
        if detection.id in tuned:
            assert line.endswith(f"[{tuned[detection.id]}]")
        if detection.threshold is None:
            assert ">=" not in line
        if not detection.tuning:
            assert line.endswith(detection.title)
        control = f"CIS {detection.cis_control}" if detection.cis_control else "-"
        assert re.split(r"\s{2,}", line)[2] == control, line
