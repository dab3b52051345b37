"""`python -m ops`: a deployed stack's health (`status`) and the load of older log files
(`backfill`), through the stack's Snowflake connection. See ops/cli.py and docs/operations.md."""
