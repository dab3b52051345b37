-- python -m ops status: per task, the newest run that finished in the last {hours} hours. A
-- triggered task runs up to every 30 s, and RESULT_LIMIT (default 100, at most 10000) applies
-- to the whole database's history before the WHERE, hence the largest. Skipped runs (the
-- previous one still running) are not runs.
SELECT name, state, error_message, completed_time
FROM TABLE({information_schema}.TASK_HISTORY(
    SCHEDULED_TIME_RANGE_START => DATEADD(hour, -{hours}, CURRENT_TIMESTAMP()),
    RESULT_LIMIT => 10000
))
WHERE database_name = '{database}'
    AND schema_name = '{schema_name}'
    AND name IN ('{events_task}', '{findings_task}')
    AND state IN ('SUCCEEDED', 'FAILED', 'FAILED_AND_AUTO_SUSPENDED', 'CANCELLED')
QUALIFY ROW_NUMBER() OVER (PARTITION BY name ORDER BY completed_time DESC) = 1
