-- Persists what the detections find in the events that arrived since the last run: {new_events}
-- is the stream on the events table, {detections} the union of every detection over it (one row
-- per detection and event; an event is identified by its eventHash, see events_merge.sql). The
-- stream only moves on when this MERGE commits, so each landed event is examined once however
-- late it arrived (selection is by arrival, not eventTime); the MERGE keeps a finding from being
-- inserted twice when an event is examined again (a rerun, a recreated stream). The finding keeps
-- the event's details as they were landed. Rendered from lib/schema.py: {detected} is each
-- column of f (what every detection selects, with its id and severity), {event_fields} the key
-- and value of each field a finding keeps (Column.in_finding), {columns} / {values} every
-- column of the FINDINGS table. first_seen_at is the statement's start time.
MERGE INTO {findings} AS t
USING (
    SELECT
        {detected},
        CURRENT_TIMESTAMP() AS first_seen_at,
        OBJECT_CONSTRUCT(
            {event_fields}
        ) AS event
    FROM ({detections}) AS f
    INNER JOIN {new_events} AS e ON f.eventHash = e.eventHash
) AS s
    ON t.detection = s.detection AND t.eventHash = s.eventHash
WHEN NOT MATCHED THEN INSERT (
    {columns}
) VALUES (
    {values}
)
