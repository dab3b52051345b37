-- One destination of an alert's action, tried on its own: a destination that refuses (an
-- integration dropped, disabled or no longer usable by the alert's owner) must neither stop the
-- others nor make them repeat the message on every run. The action counts, in its Scripting
-- variables `sent` and `refused`, what each destination did (alert_action.sql).
BEGIN
{call}
    sent := sent + 1;
EXCEPTION
    WHEN OTHER THEN
        refused := refused + 1;
END;
