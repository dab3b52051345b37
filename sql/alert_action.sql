-- FINDINGS_ALERT's action (a Snowflake Scripting block). It reads the condition's own rows back
-- through RESULT_SCAN(GET_CONDITION_QUERY_UUID()), so the message counts exactly what made the
-- alert fire, without scanning FINDINGS again. The alert's owner needs the SNOWFLAKE database
-- role ALERT_VIEWER for that function and for the condition's schedule functions.
-- summary: one line for people; details: the same counts as JSON for machines.
-- {notifications} is one CALL per destination (alert_action_email.sql, alert_action_sns.sql).
BEGIN
    LET summary VARCHAR := (
        SELECT
            SUM(findings) || ' new CloudTrail findings in {findings_table}: '
            || LISTAGG(detection || ' (' || severity || '): ' || findings, ', ')
                WITHIN GROUP (ORDER BY findings DESC, detection)
        FROM TABLE(RESULT_SCAN(SNOWFLAKE.ALERT.GET_CONDITION_QUERY_UUID()))
    );
    LET details VARCHAR := (
        SELECT TO_JSON(OBJECT_CONSTRUCT(
            'findings_table', '{findings_table}',
            'new_findings', SUM(findings),
            'by_detection', ARRAY_AGG(OBJECT_CONSTRUCT(
                'detection', detection, 'severity', severity, 'findings', findings
            )) WITHIN GROUP (ORDER BY findings DESC, detection)
        ))
        FROM TABLE(RESULT_SCAN(SNOWFLAKE.ALERT.GET_CONDITION_QUERY_UUID()))
    );
{notifications}
END
