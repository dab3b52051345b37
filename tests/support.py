"""Helpers several test modules share: CloudTrail log files on disk, and the SQL parser check."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import sqlfluff
from sqlfluff.api.simple import APIParsingError


def write_file(path: Path, data: bytes) -> str:
    """`data` at `path` (its folders created), gzip'd when the name says so, as CloudTrail's are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=1) if ".gz" in path.name.lower() else data)
    return str(path)


def log_file(path: Path, records: list[Any]) -> str:
    """A log file as CloudTrail writes it, {"Records": [...]}; its path, as the runner takes it."""
    return write_file(path, json.dumps({"Records": records}).encode())


def parses(statement: str) -> bool:
    """Whether sqlfluff's Snowflake dialect parses `statement` (a second parser beside the
    embedded engine's: fakesnow translates through sqlglot and accepts some invalid SQL)."""
    try:
        sqlfluff.parse(statement, dialect="snowflake")
    except APIParsingError:
        return False
    return True
