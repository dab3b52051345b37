-- python -m ops status: the pipe's own report, one JSON text, for what the PIPELINE_HEALTH view
-- does not show (pendingFileCount whatever the state, lastIngestedFilePath and
-- lastIngestedTimestamp); the view's pipe row judges executionState. Only the pipe's owner or a
-- role with MONITOR on it gets an answer.
SELECT SYSTEM$PIPE_STATUS('{pipe}') AS pipe_status
