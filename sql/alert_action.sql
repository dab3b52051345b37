-- FINDINGS_ALERT's action (a Snowflake Scripting block). In one transaction it records what it
-- hands on in {notified_table}, which consumes the stream, sends, and commits:
-- - the INSERT reads every row of the stream; when the transaction commits, the stream's offset
--   moves past all of them, alerted or not (a DML statement that reads a stream consumes it,
--   whatever it inserts);
-- - if a send or anything else fails, the handler rolls back: the stream keeps the rows and the
--   next run hands them on again;
-- - a send is queued by Snowflake and delivered at least once; a commit that failed after a send
--   repeats that message on the next run. Each message carries its batch id for consumers to
--   drop a repeat, and {notified_table} records each finding notified with that id.
-- Only the findings that raise an alert are notified: not those a suppression matched, nor the
-- duplicates of a finding already alerted on (findings_merge.sql decides both as it makes them).
-- summary: one line for people; details: the same counts as JSON for machines.
-- {notifications} is one CALL per destination (alert_action_email.sql, alert_action_sns.sql).
DECLARE
    batch VARCHAR DEFAULT UUID_STRING();
    summary VARCHAR DEFAULT NULL;
    details VARCHAR DEFAULT NULL;
BEGIN
    BEGIN TRANSACTION;
    INSERT INTO {notified_table} ({notified_columns})
        SELECT :batch, CURRENT_TIMESTAMP(), {finding_columns}
        FROM {stream}
        WHERE suppressed_by IS NULL AND duplicate_of IS NULL;
    SELECT
        SUM(findings) || ' new CloudTrail findings in {findings_table}: '
        || LISTAGG(detection || ' (' || severity || '): ' || findings, ', ')
            WITHIN GROUP (ORDER BY findings DESC, detection),
        TO_JSON(OBJECT_CONSTRUCT(
            'findings_table', '{findings_table}',
            'batch_id', :batch,
            'new_findings', SUM(findings),
            'by_detection', ARRAY_AGG(OBJECT_CONSTRUCT(
                'detection', detection, 'severity', severity, 'findings', findings
            )) WITHIN GROUP (ORDER BY findings DESC, detection)
        ))
    INTO :summary, :details
    FROM (
        SELECT detection, severity, COUNT(*) AS findings
        FROM {notified_table}
        WHERE batch_id = :batch
        GROUP BY detection, severity
    );
    -- Suppressed and duplicate findings only: consumed, nothing to send.
    IF (summary IS NOT NULL) THEN
{notifications}
    END IF;
    COMMIT;
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END
