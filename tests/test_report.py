"""detect/report.py on findings written by hand: the columns a person reads."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from detect import report
from detect.engine import Finding
from lib import schema
from lib.detections import load_detections

DETECTIONS = {d.id: d for d in load_detections()}
CIS, THREAT = DETECTIONS["cis_root_usage"], DETECTIONS["threat_bedrock_invoke_model_probe"]
ROLE = "arn:aws:sts::111122223333:assumed-role/admin/alice"


def finding(detection: str, **values: Any) -> Finding:
    return {
        **dict.fromkeys(c.name for c in schema.FINDING_COLUMNS),
        "detection": detection,
        "severity": DETECTIONS[detection].severity,
        "eventTime": datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        **values,
    }


def test_the_actor_is_the_arn_or_else_the_identity_type() -> None:
    actors = [
        report._actor(finding(CIS.id, userIdentityArn=arn, userIdentityType=kind))
        for arn, kind in [(ROLE, "AssumedRole"), (None, "AWSService"), ("", "Root"), (None, None)]
    ]
    assert actors == [ROLE, "AWSService", "Root", ""]


def test_the_summary_counts_distinct_actors_and_shows_the_cis_control() -> None:
    findings = [
        finding(THREAT.id, userIdentityArn=ROLE),
        finding(THREAT.id, userIdentityArn=ROLE, duplicate_of="earlier"),
        finding(THREAT.id, userIdentityType="AWSService"),
        finding(CIS.id, userIdentityType="Root"),
    ]
    out = io.StringIO()
    report.write_summary(findings, [CIS, THREAT], out)
    header, cis_row, threat_row = out.getvalue().splitlines()
    assert header.split() == [
        "CIS", "DETECTION", "SEVERITY", "FINDINGS", "ALERTED", "SUPPRESSED", "DUPLICATES",
        "ACTORS", "FIRST", "LAST",
    ]  # fmt: skip
    assert cis_row.split()[:2] == ["4.3", CIS.id]
    assert cis_row.split()[4:8] == ["1", "0", "0", "1"]
    # A threat detection has no CIS control: its cell is blank, under the header's.
    assert threat_row.startswith(" " * len("CIS  ") + THREAT.id)
    assert threat_row.split()[2:6] == ["3", "2", "0", "1"]
    assert threat_row.split()[6] == "2"


def test_the_summary_spans_the_known_event_times_and_shows_a_quiet_detection() -> None:
    """FIRST and LAST over the findings whose event time is known (a garbled eventTime lands as
    none); a detection without findings has a row of zeros and no times."""
    findings = [
        finding(THREAT.id, eventTime=datetime(2026, 11, 27, 12, 30, tzinfo=UTC)),
        finding(THREAT.id, eventTime=None),
        finding(THREAT.id, eventTime=datetime(2026, 11, 26, 23, 5, 9, tzinfo=UTC)),
    ]
    out = io.StringIO()
    report.write_summary(findings, [CIS, THREAT], out)
    _, cis_row, threat_row = out.getvalue().splitlines()
    assert cis_row.split() == ["4.3", CIS.id, CIS.severity, "0", "0", "0", "0", "0"]
    assert threat_row.split()[-2:] == ["2026-11-26T23:05:09Z", "2026-11-27T12:30:00Z"]
