-- PIPELINE_HEALTH's alert_history without alerting: no run, and no ALERT_HISTORY call naming an
-- alert the stack does not have. The columns of sql/pipeline_health_alert_history.sql.
SELECT
    NULL::VARCHAR AS name,
    NULL::VARCHAR AS database_name,
    NULL::VARCHAR AS schema_name,
    NULL::VARCHAR AS state,
    NULL::VARCHAR AS sql_error_message,
    NULL::TIMESTAMP_LTZ AS scheduled_time,
    NULL::TIMESTAMP_LTZ AS completed_time
LIMIT 0
