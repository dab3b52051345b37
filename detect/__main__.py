"""`python -m detect`: see detect/cli.py."""

import os
import sys

from detect.cli import main

try:
    code = main()
except BrokenPipeError:
    # The reader stopped early (`| head`): not an error; keep Python from reporting it at exit.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 0
raise SystemExit(code)
