-- python -m ops status: the pipe's own report, one JSON text (executionState, pendingFileCount,
-- lastIngestedTimestamp, lastIngestedFilePath, error, fault, ...). Only the pipe's owner or a
-- role with MONITOR on it gets an answer.
SELECT SYSTEM$PIPE_STATUS('{pipe}') AS pipe_status
