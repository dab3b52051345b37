"""`python -m detect`: see detect/cli.py."""

from detect.cli import main

raise SystemExit(main())
