"""Findings as a table for people, JSON lines or CSV for programs."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, TextIO

from detect.engine import Finding
from lib.detections import Detection
from lib.schema import DETECTED_COLUMNS

FORMATS = ("table", "jsonl", "csv")
# A record for programs: the detection, then what the finding took from the event, then what the
# findings MERGE decided. Keys are only ever added at the end: programs read the older ones.
_RECORD_KEYS = (
    "detection",
    "title",
    "severity",
    "cis",
    *(c.name for c in DETECTED_COLUMNS),
    "dedup_key",
    "duplicate_of",
    "suppressed_by",
    "alerted",
)
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
    ("status", "STATUS"),
)
Outcome = Literal["alerted", "suppressed", "duplicate"]
# Each outcome's column in --summary, in the order they are shown.
_OUTCOME_COLUMNS: dict[Outcome, str] = {
    "alerted": "ALERTED",
    "suppressed": "SUPPRESSED",
    "duplicate": "DUPLICATES",
}


def outcome(finding: Finding) -> Outcome:
    """What the findings MERGE made of the finding: the alert counts only `alerted` ones. It never
    marks a suppressed finding as a duplicate, so the three are exclusive."""
    if finding["suppressed_by"] is not None:
        return "suppressed"
    if finding["duplicate_of"] is not None:
        return "duplicate"
    return "alerted"


def outcomes(findings: Sequence[Finding]) -> dict[Outcome, int]:
    """How many findings of each outcome, every outcome present."""
    counts = dict.fromkeys(_OUTCOME_COLUMNS, 0)
    for finding in findings:
        counts[outcome(finding)] += 1
    return counts


def _status(finding: Finding) -> str:
    """The table's STATUS: the alert, or why there is none and which finding or suppression to
    look up for it."""
    kind = outcome(finding)
    if kind == "suppressed":
        return f"suppressed ({finding['suppressed_by']})"
    if kind == "duplicate":
        return f"duplicate of {finding['duplicate_of']}"
    return "alert"


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
        "dedup_key": finding["dedup_key"],
        "duplicate_of": finding["duplicate_of"],
        "suppressed_by": finding["suppressed_by"],
        "alerted": outcome(finding) == "alerted",
    }


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with `alerted` as JSON writes it (true/false), not as Python's True/False."""
    return {**record, "alerted": json.dumps(record["alerted"])}


def _actor(finding: Finding) -> str:
    return _text(finding["userIdentityArn"]) or _text(finding["userIdentityType"])


def _aligned(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """`rows` (a header first, if any) in columns, each as wide as its widest cell."""
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    for row in rows:
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
            writer.writerow(_csv_row(_record(finding, by_id[finding["detection"]])))
    else:
        cell = {"actor": _actor, "status": _status}
        rows = [
            [cell[key](f) if key in cell else _text(f[key]) for key, _ in _TABLE_COLUMNS]
            for f in findings
        ]
        _aligned([[title for _, title in _TABLE_COLUMNS], *rows], out)


def write_summary(
    findings: Sequence[Finding], detections: Sequence[Detection], out: TextIO
) -> None:
    """Per detection: how many findings, how many of them alerted (the rest suppressed or
    duplicates), when, and by how many distinct actors."""
    rows = []
    for detection in detections:
        own = [f for f in findings if f["detection"] == detection.id]
        counts = outcomes(own)
        times = sorted(f["eventTime"] for f in own if f["eventTime"] is not None)
        rows.append(
            [
                detection.cis_control or "",
                detection.id,
                detection.severity,
                str(len(own)),
                *(str(counts[kind]) for kind in _OUTCOME_COLUMNS),
                str(len({_actor(f) for f in own})),
                _text(times[0]) if times else "",
                _text(times[-1]) if times else "",
            ]
        )
    header = [
        "CIS",
        "DETECTION",
        "SEVERITY",
        "FINDINGS",
        *_OUTCOME_COLUMNS.values(),
        "ACTORS",
        "FIRST",
        "LAST",
    ]
    _aligned([header, *rows], out)


def write_detections(detections: Sequence[Detection], out: TextIO) -> None:
    """One line per detection, no header (a line is a detection, for grep and wc): id, pack, CIS
    control, severity, status, title, and its threshold and dedup in brackets."""
    rows = []
    for d in detections:
        note = d.tuning
        rows.append(
            [
                d.id,
                d.pack,
                f"CIS {d.cis_control}" if d.cis_control else "-",
                d.severity,
                d.status,
                f"{d.title}  [{note}]" if note else d.title,
            ]
        )
    _aligned(rows, out)
