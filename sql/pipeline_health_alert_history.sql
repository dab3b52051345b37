-- PIPELINE_HEALTH's alert_history: the runs of one alert of the stack, one call per alert joined
-- with UNION ALL (sql/pipeline_health_view.sql). ALERT_NAME takes an unqualified name. The
-- function calls its error column SQL_ERROR_MESSAGE (the ACCOUNT_USAGE view's is ERROR_MESSAGE).
SELECT name, database_name, schema_name, state, sql_error_message, scheduled_time, completed_time
FROM TABLE({information_schema}.ALERT_HISTORY(
    SCHEDULED_TIME_RANGE_START => DATEADD('hour', -{history_hours}, CURRENT_TIMESTAMP()),
    SCHEDULED_TIME_RANGE_END => CURRENT_TIMESTAMP(),
    RESULT_LIMIT => {history_limit},
    ALERT_NAME => '{alert}'
))
