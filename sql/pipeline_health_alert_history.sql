-- PIPELINE_HEALTH's alert_history: the runs of one alert of the stack, one call per alert joined
-- with UNION ALL (sql/pipeline_health_view.sql). ALERT_NAME takes an unqualified name. The
-- error column is read by name from the row as an object: public scripts call the function's
-- column SQL_ERROR_MESSAGE, the ACCOUNT_USAGE view's is ERROR_MESSAGE, and the function's
-- documentation page does not list its columns; a column the view named that did not exist
-- would make the whole view fail to compile.
SELECT
    name,
    database_name,
    schema_name,
    state,
    COALESCE(
        OBJECT_CONSTRUCT(*):SQL_ERROR_MESSAGE, OBJECT_CONSTRUCT(*):ERROR_MESSAGE
    )::string AS sql_error_message,
    scheduled_time,
    completed_time
FROM TABLE({information_schema}.ALERT_HISTORY(
    SCHEDULED_TIME_RANGE_START => DATEADD('hour', -{history_hours}, CURRENT_TIMESTAMP()),
    SCHEDULED_TIME_RANGE_END => CURRENT_TIMESTAMP(),
    RESULT_LIMIT => {history_limit},
    ALERT_NAME => '{alert}'
))
