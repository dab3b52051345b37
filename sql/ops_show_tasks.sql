-- python -m ops status: every task of the schema, with its state (started / suspended) and
-- last_suspended_reason (SUSPENDED_DUE_TO_ERRORS after SUSPEND_TASK_AFTER_NUM_FAILURES runs,
-- USER_SUSPENDED by hand). The PIPELINE_HEALTH view cannot run SHOW, and a task suspended by
-- hand has no run in TASK_HISTORY: this is the only place it shows.
SHOW TASKS IN SCHEMA {schema}
