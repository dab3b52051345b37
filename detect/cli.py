"""`python -m detect`: the CIS detection pack on CloudTrail log files, with no Snowflake account.

python -m detect PATH... [--format table|jsonl|csv] [--detections id,...] [--summary]
python -m detect generate OUT_DIR [--events N] [--seed N]
python -m detect list
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from detect import generate, report
from detect.engine import Engine, FileProblem
from detect.sources import Inputs, collect
from lib.detections import Detection, load_detections

EXIT_OK = 0
EXIT_UNREADABLE = 1
"""Some input could not be read, whole or in part; the findings of everything else were printed."""
EXIT_USAGE = 2

_EPILOG = """\
exit status: 0 all input read (repairs are warned about); 1 some file, or part of one, could not
be read (named on stderr, the findings of the rest are printed); 2 bad usage.

PATH is a CloudTrail log file (.json.gz or .json, {"Records": [...]}, or one JSON object per
line: log files or events), a folder (searched recursively, links followed, e.g. the AWSLogs/
tree of a trail's bucket) or s3://bucket/prefix (the standard AWS credential chain). Digest and
Insights files are skipped. An event delivered twice is reported once.
"""


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.enabled = stream.isatty() and total > 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.enabled:
            filled = 30 * self.done // self.total
            bar = "#" * filled + "." * (30 - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} files")
            self.stream.flush()

    def finish(self, message: str) -> None:
        if self.enabled:
            self.stream.write(f"\r{message}".ljust(50) + "\n")


def _select(detections: list[Detection], wanted: str | None) -> list[Detection] | str:
    """The detections named in `--detections`, or what is wrong with the list."""
    if wanted is None:
        return detections
    ids = [i.strip() for i in wanted.split(",") if i.strip()]
    unknown = sorted(set(ids) - {d.id for d in detections})
    if unknown or not ids:
        named = ", ".join(unknown) or repr(wanted)
        return f"unknown detection {named}; `python -m detect list` shows them"
    return [d for d in detections if d.id in ids]


def run(args: argparse.Namespace, detections: list[Detection], out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="detect-") as workdir:
        inputs = collect(args.paths, Path(workdir), args.endpoint_url)
        progress = Progress(len(inputs.files), err)
        engine = Engine(detections)
        loaded = engine.load(inputs.files, progress.advance)
        findings = engine.findings()
        events = engine.event_count()
    progress.finish(f"{len(inputs.files)} files read")

    if args.summary:
        report.write_summary(findings, detections, out)
    else:
        report.write_findings(findings, detections, args.format, out)
    problems = inputs.errors + loaded
    for problem in problems:
        err.write(f"detect: {_describe(problem, inputs)}\n")
    unreadable = sum(problem.lost == "file" for problem in problems)
    read = len(inputs.files) - sum(problem.lost == "file" for problem in loaded)
    err.write(
        f"detect: {events} events from {read} files, "
        f"{len(findings)} findings, {len(inputs.skipped)} digest/insight files skipped, "
        f"{unreadable} unreadable ({time.perf_counter() - started:.1f} s)\n"
    )
    return EXIT_UNREADABLE if any(p.lost != "nothing" for p in problems) else EXIT_OK


def _describe(problem: FileProblem, inputs: Inputs) -> str:
    name = inputs.names.get(problem.path, problem.path)
    if problem.lost == "file":
        return f"cannot read {name}: {problem.reason}"
    if problem.lost == "part":
        return f"cannot read part of {name}: {problem.reason}"
    return f"warning: {name}: {problem.reason}"


def list_detections(out: TextIO) -> int:
    for d in load_detections():
        out.write(f"{d.id:<34} CIS {d.cis['v1.4-v5.0']:<5} {d.severity:<8} {d.title}\n")
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("run", "generate", "list", "-h", "--help"):
        argv.insert(0, "run")
    parser = argparse.ArgumentParser(
        prog="python -m detect",
        description="Run the CIS AWS Foundations monitoring detections on CloudTrail log files.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run_parser = commands.add_parser(
        "run",
        help="run the detections (the default command)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="log file, folder or s3://bucket/prefix"
    )
    run_parser.add_argument(
        "--format", choices=report.FORMATS, default="table", help="output format (table)"
    )
    run_parser.add_argument("--detections", metavar="ID,...", help="only these detections")
    run_parser.add_argument(
        "--summary", action="store_true", help="one line per detection instead of every finding"
    )
    run_parser.add_argument("--endpoint-url", help="for s3:// paths on an S3-compatible store")

    gen_parser = commands.add_parser("generate", help="write synthetic CloudTrail log files")
    generate.add_arguments(gen_parser)
    commands.add_parser("list", help="list the detections")

    args = parser.parse_args(argv)
    if args.command == "generate":
        return generate.main(args, err)
    if args.command == "list":
        return list_detections(out)
    detections = _select(load_detections(), args.detections)
    if isinstance(detections, str):
        parser.error(detections)
    return run(args, detections, out, err)
