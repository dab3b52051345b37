"""`python -m ops`: a deployed stack's health, and the load of older log files.

python -m ops status   [--stack NAME | connection flags] [--json]
python -m ops backfill [--stack NAME | connection flags] --since DATE [--until DATE] [--dry-run]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
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
The checks are the rows of the deployed PIPELINE_HEALTH view, the ones the health alert and the
dashboards read, with its thresholds: silenceMinutes and 3 x eventsIntervalMinutes, the stack's
settings when it was last deployed (change them with pulumi config set, then pulumi up). Added:
task_state, each task's state in SHOW TASKS (down when missing or not started, which the view
cannot see), and as information the pipe's pending files and last loaded file, and the findings
of the last 24 h by severity. docs/operations.md, "Pipeline health", says what each check means.

exit status: the worst check: 0 ok; 1 degraded; 2 down, or no answer: bad usage, no connection,
a statement refused, or no PIPELINE_HEALTH view (a stack deployed before it: run pulumi up); one
line on stderr says which. Cron and monitors: alert on non-zero, page on 2.
"""

_BACKFILL_EPILOG = """\
Lists the stage once for the range, then loads the log files of each day from --since to
--until (UTC, both included) with the pipe's own COPY naming them (FILES, 1,000 a COPY at most),
day by day; days within the pipe's 7-day REFRESH window are left to ALTER PIPE ... REFRESH, run
at the end. Safe to run again: files this COPY loaded in the last 64 days are skipped, and an
event loaded twice (by the pipe and a backfill) lands once in CLOUDTRAIL_EVENTS.

exit status: 0 every file loaded or skipped as already loaded; 1 some file failed or partially
loaded (named on stderr); 2 bad usage, bad dates, no connection, or a statement refused.
"""


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD") from None


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
        help="the PIPELINE_HEALTH view's checks, each task's state, findings; exit 0/1/2",
        epilog=_STATUS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("--json", action="store_true", help="one JSON document, for machines")
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
    view_rows, extras = health.gather(session, settings.location)
    result = health.assess(view_rows, extras, settings.location, now)
    if args.json:
        out.write(json.dumps(health.report(result), indent=2) + "\n")
    else:
        out.write(health.table(result))
    return result.exit_status


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
    except health.ViewMissingError as missing:
        err.write(
            f"ops: {missing.view} does not exist (or role {settings.config.snowflake_owner_role} "
            "cannot see it): the stack was deployed before the PIPELINE_HEALTH view, whose "
            "checks status reads; run `pulumi up` to create it\n"
        )
        return EXIT_DOWN
    except QueryError as error:
        role, where = settings.config.snowflake_owner_role, settings.location
        err.write(
            f"ops: Snowflake refused a statement: {error} (role {role} on "
            f"{where.database}.{where.schema}; see --role)\n"
        )
        return EXIT_DOWN
    finally:
        session.close()
