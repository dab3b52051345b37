-- FINDINGS_ALERT's condition: findings committed since the alert last handed findings on. The
-- stream on FINDINGS (append-only, from when the alert was created) holds every row committed
-- since its offset; a SELECT reads it without moving the offset, and only the action's INSERT,
-- when its transaction commits, moves it (Snowflake's streams documentation). So a finding is
-- seen whenever its MERGE commits, however late, and however long the alert was not running,
-- within the table's data retention plus MAX_DATA_EXTENSION_TIME_IN_DAYS (14 days by default),
-- after which the stream is stale (docs/operations.md).
-- It fires on suppressed and duplicate findings too: the action consumes them without
-- notifying, so that they do not stay in the stream until it goes stale.
SELECT 1 FROM {stream}
