-- Lands new events in the typed table {events}, each event once. {new_events} is the rows of
-- events_flatten.sql over what arrived since the last run (the stream on the raw table).
-- Identity is the whole content (eventHash): CloudTrail's duplicates are identical copies, so two
-- records are one event only when they are identical; the same eventID with other content is a
-- second event. Copies may come in one batch or days apart (a backfill may load a file again):
-- QUALIFY keeps one copy per batch, the MERGE skips events already landed. A copy has the same
-- eventTime, so matching on the date as well lets Snowflake prune by the clustering key;
-- EQUAL_NULL, because an event whose time could not be read has no date, and `=` never matches
-- NULL (every reload would land it again).
-- A null record has no content and no hash: it is not an event. An event without an eventID
-- (missing, null or "") gets one derived from its content, the same in every delivery: a prefix
-- that no CloudTrail eventID has, then the hash. UNTYPED holds, for each typed field whose
-- delivered value could not be converted, that value as text (OBJECT_CONSTRUCT leaves out the
-- fields whose value is NULL); it is NULL when everything was typed. {any_untyped} is true when
-- a typed field is NULL although its text was delivered, {untyped_fields} the key and value of
-- each, and {columns} / {values} every column of the events table, all rendered from
-- lib/schema.py.
-- SELECT * REPLACE: https://docs.snowflake.com/en/sql-reference/sql/select (and it keeps every
-- INSERT value a plain column of s, which the embedded engine's MERGE needs).
MERGE INTO {events} AS t
USING (
    SELECT
        * REPLACE (COALESCE(NULLIF(eventID, ''), '{surrogate_prefix}' || eventHash) AS eventID),
        TO_DATE(eventTime) AS eventDate,
        IFF(
            {any_untyped},
            OBJECT_CONSTRUCT(
                {untyped_fields}
            ),
            NULL
        ) AS untyped
    FROM {new_events}
    WHERE eventHash IS NOT NULL
    QUALIFY ROW_NUMBER() OVER (PARTITION BY eventHash ORDER BY loadedAt, sourceFile) = 1
) AS s
    ON t.eventHash = s.eventHash AND EQUAL_NULL(t.eventDate, s.eventDate)
WHEN NOT MATCHED THEN INSERT (
    {columns}
) VALUES (
    {values}
)
