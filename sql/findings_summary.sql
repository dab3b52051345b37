-- FINDINGS_SUMMARY: per detection and day of the events, for dashboards.
SELECT
    detection,
    severity,
    TO_DATE(eventTime) AS eventDate,
    COUNT(*) AS findings,
    MIN(eventTime) AS firstEventTime,
    MAX(eventTime) AS lastEventTime,
    MIN(first_seen_at) AS firstSeenAt,
    MAX(first_seen_at) AS lastSeenAt,
    COUNT(DISTINCT COALESCE(userIdentityArn, userIdentityType)) AS actors
FROM {findings}
GROUP BY detection, severity, TO_DATE(eventTime)
