-- PIPELINE_HEALTH's task_history: the runs of one task of the stack, one call per task joined
-- with UNION ALL (sql/pipeline_health_view.sql says why). TASK_NAME takes an unqualified name.
SELECT name, database_name, schema_name, state, error_message, scheduled_time, completed_time
FROM TABLE({information_schema}.TASK_HISTORY(
    SCHEDULED_TIME_RANGE_START => DATEADD('hour', -{history_hours}, CURRENT_TIMESTAMP()),
    SCHEDULED_TIME_RANGE_END => CURRENT_TIMESTAMP(),
    RESULT_LIMIT => {history_limit},
    TASK_NAME => '{task}'
))
