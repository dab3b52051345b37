"""`python -m detect`: the detection packs (CIS and threat) on CloudTrail log files, with no
Snowflake account.

python -m detect PATH... [--format table|jsonl|csv] [--detections id,...] [--summary]
                         [--suppressions FILE] [--memory-limit SIZE] [--batch-files N]
python -m detect generate OUT_DIR [--events N] [--seed N]
python -m detect list
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import duckdb

from detect import generate, report
from detect.engine import LANDING_FILES, Engine, FileProblem, os_reason
from detect.sources import Inputs, collect
from lib.detections import Detection, DetectionError, load_detections
from lib.suppressions import Suppression, SuppressionError, load_suppressions

# What DuckDB may take before it writes to disk: the events landed so far past it, and the work
# of a batch (--batch-files). With the interpreter and the libraries, a run stays under 1 GiB
# whatever the size of its input; less writes most of a batch's landing to disk
# (bench/README.md).
DEFAULT_MEMORY_LIMIT = "640MB"

EXIT_OK = 0
EXIT_UNREADABLE = 1
"""Some input could not be read, whole or in part; the findings of everything else were printed."""
EXIT_USAGE = 2
EXIT_UNFINISHED = 3
"""The run could not finish: the findings could not be written, memory ran out, or a detection
file is invalid."""

_EPILOG = """\
exit status: 0 all input read (repairs are warned about); 1 some file, or part of one, could not
be read (named on stderr, the findings of the rest are printed); 2 bad usage, or an invalid
--suppressions file (checked before any input is read); 3 could not finish (output not writable,
out of memory: see --memory-limit and --batch-files, or an invalid detection file under
sql/detections/); 130
interrupted (Ctrl-C).

PATH is a CloudTrail log file (.json.gz or .json, {"Records": [...]}, or one JSON object per
line: log files or events), a folder (searched recursively, links followed, e.g. the AWSLogs/
tree of a trail's bucket) or s3://bucket/prefix (the standard AWS credential chain). Digest and
Insights files are skipped. An event delivered twice is reported once.

The first run translates the landing and findings SQL for the embedded engine (about 2 s) and
keeps the translation in $XDG_CACHE_HOME/cloudtrail-snowflake/translations (~/.cache/...) for
the next runs; the folder may be deleted at any time.
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


def translations_folder() -> Path | None:
    """Where runs keep fakesnow's translation of the MERGEs for the next (`Engine`): the
    user's cache folder as the XDG convention names it. None without a home folder."""
    cache = os.environ.get("XDG_CACHE_HOME")
    try:
        base = Path(cache) if cache else Path.home() / ".cache"
    except RuntimeError:
        return None
    return base / "cloudtrail-snowflake" / "translations"


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


def run(
    args: argparse.Namespace,
    detections: list[Detection],
    suppressions: list[Suppression],
    out: TextIO,
    err: TextIO,
) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="detect-") as workdir:
        inputs = collect(args.paths, Path(workdir), args.endpoint_url)
        progress = Progress(len(inputs.files), err)
        try:
            engine = Engine(detections, translations=translations_folder())
            engine.suppress(suppressions)
            engine.limit_memory(args.memory_limit, str(Path(workdir) / "spill"))
            loaded = engine.run(inputs.files, args.batch_files, progress.advance)
            findings = engine.persisted_findings()
            events = engine.event_count()
            odd = engine.odd_events()
        except (duckdb.OutOfMemoryException, MemoryError) as error:
            progress.finish("stopped")
            err.write(f"detect: {_out_of_memory(error, args)}\n")
            return EXIT_UNFINISHED
    progress.finish(f"{len(inputs.files)} files read")

    def write() -> None:
        if args.summary:
            report.write_summary(findings, detections, out)
        else:
            report.write_findings(findings, detections, args.format, out)

    unwritten = _written(write, out)
    problems = inputs.errors + loaded
    for problem in problems:
        err.write(f"detect: {_describe(problem, inputs)}\n")
    unreadable = sum(problem.lost == "file" for problem in problems)
    read = len(inputs.files) - sum(problem.lost == "file" for problem in loaded)
    if odd:
        counts = ", ".join(f"{count} with {what}" for what, count in sorted(odd.items()))
        err.write(f"detect: odd events, landed and examined like the others: {counts}\n")
    outcomes = report.outcomes(findings)
    err.write(
        f"detect: {events} events from {read} files, {len(findings)} findings "
        f"({outcomes['alerted']} alerted, {outcomes['suppressed']} suppressed, "
        f"{outcomes['duplicate']} duplicates), {len(inputs.skipped)} digest/insight files skipped, "
        f"{unreadable} unreadable ({time.perf_counter() - started:.1f} s)\n"
    )
    if unwritten:
        err.write(f"detect: cannot write the findings: {unwritten}\n")
        return EXIT_UNFINISHED
    return EXIT_UNREADABLE if any(p.lost != "nothing" for p in problems) else EXIT_OK


def _written(write: Callable[[], None], out: TextIO) -> str | None:
    """Calls `write` and flushes `out`; returns why the output could not be written, if so. A
    closed pipe is the reader stopping early (`| head`), not a failure: what follows must
    still reach stderr and set the exit status."""
    try:
        write()
        out.flush()
    except BrokenPipeError:
        pass
    except OSError as error:
        return os_reason(error)
    return None


def _describe(problem: FileProblem, inputs: Inputs) -> str:
    name = inputs.names.get(problem.path, problem.path)
    if problem.lost == "file":
        return f"cannot read {name}: {problem.reason}"
    if problem.lost == "part":
        return f"cannot read part of {name}: {problem.reason}"
    return f"warning: {name}: {problem.reason}"


def _out_of_memory(error: BaseException, args: argparse.Namespace) -> str:
    limit = f"--memory-limit (now {args.memory_limit})"
    batch = f"--batch-files (now {args.batch_files})"
    if isinstance(error, MemoryError):
        return (
            f"out of memory: lower {limit} so that DuckDB writes to disk sooner and leaves "
            f"memory to the rest, or lower {batch}"
        )
    detail = str(error).splitlines()[0].removeprefix("Out of Memory Error: ")
    return f"out of memory ({detail}): raise {limit}, or lower {batch}"


def _memory_size(value: str) -> str:
    """`--memory-limit`: a size as DuckDB's memory_limit setting takes it."""
    with duckdb.connect() as probe:
        try:
            probe.execute("SET memory_limit = ?", [value])
        except duckdb.Error:
            raise argparse.ArgumentTypeError(
                f"{value!r} is not a size; e.g. 2GB, 500MB, 4GiB"
            ) from None
    return value


def _positive(value: str) -> int:
    """`--batch-files`: a whole number, 1 or more."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of files, 1 or more")
    return number


def list_detections(out: TextIO, err: TextIO) -> int:
    detections = load_detections()
    unwritten = _written(lambda: report.write_detections(detections, out), out)
    if unwritten:
        err.write(f"detect: cannot write the list: {unwritten}\n")
        return EXIT_UNFINISHED
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("run", "generate", "list", "-h", "--help"):
        argv.insert(0, "run")
    parser = argparse.ArgumentParser(
        prog="python -m detect",
        description="Run the detections on CloudTrail log files: the CIS AWS Foundations "
        "monitoring pack and the threat pack.",
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
    run_parser.add_argument(
        "--suppressions",
        metavar="FILE",
        type=Path,
        help="a suppressions file, as the stack's suppressionsFile (docs/detections.md#suppressions"
        ", suppressions.example.yml): the findings it matches are reported suppressed, not alerted",
    )
    run_parser.add_argument("--endpoint-url", help="for s3:// paths on an S3-compatible store")
    run_parser.add_argument(
        "--memory-limit",
        type=_memory_size,
        default=DEFAULT_MEMORY_LIMIT,
        metavar="SIZE",
        help=f"the most memory DuckDB takes, e.g. 2GB ({DEFAULT_MEMORY_LIMIT}); past it, it "
        "writes to the temporary folder ($TMPDIR) instead",
    )

    run_parser.add_argument(
        "--batch-files",
        type=_positive,
        default=LANDING_FILES,
        metavar="N",
        help=f"log files loaded and landed at a time ({LANDING_FILES}); fewer take less memory",
    )

    gen_parser = commands.add_parser("generate", help="write synthetic CloudTrail log files")
    generate.add_arguments(gen_parser)
    commands.add_parser("list", help="list the detections")

    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            return generate.main(args, err)
        if args.command == "list":
            return list_detections(out, err)
        active = load_detections()
    except DetectionError as error:
        err.write(f"detect: invalid detection pack: {error}\n")
        return EXIT_UNFINISHED
    detections = _select(active, args.detections)
    if isinstance(detections, str):
        parser.error(detections)
    suppressions: list[Suppression] = []
    if args.suppressions is not None:
        # Checked against every detection, not only the selected ones: the same file serves
        # every run, as it serves the stack. Before any input is read, which may take long.
        try:
            suppressions = load_suppressions(args.suppressions, {d.id for d in active})
        except SuppressionError as error:
            err.write(f"detect: {error}\n")
            return EXIT_USAGE
    return run(args, detections, suppressions, out, err)
