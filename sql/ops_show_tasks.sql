-- python -m ops status: every task of the schema, with its state (started / suspended) and
-- last_suspended_reason (SUSPENDED_DUE_TO_ERRORS after SUSPEND_TASK_AFTER_NUM_FAILURES runs).
SHOW TASKS IN SCHEMA {schema}
