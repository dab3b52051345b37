-- What PIPELINE_HEALTH_ALERT's action records in {notified_table} and then sends, from the rows
-- its condition returned ({condition_result}; pipeline_health_condition.sql): one row per
-- message. summary: one paragraph for people (e-mail); details: the same as JSON for machines
-- (SNS).
INSERT INTO {notified_table} ({notified_columns})
SELECT
    MAX(checked_at),
    MAX(state),
    IFF(
        MAX(state) = '',
        'CloudTrail pipeline in {location} recovered: every check is ok again (was: '
        || COALESCE(MAX(previous_state), '') || '). SELECT * FROM {view} shows each check.',
        'CloudTrail pipeline in {location} is '
        || IFF(COUNT_IF(status = 'down') > 0, 'down', 'degraded')
        || IFF(
            MAX(state) = COALESCE(MAX(previous_state), ''),
            ' (reminder: unchanged since the message of '
            || TO_VARCHAR(MAX(previous_notified_at)) || ')',
            ''
        )
        || '. ' || LISTAGG(
            check_name || ' of ' || subject || ' is ' || status || ': ' || detail, ' '
        ) WITHIN GROUP (ORDER BY check_name, subject)
        || ' SELECT * FROM {view} shows each check.'
    ),
    OBJECT_CONSTRUCT(
        'location', '{location}',
        'view', '{view}',
        'status', IFF(
            MAX(state) = '', 'ok', IFF(COUNT_IF(status = 'down') > 0, 'down', 'degraded')
        ),
        'checked_at', TO_VARCHAR(MAX(checked_at)),
        'state', MAX(state),
        'previous_state', MAX(previous_state),
        'reminder', MAX(state) <> '' AND MAX(state) = COALESCE(MAX(previous_state), ''),
        -- A recovery's one row has no check.
        'failing', IFF(
            MAX(state) = '',
            ARRAY_CONSTRUCT(),
            ARRAY_AGG(OBJECT_CONSTRUCT(
                'check_name', check_name, 'subject', subject, 'status', status, 'detail', detail
            )) WITHIN GROUP (ORDER BY check_name, subject)
        )
    )
FROM {condition_result}
