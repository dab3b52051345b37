-- python -m ops backfill: queue the files of the pipe's REFRESH window (staged in the last 7
-- days, after {modified_after}) that the pipe has not loaded. PREFIX is relative to the stage,
-- which ends at the log prefix: a REFRESH lists everything under it, so only the logs' folder.
ALTER PIPE {pipe} REFRESH PREFIX = '{prefix}' MODIFIED_AFTER = '{modified_after}'
