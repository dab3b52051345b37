-- python -m ops status: the files of the last {hours} hours that did not load whole, pipe and
-- bulk loads alike, per status (failed, partially loaded, skipped), with the newest of each and
-- its first error. One row per status however many files, so an outage cannot flood the report.
SELECT
    status,
    COUNT(*) AS files,
    MAX(last_load_time) AS latest_at,
    MAX_BY(file_name, last_load_time) AS latest_file,
    MAX_BY(first_error_message, last_load_time) AS latest_error
FROM TABLE({information_schema}.COPY_HISTORY(
    TABLE_NAME => '{raw_table}',
    START_TIME => DATEADD(hour, -{hours}, CURRENT_TIMESTAMP())
))
WHERE UPPER(status) NOT IN ('LOADED', 'LOAD IN PROGRESS')
GROUP BY status
