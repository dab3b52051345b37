-- The `cloudtrail` view: one row per event with the columns of Snowflake's CloudTrail quickstart,
-- read from the typed, deduplicated events table ({events}), so that queries and detections on
-- it no longer parse the raw log files; then the event's identity (eventHash) and what of it
-- could not be typed (untyped): {columns}, CLOUDTRAIL_VIEW_COLUMNS in lib/schema.py.
SELECT
    {columns}
FROM {events}
