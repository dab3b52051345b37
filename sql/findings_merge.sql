-- Persists what the detections find in the events that arrived since the last run: {detections}
-- is the union of every detection over the stream on the events table (one row per detection and
-- event, FINDING_KEYS; an event is identified by its eventHash, see events_merge.sql), and
-- {landed} where each found event's details are read: the stream, and for threshold detections
-- the events landed before within their window of the new ones (lib/sql.py). The stream only
-- moves on when this MERGE commits, so each landed event is examined once however late it
-- arrived (selection is by arrival, not eventTime); the MERGE keeps
-- a finding from being inserted twice when an event is examined again (a rerun, a recreated
-- stream). The finding keeps the event's details as they were landed. Rendered from
-- lib/schema.py: {detected} is each column of f, {event_fields} the key and value of each field a
-- finding keeps (Column.in_finding), {suppressed} a suppression's conditions on f
-- (SUPPRESSION_CONDITIONS) and {conditions} each of them without its wildcards, {found} every
-- column of n but duplicate_of, {columns} / {values} every column of the FINDINGS table.
-- first_seen_at is the statement's start time, which is also the time suppressions are checked
-- against: one that has expired (expires_at) no longer applies.
-- Each finding is decided once, when it is made, and never revisited (the alert has seen it), so
-- the findings already in {findings} (an event examined again) take no part in deciding others:
-- - suppressed_by: the first suppression (by id) that matches it, or NULL; a suppression that
--   names no detection and sets no condition other than wildcards matches nothing (it would
--   silence the whole pack);
-- - duplicate_of: for a finding that is not suppressed and has a dedup_key, the eventID of the
--   finding that raised the alert for that key: the one already in {findings}, else the earliest
--   of this run (by eventTime, then eventHash). A suppressed finding never raises the alert for
--   a key, so it cannot hide a later finding of the same key that is not suppressed.
MERGE INTO {findings} AS t
USING (
    SELECT
        {found},
        CASE
            WHEN n.suppressed_by IS NOT NULL OR n.dedup_key IS NULL THEN NULL
            WHEN alerted.eventID IS NOT NULL THEN alerted.eventID
            WHEN ROW_NUMBER() OVER (
                PARTITION BY n.detection, n.dedup_key, n.suppressed_by IS NULL
                ORDER BY n.eventTime, n.eventHash
            ) > 1
                THEN FIRST_VALUE(n.eventID) OVER (
                    PARTITION BY n.detection, n.dedup_key, n.suppressed_by IS NULL
                    ORDER BY n.eventTime, n.eventHash
                )
        END AS duplicate_of
    FROM (
        SELECT
            {detected},
            CURRENT_TIMESTAMP() AS first_seen_at,
            OBJECT_CONSTRUCT(
                {event_fields}
            ) AS event,
            sup.id AS suppressed_by
        FROM ({detections}) AS f
        INNER JOIN {landed} AS e ON f.eventHash = e.eventHash
        LEFT JOIN {suppressions} AS sup
            ON (sup.detection IS NULL OR sup.detection = f.detection)
            {suppressed}
            AND (sup.detection IS NOT NULL OR COALESCE({conditions}) IS NOT NULL)
            AND sup.expires_at > CURRENT_TIMESTAMP()
        LEFT JOIN {findings} AS made
            ON f.detection = made.detection AND f.eventHash = made.eventHash
        WHERE made.eventHash IS NULL
        QUALIFY ROW_NUMBER() OVER (PARTITION BY f.detection, f.eventHash ORDER BY sup.id) = 1
    ) AS n
    LEFT JOIN (
        SELECT detection, dedup_key, MIN(eventID) AS eventID
        FROM {findings}
        WHERE dedup_key IS NOT NULL AND duplicate_of IS NULL AND suppressed_by IS NULL
        GROUP BY detection, dedup_key
    ) AS alerted ON n.detection = alerted.detection AND n.dedup_key = alerted.dedup_key
) AS s
    ON t.detection = s.detection AND t.eventHash = s.eventHash
WHEN NOT MATCHED THEN INSERT (
    {columns}
) VALUES (
    {values}
)
