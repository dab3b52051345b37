-- PIPELINE_HEALTH_ALERT's condition: returns rows only when a message is due, and then the rows
-- the message reports (the action reads them back with RESULT_SCAN, so it sends exactly what
-- was decided here). The rule, so that a stuck pipeline does not send a message every run:
-- - the state is the set of failing checks with their statuses (check, subject, status; not
--   the detail, whose counts and minutes change every run), '' when every check is ok;
-- - a message is due when the state differs from the one last notified (in {notified_table};
--   '' before the first message): a check fails, recovers, or changes status, or all recover;
-- - or, while something fails, when the last message is at least {remind_hours} hours old: a
--   reminder.
-- A stack whose checks are all ok and that never notified sends nothing. Time is the view's
-- CHECKED_AT, so the decision and the record agree on it.
-- A failing check yields one row each (with the current and previous state); a recovery, one
-- row with no check.
WITH health AS (
    SELECT check_name, subject, status, detail, checked_at
    FROM {view}
),
current_state AS (
    SELECT
        MAX(checked_at) AS checked_at,
        COALESCE(
            LISTAGG(IFF(status <> 'ok', check_name || ' ' || subject || ' ' || status, NULL), ', ')
                WITHIN GROUP (ORDER BY check_name, subject),
            ''
        ) AS state
    FROM health
),
last_notified AS (
    SELECT notified_at, state
    FROM {notified_table}
    ORDER BY notified_at DESC
    LIMIT 1
)
SELECT
    c.checked_at,
    c.state,
    l.state AS previous_state,
    l.notified_at AS previous_notified_at,
    h.check_name,
    h.subject,
    h.status,
    h.detail
FROM current_state AS c
LEFT JOIN last_notified AS l ON TRUE
LEFT JOIN health AS h ON h.status <> 'ok'
WHERE
    c.state <> COALESCE(l.state, '')
    OR (c.state <> '' AND l.notified_at <= DATEADD('hour', -{remind_hours}, c.checked_at))
