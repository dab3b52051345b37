-- python -m ops status: what the findings task found in the last {hours} hours, per severity.
SELECT severity, COUNT(*) AS findings
FROM {findings_table}
WHERE first_seen_at >= DATEADD(hour, -{hours}, CURRENT_TIMESTAMP())
GROUP BY severity
