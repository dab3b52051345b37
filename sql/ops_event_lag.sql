-- python -m ops status: how far the events task is behind the pipe. Each event keeps its raw
-- file's load time (loadedAt = LOADED_AT), so when every loaded file is landed both are equal.
SELECT
    (SELECT MAX(LOADED_AT) FROM {raw_table}) AS raw_loaded_at,
    (SELECT MAX(loadedAt) FROM {events_table}) AS events_loaded_at
