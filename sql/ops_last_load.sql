-- python -m ops status: the newest file the pipe loaded in the last {hours} hours. COPY_HISTORY
-- lists bulk COPY loads too (a backfill's); PIPE_NAME keeps the pipe's, so a backfill cannot
-- make a silent pipe look alive. Status strings are compared upper-cased ('Loaded' in the
-- function's output, LOADED in other load histories).
SELECT file_name, last_load_time
FROM TABLE({information_schema}.COPY_HISTORY(
    TABLE_NAME => '{raw_table}',
    START_TIME => DATEADD(hour, -{hours}, CURRENT_TIMESTAMP())
))
WHERE pipe_name = '{pipe_name}' AND UPPER(status) IN ('LOADED', 'PARTIALLY LOADED')
ORDER BY last_load_time DESC
LIMIT 1
