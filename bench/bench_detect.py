"""Benchmark: the detection runner against a plain-DuckDB single pass over the same files.

    python bench/bench_detect.py [--events 200000] [--events-per-file 1000] [--repeat 3]
    python bench/bench_detect.py --scale 200000,1000000,2000000 [--logs DIR] [--repeat 1]

Generates the log files (gzip, CloudTrail layout), then runs, each in a fresh process so that
peak memory is its own: the runner in-process (engine start, load, all detections, the findings
MERGE), the runner end to end (`python -m detect ... --format jsonl`, interpreter start and
imports included), and DuckDB alone reading the same files and evaluating every detection's
condition in one pass, translated to DuckDB by sqlglot, over just the fields they read, with each
threshold detection's windowed count as a self-join of its events. The findings must be
identical; the figures are printed. With --scale, the same end to end and against the same
baseline at each number of events: wall time, events/s, peak RSS, the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detect import generate  # noqa: E402


@dataclass(frozen=True)
class Windowed:
    """A threshold detection as the baseline counts it: DuckDB expressions over the struct `e`
    of each event."""

    count: int
    window_minutes: int
    groups: list[str]
    """The group_by columns' values (EQUAL_NULL: a missing value is a group)."""
    counted: str
    """What is counted, distinct, in the window: the threshold's `distinct` expression, or the
    event (its eventID: CloudTrail's duplicates share it)."""


def baseline_plan() -> tuple[dict[str, str], dict[str, Windowed], dict[str, Any]]:
    """Each detection's condition as a DuckDB predicate over a struct `e` of each event; the
    thresholds, translated the same way (`distinct`, and each group_by column's path from
    lib.schema.DETECTED_COLUMNS); and that struct's shape: just the fields they read, a path
    into a nested object (`userIdentity:type::string`) as a struct field
    (`e.userIdentity.type`), read as text."""
    import sqlglot
    from sqlglot import exp

    from lib.detections import load_detections
    from lib.schema import DETECTED_COLUMNS

    shape: dict[str, Any] = {"eventID": "VARCHAR", "eventTime": "VARCHAR"}

    def to_duckdb(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.JSONExtract):
            # The struct field is text already.
            return to_duckdb(node.this)
        if isinstance(node, exp.JSONExtract) and isinstance(node.this, exp.Column):
            keys = [str(step.this) for step in node.expression.expressions[1:]]
            level = shape.setdefault(node.this.name, {})
            for key in keys[:-1]:
                level = level.setdefault(key, {})
            level[keys[-1]] = "VARCHAR"
            return exp.Dot.build(
                [exp.column(node.this.name, table="e"), *map(exp.to_identifier, keys)]
            )
        if isinstance(node, exp.Column) and not node.table:
            shape.setdefault(node.name, "VARCHAR")
            return exp.column(node.name, table="e")
        return node

    def translated(snowflake: str) -> str:
        return sqlglot.parse_one(snowflake, read="snowflake").transform(to_duckdb).sql("duckdb")

    paths = {c.name: c.expression or c.name for c in DETECTED_COLUMNS}
    detections = load_detections()
    filters = {d.id: translated(d.condition) for d in detections}
    thresholds = {
        d.id: Windowed(
            t.count,
            t.window_minutes,
            [translated(paths[name]) for name in t.group_by],
            translated(t.distinct) if t.distinct is not None else "e.eventID",
        )
        for d in detections
        if (t := d.threshold) is not None
    }
    return filters, thresholds, shape


def log_files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*_CloudTrail_*.json.gz"))


def windowed_sql(detection: str, predicate: str, rule: Windowed) -> str:
    """The findings (detection, eventID) of a threshold detection over `events`: each event that
    meets the condition and lies in a window of `window_minutes` (inclusive; an event without a
    parsable time is in none) holding `count` distinct values of what is counted among the
    events of its group that meet it (NULL is not counted). Such a window can be taken to end
    at an event: the windows ending at each event are counted, then each event is kept if one
    that holds enough ends at most `window_minutes` after it."""
    groups = "".join(f", {g} AS g{i}" for i, g in enumerate(rule.groups))
    keys = "".join(f", e.g{i}" for i in range(len(rule.groups)))

    def same(a: str, b: str) -> str:
        return "".join(
            f" AND {a}.g{i} IS NOT DISTINCT FROM {b}.g{i}" for i in range(len(rule.groups))
        )

    return f"""
        WITH met AS (
            SELECT number, e.eventID AS eventID, event_time{groups}, {rule.counted} AS counted
            FROM events WHERE ({predicate})
        ), full_windows AS (
            SELECT e.event_time{keys}
            FROM met AS e INNER JOIN met AS h
                ON h.event_time BETWEEN e.event_time - INTERVAL {rule.window_minutes} MINUTE
                    AND e.event_time{same("h", "e")}
            GROUP BY e.number, e.event_time{keys}
            HAVING COUNT(DISTINCT h.counted) >= {rule.count}
        )
        SELECT DISTINCT '{detection}' AS detection, c.eventID
        FROM met AS c INNER JOIN full_windows AS w
            ON w.event_time BETWEEN c.event_time
                AND c.event_time + INTERVAL {rule.window_minutes} MINUTE{same("w", "c")}
    """


def measure_duckdb(folder: Path) -> dict[str, Any]:
    import duckdb

    files = log_files(folder)
    filters, thresholds, event = baseline_plan()
    started = time.perf_counter()
    cases = ", ".join(
        f"CASE WHEN ({p}) THEN '{d}' END" for d, p in filters.items() if d not in thresholds
    )
    windowed = "".join(
        f"UNION ALL ({windowed_sql(d, filters[d], rule)})" for d, rule in thresholds.items()
    )
    structure = json.dumps({"Records": [event]})
    # The events parsed once: the single pass over them finds the detections without threshold,
    # and each threshold detection joins its events to those of their group.
    rows = (
        duckdb.connect()
        .execute(
            f"""
            WITH events AS MATERIALIZED (
                SELECT e, TRY_CAST(e.eventTime AS TIMESTAMPTZ) AS event_time,
                    row_number() OVER () AS number
                FROM (
                    SELECT unnest(from_json(json, '{structure}').Records) AS e
                    FROM read_json_objects(?, format = 'auto')
                )
            ), hits AS (
                SELECT unnest([{cases}]) AS detection, e.eventID FROM events
                {windowed}
            )
            SELECT DISTINCT ON (detection, eventID) * FROM hits WHERE detection IS NOT NULL
            """,
            [files],
        )
        .fetchall()
    )
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "findings": sorted([r[0], r[1]] for r in rows)}


def measure_runner(folder: Path) -> dict[str, Any]:
    from detect.cli import DEFAULT_MEMORY_LIMIT, translations_folder
    from detect.engine import Engine
    from detect.sources import collect
    from lib.detections import load_detections

    # Loaded before the clock starts, as the baseline's plan is made from them before its own.
    detections = load_detections()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        inputs = collect([str(folder)], Path(workdir))
        engine = Engine(detections, translations=translations_folder())
        engine.limit_memory(DEFAULT_MEMORY_LIMIT, str(Path(workdir) / "spill"))
        errors = engine.run(inputs.files)
        findings = engine.persisted_findings()
    seconds = time.perf_counter() - started
    assert not errors, errors
    return {
        "seconds": seconds,
        "events": engine.event_count(),
        "findings": sorted([f["detection"], f["eventID"]] for f in findings),
    }


def child(*argv: str) -> tuple[str, float, float]:
    """Runs argv in a fresh process: its output, wall seconds and its own peak RSS (MiB)."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"{' '.join(argv)} failed with {process.returncode}")
        out.seek(0)
        text = out.read()
    return text, wall, usage.ru_maxrss / 1024


def cli_findings(jsonl: str) -> list[list[str]]:
    """(detection, eventID) of each finding `python -m detect --format jsonl` printed."""
    return sorted([r["detection"], r["eventID"]] for r in map(json.loads, jsonl.splitlines()))


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def scale(sizes: list[int], events_per_file: int, logs: Path | None, repeat: int) -> None:
    """For each size: `python -m detect --format jsonl` end to end and the DuckDB baseline, each
    in a fresh process (its own peak RSS), the findings compared; a line per size. `logs` keeps
    the generated files between invocations (a folder per size), which take minutes to write
    at millions of events."""
    print(
        f"{'events':>10}{'files':>7}{'findings':>10}{'seconds':>9}{'events/s':>10}"
        f"{'peak RSS MiB':>14}{'DuckDB s':>10}{'DuckDB MiB':>12}{'ratio':>7}  load average"
    )
    first = True
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
            folder = (logs or Path(scratch)) / f"{size}-{events_per_file}"
            if not folder.exists():
                generate.write(folder, size, events_per_file, seed=1)
            files = log_files(folder)
            events = event_count(files)
            if first:
                # The translations are made once, as by a user's first run: the figures are
                # those of the runs after it.
                _, seconds, _ = child(
                    sys.executable, "-m", "detect", str(folder), "--format", "jsonl"
                )
                print(f"(first run, translating: {seconds:.1f} s at {events} events)")
                first = False
            before = load_average()
            runs = []
            for _ in range(repeat):
                baseline = child(sys.executable, __file__, "--measure", "duckdb", str(folder))
                cli = child(sys.executable, "-m", "detect", str(folder), "--format", "jsonl")
                runs.append((baseline, cli))
            found = cli_findings(runs[0][1][0])
            expected = json.loads(runs[0][0][0])["findings"]
            assert found == expected, f"the runner and DuckDB disagree at {size} events"
            seconds = statistics.median(c[1] for _, c in runs)
            baseline_seconds = statistics.median(json.loads(b[0])["seconds"] for b, _ in runs)
            print(
                f"{events:>10}{len(files):>7}{len(found):>10}{seconds:>9.1f}"
                f"{events / seconds:>10.0f}{max(c[2] for _, c in runs):>14.0f}"
                f"{baseline_seconds:>10.1f}{max(b[2] for b, _ in runs):>12.0f}"
                f"{baseline_seconds / seconds:>7.2f}  {before} -> {load_average()}",
                flush=True,
            )


def event_count(files: list[str]) -> int:
    """The records of `files`, duplicates included (what the runner reports as events)."""
    import duckdb

    shape = json.dumps({"Records": ["JSON"]})
    (count,) = duckdb.connect().execute(
        f"SELECT sum(len(from_json(json, '{shape}').Records)) FROM read_json_objects(?)", [files]
    ).fetchone() or (0,)
    return int(count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--events-per-file", type=int, default=1000)
    parser.add_argument(
        "--repeat", type=int, help="runs of each; the median is reported (3; 1 with --scale)"
    )
    parser.add_argument(
        "--scale",
        metavar="N,N,...",
        help="instead: `python -m detect` and DuckDB at each number of events, e.g. "
        "200000,1000000,2000000 (wall seconds, events/s, peak RSS, ratio)",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        metavar="DIR",
        help="with --scale: keep the generated log files here, and reuse them",
    )
    parser.add_argument("--measure", choices=("runner", "duckdb"), help=argparse.SUPPRESS)
    parser.add_argument("folder", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure = measure_runner if args.measure == "runner" else measure_duckdb
        print(json.dumps(measure(args.folder)))
        return 0
    # The runner's translations (`translations_folder`) in a folder of the benchmark's own,
    # which every measured process inherits: the first run makes them, as a user's first run
    # does, the others reuse them.
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        return benchmark(args)


def benchmark(args: argparse.Namespace) -> int:
    if args.scale:
        sizes = [int(size) for size in args.scale.split(",")]
        scale(sizes, args.events_per_file, args.logs, args.repeat or 1)
        return 0
    args.repeat = args.repeat or 3

    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        summary = generate.write(Path(folder), args.events, args.events_per_file, seed=1)
        me = [sys.executable, __file__, "--measure"]
        cli = [sys.executable, "-m", "detect", folder, "--format", "jsonl"]
        runs = [
            (child(*me, "duckdb", folder), child(*me, "runner", folder), child(*cli))
            for _ in range(args.repeat)
        ]

    baseline_out, runner_out = runs[0][0][0], runs[0][1][0]
    baseline_seconds = statistics.median([json.loads(b[0])["seconds"] for b, _, _ in runs])
    runner_seconds = statistics.median([json.loads(r[0])["seconds"] for _, r, _ in runs])
    cli_wall = statistics.median([c[1] for _, _, c in runs])
    baseline_rss = max(b[2] for b, _, _ in runs)
    runner_rss = max(r[2] for _, r, _ in runs)
    cli_rss = max(c[2] for _, _, c in runs)
    baseline, runner = json.loads(baseline_out), json.loads(runner_out)
    assert runner["findings"] == baseline["findings"], "the runner and DuckDB disagree"
    events = summary.events
    print(
        f"{events} events in {summary.files} files, {len(runner['findings'])} findings "
        f"(identical); median of {args.repeat} runs, largest peak RSS"
    )
    print(f"{'':34}{'seconds':>9}{'events/s':>11}{'peak RSS MiB':>14}")
    rows = (
        ("runner (engine, in-process)", runner_seconds, runner_rss),
        ("runner (python -m detect, CLI)", cli_wall, cli_rss),
        ("plain DuckDB, one pass", baseline_seconds, baseline_rss),
    )
    for label, seconds, rss in rows:
        print(f"{label:34}{seconds:9.2f}{events / seconds:11.0f}{rss:14.0f}")
    print(f"ratio runner/DuckDB (events/s): {baseline_seconds / runner_seconds:.2f}")
    cold = json.loads(runs[0][1][0])["seconds"]
    print(f"the runner's first run, which makes the translations: {cold:.2f} s in-process")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
