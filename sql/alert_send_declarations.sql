-- What an alert's action declares for its destinations (alert_send.sql): how many took the
-- message and how many refused it, and the error the action raises when one refused, which
-- makes the run ACTION_FAILED in ALERT_HISTORY (the PIPELINE_HEALTH view's alerts check).
sent INTEGER DEFAULT 0;
refused INTEGER DEFAULT 0;
destination_refused EXCEPTION (-20001, 'A notification destination refused the message: see INFORMATION_SCHEMA.NOTIFICATION_HISTORY and the notification integrations.');
