-- python -m ops backfill: the one listing of a run. The days are not a prefix (the organization,
-- account and region come before them), so Snowflake lists everything under the stage's log
-- prefix, then applies PATTERN: the pipe's own, limited to the months of the range. The run
-- groups the names by their date folder and names each day's files in its COPYs (FILES), where
-- a COPY with a PATTERN would list the stage again.
LIST @{stage} PATTERN = '{pattern}'
