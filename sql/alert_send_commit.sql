-- How an alert's action ends, after its destinations (alert_send.sql) were tried:
-- - every destination tried refused: raise before the commit, so the handler rolls back and the
--   next run sends again (nothing tried, as for a run with nothing to send, commits);
-- - one took the message and another refused: commit, so the working destination is not sent
--   the same again on every run, then fail the run for ALERT_HISTORY (the PIPELINE_HEALTH
--   view's alerts check).
IF (sent = 0 AND refused > 0) THEN
    RAISE destination_refused;
END IF;
COMMIT;
IF (refused > 0) THEN
    RAISE destination_refused;
END IF;
