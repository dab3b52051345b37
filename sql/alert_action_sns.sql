-- SNS destination of an alert's action: the counts as JSON (a queue integration takes
-- application/json messages), published through the integration's role.
CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(
    SNOWFLAKE.NOTIFICATION.APPLICATION_JSON(:details),
    SNOWFLAKE.NOTIFICATION.INTEGRATION('{sns_integration}')
);
