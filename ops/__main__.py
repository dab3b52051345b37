"""`python -m ops`: see ops/cli.py. Here, what only a process meets: Ctrl-C."""

import sys


def _run() -> int:
    try:
        from ops import cli

        return cli.main()
    except KeyboardInterrupt:
        sys.stderr.write("ops: interrupted; a backfill keeps the days it finished\n")
        return 130


raise SystemExit(_run())
