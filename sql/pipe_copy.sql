-- The auto-ingest pipe's COPY: one row per CloudTrail log file, with its file name and load time.
-- PATTERN keeps only CloudTrail log files, in the single-account layout
-- (AWSLogs/<account>/CloudTrail/...) and the organization layout (AWSLogs/o-<org>/<account>/...),
-- and skips CloudTrail-Digest and CloudTrail-Insight objects under the same prefix: digest files
-- have no Records key. METADATA$START_SCAN_TIME, not CURRENT_TIMESTAMP: Snowflake documents that
-- the current-time functions in a pipe can lag the real load time by hours.
COPY INTO {raw_table} (RECORD, FILENAME, LOADED_AT)
FROM (SELECT $1, METADATA$FILENAME, METADATA$START_SCAN_TIME FROM @{stage})
PATTERN = '{pattern}'
