-- PIPELINE_HEALTH_ALERT's action (a Snowflake Scripting block), run only when its condition
-- found a message due (pipeline_health_condition.sql). In one transaction it records the
-- message in {notified_table} (pipeline_health_record.sql, from the condition's own rows through
-- RESULT_SCAN(GET_CONDITION_QUERY_UUID()), which needs the SNOWFLAKE database role
-- ALERT_VIEWER), reads it back and sends it. Each destination is tried on its own
-- (alert_send.sql), as in alert_action.sql: if every destination refused, the record rolls back,
-- the state stays unnotified and the next run sends again; if one took the message, the record
-- commits and the action then raises destination_refused (ACTION_FAILED in ALERT_HISTORY, which
-- the view's alerts check reports). The record's NOTIFIED_AT is the condition's CHECKED_AT,
-- which identifies it.
-- {notifications} is one block per destination, sending the Scripting variables summary
-- (e-mail) and details (SNS).
DECLARE
{send_declarations}
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
{send_commit}
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END
