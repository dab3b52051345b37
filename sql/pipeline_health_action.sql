-- PIPELINE_HEALTH_ALERT's action (a Snowflake Scripting block), run only when its condition
-- found a message due (pipeline_health_condition.sql). In one transaction it records the
-- message in {notified_table} (pipeline_health_record.sql, from the condition's own rows through
-- RESULT_SCAN(GET_CONDITION_QUERY_UUID()), which needs the SNOWFLAKE database role
-- ALERT_VIEWER), reads it back and sends it: if a send fails the record rolls back, the state
-- stays unnotified and the next run sends again. The record's NOTIFIED_AT is the condition's
-- CHECKED_AT, which identifies it.
-- {notifications} is one CALL per destination (alert_action_email.sql, alert_action_sns.sql),
-- sending the Scripting variables summary (e-mail) and details (SNS).
BEGIN
    BEGIN TRANSACTION;
    {record};
    LET summary VARCHAR := (
        SELECT summary FROM {notified_table}
        WHERE notified_at = (SELECT MAX(checked_at) FROM {condition_result})
    );
    LET details VARCHAR := (
        SELECT TO_JSON(details) FROM {notified_table}
        WHERE notified_at = (SELECT MAX(checked_at) FROM {condition_result})
    );
{notifications}
    COMMIT;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END
