-- python -m ops status: per task, its newest failed run of the last {history_hours} hours
-- (lib/health.py, HISTORY_HOURS: about all TASK_HISTORY keeps), so a task suspended days ago,
-- or failed before its last success, still shows why. The PIPELINE_HEALTH view's task row
-- carries the error only when the latest run failed; status adds this one where the row does
-- not. RESULT_LIMIT (default 100, at most 10000) applies to the whole database's history before
-- the WHERE, hence the largest.
SELECT name, state, error_message, completed_time
FROM TABLE({information_schema}.TASK_HISTORY(
    SCHEDULED_TIME_RANGE_START => DATEADD('hour', -{history_hours}, CURRENT_TIMESTAMP()),
    RESULT_LIMIT => 10000,
    ERROR_ONLY => TRUE
))
WHERE database_name = '{database}'
    AND schema_name = '{schema_name}'
    AND name IN ({tasks})
    AND STARTSWITH(state, 'FAILED')
QUALIFY ROW_NUMBER() OVER (PARTITION BY name ORDER BY completed_time DESC) = 1
