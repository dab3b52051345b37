-- PIPELINE_HEALTH: one row per check of the pipeline, every check always present ('ok' when
-- fine), for dashboards, `python -m ops status` and PIPELINE_HEALTH_ALERT. Columns and statuses
-- are a contract (lib/schema.py, PIPELINE_HEALTH_COLUMNS); docs/operations.md, "Pipeline health",
-- says what each check means and what to do.
--
-- The first five CTEs are where the state comes from: the clock and Snowflake's own sources.
-- Nothing else reads them, so a test replaces them with canned rows of the same shape
-- (tests/rehearsal.py, with_sources). Snowflake evaluates them when the view is queried, with
-- the privileges the docs state for each (the owner role, which owns the pipe and the tasks,
-- has them all).
-- - SYSTEM$PIPE_STATUS('<pipe>') returns a JSON string: executionState (RUNNING when all is
--   well; PAUSED, STOPPED_*, STALLED_*, ...), pendingFileCount, error, ...; only for the pipe's
--   owner or a role with MONITOR on it.
--   https://docs.snowflake.com/en/sql-reference/functions/system_pipe_status
-- - <db>.INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME, START_TIME) returns one row per file the
--   pipe (or a COPY) tried to load into the table in the last 14 days at most: FILE_NAME,
--   STATUS (Loaded, Load failed, Partially loaded, Load skipped; Load in progress while
--   loading), FIRST_ERROR_MESSAGE, LAST_LOAD_TIME.
--   https://docs.snowflake.com/en/sql-reference/functions/copy_history
--   https://docs.snowflake.com/en/sql-reference/account-usage/copy_history (the STATUS values)
-- - <db>.INFORMATION_SCHEMA.TASK_HISTORY(SCHEDULED_TIME_RANGE_START, SCHEDULED_TIME_RANGE_END,
--   RESULT_LIMIT, TASK_NAME) returns the runs of the last 7 days at most (a range that does not
--   fall within them is an error), newest first up to RESULT_LIMIT (1 to 10000): NAME,
--   DATABASE_NAME, SCHEMA_NAME, STATE (SCHEDULED, EXECUTING, SUCCEEDED, FAILED,
--   FAILED_AND_AUTO_SUSPENDED, CANCELLED, SKIPPED), ERROR_MESSAGE, SCHEDULED_TIME,
--   COMPLETED_TIME. TASK_NAME (unqualified, case-insensitive) keeps the runs of that name in any
--   schema, hence the database and schema filter. One call per task of the stack
--   (sql/pipeline_health_task_history.sql, UNION ALL): one call for the whole account would
--   share RESULT_LIMIT with every task the role sees, and a triggered task runs every 30 s or so
--   while data arrives, so a busy account pushes out the run that says a task was suspended.
--   https://docs.snowflake.com/en/sql-reference/functions/task_history
--   https://docs.snowflake.com/en/release-notes/bcr-bundles/2023_03/bcr-990
--   (FAILED_AND_AUTO_SUSPENDED in every call)
--   A task suspended by hand (ALTER TASK ... SUSPEND) has no run, so it is not visible here, and
--   neither is a failure older than the range: SHOW TASKS shows both, but a view cannot run SHOW.
--   The event_lag and findings_lag checks catch a task that does not run, however it stopped
--   (events do not land, or land and are not examined), and `python -m ops status` reads SHOW
--   TASKS.
-- - <db>.INFORMATION_SCHEMA.ALERT_HISTORY(SCHEDULED_TIME_RANGE_START, SCHEDULED_TIME_RANGE_END,
--   RESULT_LIMIT, ALERT_NAME), the same for alerts: NAME, DATABASE_NAME, SCHEMA_NAME, STATE
--   (SCHEDULED, EXECUTING, TRIGGERED, CONDITION_FALSE, CONDITION_FAILED, ACTION_FAILED, FAILED,
--   CANCELLED), SQL_ERROR_MESSAGE, SCHEDULED_TIME, COMPLETED_TIME; only for the alert's owner
--   (or ACCOUNTADMIN). One call per alert of the stack (sql/pipeline_health_alert_history.sql);
--   without alerting there is none, and no call (sql/pipeline_health_no_alert_history.sql).
--   https://docs.snowflake.com/en/sql-reference/functions/alert_history
--   https://docs.snowflake.com/en/sql-reference/account-usage/alert_history (the STATE values)
-- Both ranges start {history_hours} hours back, not 7 days: exactly 7 days may already fall
-- outside "the last 7 days" by the time Snowflake checks it.
--
-- What no check here can survive: SYSTEM$PIPE_STATUS raises an error for a pipe that does not
-- exist (dropped, or renamed), and there is no TRY_ form of it, so the whole view fails, and
-- with it PIPELINE_HEALTH_ALERT's condition (the alert's CONDITION_FAILED, which nothing
-- reports). `python -m ops status` exits 2 when the view fails, and says why; `pulumi up`
-- declares the pipe again.
WITH clock AS (
    SELECT CURRENT_TIMESTAMP() AS checked_at
),
pipe_status AS (
    SELECT SYSTEM$PIPE_STATUS('{pipe}') AS pipe_status
),
copy_history AS (
    SELECT file_name, status, first_error_message, last_load_time
    FROM TABLE({copy_history}(
        TABLE_NAME => '{raw_table}',
        START_TIME => DATEADD('hour', -{load_error_hours}, CURRENT_TIMESTAMP())
    ))
),
task_history AS (
    {task_history}
),
alert_history AS (
    {alert_history}
),
-- pipe: down unless the pipe is RUNNING.
pipe AS (
    SELECT
        PARSE_JSON(pipe_status):executionState::string AS execution_state,
        PARSE_JSON(pipe_status):error::string AS pipe_error,
        PARSE_JSON(pipe_status):pendingFileCount::string AS pending_files
    FROM pipe_status
),
-- load_errors: files of the last {load_error_hours} hours that did not load whole (a failed,
-- partly loaded or skipped file: Snowpipe skips a file that fails, ON_ERROR = SKIP_FILE).
failed_loads AS (
    SELECT file_name, first_error_message, last_load_time
    FROM copy_history
    WHERE UPPER(status) NOT IN ('LOADED', 'LOAD IN PROGRESS')
),
load_errors AS (
    SELECT
        COUNT(*) AS failed_files,
        MAX(last_load_time) AS newest_failure,
        MAX(IFF(newest = 1, file_name, NULL)) AS newest_file,
        MAX(IFF(newest = 1, first_error_message, NULL)) AS newest_error
    FROM (
        SELECT
            file_name,
            first_error_message,
            last_load_time,
            ROW_NUMBER() OVER (ORDER BY last_load_time DESC, file_name) AS newest
        FROM failed_loads
    )
),
-- silence: the newest load time in the raw table itself, not COPY_HISTORY's. The table has no
-- horizon (COPY_HISTORY keeps 14 days, and this view asks for {load_error_hours} hours: a pipe
-- silent for longer would have no row left to measure from), holds only what loaded (a failed
-- file has a LAST_LOAD_TIME too), and needs no privilege beyond reading it. An empty table
-- (nothing ever loaded) is down.
raw_loads AS (
    SELECT MAX(loaded_at) AS last_loaded_at FROM {raw_table}
),
-- event_lag: how long the oldest file loaded after the newest landed event has waited to land.
-- Comparing only the newest load with the newest landed event would report a lag the moment a
-- file arrives after a quiet spell, before the events task has had a chance to run. A file
-- whose events had all landed before (a duplicate delivery) lands nothing and waits here until
-- a later file lands: with CloudTrail's deliveries every few minutes that clears at once.
landed AS (
    SELECT MAX(loadedAt) AS last_landed_at FROM {events_table}
),
waiting AS (
    SELECT MIN(r.loaded_at) AS waiting_since
    FROM {raw_table} AS r
    CROSS JOIN landed AS l
    WHERE l.last_landed_at IS NULL OR r.loaded_at > l.last_landed_at
),
-- findings_lag: how long events have waited, after they landed, for the findings task to
-- examine them. What is observable: each event's loadedAt (its file's load time, which precedes
-- its landing by the events task's lag) and the findings task's last SUCCEEDED run in
-- TASK_HISTORY. An event loaded after that run completed landed after the run began, so the run
-- did not examine it (a run reads its stream as of its start). The oldest such event, or with
-- no successful run in the range the oldest event loaded within the range, has waited since
-- its loadedAt at most; degraded past {findings_lag_intervals} findings-task intervals plus the
-- events task's allowance ({findings_lag_minutes} minutes). A quiet stack (no event loaded
-- since the last success) has nothing waiting; a triggered task examines an event within
-- seconds of its landing, a scheduled one within an interval. Whatever stopped the task
-- (suspended after failures, by hand, dropped), and however old its last run, events keep
-- waiting. Blind spots: an event loaded before the last success but landed after it began is
-- not counted (the next event loaded is); when no event has loaded within the range, nothing
-- is counted (the silence check is down then).
findings_runs AS (
    SELECT MAX(completed_time) AS last_succeeded_at
    FROM task_history
    WHERE
        name = '{findings_task_name}'
        AND database_name = '{database}'
        AND schema_name = '{schema}'
        AND state = 'SUCCEEDED'
),
findings_waiting AS (
    SELECT MIN(e.loadedAt) AS waiting_since
    FROM {events_table} AS e
    CROSS JOIN findings_runs AS f
    CROSS JOIN clock AS c
    WHERE e.loadedAt > COALESCE(f.last_succeeded_at, DATEADD('hour', -{history_hours}, c.checked_at))
),
-- task: the latest finished run of each task (SKIPPED and CANCELLED runs are not verdicts: a
-- skipped run found nothing to do).
tasks AS (
    SELECT task_name, subject FROM {tasks}
),
task_runs AS (
    SELECT name, state, error_message, completed_time
    FROM task_history
    WHERE
        database_name = '{database}'
        AND schema_name = '{schema}'
        AND state IN ('SUCCEEDED', 'FAILED', 'FAILED_AND_AUTO_SUSPENDED')
    QUALIFY ROW_NUMBER() OVER (PARTITION BY name ORDER BY completed_time DESC NULLS LAST) = 1
),
-- alerts: each alert of the stack, by two verdicts. Its condition's: the latest run that
-- evaluated it (CONDITION_FALSE, TRIGGERED, ACTION_FAILED) or failed to (CONDITION_FAILED, and
-- FAILED, which ALERT_HISTORY's view documents as either part failing). Its action's: the
-- latest run that ran it (TRIGGERED or ACTION_FAILED); a CONDITION_FALSE run sent nothing, so it
-- does not clear a failed send. Otherwise PIPELINE_HEALTH_ALERT, reporting its own failed send,
-- would see it cleared by the next run with nothing to say, report the recovery, fail, and so on
-- every run. A failed send stays degraded until a later run sends (or it leaves the range).
-- ALERT_HISTORY goes by name, so the view does not need the alerts to exist (PIPELINE_HEALTH_ALERT
-- reads the view, so it is created after it): the subject is built here, not named as an object.
alerts AS (
    SELECT alert_name, '{database}.{schema}.' || alert_name AS subject FROM {alerts}
),
alert_conditions AS (
    SELECT name, state, sql_error_message, completed_time
    FROM alert_history
    WHERE
        database_name = '{database}'
        AND schema_name = '{schema}'
        AND state IN ('CONDITION_FALSE', 'TRIGGERED', 'ACTION_FAILED', 'CONDITION_FAILED', 'FAILED')
    QUALIFY ROW_NUMBER() OVER (PARTITION BY name ORDER BY completed_time DESC NULLS LAST) = 1
),
alert_actions AS (
    SELECT name, state, sql_error_message, completed_time
    FROM alert_history
    WHERE
        database_name = '{database}'
        AND schema_name = '{schema}'
        AND state IN ('TRIGGERED', 'ACTION_FAILED')
    QUALIFY ROW_NUMBER() OVER (PARTITION BY name ORDER BY completed_time DESC NULLS LAST) = 1
),
checks AS (
    SELECT
        'pipe' AS check_name,
        '{pipe}' AS subject,
        IFF(execution_state = 'RUNNING', 'ok', 'down') AS status,
        IFF(
            execution_state = 'RUNNING',
            'Pipe {pipe} is RUNNING, ' || COALESCE(pending_files, '0') || ' files pending.',
            'Pipe {pipe} is ' || COALESCE(execution_state, 'in an unknown state')
            || COALESCE(' (error: ' || pipe_error || ')', '')
            || ': nothing loads. See SELECT SYSTEM$PIPE_STATUS(''{pipe}''); resume a paused pipe'
            || ' with ALTER PIPE {pipe} SET PIPE_EXECUTION_PAUSED = FALSE; for a STOPPED_ or'
            || ' STALLED_ state fix the cause named there (a dropped or changed stage, table'
            || ' or integration: pulumi up declares them again).'
        ) AS detail
    FROM pipe
    UNION ALL
    SELECT
        'load_errors',
        '{raw_table}',
        IFF(failed_files > 0, 'degraded', 'ok'),
        IFF(
            failed_files > 0,
            failed_files || ' files did not load whole into {raw_table} in the last'
            || ' {load_error_hours} hours; the newest, ' || COALESCE(newest_file, '?') || ' at '
            || COALESCE(TO_VARCHAR(newest_failure), 'an unknown time') || ': ' || COALESCE(newest_error, 'no error given')
            || '. List them with the COPY_HISTORY query in docs/operations.md (Verify), fix'
            || ' the cause, then load them again (docs/operations.md, Backfill older files).',
            'Every file of the last {load_error_hours} hours loaded.'
        )
    FROM load_errors
    UNION ALL
    SELECT
        'silence',
        '{raw_table}',
        IFF(
            last_loaded_at IS NULL
            OR last_loaded_at < DATEADD('minute', -{silence_minutes}, checked_at),
            'down',
            'ok'
        ),
        IFF(
            last_loaded_at IS NULL
            OR last_loaded_at < DATEADD('minute', -{silence_minutes}, checked_at),
            COALESCE(
                'No CloudTrail file has loaded into {raw_table} since '
                || TO_VARCHAR(last_loaded_at) || ', '
                || DATEDIFF('minute', last_loaded_at, checked_at) || ' minutes ago',
                'No CloudTrail file has ever loaded into {raw_table}'
            )
            || ' (silenceMinutes: {silence_minutes}; CloudTrail delivers about every 5 minutes).'
            || ' Check that the trail is logging (aws cloudtrail get-trail-status), that the'
            || ' bucket notifies the pipe''s queue (pulumi stack output notificationChannel),'
            || ' and the integration''s trust (SYSTEM$VALIDATE_STORAGE_INTEGRATION).',
            'Last file loaded at ' || TO_VARCHAR(last_loaded_at) || ', '
            || DATEDIFF('minute', last_loaded_at, checked_at) || ' minutes ago.'
        )
    FROM raw_loads CROSS JOIN clock
    UNION ALL
    SELECT
        'event_lag',
        '{events_table}',
        IFF(waiting_since < DATEADD('minute', -{lag_minutes}, checked_at), 'degraded', 'ok'),
        IFF(
            waiting_since < DATEADD('minute', -{lag_minutes}, checked_at),
            'Files loaded since ' || TO_VARCHAR(waiting_since) || ' ('
            || DATEDIFF('minute', waiting_since, checked_at) || ' minutes) have not landed in'
            || ' {events_table} (allowed: {lag_minutes} minutes, {lag_intervals} events task'
            || ' intervals). Check the task row of {events_task}, and SHOW TASKS LIKE'
            || ' ''{events_task_name}'' IN SCHEMA {database}.{schema} for a suspended task.',
            COALESCE(
                'Files loaded since ' || TO_VARCHAR(waiting_since) || ' are landing (allowed:'
                || ' {lag_minutes} minutes).',
                'Every loaded file has landed.'
            )
        )
    FROM waiting CROSS JOIN clock
    UNION ALL
    SELECT
        'findings_lag',
        '{findings_table}',
        IFF(waiting_since < DATEADD('minute', -{findings_lag_minutes}, checked_at), 'degraded', 'ok'),
        IFF(
            waiting_since < DATEADD('minute', -{findings_lag_minutes}, checked_at),
            'Events loaded since ' || TO_VARCHAR(waiting_since) || ' ('
            || DATEDIFF('minute', waiting_since, checked_at) || ' minutes) have not been examined'
            || ' by {findings_task}: its last successful run '
            || COALESCE(
                'completed at ' || TO_VARCHAR(last_succeeded_at),
                'is older than {history_hours} hours (TASK_HISTORY''s range)'
            )
            || ' (allowed: {findings_lag_minutes} minutes, {findings_lag_intervals} findings task'
            || ' intervals and the events task''s {lag_minutes}). No findings, and no alert on'
            || ' them, until it runs. Check the task row of {findings_task}, and SHOW TASKS LIKE'
            || ' ''{findings_task_name}'' IN SCHEMA {database}.{schema} for a suspended task'
            || ' (docs/operations.md, When a task fails).',
            COALESCE(
                'Events loaded since ' || TO_VARCHAR(waiting_since) || ' are being examined'
                || ' (allowed: {findings_lag_minutes} minutes).',
                'Every landed event has been examined by {findings_task}.'
            )
        )
    FROM findings_waiting CROSS JOIN findings_runs CROSS JOIN clock
    UNION ALL
    SELECT
        'task',
        t.subject,
        CASE r.state
            WHEN 'FAILED_AND_AUTO_SUSPENDED' THEN 'down'
            WHEN 'FAILED' THEN 'degraded'
            ELSE 'ok'
        END,
        CASE r.state
            WHEN 'FAILED_AND_AUTO_SUSPENDED' THEN
                'Task ' || t.subject || ' failed SUSPEND_TASK_AFTER_NUM_FAILURES runs in a row'
                || ' and Snowflake suspended it at '
                || COALESCE(TO_VARCHAR(r.completed_time), 'an unknown time') || ': '
                || COALESCE(r.error_message, 'no error given') || '. Fix the cause, then ALTER'
                || ' TASK ' || t.subject || ' RESUME (or pulumi up); docs/operations.md, When a'
                || ' task fails.'
            WHEN 'FAILED' THEN
                'The last run of task ' || t.subject || ' failed at '
                || COALESCE(TO_VARCHAR(r.completed_time), 'an unknown time') || ': '
                || COALESCE(r.error_message, 'no error given')
                || '. Its stream keeps the rows for the next run; after'
                || ' SUSPEND_TASK_AFTER_NUM_FAILURES failures in a row Snowflake suspends it'
                || ' (docs/operations.md, When a task fails).'
            WHEN 'SUCCEEDED' THEN
                'The last run of task ' || t.subject || ' succeeded at '
                || COALESCE(TO_VARCHAR(r.completed_time), 'an unknown time') || '.'
            ELSE
                'Task ' || t.subject || ' finished no run in the last {history_hours} hours'
                || ' (normal while no data arrives; a task that stopped shows in the event_lag'
                || ' or findings_lag check once data waits, and in SHOW TASKS).'
        END
    FROM tasks AS t
    LEFT JOIN task_runs AS r ON r.name = t.task_name
    UNION ALL
    SELECT
        'alerts',
        a.subject,
        IFF(
            c.state IN ('CONDITION_FAILED', 'FAILED') OR x.state = 'ACTION_FAILED',
            'degraded',
            'ok'
        ),
        CASE
            WHEN c.state IN ('CONDITION_FAILED', 'FAILED') THEN
                'The condition of alert ' || a.subject || ' failed at '
                || COALESCE(TO_VARCHAR(c.completed_time), 'an unknown time') || ': '
                || COALESCE(c.sql_error_message, 'no error given')
                || '. Nothing is sent while it fails. Run the condition by hand (DESC ALERT '
                || a.subject || '); a stale stream (FINDINGS_ALERT_STREAM unread for longer'
                || ' than the table''s retention) fails it: docs/operations.md, Pipeline health.'
            WHEN x.state = 'ACTION_FAILED' THEN
                'The last action of alert ' || a.subject || ' failed at '
                || COALESCE(TO_VARCHAR(x.completed_time), 'an unknown time') || ': '
                || COALESCE(x.sql_error_message, 'no error given')
                -- The error alert_send_declarations.sql declares: a destination refused.
                || IFF(
                    CONTAINS(COALESCE(x.sql_error_message, ''), 'notification destination refused'),
                    '. A destination refused the message (the other may have received it):'
                    || ' check SELECT * FROM'
                    || ' TABLE({database}.INFORMATION_SCHEMA.NOTIFICATION_HISTORY())'
                    || ' and the notification integrations (DESC INTEGRATION)',
                    '. Nothing was sent and the run rolled back: its findings are sent by the'
                    || ' next run once the cause is fixed (a missing grant, a dropped table)'
                )
                || '; docs/operations.md, Pipeline health. This clears when a later run sends.'
            WHEN c.state IS NOT NULL THEN
                'The last run of alert ' || a.subject || ' completed at '
                || COALESCE(TO_VARCHAR(c.completed_time), 'an unknown time') || ': ' || c.state
                || '.'
            ELSE
                'Alert ' || a.subject || ' completed no run in the last {history_hours} hours'
                || ' (a new alert, or one suspended: SHOW ALERTS shows it).'
        END
    FROM alerts AS a
    LEFT JOIN alert_conditions AS c ON c.name = a.alert_name
    LEFT JOIN alert_actions AS x ON x.name = a.alert_name
)
SELECT
    checks.check_name::VARCHAR AS check_name,
    checks.subject::VARCHAR AS subject,
    checks.status::VARCHAR AS status,
    checks.detail::VARCHAR AS detail,
    clock.checked_at::TIMESTAMP_LTZ AS checked_at
FROM checks
CROSS JOIN clock
