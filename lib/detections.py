"""The detection pack: each detection's logic in `sql/detections/<id>.sql` (a condition over the
`cloudtrail` view), its metadata and test events in `sql/detections/<id>.yml`, checked against
`sql/detections/detection.schema.json` as it loads. Retired detections live on in
`sql/detections/deprecated/`: checked and tested, never deployed or run.

Both the stack (Snowflake views) and the embedded runner (`python -m detect`) render the same
files through this module: one source of truth for the logic. docs/writing-detections.md is the
guide; `python -m lib.detections --catalogue` writes docs/detection-catalogue.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import sqlglot
import yaml
from sqlglot import exp

from lib import schema
from lib.sql import SQL_DIR, detected_columns, without_comments

DETECTIONS_DIR = SQL_DIR / "detections"
DEPRECATED = "deprecated"
METADATA_SCHEMA = json.loads((DETECTIONS_DIR / "detection.schema.json").read_text())
SEVERITIES: tuple[str, ...] = tuple(METADATA_SCHEMA["properties"]["severity"]["enum"])
# MITRE ATT&CK Enterprise, pinned (see the file's header): technique -> (name, tactics).
ATTACK_FILE = Path(__file__).resolve().parent / "attack-enterprise.tsv"


class DetectionError(ValueError):
    """A detection file that breaks the pack's rules; the message names the file and field."""


@dataclass(frozen=True)
class TestCase:
    name: str
    match: bool
    """Whether the detection finds the event, or at least one of the events."""
    events: list[dict[str, Any]]
    """One event; for a threshold detection, the events of one run."""

    @property
    def event(self) -> dict[str, Any]:
        """The event of a case of one event (every case of a detection without threshold)."""
        (event,) = self.events
        return event


@dataclass(frozen=True)
class Threshold:
    """A volume detection's rule: an event that meets the condition is a finding only when it
    lies in a window of `window_minutes` in which at least `count` events of its group meet it
    (or hold `count` distinct values of `distinct`); see `Detection.select`."""

    count: int
    window_minutes: int
    group_by: list[str]
    distinct: str | None


@dataclass(frozen=True)
class Dedup:
    """One alert per group and window: the findings that share their group_by values and a
    window of `window_minutes` (aligned to the Unix epoch) raise one alert between them."""

    group_by: list[str]
    window_minutes: int


@dataclass(frozen=True)
class Detection:
    id: str
    pack: str
    """cis or threat (the schema's `pack`); the id starts with it."""
    title: str
    severity: str
    status: str
    version: int
    updated: str
    cis: dict[str, str | None] | None
    """The CIS AWS Foundations control, by benchmark version; None for other detections."""
    cloudwatch_filter: str | None
    mitre_attack: list[dict[str, str]]
    references: list[str]
    description: str
    false_positives: list[str]
    triage: list[str]
    condition: str
    """The detection's logic: a boolean expression over a row of the `cloudtrail` view."""
    threshold: Threshold | None
    dedup: Dedup | None
    """Its own, or for a threshold detection without one, its threshold's group and window."""
    tests: list[TestCase]

    @property
    def view_name(self) -> str:
        """The Snowflake view the stack deploys for this detection."""
        return schema.detection_view(self.id)

    @property
    def cis_control(self) -> str | None:
        """The control's number in CIS v1.4-v5.0 (4.1-4.15), the one this pack is named after."""
        return None if self.cis is None else self.cis["v1.4-v5.0"]

    @property
    def tuning(self) -> str:
        """Its threshold and dedup in a few words, e.g. `>=10 distinct in 10 min by
        userIdentityArn; 1 alert per 60 min by userIdentityArn`; "" for neither."""
        parts = []
        if self.threshold is not None:
            t = self.threshold
            counted = "distinct" if t.distinct is not None else "events"
            parts.append(
                f">={t.count} {counted} in {t.window_minutes} min by {', '.join(t.group_by)}"
            )
        if self.dedup is not None:
            by = f" by {', '.join(self.dedup.group_by)}" if self.dedup.group_by else ""
            parts.append(f"1 alert per {self.dedup.window_minutes} min{by}")
        return "; ".join(parts)

    @property
    def summary(self) -> str:
        """One line about it, e.g. for the comment of its view."""
        cis = f"CIS {self.cis_control}: " if self.cis_control else ""
        return f"{cis}{self.title} ({self.severity}, {self.status})"

    def render(self, cloudtrail: str) -> str:
        """The SELECT of the events of `cloudtrail` (a fully qualified view or table name) that
        meet the condition: the columns every detection returns, so that the findings of all
        detections union into one shape; the condition in parentheses, so that an OR in it
        cannot escape."""
        return f"SELECT {detected_columns()}\nFROM {cloudtrail}\nWHERE (\n{self.condition}\n)"

    def select(self, candidates: str, history: str) -> str:
        """The findings among the events of `candidates`, where a threshold counts the events of
        `history` (the same, or every landed event when `candidates` holds the new ones: a
        burst is counted across runs). Without a threshold, `render(candidates)`.

        With one, an event that meets the condition is a finding when it lies in a window of
        `window_minutes` (both ends included) in which its group's events that meet the
        condition number `count` (or hold `count` distinct values). Such a window can be taken
        to end at an event of the group, so the SQL takes the windows that end at an event
        of `history` and contain a candidate, counts them, and returns every event of those
        that reach the count: events of `history` as well as candidates. However a burst's
        events arrive, the run in which the last of them lands sees the whole window and
        reports all of them, so the findings task ends up with what a run over all the events
        at once finds. A missing group value is a group too (`_same`); an event without a time
        is in no window.

        History is read within `window_minutes` of the candidates that meet the condition,
        which lets Snowflake prune the events table by eventTime, and only the windows near a
        candidate of the same group are counted. Self-joins rather than a window frame:
        COUNT(DISTINCT) takes no frame."""
        if self.threshold is None:
            return self.render(candidates)
        t = self.threshold
        w = t.window_minutes
        counted = t.distinct if t.distinct is not None else "eventHash"
        found = self.render(candidates)
        relevant = (
            f"SELECT {detected_columns()}, {counted} AS counted\n"
            f"FROM {history}\n"
            f"WHERE (\n{self.condition}\n)\n"
            f"AND eventTime BETWEEN (\n"
            f"    SELECT DATEADD('minute', -{w}, MIN(eventTime)) FROM ({found})\n"
            f") AND (\n"
            f"    SELECT DATEADD('minute', {w}, MAX(eventTime)) FROM ({found})\n"
            f")"
        )
        keys = ", ".join(f"e.{name}" for name in t.group_by)

        def within(member: str, end: str) -> str:
            """`member` is in the window that ends at `end`, in the same group."""
            return (
                f"{member}.eventTime BETWEEN DATEADD('minute', -{w}, {end}.eventTime) "
                f"AND {end}.eventTime{_same(t.group_by, member, end)}"
            )

        return (
            f"SELECT DISTINCT {', '.join(f'r.{c.name}' for c in schema.DETECTED_COLUMNS)}\n"
            f"FROM ({relevant}) AS r\n"
            f"INNER JOIN (\n"
            f"SELECT {keys}, e.eventTime\n"
            f"FROM (\n"
            f"SELECT DISTINCT {keys}, e.eventTime\n"
            f"FROM ({relevant}) AS e\n"
            f"INNER JOIN ({found}) AS c\n"
            f"    ON {within('c', 'e')}\n"
            f") AS e\n"
            f"INNER JOIN ({relevant}) AS m\n"
            f"    ON {within('m', 'e')}\n"
            f"GROUP BY {keys}, e.eventTime\n"
            f"HAVING COUNT(DISTINCT m.counted) >= {t.count}\n"
            f") AS e\n"
            f"    ON {within('r', 'e')}"
        )

    def dedup_key(self) -> str:
        """The SQL of a finding's dedup_key over the detection's columns: the start of its
        window (Unix seconds), then its group's values; NULL without dedup, or without an
        eventTime (such a finding is alerted on alone)."""
        if self.dedup is None:
            return "NULL::VARCHAR"
        seconds = 60 * self.dedup.window_minutes
        start = f"FLOOR(DATE_PART(EPOCH_SECOND, eventTime) / {seconds})::INTEGER * {seconds}"
        parts = [
            f"TO_VARCHAR({start})",
            *(f"COALESCE({name}, '')" for name in self.dedup.group_by),
        ]
        return " || '|' || ".join(parts)


@dataclass(frozen=True)
class Pack:
    active: list[Detection]
    """What the stack deploys and the runner runs, by id."""
    deprecated: list[Detection]
    """Retired detections: checked and tested, never deployed; their ids stay taken."""


def _attack() -> dict[str, tuple[str, list[str]]]:
    """Technique id -> (its name as a detection cites it, its tactics). A sub-technique is cited
    as ATT&CK displays it, after its parent: `Valid Accounts: Cloud Accounts`."""
    lines = [line for line in ATTACK_FILE.read_text().splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    names = {row["technique"]: row["name"] for row in rows}
    return {
        row["technique"]: (
            f"{names[row['technique'].split('.')[0]]}: {row['name']}"
            if "." in row["technique"]
            else row["name"],
            row["tactics"].split(", "),
        )
        for row in rows
    }


ATTACK = _attack()


# libyaml's safe loader (the test events make these files long, and the pure-Python one is
# slow), reading what YAML takes for a timestamp as the text it is written as: `updated:
# 2026-12-04` is a string to the schema, like every time in an event.
_Loader: Any = type("_Loader", (yaml.CSafeLoader,), {})
_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def parse_yaml(text: str) -> Any:
    """YAML as this project reads it: safely, times as the text they are written as."""
    return yaml.load(text, Loader=_Loader)


_VALIDATOR = jsonschema.Draft202012Validator(
    METADATA_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def _same(columns: list[str], a: str, b: str) -> str:
    """`a` and `b` in the same group: equal in each of `columns`, a missing value equal only to
    a missing value. On equality (COALESCE) rather than EQUAL_NULL, which Snowflake can hash;
    the IS NULL test keeps '' apart from a missing value."""
    return "".join(
        f"\n    AND COALESCE({a}.{name}, '') = COALESCE({b}.{name}, '')"
        f" AND ({a}.{name} IS NULL) = ({b}.{name} IS NULL)"
        for name in columns
    )


def field(path: Any) -> str:
    """`tests[0].event.eventTime` for the path of a value in a YAML file (a detection's
    metadata, a suppressions file), as jsonschema gives it."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text.lstrip(".")


def _problem(error: jsonschema.ValidationError) -> str:
    where = field(error.absolute_path)
    if error.validator in ("contains", "minContains"):
        # The default message repeats the whole list, or says nothing of what is missing.
        what = f"needs at least 2 {error.schema['contains']['description']}"
    elif error.validator == "type" and len(repr(error.instance)) > 80:
        # The default message repeats the value, which may be a whole list of events.
        found = type(error.instance).__name__
        what = f"must be of JSON type {error.validator_value!r}, not a {found}"
    else:
        what = error.message
    return f"{where}: {what}" if where else what


def _checked(path: Path, meta: Any) -> None:
    """Raises DetectionError for the first thing wrong with the metadata `meta` of `path`."""
    if not isinstance(meta, dict):
        raise DetectionError(f"{path}: expected a mapping of metadata, found {type(meta).__name__}")
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(meta))
    if error is not None:
        raise DetectionError(f"{path}: {_problem(error)}")
    if meta["id"] != path.stem:
        raise DetectionError(f"{path}: id: {meta['id']!r} must be the file's name, {path.stem!r}")
    if not meta["id"].startswith(f"{meta['pack']}_"):
        raise DetectionError(
            f"{path}: id: {meta['id']!r} must start with its pack, {meta['pack']}_"
        )
    deprecated = path.parent.name == DEPRECATED
    if (meta["status"] == "deprecated") != deprecated:
        where = f"in {DEPRECATED}/" if deprecated else f"outside {DEPRECATED}/"
        raise DetectionError(f"{path}: status: {meta['status']!r} for a detection {where}")
    for i, cited in enumerate(meta["mitre_attack"]):
        technique = cited["technique"]
        if technique not in ATTACK:
            raise DetectionError(
                f"{path}: mitre_attack[{i}].technique: {technique!r} is not an ATT&CK Enterprise "
                f"technique ({ATTACK_FILE.name})"
            )
        name, tactics = ATTACK[technique]
        if cited["name"] != name:
            raise DetectionError(
                f"{path}: mitre_attack[{i}].name: {technique} is {name!r}, not {cited['name']!r}"
            )
        if cited["tactic"] not in tactics:
            raise DetectionError(
                f"{path}: mitre_attack[{i}].tactic: {cited['tactic']!r} is not a tactic of "
                f"{technique} (one of {tactics})"
            )
    for tuning in ("threshold", "dedup"):
        for name in meta.get(tuning, {}).get("group_by", []):
            if name not in schema.GROUPABLE_COLUMNS:
                raise DetectionError(
                    f"{path}: {tuning}.group_by: {name!r} is not one of "
                    f"{list(schema.GROUPABLE_COLUMNS)}"
                )
    shape = "events" if "threshold" in meta else "event"
    for i, case in enumerate(meta["tests"]):
        if shape not in case:
            kind = (
                "a threshold detection" if "threshold" in meta else "a detection without threshold"
            )
            raise DetectionError(f"{path}: tests[{i}]: the cases of {kind} give `{shape}`")
    if not path.with_suffix(".sql").is_file():
        raise DetectionError(f"{path}: its logic, {path.with_suffix('.sql').name}, is missing")


def _shown(path: Path) -> Path:
    """`path` as messages give it: relative to the working directory when it is under it."""
    absolute = path.resolve()
    return absolute.relative_to(Path.cwd()) if absolute.is_relative_to(Path.cwd()) else path


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise DetectionError(f"{_shown(path)}: cannot be read: {error}") from None


def _check_expression(where: str, text: str, what: str) -> None:
    """Raises DetectionError unless `text` is one expression: the framework puts it in a SELECT,
    where an unbalanced parenthesis (`a) OR (b`) would let it escape (in `WHERE (...)`, match
    every event) and a statement would break the view."""
    try:
        tree = sqlglot.parse_one(text, read="snowflake")
    except sqlglot.errors.ParseError as error:
        first = str(error).splitlines()[0] if str(error) else "it does not parse"
        raise DetectionError(f"{where}: not one SQL {what}: {first}") from None
    if isinstance(tree, exp.Query) or tree.find(exp.Query) or not isinstance(tree, exp.Condition):
        raise DetectionError(
            f"{where}: not one SQL {what}: it is a {tree.key.upper()}; write only "
            f"{'what goes after WHERE' if what == 'condition' else 'an expression over the row'}"
        )
    # Over one row of the view, unqualified: an aggregate, a window function or a table's
    # alias would only fail when Snowflake compiles the view or the findings task.
    for node in tree.walk():
        if isinstance(node, exp.AggFunc | exp.Window) or (
            isinstance(node, exp.Column) and node.table
        ):
            raise DetectionError(
                f"{where}: {node.sql(dialect='snowflake')!r} does not read one row of the "
                "view; use its columns by name, without aggregates or window functions"
            )


def _condition(path: Path, condition: str) -> str:
    _check_expression(str(path), condition, "condition")
    return condition


def load_detection(path: Path) -> Detection:
    """`path` is the detection's `.yml`; its `.sql` sits beside it."""
    shown = _shown(path)
    try:
        meta = parse_yaml(_read(path))
    except yaml.YAMLError as error:
        raise DetectionError(f"{shown}: not valid YAML: {' '.join(str(error).split())}") from None
    _checked(shown, meta)
    logic = path.with_suffix(".sql")
    condition = _condition(_shown(logic), without_comments(_read(logic)))
    threshold = None
    if "threshold" in meta:
        t = meta["threshold"]
        if "distinct" in t:
            if "--" in t["distinct"] or "/*" in t["distinct"]:
                # Rendered inline, a comment would swallow what follows it.
                raise DetectionError(f"{shown}: threshold.distinct: holds a comment")
            _check_expression(f"{shown}: threshold.distinct", t["distinct"], "expression")
        threshold = Threshold(t["count"], t["window_minutes"], t["group_by"], t.get("distinct"))
    dedup = None
    if "dedup" in meta:
        dedup = Dedup(meta["dedup"]["group_by"], meta["dedup"]["window_minutes"])
    elif threshold is not None:
        dedup = Dedup(threshold.group_by, threshold.window_minutes)
    return Detection(
        id=meta["id"],
        pack=meta["pack"],
        title=meta["title"],
        severity=meta["severity"],
        status=meta["status"],
        version=meta["version"],
        updated=meta["updated"],
        cis=meta.get("cis"),
        cloudwatch_filter=meta.get("cloudwatch_filter"),
        mitre_attack=meta["mitre_attack"],
        references=meta.get("references", []),
        description=meta["description"],
        false_positives=meta["false_positives"],
        triage=meta["triage"],
        condition=condition,
        threshold=threshold,
        dedup=dedup,
        tests=[
            TestCase(t["name"], t["match"], t["events"] if threshold else [t["event"]])
            for t in meta["tests"]
        ],
    )


def load_pack(directory: Path = DETECTIONS_DIR) -> Pack:
    """Every detection of `directory`, active and deprecated, each ordered by id (its pack
    prefix first), so that adding one never reorders the others' resources."""
    stray = sorted(
        _shown(sql)
        for sql in [*directory.glob("*.sql"), *directory.glob(f"{DEPRECATED}/*.sql")]
        if not sql.with_suffix(".yml").is_file()
    )
    if stray:
        raise DetectionError(
            f"{stray[0]}: a detection's logic without its metadata ({stray[0].stem}.yml); add "
            "the .yml or remove the .sql"
        )
    active = [load_detection(path) for path in sorted(directory.glob("*.yml"))]
    deprecated = [load_detection(path) for path in sorted(directory.glob(f"{DEPRECATED}/*.yml"))]
    taken = {d.id for d in deprecated} & {d.id for d in active}
    if taken:
        raise DetectionError(
            f"{directory}: {sorted(taken)} reuse the id of a deprecated detection; give the new "
            "detection an id of its own"
        )
    return Pack(active, deprecated)


def load_detections(directory: Path = DETECTIONS_DIR) -> list[Detection]:
    """The detections to deploy and run, by id."""
    return load_pack(directory).active


def reach_minutes(detections: list[Detection]) -> int:
    """How far from the new events a threshold detection may find an event: its window."""
    return max((d.threshold.window_minutes for d in detections if d.threshold), default=0)


def findings_statement(detections: list[Detection], view_of: dict[str, str]) -> str:
    """One SELECT over every detection's findings (`view_of`: id -> its view's fully qualified
    name, or its `select` in parentheses), with the detection's id, severity and dedup_key
    (FINDING_KEYS), each event (by its identity, eventHash) reported once per detection however
    the detection's SQL is written: the findings MERGE inserts every row it does not match, so
    two rows for one event would land as two findings."""
    columns = ", ".join(c.name for c in schema.DETECTED_COLUMNS)
    branches = "\nUNION ALL\n".join(
        f"SELECT '{d.id}' AS detection, '{d.severity}' AS severity, {columns}, "
        f"{d.dedup_key()} AS dedup_key FROM {view_of[d.id]}"
        for d in detections
    )
    return (
        f"SELECT detection, severity, {columns}, dedup_key\n"
        f"FROM (\n{branches}\n)\n"
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY detection, eventHash ORDER BY eventTime) = 1"
    )


_CATALOGUE_COLUMNS = (
    "id",
    "pack",
    "title",
    "severity",
    "status",
    "CIS v1.4-v5.0 (v6.0+)",
    "ATT&CK",
    "threshold; dedup",
    "version",
    "updated",
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def catalogue(pack: Pack) -> str:
    """docs/detection-catalogue.md: every detection, one row each, from its metadata."""
    lines = [
        "# Detection catalogue",
        "",
        "Generated from `sql/detections/*.yml` by `python -m lib.detections --catalogue`",
        "(`make docs`); do not edit. How to add a detection: "
        "[writing-detections.md](writing-detections.md).",
    ]
    for heading, detections in (("Active", pack.active), ("Deprecated", pack.deprecated)):
        lines += ["", f"## {heading} ({len(detections)})", ""]
        if not detections:
            lines.append("None.")
            continue
        lines += [f"| {' | '.join(_CATALOGUE_COLUMNS)} |", "|---" * len(_CATALOGUE_COLUMNS) + "|"]
        for d in detections:
            cis = f"{d.cis['v1.4-v5.0']} ({d.cis['v6.0+']})" if d.cis else ""
            attack = ", ".join(sorted({t["technique"] for t in d.mitre_attack}))
            lines.append(
                f"| `{d.id}` | {d.pack} | {_cell(d.title)} | {d.severity} | {d.status} | {cis} "
                f"| {attack} | {_cell(d.tuning)} | {d.version} | {d.updated} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lib.detections", description="Check the detection pack."
    )
    parser.add_argument(
        "--catalogue", action="store_true", help="print docs/detection-catalogue.md"
    )
    args = parser.parse_args(argv)
    try:
        pack = load_pack()
    except DetectionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.catalogue:
        sys.stdout.write(catalogue(pack))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
