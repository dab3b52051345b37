-- FINDINGS_ALERT's condition: the findings that arrived since the alert last ran successfully,
-- counted per detection and severity (the alert fires when this returns a row; its action reads
-- these rows back). The window is (previous successful scheduled time, this scheduled time], so
-- each finding is counted by exactly one successful run; a run whose action fails (say USAGE on
-- an integration was revoked) is not successful, and the next run reports its findings again.
-- Delivery itself is asynchronous: Snowflake queues and retries it (NOTIFICATION_HISTORY).
-- LAST_SUCCESSFUL_SCHEDULED_TIME() has no earlier run to return on the alert's first run: NULL
-- in some versions of Snowflake's documentation, the Unix epoch in others. Either way the first
-- run looks back one interval instead of reporting every finding ever made.
-- Both ends lag by 5 minutes: the findings task stamps FIRST_SEEN_AT with its statement's start
-- time but commits later, so a row could otherwise commit inside a window already examined.
-- Only the findings that raise an alert are counted: not those a suppression matched, nor the
-- duplicates of a finding already alerted on (findings_merge.sql decides both as it makes them).
SELECT
    detection,
    severity,
    COUNT(*) AS findings
FROM {findings_table}
WHERE
    first_seen_at > DATEADD(
        'minute', -5, COALESCE(
            NULLIF(SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME(), TO_TIMESTAMP_LTZ(0)),
            DATEADD('minute', -{interval_minutes}, SNOWFLAKE.ALERT.SCHEDULED_TIME())
        )
    )
    AND first_seen_at <= DATEADD('minute', -5, SNOWFLAKE.ALERT.SCHEDULED_TIME())
    AND suppressed_by IS NULL
    AND duplicate_of IS NULL
GROUP BY detection, severity
