-- FINDINGS_ALERT's action (a Snowflake Scripting block). In one transaction it records what it
-- hands on in {notified_table}, which consumes the stream, sends, and commits:
-- - the INSERT reads every row of the stream; when the transaction commits, the stream's offset
--   moves past all of them, alerted or not (a DML statement that reads a stream consumes it,
--   whatever it inserts);
-- - each destination is tried on its own (alert_send.sql), and the end of the block
--   (alert_send_commit.sql) decides: if every destination refused, the transaction rolls back, the
--   stream keeps the rows and the next run hands them on again; if one refused, the run commits
--   and then fails, and the refused destination's findings are in {notified_table}, by
--   batch_id;
-- - anything else that fails rolls back, and the next run hands the rows on again;
-- - a send is queued by Snowflake and delivered at least once: a commit that fails after a send
--   repeats those findings, under a new batch_id, on the next run. {notified_table} records
--   each finding notified with the batch_id of the message that carried it.
-- Only the findings that raise an alert are notified: not those a suppression matched, nor the
-- duplicates of a finding already alerted on (findings_merge.sql decides both as it makes them).
-- summary: one line for people; details: the same counts as JSON for machines.
-- {notifications} is one block per destination (alert_send.sql).
DECLARE
    batch VARCHAR DEFAULT UUID_STRING();
    summary VARCHAR DEFAULT NULL;
    details VARCHAR DEFAULT NULL;
{send_declarations}
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
{send_commit}
EXCEPTION
    WHEN OTHER THEN
        ROLLBACK;
        RAISE;
END
