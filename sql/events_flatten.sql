-- The events of the raw log files in {source} (the raw table, or the stream on it), one row per
-- event: the columns of Snowflake's CloudTrail quickstart, plus readOnly, the actor's fields,
-- where each event came from, and its identity.
-- A log file is one VARIANT row holding an object with a Records array; LATERAL FLATTEN turns it
-- into rows. The columns' types are in lib/schema.py (EVENT_COLUMNS).
-- No value can fail this SELECT: one failed cast would fail the events task's whole MERGE, the
-- stream would not advance, and every later run would fail on the same event until Snowflake
-- suspends the task. So the typed fields go through TRY_CAST, and their delivered text is kept
-- beside them (raw*) for events_merge.sql to record what could not be typed.
-- {columns}: each column of the events table the flatten fills, then the raw* texts, as
-- lib/schema.py derives them (Column.flatten).
-- eventHash identifies the event by its whole content: CloudTrail's duplicates are identical
-- copies, and an event without an eventID still has one. It is NULL only for a null record.
SELECT
    {columns}
FROM {source}, LATERAL FLATTEN(input => record:Records)
