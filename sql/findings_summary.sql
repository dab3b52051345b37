-- FINDINGS_SUMMARY: per detection and day of the events, for dashboards: every finding, and of
-- those the ones alerted on (neither suppressed nor a duplicate), suppressed, and duplicates.
SELECT
    detection,
    severity,
    TO_DATE(eventTime) AS eventDate,
    COUNT(*) AS findings,
    COUNT_IF(suppressed_by IS NULL AND duplicate_of IS NULL) AS alerted,
    COUNT_IF(suppressed_by IS NOT NULL) AS suppressed,
    COUNT_IF(duplicate_of IS NOT NULL) AS duplicates,
    MIN(eventTime) AS firstEventTime,
    MAX(eventTime) AS lastEventTime,
    MIN(first_seen_at) AS firstSeenAt,
    MAX(first_seen_at) AS lastSeenAt,
    COUNT(DISTINCT COALESCE(userIdentityArn, userIdentityType)) AS actors
FROM {findings}
GROUP BY detection, severity, TO_DATE(eventTime)
