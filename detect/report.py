"""Findings as a table for people, JSON lines or CSV for programs."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from detect.engine import Finding
from lib.detections import Detection
from lib.schema import DETECTED_COLUMNS

FORMATS = ("table", "jsonl", "csv")
# A record for programs: the detection, then what the finding took from the event.
_RECORD_KEYS = ("detection", "title", "severity", "cis", *(c.name for c in DETECTED_COLUMNS))
_TABLE_COLUMNS = (
    ("eventTime", "TIME"),
    ("detection", "DETECTION"),
    ("severity", "SEVERITY"),
    ("eventName", "EVENT"),
    ("actor", "ACTOR"),
    ("sourceIPAddress", "SOURCE IP"),
    ("awsRegion", "REGION"),
    ("recipientAccountId", "ACCOUNT"),
    ("errorCode", "ERROR"),
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _record(finding: Finding, detection: Detection) -> dict[str, Any]:
    return {
        "detection": finding["detection"],
        "title": detection.title,
        "severity": finding["severity"],
        "cis": detection.cis_control,
        **{c.name: _text(finding[c.name]) or None for c in DETECTED_COLUMNS},
    }


def _actor(finding: Finding) -> str:
    return _text(finding["userIdentityArn"]) or _text(finding["userIdentityType"])


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")


def write_findings(
    findings: Sequence[Finding], detections: Sequence[Detection], fmt: str, out: TextIO
) -> None:
    by_id = {d.id: d for d in detections}
    if fmt == "jsonl":
        for finding in findings:
            out.write(json.dumps(_record(finding, by_id[finding["detection"]])) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, _RECORD_KEYS, lineterminator="\n")
        writer.writeheader()
        for finding in findings:
            writer.writerow(_record(finding, by_id[finding["detection"]]))
    else:
        rows = [
            [_actor(f) if key == "actor" else _text(f[key]) for key, _ in _TABLE_COLUMNS]
            for f in findings
        ]
        _aligned([title for _, title in _TABLE_COLUMNS], rows, out)


def write_summary(
    findings: Sequence[Finding], detections: Sequence[Detection], out: TextIO
) -> None:
    """Per detection: how many findings, when, and by how many distinct actors."""
    rows = []
    for detection in detections:
        own = [f for f in findings if f["detection"] == detection.id]
        times = sorted(f["eventTime"] for f in own if f["eventTime"] is not None)
        rows.append(
            [
                detection.cis_control or "",
                detection.id,
                detection.severity,
                str(len(own)),
                str(len({_actor(f) for f in own})),
                _text(times[0]) if times else "",
                _text(times[-1]) if times else "",
            ]
        )
    header = ["CIS", "DETECTION", "SEVERITY", "FINDINGS", "ACTORS", "FIRST", "LAST"]
    _aligned(header, rows, out)
