-- Email destination of an alert's action: the summary line, in plain text. The integration
-- has no default recipients, so the message names them; each must be in the integration's
-- ALLOWED_RECIPIENTS and be the verified email address of a user of this Snowflake account.
CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(
    SNOWFLAKE.NOTIFICATION.TEXT_PLAIN(:summary),
    SNOWFLAKE.NOTIFICATION.EMAIL_INTEGRATION_CONFIG(
        '{email_integration}',
        '{subject}',
        ARRAY_CONSTRUCT({recipients})
    )
);
