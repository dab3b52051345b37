"""`python -m ops`: a deployed stack's health, and the load of older log files.

python -m ops status   [--stack NAME | connection flags] [--json] [--silence-minutes N]
                       [--lag-minutes N]
python -m ops backfill [--stack NAME | connection flags] --since DATE [--until DATE] [--dry-run]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from ops import backfill, health
from ops.session import QueryError, Session
from ops.settings import (
    PROJECT_DIR,
    Connection,
    Options,
    Settings,
    SettingsError,
    connect,
    connection,
    resolve,
)

EXIT_OK = 0
EXIT_DEGRADED = 1
"""status: degraded; backfill: some file failed to load (named on stderr)."""
EXIT_DOWN = 2
"""status: down, or the status could not be read; backfill: bad usage or no connection."""
EXIT_INTERRUPTED = 130

_STATUS_EPILOG = """\
exit status: 0 healthy; 1 degraded (files failed, partially loaded or were skipped in the last
24 h, a task's last run failed, the pipe reports an error, or the events task is behind the pipe
by more than --lag-minutes); 2 down (the pipe is not RUNNING, it loaded no file within
--silence-minutes, a task is missing or suspended), or no answer: bad usage, no connection, a
query refused (one line on stderr says which). Cron and monitors: alert on non-zero, page on 2.
"""

_BACKFILL_EPILOG = """\
Loads the log files of each day from --since to --until (UTC, both included) with the pipe's own
COPY, day by day; days within the pipe's 7-day REFRESH window are left to ALTER PIPE ... REFRESH,
run at the end. Safe to run again: files this COPY loaded in the last 64 days are skipped, and an
event loaded twice (by the pipe and a backfill) lands once in CLOUDTRAIL_EVENTS.

exit status: 0 every file loaded or skipped as already loaded; 1 some file failed or partially
loaded (named on stderr); 2 bad usage, bad dates, no connection, or a statement refused.
"""


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD") from None


def _minutes(value: str) -> int:
    try:
        minutes = int(value)
    except ValueError:
        minutes = 0
    if minutes < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of minutes (1 or more)")
    return minutes


def _connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "connection",
        "With --stack, names come from Pulumi.NAME.yaml as the program derives them; without, "
        "from these flags or SNOWFLAKE_DATABASE, SNOWFLAKE_SCHEMA, SNOWFLAKE_ROLE, "
        "SNOWFLAKE_WAREHOUSE. The account and user come from the flags, the stack file or "
        "SNOWFLAKE_ACCOUNT (or SNOWFLAKE_ORGANIZATION_NAME and SNOWFLAKE_ACCOUNT_NAME) and "
        "SNOWFLAKE_USER. Secrets are encrypted in the stack file, so they come from "
        "SNOWFLAKE_PRIVATE_KEY_FILE, SNOWFLAKE_PRIVATE_KEY (+ SNOWFLAKE_PRIVATE_KEY_PASSPHRASE) "
        "or SNOWFLAKE_PASSWORD.",
    )
    group.add_argument("--stack", metavar="NAME", help="read the names from Pulumi.NAME.yaml")
    group.add_argument("--account", help="account identifier, <org>-<account>")
    group.add_argument("--user")
    group.add_argument("--role", help="default: the stack's snowflakeOwnerRole")
    group.add_argument("--warehouse", help="default: the stack's snowflakeWarehouse")
    group.add_argument("--database", help="default: the stack's snowflakeDatabase")
    group.add_argument("--schema", help="default: the stack's snowflakeSchema")
    group.add_argument("--private-key-file", metavar="PATH", help="the user's PKCS#8 key")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops",
        description="Check a deployed stack's pipeline, and load older CloudTrail log files.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    status = commands.add_parser(
        "status",
        help="pipe, load errors, tasks, event lag and findings; exit 0/1/2",
        epilog=_STATUS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("--json", action="store_true", help="one JSON document, for machines")
    status.add_argument(
        "--silence-minutes",
        type=_minutes,
        default=60,
        metavar="N",
        help="down when the pipe loaded no file for longer (default 60; CloudTrail delivers "
        "about every 5 minutes per region)",
    )
    status.add_argument(
        "--lag-minutes",
        type=_minutes,
        metavar="N",
        help="degraded when the events task is behind the pipe by more (default three times "
        "the stack's eventsIntervalMinutes)",
    )
    _connection_arguments(status)
    load = commands.add_parser(
        "backfill",
        help="load log files older than the pipe's REFRESH window, day by day",
        epilog=_BACKFILL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("--since", type=_day, required=True, metavar="DATE", help="YYYY-MM-DD, UTC")
    load.add_argument(
        "--until", type=_day, metavar="DATE", help="YYYY-MM-DD, UTC, included (default today)"
    )
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="print the days and the statements, without connecting",
    )
    _connection_arguments(load)
    return parser


def _options(args: argparse.Namespace) -> Options:
    return Options(
        stack=args.stack,
        account=args.account,
        user=args.user,
        role=args.role,
        warehouse=args.warehouse,
        database=args.database,
        schema=args.schema,
        private_key_file=args.private_key_file,
    )


Connect = Callable[[Connection], Session]


def status(
    args: argparse.Namespace, settings: Settings, session: Session, now: datetime, out: TextIO
) -> int:
    lag = args.lag_minutes or 3 * settings.config.events_interval_minutes
    thresholds = health.Thresholds(
        silence=timedelta(minutes=args.silence_minutes), lag=timedelta(minutes=lag)
    )
    facts = health.gather(session, settings.location)
    checks = health.classify(facts, thresholds, now)
    if args.json:
        out.write(json.dumps(health.report(facts, checks, now), indent=2) + "\n")
    else:
        out.write(health.table(facts, checks))
    return health.STATUSES.index(health.overall(checks))


def run_backfill(plan: backfill.Plan, settings: Settings, session: Session, err: TextIO) -> int:
    def progress(line: str) -> None:
        err.write(f"ops: {line}\n")
        err.flush()

    results = backfill.run(session, settings.location, plan, progress)
    loaded = sum(r.loaded for r in results)
    skipped = sum(r.skipped for r in results)
    broken = sum(r.failed + r.partially_loaded for r in results)
    err.write(
        f"ops: backfill done: {loaded} files loaded, {skipped} skipped as already loaded, "
        f"{broken} failed or partially loaded, over {len(results)} days. Events loaded twice "
        "(by the pipe and this COPY) land once in CLOUDTRAIL_EVENTS.\n"
    )
    return EXIT_DEGRADED if broken else EXIT_OK


def main(
    argv: Sequence[str] | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    env: Mapping[str, str] | None = None,
    connect_to: Connect = connect,
    now: datetime | None = None,
    project_dir: Path = PROJECT_DIR,
) -> int:
    parser = _parser()
    try:
        # argparse writes its help and usage errors to sys.stdout and sys.stderr.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    env = os.environ if env is None else env
    now = now or datetime.now(UTC)
    options = _options(args)
    try:
        settings = resolve(options, env, project_dir)
        if args.command == "backfill":
            plan = backfill.plan(args.since, args.until or now.date(), now.date())
            for line in backfill.describe(plan):
                err.write(f"ops: {line}\n")
            if args.dry_run:
                for statement in backfill.plan_statements(plan, settings.location):
                    out.write(f"{statement};\n\n")
                return EXIT_OK
        session = connect_to(connection(settings, options, env))
    except (SettingsError, backfill.PlanError) as error:
        err.write(f"ops: {error}\n")
        return EXIT_DOWN
    try:
        if args.command == "status":
            return status(args, settings, session, now, out)
        return run_backfill(plan, settings, session, err)
    except QueryError as error:
        role, where = settings.config.snowflake_owner_role, settings.location
        err.write(
            f"ops: Snowflake refused a statement: {error} (role {role} on "
            f"{where.database}.{where.schema}; see --role)\n"
        )
        return EXIT_DOWN
    finally:
        session.close()
