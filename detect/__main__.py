"""`python -m detect`: see detect/cli.py. Here, what only a process meets: Ctrl-C, and standard
output failing after the findings were handed to it."""

import os
import signal
import sys

EXIT_INTERRUPTED = 128 + signal.SIGINT


def _run() -> int:
    try:
        # Inside the try: the imports (DuckDB, fakesnow) take a second, Ctrl-C may come then.
        from detect import cli
        from detect.engine import os_reason

        code = cli.main()
    except SystemExit as exit_:  # argparse: --help, bad usage
        code = int(exit_.code or 0)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except RuntimeError as error:
        # DuckDB's Python client ends a query on Ctrl-C with this error, not KeyboardInterrupt.
        if str(error) != "Query interrupted":
            raise
        return EXIT_INTERRUPTED
    try:
        # What is still buffered is written now, while a failure can still be reported.
        sys.stdout.flush()
    except OSError as error:
        # A closed pipe (`| head`) is the reader's choice, not an error. A failure `run` met
        # and reported (EXIT_UNFINISHED) fails again here on what stayed in the buffer.
        if not isinstance(error, BrokenPipeError) and code != cli.EXIT_UNFINISHED:
            sys.stderr.write(f"detect: cannot write to standard output: {os_reason(error)}\n")
            code = cli.EXIT_UNFINISHED
        # Python flushes stdout again at exit; that must not report the failure a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


raise SystemExit(_run())
