"""Suppressions: findings that analysts decided to keep but not be alerted on, such as a
deployment role's expected IAM changes. They live in the SUPPRESSIONS table (lib/schema.py), which
analysts edit with SQL; a YAML file in the repository can seed it (the stack setting
`suppressionsFile`, and `python -m detect --suppressions FILE` for a local run), in this shape:

    suppressions:
      - id: ci-deploys-iam                      # unique; a finding names the one that matched it
        detection: cis_iam_policy_changes       # omit for every detection
        actor_arn: arn:aws:sts::111122223333:assumed-role/ci-deploy/%
        reason: The deploy pipeline manages IAM policies (ticket SEC-123)
        owner: platform-team@example.com
        expires_at: 2027-06-30T00:00:00Z

The conditions (`actor_arn`, `account_id`, `source_ip`, `region`, `event_name`) are SQL LIKE
patterns: `%` matches any text, `_` any one character. A suppression matches a finding of its
detection when every condition it sets matches; sql/findings_merge.sql applies them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from lib import schema
from lib.detections import field, parse_yaml

_TEXT = {"type": "string", "minLength": 1, "maxLength": 1024}
FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["suppressions"],
    "properties": {
        "suppressions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "reason", "owner", "expires_at"],
                "properties": {
                    "id": {"type": "string"},
                    "detection": {"type": "string"},
                    **{condition: _TEXT for condition in schema.SUPPRESSION_CONDITIONS},
                    "reason": _TEXT,
                    "owner": _TEXT,
                    "expires_at": {"type": "string"},
                },
            },
        }
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(FILE_SCHEMA)
# A file's fields, in the order of the table's columns (created_at is the table's default).
FIELDS = tuple(c.name for c in schema.SUPPRESSION_COLUMNS if c.default is None)


# What a file's values may hold. An id: letters, digits and a few separators. An expiry: a year
# written with four digits, well within Snowflake's TIMESTAMP_LTZ.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_YEARS = (2000, 9998)
# Characters that do not show as themselves: controls (C0, C1), format characters (a right-to-left
# override makes a pattern read otherwise than it matches) and line or paragraph separators.
_HIDDEN = ("Cc", "Cf", "Zl", "Zp")


class SuppressionError(ValueError):
    """A suppressions file that cannot be applied; the message names the file and the field."""


@dataclass(frozen=True)
class Suppression:
    id: str
    detection: str | None
    conditions: dict[str, str]
    """SUPPRESSION_CONDITIONS set by this suppression, by name: LIKE patterns."""
    reason: str
    owner: str
    expires_at: datetime
    """In UTC."""

    def values(self) -> dict[str, str | None]:
        """Its fields as the table's columns hold them; expires_at in UTC, in the ISO 8601 form
        CloudTrail writes its eventTime in (and that the events flatten already casts)."""
        return {
            "id": self.id,
            "detection": self.detection,
            **{name: self.conditions.get(name) for name in schema.SUPPRESSION_CONDITIONS},
            "reason": self.reason,
            "owner": self.owner,
            "expires_at": self.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def _expiry(where: str, text: str) -> datetime:
    """`text` as a time in UTC, if it is one with its zone in _YEARS."""
    try:
        written = datetime.fromisoformat(text)
    except ValueError:
        written = None
    if written is None or written.tzinfo is None:
        raise SuppressionError(
            f"{where}: {text!r} is not a time with its zone, e.g. 2027-06-30T00:00:00Z"
        )
    try:
        moment = written.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not _YEARS[0] <= moment.year <= _YEARS[1]:
        raise SuppressionError(f"{where}: {text!r} is not in the years {_YEARS[0]}-{_YEARS[1]}")
    return moment


def load_suppressions(path: Path, detections: set[str]) -> list[Suppression]:
    """The suppressions of `path`, checked: each names a detection of `detections` (if any),
    sets a detection or at least one condition (a suppression of everything would silence the
    whole pack), and holds no backslash (Snowflake reads one in a string literal as an escape,
    so it would not match what it says)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise SuppressionError(f"{path}: cannot be read: {error}") from None
    try:
        content = parse_yaml(text)
    except yaml.YAMLError as error:
        raise SuppressionError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from None
    if content is None:
        content = {"suppressions": []}
    invalid = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(content))
    if invalid is not None:
        where = field(invalid.absolute_path)
        raise SuppressionError(f"{path}: {where + ': ' if where else ''}{invalid.message}")
    suppressions: list[Suppression] = []
    seen: set[str] = set()
    for i, item in enumerate(content["suppressions"]):
        where = f"{path}: suppressions[{i}]"
        for name, value in item.items():
            if isinstance(value, str) and "\\" in value:
                raise SuppressionError(f"{where}.{name}: holds a backslash, which is not allowed")
            if isinstance(value, str) and any(
                unicodedata.category(character) in _HIDDEN for character in value
            ):
                raise SuppressionError(f"{where}.{name}: holds a control or format character")
        if not _ID.fullmatch(item["id"]):
            raise SuppressionError(f"{where}.id: {item['id']!r} is not {_ID.pattern}")
        if item["id"] in seen:
            raise SuppressionError(f"{where}.id: {item['id']!r} is used twice; ids are unique")
        seen.add(item["id"])
        detection = item.get("detection")
        if detection is not None and detection not in detections:
            raise SuppressionError(
                f"{where}.detection: no detection is called {detection!r} "
                "(`python -m detect list` shows them)"
            )
        conditions = {name: item[name] for name in schema.SUPPRESSION_CONDITIONS if name in item}
        if detection is None and all(set(value) <= set("%_") for value in conditions.values()):
            raise SuppressionError(
                f"{where}: sets neither a detection nor a condition ("
                f"{', '.join(schema.SUPPRESSION_CONDITIONS)}) other than wildcards, so it would "
                "suppress every finding"
            )
        suppressions.append(
            Suppression(
                id=item["id"],
                detection=detection,
                conditions=conditions,
                reason=item["reason"],
                owner=item["owner"],
                expires_at=_expiry(f"{where}.expires_at", item["expires_at"]),
            )
        )
    return suppressions


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def seed_statement(table: str, suppressions: list[Suppression]) -> str:
    """Writes `suppressions` to `table` by id: a new id is inserted (created_at: now), a known
    one takes the file's values. Rows that analysts added with SQL are left alone, and so are
    rows whose id left the file: to end a suppression, set its expires_at."""
    if not suppressions:
        raise ValueError("no suppressions to seed")
    rows = ",\n        ".join(
        f"({', '.join(_literal(value) for value in s.values().values())})" for s in suppressions
    )
    updated = ",\n    ".join(f"{name} = s.{name}" for name in FIELDS if name != "id")
    return (
        f"MERGE INTO {table} AS t\n"
        "USING (\n"
        f"    SELECT {', '.join(FIELDS[:-1])}, expires_at::TIMESTAMP_LTZ AS expires_at\n"
        f"    FROM (VALUES\n        {rows}\n    ) AS v ({', '.join(FIELDS)})\n"
        ") AS s\n"
        "    ON t.id = s.id\n"
        f"WHEN MATCHED THEN UPDATE SET\n    {updated}\n"
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(FIELDS)})\n"
        f"    VALUES ({', '.join(f's.{name}' for name in FIELDS)})"
    )
