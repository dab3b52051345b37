-- python -m ops status: per task, its newest failed run of the last 7 days (all TASK_HISTORY
-- keeps), so a task suspended days ago still shows why.
SELECT name, state, error_message, completed_time
FROM TABLE({information_schema}.TASK_HISTORY(
    SCHEDULED_TIME_RANGE_START => DATEADD(day, -7, CURRENT_TIMESTAMP()),
    RESULT_LIMIT => 10000,
    ERROR_ONLY => TRUE
))
WHERE database_name = '{database}'
    AND schema_name = '{schema_name}'
    AND name IN ('{events_task}', '{findings_task}')
    AND STARTSWITH(state, 'FAILED')
QUALIFY ROW_NUMBER() OVER (PARTITION BY name ORDER BY completed_time DESC) = 1
