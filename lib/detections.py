"""The detection pack: each detection's logic in `sql/detections/<id>.sql` (a condition over the
`cloudtrail` view), its metadata and test events in `sql/detections/<id>.yml`.

Both the stack (Snowflake views) and the embedded runner (`python -m detect`) render the same
files through this module: one source of truth for the logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lib import schema
from lib.sql import SQL_DIR, detected_columns, load_sql

DETECTIONS_DIR = SQL_DIR / "detections"

SEVERITIES = ("informational", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class TestCase:
    name: str
    match: bool
    event: dict[str, Any]


@dataclass(frozen=True)
class Detection:
    id: str
    title: str
    severity: str
    cis: dict[str, str | None]
    cloudwatch_filter: str
    mitre_attack: list[dict[str, str]]
    description: str
    false_positives: list[str]
    triage: list[str]
    condition: str
    """The detection's logic: a boolean expression over a row of the `cloudtrail` view."""
    tests: list[TestCase] = field(default_factory=list)

    @property
    def view_name(self) -> str:
        """The Snowflake view the stack deploys for this detection."""
        return schema.detection_view(self.id)

    def render(self, cloudtrail: str) -> str:
        """The SELECT over `cloudtrail` (a fully qualified view or table name): the columns every
        detection returns, so that the findings of all detections union into one shape; the
        condition in parentheses, so that an OR in it cannot escape."""
        return f"SELECT {detected_columns()}\nFROM {cloudtrail}\nWHERE (\n{self.condition}\n)"


def load_detection(path: Path) -> Detection:
    """`path` is the detection's `.yml`; its `.sql` sits beside it."""
    # libyaml's loader: the test events make these files long, and the pure-Python one is slow.
    meta = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: expected a mapping of metadata, found {type(meta).__name__}")
    return Detection(
        id=meta["id"],
        title=meta["title"],
        severity=meta["severity"],
        cis=meta["cis"],
        cloudwatch_filter=meta["cloudwatch_filter"],
        mitre_attack=meta["mitre_attack"],
        description=meta["description"],
        false_positives=meta["false_positives"],
        triage=meta["triage"],
        condition=load_sql(f"detections/{path.stem}.sql"),
        tests=[TestCase(t["name"], t["match"], t["event"]) for t in meta.get("tests", [])],
    )


def load_detections(directory: Path = DETECTIONS_DIR) -> list[Detection]:
    """Every detection, in CIS order (4.1, 4.2, ..., 4.15)."""
    detections = [load_detection(path) for path in directory.glob("*.yml")]
    return sorted(detections, key=lambda d: [int(n) for n in str(d.cis["v1.4-v5.0"]).split(".")])


def findings_statement(detections: list[Detection], view_of: dict[str, str]) -> str:
    """One SELECT over every detection's view (`view_of`: id -> fully qualified name), with the
    detection's id and severity, each event (by its identity, eventHash) reported once per
    detection however the detection's SQL is written: the findings MERGE inserts every row it
    does not match, so two rows for one event would land as two findings."""
    columns = ", ".join(c.name for c in schema.DETECTED_COLUMNS)
    branches = "\nUNION ALL\n".join(
        f"SELECT '{d.id}' AS detection, '{d.severity}' AS severity, {columns} FROM {view_of[d.id]}"
        for d in detections
    )
    return (
        f"SELECT detection, severity, {columns}\n"
        f"FROM (\n{branches}\n)\n"
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY detection, eventHash ORDER BY eventTime) = 1"
    )
